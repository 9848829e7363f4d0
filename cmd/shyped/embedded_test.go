package main

import (
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
)

func TestMOFInstanceParser(t *testing.T) {
	repo, err := repository.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Load(func(l *repository.Loader) error {
		_, err := schema.Load(l, "", schema.Namespaces...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	parse := mofInstanceParser(repo)
	inst, err := parse("root/cimv2", `instance of Xen_VirtualSystemSettingData {
		ElementName = "web"; Memory = 256; VCPUs = 2; SecurityLabel = "ACM:acme:web"; };`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(inst.ClassName, "Xen_VirtualSystemSettingData") {
		t.Errorf("class %q", inst.ClassName)
	}
	for name, want := range map[string]any{"ElementName": "web", "Memory": uint64(256), "VCPUs": uint32(2)} {
		p := inst.Property(name)
		if p == nil || p.Value != want {
			t.Errorf("%s = %#v, want %#v", name, p, want)
		}
	}
	for _, bad := range []string{
		"web",
		`instance of NoSuchClass { A = 1; };`,
		`instance of Xen_VirtualSystemSettingData { Memory = "x"; };`,
		`instance of Xen_VirtualSystemSettingData { }; instance of Xen_VirtualSystemSettingData { };`,
	} {
		if _, err := parse("root/cimv2", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
