package toolstack

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

func changePolicyHook(hv hypervisor.Security, hooks *acm.Hooks) func(*acm.Compiled, *acm.UpdatePlan) error {
	return func(next *acm.Compiled, plan *acm.UpdatePlan) error {
		// The hooks find the compiled policy by its binary: stage it before the
		// hypervisor hands the binary back, forget it if the hypervisor refuses.
		hooks.Stage(next)
		change := hypervisor.PolicyChange{Policy: next.Binary()}
		if plan != nil {
			change.Delete, change.Change = plan.Deleted, plan.Changed
		}
		tuples, err := hv.ChangePolicy(context.Background(), change)
		if err == nil && len(tuples) > 0 {
			err = fmt.Errorf("toolstack: the hypervisor refused the policy: %v: %w", tuples, hypervisor.ErrDenied)
		}
		if err != nil {
			hooks.Unstage(next)
			return err
		}
		return nil
	}
}

// running describes the live domains and their channels for the policy checks, in
// the hypervisor's order (most recently created first, as Xen walks them), and
// returns the names of those domains in the same order.
func (t *Toolstack) running(ctx context.Context) (acm.RunningState, []string, error) {
	hds, err := t.o.HV.Domains(ctx)
	if err != nil {
		return acm.RunningState{}, nil, err
	}
	live := make([]hypervisor.Domain, 0, len(hds))
	for _, hd := range hds {
		if hd.State.Live() {
			live = append(live, hd)
		}
	}
	slices.SortFunc(live, func(a, b hypervisor.Domain) int { return int(b.ID) - int(a.ID) })
	active := t.active()
	var rs acm.RunningState
	names := make([]string, 0, len(live))
	for _, hd := range live {
		rd := acm.RunningDomain{ID: uint32(hd.ID), SSIDRef: hd.SSIDRef}
		for _, dev := range hd.Devices {
			if dev.Kind != hypervisor.Block {
				continue
			}
			// Only a label of the enforced policy names something the update can
			// translate; any other counts as unlabeled, as the device check reads it.
			name := ""
			if l, ok := t.o.Resources.Get(dev.Resource); ok && l.Type == acm.LabelTypeACM && l.Policy == active {
				name = l.Label
			}
			rd.Resources = append(rd.Resources, name)
		}
		rs.Domains = append(rs.Domains, rd)
		names = append(names, hd.Name)
	}
	evs, err := t.o.HV.EventChannels(ctx)
	if err != nil {
		return rs, nil, err
	}
	for _, e := range evs {
		rs.Channels = append(rs.Channels, acm.Channel{A: uint32(e.Domain), B: uint32(e.Remote)})
	}
	gs, err := t.o.HV.Grants(ctx)
	if err != nil {
		return rs, nil, err
	}
	for _, g := range gs {
		rs.Channels = append(rs.Channels, acm.Channel{A: uint32(g.Mapper), B: uint32(g.Granter), Grant: true})
	}
	return rs, names, nil
}

func (t *Toolstack) setPolicy(ctx context.Context, xml []byte, flags uint32, overwrite bool) (*acm.Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.measure(ctx, t.engine().Policy())
	rs, names, err := t.running(ctx)
	if err != nil {
		return nil, err
	}
	res, err := t.o.Admin.SetPolicy(xml, flags, overwrite, rs)
	if err != nil {
		return res, err
	}
	return res, t.followPolicy(ctx, res, names)
}

func (t *Toolstack) resetPolicy(ctx context.Context) (*acm.Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.measure(ctx, t.engine().Policy())
	rs, names, err := t.running(ctx)
	if err != nil {
		return nil, err
	}
	res, err := t.o.Admin.ResetPolicy(rs)
	if err != nil {
		return res, err
	}
	return res, t.followPolicy(ctx, res, names)
}

// followPolicy stores the labels of every domain and resource under the policy an
// accepted update installed: the running domains' from the plan, the others renamed
// through Result.VMLabel.
func (t *Toolstack) followPolicy(ctx context.Context, res *acm.Result, names []string) error {
	if res == nil || res.Plan == nil || res.New == nil || res.Old == nil {
		return nil // nothing was loaded into the hypervisor
	}
	plan := map[string]string{}
	for i, n := range names {
		if i < len(res.Plan.VMLabels) {
			plan[n] = res.Plan.VMLabels[i]
		}
	}
	return t.relabelAll(ctx, res.Old, res.New, plan, res.VMLabel)
}

// relabelAll rewrites the stored labels after old was replaced by next: plan gives
// the live domains' new labels, rename maps a label name of old for the others.
func (t *Toolstack) relabelAll(ctx context.Context, old, next *acm.Compiled, plan map[string]string, rename func(string) string) error {
	hds, err := t.o.HV.Domains(ctx)
	if err != nil {
		return err
	}
	labels := map[string]string{}
	for _, hd := range hds {
		nl, inPlan := plan[hd.Name]
		switch {
		case inPlan && hd.Label == "" && nl == acm.NewLabel(next.Name(), acm.LabelUnlabeled).String():
			// An unlabeled domain stays unlabeled: its effective label follows the
			// active policy by itself.
			continue
		case inPlan:
		case hd.Label == "":
			continue
		default:
			l, err := acm.ParseLabel(hd.Label)
			if err != nil || l.Type != acm.LabelTypeACM || l.Policy != old.Name() {
				continue // labels of other policies and INV_ACM ones stay as they are
			}
			nl = rename(l.Label)
		}
		if nl != "" && nl != hd.Label {
			labels[hd.Name] = nl
		}
	}
	var errs []error
	if len(labels) > 0 {
		if err := t.o.HV.SetLabels(ctx, labels); err != nil {
			errs = append(errs, fmt.Errorf("toolstack: storing the domains' labels under %s: %w", next.Name(), err))
		}
	}
	if err := t.o.Resources.Replace(acm.RelabelResources(t.o.Resources.List(), old, next)); err != nil {
		errs = append(errs, fmt.Errorf("toolstack: storing the resource labels under %s: %w", next.Name(), err))
	}
	return errors.Join(errs...)
}

func (t *Toolstack) activatePolicy(ctx context.Context, flags uint32) (uint32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.measure(ctx, t.engine().Policy())
	rs, names, err := t.running(ctx)
	if err != nil {
		return 0, err
	}
	old := t.engine().Policy()
	// The admin returns no plan for an activation: compute the one it checks, so that
	// the labels of the running domains follow the newly loaded policy.
	var plan *acm.UpdatePlan
	var next *acm.Compiled
	if flags&acm.FlagLoad != 0 && t.o.Admin.GetPolicy().Flags&acm.FlagLoad == 0 {
		if pol, err := acm.Parse(t.o.Admin.GetPolicy().XML); err == nil {
			if next, err = acm.Compile(pol); err == nil {
				plan, _ = acm.CheckUpdate(old, next, acm.UpdateInput{Domains: rs.Domains, Channels: rs.Channels})
			}
		}
	}
	got, err := t.o.Admin.ActivatePolicy(flags, rs)
	if err != nil {
		return got, err
	}
	now := t.engine().Policy()
	if now == old || plan == nil || next == nil || now.Name() != next.Name() {
		return got, nil
	}
	byName := map[string]string{}
	for i, n := range names {
		if i < len(plan.VMLabels) {
			byName[n] = plan.VMLabels[i]
		}
	}
	return got, t.relabelAll(ctx, old, now, byName, func(label string) string { return renameVM(old, now, label) })
}

// renameVM is Result.VMLabel for an activation, which has no Result: a label of old
// keeps its name in next, or follows a rename via from, or becomes INV_ACM.
func renameVM(old, next *acm.Compiled, label string) string {
	for _, l := range next.Policy().VMLabels {
		if l.From == label {
			return acm.NewLabel(next.Name(), l.Name).String()
		}
	}
	if _, ok := next.Policy().VMLabel(label); ok || label == acm.LabelUnlabeled {
		return acm.NewLabel(next.Name(), label).String()
	}
	return acm.LabelTypeInvalid + ":" + old.Name() + ":" + label
}

func (t *Toolstack) removeBootPolicy(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.o.Admin.RemoveBootPolicy()
}

func (t *Toolstack) dom0SSIDRef() (uint32, error) {
	d0, err := t.o.HV.Domain(context.Background(), hypervisor.Domain0Name)
	if err != nil {
		return 0, err
	}
	return d0.SSIDRef, nil
}

func (t *Toolstack) canRun(label string) acm.XSErr {
	if label == "" {
		return acm.XSErrBadLabelFormat
	}
	dom0, err := t.dom0SSIDRef()
	if err != nil {
		return acm.XSErrGeneralFailure
	}
	// The start checks without devices are can_run's: format, type, policy, label,
	// authorization against Domain-0, Chinese Wall.
	_, err = t.engine().CheckDomainStart(acm.StartInput{Label: label, Dom0: dom0})
	return acm.CodeOf(err)
}

// ssidrefOf maps a label of the active policy to its ssidref: a VM label, or, where
// resources count (sharing), a resource label.
func (t *Toolstack) ssidrefOf(label string, resources bool) (uint32, error) {
	c := t.engine().Policy()
	l, err := acm.ParseLabel(label)
	if err != nil {
		return 0, err
	}
	notFound := &acm.Error{Code: acm.XSErrBadLabel, Msg: fmt.Sprintf("Label '%s' not found.", l.Label)}
	if l.Type != acm.LabelTypeACM || l.Policy != c.Name() {
		return 0, notFound
	}
	if l.Label == acm.LabelUnlabeled {
		if !c.HasUnlabeled() {
			return 0, notFound
		}
		return 0, nil
	}
	if _, ok := c.Policy().VMLabel(l.Label); ok {
		s, _ := c.VMSSIDRef(l.Label)
		return s, nil
	}
	if resources {
		if s, ok := c.ResourceSSIDRef(l.Label); ok {
			return s, nil
		}
	}
	return 0, notFound
}

func (t *Toolstack) decide(ctx context.Context, op hypervisor.DecisionOp, label1, label2 string) (bool, error) {
	a, err := t.ssidrefOf(label1, op == hypervisor.DecideSharing)
	if err != nil {
		return false, err
	}
	var b uint32
	if op != hypervisor.DecideConflictSet {
		if b, err = t.ssidrefOf(label2, op == hypervisor.DecideSharing); err != nil {
			return false, err
		}
	}
	return t.o.HV.Decide(ctx, op, hypervisor.Subject{SSIDRef: a}, hypervisor.Subject{SSIDRef: b})
}

func (t *Toolstack) dumpPolicy(ctx context.Context) (string, error) {
	dom0, err := t.dom0SSIDRef()
	if err != nil {
		return "", err
	}
	return acm.Dump(t.engine().LiveBinary(), dom0)
}

// --- dry run ---------------------------------------------------------------------

func (t *Toolstack) dryRunDomain(ctx context.Context, ref string) (DryRun, error) {
	d, err := t.domain(ctx, ref)
	if err != nil {
		return DryRun{}, err
	}
	return t.dryRunConfig(ctx, d.Config)
}

// dryRunConfig is xm dry-run (tools/python/xen/xm/dry-run.py with create.py's
// check_domain_label and config_security_check), decided as xm's code did:
//
//   - the domain passes only with a label that is not the label of ssid 0
//     (__UNLABELED__, or __NULL_LABEL__ when the policy lacks it): an unlabeled
//     domain, or one labeled __UNLABELED__, is DENIED even where __UNLABELED__
//     may run (acm.md §10.6), and the resources are then skipped;
//   - each VBD is checked by the resource access decision alone (no
//     authorization, no Chinese Wall): acm.CheckDevice under the active policy,
//     which reads an unlabeled resource as __UNLABELED__; a domain label the
//     active policy lacks (another policy's, an INV_ACM one) gets no ssidref and
//     is DENIED for every resource, where xm's decision failed;
//   - a DENIED line is followed by the resource's label, type and policy as
//     get_res_label gave them: an unlabeled resource reads as the ssid-0 label
//     with type ACM and policy NULL; the dom line repeats the resource's type, as
//     xm printed it, with the domain's label and policy.
func (t *Toolstack) dryRunConfig(ctx context.Context, cfg Config) (DryRun, error) {
	c := t.engine().Policy()
	nullLabel := acm.LabelNull
	if c.HasUnlabeled() {
		nullLabel = acm.LabelUnlabeled
	}
	var dom acm.SecLabel
	if cfg.Label != "" {
		var err error
		if dom, err = acm.ParseLabel(cfg.Label); err != nil {
			return DryRun{}, err
		}
	}
	lines := []string{"Checking domain:"}
	if dom.Label == "" || dom.Label == nullLabel {
		lines = append(lines, fmt.Sprintf("   %s: DENIED", cfg.Name), "   --> Domain not labeled", "Checking resources: (skipped)")
		return DryRun{Lines: lines}, nil
	}
	lines = append(lines, fmt.Sprintf("   %s: PERMITTED", cfg.Name), "Checking resources:")
	vm, known := uint32(0), false
	if dom.Type == acm.LabelTypeACM && dom.Policy == c.Name() {
		if _, ok := c.Policy().VMLabel(dom.Label); ok {
			vm, known = c.VMSSIDRef(dom.Label)
		}
	}
	ok := true
	for _, d := range cfg.Disks {
		res, err := acm.NormalizeResource(d.Uname, t.o.WorkDir)
		if err != nil {
			return DryRun{}, fmt.Errorf("toolstack: block device %q: %w: %w", d.Uname, hypervisor.ErrInvalid, err)
		}
		rl, labeled := t.o.Resources.Get(res)
		permitted := known && acm.CheckDevice(c, vm, acm.StartDevice{Resource: d.Uname, Label: rl}) == nil
		if permitted {
			lines = append(lines, fmt.Sprintf("   %s: PERMITTED", d.Uname))
			continue
		}
		ok = false
		if !labeled {
			rl = acm.ResourceLabel{Type: acm.LabelTypeACM, Policy: "NULL", Label: nullLabel}
		}
		lines = append(lines,
			fmt.Sprintf("   %s: DENIED", d.Uname),
			fmt.Sprintf("   --> res: %s (%s:%s)", rl.Label, rl.Type, rl.Policy),
			fmt.Sprintf("   --> dom: %s (%s:%s)", dom.Label, rl.Type, dom.Policy))
	}
	return DryRun{Lines: lines, Permitted: ok}, nil
}

// measure hands the enforced binary to Options.PolicyChanged when the policy in
// force is no longer before (deferred by every policy operation).
func (t *Toolstack) measure(ctx context.Context, before *acm.Compiled) {
	if t.o.PolicyChanged != nil && t.engine().Policy() != before {
		t.o.PolicyChanged(ctx, t.engine().Policy().Binary())
	}
}
