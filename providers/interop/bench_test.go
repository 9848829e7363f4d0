package interop

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The calls of one pywbem WBEMServer discovery, one benchmark each.

func BenchmarkEnumerateNamespaceNames(b *testing.B) {
	p, _ := newTestProvider(b)
	for b.Loop() {
		if _, err := p.EnumerateInstanceNames(ctx, "interop", "CIM_Namespace"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnumerateInstances(b *testing.B) {
	for _, class := range []string{"CIM_Namespace", "CIM_ObjectManager", "CIM_RegisteredProfile", "CIM_ElementConformsToProfile"} {
		b.Run(class, func(b *testing.B) {
			p, _ := newTestProvider(b)
			for b.Loop() {
				for _, err := range p.EnumerateInstances(ctx, "interop", class) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkCentralInstances(b *testing.B) {
	p, _ := newTestProvider(b)
	prof := profilePath(&p.profiles[1])
	for b.Loop() {
		n := 0
		for _, err := range p.ReferencesTo(ctx, "interop", "CIM_ElementConformsToProfile", prof, "") {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1 {
			b.Fatalf("%d central instances, want 1", n)
		}
	}
}

func BenchmarkGetObjectManager(b *testing.B) {
	p, _ := newTestProvider(b)
	path := p.objectManagerPath()
	var inst *cim.Instance
	for b.Loop() {
		var err error
		if inst, err = p.GetInstance(ctx, "interop", path); err != nil {
			b.Fatal(err)
		}
	}
	_ = inst
}
