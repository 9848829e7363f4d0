package providers

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestEntry(t *testing.T) {
	host := &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "X_Host", Keys: []cim.KeyBinding{{Name: "Name", Value: "h"}}}
	dom := &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "X_Dom", Keys: []cim.KeyBinding{{Name: "Name", Value: "d"}}}
	assoc := &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "X_Hosted",
		Keys: []cim.KeyBinding{{Name: "Antecedent", Value: host}, {Name: "Dependent", Value: dom}}}
	e := KeyEntry(assoc, cim.Property{Name: "note", Type: cim.TypeString, Value: "n"})
	if len(e.Values) != 3 || e.Values[0].Type != cim.TypeReference || e.Values[0].ReferenceClass != "X_Host" || e.Values[2].Name != "note" {
		t.Fatalf("KeyEntry values %+v", e.Values)
	}
	for _, tt := range []struct {
		target *cim.ObjectPath
		role   string
		want   bool
	}{
		{host, "", true}, {host, "antecedent", true}, {host, "Dependent", false}, {dom, "Dependent", true},
		{&cim.ObjectPath{Namespace: "root/cimv2", ClassName: "X_Dom", Keys: []cim.KeyBinding{{Name: "Name", Value: "other"}}}, "", false},
	} {
		if got := e.RefersTo(tt.target, tt.role); got != tt.want {
			t.Errorf("RefersTo(%s, %q) = %v, want %v", tt.target, tt.role, got, tt.want)
		}
	}
	never := func(_, _ *cim.ObjectPath) bool { return false }
	if e.RefersToFunc(host, "", never) {
		t.Error("RefersToFunc ignored its comparison")
	}

	c := &cim.Class{Name: "X_Hosted", Properties: []cim.Property{
		{Name: "Antecedent", Type: cim.TypeReference, ReferenceClass: "X_Host"},
		{Name: "Dependent", Type: cim.TypeReference, ReferenceClass: "X_Dom"},
		{Name: "Note", Type: cim.TypeString},
		{Name: "Level", Type: cim.TypeUint16, Value: uint16(3)},
	}}
	inst := NewBuilder(c).Instance(e)
	if len(inst.Properties) != 4 || inst.ClassName != "X_Hosted" {
		t.Fatalf("instance %+v", inst)
	}
	for name, want := range map[string]any{"Antecedent": host, "Note": "n", "Level": uint16(3)} {
		if got := inst.Property(name).Value; got != want {
			t.Errorf("%s = %v, want %v (class default, or the entry's value matched case-insensitively)", name, got, want)
		}
	}
	bare := NewBuilder(nil).Instance(e)
	if bare.ClassName != "X_Hosted" || len(bare.Properties) != 3 {
		t.Errorf("without a class: %+v", bare)
	}
	bare.Properties[2].Value = "changed"
	if e.Values[2].Value != "n" {
		t.Error("the instance shares the entry's values")
	}
}
