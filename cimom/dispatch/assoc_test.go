package dispatch_test

import (
	"slices"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// References inside association paths are stored as clients give them (here without
// namespace); the paths of results carry it.
const (
	pa  = `root/test:T_Thing.Id="a"`
	pb  = `root/test:T_Thing.Id="b"`
	pc  = `root/test:T_BigThing.Id="c"`
	pd1 = `root/test:T_Dyn.Name="d1"`

	linkAB = `root/test:T_Link.Left="T_Thing.Id=\"a\"",Right="T_Thing.Id=\"b\""`
	subAC  = `root/test:T_SubLink.Left="T_Thing.Id=\"a\"",Right="T_BigThing.Id=\"c\""`
	dynD1A = `root/test:T_DynLink.A="T_Dyn.Name=\"d1\"",B="T_Thing.Id=\"a\""`
)

// The fixture's associations: T_Link a→b, T_SubLink a→c (both Left→Right), and
// T_DynLink d1→a (A→B) from the fake provider.
func TestAssociatorsInstances(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name                         string
		src                          *cim.ObjectPath
		assoc, result, role, resRole string
		want                         []string
	}{
		{"all", thingPath("a"), "", "", "", "", []string{pc, pd1, pb}},
		{"AssocClass with subclasses", thingPath("a"), "T_Link", "", "", "", []string{pc, pb}},
		{"AssocClass subclass", thingPath("a"), "t_sublink", "", "", "", []string{pc}},
		{"ResultClass", thingPath("a"), "", "T_BigThing", "", "", []string{pc}},
		{"ResultClass superclass", thingPath("a"), "", "T_Base", "", "", []string{pc, pb}},
		{"Role", thingPath("a"), "", "", "left", "", []string{pc, pb}},
		{"Role no match", thingPath("a"), "", "", "Right", "", nil},
		{"Role of the provider's association", thingPath("a"), "", "", "B", "", []string{pd1}},
		{"ResultRole", thingPath("a"), "", "", "", "A", []string{pd1}},
		{"all filters", thingPath("a"), "T_Link", "T_Thing", "Left", "Right", []string{pc, pb}},
		{"other end", thingPath("b"), "", "", "", "", []string{pa}},
		{"from a subclass instance", classPath("T_BigThing", "c"), "", "", "", "", []string{pa}},
		{"from a provider's instance", dynPath("d1"), "", "", "", "", []string{pa}},
		{"untyped keys", &cim.ObjectPath{Namespace: ns, ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "ID", Value: "b"}}}, "", "", "", "", []string{pa}},
		{"nothing refers to it", dynPath("d2"), "", "", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := objects(t, mustDo(t, f.d, &cim.Associators{Base: b, ObjectName: tt.src, AssocClass: tt.assoc,
				ResultClass: tt.result, Role: tt.role, ResultRole: tt.resRole}))
			if got := paths(objs); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("Associators: %v, want %v", got, tt.want)
			}
			for _, o := range objs {
				if o.Instance == nil || o.Path.Namespace == "" {
					t.Errorf("%s: want a full path and the instance", o.Path)
				}
			}
			objs = objects(t, mustDo(t, f.d, &cim.AssociatorNames{Base: b, ObjectName: tt.src, AssocClass: tt.assoc,
				ResultClass: tt.result, Role: tt.role, ResultRole: tt.resRole}))
			if got := paths(objs); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("AssociatorNames: %v, want %v", got, tt.want)
			}
			for _, o := range objs {
				if o.Instance != nil {
					t.Errorf("%s: names carry an instance", o.Path)
				}
			}
		})
	}
	t.Run("PropertyList", func(t *testing.T) {
		objs := objects(t, mustDo(t, f.d, &cim.Associators{Base: b, ObjectName: thingPath("b"), PropertyList: cim.PropertyList{"Label"}}))
		if len(objs) != 1 || !slices.Equal(propNames(objs[0].Instance), []string{"Label"}) {
			t.Errorf("got %v", objs)
		}
	})
}

func TestReferencesInstances(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name         string
		src          *cim.ObjectPath
		result, role string
		want         []string
	}{
		{"all", thingPath("a"), "", "", []string{dynD1A, linkAB, subAC}},
		{"ResultClass with subclasses", thingPath("a"), "T_Link", "", []string{linkAB, subAC}},
		{"ResultClass subclass", thingPath("a"), "T_SubLink", "", []string{subAC}},
		{"Role", thingPath("a"), "", "B", []string{dynD1A}},
		{"Role no match", thingPath("a"), "", "Right", nil},
		{"other end", thingPath("b"), "", "right", []string{linkAB}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := objects(t, mustDo(t, f.d, &cim.References{Base: b, ObjectName: tt.src, ResultClass: tt.result, Role: tt.role}))
			if got := paths(objs); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("References: %v, want %v", got, tt.want)
			}
			for _, o := range objs {
				if o.Instance == nil {
					t.Errorf("%s: no instance", o.Path)
				}
			}
			objs = objects(t, mustDo(t, f.d, &cim.ReferenceNames{Base: b, ObjectName: tt.src, ResultClass: tt.result, Role: tt.role}))
			if got := paths(objs); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("ReferenceNames: %v, want %v", got, tt.want)
			}
		})
	}
}

// A key-less instance name is a class path (what wbemcli sends): class-level.
func TestAssociationsClassLevel(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	thing := &cim.ObjectPath{ClassName: "T_Thing"}
	cp := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = "root/test:" + n
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name                         string
		src                          *cim.ObjectPath
		assoc, result, role, resRole string
		wantAssoc, wantRefs          []string
	}{
		{"all", thing, "", "", "", "", cp("T_Base", "T_Thing", "T_Dyn"), cp("T_Link", "T_SubLink", "T_DynLink")},
		{"Role", thing, "", "", "Left", "", cp("T_Base"), cp("T_Link", "T_SubLink")},
		{"ResultRole", thing, "", "", "", "A", cp("T_Dyn"), cp("T_Link", "T_SubLink", "T_DynLink")},
		{"AssocClass/ResultClass of References", thing, "T_DynLink", "", "", "", cp("T_Dyn"), cp("T_Link", "T_SubLink", "T_DynLink")},
		{"ResultClass", thing, "", "T_Thing", "", "", cp("T_Thing"), nil},
		{"from the provider's class", &cim.ObjectPath{ClassName: "T_Dyn"}, "", "", "", "", cp("T_Thing"), cp("T_DynLink")},
		{"no associations", &cim.ObjectPath{ClassName: "T_Num"}, "", "", "", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := objects(t, mustDo(t, f.d, &cim.Associators{Base: b, ObjectName: tt.src, AssocClass: tt.assoc,
				ResultClass: tt.result, Role: tt.role, ResultRole: tt.resRole}))
			if got := paths(objs); !slices.Equal(got, tt.wantAssoc) && len(got)+len(tt.wantAssoc) > 0 {
				t.Errorf("Associators: %v, want %v", got, tt.wantAssoc)
			}
			for _, o := range objs {
				if o.Class == nil || o.Class.Name != o.Path.ClassName || o.Instance != nil {
					t.Errorf("%s: want the class", o.Path)
				}
			}
			names := objects(t, mustDo(t, f.d, &cim.AssociatorNames{Base: b, ObjectName: tt.src, AssocClass: tt.assoc,
				ResultClass: tt.result, Role: tt.role, ResultRole: tt.resRole}))
			if got := paths(names); !slices.Equal(got, paths(objs)) {
				t.Errorf("AssociatorNames: %v, want %v", got, paths(objs))
			}
			if tt.result != "" {
				return // ResultClass of References filters associations: another test
			}
			refs := objects(t, mustDo(t, f.d, &cim.References{Base: b, ObjectName: tt.src, Role: tt.role}))
			if got := paths(refs); !slices.Equal(got, tt.wantRefs) && len(got)+len(tt.wantRefs) > 0 {
				t.Errorf("References: %v, want %v", got, tt.wantRefs)
			}
			for _, o := range refs {
				if o.Class == nil {
					t.Errorf("%s: want the class", o.Path)
				}
			}
			rn := objects(t, mustDo(t, f.d, &cim.ReferenceNames{Base: b, ObjectName: tt.src, Role: tt.role}))
			if got := paths(rn); !slices.Equal(got, paths(refs)) {
				t.Errorf("ReferenceNames: %v, want %v", got, paths(refs))
			}
		})
	}
	refs := objects(t, mustDo(t, f.d, &cim.ReferenceNames{Base: b, ObjectName: thing, ResultClass: "T_Link"}))
	if got, want := paths(refs), cp("T_Link", "T_SubLink"); !slices.Equal(got, want) {
		t.Errorf("ReferenceNames ResultClass: %v, want %v", got, want)
	}
}
