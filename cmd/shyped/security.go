package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
)

// security is the access control module joined to the simulated hypervisor (style.md
// §3.1: the hypervisor reaches the ACM through its hook interface, which acm.Hooks
// satisfies; cmd wires them): the policy store under <data>/acm, the resource labels
// beside it, the domains under <data>/hv.
type security struct {
	admin     *acm.Admin
	engine    *acm.Engine
	hooks     *acm.Hooks
	hv        *hvsim.HV
	resources *acm.ResourceStore
}

// openSecurity opens the policy store (enforcing the policy that was loaded, or with
// resetHost the boot policy: a host boot), then the hypervisor, which re-creates
// Domain-0 and the domains still running through the ACM's hooks, rebuilding the
// Chinese Wall state.
func openSecurity(dataDir string, resetHost bool, log *logrus.Entry) (*security, error) {
	dflt, err := acm.Compile(acm.DefaultPolicy())
	if err != nil {
		return nil, fmt.Errorf("compiling the DEFAULT policy: %w", err)
	}
	s := &security{engine: acm.NewEngine(dflt)}
	s.hooks = acm.NewHooks(s.engine)
	s.admin, err = acm.OpenAdmin(filepath.Join(dataDir, "acm"), acm.AdminOptions{
		Engine:       s.engine,
		ResetHost:    resetHost,
		ChangePolicy: s.changePolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the policy store: %w", err)
	}
	for _, w := range s.admin.Warnings() {
		log.Warn(w)
	}
	pol := s.engine.Policy()
	dom0, ok := pol.VMSSIDRef(pol.Policy().Bootstrap)
	if !ok {
		return nil, fmt.Errorf("policy %s has no bootstrap label %q", pol.Name(), pol.Policy().Bootstrap)
	}
	s.hv, err = hvsim.Open(hvsim.Config{Dir: filepath.Join(dataDir, "hv"), ACM: s.hooks, Dom0SSIDRef: dom0, ResetHost: resetHost})
	if err != nil {
		return nil, fmt.Errorf("opening the simulated hypervisor: %w", err)
	}
	for _, err := range s.hv.RestoreErrors() {
		log.WithError(err).Warn("a domain could not be restored and is halted")
	}
	s.resources, err = acm.OpenResourceStore(filepath.Join(dataDir, "acm"))
	if err != nil {
		return nil, fmt.Errorf("opening the resource labels: %w", err)
	}
	return s, nil
}

// changePolicy is the hypervisor's policy load for the admin: the new binary goes to
// the hypervisor, which translates its domains and installs the policy through the
// hooks (Xen's chgpolicy). A refusal leaves everything as it was.
func (s *security) changePolicy(next *acm.Compiled, plan *acm.UpdatePlan) error {
	s.hooks.Stage(next)
	change := hypervisor.PolicyChange{Policy: next.Binary()}
	if plan != nil {
		change.Delete, change.Change = plan.Deleted, plan.Changed
	}
	tuples, err := s.hv.ChangePolicy(context.Background(), change)
	if err == nil && len(tuples) > 0 {
		err = fmt.Errorf("the hypervisor refused the policy: %v", tuples)
	}
	if err != nil {
		s.hooks.Unstage(next)
		return err
	}
	return nil
}

// running describes the live domains and their channels for the admin's checks, in
// the hypervisor's order (most recently created first, as Xen walks them).
func (s *security) running(ctx context.Context) (acm.RunningState, error) {
	doms, err := s.hv.Domains(ctx)
	if err != nil {
		return acm.RunningState{}, err
	}
	var rs acm.RunningState
	for _, d := range doms {
		if d.State.Live() {
			rs.Domains = append(rs.Domains, acm.RunningDomain{ID: uint32(d.ID), SSIDRef: d.SSIDRef})
		}
	}
	slices.SortFunc(rs.Domains, func(a, b acm.RunningDomain) int { return int(b.ID) - int(a.ID) })
	evs, err := s.hv.EventChannels(ctx)
	if err != nil {
		return rs, err
	}
	for _, e := range evs {
		rs.Channels = append(rs.Channels, acm.Channel{A: uint32(e.Domain), B: uint32(e.Remote)})
	}
	gs, err := s.hv.Grants(ctx)
	if err != nil {
		return rs, err
	}
	for _, g := range gs {
		rs.Channels = append(rs.Channels, acm.Channel{A: uint32(g.Mapper), B: uint32(g.Granter), Grant: true})
	}
	return rs, nil
}
