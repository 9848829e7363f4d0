package acm

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// loadFile parses a policy from testdata.
func loadFile(t testing.TB, name string) *Compiled {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s) = %v", name, err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatalf("Compile(%s) = %v", name, err)
	}
	return c
}

func compileDefault(t testing.TB) *Compiled {
	t.Helper()
	c, err := Compile(DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		pol  func(testing.TB) *Compiled
	}{
		{"DEFAULT", compileDefault},
		{"acme", func(t testing.TB) *Compiled { return loadFile(t, "acme-security_policy.xml") }},
		{"test-wld", func(t testing.TB) *Compiled { return loadFile(t, "test-wld-security_policy.xml") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.pol(t)
			golden(t, tt.name+".map", []byte(c.Map("")))
			golden(t, tt.name+".bin.hex", []byte(hex.Dump(c.Binary())))
			dom0, _ := c.VMSSIDRef(c.Policy().Bootstrap)
			dump, err := Dump(c.Binary(), dom0)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".dump", []byte(dump))
		})
	}
}

// TestGoldenLive dumps acme's live form with Domain-0, a bank and an auditor
// running: the counters of §3.2 as `xm dumppolicy` printed them.
func TestGoldenLive(t *testing.T) {
	c := loadFile(t, "acme-security_policy.xml")
	e := NewEngine(c)
	for _, l := range []string{"SystemManagement", "bank", "Auditor"} {
		ref, _ := c.VMSSIDRef(l)
		if err := e.DomainCreate(ref); err != nil {
			t.Fatalf("DomainCreate(%s) = %v", l, err)
		}
	}
	dump, err := Dump(e.LiveBinary(), 0x00010001)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "acme-live.dump", []byte(dump))
}
