package printer

import (
	"bytes"
	"math"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestValue(t *testing.T) {
	path := &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "CIM_X", Keys: []cim.KeyBinding{{Name: "Name", Value: `a"b`}}}
	tests := []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{true, "true"},
		{uint8(255), "255"},
		{int64(math.MinInt64), "-9223372036854775808"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{float64(2), "2.0"},
		{float64(-1.5e-300), "-1.5e-300"},
		{float32(0.1), "0.1"},
		{float64(1e21), "1.0e+21"},
		{"tab\tquote\"back\\slash\x01", `"tab\tquote\"back\\slash\x0001"`},
		{"Grüße", `"Grüße"`},
		{cim.Char16('\''), `'\''`},
		{cim.Datetime("20261123121500.000000+060"), `"20261123121500.000000+060"`},
		{path, `"root/cimv2:CIM_X.Name=\"a\\\"b\""`},
		{[]any{"a", nil, "c"}, `{"a", null, "c"}`},
		{[]any{}, `{}`},
	}
	for _, tc := range tests {
		if got := Value(tc.v); got != tc.want {
			t.Errorf("Value(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestClassLocalAndResolved(t *testing.T) {
	c := &cim.Class{
		Name: "T_Sub", SuperClass: "T_Base",
		Qualifiers: cim.Qualifiers{
			{Name: "Description", Type: cim.TypeString, Value: "sub", Flavor: cim.Translatable},
			{Name: "Version", Type: cim.TypeString, Value: "1", Flavor: cim.Restricted | cim.Translatable, Propagated: true},
		},
		Properties: []cim.Property{
			{Name: "ID", Type: cim.TypeString, ClassOrigin: "T_Base", Propagated: true,
				Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride, Propagated: true}}},
			{Name: "Link", Type: cim.TypeReference, ReferenceClass: "T_Base", ClassOrigin: "T_Sub"},
			{Name: "Sizes", Type: cim.TypeUint16, IsArray: true, ArraySize: 2, ClassOrigin: "T_Sub", Value: []any{uint16(1), uint16(2)}},
		},
		Methods: []cim.Method{{Name: "Go", ReturnType: cim.TypeUint32, ClassOrigin: "T_Sub", Parameters: []cim.Parameter{
			{Name: "How", Type: cim.TypeString, IsArray: true, Qualifiers: cim.Qualifiers{{Name: "In", Type: cim.TypeBoolean, Value: false, Flavor: cim.DisableOverride}}},
		}}},
	}
	decls := map[string]*cim.QualifierType{"Description": {Name: "Description", Flavor: cim.Translatable}}
	var local, full bytes.Buffer
	p := New(&local, Config{QualifierType: func(n string) *cim.QualifierType { return decls[n] }})
	p.Class(c)
	p.Flush()
	wantLocal := `[Description("sub")]
class T_Sub : T_Base {
    T_Base REF Link;
    uint16 Sizes[2] = {1, 2};
    uint32 Go(
        [In(false)]
        string How[]);
};

`
	if local.String() != wantLocal {
		t.Errorf("local print:\n%s\nwant:\n%s", local.String(), wantLocal)
	}
	p = New(&full, Config{Resolved: true})
	p.Class(c)
	p.Flush()
	for _, want := range []string{
		" Version(\"1\") /* propagated */]\n",
		"    // inherited from T_Base\n    [Key /* propagated */]\n    string ID;\n",
	} {
		if !bytes.Contains(full.Bytes(), []byte(want)) {
			t.Errorf("resolved print lacks %q:\n%s", want, full.String())
		}
	}
}

func TestQualifierTypeAndInstance(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Config{})
	p.QualifierType(&cim.QualifierType{Name: "ValueMap", Type: cim.TypeString, IsArray: true, Scope: cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter})
	p.QualifierType(&cim.QualifierType{Name: "Key", Type: cim.TypeBoolean, Default: false, Scope: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.DisableOverride})
	p.QualifierType(&cim.QualifierType{Name: "Description", Type: cim.TypeString, Scope: cim.ScopeAny, Flavor: cim.Translatable})
	p.Instance(&cim.Instance{ClassName: "T_X", Properties: []cim.Property{{Name: "A", Value: "x"}, {Name: "B"}}}, "x1")
	p.Flush()
	want := `Qualifier ValueMap : string[] = null,
    Scope(property, method, parameter),
    Flavor(EnableOverride, ToSubclass);

Qualifier Key : boolean = false,
    Scope(property, reference),
    Flavor(DisableOverride, ToSubclass);

Qualifier Description : string = null,
    Scope(any),
    Flavor(EnableOverride, ToSubclass, Translatable);

instance of T_X as $x1 {
    A = "x";
};

`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
