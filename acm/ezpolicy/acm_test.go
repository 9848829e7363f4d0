package ezpolicy_test

import (
	"os"
	"reflect"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/acm/ezpolicy"
)

// TestLoadsInACM: the generated policies load through package acm's parser (the 3.2–3.4
// schema and xend's checks) and compile, and the compiled test-wld policy decides as
// the seed's workload protection promises.
func TestLoadsInACM(t *testing.T) {
	for _, name := range []string{"test-wld", "options"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open("testdata/" + name + ".ez")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, err := ezpolicy.Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := ezpolicy.Generate(d)
			if err != nil {
				t.Fatal(err)
			}
			p, err := acm.Parse(out)
			if err != nil {
				t.Fatalf("acm.Parse: %v (code %v)", err, acm.CodeOf(err))
			}
			if p.Name != d.Policy || p.Bootstrap != ezpolicy.SystemManagement {
				t.Errorf("loaded name %q bootstrap %q", p.Name, p.Bootstrap)
			}
			if len(p.Warnings) != 0 {
				t.Errorf("warnings: %v", p.Warnings)
			}
			if _, err := acm.Compile(p); err != nil {
				t.Fatalf("acm.Compile: %v", err)
			}
		})
	}
}

func TestTestWLDDecisions(t *testing.T) {
	out, err := ezpolicy.Generate(&ezpolicy.Description{
		Policy: "example.chwall_ste.test-wld",
		Orgs: []ezpolicy.Org{
			{Name: "Avis"},
			{Name: "Hertz"},
			{Name: "CocaCola", Departments: []string{"Intranet", "Extranet", "HumanResources", "Payroll"}},
			{Name: "PepsiCo", Departments: []string{"Intranet", "Extranet"}},
		},
		Conflicts: []ezpolicy.Conflict{
			{Name: "RER", Members: []string{"PepsiCo", "CocaCola"}},
			{Name: "RER", Members: []string{"CocaCola.Extranet", "CocaCola.Payroll"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := acm.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	wantSets := []acm.ConflictSet{
		{Name: "RER", Types: []string{"CocaCola", "PepsiCo"}},
		{Name: "RER", Types: []string{"CocaCola.Extranet", "CocaCola.Payroll"}},
	}
	if !reflect.DeepEqual(p.ConflictSets, wantSets) {
		t.Errorf("conflict sets %+v, want %+v", p.ConflictSets, wantSets)
	}
	c, err := acm.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	vm := func(name string) uint32 {
		t.Helper()
		ref, ok := c.VMSSIDRef(name)
		if !ok {
			t.Fatalf("no VM label %s", name)
		}
		return ref
	}
	res := func(name string) uint32 {
		t.Helper()
		ref, ok := c.ResourceSSIDRef(name)
		if !ok {
			t.Fatalf("no resource label %s", name)
		}
		return ref
	}
	dom0 := vm("SystemManagement")
	if dom0 != 0x00010001 {
		t.Errorf("bootstrap ssidref %#08x, want 0x00010001", dom0)
	}
	labels := []string{"Avis", "Hertz", "CocaCola", "CocaCola.Intranet", "CocaCola.Payroll", "PepsiCo", "PepsiCo.Extranet"}
	for _, l := range labels {
		if !c.Authorized(dom0, vm(l)) || !c.Sharing(dom0, vm(l)) {
			t.Errorf("%s: not authorized by or not sharing with Domain-0", l)
		}
		if !c.Access(vm(l), res(l)) {
			t.Errorf("%s cannot use its own resources", l)
		}
		for _, other := range labels {
			if other != l && (c.Sharing(vm(l), vm(other)) || c.Access(vm(l), res(other))) {
				t.Errorf("%s shares with %s", l, other)
			}
		}
	}

	// Chinese Wall: runs in order, each start expected to pass or be refused.
	steps := []struct {
		start string
		ok    bool
	}{
		{"CocaCola.Extranet", true},
		{"Avis", true},
		{"Hertz", true},
		{"CocaCola.Extranet", true}, // the same workload again
		{"CocaCola", true},          // its own organisation
		{"CocaCola.Payroll", false}, // {Extranet, Payroll}
		{"PepsiCo", false},          // {PepsiCo, CocaCola}
		{"PepsiCo.Intranet", false}, // the organisation covers its departments
		{"CocaCola.Intranet", true},
	}
	s := c.NewState()
	if err := s.Create(dom0); err != nil {
		t.Fatalf("Domain-0: %v", err)
	}
	for i, st := range steps {
		err := s.Create(vm(st.start))
		if (err == nil) != st.ok {
			t.Errorf("step %d: start %s: %v, want ok=%v", i, st.start, err, st.ok)
		}
	}
	// Once every CocaCola domain is gone, PepsiCo may start.
	for _, l := range []string{"CocaCola.Extranet", "CocaCola.Extranet", "CocaCola", "CocaCola.Intranet"} {
		s.Destroy(vm(l))
	}
	if err := s.Create(vm("PepsiCo")); err != nil {
		t.Errorf("PepsiCo after every CocaCola domain stopped: %v", err)
	}
	if err := s.Create(vm("CocaCola.HumanResources")); err == nil {
		t.Error("CocaCola.HumanResources started next to PepsiCo")
	}
}
