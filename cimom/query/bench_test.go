package query

import "testing"

// BenchmarkMatch evaluates a WHERE clause of three comparisons (a number, a
// string, a datetime) on one instance; it should not allocate.
func BenchmarkMatch(b *testing.B) {
	q, err := Parse("WQL", "SELECT * FROM Test_Thing WHERE U32 > 5 AND Str = 'Hello World' AND DT < '20270101000000.000000+000'")
	if err != nil {
		b.Fatal(err)
	}
	inst := testInstance()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := q.Match(inst); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkFilterMatch evaluates an FQL filter with an array quantifier and a
// regular expression.
func BenchmarkFilterMatch(b *testing.B) {
	f, err := ParseFilter("DMTF:FQL", "ANY IntArr = 7 AND Str LIKE 'Hello.*' AND NullStr IS NULL")
	if err != nil {
		b.Fatal(err)
	}
	inst := testInstance()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := f.Match(inst); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkParse parses a typical indication filter query.
func BenchmarkParse(b *testing.B) {
	const text = "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA Xen_Domain AND SourceInstance.EnabledState <> PreviousInstance.EnabledState"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("WQL", text); err != nil {
			b.Fatal(err)
		}
	}
}
