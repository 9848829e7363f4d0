package cimxml

import (
	"math"
	"strconv"

	"github.com/shypecim/shypecim/cimom/cim"
)

// testClass is a resolved class with every kind of element, some inherited.
func testClass() *cim.Class {
	return &cim.Class{
		Name: "TST_Person", SuperClass: "CIM_ManagedElement",
		Qualifiers: cim.Qualifiers{
			{Name: "Description", Type: cim.TypeString, Value: `A "person" & <friends>`, Flavor: cim.Translatable},
			{Name: "Version", Type: cim.TypeString, Value: "2.0", Flavor: cim.Restricted | cim.Translatable, Propagated: true},
		},
		Properties: []cim.Property{
			{Name: "Caption", Type: cim.TypeString, ClassOrigin: "CIM_ManagedElement", Propagated: true,
				Qualifiers: cim.Qualifiers{{Name: "MaxLen", Type: cim.TypeUint32, Value: uint32(64), Propagated: true}}},
			{Name: "Name", Type: cim.TypeString, ClassOrigin: "TST_Person",
				Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride}}},
			{Name: "Age", Type: cim.TypeUint32, ClassOrigin: "TST_Person", Value: uint32(18)},
			{Name: "Nick", Type: cim.TypeString, IsArray: true, ArraySize: 3, ClassOrigin: "TST_Person",
				Qualifiers: cim.Qualifiers{{Name: "ValueMap", Type: cim.TypeString, IsArray: true, Value: []any{"a", "b"}}}},
			{Name: "Boss", Type: cim.TypeReference, ReferenceClass: "TST_Person", ClassOrigin: "TST_Person"},
			{Name: "Card", Type: cim.TypeString, ClassOrigin: "TST_Person",
				Qualifiers: cim.Qualifiers{{Name: "EmbeddedInstance", Type: cim.TypeString, Value: "TST_Card"}}},
		},
		Methods: []cim.Method{
			{Name: "Ping", ReturnType: cim.TypeUint32, ClassOrigin: "TST_Person",
				Qualifiers: cim.Qualifiers{{Name: "Static", Type: cim.TypeBoolean, Value: true}},
				Parameters: []cim.Parameter{
					{Name: "Count", Type: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "In", Type: cim.TypeBoolean, Value: true}}},
					{Name: "Who", Type: cim.TypeReference, ReferenceClass: "TST_Person"},
					{Name: "Msgs", Type: cim.TypeString, IsArray: true},
					{Name: "Them", Type: cim.TypeReference, ReferenceClass: "TST_Person", IsArray: true, ArraySize: 2},
				}},
			{Name: "Describe", ReturnType: cim.TypeString, ClassOrigin: "CIM_ManagedElement", Propagated: true},
		},
	}
}

func card() *cim.Instance {
	return &cim.Instance{ClassName: "TST_Card", Properties: []cim.Property{
		{Name: "Text", Type: cim.TypeString, Value: `say "hi" <b>`},
	}}
}

// testInstance has NULLs, arrays with NULLs, a reference and an embedded instance.
func testInstance() *cim.Instance {
	return &cim.Instance{ClassName: "TST_Person", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Value: "Alice & Bob's\t<x>\x01", ClassOrigin: "TST_Person"},
		{Name: "Age", Type: cim.TypeUint32, Value: uint32(42)},
		{Name: "Nick", Type: cim.TypeString, IsArray: true, Value: []any{"al", nil, "ally"}},
		{Name: "Empty", Type: cim.TypeSint8, IsArray: true, Value: []any{}},
		{Name: "Missing", Type: cim.TypeDatetime},
		{Name: "Born", Type: cim.TypeDatetime, Value: cim.Datetime("19800131235959.000000+060")},
		{Name: "Initial", Type: cim.TypeChar16, Value: cim.Char16('<')},
		{Name: "Weights", Type: cim.TypeReal64, IsArray: true, Value: []any{0.1, 3.0, math.Inf(-1), math.NaN(), 1e300}},
		{Name: "Ratio", Type: cim.TypeReal32, Value: float32(0.1)},
		{Name: "Flags", Type: cim.TypeBoolean, IsArray: true, Value: []any{true, false}},
		{Name: "Small", Type: cim.TypeSint64, Value: int64(math.MinInt64)},
		{Name: "Boss", Type: cim.TypeReference, Value: &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "TST_Person",
			Keys: []cim.KeyBinding{{Name: "Name", Value: "Carol"}}}},
		{Name: "Card", Type: cim.TypeString, Value: card()},
	}}
}

func personPath(name string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "TST_Person", Keys: []cim.KeyBinding{{Name: "Name", Value: name}}}
}

// bigClass is a class of n properties with qualifiers, as DMTF classes have.
func bigClass(n int) *cim.Class {
	c := &cim.Class{Name: "CIM_Big", SuperClass: "CIM_Base", Qualifiers: cim.Qualifiers{
		{Name: "Description", Type: cim.TypeString, Value: "A class with many properties, as the DMTF schema has them."},
		{Name: "Version", Type: cim.TypeString, Value: "2.49.0", Flavor: cim.Restricted | cim.Translatable},
	}}
	types := []cim.Type{cim.TypeString, cim.TypeUint16, cim.TypeBoolean, cim.TypeDatetime, cim.TypeUint64}
	for i := 0; i < n; i++ {
		t := types[i%len(types)]
		p := cim.Property{Name: "Property" + strconv.Itoa(i), Type: t, ClassOrigin: "CIM_Big", Propagated: i%3 == 0,
			Qualifiers: cim.Qualifiers{
				{Name: "Description", Type: cim.TypeString, Value: "Property " + strconv.Itoa(i) + " describes something <important> about the element & its state."},
				{Name: "ModelCorrespondence", Type: cim.TypeString, IsArray: true, Value: []any{"CIM_Other.Property", "CIM_Else.Thing"}},
			}}
		if t == cim.TypeUint16 {
			p.IsArray = true
			p.Qualifiers = append(p.Qualifiers,
				cim.Qualifier{Name: "ValueMap", Type: cim.TypeString, IsArray: true, Value: []any{"0", "1", "2", "3", "..", "32768..65535"}},
				cim.Qualifier{Name: "Values", Type: cim.TypeString, IsArray: true, Value: []any{"Unknown", "Other", "OK", "Degraded", "DMTF Reserved", "Vendor Reserved"}})
		}
		if i == 0 {
			p.Qualifiers = append(p.Qualifiers, cim.Qualifier{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride})
		}
		c.Properties = append(c.Properties, p)
	}
	return c
}
