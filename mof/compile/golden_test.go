package compile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/mof/printer"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// dumpResult prints a result as mofc dump does.
func dumpResult(t testing.TB, r *Result, resolved bool) []byte {
	var buf bytes.Buffer
	for _, n := range r.Namespaces {
		p := printer.New(&buf, printer.Config{Resolved: resolved, QualifierType: n.QualifierType})
		p.Pragma("namespace", n.Name)
		for _, qt := range n.QualifierTypes {
			p.QualifierType(qt)
		}
		for _, c := range n.Classes {
			p.Class(c)
		}
		for _, in := range n.Instances {
			p.Instance(in, "")
		}
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func compileOK(t testing.TB, name string) *Result {
	c := New(Options{})
	if err := c.CompileFile(name); err != nil {
		t.Fatalf("CompileFile(%s): %v", name, err)
	}
	return c.Result()
}

// TestGolden compiles each testdata/golden/*.mof and compares the canonical dump
// (.golden) and the resolved dump (.resolved) with the files beside it.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.mof")
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			r := compileOK(t, name)
			base := strings.TrimSuffix(name, ".mof")
			for _, g := range []struct {
				suffix   string
				resolved bool
			}{{".golden", false}, {".resolved", true}} {
				got := dumpResult(t, r, g.resolved)
				if *update {
					if err := os.WriteFile(base+g.suffix, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(base + g.suffix)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("dump of %s differs from %s%s:\n%s", name, base, g.suffix, firstDiff(got, want))
				}
			}
		})
	}
}

// TestDumpRoundTrip checks that the canonical dump compiles again to the same schema:
// the dump of the dump is the dump, and so is the resolved form.
func TestDumpRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.mof")
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			r := compileOK(t, name)
			roundTrip(t, r)
		})
	}
}

func roundTrip(t testing.TB, r *Result) {
	first := dumpResult(t, r, false)
	c := New(Options{})
	if err := c.CompileSource("dump.mof", string(first)); err != nil {
		t.Fatalf("the dump does not compile: %v", err)
	}
	if second := dumpResult(t, c.Result(), false); !bytes.Equal(first, second) {
		t.Errorf("dump of the dump differs:\n%s", firstDiff(second, first))
	}
	if a, b := dumpResult(t, r, true), dumpResult(t, c.Result(), true); !bytes.Equal(a, b) {
		t.Errorf("resolved dump of the dump differs:\n%s", firstDiff(b, a))
	}
}

func firstDiff(got, want []byte) string {
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return "line " + itoa(i+1) + ":\n got: " + g + "\nwant: " + w
		}
	}
	return "(same lines)"
}

func itoa(n int) string {
	var b []byte
	for n >= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(append([]byte{byte('0' + n)}, b...))
}
