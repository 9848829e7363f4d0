package cimxml

import (
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// between returns the text of s from the first open to the last close, inclusive.
func between(t *testing.T, s, open, close string) string {
	t.Helper()
	i, j := strings.Index(s, open), strings.LastIndex(s, close)
	if i < 0 || j < i {
		t.Fatalf("no %s…%s in %s", open, close, s)
	}
	return s[i : j+len(close)]
}

// TestRoundTripClass encodes a class as GetClass returns it and decodes it as the
// NewClass of a CreateClass: the local elements come back, the inherited ones not.
func TestRoundTripClass(t *testing.T) {
	doc := encode(t, ireq(&cim.GetClass{Base: base, ClassName: "TST_Person",
		ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}}), &cim.Result{Class: testClass()}, nil)
	req := mustDecode(t, call("CreateClass", ip("NewClass", between(t, doc, "<CLASS ", "</CLASS>"))))
	if req.Err != nil {
		t.Fatal(req.Err)
	}
	got := req.Op.(*cim.CreateClass).NewClass

	want := testClass()
	local := &cim.Class{Name: want.Name, SuperClass: want.SuperClass, Qualifiers: want.Qualifiers.Local()}
	for _, p := range want.Properties {
		if !p.Propagated {
			p.ClassOrigin = ""
			local.Properties = append(local.Properties, p)
		}
	}
	for _, m := range want.Methods {
		if !m.Propagated {
			m.ClassOrigin = ""
			local.Methods = append(local.Methods, m)
		}
	}
	if !deepEqual(got, local) {
		t.Errorf("class =\n%#v\nwant\n%#v", got, local)
	}
}

// TestRoundTripInstance encodes an instance as GetInstance returns it and decodes it
// as the NewInstance of a CreateInstance.
func TestRoundTripInstance(t *testing.T) {
	in := testInstance()
	for i := range in.Properties {
		p := &in.Properties[i]
		switch p.Name {
		case "Name":
			p.Value = "Alice & Bob's\t<x>\r\n ünï"
			p.ClassOrigin = ""
		case "Weights":
			p.Value = []any{0.1, 3.0, -1e-300, 1e300}
		}
	}
	doc := encode(t, ireq(&cim.GetInstance{Base: base, InstanceName: personPath("Alice")}), &cim.Result{Instance: in}, nil)
	req := mustDecode(t, call("CreateInstance", ip("NewInstance", between(t, doc, "<INSTANCE ", "</INSTANCE>"))))
	if req.Err != nil {
		t.Fatal(req.Err)
	}
	got := req.Op.(*cim.CreateInstance).NewInstance

	want := testInstance()
	for i := range want.Properties {
		p := &want.Properties[i]
		switch p.Name {
		case "Name":
			// A CR LF pair is read back as LF, as XML requires.
			p.Value = "Alice & Bob's\t<x>\n ünï"
			p.ClassOrigin = ""
		case "Weights":
			p.Value = []any{0.1, 3.0, -1e-300, 1e300}
		case "Boss":
			p.Value.(*cim.ObjectPath).Host = host
		}
	}
	if !deepEqual(got, want) {
		t.Errorf("instance =\n%#v\nwant\n%#v", got, want)
		for i := range got.Properties {
			if i < len(want.Properties) && !deepEqual(got.Properties[i], want.Properties[i]) {
				t.Errorf("property %d = %#v, want %#v", i, got.Properties[i], want.Properties[i])
			}
		}
	}
}

// TestRoundTripQualifierType encodes a declaration as GetQualifier returns it and
// decodes it as the QualifierDeclaration of a SetQualifier.
func TestRoundTripQualifierType(t *testing.T) {
	for _, qt := range []*cim.QualifierType{
		{Name: "ValueMap", Type: cim.TypeString, IsArray: true, Scope: cim.ScopeProperty | cim.ScopeMethod, Default: []any{"x", nil},
			Flavor: cim.DisableOverride | cim.Restricted | cim.Translatable},
		{Name: "MaxLen", Type: cim.TypeUint32, Scope: cim.ScopeAny, Default: uint32(3), Flavor: cim.ToInstance},
		{Name: "Fixed", Type: cim.TypeSint8, IsArray: true, ArraySize: 4, Scope: cim.ScopeClass},
	} {
		doc := encode(t, ireq(&cim.GetQualifier{Base: base, QualifierName: qt.Name}), &cim.Result{QualifierType: qt}, nil)
		req := mustDecode(t, call("SetQualifier", ip("QualifierDeclaration", between(t, doc, "<QUALIFIER.DECLARATION ", "</QUALIFIER.DECLARATION>"))))
		if req.Err != nil {
			t.Fatal(req.Err)
		}
		if got := req.Op.(*cim.SetQualifier).QualifierDeclaration; !deepEqual(got, qt) {
			t.Errorf("qualifier type = %#v, want %#v", got, qt)
		}
	}
}
