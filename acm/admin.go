package acm

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Xen-API xs_instantiationflags (acm.md §7).
const (
	FlagNone uint32 = 0 // XS_INST_NONE
	FlagBoot uint32 = 1 // XS_INST_BOOT: enforced after the next host boot
	FlagLoad uint32 = 2 // XS_INST_LOAD: enforced now
)

// PolicyTypeACM is XS_POLICY_ACM, the only policy type there is.
const PolicyTypeACM = 1

// RunningState is what the administration checks need to know about the
// hypervisor: its running and paused domains in its iteration order (most
// recently created first) with their ssidrefs under the enforced policy and
// their block devices' resource labels, and the event channels and pinned
// grants between domains. Domain-0 (ID 0) is one of the domains.
type RunningState struct {
	Domains  []RunningDomain
	Channels []Channel
}

func (r RunningState) refs() []uint32 { return domainRefs(r.Domains) }

func domainRefs(ds []RunningDomain) []uint32 {
	out := make([]uint32, len(ds))
	for i, d := range ds {
		out[i] = d.SSIDRef
	}
	return out
}

// AdminOptions configures OpenAdmin. The zero value is valid.
type AdminOptions struct {
	// Engine is the access control module the admin drives; nil means a new
	// one. OpenAdmin installs the policy in force into it.
	Engine *Engine
	// Running is the state of the hypervisor at OpenAdmin (after a
	// management restart, the domains still running), from which the
	// engine's Chinese Wall counters are rebuilt. Ignored with ResetHost.
	Running RunningState
	// ResetHost simulates a host boot at open: see Admin.Boot.
	ResetHost bool
	// MapDir is the folder the map files' POLICYFILE and BINARYFILE lines
	// name; "" means xend's /var/lib/xend/security/policies.
	MapDir string
	// Rand is the source of the policy reference uuid; nil means crypto/rand.
	Rand io.Reader
	// ChangePolicy, when set, is the hypervisor's policy load
	// (ACMOP_setpolicy/chgpolicy): the admin calls it, after its checks
	// passed and the new files are written, with the new policy and the
	// plan (del and chg arrays, the running domains' new ssidrefs) instead
	// of calling Engine.Install itself; the hypervisor then translates its
	// domains and installs through Hooks. An error refuses the operation and
	// must leave the hypervisor unchanged, as Xen's chgpolicy did. A later
	// failure to switch the state file is not undone in the hypervisor.
	ChangePolicy func(next *Compiled, plan *UpdatePlan) error
}

// Admin administers the managed policy of one host as xend's
// XendXSPolicyAdmin did (acm.md §5.5, §3.4, §7): exactly one managed policy,
// a reference uuid created once that survives updates, resets and boots, the
// load and boot flags, and the policy files on disk. Every operation is
// all-or-nothing: a refused or failed one changes nothing in memory, in the
// engine or on disk. Methods are safe for concurrent use; they serialise.
// The caller serialises them with domain lifecycle changes (xend held its
// domains lock) so that the RunningState it passes stays true.
type Admin struct {
	mu      sync.Mutex
	st      *store
	eng     *Engine
	state   storeState
	managed *Compiled
	deflt   *Compiled
	warn    []string

	changePolicy func(next *Compiled, plan *UpdatePlan) error

	// beforeSwitch, when set (tests), runs after a new generation is written
	// and before the state file switches; an error aborts there, as a crash.
	beforeSwitch func() error
}

// PolicyInfo is the managed policy as get_xspolicy and the ACMPolicy class
// report it.
type PolicyInfo struct {
	Ref     string // the reference uuid
	Type    int    // PolicyTypeACM
	Flags   uint32 // FlagBoot | FlagLoad
	Name    string
	Version string
	XML     []byte
	Map     string
	Binary  []byte
}

// Result is the outcome of SetPolicy and ResetPolicy, shaped as Xen-API's
// xs_policystate.
type Result struct {
	// Code is XSErrSuccess or the refusal's code (xserr, positive here).
	Code XSErr
	// Fault is true when xend raised SECURITY_ERROR instead of returning a
	// policystate with xserr set (fresh-load refusals, POLICY_LOADED).
	Fault bool
	// Ref, Flags and Version describe the managed policy after success.
	Ref     string
	Flags   uint32
	Version string
	// OldFlags are the flags of the policy managed before the operation
	// (xm resetpolicy reports a non-DEFAULT old policy without BOOT).
	OldFlags uint32
	// Errors are the hypervisor's (code, data) tuples of a refused update.
	Errors []ErrorTuple
	// Old and New are the enforced policy before and, on success, after;
	// RelabelResources(labels, Old, New) gives the resource labels.
	Old, New *Compiled
	// Plan is the update the hypervisor applied (nil when nothing was
	// loaded): per RunningState domain its new ssidref and label; the caller
	// relabels domains and resources with it.
	Plan *UpdatePlan

	reset bool // a reset renames only Domain-0's label
}

// VMLabel returns the label that a domain labelled label under Old carries
// under New (change_acm_policy), for the domains Plan does not cover
// (halted ones): "ACM:<new>:<label or its rename via from>", or
// "INV_ACM:<old>:<label>" when New lacks it; __UNLABELED__ is kept. A reset
// renames no label but Domain-0's. It returns "" after a refusal.
func (r *Result) VMLabel(label string) string {
	if r.New == nil {
		return ""
	}
	if to, ok := renames(r.New.policy.VMLabels)[label]; ok && !r.reset {
		return "ACM:" + r.New.Name() + ":" + to
	}
	if _, ok := r.New.policy.VMLabel(label); ok || label == LabelUnlabeled {
		return "ACM:" + r.New.Name() + ":" + label
	}
	return "INV_ACM:" + r.Old.Name() + ":" + label
}

// OpenAdmin opens (creating it when empty) the policy store in dir and
// enforces, in the engine, the policy that was loaded: a management restart.
// With opts.ResetHost it simulates a host boot instead (Boot). Files of an
// interrupted operation are removed. A store whose managed policy files are
// damaged falls back to DEFAULT, as xend did when the enforced policy's XML
// was missing or its hash differed.
func OpenAdmin(dir string, opts AdminOptions) (*Admin, error) {
	if err := mkdirAllSync(dir); err != nil {
		return nil, err
	}
	a := &Admin{st: &store{dir: dir, mapDir: opts.MapDir}, eng: opts.Engine, changePolicy: opts.ChangePolicy}
	var err error
	if a.deflt, err = Compile(DefaultPolicy()); err != nil {
		return nil, err
	}
	st, ok, err := a.st.readState()
	if err != nil {
		return nil, err
	}
	if !ok {
		ref, err := newUUID(opts.Rand)
		if err != nil {
			return nil, err
		}
		st = a.stateFor(storeState{Reference: ref}, a.deflt, true, false)
		st.Generation = 1
		if err := a.st.writeGeneration(st, a.deflt); err != nil {
			return nil, err
		}
		if err := a.st.switchState(st); err != nil {
			return nil, err
		}
	}
	a.state = st
	a.managed, err = a.st.readPolicy(st)
	if err != nil {
		// xend's start: no valid XML for the enforced policy → DEFAULT.
		a.warn = append(a.warn, fmt.Sprintf("policy %s: %v; DEFAULT enforced instead", st.Policy, err))
		a.managed = a.deflt
		a.state = a.stateFor(st, a.deflt, true, false)
		a.state.Generation = st.Generation + 1
		if err := a.st.writeGeneration(a.state, a.deflt); err != nil {
			return nil, err
		}
		if err := a.st.switchState(a.state); err != nil {
			return nil, err
		}
	}
	a.st.removeOtherGenerations(a.state.Generation)
	if opts.ResetHost {
		if a.eng == nil {
			a.eng = NewEngine(a.enforced())
		}
		if err := a.Boot(); err != nil {
			return nil, err
		}
		return a, nil
	}
	if a.eng == nil {
		a.eng = NewEngine(a.enforced())
		if len(opts.Running.Domains) == 0 {
			return a, nil
		}
	}
	if t := a.eng.Install(a.enforced(), opts.Running.refs()); t != nil {
		return nil, hvError([]ErrorTuple{*t})
	}
	return a, nil
}

func newUUID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fileErr("create policy reference", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// stateFor returns the state that manages c, keeping the reference and the
// generation of base. DEFAULT is never a boot entry: it is what boots
// without one.
func (a *Admin) stateFor(base storeState, c *Compiled, loaded, boot bool) storeState {
	boot = boot && !c.policy.IsDefault()
	sum := sha1.Sum(c.policy.xml)
	return storeState{
		Format:     stateFormat,
		Reference:  base.Reference,
		Generation: base.Generation,
		Policy:     c.Name(),
		Loaded:     loaded,
		Boot:       boot,
		XMLSHA1:    hex.EncodeToString(sum[:]),
	}
}

// enforced is the policy the hypervisor enforces: the managed one when
// loaded, else DEFAULT.
func (a *Admin) enforced() *Compiled {
	if a.state.Loaded {
		return a.managed
	}
	return a.deflt
}

// Warnings returns what OpenAdmin repaired, such as a damaged managed
// policy replaced by DEFAULT, for the caller to log.
func (a *Admin) Warnings() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.warn)
}

// Engine returns the engine the admin installs policies into.
func (a *Admin) Engine() *Engine { return a.eng }

// flags are get_policy_flags: BOOT when it is the boot policy or DEFAULT,
// LOAD when enforced.
func flagsOf(st storeState, c *Compiled) uint32 {
	var f uint32
	if st.Boot || c.policy.IsDefault() {
		f |= FlagBoot
	}
	if st.Loaded {
		f |= FlagLoad
	}
	return f
}

// hvChange is the hypervisor's part of an operation that loads a policy:
// the plan (new ssidrefs of the running domains, del and chg arrays) and
// the running domains' ssidrefs before, to undo an engine install.
type hvChange struct {
	plan    *UpdatePlan
	oldRefs []uint32
}

// commit makes next the state and c the managed policy: the new generation's
// files, then the hypervisor's change (hv, nil for none: c is then loaded),
// then the state file, the commit point. On failure nothing has changed:
// an engine install is undone; a ChangePolicy hook cannot be (see
// AdminOptions).
func (a *Admin) commit(next storeState, c *Compiled, hv *hvChange) error {
	next.Generation = a.state.Generation + 1
	if err := a.st.writeGeneration(next, c); err != nil {
		a.st.removeOtherGenerations(a.state.Generation)
		return err
	}
	if hv != nil {
		if err := a.applyHV(c, hv.plan); err != nil {
			a.st.removeOtherGenerations(a.state.Generation)
			return err
		}
	}
	if a.beforeSwitch != nil {
		if err := a.beforeSwitch(); err != nil {
			// A simulated crash: the new files stay for OpenAdmin to find.
			a.undoHV(hv)
			return err
		}
	}
	if err := a.st.switchState(next); err != nil {
		a.undoHV(hv)
		a.st.removeOtherGenerations(a.state.Generation)
		return err
	}
	a.state, a.managed = next, c
	a.st.removeOtherGenerations(next.Generation)
	return nil
}

// applyHV loads c into the hypervisor: through the ChangePolicy hook when
// set, else straight into the engine.
func (a *Admin) applyHV(c *Compiled, plan *UpdatePlan) error {
	if a.changePolicy != nil {
		if err := a.changePolicy(c, plan); err != nil {
			return fmt.Errorf("acm: hypervisor refused policy %s: %w", c.Name(), err)
		}
		return nil
	}
	if t := a.eng.Install(c, plan.SSIDRefs); t != nil {
		// The running state changed since the checks.
		return hvError([]ErrorTuple{*t})
	}
	return nil
}

func (a *Admin) undoHV(hv *hvChange) {
	if hv == nil || a.changePolicy != nil {
		return
	}
	_ = a.eng.Install(a.enforced(), hv.oldRefs) // the old state was consistent
}

// isUpdate reports whether a non-DEFAULT policy is loaded, so that a new
// policy must come as an update (the hypervisor's require_update).
func (a *Admin) isUpdate() bool {
	return a.state.Loaded && !a.managed.policy.IsDefault()
}

// SetPolicy installs the policy document xml with flags (FlagLoad,
// FlagBoot) as set_xspolicy did (acm.md §5.5, §3.4).
//
// When a non-DEFAULT policy is loaded it is an update: FlagLoad is required
// (else XSErrPolicyLoaded); a document that does not parse or validate is
// XSErrXMLProcessing; then CheckUpdate: the FromPolicy/version rule
// (XSErrVersionPreventsUpdate), renames via from (XSErrBadLabel), resources
// of running domains (XSErrResourceAccess) and the hypervisor's checks
// (XSErrHVOpFailed with Result.Errors). The boot entry follows FlagBoot.
//
// When only DEFAULT is in force it is a fresh load: the document's own
// validation code (Parse); with FlagBoot and without overwrite, another boot
// policy is XSErrBootPolicyInstalled, and without overwrite an already
// managed (not loaded) policy is XSErrBootPolicyInstalled; with FlagLoad the
// policy replaces DEFAULT under the same hypervisor checks.
//
// On success the policy is written, compiled, and with FlagLoad installed in
// the engine; Result.Plan carries the new ssidrefs and labels of the running
// domains. A refusal returns the Result and an error matching its code and
// changes nothing.
func (a *Admin) SetPolicy(xml []byte, flags uint32, overwrite bool, running RunningState) (*Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := &Result{Old: a.enforced(), OldFlags: flagsOf(a.state, a.managed)}
	if a.isUpdate() {
		if flags&FlagLoad == 0 {
			return a.refuse(res, true, errf(XSErrPolicyLoaded, 0, "policy %s is loaded: a new policy must be loaded as an update", a.managed.Name()), nil)
		}
		next, err := compileXML(xml)
		if err != nil {
			// ACMPolicy.update: any failure to build the new policy.
			return a.refuse(res, false, &Error{Code: XSErrXMLProcessing, Msg: err.Error()}, nil)
		}
		return a.update(res, next, flags, running, false)
	}
	next, err := compileXML(xml)
	if err != nil {
		return a.refuse(res, true, err, nil)
	}
	managedOther := !a.managed.policy.IsDefault()
	if flags&FlagBoot != 0 && !overwrite && a.state.Boot && managedOther && a.managed.Name() != next.Name() {
		return a.refuse(res, true, errf(XSErrBootPolicyInstalled, 0, "policy %s is the boot policy", a.managed.Name()), nil)
	}
	if !overwrite && managedOther {
		return a.refuse(res, true, errf(XSErrBootPolicyInstalled, 0, "policy %s is managed already", a.managed.Name()), nil)
	}
	if flags&FlagLoad == 0 {
		st := a.stateFor(a.state, next, false, flags&FlagBoot != 0)
		// DEFAULT stays enforced: the engine is left alone.
		if err := a.commit(st, next, nil); err != nil {
			return a.refuse(res, true, err, nil)
		}
		return a.success(res, nil), nil
	}
	// Loading onto DEFAULT: the hypervisor tests the new policy against
	// the running domains as for an update (the version rule never
	// applies to DEFAULT).
	return a.update(res, next, flags, running, true)
}

// update replaces the enforced policy by next after CheckUpdate.
func (a *Admin) update(res *Result, next *Compiled, flags uint32, running RunningState, fault bool) (*Result, error) {
	return a.updateIn(res, next, flags, UpdateInput{Domains: running.Domains, Channels: running.Channels}, fault)
}

func (a *Admin) updateIn(res *Result, next *Compiled, flags uint32, in UpdateInput, fault bool) (*Result, error) {
	plan, err := CheckUpdate(a.enforced(), next, in)
	if err != nil {
		return a.refuse(res, fault, err, plan.Errors)
	}
	st := a.stateFor(a.state, next, true, flags&FlagBoot != 0)
	if err := a.commit(st, next, &hvChange{plan: plan, oldRefs: domainRefs(in.Domains)}); err != nil {
		return a.refuse(res, fault, err, nil)
	}
	return a.success(res, plan), nil
}

func (a *Admin) refuse(res *Result, fault bool, err error, tuples []ErrorTuple) (*Result, error) {
	res.Code, res.Fault, res.Errors = CodeOf(err), fault, tuples
	return res, err
}

func (a *Admin) success(res *Result, plan *UpdatePlan) *Result {
	res.Ref, res.Flags, res.Version = a.state.Reference, flagsOf(a.state, a.managed), a.managed.policy.Version
	res.New, res.Plan = a.enforced(), plan
	return res
}

func compileXML(xml []byte) (*Compiled, error) {
	p, err := Parse(xml)
	if err != nil {
		return nil, err
	}
	return Compile(p)
}

// ResetPolicy goes back to the DEFAULT policy as reset_xspolicy did: an
// update (load and boot, overwrite) to DEFAULT's document in which Domain-0's
// current label is renamed to SystemManagement; every other label DEFAULT
// lacks is deleted, so a running domain on one refuses the reset
// (XSErrHVOpFailed, tuple HVSSIDRefInUse); running __UNLABELED__ domains do
// not. Afterwards DEFAULT is managed, loaded and the boot policy; the
// reference is kept.
func (a *Admin) ResetPolicy(running RunningState) (*Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := &Result{Old: a.enforced(), OldFlags: flagsOf(a.state, a.managed)}
	enf := a.enforced()
	dom0 := enf.policy.Bootstrap
	for _, d := range running.Domains {
		if d.ID == 0 {
			if l, ok := enf.VMLabelOf(d.SSIDRef); ok {
				dom0 = l
			}
		}
	}
	next, err := compileXML(DefaultXML(dom0))
	if err != nil {
		return a.refuse(res, false, &Error{Code: XSErrXMLProcessing, Msg: err.Error()}, nil)
	}
	in := UpdateInput{Domains: running.Domains, Channels: running.Channels, Reset: true}
	res.reset = true
	return a.updateIn(res, next, FlagLoad|FlagBoot, in, !a.isUpdate())
}

// ActivatePolicy is activate_xspolicy on the managed policy: FlagLoad loads
// it if DEFAULT is in force (under the hypervisor's checks against running),
// FlagBoot makes it the boot policy. It returns flags on success; a refusal
// changes nothing.
func (a *Admin) ActivatePolicy(flags uint32, running RunningState) (uint32, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.state
	var hv *hvChange
	if flags&FlagLoad != 0 && !st.Loaded {
		plan, err := CheckUpdate(a.deflt, a.managed, UpdateInput{Domains: running.Domains, Channels: running.Channels})
		if err != nil {
			return 0, err
		}
		st.Loaded, hv = true, &hvChange{plan: plan, oldRefs: running.refs()}
	}
	if flags&FlagBoot != 0 && !a.managed.policy.IsDefault() {
		st.Boot = true
	}
	if st == a.state {
		return flags, nil
	}
	if err := a.commit(st, a.managed, hv); err != nil {
		return 0, err
	}
	return flags, nil
}

// RemoveBootPolicy is rm_xsbootpolicy: after the next host boot DEFAULT is
// enforced. The managed policy stays loaded.
func (a *Admin) RemoveBootPolicy() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.state.Boot {
		return nil
	}
	st := a.state
	st.Boot = false
	return a.commit(st, a.managed, nil)
}

// GetPolicy returns the managed policy (get_xspolicy with the ACMPolicy
// attributes).
func (a *Admin) GetPolicy() PolicyInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.managed
	return PolicyInfo{
		Ref:     a.state.Reference,
		Type:    PolicyTypeACM,
		Flags:   flagsOf(a.state, c),
		Name:    c.Name(),
		Version: c.policy.Version,
		XML:     c.policy.XML(),
		Map:     c.Map(a.st.mapDir),
		Binary:  c.Binary(),
	}
}

// Boot simulates a host boot (acm.md §0, shyped --reset-host): every domain
// is gone, and the boot policy (or DEFAULT, when there is none) is enforced
// and becomes the managed, loaded policy, as xend adopted the hypervisor's
// policy at start. The engine's Chinese Wall state is empty afterwards: the
// hypervisor then creates Domain-0 (DomainCreate) like any domain.
func (a *Admin) Boot() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.deflt
	if a.state.Boot {
		c = a.managed
	}
	st := a.stateFor(a.state, c, true, a.state.Boot)
	if st != a.state {
		if err := a.commit(st, c, nil); err != nil {
			return err
		}
	}
	if t := a.eng.Install(c, nil); t != nil {
		return fmt.Errorf("acm: boot: %w", hvError([]ErrorTuple{*t}))
	}
	return nil
}
