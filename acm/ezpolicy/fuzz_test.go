package ezpolicy

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse: Parse never panics; whatever it accepts generates a policy that passes
// the schema and xend checks, and survives a round trip through MarshalText.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/test-wld.ez", "testdata/options.ez"} {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("policy p\norg A: x,y\norg B\nconflict s: A.x B\nconflict A.y, B\n"))
	f.Add([]byte("policy a.b\norg __UNLABELED__\norg A\nconflict __UNLABELED__ A\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse(bytes.NewReader(src))
		if err != nil {
			if d != nil {
				t.Fatal("description returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		out, err := Generate(d)
		if err != nil {
			t.Fatalf("Generate of a parsed description: %v", err)
		}
		if _, err := checkPolicy(out); err != nil {
			t.Fatalf("generated policy fails the checks: %v\n%s", err, out)
		}
		text, err := d.MarshalText()
		if err != nil {
			return // a '#' in date or url: documented as not writable
		}
		back, err := Parse(bytes.NewReader(text))
		if err != nil {
			t.Fatalf("MarshalText output does not parse: %v\n%s", err, text)
		}
		again, err := Generate(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("round trip changed the policy (%v):\n%s", err, text)
		}
	})
}
