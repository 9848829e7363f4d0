package toolstack

import (
	"context"
	"errors"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

// This file reports access control refusals to Options.Denied, so that the
// providers can raise Xen_AccessDeniedIndication (cim-model.md §4). Only refusals
// of access decisions are reported; a malformed or unknown label is the caller's
// mistake, not a denial.

// deniedStart reports a refused start or resume of hd (checked against Domain-0
// d0 with the devices devs); err is the refusal, from the toolstack's checks or
// the hypervisor's create hook.
func (t *Toolstack) deniedStart(ctx context.Context, hd, d0 hypervisor.Domain, devs []acm.StartDevice, err error) {
	if t.o.Denied == nil {
		return
	}
	pol := t.engine().Policy()
	d := Denial{Op: "start", Domain: hd.Name, UUID: hd.UUID, SubjectLabel: acm.DomainLabel(hd.Label, pol.Name()),
		Code: acm.CodeOf(err), Message: message(err)}
	if hd.State == hypervisor.Suspended {
		d.Op = "resume"
	}
	switch d.Code {
	case acm.XSErrVMNotAuthorized:
		d.Hook = HookAuthorization
		d.ObjectLabel = acm.DomainLabel(d0.Label, pol.Name())
	case acm.XSErrVMInConflict:
		d.Hook = HookConflictSet
		d.ObjectLabel = d.SubjectLabel
	case acm.XSErrResourceAccess:
		d.Hook = HookSharing
		d.ObjectLabel, d.Resource = t.refusedDevice(pol, d.SubjectLabel, devs)
	default:
		return
	}
	t.o.Denied(ctx, d)
}

// refusedDevice finds the first device of devs the domain labeled subject may not
// use under pol, and returns its label and resource.
func (t *Toolstack) refusedDevice(pol *acm.Compiled, subject string, devs []acm.StartDevice) (label, resource string) {
	l, err := acm.ParseLabel(subject)
	if err != nil {
		return "", ""
	}
	vm, ok := pol.VMSSIDRef(l.Label)
	if !ok {
		return "", ""
	}
	for _, dev := range devs {
		if acm.CheckDevice(pol, vm, dev) != nil {
			return resourceLabelString(pol, dev.Label), dev.Resource
		}
	}
	return "", ""
}

// resourceLabelString is l as "ACM:<policy>:<label>"; an unlabeled resource
// counts as __UNLABELED__ of the enforced policy, as the device check takes it.
func resourceLabelString(pol *acm.Compiled, l acm.ResourceLabel) string {
	if l == (acm.ResourceLabel{}) {
		return acm.NewLabel(pol.Name(), acm.LabelUnlabeled).String()
	}
	return l.Type + ":" + l.Policy + ":" + l.Label
}

// deniedAttach reports a device hot-plug into the live domain hd that the access
// control refused (err wraps hypervisor.ErrDenied); resource names the device.
func (t *Toolstack) deniedAttach(ctx context.Context, hd hypervisor.Domain, dev hypervisor.Device, resource string, err error) {
	if t.o.Denied == nil || !errors.Is(err, hypervisor.ErrDenied) {
		return
	}
	pol := t.engine().Policy()
	d := Denial{Op: "attach", Domain: hd.Name, UUID: hd.UUID, SubjectLabel: acm.DomainLabel(hd.Label, pol.Name()),
		Resource: resource, Hook: HookSharing, Code: acm.CodeOf(err), Message: message(err)}
	if sd, serr := t.startDevice(dev); serr == nil {
		d.ObjectLabel = resourceLabelString(pol, sd.Label)
	}
	t.o.Denied(ctx, d)
}

// deniedRelabel reports a relabel of the live domain hd to label that the access
// control refused because sharing with running domains or devices would break.
func (t *Toolstack) deniedRelabel(ctx context.Context, hd hypervisor.Domain, label string, err error) {
	if t.o.Denied == nil || acm.CodeOf(err) != acm.XSErrHVOpFailed {
		return
	}
	t.o.Denied(ctx, Denial{Op: "relabel", Domain: hd.Name, UUID: hd.UUID,
		SubjectLabel: acm.DomainLabel(hd.Label, t.active()), ObjectLabel: label,
		Hook: HookSharing, Code: acm.XSErrHVOpFailed, Message: message(err)})
}
