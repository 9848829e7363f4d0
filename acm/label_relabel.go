package acm

import "fmt"

// VMState is a domain's power state as the relabel rules see it.
type VMState int

// The states of acm.md §5.3; VMOther stands for any other (crashed, dying…).
const (
	VMHalted VMState = iota
	VMRunning
	VMPaused
	VMSuspended
	VMOther
)

// RelabelInput is a request to relabel one domain
// (XendDomainInfo.set_security_label, VM.set_security_label).
type RelabelInput struct {
	// Domain0 marks Domain-0, which may be relabeled in any state.
	Domain0 bool
	State   VMState
	// ID is the domain's id while it runs (0 for Domain-0).
	ID uint32
	// Stored is the domain's stored label; empty when it has none.
	Stored string
	// New is the new label "ACM:<policy>:<label>"; empty removes the label.
	New string
	// Old is the label the caller believes the domain has.
	Old string
	// Devices are the devices of a running domain, whose resources must
	// stay reachable under the new label.
	Devices []StartDevice
	// Live is the running state the hypervisor re-checks (every live domain
	// with its ssidref, in Xen's ssid-list order, and the channels).
	Live UpdateInput
}

// CheckVMRelabel decides whether a domain may be relabeled (acm.md §5.3)
// under the enforced policy c, and returns the ssidref the hypervisor must
// give it (0 for a domain that is not running, or a removal):
//
//   - only Halted, Running, Paused and Suspended domains (Domain-0 always),
//     else XSErrVMWrongState;
//   - removal (New empty): Halted or Suspended only (XSErrVMWrongState), the
//     stored label must equal Old (XSErrBadLabel);
//   - Halted or Suspended: New must have three parts (XSErrBadLabelFormat;
//     README decision), a stored label must equal Old (XSErrBadLabel); New
//     is not checked against the policy, as in xend;
//   - Running, Paused or Domain-0: New must name the enforced policy
//     (XSErrPolicyNotLoaded), have type ACM and exist (XSErrBadLabel), every
//     device must stay reachable (XSErrBadLabel), the current label
//     (ACM:<active>:__UNLABELED__ when none is stored) must equal Old
//     (XSErrBadLabel), and the hypervisor's relabel check (CheckRelabel:
//     Chinese Wall and STE over every live domain and channel, so Domain-0's
//     new label must still share with every guest) must pass
//     (XSErrHVOpFailed).
//
// It is pure.
func CheckVMRelabel(c *Compiled, in RelabelInput) (uint32, error) {
	live := in.Domain0 || in.State == VMRunning || in.State == VMPaused
	if !live && in.State != VMHalted && in.State != VMSuspended {
		return 0, &Error{Code: XSErrVMWrongState, Msg: XSErrVMWrongState.Message()}
	}
	badOld := &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("the domain's label is not '%s'", in.Old)}
	if in.New == "" {
		if live {
			return 0, &Error{Code: XSErrVMWrongState, Msg: XSErrVMWrongState.Message()}
		}
		if in.Stored != in.Old {
			return 0, badOld
		}
		return 0, nil
	}
	l, err := ParseLabel(in.New)
	if err != nil {
		return 0, err
	}
	if !live {
		if in.Stored != "" && in.Stored != in.Old {
			return 0, badOld
		}
		return 0, nil
	}
	if l.Policy != c.Name() {
		return 0, &Error{Code: XSErrPolicyNotLoaded, Msg: fmt.Sprintf("policy '%s' is not the enforced policy '%s'", l.Policy, c.Name())}
	}
	if l.Type != LabelTypeACM {
		return 0, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("label type '%s' is not %s", l.Type, LabelTypeACM)}
	}
	ref, ok := c.VMSSIDRef(l.Label)
	if !ok || (l.Label == LabelUnlabeled && !c.HasUnlabeled()) {
		return 0, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("Label '%s' not found.", l.Label)}
	}
	if !compatibleDevices(c, ref, in.Devices) {
		return 0, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("the domain's resources are not accessible with label '%s'", l.Label)}
	}
	if DomainLabel(in.Stored, c.Name()) != in.Old {
		return 0, badOld
	}
	if _, _, err := CheckRelabel(c, in.Live, map[uint32]uint32{in.ID: ref}); err != nil {
		return 0, err
	}
	return ref, nil
}
