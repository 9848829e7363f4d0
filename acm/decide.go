package acm

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Messages xend prints for a refused domain start (acm.md §5.2), as Error.Msg.
const (
	MsgNotAuthorized = "VM is not authorized to run."
	MsgInConflict    = "Domain in conflict set with running domain?"
)

// Sharing reports whether two domains (or a domain and a resource) with
// ssidrefs a and b share an STE type: the hypervisor's sharing decision for
// event channels and grant mappings, and xend's resource access check
// (acm.md §3.1). An STE index beyond the policy denies. It does not allocate.
func (c *Compiled) Sharing(a, b uint32) bool {
	i, j := int(a>>16), int(b>>16)
	if i >= c.steRows || j >= c.steRows {
		return false
	}
	w := c.steW
	ra, rb := c.ste[i*w:i*w+w], c.ste[j*w:j*w+w]
	for k := range ra {
		if ra[k]&rb[k] != 0 {
			return true
		}
	}
	return false
}

// Access reports whether a VM with ssidref vm may use a resource with
// ssidref res (xend's resource check: an STE type in common).
func (c *Compiled) Access(vm, res uint32) bool { return c.Sharing(vm, res) }

// Authorized reports whether a VM may run on a host whose Domain-0 has
// ssidref dom0: Domain-0's STE types must include all of the VM's and the
// two must share one (acm_authorization, 3.2+). A VM without STE types is
// never authorized.
func (c *Compiled) Authorized(dom0, vm uint32) bool {
	i, j := int(dom0>>16), int(vm>>16)
	if i >= c.steRows || j >= c.steRows {
		return false
	}
	w := c.steW
	rd, rv := c.ste[i*w:i*w+w], c.ste[j*w:j*w+w]
	for k := range rv {
		if rv[k]&^rd[k] != 0 {
			return false
		}
	}
	return c.Sharing(dom0, vm)
}

// validSSIDRef reports whether both halves of a domain's ssidref are
// within the policy (the hypervisor's init_domain_ssid range checks).
func (c *Compiled) validSSIDRef(ssidref uint32) bool {
	return int(ssidref&0xffff) < c.chwRows && int(ssidref>>16) < c.steRows
}

// State is the Chinese Wall state of a host under one compiled policy
// (acm.md §3.2): running[t] counts running domains whose label has CHWALL
// type t; aggregate[t] counts, for every running domain D and every conflict
// set C sharing a type with D, the types of C that D lacks. A State is not
// safe for concurrent use; Engine guards one with a mutex.
type State struct {
	pol       *Compiled
	running   []uint16
	aggregate []uint16
}

// NewState returns the state of a host with no domain running.
func (c *Compiled) NewState() *State {
	return &State{pol: c, running: make([]uint16, len(c.chwTypes)), aggregate: make([]uint16, len(c.chwTypes))}
}

// conflictType returns the first CHWALL type of the ssidref's label whose
// aggregate is positive, or -1. The hypervisor scans types in index order.
func (s *State) conflictType(ssidref uint32) int {
	for _, t := range s.pol.chwTypeIdx[ssidref&0xffff] {
		if s.aggregate[t] > 0 {
			return int(t)
		}
	}
	return -1
}

// InConflict is the conflictset query (XSPolicy.can_run): whether a domain
// with this ssidref would conflict with the running ones. An ssidref beyond
// the policy is in conflict. It implements the intended rule of
// chwall_is_in_conflictset, not its out-of-bounds reads (acm.md §10.4).
func (s *State) InConflict(ssidref uint32) bool {
	if int(ssidref&0xffff) >= s.pol.chwRows {
		return true
	}
	return s.conflictType(ssidref) >= 0
}

// Create is the hypervisor's domain_create hook: the ssidref must lie within
// both components and no CHWALL type of the domain may have a positive
// aggregate; then the domain's contributions are added in one step. A refusal
// changes nothing: XSErrHVOpFailed for an ssidref out of range,
// XSErrVMInConflict (Msg MsgInConflict) for a Chinese Wall conflict.
func (s *State) Create(ssidref uint32) error {
	if !s.pol.validSSIDRef(ssidref) {
		return errf(XSErrHVOpFailed, 0, "ssidref 0x%08x out of range for policy %s", ssidref, s.pol.Name())
	}
	if s.conflictType(ssidref) >= 0 {
		return &Error{Code: XSErrVMInConflict, Msg: MsgInConflict}
	}
	s.add(ssidref)
	return nil
}

func (s *State) add(ssidref uint32) {
	i := ssidref & 0xffff
	for _, t := range s.pol.chwTypeIdx[i] {
		s.running[t]++
	}
	for _, t := range s.pol.contribution[i] {
		s.aggregate[t]++
	}
}

// Destroy undoes a successful Create of a domain with this ssidref (destroy,
// save, suspend, migrate-out). Destroying what was never created corrupts
// the counters, as in Xen; an ssidref out of range is ignored.
func (s *State) Destroy(ssidref uint32) {
	i := ssidref & 0xffff
	if int(i) >= s.pol.chwRows {
		return
	}
	for _, t := range s.pol.chwTypeIdx[i] {
		s.running[t]--
	}
	for _, t := range s.pol.contribution[i] {
		s.aggregate[t]--
	}
}

// Running returns a copy of the running-types counters, indexed like
// CHWallTypes.
func (s *State) Running() []uint16 { return slices.Clone(s.running) }

// Aggregate returns a copy of the conflict aggregate set, indexed like
// CHWallTypes.
func (s *State) Aggregate() []uint16 { return slices.Clone(s.aggregate) }

// Recompute rebuilds a state from the ssidrefs of the running domains in the
// hypervisor's iteration order (most recently created first), as
// chwall_init_state does on a policy change: each domain is checked against
// the domains before it, then added. It returns the state and, on the first
// conflict, the CHWALL type index at fault (ErrorTuple ACM_CHWALL_CONFLICT);
// tuple is nil when the set of domains is consistent.
func (c *Compiled) Recompute(running []uint32) (*State, *ErrorTuple) {
	s := c.NewState()
	for _, ref := range running {
		i := ref & 0xffff
		if int(i) >= c.chwRows {
			continue // the hypervisor translated or refused it before
		}
		for _, t := range c.chwTypeIdx[i] {
			s.running[t]++
		}
		if t := s.conflictType(ref); t >= 0 {
			return s, &ErrorTuple{Code: HVChwallConflict, Data: uint32(t)}
		}
		for _, t := range c.contribution[i] {
			s.aggregate[t]++
		}
	}
	return s, nil
}

// Hypervisor error tuple codes of a refused policy change (acm.md §3.4).
const (
	HVEvtchnSharingViolation = 0x100 // ACM_EVTCHN_SHARING_VIOLATION, data (domA<<16)|domB
	HVGnttabSharingViolation = 0x101 // ACM_GNTTAB_SHARING_VIOLATION, data (domA<<16)|domB
	HVDomainLookup           = 0x102 // ACM_DOMAIN_LOOKUP, data domid
	HVChwallConflict         = 0x103 // ACM_CHWALL_CONFLICT, data CHWALL type index
	HVSSIDRefInUse           = 0x104 // ACM_SSIDREF_IN_USE, data the deleted ssid index
)

// ErrorTuple is one (code, data) pair of the hypervisor's error array.
type ErrorTuple struct {
	Code uint32
	Data uint32
}

// String renders the tuple as `xm setpolicy` explains it (acm.md §6).
func (t ErrorTuple) String() string {
	switch t.Code {
	case HVEvtchnSharingViolation:
		return fmt.Sprintf("event channel sharing violation between domains %d and %d", t.Data>>16, t.Data&0xffff)
	case HVGnttabSharingViolation:
		return fmt.Sprintf("grant table sharing violation between domains %d and %d", t.Data>>16, t.Data&0xffff)
	case HVDomainLookup:
		return fmt.Sprintf("domain lookup %d", t.Data)
	case HVChwallConflict:
		return fmt.Sprintf("Chinese Wall conflict between domains %d and %d", t.Data>>16, t.Data&0xffff)
	case HVSSIDRefInUse:
		return fmt.Sprintf("A domain used SSIDREF %d", t.Data)
	}
	return fmt.Sprintf("error 0x%x data %d", t.Code, t.Data)
}

// Engine is the access control module of one host: the enforced compiled
// policy behind an atomic pointer, so that decisions (Sharing, Access,
// Authorized) take no lock and do not allocate, and the Chinese Wall state,
// whose changes (domain create and destroy, policy install) serialise on a
// mutex. All methods are safe for concurrent use.
type Engine struct {
	pol atomic.Pointer[Compiled]
	mu  sync.Mutex
	cw  *State // guarded by mu; cw.pol is the enforced policy
}

// NewEngine returns an engine enforcing c with no domain running. The
// caller then creates Domain-0 like any domain (the hypervisor does so at
// boot).
func NewEngine(c *Compiled) *Engine {
	e := &Engine{cw: c.NewState()}
	e.pol.Store(c)
	return e
}

// Policy returns the enforced compiled policy.
func (e *Engine) Policy() *Compiled { return e.pol.Load() }

// Sharing is Compiled.Sharing under the enforced policy.
func (e *Engine) Sharing(a, b uint32) bool { return e.pol.Load().Sharing(a, b) }

// Access is Compiled.Access under the enforced policy.
func (e *Engine) Access(vm, res uint32) bool { return e.pol.Load().Sharing(vm, res) }

// Authorized is Compiled.Authorized under the enforced policy.
func (e *Engine) Authorized(dom0, vm uint32) bool { return e.pol.Load().Authorized(dom0, vm) }

// InConflict is State.InConflict under the enforced policy and state.
func (e *Engine) InConflict(ssidref uint32) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cw.InConflict(ssidref)
}

// DomainCreate is State.Create on the engine's state.
func (e *Engine) DomainCreate(ssidref uint32) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cw.Create(ssidref)
}

// DomainDestroy is State.Destroy on the engine's state.
func (e *Engine) DomainDestroy(ssidref uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cw.Destroy(ssidref)
}

// CheckStart runs xend's checks before a domain with VM label label starts,
// in xend's order (acm.md §5.2 steps 2–4, §10b): the label must exist
// (XSErrBadLabel, Msg "Label '<l>' not found."), the VM must be authorized
// against Domain-0's ssidref dom0 (XSErrVMNotAuthorized, MsgNotAuthorized),
// and it must not conflict with running domains (XSErrVMInConflict,
// MsgInConflict). It returns the domain's ssidref and changes nothing:
// DomainCreate then commits the Chinese Wall state, re-checking atomically.
// Label-format and policy-name checks (step 1) belong to the caller.
func (e *Engine) CheckStart(label string, dom0 uint32) (uint32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.cw.pol
	ref, ok := c.VMSSIDRef(label)
	if !ok || (label == LabelUnlabeled && !c.HasUnlabeled()) {
		return 0, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("Label '%s' not found.", label)}
	}
	if !c.Authorized(dom0, ref) {
		return 0, &Error{Code: XSErrVMNotAuthorized, Msg: MsgNotAuthorized}
	}
	if e.cw.InConflict(ref) {
		return 0, &Error{Code: XSErrVMInConflict, Msg: MsgInConflict}
	}
	return ref, nil
}

// Install makes c the enforced policy, rebuilding the Chinese Wall state from
// the running domains' ssidrefs under c (already translated to c's indices,
// in the hypervisor's iteration order). If they conflict under c, nothing
// changes and the hypervisor's error tuple is returned. Update checks other
// than Chinese Wall are CheckUpdate's job.
func (e *Engine) Install(c *Compiled, running []uint32) *ErrorTuple {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, tuple := c.Recompute(running)
	if tuple != nil {
		return tuple
	}
	e.cw = s
	e.pol.Store(c)
	return nil
}

// Counters returns copies of the running types and the conflict aggregate
// set of the enforced policy.
func (e *Engine) Counters() (running, aggregate []uint16) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cw.Running(), e.cw.Aggregate()
}

// LiveBinary returns the enforced policy as the hypervisor's getpolicy
// returned it, with the Chinese Wall running types and aggregate appended:
// the buffer `xm dumppolicy` prints. Fields Xen left unset there (the
// versions) carry the file values.
func (e *Engine) LiveBinary() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cw.pol.liveBinary(e.cw.running, e.cw.aggregate)
}
