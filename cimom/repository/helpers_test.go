package repository

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The Sink of mof/compile and the Lookup it compiles against, as that package
// declares them (the repository does not import it).
var (
	_ interface {
		PutQualifierType(ns string, qt *cim.QualifierType) error
		PutClass(ns string, c *cim.Class) error
		PutInstance(ns string, inst *cim.Instance) error
	} = (*Store)(nil)
	_ interface {
		QualifierType(ns, name string) *cim.QualifierType
		Class(ns, name string) *cim.Class
	} = (*Store)(nil)
)

func boolQ(name string) cim.Qualifier {
	return cim.Qualifier{Name: name, Type: cim.TypeBoolean, Value: true}
}

var keyQ = boolQ("Key")

func prop(name string, t cim.Type, quals ...cim.Qualifier) cim.Property {
	return cim.Property{Name: name, Type: t, Qualifiers: quals}
}

func ref(name, class string, quals ...cim.Qualifier) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeReference, ReferenceClass: class, Qualifiers: quals}
}

// class builds a resolved class: the properties of super, propagated, then its own.
func class(name string, super *cim.Class, quals cim.Qualifiers, own ...cim.Property) *cim.Class {
	c := &cim.Class{Name: name, Qualifiers: quals}
	if super != nil {
		c.SuperClass = super.Name
		for _, p := range super.Properties {
			p.Propagated = true
			c.Properties = append(c.Properties, p)
		}
		for _, q := range super.Qualifiers {
			if q.Name == "Association" {
				q.Propagated = true
				c.Qualifiers = append(c.Qualifiers, q)
			}
		}
	}
	for _, p := range own {
		p.ClassOrigin = name
		c.Properties = append(c.Properties, p)
	}
	return c
}

func inst(className string, props ...cim.Property) *cim.Instance {
	return &cim.Instance{ClassName: className, Properties: props}
}

func val(name string, t cim.Type, v any) cim.Property {
	return cim.Property{Name: name, Type: t, Value: v}
}

const ns = "root/test"

// testSchema is a small base schema in namespace ns, in definition order:
//
//	Base (abstract; key Id)
//	├── A
//	│   ├── A1
//	│   │   └── A11
//	│   └── A2
//	└── B
//	Other (key Name)
//	Assoc (association: X REF Base, Y REF Other)
//	└── SubAssoc (adds Z REF A1)
//	AssocA (association: R REF A)
type testSchema struct {
	quals                                    []*cim.QualifierType
	Base, A, A1, A11, A2, B, Other           *cim.Class
	Assoc, SubAssoc, AssocA                  *cim.Class
	classes                                  []*cim.Class
	instA, instA1, instA11, instB, instOther *cim.Instance
	instances                                []*cim.Instance
}

func newTestSchema() *testSchema {
	s := &testSchema{}
	for _, n := range []string{"Key", "Abstract", "Association", "Description"} {
		t, sc := cim.TypeBoolean, cim.ScopeAny
		if n == "Description" {
			t = cim.TypeString
		}
		s.quals = append(s.quals, &cim.QualifierType{Name: n, Type: t, Scope: sc})
	}
	assoc := cim.Qualifiers{boolQ("Association")}
	s.Base = class("Base", nil, cim.Qualifiers{boolQ("Abstract")}, prop("Id", cim.TypeString, keyQ))
	s.A = class("A", s.Base, nil, prop("PA", cim.TypeUint32))
	s.A1 = class("A1", s.A, nil, prop("PA1", cim.TypeString))
	s.A11 = class("A11", s.A1, nil)
	s.A2 = class("A2", s.A, nil)
	s.B = class("B", s.Base, nil)
	s.Other = class("Other", nil, nil, prop("Name", cim.TypeString, keyQ))
	s.Assoc = class("Assoc", nil, assoc, ref("X", "Base", keyQ), ref("Y", "Other", keyQ))
	s.SubAssoc = class("SubAssoc", s.Assoc, nil, ref("Z", "A1"))
	s.AssocA = class("AssocA", nil, assoc, ref("R", "A", keyQ))
	s.classes = []*cim.Class{s.Base, s.A, s.A1, s.A11, s.A2, s.B, s.Other, s.Assoc, s.SubAssoc, s.AssocA}

	s.instA = inst("A", val("Id", cim.TypeString, "a"), val("PA", cim.TypeUint32, uint32(7)))
	s.instA1 = inst("A1", val("Id", cim.TypeString, "a1"))
	s.instA11 = inst("A11", val("Id", cim.TypeString, "a11"))
	s.instB = inst("B", val("Id", cim.TypeString, "b"))
	s.instOther = inst("Other", val("Name", cim.TypeString, "o"))
	s.instances = []*cim.Instance{s.instA, s.instA1, s.instA11, s.instB, s.instOther}
	return s
}

// load puts the schema into st as its base schema.
func (sc *testSchema) load(t testing.TB, st *Store) {
	t.Helper()
	for _, q := range sc.quals {
		if err := st.PutQualifierType(ns, q); err != nil {
			t.Fatalf("PutQualifierType(%s): %v", q.Name, err)
		}
	}
	for _, c := range sc.classes {
		if err := st.PutClass(ns, c); err != nil {
			t.Fatalf("PutClass(%s): %v", c.Name, err)
		}
	}
	for _, in := range sc.instances {
		if err := st.PutInstance(ns, in); err != nil {
			t.Fatalf("PutInstance(%s): %v", in.ClassName, err)
		}
	}
}

func loaded(t testing.TB) (*Store, *testSchema) {
	sc := newTestSchema()
	st := New()
	sc.load(t, st)
	return st, sc
}

func classNames(cs []*cim.Class) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func instIDs(ins []*cim.Instance) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		if p := in.Property("Id"); p != nil {
			out[i] = fmt.Sprint(p.Value)
		} else if p := in.Property("Name"); p != nil {
			out[i] = fmt.Sprint(p.Value)
		}
	}
	return out
}

func path(class string, keys ...any) *cim.ObjectPath {
	p := &cim.ObjectPath{ClassName: class}
	for i := 0; i+1 < len(keys); i += 2 {
		p.Keys = append(p.Keys, cim.KeyBinding{Name: keys[i].(string), Value: keys[i+1]})
	}
	return p
}

// wantErr checks that err matches want (nil: no error).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s = %v, want no error", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s = %v, want an error matching %v", what, err, want)
	}
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }
