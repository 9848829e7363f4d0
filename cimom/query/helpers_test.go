package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// testSchema is a small class tree: Test_Thing (a Test_Base, a CIM_ManagedElement)
// with a property of every CIM type, and Test_Sub (a Test_Embedded) for its
// embedded instance.
func testSchema() map[string]*cim.Class {
	prop := func(name string, t cim.Type, isArray bool, qs ...cim.Qualifier) cim.Property {
		return cim.Property{Name: name, Type: t, IsArray: isArray, Qualifiers: qs}
	}
	embedded := cim.Qualifier{Name: "EmbeddedInstance", Type: cim.TypeString, Value: "Test_Embedded"}
	embObj := cim.Qualifier{Name: "EmbeddedObject", Type: cim.TypeBoolean, Value: true}
	classes := []*cim.Class{
		{Name: "CIM_ManagedElement", Properties: []cim.Property{prop("Caption", cim.TypeString, false)}},
		{Name: "Test_Base", SuperClass: "CIM_ManagedElement", Properties: []cim.Property{prop("Caption", cim.TypeString, false)}},
		{Name: "Test_Thing", SuperClass: "Test_Base", Properties: []cim.Property{
			prop("Caption", cim.TypeString, false),
			prop("B", cim.TypeBoolean, false),
			prop("U8", cim.TypeUint8, false), prop("S8", cim.TypeSint8, false),
			prop("U16", cim.TypeUint16, false), prop("S16", cim.TypeSint16, false),
			prop("U32", cim.TypeUint32, false), prop("S32", cim.TypeSint32, false),
			prop("U64", cim.TypeUint64, false), prop("S64", cim.TypeSint64, false),
			prop("R32", cim.TypeReal32, false), prop("R64", cim.TypeReal64, false),
			prop("C16", cim.TypeChar16, false),
			prop("Str", cim.TypeString, false), prop("Empty", cim.TypeString, false),
			prop("NullStr", cim.TypeString, false), prop("NullU32", cim.TypeUint32, false),
			prop("DT", cim.TypeDatetime, false), prop("DT2", cim.TypeDatetime, false),
			prop("Iv", cim.TypeDatetime, false), prop("Wild", cim.TypeDatetime, false),
			{Name: "Ref", Type: cim.TypeReference, ReferenceClass: "Test_Other"},
			prop("Emb", cim.TypeString, false, embedded),
			prop("Obj", cim.TypeString, false, embObj),
			prop("IntArr", cim.TypeUint32, true), prop("IntArr2", cim.TypeSint64, true),
			prop("StrArr", cim.TypeString, true), prop("EmptyArr", cim.TypeUint32, true),
			prop("NullArr", cim.TypeUint32, true), prop("BoolArr", cim.TypeBoolean, true),
			prop("DTArr", cim.TypeDatetime, true),
		}},
		{Name: "Test_Other", Properties: []cim.Property{prop("Id", cim.TypeString, false, cim.Qualifier{Name: "Key", Type: cim.TypeBoolean, Value: true})}},
		{Name: "Test_Embedded", Properties: []cim.Property{prop("Name", cim.TypeString, false), prop("N", cim.TypeUint32, false)}},
		{Name: "Test_Sub", SuperClass: "Test_Embedded", Properties: []cim.Property{prop("Name", cim.TypeString, false), prop("N", cim.TypeUint32, false), prop("Extra", cim.TypeString, false)}},
	}
	m := map[string]*cim.Class{}
	for _, c := range classes {
		m[strings.ToLower(c.Name)] = c
	}
	return m
}

func testLookup() func(string) *cim.Class {
	s := testSchema()
	return func(name string) *cim.Class { return s[strings.ToLower(name)] }
}

// testInstance is a Test_Thing with a value of every type, NULLs and arrays.
func testInstance() *cim.Instance {
	return &cim.Instance{ClassName: "Test_Thing", Properties: []cim.Property{
		{Name: "Caption", Type: cim.TypeString, Value: "thing"},
		{Name: "B", Type: cim.TypeBoolean, Value: true},
		{Name: "U8", Type: cim.TypeUint8, Value: uint8(200)},
		{Name: "S8", Type: cim.TypeSint8, Value: int8(-5)},
		{Name: "U16", Type: cim.TypeUint16, Value: uint16(65535)},
		{Name: "S16", Type: cim.TypeSint16, Value: int16(-300)},
		{Name: "U32", Type: cim.TypeUint32, Value: uint32(7)},
		{Name: "S32", Type: cim.TypeSint32, Value: int32(-7)},
		{Name: "U64", Type: cim.TypeUint64, Value: uint64(18446744073709551615)},
		{Name: "S64", Type: cim.TypeSint64, Value: int64(-9223372036854775808)},
		{Name: "R32", Type: cim.TypeReal32, Value: float32(20.9)},
		{Name: "R64", Type: cim.TypeReal64, Value: float64(2.5)},
		{Name: "C16", Type: cim.TypeChar16, Value: cim.Char16('x')},
		{Name: "Str", Type: cim.TypeString, Value: "Hello World"},
		{Name: "Empty", Type: cim.TypeString, Value: ""},
		{Name: "NullStr", Type: cim.TypeString},
		{Name: "NullU32", Type: cim.TypeUint32},
		// 12:00 at +60 minutes is 11:00 UTC.
		{Name: "DT", Type: cim.TypeDatetime, Value: cim.Datetime("20260101120000.000000+060")},
		{Name: "DT2", Type: cim.TypeDatetime, Value: cim.Datetime("20260101110000.000000+000")},
		{Name: "Iv", Type: cim.TypeDatetime, Value: cim.Datetime("00000001000000.000000:000")},
		{Name: "Wild", Type: cim.TypeDatetime, Value: cim.Datetime("2026010112****.******+060")},
		{Name: "Ref", Type: cim.TypeReference, Value: &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Test_Other",
			Keys: []cim.KeyBinding{{Name: "Id", Value: "a"}}}},
		{Name: "Emb", Type: cim.TypeString, Value: &cim.Instance{ClassName: "Test_Sub", Properties: []cim.Property{
			{Name: "Name", Type: cim.TypeString, Value: "inner"},
			{Name: "N", Type: cim.TypeUint32, Value: uint32(3)},
		}}},
		{Name: "Obj", Type: cim.TypeString},
		{Name: "IntArr", Type: cim.TypeUint32, IsArray: true, Value: []any{uint32(4), uint32(5), uint32(7)}},
		{Name: "IntArr2", Type: cim.TypeSint64, IsArray: true, Value: []any{int64(4), int64(5), int64(7)}},
		{Name: "StrArr", Type: cim.TypeString, IsArray: true, Value: []any{"zero", "one", nil}},
		{Name: "EmptyArr", Type: cim.TypeUint32, IsArray: true, Value: []any{}},
		{Name: "NullArr", Type: cim.TypeUint32, IsArray: true},
		{Name: "BoolArr", Type: cim.TypeBoolean, IsArray: true, Value: []any{true, false}},
		{Name: "DTArr", Type: cim.TypeDatetime, IsArray: true, Value: []any{
			cim.Datetime("19991224120000.000000+360"), cim.Datetime("20131224120000.000000+360")}},
	}}
}

// wantCode checks that err is a *cim.Error with code, and returns it.
func wantCode(t *testing.T, err error, code cim.Status) *cim.Error {
	t.Helper()
	var ce *cim.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T): want a *cim.Error", err, err)
	}
	if ce.Code != code {
		t.Fatalf("error %v: want code %v", err, code)
	}
	return ce
}
