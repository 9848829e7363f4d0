package ezpolicy

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// TestMarshalTextRoundTrip: what MarshalText writes parses back into a description that
// generates the same policy.
func TestMarshalTextRoundTrip(t *testing.T) {
	for _, path := range []string{"testdata/test-wld.ez", "testdata/options.ez"} {
		t.Run(path, func(t *testing.T) {
			d := parseFile(t, path)
			text, err := d.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var back Description
			if err := back.UnmarshalText(text); err != nil {
				t.Fatalf("UnmarshalText of\n%s: %v", text, err)
			}
			want, _ := Generate(d)
			got, err := Generate(&back)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("round trip through\n%s\nchanged the policy", text)
			}
		})
	}
}

func TestMarshalTextTestWLD(t *testing.T) {
	text, err := testWLD().MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	want := `policy example.chwall_ste.test-wld

org Avis
org Hertz
org CocaCola: Intranet Extranet HumanResources Payroll
org PepsiCo: Intranet Extranet

conflict RER: PepsiCo CocaCola
conflict RER: CocaCola.Extranet CocaCola.Payroll
`
	if string(text) != want {
		t.Errorf("MarshalText =\n%s\nwant\n%s", text, want)
	}
	// The §8 example, as acm.md writes it, is what MarshalText writes.
	src, err := os.ReadFile("testdata/test-wld.ez")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split([]byte(want), []byte("\n")) {
		if len(line) > 0 && !bytes.Contains(src, line) {
			t.Errorf("testdata/test-wld.ez lacks the line %q", line)
		}
	}
}

func TestMarshalTextRefuses(t *testing.T) {
	tests := []struct {
		name string
		d    *Description
		kind error
	}{
		{"invalid description", &Description{Policy: "p"}, ErrEmpty},
		{"'#' in date", &Description{Policy: "p", Date: "week #3", Orgs: []Org{{Name: "A"}}}, ErrSyntax},
		{"'#' in url", &Description{Policy: "p", URL: "http://x/#top", Orgs: []Org{{Name: "A"}}}, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, err := tc.d.MarshalText()
			if !errors.Is(err, tc.kind) {
				t.Errorf("MarshalText = %q, %v; want an error of kind %v", text, err, tc.kind)
			}
		})
	}
}

func TestUnmarshalTextKeepsOnError(t *testing.T) {
	d := testWLD()
	if err := d.UnmarshalText([]byte("policy p\n")); !errors.Is(err, ErrEmpty) {
		t.Fatalf("UnmarshalText error %v, want ErrEmpty", err)
	}
	if d.Policy != "example.chwall_ste.test-wld" {
		t.Errorf("a failed UnmarshalText changed the description: %+v", d)
	}
}
