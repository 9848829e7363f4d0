package dispatch_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
)

// benchStore returns the test schema with n static T_Thing instances "t<i>" and,
// with links, a T_Link t<i> → t<i+1> for each but the last.
func benchStore(b *testing.B, n int, links bool) *repository.Store {
	s := loadSchema(b)
	err := s.Load(func(l *repository.Loader) error {
		for i := 0; i < n; i++ {
			err := l.PutInstance(ns, &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{
				{Name: "Id", Type: cim.TypeString, Value: fmt.Sprintf("t%d", i)},
				{Name: "Label", Type: cim.TypeString, Value: "bench"},
				{Name: "Size", Type: cim.TypeUint32, Value: uint32(i)},
				{Name: "Flag", Type: cim.TypeBoolean, Value: i%2 == 0},
			}})
			if err != nil {
				return err
			}
		}
		for i := 0; links && i+1 < n; i++ {
			err := l.PutInstance(ns, &cim.Instance{ClassName: "T_Link", Properties: []cim.Property{
				{Name: "Left", Type: cim.TypeReference, Value: thingPath(fmt.Sprintf("t%d", i))},
				{Name: "Right", Type: cim.TypeReference, Value: thingPath(fmt.Sprintf("t%d", i+1))},
			}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkGetInstance(b *testing.B) {
	d := dispatch.New(benchStore(b, 1000, false), dispatch.Options{})
	ctx := context.Background()
	// What the decoder gives: an untyped key.
	op := &cim.GetInstance{Base: cim.Base{Namespace: ns}, InstanceName: thingPath("t500")}
	b.ReportAllocs()
	for b.Loop() {
		res, err := d.Do(ctx, op)
		if err != nil || res.Instance == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnumerateInstances100k(b *testing.B) {
	const n = 100_000
	d := dispatch.New(benchStore(b, n, false), dispatch.Options{})
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		op   *cim.EnumerateInstances
	}{
		{"all", &cim.EnumerateInstances{Base: cim.Base{Namespace: ns}, ClassName: "T_Base", DeepInheritance: true}},
		{"PropertyList", &cim.EnumerateInstances{Base: cim.Base{Namespace: ns}, ClassName: "T_Base", DeepInheritance: true, PropertyList: cim.PropertyList{"Size"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := d.Do(ctx, bc.op)
				if err != nil {
					b.Fatal(err)
				}
				count := 0
				for o, err := range res.Objects {
					if err != nil || o.Instance == nil {
						b.Fatal(err)
					}
					count++
				}
				if count != n {
					b.Fatalf("%d instances, want %d", count, n)
				}
			}
		})
	}
}

func BenchmarkAssociators(b *testing.B) {
	const n = 1000
	d := dispatch.New(benchStore(b, n, true), dispatch.Options{})
	ctx := context.Background()
	op := &cim.Associators{Base: cim.Base{Namespace: ns}, ObjectName: thingPath("t500")}
	b.ReportAllocs()
	for b.Loop() {
		res, err := d.Do(ctx, op)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for _, err := range res.Objects {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != 2 {
			b.Fatalf("%d associators, want 2", count)
		}
	}
}
