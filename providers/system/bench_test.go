package system

import (
	"fmt"
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// manyDomains returns n running domains with one disk and one VIF each.
func manyDomains(n int) []toolstack.Domain {
	doms := make([]toolstack.Domain, n)
	for i := range doms {
		uuid := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		doms[i] = toolstack.Domain{
			Config: toolstack.Config{Name: fmt.Sprintf("dom%05d", i), UUID: uuid, MemoryMiB: 128, VCPUs: 1,
				Label: "ACM:acme:web",
				Disks: []toolstack.Disk{{Uname: "phy:sdb1", Resource: "phy:/dev/sdb1", VirtualDevice: "xvda", Mode: "w"}},
				VIFs:  []toolstack.VIF{{Index: 0, MAC: "00:16:3e:00:00:01", Bridge: "xenbr0"}}},
			State: hypervisor.Running, ID: hypervisor.DomainID(i), SSIDRef: 0x20002, EffectiveLabel: "ACM:acme:web",
		}
	}
	return doms
}

// BenchmarkEnumerate10k enumerates the instances of each domain class of a host
// with 10,000 domains, as the dispatcher's EnumerateInstances does.
func BenchmarkEnumerate10k(b *testing.B) {
	f := newFake(manyDomains(10000)...)
	p := New(Options{Toolstack: f, HostName: "host1", Lookup: lookup(b)})
	for _, class := range []string{ClassComputerSystem, ClassVSSD, ClassDisk, ClassHostedSystem} {
		b.Run(class, func(b *testing.B) {
			for b.Loop() {
				n := 0
				for _, err := range p.EnumerateInstances(ctx, Namespace, class) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 10000 {
					b.Fatalf("%d instances, want 10000", n)
				}
			}
		})
	}
	b.Run("names", func(b *testing.B) {
		for b.Loop() {
			names, err := p.EnumerateInstanceNames(ctx, Namespace, ClassComputerSystem)
			if err != nil || len(names) != 10000 {
				b.Fatalf("%d names, %v", len(names), err)
			}
		}
	})
}

// BenchmarkReferencesOfOneDomain follows the settings of one domain among 10,000:
// it must not depend on the number of domains.
func BenchmarkReferencesOfOneDomain(b *testing.B) {
	f := newFake(manyDomains(10000)...)
	p := New(Options{Toolstack: f, HostName: "host1", Lookup: lookup(b)})
	target := SettingsPath("00000000-0000-0000-0000-000000000000")
	for b.Loop() {
		n := 0
		for _, err := range p.ReferencesTo(ctx, Namespace, ClassSettingComponent, target, "") {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 2 {
			b.Fatalf("%d parts, want 2", n)
		}
	}
}
