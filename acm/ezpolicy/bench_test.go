package ezpolicy

import (
	"bytes"
	"strconv"
	"testing"
)

// bigDescription: orgs organisations of deps departments each, and a conflict set for
// every pair of neighbouring organisations.
func bigDescription(orgs, deps int) *Description {
	d := &Description{Policy: "bench.big"}
	for i := range orgs {
		o := Org{Name: "Org" + strconv.Itoa(i)}
		for j := range deps {
			o.Departments = append(o.Departments, "Dept"+strconv.Itoa(j))
		}
		d.Orgs = append(d.Orgs, o)
		if i > 0 {
			d.Conflicts = append(d.Conflicts, Conflict{Members: []string{o.Name, d.Orgs[i-1].Name}})
		}
	}
	return d
}

func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		d    *Description
	}{
		{"test-wld", testWLD()},
		{"100orgs-10depts", bigDescription(100, 10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			out, err := Generate(bc.d)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Generate(bc.d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		d    *Description
	}{
		{"test-wld", testWLD()},
		{"100orgs-10depts", bigDescription(100, 10)},
	} {
		src, err := bc.d.MarshalText()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bytes.NewReader(src)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
