package acm

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"
)

// RunningDomain is a running or paused domain as a policy update sees it.
type RunningDomain struct {
	ID      uint32 // domain id; Domain-0 is 0
	SSIDRef uint32 // under the old policy
	// Resources are the resource labels (old policy names) of the domain's
	// block devices; "" or LabelUnlabeled for an unlabeled one.
	Resources []string
}

// Channel is an inter-domain event channel, or a pinned grant mapping,
// between two domains: what the hypervisor re-checks for STE sharing on a
// policy change or relabel. An event channel joins A and B both ways; for a
// grant, A is the domain whose grant table holds the pinned entry and B the
// domain that mapped it.
type Channel struct {
	A, B  uint32 // domain ids
	Grant bool   // a pinned grant mapping rather than an event channel
}

// UpdateInput is the running state a policy update is checked against.
type UpdateInput struct {
	// Domains lists the running and paused domains in the hypervisor's
	// iteration order (most recently created first); it decides which
	// Chinese Wall type is reported first.
	Domains  []RunningDomain
	Channels []Channel
	// Reset marks a reset to DEFAULT: only Domain-0's label is renamed via
	// from; every other label DEFAULT lacks becomes INV_ACM.
	Reset bool
}

// UpdatePlan is what an accepted update does (and, for a refused one, the
// hypervisor's error tuples).
type UpdatePlan struct {
	// Deleted holds the old VM ssid indices the new policy deletes (del_array).
	Deleted []uint32
	// Changed holds (old, new) ssid index pairs of renamed or re-indexed VM
	// labels (chg_array).
	Changed [][2]uint32
	// SSIDRefs holds, per UpdateInput.Domains entry, its ssidref under the
	// new policy.
	SSIDRefs []uint32
	// VMLabels holds, per UpdateInput.Domains entry, its label under the new
	// policy; a deleted one reads "INV_ACM:<old policy>:<label>".
	VMLabels []string
	// Errors holds the hypervisor's (code, data) tuples of a refused update.
	Errors []ErrorTuple
}

// CheckUpdate decides whether next may replace the enforced policy old while
// the given domains run, in the order xend and the hypervisor check
// (acm.md §3.4, §1.4): the version rule (XSErrVersionPreventsUpdate); `from`
// naming labels old lacks (XSErrBadLabel); every running domain that uses
// block devices must still reach them under its new label
// (XSErrResourceAccess); then the hypervisor's chgpolicy: no running domain
// on a deleted label (tuple HVSSIDRefInUse), no Chinese Wall conflict among
// the translated domains (HVChwallConflict), every channel still between
// domains sharing an STE type (HVEvtchnSharingViolation,
// HVGnttabSharingViolation; HVDomainLookup for a peer not running); any
// tuple makes the error XSErrHVOpFailed. Only the first violation is
// reported, as in Xen. It is a pure function: nothing changes on failure.
func CheckUpdate(old, next *Compiled, in UpdateInput) (*UpdatePlan, error) {
	plan := &UpdatePlan{}
	if err := CheckVersionUpdate(old.policy, next.policy); err != nil {
		return plan, err
	}
	vmMap := renames(next.policy.VMLabels)
	resMap := renames(next.policy.ResourceLabels)
	for _, from := range slices.Sorted(maps.Keys(vmMap)) {
		if _, ok := old.vmIndex[from]; !ok {
			return plan, errf(XSErrBadLabel, 0, "VM label %q renames %q, which policy %s lacks", vmMap[from], from, old.Name())
		}
	}
	for _, from := range slices.Sorted(maps.Keys(resMap)) {
		if _, ok := old.policy.ResourceLabel(from); !ok {
			return plan, errf(XSErrBadLabel, 0, "resource label %q renames %q, which policy %s lacks", resMap[from], from, old.Name())
		}
	}

	// del_array and chg_array, from the sorted VM lists (ACMPolicy.update).
	for o, name := range old.vmNames {
		if _, ok := next.vmIndex[name]; ok {
			continue
		}
		if to, ok := vmMap[name]; ok {
			plan.Changed = append(plan.Changed, [2]uint32{uint32(o), uint32(next.vmIndex[to])})
		} else {
			plan.Deleted = append(plan.Deleted, uint32(o))
		}
	}
	for n, name := range next.vmNames {
		if o, ok := old.vmIndex[name]; ok && o != n {
			plan.Changed = append(plan.Changed, [2]uint32{uint32(o), uint32(n)})
		}
	}

	// xend: new labels, and resource reachability of running domains.
	for _, d := range in.Domains {
		label, _ := old.VMLabelOf(d.SSIDRef)
		newLabel, deleted := label, false
		if to, ok := vmMap[label]; ok && (!in.Reset || d.ID == 0) {
			newLabel = to
		} else if _, ok := next.policy.VMLabel(label); !ok && label != LabelUnlabeled {
			deleted = true
		}
		if deleted {
			plan.VMLabels = append(plan.VMLabels, "INV_ACM:"+old.Name()+":"+label)
		} else {
			plan.VMLabels = append(plan.VMLabels, "ACM:"+next.Name()+":"+newLabel)
		}
		if len(d.Resources) > 0 && !resourcesCompatible(next.policy, newLabel, deleted, d.Resources, resMap) {
			return plan, errf(XSErrResourceAccess, 0, "domain %d with label %q could no longer reach its resources", d.ID, newLabel)
		}
	}

	// The hypervisor: deleted ssidrefs in use.
	for _, idx := range plan.Deleted {
		for _, d := range in.Domains {
			if d.SSIDRef&0xffff == idx || d.SSIDRef>>16 == idx {
				plan.Errors = []ErrorTuple{{Code: HVSSIDRefInUse, Data: idx}}
				return plan, hvError(plan.Errors)
			}
		}
	}
	// Translation by the low half, then Chinese Wall from scratch.
	byID := make(map[uint32]uint32, len(in.Domains))
	for _, d := range in.Domains {
		r := d.SSIDRef
		for _, ch := range plan.Changed {
			if d.SSIDRef&0xffff == ch[0] {
				r = ch[1]<<16 | ch[1]
				break
			}
		}
		plan.SSIDRefs = append(plan.SSIDRefs, r)
		byID[d.ID] = r
	}
	if _, tuple := next.Recompute(plan.SSIDRefs); tuple != nil {
		plan.Errors = []ErrorTuple{*tuple}
		return plan, hvError(plan.Errors)
	}
	if tuple := checkChannels(next, byID, in.Channels); tuple != nil {
		plan.Errors = []ErrorTuple{*tuple}
		return plan, hvError(plan.Errors)
	}
	return plan, nil
}

// checkChannels is the STE half of the hypervisor's re-check
// (ste_init_state): every channel must join running domains that share a
// type under c. Xen walks domains by id, each one's event channels (both
// ends are ports) before its grants; the first violation is reported.
func checkChannels(c *Compiled, byID map[uint32]uint32, channels []Channel) *ErrorTuple {
	seen := make([]Channel, 0, 2*len(channels))
	for _, ch := range channels {
		seen = append(seen, ch)
		if !ch.Grant {
			seen = append(seen, Channel{A: ch.B, B: ch.A})
		}
	}
	slices.SortStableFunc(seen, func(x, y Channel) int {
		if x.A != y.A {
			return cmpU32(x.A, y.A)
		}
		return cmpBool(x.Grant, y.Grant)
	})
	for _, ch := range seen {
		a, okA := byID[ch.A]
		b, okB := byID[ch.B]
		switch {
		case !okA:
			return &ErrorTuple{Code: HVDomainLookup, Data: ch.A}
		case !okB:
			return &ErrorTuple{Code: HVDomainLookup, Data: ch.B}
		case !c.Sharing(a, b):
			code := uint32(HVEvtchnSharingViolation)
			if ch.Grant {
				code = HVGnttabSharingViolation
			}
			return &ErrorTuple{Code: code, Data: ch.A<<16 | ch.B&0xffff}
		}
	}
	return nil
}

// CheckRelabel is the hypervisor's relabel check (ACMOP_relabeldoms, used by
// a run-time relabel of a running domain or of Domain-0, acm.md §5.3): the
// domains of in (ssidrefs under c) take the new ssidrefs of relabel (domain
// id → ssidref), then the Chinese Wall state is rebuilt and every channel
// re-checked for STE sharing. It returns the domains' ssidrefs after the
// relabel, in the order of in.Domains, or XSErrHVOpFailed with the first
// error tuple; nothing changes either way (Engine.Install commits the
// counters). in.Reset is ignored.
func CheckRelabel(c *Compiled, in UpdateInput, relabel map[uint32]uint32) ([]uint32, []ErrorTuple, error) {
	refs := make([]uint32, len(in.Domains))
	byID := make(map[uint32]uint32, len(in.Domains))
	for i, d := range in.Domains {
		r := d.SSIDRef
		if n, ok := relabel[d.ID]; ok {
			r = n
		}
		if !c.validSSIDRef(r) {
			return nil, nil, errf(XSErrBadLabel, 0, "ssidref 0x%08x of domain %d out of range for policy %s", r, d.ID, c.Name())
		}
		refs[i] = r
		byID[d.ID] = r
	}
	if _, tuple := c.Recompute(refs); tuple != nil {
		return nil, []ErrorTuple{*tuple}, hvError([]ErrorTuple{*tuple})
	}
	if tuple := checkChannels(c, byID, in.Channels); tuple != nil {
		return nil, []ErrorTuple{*tuple}, hvError([]ErrorTuple{*tuple})
	}
	return refs, nil, nil
}

func renames(ls []Label) map[string]string {
	m := map[string]string{}
	for _, l := range ls {
		if l.From != "" {
			m[l.From] = l.Name
		}
	}
	return m
}

// resourcesCompatible is xend's policy_check_vmlabel_against_reslabels under
// the new policy: the VM label must have STE types and share one with every
// resource (renamed via from; unlabeled ones as __UNLABELED__; a label the
// new policy lacks has none).
func resourcesCompatible(next *Policy, vmLabel string, deleted bool, resources []string, resMap map[string]string) bool {
	if deleted {
		return false
	}
	vm, _ := next.VMLabel(vmLabel)
	if len(vm.STE) == 0 {
		return false
	}
	for _, r := range resources {
		if r == "" {
			r = LabelUnlabeled
		}
		if to, ok := resMap[r]; ok {
			r = to
		}
		res, _ := next.ResourceLabel(r)
		if !slices.ContainsFunc(res.STE, func(t string) bool { return slices.Contains(vm.STE, t) }) {
			return false
		}
	}
	return true
}

func hvError(tuples []ErrorTuple) *Error {
	texts := make([]string, len(tuples))
	for i, t := range tuples {
		texts[i] = t.String()
	}
	return &Error{Code: XSErrHVOpFailed, Msg: "Hypervisor reported errors: " + strings.Join(texts, ", ")}
}

// EncodeErrors returns tuples as the hypervisor's error array: big-endian
// u32 (code, data) pairs, which Xen-API carries base64-encoded in
// xs_policystate.errors.
func EncodeErrors(tuples []ErrorTuple) []byte {
	out := make([]byte, 0, 8*len(tuples))
	for _, t := range tuples {
		out = binary.BigEndian.AppendUint32(out, t.Code)
		out = binary.BigEndian.AppendUint32(out, t.Data)
	}
	return out
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
