package cim

import "testing"

func TestParseDatetime(t *testing.T) {
	good := []string{
		"20261123121500.000000+060",
		"20261123121500.000000-300",
		"00000001020304.000000:000",
		"2026**********.******+000",
	}
	for _, s := range good {
		d, err := ParseDatetime(s)
		if err != nil || string(d) != s {
			t.Errorf("ParseDatetime(%q) = %q, %v", s, d, err)
		}
	}
	if d, _ := ParseDatetime(good[2]); !d.IsInterval() {
		t.Errorf("%q is an interval", good[2])
	}
	bad := []string{
		"2026-11-23",
		"20261323121500.000000+060", // month 13
		"20261123121500,000000+060",
		"20261123121500.000000*060",
		"00000001250304.000000:000", // hour 25
		"00000001020304.000000:001",
		"2026112312150a.000000+060",
	}
	for _, s := range bad {
		if _, err := ParseDatetime(s); err == nil {
			t.Errorf("ParseDatetime(%q) accepted", s)
		}
	}
}

func TestCheckValue(t *testing.T) {
	tests := []struct {
		t       Type
		isArray bool
		v       any
		ok      bool
	}{
		{TypeUint32, false, uint32(1), true},
		{TypeUint32, false, int32(1), false},
		{TypeString, true, []any{"a", nil}, true},
		{TypeString, true, "a", false},
		{TypeString, false, []any{"a"}, false},
		{TypeReference, false, &ObjectPath{ClassName: "X"}, true},
		{TypeString, false, &Instance{ClassName: "X"}, true},
		{TypeDatetime, false, Datetime("20261123121500.000000+060"), true},
		{TypeChar16, false, Char16('x'), true},
		{TypeBoolean, false, nil, true},
	}
	for _, tc := range tests {
		if err := CheckValue(tc.t, tc.isArray, tc.v); (err == nil) != tc.ok {
			t.Errorf("CheckValue(%s, %v, %#v) = %v, want ok=%v", tc.t, tc.isArray, tc.v, err, tc.ok)
		}
	}
}

func TestObjectPath(t *testing.T) {
	tests := []struct {
		in, canonical string
	}{
		{`root/cimv2:CIM_Foo.Name="x",Count=3`, `root/cimv2:CIM_Foo.Count=3,Name="x"`},
		{`//host/root/cimv2:CIM_Foo.B=TRUE`, `//host/root/cimv2:CIM_Foo.B=TRUE`},
		{`CIM_Foo`, `CIM_Foo`},
		{`CIM_Foo.Name="a \"q\" \\ b"`, `CIM_Foo.Name="a \"q\" \\ b"`},
		{`/interop:CIM_X.N=-5`, `interop:CIM_X.N=-5`},
	}
	for _, tc := range tests {
		p, err := ParseObjectPath(tc.in)
		if err != nil {
			t.Errorf("ParseObjectPath(%q): %v", tc.in, err)
			continue
		}
		if got := p.String(); got != tc.canonical {
			t.Errorf("ParseObjectPath(%q).String() = %q, want %q", tc.in, got, tc.canonical)
		}
		back, err := ParseObjectPath(p.String())
		if err != nil || !back.Equal(p) {
			t.Errorf("round trip of %q: %v, %v", tc.in, back, err)
		}
	}
	a, _ := ParseObjectPath(`ROOT/CIMV2:cim_foo.NAME="x",count=3`)
	b := &ObjectPath{Namespace: "root/cimv2", ClassName: "CIM_Foo", Keys: []KeyBinding{{"Count", uint32(3)}, {"Name", "x"}}}
	if !a.Equal(b) {
		t.Errorf("%v and %v should be equal (case, key order, number types)", a, b)
	}
	c := &ObjectPath{Namespace: "root/cimv2", ClassName: "CIM_Foo", Keys: []KeyBinding{{"Count", uint32(3)}, {"Name", "X"}}}
	if a.Equal(c) {
		t.Errorf("string keys compare case-sensitively: %v = %v", a, c)
	}
	for _, bad := range []string{`//host`, `ns:9Bad`, `CIM_Foo.Name="x`, `CIM_Foo.Name=x y`, `CIM_Foo.=3`} {
		if _, err := ParseObjectPath(bad); err == nil {
			t.Errorf("ParseObjectPath(%q) accepted", bad)
		}
	}
}
