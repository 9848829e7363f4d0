package compile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/mof"
)

// errorMarker matches /* ERROR "rx" */ in a test file: the error whose message matches
// rx must be reported at the token right before the comment. The regexp is taken as
// it is written, up to the closing `" */`.
var errorMarker = regexp.MustCompile(`/\* ERROR "(.*?)" \*/`)

type wantError struct {
	pos string // line:col
	rx  *regexp.Regexp
}

// expectedErrors reads the markers of src, placing each at the start of the last
// token that begins before it.
func expectedErrors(t *testing.T, name, src string) []wantError {
	fset := mof.NewFileSet()
	f := fset.AddFile(name, src)
	var s mof.Scanner
	s.Init(f, src, nil)
	var starts []int
	for {
		pos, tok, _ := s.Scan()
		if tok == mof.EOF {
			break
		}
		starts = append(starts, f.Offset(pos))
	}
	var want []wantError
	for _, m := range errorMarker.FindAllStringSubmatchIndex(src, -1) {
		k := sort.SearchInts(starts, m[0]) - 1
		if k < 0 {
			t.Fatalf("%s: ERROR marker at offset %d has no token before it", name, m[0])
		}
		p := f.Position(f.Pos(starts[k]))
		rx, err := regexp.Compile(src[m[2]:m[3]])
		if err != nil {
			t.Fatalf("%s:%d:%d: bad ERROR regexp: %v", name, p.Line, p.Column, err)
		}
		want = append(want, wantError{fmt.Sprintf("%d:%d", p.Line, p.Column), rx})
	}
	return want
}

// TestBadMOF compiles each file of testdata/bad and checks that exactly the errors
// its markers announce are reported, at their exact positions.
func TestBadMOF(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.mof")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedErrors(t, name, string(src))
			if len(want) == 0 {
				t.Fatalf("%s has no ERROR markers", name)
			}
			c := New(Options{})
			cerr := c.CompileFile(name)
			var got mof.ErrorList
			if !errors.As(cerr, &got) {
				t.Fatalf("CompileFile(%s) = %v, want an ErrorList", name, cerr)
			}
			used := make([]bool, len(want))
			for _, e := range got {
				if e.Pos.Filename != name {
					t.Errorf("unexpected error in another file: %v", e)
					continue
				}
				at := fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Column)
				found := false
				for i, w := range want {
					if !used[i] && w.pos == at && w.rx.MatchString(e.Msg) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("unexpected error: %v", e)
				}
			}
			for i, w := range want {
				if !used[i] {
					t.Errorf("%s:%s: missing error matching %q", name, w.pos, w.rx)
				}
			}
			for _, e := range got {
				if !strings.HasPrefix(e.Error(), name+":") {
					t.Errorf("error %q does not start with file:line:col", e.Error())
				}
			}
		})
	}
}
