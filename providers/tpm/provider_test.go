package tpm

import (
	"fmt"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func propValue(inst *cim.Instance, name string) any {
	if p := inst.Property(name); p != nil {
		return p.Value
	}
	return "<absent>"
}

// TestVTPMInstances checks the properties of a resident vTPM and of a tombstone.
func TestVTPMInstances(t *testing.T) {
	p, _, _ := newProvider(t)
	insts := map[string]*cim.Instance{}
	for inst, err := range p.EnumerateInstances(ctx, Namespace, ClassVTPM) {
		if err != nil {
			t.Fatal(err)
		}
		insts[fmt.Sprint(propValue(inst, "UUID"))] = inst
	}
	if len(insts) != 4 {
		t.Fatalf("%d Xen_VTPM instances, want 4 (the tombstone included)", len(insts))
	}
	tests := []struct {
		uuid string
		want map[string]any
	}{
		{vtpm2, map[string]any{
			"SystemCreationClassName": ClassComputerSys, "SystemName": runUUID, "CreationClassName": ClassVTPM,
			"DeviceID": "vtpm2", "InstanceNumber": uint32(2), "TPMSpecMajorVersion": uint32(2), "TPMSpecMinorVersion": uint32(0),
			"TPMManufacturerId": uint32(0x49424D00), "Backend": "swtpm", "EnabledState": uint16(2),
			"EKPublic": "-----BEGIN PUBLIC KEY-----\nEK\n-----END PUBLIC KEY-----\n", "PCRBanks": "[sha256]",
			"MigrationState": uint16(2), "MigratedTo": "", "ElementName": "vtpm2",
		}},
		{vtpm3, map[string]any{"EnabledState": uint16(9), "SystemName": suspUUID}},
		{vtpm4, map[string]any{"EnabledState": uint16(3), "MigrationState": uint16(4), "MigratedTo": destURL, "EKPublic": "", "DeviceID": "vtpm4"}},
	}
	for _, tt := range tests {
		inst := insts[tt.uuid]
		if inst == nil {
			t.Errorf("no instance of vTPM %s", tt.uuid)
			continue
		}
		for name, want := range tt.want {
			got := propValue(inst, name)
			if s, ok := want.(string); ok && name == "PCRBanks" {
				if fmt.Sprint(got) != s {
					t.Errorf("%s.%s = %v, want %v", tt.uuid, name, got, s)
				}
				continue
			}
			if got != want {
				t.Errorf("%s.%s = %#v, want %#v", tt.uuid, name, got, want)
			}
		}
	}
}

// TestGetInstance: every enumerated path reads back, and wrong paths are not
// found.
func TestGetInstance(t *testing.T) {
	p, _, _ := newProvider(t)
	for _, class := range []string{ClassVTPM, ClassSystemVTPM, ClassService} {
		paths, err := p.EnumerateInstanceNames(ctx, Namespace, class)
		if err != nil || len(paths) == 0 {
			t.Fatalf("%s: %v %v", class, paths, err)
		}
		for _, path := range paths {
			inst, err := p.GetInstance(ctx, Namespace, path)
			if err != nil {
				t.Errorf("GetInstance(%s): %v", path, err)
				continue
			}
			if inst.ClassName != class {
				t.Errorf("GetInstance(%s) is a %s", path, inst.ClassName)
			}
		}
	}
	wrongDomain := VTPMPath(bareUUID, 1)
	otherHost := p.ServicePath()
	otherHost.Keys[3].Value = "elsewhere"
	assoc := &cim.ObjectPath{ClassName: ClassSystemVTPM, Keys: []cim.KeyBinding{
		{Name: "GroupComponent", Value: ComputerSystemPath(bareUUID)}, // not vtpm1's domain
		{Name: "PartComponent", Value: VTPMPath(haltedUUID, 1)},
	}}
	for _, path := range []*cim.ObjectPath{wrongDomain, otherHost, assoc, VTPMPath(haltedUUID, 99)} {
		if _, err := p.GetInstance(ctx, Namespace, path); cim.StatusOf(err) != cim.StatusNotFound {
			t.Errorf("GetInstance(%s) = %v, want CIM_ERR_NOT_FOUND", path, err)
		}
	}
	bad := &cim.ObjectPath{ClassName: ClassVTPM, Keys: []cim.KeyBinding{{Name: "SystemName", Value: haltedUUID}, {Name: "DeviceID", Value: "tpm0"}}}
	if _, err := p.GetInstance(ctx, Namespace, bad); cim.StatusOf(err) != cim.StatusInvalidParameter {
		t.Errorf("malformed DeviceID: %v", err)
	}
	none := New(Options{Toolstack: newTS(), HostName: testHost})
	if _, err := none.GetInstance(ctx, Namespace, VTPMPath(haltedUUID, 1)); cim.StatusOf(err) != cim.StatusNotFound {
		t.Errorf("without a manager: %v", err)
	}
	if _, err := p.GetInstance(ctx, Namespace, &cim.ObjectPath{ClassName: "Xen_Other"}); cim.StatusOf(err) != cim.StatusInvalidClass {
		t.Errorf("other class: %v", err)
	}
	// A path without namespace, host given, reference keys without namespace.
	rel := &cim.ObjectPath{Host: "h", ClassName: ClassSystemVTPM, Keys: []cim.KeyBinding{
		{Name: "GroupComponent", Value: &cim.ObjectPath{ClassName: ClassComputerSys, Keys: []cim.KeyBinding{{Name: "CreationClassName", Value: ClassComputerSys}, {Name: "Name", Value: haltedUUID}}}},
		{Name: "PartComponent", Value: &cim.ObjectPath{ClassName: ClassVTPM, Keys: VTPMPath(haltedUUID, 1).Keys}},
	}}
	if _, err := p.GetInstance(ctx, Namespace, rel); err != nil {
		t.Errorf("relative path: %v", err)
	}
}

// TestReferencesTo checks the association fast path from both ends and by role.
func TestReferencesTo(t *testing.T) {
	p, _, _ := newProvider(t)
	count := func(target *cim.ObjectPath, role string) int {
		n := 0
		for inst, err := range p.ReferencesTo(ctx, Namespace, ClassSystemVTPM, target, role) {
			if err != nil {
				t.Fatal(err)
			}
			part := propValue(inst, "PartComponent").(*cim.ObjectPath)
			group := propValue(inst, "GroupComponent").(*cim.ObjectPath)
			if !part.Equal(target) && !group.Equal(target) {
				t.Errorf("%v does not touch %v", inst, target)
			}
			n++
		}
		return n
	}
	tests := []struct {
		name   string
		target *cim.ObjectPath
		role   string
		want   int
	}{
		{"from the domain", ComputerSystemPath(haltedUUID), "", 1},
		{"from the domain as group", ComputerSystemPath(haltedUUID), "GroupComponent", 1},
		{"from the domain as part", ComputerSystemPath(haltedUUID), "PartComponent", 0},
		{"from the tombstone's domain", ComputerSystemPath(goneUUID), "", 1},
		{"from a domain without vTPM", ComputerSystemPath(bareUUID), "", 0},
		{"from the vTPM", VTPMPath(runUUID, 2), "PartComponent", 1},
		{"from the service", p.ServicePath(), "", 0},
	}
	for _, tt := range tests {
		if got := count(tt.target, tt.role); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestManufacturerID(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
	}{
		{"IBM", 0x49424D00},
		{"IBM ", 0x49424D20},
		{"MSFT", 0x4D534654},
		{"0x1014", 0x1014},
		{"", 0},
		{"TOOLONG", 0x544F4F4C},
	}
	for _, tt := range tests {
		if got := manufacturerID(tt.in); got != tt.want {
			t.Errorf("manufacturerID(%q) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
}

func TestRegistrationsAndServicePath(t *testing.T) {
	p, _, _ := newProvider(t)
	r := p.Registrations()
	if len(r) != 1 || r[0].Provider != p || len(r[0].Classes) != 3 || r[0].Namespaces[0] != Namespace {
		t.Errorf("Registrations = %+v", r)
	}
	want := "root/cimv2:Xen_VTPMManagementService.CreationClassName=\"Xen_VTPMManagementService\",Name=\"Xen VTPM Management Service\",SystemCreationClassName=\"Xen_HostSystem\",SystemName=\"host1\""
	if got := p.ServicePath().String(); got != want {
		t.Errorf("ServicePath = %s\nwant %s", got, want)
	}
}
