package secpolicy

import (
	"fmt"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// BenchmarkCanRun is the cost of one CanRun through the provider, parameters and
// OUT Message included (the toolstack's decision is the fake's map lookup).
func BenchmarkCanRun(b *testing.B) {
	p, _ := newProvider(b)
	target := p.ServicePath()
	in := []cim.ParamValue{pv("Label", "ACM:shop:web")}
	b.ReportAllocs()
	for b.Loop() {
		ret, _, err := p.InvokeMethod(ctx, Namespace, target, "CanRun", in)
		if err != nil || ret != uint32(0) {
			b.Fatalf("CanRun: %v %v", ret, err)
		}
	}
}

// manyDomains gives the fake n domains spread over the shop labels.
func manyDomains(f *fakeTS, n int) {
	labels := []string{"ACM:shop:web", "ACM:shop:db", "ACM:shop:__UNLABELED__", "INV_ACM:old:gone"}
	f.domains = make([]toolstack.Domain, n)
	for i := range f.domains {
		f.domains[i] = dom(fmt.Sprintf("%08x-0000-0000-0000-000000000000", i), fmt.Sprintf("dom%d", i), labels[i%len(labels)])
	}
}

// BenchmarkEnumerateElementSecurityLabel enumerates Xen_ElementSecurityLabel on a
// host with 10,000 domains.
func BenchmarkEnumerateElementSecurityLabel(b *testing.B) {
	p, f := newProvider(b)
	manyDomains(f, 10000)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range p.EnumerateInstances(ctx, Namespace, ClassElementSecurityLabel) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 7500+2 {
			b.Fatalf("%d instances, want %d", n, 7500+2)
		}
	}
}

// BenchmarkReferencesFromDomain follows Xen_ElementSecurityLabel from one domain
// of 10,000: it must not build the others' instances.
func BenchmarkReferencesFromDomain(b *testing.B) {
	p, f := newProvider(b)
	manyDomains(f, 10000)
	target := computerSystemPath(f.domains[4242].UUID)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range p.ReferencesTo(ctx, Namespace, ClassElementSecurityLabel, target, "") {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1 {
			b.Fatalf("%d instances, want 1", n)
		}
	}
}
