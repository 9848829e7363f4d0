package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/toolstack"
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
	if _, err := s.ts.SetPolicy(ctx, acme, acm.FlagBoot|acm.FlagLoad, false); err != nil {
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
	wld, _ := os.ReadFile("../../acm/testdata/test-wld-security_policy.xml")
	if _, err := s.ts.SetPolicy(ctx, wld, acm.FlagLoad, false); err == nil {
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

// TestSecurityUpdateRestartKeepsLabels updates the policy through the toolstack with
// renames while a domain runs, then restarts the management and boots the host: the
// stored labels of domains and resources follow the update and survive both.
func TestSecurityUpdateRestartKeepsLabels(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := openSecurity(dir, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	acme, err := os.ReadFile("../../acm/testdata/acme-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ts.SetPolicy(ctx, acme, acm.FlagBoot|acm.FlagLoad, false); err != nil {
		t.Fatal(err)
	}
	if err := s.ts.SetResourceLabel(ctx, "phy:oil", "ACM:acme:oil-disk", ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []toolstack.Config{
		{Name: "b1", Label: "ACM:acme:bank"},
		{Name: "o1", Label: "ACM:acme:oil", Disks: []toolstack.Disk{{Uname: "phy:oil", VirtualDevice: "xvda"}}},
	} {
		if _, err := s.ts.Define(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ts.RequestState(ctx, "b1", toolstack.Start); err != nil {
		t.Fatal(err)
	}
	next := strings.NewReplacer(
		"<Version>1.0</Version>", "<Version>1.1</Version><FromPolicy><PolicyName>acme</PolicyName><Version>1.0</Version></FromPolicy>",
		"<Name>oil</Name>", `<Name from="oil">petrol</Name>`,
		"<Name>oil-disk</Name>", `<Name from="oil-disk">petrol-disk</Name>`,
	).Replace(string(acme))
	if _, err := s.ts.SetPolicy(ctx, []byte(next), acm.FlagBoot|acm.FlagLoad, false); err != nil {
		t.Fatalf("update: %v", err)
	}
	check := func(when string, s *security, b1 hypervisor.State) {
		t.Helper()
		want := map[string]string{hypervisor.Domain0Name: "ACM:acme:SystemManagement", "b1": "ACM:acme:bank", "o1": "ACM:acme:petrol"}
		for name, l := range want {
			d, err := s.ts.Domain(ctx, name)
			if err != nil || d.Label != l {
				t.Errorf("%s: %s labeled %q (%v), want %q", when, name, d.Label, err, l)
			}
		}
		if d, _ := s.ts.Domain(ctx, "b1"); d.State != b1 {
			t.Errorf("%s: b1 is %v, want %v", when, d.State, b1)
		}
		if l, ok, _ := s.ts.ResourceLabel("phy:/dev/oil"); !ok || l.String() != "ACM:acme:petrol-disk" {
			t.Errorf("%s: phy:oil labeled %v", when, l)
		}
		if v := s.ts.Policy().Version; v != "1.1" {
			t.Errorf("%s: policy version %s", when, v)
		}
	}
	check("after the update", s, hypervisor.Running)

	s, err = openSecurity(dir, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	check("after a restart", s, hypervisor.Running)
	err = s.ts.RequestState(ctx, "o1", toolstack.Start)
	if toolstack.Message(err) != acm.MsgInConflict {
		t.Errorf("o1 beside b1 after a restart: %v", err)
	}

	s, err = openSecurity(dir, true, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	check("after a host boot", s, hypervisor.Halted)
	if err := s.ts.RequestState(ctx, "o1", toolstack.Start); err != nil {
		t.Errorf("o1 with its petrol-disk after a host boot: %v", err)
	}
}
