package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/internal/datadir"
	"github.com/shypecim/shypecim/mof/schema"
)

func TestLoadIntoDataDir(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "acme.mof")
	src := `[Description("An Acme gadget.")]
class ACME_Gadget : CIM_LogicalElement {
    [Key] string Serial;
};
#pragma namespace("interop")
instance of CIM_Namespace { Name = "acme"; SystemCreationClassName = "X"; SystemName = "h";
    ObjectManagerCreationClassName = "Y"; ObjectManagerName = "o"; CreationClassName = "CIM_Namespace"; };
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runMofc("load", "-data", data, file)
	if code != 0 {
		t.Fatalf("mofc load: exit %d, stderr:\n%s", code, errs)
	}
	if !strings.HasPrefix(out, "stored 1 class (0 associations, 0 indications), 0 qualifier types, 1 instance in ") {
		t.Errorf("mofc load said %q", out)
	}
	// The same again: the class exists now, and nothing more is stored.
	if code, _, errs := runMofc("load", "-data", data, file); code != 1 || !strings.Contains(errs, "ACME_Gadget") {
		t.Errorf("second load: exit %d, stderr %q; want a refusal naming the class", code, errs)
	}

	// What a restarted server would see.
	repo, err := repository.Open(datadir.Repository(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Load(func(l *repository.Loader) error {
		_, err := schema.Load(l, "", schema.Namespaces...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := repo.Replay(); err != nil {
		t.Fatal(err)
	}
	c := repo.Class("root/cimv2", "acme_gadget")
	if c == nil || c.Property("Serial") == nil || c.Property("ElementName") == nil {
		t.Fatalf("ACME_Gadget after reopening = %+v, want it with inherited properties", c)
	}
	insts, err := repo.Instances("interop", "CIM_Namespace", true)
	if err != nil || len(insts) != 1 || insts[0].Property("Name").Value != "acme" {
		t.Errorf("CIM_Namespace instances = %v, %v", insts, err)
	}
	if p := insts[0].Path("interop", repo.Class("interop", "CIM_Namespace")); p.Namespace != "interop" || len(p.Keys) == 0 {
		t.Errorf("path = %v", p)
	}
}

func TestLoadRefusesBadMOF(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "bad.mof")
	os.WriteFile(file, []byte("class ACME_X : CIM_Nothing { };\n"), 0o644)
	code, out, errs := runMofc("load", "-data", data, file)
	if code != 1 || !strings.Contains(errs, "bad.mof:1:16: superclass CIM_Nothing is not defined") || !strings.Contains(out, "nothing stored") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if entries, _ := os.ReadDir(datadir.Repository(data)); len(entries) != 0 {
		t.Errorf("the repository holds %d files after a refused load", len(entries))
	}
}
