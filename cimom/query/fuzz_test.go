package query

import (
	"errors"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// FuzzParse feeds any text to Parse (WQL and CQL) and ParseFilter: they must never
// panic, every error must be a *cim.Error with StatusInvalidQuery, and Validate,
// Match and Project on what parses must not panic either, their errors being
// StatusInvalidQuery too.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"SELECT * FROM Test_Thing",
		"SELECT U32, Str FROM Test_Thing WHERE U32 = 7 AND Str LIKE 'H%'",
		`SELECT * FROM Test_Thing WHERE Str != "x\"y" OR NOT (B = TRUE)`,
		"SELECT * FROM Test_Thing WHERE Emb ISA Test_Sub AND Emb.N > 2",
		"SELECT T.* FROM Test_Thing AS T WHERE T ISA CIM_ManagedElement",
		"SELECT * FROM Test_Thing WHERE ANY IntArr = 5 AND IntArr[2] <= 7 AND IntArr = {4, 5, 7}",
		"SELECT * FROM Test_Thing WHERE DT > '20260101110000.000000+000' AND Ref = 'Test_Other.Id=\"a\"'",
		"SELECT * FROM Test_Thing WHERE U64 = 0xFFFFFFFFFFFFFFFF OR S64 = -9223372036854775808 OR R64 < 1e3",
		"U32 = 7 AND NOT ANY IntArr = 3",
		"Str LIKE '[GH]^ello (World|There){1,2}' OR Missing = NULL",
		"(((A = 1)))",
		"SELECT * FROM X WHERE A = '\\u00e9\\x41'",
		"SELECT * FROM X WHERE A LIKE '[a-'",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	lookup := testLookup()
	inst := testInstance()
	check := func(t *testing.T, what string, err error) {
		if err == nil {
			return
		}
		var ce *cim.Error
		if !errors.As(err, &ce) || ce.Code != cim.StatusInvalidQuery {
			t.Fatalf("%s: error %v (%T): want a *cim.Error with code 15", what, err, err)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, lang := range []string{"WQL", "DMTF:CQL"} {
			q, err := Parse(lang, text)
			check(t, "Parse", err)
			if err != nil {
				continue
			}
			_, err = q.Match(inst)
			check(t, "Match", err)
			_ = q.Project(inst)
			check(t, "Validate", q.Validate(lookup))
			_, err = q.Match(inst)
			check(t, "Match after Validate", err)
		}
		fl, err := ParseFilter("DMTF:FQL", text)
		check(t, "ParseFilter", err)
		if err == nil {
			_, err = fl.Match(inst)
			check(t, "Filter.Match", err)
			_ = fl.Properties()
		}
	})
}
