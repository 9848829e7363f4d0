package dispatch_test

import (
	"context"
	"iter"
	"slices"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/providers"
)

// References in association paths are stored typed with their namespace by the
// dispatcher (T_Link, T_SubLink), as the provider gives them otherwise (T_DynLink).
const (
	pa  = `root/test:T_Thing.Id="a"`
	pb  = `root/test:T_Thing.Id="b"`
	pc  = `root/test:T_BigThing.Id="c"`
	pd1 = `root/test:T_Dyn.Name="d1"`

	linkAB = `root/test:T_Link.Left="root/test:T_Thing.Id=\"a\"",Right="root/test:T_Thing.Id=\"b\""`
	subAC  = `root/test:T_SubLink.Left="root/test:T_Thing.Id=\"a\"",Right="root/test:T_BigThing.Id=\"c\""`
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

// assocProv adds the fast path of associations to fakeProv, counting its calls.
type assocProv struct {
	*fakeProv
	calls int
}

func (p *assocProv) ReferencesTo(ctx context.Context, ns, assocClass string, target *cim.ObjectPath, role string) iter.Seq2[*cim.Instance, error] {
	p.calls++
	return func(yield func(*cim.Instance, error) bool) {
		for _, in := range p.insts {
			if in.ClassName == "T_DynLink" && !yield(in, nil) {
				return
			}
		}
	}
}

func TestAssociationProvider(t *testing.T) {
	f := newFixture(t)
	ap := &assocProv{fakeProv: f.prov}
	d := dispatch.New(f.store, dispatch.Options{})
	if err := d.Register(providers.Registration{Classes: []string{"T_DynLink"}, Provider: ap}); err != nil {
		t.Fatal(err)
	}
	if err := d.Register(providers.Registration{Classes: []string{"T_Dyn"}, Provider: f.prov}); err != nil {
		t.Fatal(err)
	}
	objs := objects(t, mustDo(t, d, &cim.Associators{Base: cim.Base{Namespace: ns}, ObjectName: thingPath("a"), AssocClass: "T_DynLink"}))
	if got := paths(objs); !slices.Equal(got, []string{pd1}) || ap.calls != 1 {
		t.Errorf("got %v with %d calls of ReferencesTo", got, ap.calls)
	}
	// What the provider returns is checked: d1 does not refer to b.
	objs = objects(t, mustDo(t, d, &cim.Associators{Base: cim.Base{Namespace: ns}, ObjectName: thingPath("b"), AssocClass: "T_DynLink"}))
	if len(objs) != 0 {
		t.Errorf("got %v", paths(objs))
	}
}

// An association instance is named by its references: as text (wbemcli) or as
// paths, with or without namespace.
func TestAssociationInstancePath(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name        string
		left, right any
		want        cim.Status
	}{
		{"paths", thingPath("a"), thingPath("b"), cim.StatusOK},
		{"text", `T_Thing.Id="a"`, `root/test:T_Thing.Id="b"`, cim.StatusOK},
		{"namespace in the path", &cim.ObjectPath{Namespace: "root/test", ClassName: "t_thing", Keys: []cim.KeyBinding{{Name: "id", Value: "a"}}}, thingPath("b"), cim.StatusOK},
		{"another instance", thingPath("b"), thingPath("a"), cim.StatusNotFound},
		{"bad text", `T_Thing.Id=`, thingPath("a"), cim.StatusInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := &cim.ObjectPath{ClassName: "T_Link", Keys: []cim.KeyBinding{{Name: "Left", Value: tt.left}, {Name: "Right", Value: tt.right}}}
			if got := status(t, f.d, &cim.GetInstance{Base: b, InstanceName: path}); got != tt.want {
				t.Errorf("GetInstance: %v, want %v", got, tt.want)
			}
		})
	}
	path := &cim.ObjectPath{ClassName: "T_Link", Keys: []cim.KeyBinding{{Name: "Left", Value: `T_Thing.Id="a"`}, {Name: "Right", Value: thingPath("b")}}}
	mustDo(t, f.d, &cim.DeleteInstance{Base: b, InstanceName: path})
	objs := objects(t, mustDo(t, f.d, &cim.AssociatorNames{Base: b, ObjectName: thingPath("b")}))
	if len(objs) != 0 {
		t.Errorf("associators after deleting the link: %v", paths(objs))
	}
}

// The base schema (MOF) may store references with or without namespace; both are
// found by the paths clients give (with the namespace, from the decoder, or
// without).
func TestAssociationStoredForms(t *testing.T) {
	for _, stored := range []string{ns, ""} {
		t.Run("namespace "+stored, func(t *testing.T) {
			s := loadSchema(t)
			ref := func(id string) *cim.ObjectPath {
				return &cim.ObjectPath{Namespace: stored, ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "Id", Value: id}}}
			}
			err := s.Load(func(l *repository.Loader) error {
				for _, id := range []string{"a", "b"} {
					if err := l.PutInstance(ns, &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{{Name: "Id", Type: cim.TypeString, Value: id}}}); err != nil {
						return err
					}
				}
				return l.PutInstance(ns, &cim.Instance{ClassName: "T_Link", Properties: []cim.Property{
					{Name: "Left", Type: cim.TypeReference, Value: ref("a")}, {Name: "Right", Type: cim.TypeReference, Value: ref("b")}}})
			})
			if err != nil {
				t.Fatal(err)
			}
			d := dispatch.New(s, dispatch.Options{})
			b := cim.Base{Namespace: ns}
			if got := paths(objects(t, mustDo(t, d, &cim.AssociatorNames{Base: b, ObjectName: thingPath("a")}))); !slices.Equal(got, []string{pb}) {
				t.Errorf("associators %v", got)
			}
			for _, left := range []any{thingPath("a"), `root/test:T_Thing.Id="a"`, &cim.ObjectPath{Host: "h", Namespace: "ROOT/test", ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "Id", Value: "a"}}}} {
				path := &cim.ObjectPath{ClassName: "T_Link", Keys: []cim.KeyBinding{{Name: "Left", Value: left}, {Name: "Right", Value: `T_Thing.Id="b"`}}}
				mustDo(t, d, &cim.GetInstance{Base: b, InstanceName: path})
			}
			path := &cim.ObjectPath{ClassName: "T_Link", Keys: []cim.KeyBinding{{Name: "Left", Value: thingPath("a")}, {Name: "Right", Value: thingPath("b")}}}
			// What wbemcli mi sends: every property, keys included.
			mustDo(t, d, &cim.ModifyInstance{Base: b, InstanceName: path, ModifiedInstance: &cim.Instance{ClassName: "T_Link",
				Properties: []cim.Property{prop("Left", thingPath("a")), prop("Right", thingPath("b")), str("Note", "n")}}})
			if got := mustDo(t, d, &cim.GetProperty{Base: b, InstanceName: path, PropertyName: "Note"}).Value; got != "n" {
				t.Errorf("Note = %#v after ModifyInstance", got)
			}
			mustDo(t, d, &cim.DeleteInstance{Base: b, InstanceName: path})
			if got := status(t, d, &cim.GetInstance{Base: b, InstanceName: path}); got != cim.StatusNotFound {
				t.Errorf("after DeleteInstance: %v", got)
			}
		})
	}
}
