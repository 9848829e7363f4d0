package main

import (
	"fmt"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
	"github.com/shypecim/shypecim/providers/toolstack"
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
	// ts is the management layer over all of the above (xend).
	ts *toolstack.Toolstack
}

// openSecurity opens the policy store (enforcing the policy that was loaded, or with
// resetHost the boot policy: a host boot), then the hypervisor, which re-creates
// Domain-0 and the domains still running through the ACM's hooks, rebuilding the
// Chinese Wall state. Last comes the toolstack, which manages domains, labels and the
// policy over them; with adjusts its options (the vTPM manager, the host's policy
// measurement).
func openSecurity(dataDir string, resetHost bool, log *logrus.Entry, with ...func(*toolstack.Options)) (*security, error) {
	dflt, err := acm.Compile(acm.DefaultPolicy())
	if err != nil {
		return nil, fmt.Errorf("compiling the DEFAULT policy: %w", err)
	}
	s := &security{engine: acm.NewEngine(dflt)}
	s.hooks = acm.NewHooks(s.engine)
	s.admin, err = acm.OpenAdmin(filepath.Join(dataDir, "acm"), acm.AdminOptions{
		Engine:    s.engine,
		ResetHost: resetHost,
		// The admin is opened before the hypervisor, because Domain-0's boot ssidref
		// comes from the policy it enforces; the closure reaches the hypervisor once
		// it exists (no policy change can happen before openSecurity returns).
		ChangePolicy: func(next *acm.Compiled, plan *acm.UpdatePlan) error {
			return toolstack.ChangePolicyHook(s.hv, s.hooks)(next, plan)
		},
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
	o := toolstack.Options{HV: s.hv, Admin: s.admin, Hooks: s.hooks, Resources: s.resources}
	for _, f := range with {
		f(&o)
	}
	s.ts, err = toolstack.New(o)
	if err != nil {
		return nil, fmt.Errorf("opening the toolstack: %w", err)
	}
	return s, nil
}
