package query

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Results of an evaluation test.
const (
	F = iota // no match
	T        // match
	E        // a *cim.Error with StatusInvalidQuery
)

// evalCases are WHERE clauses over testInstance, valid in WQL and in CQL.
var evalCases = []struct {
	where string
	want  int
}{
	// Numbers compare by value across integer and real types.
	{"U8 = 200", T},
	{"U8 > 199.5", T},
	{"S8 < 0", T},
	{"S8 = -5", T},
	{"S8 = -5.0", T},
	{"U16 >= 65535", T},
	{"U16 > 65535", F},
	{"S16 <= -300", T},
	{"U32 = 7 AND S32 = -7", T},
	{"U32 > S32", T},
	{"S32 > U32", F},
	{"U64 = 18446744073709551615", T},
	{"U64 > 9223372036854775807", T},
	{"U64 = 0xFFFFFFFFFFFFFFFF", T},
	{"U64 = -1", F},
	{"S64 = -9223372036854775808", T},
	{"S64 < U64", T},
	{"S64 < -9.2e18", T},
	{"R32 = 20.9", T},
	{"R64 = 2.5", T},
	{"R64 > 2", T},
	{"R64 < 2", F},
	{"2 < R64", T},
	{"2.5 >= R64", T},
	{"U32 <> 7", F},
	{"U32 = 'x'", E},
	{"U32 = TRUE", E},

	// Strings compare case-sensitively.
	{"Str = 'Hello World'", T},
	{"Str = 'hello world'", F},
	{"Str <> 'hello world'", T},
	{"Str > 'Hello'", T},
	{"Str < 'Hello'", F},
	{"'Hello World' = Str", T},
	{"Empty = ''", T},
	{"C16 = 'x'", T},
	{"C16 < 'y'", T},
	{"Caption = Str", F},
	{"Caption <> Str", T},
	{"Str = 5", E},
	{"Str = 'it''s'", F},

	// Booleans: = and <> only.
	{"B = TRUE", T},
	{"B <> FALSE", T},
	{"B = false", F},
	{"B < TRUE", E},
	{"B = 1", E},

	// NULL and missing properties: three-valued logic.
	{"NullStr = 'x'", F},
	{"NullStr <> 'x'", F},
	{"NOT (NullStr = 'x')", F},
	{"NullStr IS NULL", T},
	{"NullStr IS NOT NULL", F},
	{"Str IS NOT NULL", T},
	{"NullU32 = NULL", F},
	{"NullU32 <> NULL", F},
	{"U32 = NULL", F},
	{"NOT (U32 = NULL)", F},
	{"NullStr = 'x' OR U32 = 7", T},
	{"U32 = 7 OR NullStr = 'x'", T},
	{"NullStr = 'x' AND U32 = 7", F},
	{"NOT (NullStr = 'x' AND U32 = 8)", T},
	{"NOT (NullStr = 'x' OR U32 = 8)", F},
	{"NOT (NullStr = 'x' OR U32 = 7)", F},
	{"Missing = 1", F},
	{"Missing IS NULL", T},
	{"NullStr = 5", F}, // NULL: no type to mismatch

	// Datetimes compare by value.
	{"DT = '20260101110000.000000+000'", T},
	{"DT = '20260101120000.000000+000'", F},
	{"DT = DT2", T},
	{"DT < '20260101113000.000000+000'", T},
	{"DT > '20251231000000.000000+000'", T},
	{"DT = 'garbage'", E},
	{"DT < 5", E},
	{"Iv = '00000001000000.000000:000'", T},
	{"Iv > '00000000230000.000000:000'", T},
	{"Iv = DT", F},
	{"Iv <> DT", T},
	{"Iv < DT", F},
	{"Wild = '2026010112****.******+060'", T},
	{"Wild < DT", F},
	{"Wild <> DT", T},

	// References compare as paths.
	{`Ref = 'Test_Other.Id="a"'`, T},
	{`Ref = 'root/cimv2:Test_Other.Id="a"'`, T},
	{`Ref = 'ROOT/CIMV2:test_other.id="a"'`, T},
	{`Ref = 'other:Test_Other.Id="a"'`, F},
	{`Ref = 'Test_Other.Id="b"'`, F},
	{`Ref <> 'Test_Other.Id="b"'`, T},
	{`Ref < 'Test_Other.Id="a"'`, E},
	{`Ref = 'not a path!'`, E},
	{"Ref = 5", E},
	{"Ref ISA Test_Other", T},
	{"Ref ISA Test_Thing", F},

	// Embedded instances.
	{"Emb.Name = 'inner'", T},
	{"Emb.N > 2", T},
	{"Emb.Missing = 1", F},
	{"Emb IS NOT NULL", T},
	{"Emb ISA Test_Sub", T},
	{"Emb ISA 'Test_Sub'", T},
	{"Emb = 'x'", E},
	{"Obj IS NULL", T},
	{"Obj ISA Test_Sub", F},
	{"Obj.Name = 'x'", F},
	{"Str.Name = 'x'", E},
	{"U32 ISA Test_Thing", E},

	// Arrays.
	{"IntArr = {4, 5, 7}", T},
	{"IntArr = {4, 5}", F},
	{"IntArr <> {4, 5, 8}", T},
	{"IntArr = IntArr2", T},
	{"IntArr <> IntArr2", F},
	{"IntArr = {4, 5, 'x'}", E},
	{"IntArr[0] = 4", T},
	{"IntArr[2] = 7", T},
	{"IntArr[3] = 7", F},
	{"IntArr[3] IS NULL", T},
	{"ANY IntArr = 5", T},
	{"ANY IntArr = 6", F},
	{"EVERY IntArr > 3", T},
	{"EVERY IntArr > 4", F},
	{"NOT ANY IntArr = 6", T},
	{"ANY IntArr = U32", T},
	{"ANY EmptyArr = 1", F},
	{"EVERY EmptyArr = 1", T},
	{"ANY NullArr = 1", F},
	{"NOT ANY NullArr = 1", F},
	{"NullArr IS NULL", T},
	{"NullArr = {1}", F},
	{"ANY StrArr = 'one'", T},
	{"EVERY StrArr <> 'x'", F},
	{"NOT EVERY StrArr <> 'x'", F},
	{"StrArr[2] IS NULL", T},
	{"StrArr = {'zero', 'one', NULL}", T},
	{"BoolArr = {TRUE, FALSE}", T},
	{"ANY DTArr = '20131224120000.000000+360'", T},
	{"IntArr = 5", E},
	{"ANY U32 = 7", E},
	{"U32[0] = 1", E},
	{"ANY Missing = 1", F},

	// The instance itself.
	{"__THIS ISA Test_Thing", T},
	{"__THIS ISA test_thing", T},
	{"__THIS ISA Test_Base", F}, // no lookup: names only
	{"__CLASS = 'Test_Thing'", T},
	{"__CLASS ISA Test_Thing", T},
	{"Test_Thing ISA Test_Thing", T},
	{"Test_Thing.U32 = 7", T},
	{"(U32 = 7 AND (S32 = -7 OR Str = 'no')) AND NOT B = FALSE", T},
}

func TestMatch(t *testing.T) {
	inst := testInstance()
	for _, lang := range []string{"WQL", "DMTF:CQL"} {
		for _, tt := range evalCases {
			text := "SELECT * FROM Test_Thing WHERE " + tt.where
			q, err := Parse(lang, text)
			if err != nil {
				t.Errorf("%s %q: %v", lang, tt.where, err)
				continue
			}
			got, err := q.Match(inst)
			switch {
			case tt.want == E:
				if err == nil {
					t.Errorf("%s %q: matched %v, want an error", lang, tt.where, got)
				} else {
					wantCode(t, err, cim.StatusInvalidQuery)
				}
			case err != nil:
				t.Errorf("%s %q: %v", lang, tt.where, err)
			case got != (tt.want == T):
				t.Errorf("%s %q: matched %v, want %v", lang, tt.where, got, !got)
			}
		}
	}
}

func TestMatchDialects(t *testing.T) {
	inst := testInstance()
	tests := []struct {
		lang, text string
		want       int
	}{
		{"WQL", "SELECT * FROM Test_Thing", T},
		{"WQL", "SELECT * FROM Test_Thing WHERE U32 != 7", F},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str = "Hello World"`, T},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str = "Hello \"World\""`, F},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str LIKE '%World'`, T},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'Hello_World'`, T},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str LIKE '[gh]ello%'`, F},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str LIKE '[A-H]ello%'`, T},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str LIKE '[^A-H]ello%'`, F},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'Hello'`, F},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'Hello.World'`, F},
		{"WQL", `SELECT * FROM Test_Thing WHERE Str NOT LIKE 'x%'`, T},
		{"WQL", `SELECT * FROM Test_Thing WHERE ANY StrArr LIKE 'o%'`, T},
		{"WQL", `SELECT * FROM Test_Thing WHERE NullStr LIKE '%'`, F},
		{"WQL", `SELECT * FROM Test_Thing WHERE NOT NullStr LIKE '%'`, F},
		{"WQL", `SELECT * FROM Test_Thing WHERE U32 LIKE '%'`, E},
		{"WQL", `SELECT * FROM Test_Thing WHERE C16 LIKE 'x'`, T},
		{"DMTF:CQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'Hello.World'`, T},
		{"DMTF:CQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'H.*'`, T},
		{"DMTF:CQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'Hel*o World'`, T},
		{"DMTF:CQL", `SELECT * FROM Test_Thing WHERE Str LIKE '.*World'`, T},
		{"DMTF:CQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'hello.*'`, F},
		{"DMTF:CQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'Hello\.World'`, F},
		{"DMTF:CQL", `SELECT * FROM Test_Thing WHERE Str LIKE 'Hello%'`, F},
		{"DMTF:CQL", "SELECT * FROM Test_Thing T WHERE T ISA Test_Thing AND T.U32 = 7", T},
		{"DMTF:CQL", "SELECT * FROM Test_Thing AS T WHERE t.Emb.Name = 'inner'", T},
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE U8 = 11001000B", T},
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Emb.Test_Sub::Name = 'inner'", T},
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Emb.Test_Other::Id IS NULL", T},
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Emb.Test_Embedded::N = 3", F}, // no lookup: names only
		{"DMTF:CQL", "SELECT * FROM Test_Thing WHERE Test_Thing::U32 = 7", T},
		{"DMTF:CQL", "SELECT * FROM Test_Thing T WHERE T.Test_Thing::U32 = 7", T},
	}
	for _, tt := range tests {
		q, err := Parse(tt.lang, tt.text)
		if err != nil {
			t.Errorf("%q: %v", tt.text, err)
			continue
		}
		got, err := q.Match(inst)
		switch {
		case tt.want == E:
			if err == nil {
				t.Errorf("%q: matched %v, want an error", tt.text, got)
			} else {
				wantCode(t, err, cim.StatusInvalidQuery)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.text, err)
		case got != (tt.want == T):
			t.Errorf("%q: matched %v, want %v", tt.text, got, !got)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	inst := testInstance()
	tests := []struct {
		text string
		want int
	}{
		{"U32 = 7", T},
		{"u32 = 7", T},
		{"U32 = 7 AND S32 = -7 OR Str = 'no'", T},
		{"(U32 = 8) OR (S32 = -7 AND Str = 'Hello World')", T},
		{"NOT U32 = 7", F},
		{"U32 IS NOT NULL", T},
		{"U64 = 0XFFFFFFFFFFFFFFFF", T},
		{"U8 = 11001000B", T},
		{"R32 = 20.9", T},
		// DSP0212 NULL rules: no UNKNOWN.
		{"Missing = 3", F},
		{"Missing <> 3", T},
		{"Missing = NULL", T},
		{"Missing <> NULL", F},
		{"Missing <= 'x'", F},
		{"NullStr IS NULL", T},
		{"NOT NullStr = 'x'", T},
		{"NullStr <> 'x'", T},
		{"U32 = NULL", F},
		{"U32 <> NULL", T},
		{"Iv < DT", F},
		// Arrays (the Pegasus FQL vectors).
		{"IntArr = {4, 5, 7}", T},
		{"IntArr = {4, 5}", F},
		{"IntArr[1] = 5", T},
		{"IntArr[20] = 7", F},
		{"ANY IntArr = 7", T},
		{"EVERY IntArr < 90", T},
		{"NOT ANY IntArr = 7", F},
		{"NOT EVERY IntArr = 7", T},
		{"ANY IntArr = IntArr[0]", T},
		{"EVERY IntArr >= IntArr[0]", T},
		{"EVERY StrArr <> 'x'", T}, // NULL <> 'x' is true in FQL
		{"EVERY StrArr = 'one'", F},
		{"ANY StrArr LIKE 'o.*'", T},
		{"ANY NullArr = 1", F},
		// DSP1001 regular expressions.
		{"Str LIKE 'Hello.World'", T},
		{"Str LIKE 'H.*'", T},
		{"Str LIKE '[GH]ello World'", T},
		{"Str LIKE '[GH]^ello World'", F},
		{"Str LIKE '[a-z]ello World'", F},
		{"Str LIKE '(Hello|Bye) World'", T},
		{"Str LIKE 'Hel{2}o World'", T},
		{"Str LIKE 'Hel+o W?orld'", T},
		{"Str LIKE '^Hello World$'", T},
		{"Str LIKE 'Hello'", F},
		{"Str LIKE 'Hello\\ World'", T},
		{"Str NOT LIKE 'x.*'", T},
		{"NullStr LIKE '.*'", F},
		{"NullStr NOT LIKE '.*'", F},
		// Types.
		{"B = TRUE", T},
		{"B > FALSE", E},
		{"Str = 5", E},
		{"Emb.N = 3", T},
		{"Emb.Name LIKE 'in.*'", T},
		{"DT = '20260101110000.000000+000'", T},
		{`Ref = 'Test_Other.Id="a"'`, T},
		{`Ref = 'Test_Other.Id=\"a\"'`, T},
		{"IntArr = 5", E},
	}
	for _, tt := range tests {
		f, err := ParseFilter("DMTF:FQL", tt.text)
		if err != nil {
			t.Errorf("%q: %v", tt.text, err)
			continue
		}
		got, err := f.Match(inst)
		switch {
		case tt.want == E:
			if err == nil {
				t.Errorf("%q: matched %v, want an error", tt.text, got)
			} else {
				wantCode(t, err, cim.StatusInvalidQuery)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.text, err)
		case got != (tt.want == T):
			t.Errorf("%q: matched %v, want %v", tt.text, got, !got)
		}
	}
}

func TestMatchConcurrent(t *testing.T) {
	// The lazily converted literals and the lookup Validate keeps must be safe
	// under -race while other goroutines Match.
	q, err := Parse("WQL", `SELECT * FROM Test_Thing WHERE DT = '20260101110000.000000+000' AND Ref = 'Test_Other.Id="a"' AND (__THIS ISA Test_Thing OR __THIS ISA Test_Base)`)
	if err != nil {
		t.Fatal(err)
	}
	inst := testInstance()
	done := make(chan bool)
	for range 8 {
		go func() {
			ok, err := q.Match(inst)
			done <- ok && err == nil
		}()
	}
	go func() { done <- q.Validate(testLookup()) == nil }()
	for range 9 {
		if !<-done {
			t.Error("a concurrent Match or Validate failed")
		}
	}
	if ok, err := q.Match(inst); !ok || err != nil {
		t.Errorf("Match after Validate: %v, %v", ok, err)
	}
	if err := q.Validate(nil); cim.StatusOf(err) != cim.StatusFailed {
		t.Errorf("Validate(nil): %v, want CIM_ERR_FAILED", err)
	}
}

func TestMatchNil(t *testing.T) {
	q, err := Parse("WQL", "SELECT A FROM X WHERE E.Name = 'x'")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Match(nil); ok || cim.StatusOf(err) != cim.StatusFailed {
		t.Errorf("Match(nil) = %v, %v; want false and CIM_ERR_FAILED", ok, err)
	}
	if q.Project(nil) != nil {
		t.Error("Project(nil) is not nil")
	}
	f, err := ParseFilter("DMTF:FQL", "A = 1")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := f.Match(nil); ok || err == nil {
		t.Errorf("Filter.Match(nil) = %v, %v; want an error", ok, err)
	}
	// A typed nil embedded instance is NULL.
	inst := &cim.Instance{ClassName: "X", Properties: []cim.Property{{Name: "E", Value: (*cim.Instance)(nil)}}}
	q, err = Parse("WQL", "SELECT * FROM X WHERE E.Name IS NULL AND E IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Match(inst); !ok || err != nil {
		t.Errorf("nil embedded instance: %v, %v; want a match", ok, err)
	}
}
