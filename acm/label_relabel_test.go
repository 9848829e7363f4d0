package acm

import (
	"errors"
	"testing"
)

func TestCheckVMRelabel(t *testing.T) {
	c := mustCompile(t, mustRead(t, "testdata/acme-security_policy.xml"))
	dom0 := RunningDomain{ID: 0, SSIDRef: 0x00010001}
	auditor := RunningDomain{ID: 1, SSIDRef: 0x00020002}
	bank := RunningDomain{ID: 2, SSIDRef: 0x00030003}
	oil := RunningDomain{ID: 3, SSIDRef: 0x00040004}
	unl := RunningDomain{ID: 4, SSIDRef: 0}
	live := func(ds ...RunningDomain) UpdateInput {
		in := UpdateInput{Domains: ds}
		for _, d := range ds {
			if d.ID != 0 {
				in.Channels = append(in.Channels, Channel{A: d.ID, B: 0}, Channel{A: 0, B: d.ID, Grant: true})
			}
		}
		return in
	}
	shared := StartDevice{Resource: "phy:/dev/s", Label: ResourceLabel{"ACM", "acme", "shared-disk"}}
	bankDisk := StartDevice{Resource: "phy:/dev/b", Label: ResourceLabel{"ACM", "acme", "bank-disk"}}
	tests := []struct {
		name string
		in   RelabelInput
		want uint32
		code XSErr
	}{
		{"crashed domain", RelabelInput{State: VMOther, New: "ACM:acme:bank"}, 0, XSErrVMWrongState},
		{"remove from a running domain", RelabelInput{State: VMRunning, Stored: "ACM:acme:bank", Old: "ACM:acme:bank"}, 0, XSErrVMWrongState},
		{"remove Domain-0's label", RelabelInput{Domain0: true, State: VMRunning, Stored: "ACM:acme:SystemManagement", Old: "ACM:acme:SystemManagement"}, 0, XSErrVMWrongState},
		{"remove from a halted domain", RelabelInput{State: VMHalted, Stored: "ACM:acme:bank", Old: "ACM:acme:bank"}, 0, 0},
		{"remove from a suspended domain", RelabelInput{State: VMSuspended, Stored: "ACM:acme:bank", Old: "ACM:acme:bank"}, 0, 0},
		{"remove with a wrong old label", RelabelInput{State: VMHalted, Stored: "ACM:acme:bank", Old: "ACM:acme:oil"}, 0, XSErrBadLabel},
		{"halted: new label not validated", RelabelInput{State: VMHalted, Stored: "ACM:acme:bank", Old: "ACM:acme:bank", New: "ACM:other:whatever"}, 0, 0},
		{"halted without stored label", RelabelInput{State: VMHalted, Old: "", New: "ACM:acme:oil"}, 0, 0},
		{"halted: malformed new label", RelabelInput{State: VMHalted, New: "acme:oil"}, 0, XSErrBadLabelFormat},
		{"halted: wrong old label", RelabelInput{State: VMHalted, Stored: "ACM:acme:bank", Old: "ACM:acme:oil", New: "ACM:acme:Auditor"}, 0, XSErrBadLabel},
		{"running: malformed", RelabelInput{State: VMRunning, ID: 2, New: "bank"}, 0, XSErrBadLabelFormat},
		{"running: other policy", RelabelInput{State: VMRunning, ID: 2, Stored: "ACM:acme:bank", Old: "ACM:acme:bank", New: "ACM:other:bank"}, 0, XSErrPolicyNotLoaded},
		{"running: INV_ACM", RelabelInput{State: VMRunning, ID: 2, Stored: "ACM:acme:bank", Old: "ACM:acme:bank", New: "INV_ACM:acme:bank"}, 0, XSErrBadLabel},
		{"running: unknown label", RelabelInput{State: VMRunning, ID: 2, Stored: "ACM:acme:bank", Old: "ACM:acme:bank", New: "ACM:acme:nobody"}, 0, XSErrBadLabel},
		{"running: resources unreachable", RelabelInput{State: VMRunning, ID: 2, Stored: "ACM:acme:bank", Old: "ACM:acme:bank", New: "ACM:acme:Auditor", Devices: []StartDevice{shared, bankDisk}, Live: live(bank, dom0)}, 0, XSErrBadLabel},
		{"running: wrong old label", RelabelInput{State: VMRunning, ID: 2, Stored: "ACM:acme:bank", Old: "ACM:acme:oil", New: "ACM:acme:Auditor", Devices: []StartDevice{shared}, Live: live(bank, dom0)}, 0, XSErrBadLabel},
		{"running: unlabeled reads as __UNLABELED__", RelabelInput{State: VMRunning, ID: 4, Old: "ACM:acme:__UNLABELED__", New: "ACM:acme:Auditor", Live: live(unl, dom0)}, 0x00020002, 0},
		{"running: to Auditor", RelabelInput{State: VMRunning, ID: 2, Stored: "ACM:acme:bank", Old: "ACM:acme:bank", New: "ACM:acme:Auditor", Devices: []StartDevice{shared}, Live: live(bank, dom0)}, 0x00020002, 0},
		{"paused: to Auditor", RelabelInput{State: VMPaused, ID: 2, Stored: "ACM:acme:bank", Old: "ACM:acme:bank", New: "ACM:acme:Auditor", Live: live(bank, dom0)}, 0x00020002, 0},
		{"running: Chinese Wall conflict", RelabelInput{State: VMRunning, ID: 1, Stored: "ACM:acme:Auditor", Old: "ACM:acme:Auditor", New: "ACM:acme:bank", Live: live(oil, auditor, dom0)}, 0, XSErrHVOpFailed},
		{"Domain-0 to Auditor keeps the bank guest", RelabelInput{Domain0: true, State: VMRunning, Stored: "ACM:acme:SystemManagement", Old: "ACM:acme:SystemManagement", New: "ACM:acme:Auditor", Live: live(bank, dom0)}, 0x00020002, 0},
		{"Domain-0 to Auditor strands an unlabeled guest", RelabelInput{Domain0: true, State: VMRunning, Stored: "ACM:acme:SystemManagement", Old: "ACM:acme:SystemManagement", New: "ACM:acme:Auditor", Live: live(unl, dom0)}, 0, XSErrHVOpFailed},
		{"Domain-0 to bank conflicts with oil", RelabelInput{Domain0: true, State: VMRunning, Old: "ACM:acme:__UNLABELED__", New: "ACM:acme:bank", Live: live(oil, dom0)}, 0, XSErrHVOpFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckVMRelabel(c, tc.in)
			if got != tc.want || CodeOf(err) != tc.code {
				t.Fatalf("CheckVMRelabel = %#x, %v; want %#x, %v", got, err, tc.want, tc.code)
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Errorf("error %T is not *Error", err)
			}
		})
	}
}
