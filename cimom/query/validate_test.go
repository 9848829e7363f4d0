package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		lang, text string
		msg        string // "" when valid
		col        int
	}{
		{"WQL", "SELECT * FROM Test_Thing", "", 0},
		{"WQL", "select u32, STR from test_thing where b = true", "", 0},
		{"WQL", "SELECT * FROM Test_Thing WHERE Emb.Name = 'x' AND Emb.N > 1", "", 0},
		{"WQL", "SELECT * FROM Test_Thing WHERE Obj.Whatever = 1", "", 0}, // EmbeddedObject: class unknown
		{"WQL", "SELECT * FROM Test_Thing WHERE DT > '20260101110000.000000+000' AND Ref = 'Test_Other.Id=\"a\"'", "", 0},
		{"WQL", "SELECT * FROM Test_Thing WHERE ANY IntArr = 5 AND IntArr[1] > 3 AND IntArr = {1, 2} AND IntArr = IntArr2", "", 0},
		{"WQL", "SELECT * FROM Test_Thing WHERE Emb ISA Test_Embedded AND Ref ISA Test_Other AND __THIS ISA X AND __CLASS ISA X", "", 0},
		{"WQL", "SELECT * FROM Test_Thing WHERE Str LIKE 'a%' AND C16 LIKE 'x' AND ANY StrArr LIKE 'a%'", "", 0},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 = NULL AND NullStr IS NULL AND U8 < R64 AND 5 > S8", "", 0},
		{"DMTF:CQL", "SELECT T.U32 FROM Test_Thing T WHERE T.Str = 'x' AND T ISA Test_Base", "", 0},

		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Emb.Test_Sub::Extra = 'x' AND Obj.Test_Sub::N = 1 AND Test_Base::Caption = 'x'", "", 0},
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Emb.No_Class::N = 1", "class No_Class does not exist", 32},
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Emb.Test_Sub::Nope = 1", "class Test_Sub has no property Nope", 32},
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Obj.Test_Sub::N = 'x'", "cannot compare Obj.N (a number)", 50},
		{"WQL", "SELECT * FROM No_Such", "class No_Such does not exist", 1},
		{"WQL", "SELECT U32, Nope FROM Test_Thing", "class Test_Thing has no property Nope", 13},
		{"WQL", "SELECT * FROM Test_Thing WHERE Nope = 1", "class Test_Thing has no property Nope", 32},
		{"WQL", "SELECT * FROM Test_Thing WHERE Emb.Nope = 1", "class Test_Embedded has no property Nope", 32},
		{"WQL", "SELECT * FROM Test_Thing WHERE Str.Name = 1", "property Str is not an embedded instance", 32},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 = 'x'", "cannot compare U32 (a number) with this literal", 38},
		{"WQL", "SELECT * FROM Test_Thing WHERE Str = 1", "cannot compare Str (a string)", 38},
		{"WQL", "SELECT * FROM Test_Thing WHERE B = 1", "cannot compare B (a boolean)", 36},
		{"WQL", "SELECT * FROM Test_Thing WHERE B < TRUE", "only = and <> compare it", 34},
		{"WQL", "SELECT * FROM Test_Thing WHERE Ref < 'Test_Other.Id=\"a\"'", "only = and <> compare it", 36},
		{"WQL", "SELECT * FROM Test_Thing WHERE DT = 'yesterday'", "'yesterday' is not a CIM datetime", 37},
		{"WQL", "SELECT * FROM Test_Thing WHERE Ref = 'a b c'", "'a b c' is not an object path", 38},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 = Str", "cannot compare U32 (a number) with Str (a string)", 36},
		{"WQL", "SELECT * FROM Test_Thing WHERE IntArr = 5", "IntArr is an array: use ANY, EVERY or an index", 39},
		{"WQL", "SELECT * FROM Test_Thing WHERE ANY U32 = 5", "ANY and EVERY need an array", 40},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32[1] = 5", "property U32 is not an array", 32},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 = {1}", "U32 is not an array", 36},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 = IntArr", "U32 is not an array", 36},
		{"WQL", "SELECT * FROM Test_Thing WHERE ANY IntArr = IntArr2", "IntArr2 is an array", 43},
		{"WQL", "SELECT * FROM Test_Thing WHERE IntArr = {1, 'x'}", "cannot compare IntArr (a number) with this literal", 45},
		{"WQL", "SELECT * FROM Test_Thing WHERE IntArr = StrArr", "cannot compare IntArr (a number) with StrArr (a string)", 39},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 LIKE 'x'", "LIKE needs a string", 36},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 ISA Test_Thing", "ISA needs an embedded instance", 36},
		{"WQL", "SELECT * FROM Test_Thing WHERE Emb < 'x'", "cannot compare Emb (an embedded object) with this literal", 38},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 = 1 OR NOT (Emb.N = 1 AND Nope IS NULL)", "has no property Nope", 62},
	}
	for _, tt := range tests {
		q, err := Parse(tt.lang, tt.text)
		if err != nil {
			t.Errorf("%q: %v", tt.text, err)
			continue
		}
		err = q.Validate(testLookup())
		if tt.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.text, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: valid, want %q", tt.text, tt.msg)
			continue
		}
		ce := wantCode(t, err, cim.StatusInvalidQuery)
		if !strings.Contains(ce.Description, tt.msg) {
			t.Errorf("%q: %q, want %q", tt.text, ce.Description, tt.msg)
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Column != tt.col {
			t.Errorf("%q: %v, want column %d", tt.text, err, tt.col)
		}
	}
}

func TestISAWithSchema(t *testing.T) {
	inst := testInstance()
	tests := []struct {
		where string
		want  bool
	}{
		{"Emb ISA Test_Embedded", true},
		{"Emb ISA Test_Sub", true},
		{"Emb ISA Test_Thing", false},
		{"__THIS ISA CIM_ManagedElement", true},
		{"__THIS ISA Test_Base", true},
		{"__THIS ISA Test_Embedded", false},
		{"NOT __THIS ISA Test_Embedded", true},
		{"__CLASS ISA Test_Base", true},
		{"Ref ISA Test_Other", true},
		{"Obj ISA Test_Embedded", false},
		{"Emb.Test_Embedded::N = 3", true},
		{"Emb.Test_Thing::U32 IS NULL", true},
	}
	for _, tt := range tests {
		q, err := Parse("DMTF:CQL", "SELECT * FROM Test_Thing WHERE "+tt.where)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Validate(testLookup()); err != nil {
			t.Fatalf("%q: %v", tt.where, err)
		}
		got, err := q.Match(inst)
		if err != nil || got != tt.want {
			t.Errorf("%q: %v, %v; want %v", tt.where, got, err, tt.want)
		}
	}
	// CQL: the FROM class or alias is the instance.
	q, err := Parse("DMTF:CQL", "SELECT * FROM CIM_ManagedElement ME WHERE ME ISA Test_Base")
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Validate(testLookup()); err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Match(inst); !ok || err != nil {
		t.Errorf("ME ISA Test_Base on a Test_Thing: %v, %v", ok, err)
	}
	if ok, _ := q.Match(&cim.Instance{ClassName: "CIM_ManagedElement"}); ok {
		t.Error("ME ISA Test_Base matched a CIM_ManagedElement")
	}
}

func TestProject(t *testing.T) {
	inst := testInstance()
	tests := []struct {
		lang, text string
		want       []string // nil: the same instance
	}{
		{"WQL", "SELECT * FROM Test_Thing", nil},
		{"WQL", "SELECT u32, Str FROM Test_Thing", []string{"U32", "Str"}},
		{"WQL", "SELECT Str, U32, str FROM Test_Thing", []string{"U32", "Str"}},
		{"WQL", "SELECT Missing FROM Test_Thing", []string{}},
		{"WQL", "SELECT Emb.Name FROM Test_Thing", []string{"Emb"}},
		{"DMTF:CQL", "SELECT T.NullStr, T.IntArr FROM Test_Thing T", []string{"NullStr", "IntArr"}},
		{"DMTF:CQL", "SELECT T.* FROM Test_Thing T", nil},
	}
	for _, tt := range tests {
		q, err := Parse(tt.lang, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		out := q.Project(inst)
		if tt.want == nil {
			if out != inst {
				t.Errorf("%q: Project made a copy for *", tt.text)
			}
			continue
		}
		if out == inst {
			t.Errorf("%q: Project returned the instance itself", tt.text)
			continue
		}
		var names []string
		for _, p := range out.Properties {
			names = append(names, p.Name)
			if orig := inst.Property(p.Name); !reflect.DeepEqual(orig.Value, p.Value) || orig.Type != p.Type {
				t.Errorf("%q: property %s changed", tt.text, p.Name)
			}
		}
		if names == nil {
			names = []string{}
		}
		if !reflect.DeepEqual(names, tt.want) {
			t.Errorf("%q: properties %q, want %q", tt.text, names, tt.want)
		}
		if out.ClassName != inst.ClassName {
			t.Errorf("%q: class %q", tt.text, out.ClassName)
		}
	}
	// The input is left as it was.
	if got := len(inst.Properties); got != len(testInstance().Properties) {
		t.Errorf("Project changed the instance: %d properties", got)
	}
}
