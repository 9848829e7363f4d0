package acm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
)

// The hook types, spelled as the unnamed struct types package hypervisor
// aliases (hypervisor.ErrorTuple, DomainSSID, Link), so that Hooks satisfies
// hypervisor.ACM without importing it.
type (
	// HookTuple is one (code, data) pair of the hypervisor's error array.
	HookTuple = struct{ Code, Data uint32 }
	// HookDomain is a domain in the hypervisor with its ssidref.
	HookDomain = struct{ ID, SSIDRef uint32 }
	// HookLink is one end of an event channel (ID has a port bound to
	// Remote), or a grant (ID granted, Remote mapped).
	HookLink = struct{ ID, Remote uint32 }
)

// Hooks is the access control module as a hypervisor calls it (the
// hypervisor.ACM interface of acm.md §4): the decisions and the Chinese
// Wall state of an Engine, and the chgpolicy and relabeldoms checks. It is
// safe for concurrent use.
//
// The hypervisor receives a new policy as its binary; Hooks does not decode
// binaries but finds the compiled policy they came from among those given
// to Stage (or the enforced one), so the policy administration stages a
// compiled policy before it hands its Binary to the hypervisor.
type Hooks struct {
	e      *Engine
	mu     sync.Mutex
	staged map[string]*Compiled // binary → policy
}

// NewHooks returns the hooks of engine e.
func NewHooks(e *Engine) *Hooks { return &Hooks{e: e, staged: map[string]*Compiled{}} }

// Engine returns the engine behind h.
func (h *Hooks) Engine() *Engine { return h.e }

// Stage makes c known to ChangePolicy by its binary. A staged policy stays
// staged until it is installed or Unstage removes it.
func (h *Hooks) Stage(c *Compiled) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.staged[string(c.bin)] = c
}

// Unstage forgets a staged policy (an update refused before the
// hypervisor was asked).
func (h *Hooks) Unstage(c *Compiled) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.staged, string(c.bin))
}

// DomainCreate is the domain_create hook: Engine.DomainCreate.
func (h *Hooks) DomainCreate(domid, ssidref uint32) error { return h.e.DomainCreate(ssidref) }

// DomainDestroy is the free_security_domain hook: Engine.DomainDestroy.
func (h *Hooks) DomainDestroy(domid, ssidref uint32) { h.e.DomainDestroy(ssidref) }

// Share is the STE sharing decision.
func (h *Hooks) Share(ssidref1, ssidref2 uint32) bool { return h.e.Sharing(ssidref1, ssidref2) }

// Authorize is getdecision's authorization of ssidref2 by Domain-0's
// ssidref1.
func (h *Hooks) Authorize(ssidref1, ssidref2 uint32) bool {
	return h.e.Authorized(ssidref1, ssidref2)
}

// Conflict is getdecision's conflictset query.
func (h *Hooks) Conflict(ssidref uint32) bool { return h.e.InConflict(ssidref) }

// lookup returns the compiled policy of a binary: a staged one or the
// enforced one. The binary must pass the hypervisor's sanity checks (magic,
// length, version, the enforced policy's component codes).
func (h *Hooks) lookup(bin []byte) (*Compiled, error) {
	cur := h.e.Policy()
	if len(bin) < headerSize {
		return nil, &Error{Code: XSErrPolicyLoadFailed, Msg: "binary policy shorter than its header"}
	}
	be := binary.BigEndian
	if be.Uint32(bin[0:]) != Magic || be.Uint32(bin[8:]) != uint32(len(bin)) || be.Uint32(bin[4:]) != PolicyVersion {
		return nil, &Error{Code: XSErrPolicyLoadFailed, Msg: "ERROR in Magic, Version, or buf size."}
	}
	prim, sec := cur.primaryCodes()
	if be.Uint32(bin[16:]) != prim || be.Uint32(bin[24:]) != sec {
		return nil, &Error{Code: XSErrPolicyLoadFailed, Msg: "Wrong policy type in boot policy!"}
	}
	h.mu.Lock()
	c := h.staged[string(bin)]
	h.mu.Unlock()
	if c == nil && bytes.Equal(bin, cur.bin) {
		c = cur
	}
	if c == nil {
		return nil, &Error{Code: XSErrPolicyLoadFailed, Msg: "binary policy was not staged"}
	}
	return c, nil
}

// ChangePolicy is chgpolicy (acm.md §3.4), as _acm_update_policy runs it:
// a deleted index still used by a domain (either half of its ssidref) →
// (ACM_SSIDREF_IN_USE, index); the domains' ssidrefs translated by their
// low half through chg; the Chinese Wall rebuilt under the new policy over
// the domains in Xen's ssid-list order (newest first) → the first
// (ACM_CHWALL_CONFLICT, type); then, only if that passed, every event
// channel end and grant re-checked for STE sharing, per domain in id order
// its ports before its grants → the first sharing violation or domain
// lookup. Tuples change nothing; otherwise the policy is installed with the
// rebuilt counters and the translated ssidrefs are returned in the order of
// doms. An unknown or malformed binary is an error (XSErrPolicyLoadFailed).
func (h *Hooks) ChangePolicy(policy []byte, del []uint32, chg [][2]uint32, doms []HookDomain, evtchns, grants []HookLink) ([]uint32, []HookTuple, error) {
	c, err := h.lookup(policy)
	if err != nil {
		return nil, nil, err
	}
	newest := slices.Clone(doms)
	slices.Reverse(newest)
	for _, idx := range del {
		for _, d := range newest {
			if d.SSIDRef>>16 == idx || d.SSIDRef&0xffff == idx {
				return nil, []HookTuple{{Code: HVSSIDRefInUse, Data: idx}}, nil
			}
		}
	}
	refs := make([]uint32, len(doms))
	for i, d := range doms {
		refs[i] = d.SSIDRef
		for _, p := range chg {
			if d.SSIDRef&0xffff == p[0] {
				refs[i] = p[1]<<16 | p[1]
				break
			}
		}
		// An index the new policy lacks that del did not announce: as a
		// deleted index in use.
		if !c.validSSIDRef(refs[i]) {
			return nil, []HookTuple{{Code: HVSSIDRefInUse, Data: refs[i] & 0xffff}}, nil
		}
	}
	if t := h.recheck(c, doms, refs, evtchns, grants, false); len(t) > 0 {
		return nil, t, nil
	}
	if t := h.e.Install(c, reversed(refs)); t != nil {
		return nil, []HookTuple{{Code: t.Code, Data: t.Data}}, nil
	}
	h.Unstage(c)
	return refs, nil, nil
}

// Relabel is relabeldoms: the domains of relabel take their new ssidrefs,
// then the Chinese Wall state is rebuilt and every sharing re-checked; both
// components report their first violation (do_acm_relabel_doms collects
// both). Tuples change nothing; otherwise the Chinese Wall counters are
// committed. An ssidref outside the policy is an error (XSErrBadLabel).
func (h *Hooks) Relabel(relabel []HookDomain, doms []HookDomain, evtchns, grants []HookLink) ([]HookTuple, error) {
	c := h.e.Policy()
	refs := make([]uint32, len(doms))
	for i, d := range doms {
		refs[i] = d.SSIDRef
		for _, r := range relabel {
			if r.ID == d.ID {
				refs[i] = r.SSIDRef
			}
		}
		if !c.validSSIDRef(refs[i]) {
			return nil, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("ssidref 0x%08x of domain %d out of range for policy %s", refs[i], d.ID, c.Name())}
		}
	}
	if t := h.recheck(c, doms, refs, evtchns, grants, true); len(t) > 0 {
		return t, nil
	}
	if t := h.e.Install(c, reversed(refs)); t != nil {
		return []HookTuple{{Code: t.Code, Data: t.Data}}, nil
	}
	return nil, nil
}

// recheck runs the Chinese Wall and STE re-checks with the domains' new
// ssidrefs refs; both reports both components' first violation, otherwise
// the STE check runs only when the Chinese Wall passed.
func (h *Hooks) recheck(c *Compiled, doms []HookDomain, refs []uint32, evtchns, grants []HookLink, both bool) []HookTuple {
	var out []HookTuple
	if _, t := c.Recompute(reversed(refs)); t != nil {
		out = append(out, HookTuple{Code: t.Code, Data: t.Data})
		if !both {
			return out
		}
	}
	if t := checkLinks(c, doms, refs, evtchns, grants); t != nil {
		out = append(out, *t)
	}
	return out
}

func reversed(s []uint32) []uint32 {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// checkLinks is ste_init_state: per domain in id order, its event channel
// ends, then the grants it gave, each between domains that exist and share
// an STE type under c; the first violation is returned.
func checkLinks(c *Compiled, doms []HookDomain, refs []uint32, evtchns, grants []HookLink) *HookTuple {
	byID := make(map[uint32]uint32, len(doms))
	ids := make([]uint32, len(doms))
	for i, d := range doms {
		byID[d.ID] = refs[i]
		ids[i] = d.ID
	}
	slices.Sort(ids)
	check := func(l HookLink, code uint32) *HookTuple {
		a, okA := byID[l.ID]
		b, okB := byID[l.Remote]
		switch {
		case !okA:
			return &HookTuple{Code: HVDomainLookup, Data: l.ID}
		case !okB:
			return &HookTuple{Code: HVDomainLookup, Data: l.Remote}
		case !c.Sharing(a, b):
			return &HookTuple{Code: code, Data: l.ID<<16 | l.Remote&0xffff}
		}
		return nil
	}
	for _, id := range ids {
		for _, l := range evtchns {
			if l.ID == id {
				if t := check(l, HVEvtchnSharingViolation); t != nil {
					return t
				}
			}
		}
		for _, l := range grants {
			if l.ID == id {
				if t := check(l, HVGnttabSharingViolation); t != nil {
					return t
				}
			}
		}
	}
	// Ends of domains the hypervisor did not list: their lookup fails.
	for _, ls := range [][]HookLink{evtchns, grants} {
		for _, l := range ls {
			if _, ok := byID[l.ID]; !ok {
				return &HookTuple{Code: HVDomainLookup, Data: l.ID}
			}
		}
	}
	return nil
}
