package cim

import (
	"strings"
	"testing"
)

// testSchema is a hand-made Schema: a few qualifier declarations and classes.
type testSchema struct {
	quals   map[string]*QualifierType
	classes map[string]*Class
}

func (s *testSchema) QualifierType(name string) *QualifierType {
	return s.quals[strings.ToLower(name)]
}
func (s *testSchema) Class(name string) *Class { return s.classes[strings.ToLower(name)] }

func newTestSchema() *testSchema {
	s := &testSchema{quals: map[string]*QualifierType{}, classes: map[string]*Class{}}
	for _, qt := range []*QualifierType{
		{Name: "Association", Type: TypeBoolean, Scope: ScopeAssociation, Flavor: DisableOverride},
		{Name: "Abstract", Type: TypeBoolean, Scope: ScopeClass | ScopeAssociation | ScopeIndication, Flavor: Restricted},
		{Name: "Description", Type: TypeString, Scope: ScopeAny, Flavor: Translatable},
		{Name: "Key", Type: TypeBoolean, Scope: ScopeProperty | ScopeReference, Flavor: DisableOverride},
		{Name: "Override", Type: TypeString, Scope: ScopeProperty | ScopeReference | ScopeMethod, Flavor: Restricted},
		{Name: "In", Type: TypeBoolean, Scope: ScopeParameter, Flavor: DisableOverride},
		{Name: "ValueMap", Type: TypeString, IsArray: true, Scope: ScopeProperty | ScopeMethod | ScopeParameter},
	} {
		s.quals[strings.ToLower(qt.Name)] = qt
	}
	return s
}

func q(name string, v any, f Flavor) Qualifier {
	t, arr := TypeOf(v), false
	if a, ok := v.([]any); ok {
		t, arr = TypeOf(a[0]), true
	}
	return Qualifier{Name: name, Type: t, IsArray: arr, Value: v, Flavor: f}
}

func (s *testSchema) add(t *testing.T, c *Class) *Class {
	t.Helper()
	r, errs := Resolve(c, s)
	if len(errs) > 0 {
		t.Fatalf("Resolve(%s): %v", c.Name, errs)
	}
	s.classes[strings.ToLower(r.Name)] = r
	return r
}

func TestResolveInheritance(t *testing.T) {
	s := newTestSchema()
	s.add(t, &Class{
		Name:       "T_Base",
		Qualifiers: Qualifiers{q("Abstract", true, Restricted), q("Description", "base", Translatable)},
		Properties: []Property{
			{Name: "ID", Type: TypeString, Qualifiers: Qualifiers{q("Key", true, DisableOverride)}},
			{Name: "Label", Type: TypeString, Value: "x", Qualifiers: Qualifiers{q("Description", "label", Translatable)}},
		},
		Methods: []Method{{Name: "Go", ReturnType: TypeUint32, Parameters: []Parameter{
			{Name: "How", Type: TypeUint16, Qualifiers: Qualifiers{q("In", true, DisableOverride)}},
		}}},
	})
	sub := s.add(t, &Class{
		Name: "T_Sub", SuperClass: "t_base",
		Properties: []Property{
			{Name: "Label", Type: TypeString, Qualifiers: Qualifiers{q("Override", "Label", Restricted), q("Description", "new", Translatable)}},
			{Name: "Extra", Type: TypeUint8},
		},
	})
	if sub.SuperClass != "T_Base" {
		t.Errorf("SuperClass = %q, want the declared spelling T_Base", sub.SuperClass)
	}
	if sub.Qualifiers.Has("Abstract") {
		t.Error("Abstract (Restricted) propagated to the subclass")
	}
	if d := sub.Qualifiers.Get("Description"); d == nil || !d.Propagated || d.Value != "base" {
		t.Errorf("class Description = %+v, want propagated \"base\"", d)
	}
	want := []struct {
		name, origin string
		propagated   bool
	}{{"ID", "T_Base", true}, {"Label", "T_Sub", false}, {"Extra", "T_Sub", false}}
	if len(sub.Properties) != len(want) {
		t.Fatalf("properties = %d, want %d", len(sub.Properties), len(want))
	}
	for i, w := range want {
		p := sub.Properties[i]
		if p.Name != w.name || p.ClassOrigin != w.origin || p.Propagated != w.propagated {
			t.Errorf("property %d = %s origin %s propagated %v, want %s %s %v", i, p.Name, p.ClassOrigin, p.Propagated, w.name, w.origin, w.propagated)
		}
	}
	label := sub.Property("label")
	if label.Value != "x" {
		t.Errorf("overriding Label without a default: value %v, want the inherited \"x\"", label.Value)
	}
	if d := label.Qualifiers.Get("Description"); d == nil || d.Propagated || d.Value != "new" {
		t.Errorf("Label Description = %+v, want local \"new\"", d)
	}
	if !sub.Property("ID").IsKey() || len(sub.KeyNames()) != 1 {
		t.Errorf("keys = %v, want [ID]", sub.KeyNames())
	}
	m := sub.Method("GO")
	if m == nil || !m.Propagated || m.ClassOrigin != "T_Base" || !m.Parameter("how").Qualifiers.IsTrue("In") {
		t.Errorf("inherited method = %+v", m)
	}
	if !m.Parameter("How").Qualifiers.Get("In").Propagated {
		t.Error("parameter qualifier of an inherited method not marked propagated")
	}
}

func TestResolveErrors(t *testing.T) {
	s := newTestSchema()
	s.add(t, &Class{Name: "T_Thing", Properties: []Property{
		{Name: "ID", Type: TypeString, Qualifiers: Qualifiers{q("Key", true, DisableOverride)}},
	}})
	s.add(t, &Class{Name: "T_Link", Qualifiers: Qualifiers{q("Association", true, DisableOverride)}, Properties: []Property{
		{Name: "A", Type: TypeReference, ReferenceClass: "T_Thing", Qualifiers: Qualifiers{q("Key", true, DisableOverride)}},
	}})
	tests := []struct {
		name  string
		class *Class
		want  SchemaError
	}{
		{"unknown superclass", &Class{Name: "T_X", SuperClass: "T_None"},
			SchemaError{Part: "superclass", Msg: "superclass T_None is not defined"}},
		{"undeclared qualifier", &Class{Name: "T_X", Qualifiers: Qualifiers{q("Colour", "red", 0)}},
			SchemaError{Qualifier: "Colour", Msg: "qualifier Colour is not declared"}},
		{"scope", &Class{Name: "T_X", Qualifiers: Qualifiers{q("Key", true, DisableOverride)}},
			SchemaError{Qualifier: "Key", Msg: "qualifier Key may not be used on a class (scope: property, reference)"}},
		{"qualifier type", &Class{Name: "T_X", Properties: []Property{{Name: "P", Type: TypeString, Qualifiers: Qualifiers{q("ValueMap", "1", 0)}}}},
			SchemaError{Property: "P", Qualifier: "ValueMap", Msg: "qualifier ValueMap has type string, declared string[]"}},
		{"duplicate property", &Class{Name: "T_X", Properties: []Property{{Name: "P", Type: TypeString}, {Name: "p", Type: TypeUint8}}},
			SchemaError{Property: "p", Msg: "property p is defined twice"}},
		{"reference outside association", &Class{Name: "T_X", Properties: []Property{{Name: "R", Type: TypeReference, ReferenceClass: "T_Thing"}}},
			SchemaError{Property: "R", Msg: "reference R is only allowed in an association, and T_X is not one"}},
		{"unknown reference class", &Class{Name: "T_X", Qualifiers: Qualifiers{q("Association", true, DisableOverride)}, Properties: []Property{{Name: "R", Type: TypeReference, ReferenceClass: "T_Gone"}}},
			SchemaError{Property: "R", Part: "type", Msg: "class T_Gone of the reference is not defined"}},
		{"key override", &Class{Name: "T_X", SuperClass: "T_Thing", Properties: []Property{{Name: "ID", Type: TypeString, Qualifiers: Qualifiers{q("Override", "ID", Restricted), q("Key", false, DisableOverride)}}}},
			SchemaError{Property: "ID", Qualifier: "Key", Msg: "qualifier Key cannot be overridden: its flavor is DisableOverride"}},
		{"new key", &Class{Name: "T_X", SuperClass: "T_Thing", Properties: []Property{{Name: "K2", Type: TypeString, Qualifiers: Qualifiers{q("Key", true, DisableOverride)}}}},
			SchemaError{Property: "K2", Qualifier: "Key", Msg: "key property K2 cannot be added: superclass T_Thing already has keys"}},
		{"redefine without Override", &Class{Name: "T_X", SuperClass: "T_Thing", Properties: []Property{{Name: "id", Type: TypeString}}},
			SchemaError{Property: "id", Msg: "property id is inherited from T_Thing: redefining it needs Override"}},
		{"reference narrowing to a non-subclass", &Class{Name: "T_X", SuperClass: "T_Link", Properties: []Property{{Name: "A", Type: TypeReference, ReferenceClass: "T_Link", Qualifiers: Qualifiers{q("Override", "A", Restricted)}}}},
			SchemaError{Property: "A", Msg: "reference A overrides T_Link.A of class T_Thing with class T_Link, which is not a subclass of it"}},
		{"association from non-association", &Class{Name: "T_X", SuperClass: "T_Thing", Qualifiers: Qualifiers{q("Association", true, DisableOverride)}},
			SchemaError{Qualifier: "Association", Msg: "an association cannot be derived from T_Thing, which is not an association"}},
		{"default type", &Class{Name: "T_X", Properties: []Property{{Name: "N", Type: TypeUint8, Value: "3"}}},
			SchemaError{Property: "N", Msg: "default value of N: want a uint8 value, have string"}},
		{"invalid name", &Class{Name: "9Lives"},
			SchemaError{Msg: `invalid class name "9Lives"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, errs := Resolve(tc.class, s)
			if r != nil || len(errs) == 0 {
				t.Fatalf("Resolve = %v, %v; want an error", r, errs)
			}
			want := tc.want
			want.Class = tc.class.Name
			found := false
			for _, e := range errs {
				if *e == want {
					found = true
				}
			}
			if !found {
				t.Errorf("errors = %v\nwant %+v", errs, want)
			}
		})
	}
}
