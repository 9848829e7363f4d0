package compile

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/mof"
)

// FuzzCompile compiles arbitrary MOF after the test qualifiers: the compiler must not
// fail internally, and every error must carry a position.
func FuzzCompile(f *testing.F) {
	quals, err := os.ReadFile("testdata/qualifiers.mof")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"class A { [Key] string Name; }; class B : A { [Override(\"Name\")] string Name; };",
		"[Association] class L { [Key] A REF x; [Key] A REF y; }; class A { [Key] string N; };",
		"class A { [Key] string N; uint8 v = 300; }; instance of A as $a { N = \"x\"; }; instance of A { N = $a; };",
		"class A { [Key] uint32 N; }; instance of A { N = 1; }; instance of A { N = 1; };",
		"#pragma namespace(\"x\") class A : B {};",
		"[Indication, Abstract] class E { string s; }; class F : E { [Key] string k; };",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c := New(Options{ReadFile: func(name string) ([]byte, error) {
			if strings.HasSuffix(name, "qualifiers.mof") {
				return quals, nil
			}
			return nil, fs.ErrNotExist
		}})
		err := c.CompileSource("f.mof", "#pragma include(\"qualifiers.mof\")\n"+src)
		var list mof.ErrorList
		if err != nil && !errors.As(err, &list) {
			t.Fatalf("CompileSource error is %T, want mof.ErrorList", err)
		}
		for _, e := range list {
			if strings.Contains(e.Msg, "internal compiler error") {
				t.Fatalf("%v", e)
			}
			if e.Pos.Filename == "" {
				t.Fatalf("error without a file: %v", e)
			}
		}
	})
}
