package acm

import (
	"errors"
	"testing"
)

func TestCheckStart(t *testing.T) {
	acme := mustCompile(t, mustRead(t, "testdata/acme-security_policy.xml"))
	wld := mustCompile(t, mustRead(t, "testdata/test-wld-security_policy.xml"))
	dom0 := uint32(0x00010001)
	bankRef := ref(t, acme, "bank")
	// A host where a bank domain runs.
	bankRunning := acme.NewState()
	if err := bankRunning.Create(dom0); err != nil {
		t.Fatal(err)
	}
	if err := bankRunning.Create(bankRef); err != nil {
		t.Fatal(err)
	}
	vbd := func(uname string, l ResourceLabel) StartDevice { return StartDevice{Resource: uname, Label: l} }
	vif := func(l ResourceLabel) StartDevice { return StartDevice{Network: true, Label: l} }
	res := func(p, l string) ResourceLabel { return ResourceLabel{"ACM", p, l} }
	tests := []struct {
		name string
		c    *Compiled
		st   *State
		in   StartInput
		want string // label whose ssidref is returned, or ""
		code XSErr
		msg  string
	}{
		{"bank", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0}, "bank", 0, ""},
		{"unlabeled under acme", acme, nil, StartInput{Dom0: dom0}, LabelUnlabeled, 0, ""},
		{"wrong format", acme, nil, StartInput{Label: "acme:bank", Dom0: dom0}, "", XSErrBadLabelFormat, "VM label 'acme:bank' in wrong format."},
		{"invalidated", acme, nil, StartInput{Label: "INV_ACM:acme:gone", Dom0: dom0}, "", XSErrWrongPolicyType, "Policy type 'INV_ACM' must be changed."},
		{"other policy", acme, nil, StartInput{Label: "ACM:other:bank", Dom0: dom0}, "", XSErrBadPolicyName, "Active policy 'acme' different than what in VM's label ('other')."},
		{"unknown label", acme, nil, StartInput{Label: "ACM:acme:nobody", Dom0: dom0}, "", XSErrBadLabel, "Label 'nobody' not found."},
		{"unlabeled without __UNLABELED__", wld, nil, StartInput{Dom0: dom0}, "", XSErrBadLabel, "Label '__UNLABELED__' not found."},
		{"not authorized", acme, nil, StartInput{Label: "ACM:acme:oil", Dom0: bankRef}, "", XSErrVMNotAuthorized, "VM is not authorized to run."},
		{"conflict", acme, bankRunning, StartInput{Label: "ACM:acme:oil", Dom0: dom0}, "", XSErrVMInConflict, "Domain in conflict set with running domain?"},
		{"same type runs twice", acme, bankRunning, StartInput{Label: "ACM:acme:bank", Dom0: dom0}, "bank", 0, ""},
		{"state of another policy ignored", acme, wld.NewState(), StartInput{Label: "ACM:acme:oil", Dom0: dom0}, "oil", 0, ""},
		{"authorization before conflict", acme, bankRunning, StartInput{Label: "ACM:acme:oil", Dom0: bankRef}, "", XSErrVMNotAuthorized, MsgNotAuthorized},
		{"conflict before devices", acme, bankRunning, StartInput{Label: "ACM:acme:oil", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/a", res("acme", "bank-disk"))}}, "", XSErrVMInConflict, MsgInConflict},
		{"own disk", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/a", res("acme", "bank-disk")), vbd("file:/s", res("acme", "shared-disk"))}}, "bank", 0, ""},
		{"foreign disk", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/a", res("acme", "bank-disk")), vbd("phy:/dev/b", res("acme", "oil-disk"))}}, "", XSErrResourceAccess, "VM's access to block device 'phy:/dev/b' denied"},
		{"unlabeled disk, unlabeled VM", acme, nil, StartInput{Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/u", ResourceLabel{})}}, LabelUnlabeled, 0, ""},
		{"unlabeled disk, labeled VM", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/u", ResourceLabel{})}}, "", XSErrResourceAccess, "VM's access to block device 'phy:/dev/u' denied"},
		{"disk of another policy is unlabeled", acme, nil, StartInput{Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/o", res("other", "bank-disk"))}}, LabelUnlabeled, 0, ""},
		{"invalidated disk", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/i", ResourceLabel{"INV_ACM", "acme", "bank-disk"})}}, "", XSErrResourceAccess, "Unknown policy type 'INV_ACM' in label for resource 'phy:/dev/i'"},
		{"disk of unknown type", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/i", ResourceLabel{"FLASK", "acme", "bank-disk"})}}, "", XSErrResourceAccess, "Unknown policy type 'FLASK' in label for resource 'phy:/dev/i'"},
		{"inaccessible disk", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/x", ResourceLabel{"ACM", "*", LabelInaccessible})}}, "", XSErrResourceAccess, "VM's access to block device 'phy:/dev/x' denied"},
		{"disk label the policy lacks", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vbd("phy:/dev/x", res("acme", "nothing"))}}, "", XSErrResourceAccess, "VM's access to block device 'phy:/dev/x' denied"},
		{"unlabeled VIF, one STE type", acme, nil, StartInput{Label: "ACM:acme:Auditor", Dom0: dom0, Devices: []StartDevice{vif(ResourceLabel{})}}, "Auditor", 0, ""},
		{"unlabeled VIF, two STE types", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vif(ResourceLabel{})}}, "", XSErrResourceAccess, "'VIF' must be labeled"},
		{"labeled VIF", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vif(res("acme", "shared-disk"))}}, "bank", 0, ""},
		{"incompatible VIF", acme, nil, StartInput{Label: "ACM:acme:Auditor", Dom0: dom0, Devices: []StartDevice{vif(res("acme", "oil-disk"))}}, "", XSErrResourceAccess, "VM's access to network device denied. Check labeling"},
		{"VIF of another policy", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vif(res("other", "bank-disk"))}}, "", XSErrResourceAccess, "VM's access to network device denied. Check labeling"},
		{"VIF label the policy lacks", acme, nil, StartInput{Label: "ACM:acme:bank", Dom0: dom0, Devices: []StartDevice{vif(res("acme", "nothing"))}}, "", XSErrResourceAccess, "VM's access to network device denied. Check labeling"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before []uint16
			if tc.st != nil {
				before = tc.st.Aggregate()
			}
			got, err := CheckStart(tc.c, tc.st, tc.in)
			if tc.code == 0 {
				if err != nil || got != ref(t, tc.c, tc.want) {
					t.Fatalf("CheckStart = %#x, %v; want %s", got, err, tc.want)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) || e.Code != tc.code || e.Msg != tc.msg || got != 0 {
					t.Fatalf("CheckStart = %#x, %v; want %v %q", got, err, tc.code, tc.msg)
				}
			}
			if tc.st != nil && !equalU16(tc.st.Aggregate(), before) {
				t.Error("CheckStart changed the state")
			}
		})
	}
}

func equalU16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEngineCheckDomainStartAndAttach(t *testing.T) {
	acme := mustCompile(t, mustRead(t, "testdata/acme-security_policy.xml"))
	e := NewEngine(acme)
	dom0 := uint32(0x00010001)
	if err := e.DomainCreate(dom0); err != nil {
		t.Fatal(err)
	}
	bank, err := e.CheckDomainStart(StartInput{Label: "ACM:acme:bank", Dom0: dom0})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DomainCreate(bank); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CheckDomainStart(StartInput{Label: "ACM:acme:oil", Dom0: dom0}); !errors.Is(err, XSErrVMInConflict) {
		t.Errorf("oil after bank: %v", err)
	}
	ok := StartDevice{Resource: "phy:/dev/a", Label: ResourceLabel{"ACM", "acme", "bank-disk"}}
	bad := StartDevice{Resource: "phy:/dev/b", Label: ResourceLabel{"ACM", "acme", "oil-disk"}}
	if err := e.CheckAttach(bank, ok); err != nil {
		t.Errorf("attach bank-disk: %v", err)
	}
	var ee *Error
	if err := e.CheckAttach(bank, bad); !errors.As(err, &ee) || ee.Msg != "VM's access to block device 'phy:/dev/b' denied" {
		t.Errorf("attach oil-disk: %v", err)
	}
}

// BenchmarkCheckStart is xend's start sequence for a domain with two block
// devices and a labeled VIF, with Domain-0 and a guest running.
func BenchmarkCheckStart(b *testing.B) {
	c := mustCompile(b, mustRead(b, "testdata/acme-security_policy.xml"))
	st := c.NewState()
	if err := st.Create(0x00010001); err != nil {
		b.Fatal(err)
	}
	in := StartInput{Label: "ACM:acme:bank", Dom0: 0x00010001, Devices: []StartDevice{
		{Resource: "phy:/dev/a", Label: ResourceLabel{"ACM", "acme", "bank-disk"}},
		{Resource: "file:/srv/s.img", Label: ResourceLabel{"ACM", "acme", "shared-disk"}},
		{Network: true, Label: ResourceLabel{"ACM", "acme", "shared-disk"}},
	}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CheckStart(c, st, in); err != nil {
			b.Fatal(err)
		}
	}
}
