package main

import (
	"context"
	"os"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(os.Stderr)
	l.SetLevel(logrus.ErrorLevel)
	return logrus.NewEntry(l)
}

// TestSecurityWiring joins the real policy store, ACM and simulated hypervisor as
// shyped does, and checks that a policy load, a refused update, a management restart
// and a host boot keep the policy and the domains consistent.
func TestSecurityWiring(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := openSecurity(dir, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.admin.GetPolicy().Name; got != "DEFAULT" {
		t.Fatalf("fresh policy %q, want DEFAULT", got)
	}
	acme, err := os.ReadFile("../../acm/testdata/acme-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.running(ctx)
	if err != nil || len(rs.Domains) != 1 || rs.Domains[0].ID != 0 {
		t.Fatalf("running state %+v, %v; want Domain-0 alone", rs, err)
	}
	if _, err := s.admin.SetPolicy(acme, acm.FlagBoot|acm.FlagLoad, false, rs); err != nil {
		t.Fatalf("SetPolicy(acme): %v", err)
	}
	pol := s.engine.Policy()
	if pol.Name() != "acme" {
		t.Fatalf("enforced %s, want acme", pol.Name())
	}
	bank, _ := pol.VMSSIDRef("bank")
	oil, _ := pol.VMSSIDRef("oil")
	for _, name := range []string{"b1", "o1"} {
		if _, err := s.hv.Create(ctx, hypervisor.Config{Name: name, Label: "ACM:acme:" + map[string]string{"b1": "bank", "o1": "oil"}[name]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.hv.Start(ctx, "b1", hypervisor.StartOptions{SSIDRef: bank}); err != nil {
		t.Fatalf("start b1: %v", err)
	}
	// bank and oil form a conflict set: the ACM refuses the second through the hooks.
	if err := s.hv.Start(ctx, "o1", hypervisor.StartOptions{SSIDRef: oil}); err == nil {
		t.Fatal("o1 started while b1 (a conflicting workload) runs")
	}
	// An update that deletes the label of a running domain is refused, and nothing changes.
	rs, _ = s.running(ctx)
	wld, _ := os.ReadFile("../../acm/testdata/test-wld-security_policy.xml")
	if _, err := s.admin.SetPolicy(wld, acm.FlagLoad, false, rs); err == nil {
		t.Fatal("an update from acme to test-wld was accepted")
	}
	if s.engine.Policy().Name() != "acme" {
		t.Fatalf("after a refused update %s is enforced", s.engine.Policy().Name())
	}

	// Management restart: same policy, b1 still running, the conflict still enforced.
	s, err = openSecurity(dir, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.engine.Policy().Name(); got != "acme" {
		t.Fatalf("after a restart %s is enforced, want acme", got)
	}
	if d, err := s.hv.Domain(ctx, "b1"); err != nil || d.State != hypervisor.Running {
		t.Fatalf("b1 after a restart: %+v, %v", d, err)
	}
	if err := s.hv.Start(ctx, "o1", hypervisor.StartOptions{SSIDRef: oil}); err == nil {
		t.Fatal("after a restart o1 started beside b1")
	}

	// Host boot: every domain halted, the boot policy (acme) in force, o1 may start.
	s, err = openSecurity(dir, true, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.engine.Policy().Name(); got != "acme" {
		t.Fatalf("after a host boot %s is enforced, want the boot policy acme", got)
	}
	if d, _ := s.hv.Domain(ctx, "b1"); d.State != hypervisor.Halted {
		t.Fatalf("b1 after a host boot is %v", d.State)
	}
	if err := s.hv.Start(ctx, "o1", hypervisor.StartOptions{SSIDRef: oil}); err != nil {
		t.Fatalf("after a host boot o1 cannot start: %v", err)
	}
}
