package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const dmtfEntry = "../../../shared/schema/cim-2.49.0/cim_schema_2.49.0.mof"

func runMofc(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestCheckDMTF(t *testing.T) {
	code, out, errs := runMofc("check", dmtfEntry)
	if code != 0 {
		t.Fatalf("mofc check exit %d, stderr:\n%s", code, errs)
	}
	want := "1631 classes (643 associations, 24 indications), 70 qualifier types, 0 instances"
	if got := lastLine(out); got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

func TestCheckProjectSchema(t *testing.T) {
	// The project's classes compile on the embedded subset and on the full DMTF schema.
	for _, files := range [][]string{
		{"../../mof/schema/shypecim.mof"},
		{dmtfEntry, "../../mof/schema/xen.mof"},
	} {
		code, out, errs := runMofc(append([]string{"check", "-q"}, files...)...)
		if code != 0 || errs != "" {
			t.Errorf("mofc check %v: exit %d, stderr:\n%s", files, code, errs)
		}
		if !strings.Contains(out, " classes (") {
			t.Errorf("mofc check %v: no summary in %q", files, out)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mof")
	src := "Qualifier Key : boolean = false, Scope(property), Flavor(DisableOverride);\n" +
		"class A {\n  [Key] string Name;\n  uint8 Small = 300;\n};\n" +
		"class B : Missing {\n};\n#pragma frobnicate(\"x\")\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runMofc("check", bad)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		bad + ":4:17: property Small: value 300 does not fit in uint8\n",
		bad + ":6:11: superclass Missing is not defined\n",
		bad + ":8:9: warning: #pragma frobnicate is not supported; ignored\n",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if got, want := lastLine(out), "2 errors; compiled 0 classes (0 associations, 0 indications), 1 qualifier type, 0 instances"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frob"}, {"check"}, {"dump"}, {"check", "-bogus", "x.mof"}} {
		if code, _, _ := runMofc(args...); code != 2 {
			t.Errorf("mofc %v: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := runMofc("check", "does-not-exist.mof"); code != 1 || !strings.Contains(errs, "does-not-exist.mof: cannot read does-not-exist.mof: no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

func TestDumpAndList(t *testing.T) {
	code, out, errs := runMofc("dump", "-class", "CIM_ManagedElement", dmtfEntry)
	if code != 0 {
		t.Fatalf("dump: exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "[Abstract,\n Version(\"2.45.0\"),") || !strings.Contains(out, "class CIM_ManagedElement {\n") {
		t.Errorf("dump of CIM_ManagedElement:\n%.300s", out)
	}
	code, out, _ = runMofc("list", "-tree", dmtfEntry)
	if code != 0 || !strings.Contains(out, "\nCIM_ManagedElement\n  CIM_Action\n    CIM_DirectoryAction\n") {
		t.Errorf("list -tree: exit %d:\n%.300s", code, out)
	}
}

// BenchmarkCheckProcess measures the wall time of a whole `mofc check` process on the
// DMTF schema, start-up and exit included.
func BenchmarkCheckProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "mofc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for b.Loop() {
		if out, err := exec.Command(bin, "check", "-q", dmtfEntry).CombinedOutput(); err != nil {
			b.Fatalf("mofc check: %v\n%s", err, out)
		}
	}
}
