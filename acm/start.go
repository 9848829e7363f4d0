package acm

import (
	"fmt"
	"slices"
)

// Messages of a refused VIF (acm.md §5.2 step 5).
const (
	MsgVIFMustBeLabeled = "'VIF' must be labeled"
	MsgVIFDenied        = "VM's access to network device denied. Check labeling"
)

// StartDevice is a device of a domain as the start checks see it.
type StartDevice struct {
	// Network is true for a VIF, false for a block device (VBD).
	Network bool
	// Resource is a VBD's uname as written in the config (it names the
	// device in messages); unused for a VIF.
	Resource string
	// Label is the device's resource label: for a VBD its entry in the
	// resource label store, for a VIF its own security_label; zero when
	// unlabeled.
	Label ResourceLabel
}

// StartInput is what the start checks of one domain read (acm.md §5.2).
type StartInput struct {
	// Label is the domain's stored label ("ACM:<policy>:<label>"); empty
	// means unlabeled, read as ACM:<active>:__UNLABELED__.
	Label string
	// Dom0 is Domain-0's ssidref, against which the domain is authorized.
	Dom0 uint32
	// Devices are the domain's devices in config order.
	Devices []StartDevice
}

// CheckStart runs xend's checks of a domain start under the enforced
// policy c and the Chinese Wall state st (nil: no domain runs), in §5.2's
// order, and returns the domain's ssidref or the first refusal, with
// xend's message as Error.Msg:
//
//  1. the label must have three parts ("VM label '<l>' in wrong format.",
//     XSErrBadLabelFormat), type ACM ("Policy type '<t>' must be
//     changed.", XSErrWrongPolicyType) and name the active policy ("Active
//     policy '<a>' different than what in VM's label ('<p>').",
//     XSErrBadPolicyName);
//  2. the label must exist ("Label '<l>' not found.", XSErrBadLabel);
//  3. Domain-0 must authorize it (MsgNotAuthorized, XSErrVMNotAuthorized);
//  4. no Chinese Wall conflict (MsgInConflict, XSErrVMInConflict);
//  5. each device in order, as CheckDevice.
//
// It is pure: st is only read.
func CheckStart(c *Compiled, st *State, in StartInput) (uint32, error) {
	ref, err := vmSSIDRef(c, DomainLabel(in.Label, c.Name()))
	if err != nil {
		return 0, err
	}
	if !c.Authorized(in.Dom0, ref) {
		return 0, &Error{Code: XSErrVMNotAuthorized, Msg: MsgNotAuthorized}
	}
	if st != nil && st.pol == c && st.InConflict(ref) {
		return 0, &Error{Code: XSErrVMInConflict, Msg: MsgInConflict}
	}
	for _, d := range in.Devices {
		if err := CheckDevice(c, ref, d); err != nil {
			return 0, err
		}
	}
	return ref, nil
}

// vmSSIDRef is steps 1 and 2 of the start sequence: label to ssidref.
func vmSSIDRef(c *Compiled, label string) (uint32, error) {
	l, err := ParseLabel(label)
	if err != nil {
		return 0, &Error{Code: XSErrBadLabelFormat, Msg: fmt.Sprintf("VM label '%s' in wrong format.", label)}
	}
	if l.Type != LabelTypeACM {
		return 0, &Error{Code: XSErrWrongPolicyType, Msg: fmt.Sprintf("Policy type '%s' must be changed.", l.Type)}
	}
	if l.Policy != c.Name() {
		return 0, &Error{Code: XSErrBadPolicyName, Msg: fmt.Sprintf("Active policy '%s' different than what in VM's label ('%s').", c.Name(), l.Policy)}
	}
	ref, ok := c.VMSSIDRef(l.Label)
	if !ok || (l.Label == LabelUnlabeled && !c.HasUnlabeled()) {
		return 0, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("Label '%s' not found.", l.Label)}
	}
	return ref, nil
}

// CheckDevice is the device check of a start and of `xm block-attach`
// (acm.md §5.2 step 5) for a domain with ssidref vm under c. A VBD needs an
// STE type in common with its resource label: an unlabeled resource, or
// one labeled for another policy, counts as __UNLABELED__;
// __INACCESSIBLE__ and labels c lacks deny; a refusal is "VM's access to
// block device '<uname>' denied" (XSErrResourceAccess), an INV_ACM label
// "Unknown policy type 'INV_ACM' in label for resource '<uname>'". A VIF is
// checked only when it is labeled or the domain's label has more than one
// STE type: it must then be labeled (MsgVIFMustBeLabeled) for the active
// policy with a compatible label (MsgVIFDenied).
func CheckDevice(c *Compiled, vm uint32, d StartDevice) error {
	if d.Network {
		labeled := !(d.Label == ResourceLabel{})
		if !labeled && c.steTypeCount(vm) <= 1 {
			return nil
		}
		if !labeled {
			return &Error{Code: XSErrResourceAccess, Msg: MsgVIFMustBeLabeled}
		}
		if d.Label.Type != LabelTypeACM || d.Label.Policy != c.Name() {
			return &Error{Code: XSErrResourceAccess, Msg: MsgVIFDenied}
		}
		res, ok := c.ResourceSSIDRef(d.Label.Label)
		if !ok || d.Label.Label == LabelInaccessible || !c.Access(vm, res) {
			return &Error{Code: XSErrResourceAccess, Msg: MsgVIFDenied}
		}
		return nil
	}
	l := d.Label
	switch {
	case l.Type == LabelTypeInvalid:
		return &Error{Code: XSErrResourceAccess, Msg: fmt.Sprintf("Unknown policy type '%s' in label for resource '%s'", l.Type, d.Resource)}
	case l.Label == LabelInaccessible:
		return blockDenied(d.Resource)
	case l == ResourceLabel{} || l.Policy != c.Name():
		l.Label = LabelUnlabeled
	case l.Type != LabelTypeACM:
		return &Error{Code: XSErrResourceAccess, Msg: fmt.Sprintf("Unknown policy type '%s' in label for resource '%s'", l.Type, d.Resource)}
	}
	res, ok := c.ResourceSSIDRef(l.Label)
	if !ok || !c.Access(vm, res) {
		return blockDenied(d.Resource)
	}
	return nil
}

func blockDenied(uname string) error {
	return &Error{Code: XSErrResourceAccess, Msg: fmt.Sprintf("VM's access to block device '%s' denied", uname)}
}

// steTypeCount returns the number of STE types of a VM ssidref's label.
func (c *Compiled) steTypeCount(ref uint32) int {
	i := int(ref >> 16)
	if i >= c.steRows {
		return 0
	}
	n := 0
	for t := range c.steTypes {
		if c.steBit(i, t) {
			n++
		}
	}
	return n
}

// CheckDomainStart is CheckStart under the enforced policy and the
// current Chinese Wall state, read under the engine's lock. The hypervisor's
// create hook re-checks the Chinese Wall atomically when it commits.
func (e *Engine) CheckDomainStart(in StartInput) (uint32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return CheckStart(e.cw.pol, e.cw, in)
}

// CheckAttach is the check of a device attached to a running domain with
// ssidref vm (`xm block-attach`, a VIF attach) under the enforced policy: a
// refusal leaves the domain running without the device.
func (e *Engine) CheckAttach(vm uint32, d StartDevice) error {
	return CheckDevice(e.pol.Load(), vm, d)
}

// compatibleDevices reports whether a domain with ssidref vm may use every
// device of devs (a relabel's "resources still reachable").
func compatibleDevices(c *Compiled, vm uint32, devs []StartDevice) bool {
	return !slices.ContainsFunc(devs, func(d StartDevice) bool { return CheckDevice(c, vm, d) != nil })
}
