package secpolicy

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

func pv(name string, v any) cim.ParamValue {
	p := cim.ParamValue{Name: name, Value: v}
	switch x := v.(type) {
	case string:
		p.Type = cim.TypeString
	case bool:
		p.Type = cim.TypeBoolean
	case uint16:
		p.Type = cim.TypeUint16
	case uint32:
		p.Type = cim.TypeUint32
	case *cim.ObjectPath:
		p.Type = cim.TypeReference
	case *cim.Instance:
		p.Type = cim.TypeString
		p.EmbeddedObject = "instance"
	case []any:
		p.IsArray = true
		if len(x) > 0 {
			if _, ok := x[0].(*cim.Instance); ok {
				p.Type = cim.TypeString
				p.EmbeddedObject = "instance"
			}
		}
	}
	return p
}

func TestMethods(t *testing.T) {
	refused := func(code acm.XSErr, msg string) error {
		return fmt.Errorf("toolstack: %w", &acm.Error{Code: code, Msg: msg})
	}
	vssd := &cim.Instance{ClassName: "Xen_VirtualSystemSettingData", Properties: []cim.Property{
		{Name: "ElementName", Type: cim.TypeString, Value: "new1"},
		{Name: "SecurityLabel", Type: cim.TypeString, Value: "ACM:shop:web"},
		{Name: "Memory", Type: cim.TypeString, Value: "256"}, // untyped text from the wire
		{Name: "VCPUs", Type: cim.TypeUint32, Value: uint32(2)},
	}}
	disk := &cim.Instance{ClassName: "Xen_DiskSettingData", Properties: []cim.Property{
		{Name: "Address", Type: cim.TypeString, Value: "phy:sdb1"},
		{Name: "VirtualDevice", Type: cim.TypeString, Value: "xvda1"},
		{Name: "Mode", Type: cim.TypeString, Value: "w"},
	}}
	vif := &cim.Instance{ClassName: "Xen_NetworkPortSettingData", Properties: []cim.Property{
		{Name: "InstanceID", Type: cim.TypeString, Value: "Xen:x/vif3"},
		{Name: "Address", Type: cim.TypeString, Value: "00:16:3e:00:00:01"},
		{Name: "Bridge", Type: cim.TypeString, Value: "vlan:12"},
		{Name: "SecurityLabel", Type: cim.TypeString, Value: "ACM:shop:web-disk"},
	}}
	genericDisk := &cim.Instance{ClassName: "CIM_ResourceAllocationSettingData", Properties: []cim.Property{
		{Name: "ResourceType", Type: cim.TypeUint16, Value: uint16(31)},
		{Name: "Address", Type: cim.TypeString, Value: "file:/a.img"},
	}}

	tests := []struct {
		name     string
		method   string
		in       []cim.ParamValue
		setup    func(*fakeTS)
		want     uint32     // return value
		wantMsg  string     // OUT Message
		wantErr  cim.Status // a CIM error instead
		wantOut  map[string]any
		wantCall string
	}{
		// SetPolicy
		{name: "SetPolicy loads", method: "SetPolicy",
			in:       []cim.ParamValue{pv("Policy", "<xml/>"), pv("Flags", uint32(3)), pv("Overwrite", true)},
			setup:    func(f *fakeTS) { f.setPolicyResult = &acm.Result{Ref: testRef, Flags: 3} },
			wantOut:  map[string]any{"PolicyRef": policyPath(testRef).String(), "Errors": []uint32{}},
			wantCall: "SetPolicy(6 bytes, 3, true)"},
		{name: "SetPolicy refused update carries the tuples", method: "SetPolicy",
			in: []cim.ParamValue{pv("Policy", "<xml/>"), pv("Flags", uint32(2))},
			setup: func(f *fakeTS) {
				f.setPolicyResult = &acm.Result{Code: acm.XSErrHVOpFailed, Errors: []acm.ErrorTuple{{Code: acm.HVSSIDRefInUse, Data: 3}}}
				f.errs["SetPolicy"] = acm.XSErrHVOpFailed
			},
			want: 4120, wantMsg: "Operation failed in hypervisor",
			wantOut: map[string]any{"Errors": []uint32{acm.HVSSIDRefInUse, 3}, "PolicyRef": nil}},
		{name: "SetPolicy fault without a result", method: "SetPolicy",
			in:    []cim.ParamValue{pv("Policy", "<xml/>"), pv("Flags", uint32(1))},
			setup: func(f *fakeTS) { f.errs["SetPolicy"] = refused(acm.XSErrBootPolicyInstalled, "boot policy installed") },
			want:  4107, wantMsg: "The system boot policy is installed", wantOut: map[string]any{"Errors": []uint32{}}},
		{name: "SetPolicy fault in the result", method: "SetPolicy",
			in: []cim.ParamValue{pv("Policy", "<bad"), pv("Flags", uint32(2))},
			setup: func(f *fakeTS) {
				f.setPolicyResult = &acm.Result{Code: acm.XSErrXMLProcessing, Fault: true}
				f.errs["SetPolicy"] = refused(acm.XSErrXMLProcessing, "line 1: not XML")
			},
			want: 4099, wantMsg: "Error while processing XML"},
		{name: "SetPolicy other failure", method: "SetPolicy",
			in:      []cim.ParamValue{pv("Policy", "<xml/>"), pv("Flags", uint32(2))},
			setup:   func(f *fakeTS) { f.errs["SetPolicy"] = errors.New("disk full") },
			wantErr: cim.StatusFailed},
		{name: "SetPolicy without Policy", method: "SetPolicy", in: []cim.ParamValue{pv("Flags", uint32(2))}, wantErr: cim.StatusInvalidParameter},
		{name: "SetPolicy without Flags", method: "SetPolicy", in: []cim.ParamValue{pv("Policy", "x")}, wantErr: cim.StatusInvalidParameter},

		// ResetPolicy
		{name: "ResetPolicy", method: "ResetPolicy",
			setup:   func(f *fakeTS) { f.resetResult = &acm.Result{Ref: testRef} },
			wantOut: map[string]any{"Errors": []uint32{}}, wantCall: "ResetPolicy()"},
		{name: "ResetPolicy refused", method: "ResetPolicy",
			setup: func(f *fakeTS) {
				f.resetResult = &acm.Result{Code: acm.XSErrHVOpFailed, Errors: []acm.ErrorTuple{{Code: acm.HVSSIDRefInUse, Data: 2}}}
				f.errs["ResetPolicy"] = acm.XSErrHVOpFailed
			},
			want: 4120, wantMsg: "Operation failed in hypervisor", wantOut: map[string]any{"Errors": []uint32{acm.HVSSIDRefInUse, 2}}},

		// ActivatePolicy
		{name: "ActivatePolicy", method: "ActivatePolicy",
			in:      []cim.ParamValue{pv("Policy", policyPath(testRef)), pv("Flags", uint32(1))},
			setup:   func(f *fakeTS) { f.activeFlags = 3 },
			wantOut: map[string]any{"ActiveFlags": uint32(3)}, wantCall: "ActivatePolicy(1)"},
		{name: "ActivatePolicy refused", method: "ActivatePolicy",
			in:    []cim.ParamValue{pv("Policy", policyPath(testRef)), pv("Flags", uint32(2))},
			setup: func(f *fakeTS) { f.errs["ActivatePolicy"] = refused(acm.XSErrHVOpFailed, "") },
			want:  4120, wantMsg: "Operation failed in hypervisor", wantOut: map[string]any{"ActiveFlags": nil}},
		{name: "ActivatePolicy other policy", method: "ActivatePolicy",
			in: []cim.ParamValue{pv("Policy", policyPath("x")), pv("Flags", uint32(2))}, wantErr: cim.StatusNotFound},
		{name: "ActivatePolicy without Policy", method: "ActivatePolicy",
			in: []cim.ParamValue{pv("Flags", uint32(2))}, wantErr: cim.StatusInvalidParameter},

		// RemoveBootPolicy
		{name: "RemoveBootPolicy", method: "RemoveBootPolicy", wantCall: "RemoveBootPolicy()"},
		{name: "RemoveBootPolicy refused", method: "RemoveBootPolicy",
			setup: func(f *fakeTS) { f.errs["RemoveBootPolicy"] = acm.XSErrNoDefaultBootTitle },
			want:  4108, wantMsg: "Could not find the default boot title"},

		// GetPolicy
		{name: "GetPolicy", method: "GetPolicy",
			wantOut: map[string]any{"PolicyRef": policyPath(testRef).String(), "Flags": uint32(3), "Version": "1.2"}},

		// CanRun
		{name: "CanRun yes", method: "CanRun", in: []cim.ParamValue{pv("Label", "ACM:shop:web")}, wantCall: "CanRun(ACM:shop:web)"},
		{name: "CanRun conflict", method: "CanRun", in: []cim.ParamValue{pv("Label", "ACM:shop:db")},
			setup: func(f *fakeTS) { f.canRun["ACM:shop:db"] = acm.XSErrVMInConflict },
			want:  4123, wantMsg: "VM label conflicts with another VM"},
		{name: "CanRun not authorized", method: "CanRun", in: []cim.ParamValue{pv("Label", "ACM:shop:x")},
			setup: func(f *fakeTS) { f.canRun["ACM:shop:x"] = acm.XSErrVMNotAuthorized },
			want:  4122, wantMsg: "VM is not authorized to run"},
		{name: "CanRun bad label", method: "CanRun", in: []cim.ParamValue{pv("Label", "nolabel")},
			setup: func(f *fakeTS) { f.canRun["nolabel"] = acm.XSErrBadLabel },
			want:  4116, wantMsg: "The label is bad"},
		{name: "CanRun without Label", method: "CanRun", wantErr: cim.StatusInvalidParameter},

		// GetDecision
		{name: "GetDecision sharing", method: "GetDecision",
			in:      []cim.ParamValue{pv("Label1", "ACM:shop:web"), pv("Label2", "ACM:shop:db"), pv("Hook", uint16(1))},
			setup:   func(f *fakeTS) { f.decision = false },
			wantOut: map[string]any{"Permitted": false}, wantCall: "Decide(1, ACM:shop:web, ACM:shop:db)"},
		{name: "GetDecision conflict set", method: "GetDecision",
			in:      []cim.ParamValue{pv("Label1", "ACM:shop:web"), pv("Hook", uint16(3))},
			wantOut: map[string]any{"Permitted": true}, wantCall: "Decide(3, ACM:shop:web, )"},
		{name: "GetDecision bad label", method: "GetDecision",
			in:    []cim.ParamValue{pv("Label1", "x"), pv("Label2", "y"), pv("Hook", uint16(2))},
			setup: func(f *fakeTS) { f.errs["Decide"] = refused(acm.XSErrBadLabelFormat, "") },
			want:  4103, wantMsg: "The label format is not valid"},
		{name: "GetDecision bad hook", method: "GetDecision",
			in: []cim.ParamValue{pv("Label1", "a"), pv("Label2", "b"), pv("Hook", uint16(4))}, wantErr: cim.StatusInvalidParameter},
		{name: "GetDecision without Label2", method: "GetDecision",
			in: []cim.ParamValue{pv("Label1", "a"), pv("Hook", uint16(1))}, wantErr: cim.StatusInvalidParameter},

		// SetSecurityLabel
		{name: "SetSecurityLabel", method: "SetSecurityLabel",
			in:       []cim.ParamValue{pv("Element", computerSystemPath(webUUID)), pv("Label", "ACM:shop:db"), pv("OldLabel", "ACM:shop:web")},
			setup:    func(f *fakeTS) { f.ssidref = 0x00020002 },
			wantOut:  map[string]any{"SSIDRef": uint32(0x00020002)},
			wantCall: "SetDomainLabel(" + webUUID + ", ACM:shop:db, ACM:shop:web)"},
		{name: "SetSecurityLabel wrong state", method: "SetSecurityLabel",
			in:    []cim.ParamValue{pv("Element", computerSystemPath(webUUID)), pv("Label", "")},
			setup: func(f *fakeTS) { f.errs["SetDomainLabel"] = refused(acm.XSErrVMWrongState, "") },
			want:  4117, wantMsg: "Operation not premittend - the VM is in the wrong state"},
		{name: "SetSecurityLabel unknown domain", method: "SetSecurityLabel",
			in: []cim.ParamValue{pv("Element", computerSystemPath("nosuch")), pv("Label", "ACM:shop:db")}, wantErr: cim.StatusNotFound},
		{name: "SetSecurityLabel other class", method: "SetSecurityLabel",
			in: []cim.ParamValue{pv("Element", resourcePath("vlan:12")), pv("Label", "ACM:shop:db")}, wantErr: cim.StatusInvalidParameter},
		{name: "SetSecurityLabel without Element", method: "SetSecurityLabel",
			in: []cim.ParamValue{pv("Label", "ACM:shop:db")}, wantErr: cim.StatusInvalidParameter},

		// GetSecurityLabel
		{name: "GetSecurityLabel", method: "GetSecurityLabel",
			in: []cim.ParamValue{pv("Element", computerSystemPath(plainUUID))}, wantOut: map[string]any{"Label": "ACM:shop:__UNLABELED__"}},
		{name: "GetSecurityLabel unknown", method: "GetSecurityLabel",
			in: []cim.ParamValue{pv("Element", computerSystemPath("nosuch"))}, wantErr: cim.StatusNotFound},

		// SetResourceLabel
		{name: "SetResourceLabel", method: "SetResourceLabel",
			in:       []cim.ParamValue{pv("Resource", "phy:sdc"), pv("Label", "ACM:shop:db-disk")},
			wantCall: "SetResourceLabel(phy:sdc, ACM:shop:db-disk, )"},
		{name: "SetResourceLabel in use", method: "SetResourceLabel",
			in:    []cim.ParamValue{pv("Resource", "phy:sdb1"), pv("Label", ""), pv("OldLabel", "ACM:shop:web-disk")},
			setup: func(f *fakeTS) { f.errs["SetResourceLabel"] = refused(acm.XSErrResourceInUse, "") },
			want:  4113, wantMsg: "The resource is in use"},
		{name: "SetResourceLabel old mismatch", method: "SetResourceLabel",
			in:    []cim.ParamValue{pv("Resource", "phy:sdb1"), pv("Label", "ACM:shop:db-disk"), pv("OldLabel", "ACM:shop:x")},
			setup: func(f *fakeTS) { f.errs["SetResourceLabel"] = refused(acm.XSErrBadLabel, "Label 'x' does not match") },
			want:  4116, wantMsg: "The label is bad"},
		{name: "SetResourceLabel without Resource", method: "SetResourceLabel", wantErr: cim.StatusInvalidParameter},

		// GetResourceLabel
		{name: "GetResourceLabel", method: "GetResourceLabel",
			in: []cim.ParamValue{pv("Resource", "phy:sdb1")}, wantOut: map[string]any{"Label": "ACM:shop:web-disk"}},
		{name: "GetResourceLabel unlabeled", method: "GetResourceLabel",
			in: []cim.ParamValue{pv("Resource", "phy:sdq")}, wantOut: map[string]any{"Label": ""}},
		{name: "GetResourceLabel bad format", method: "GetResourceLabel",
			in: []cim.ParamValue{pv("Resource", "nocolon")}, want: 4102, wantMsg: "*"},

		// GetLabeledResources
		{name: "GetLabeledResources", method: "GetLabeledResources",
			wantOut: map[string]any{
				"Resources": []string{"file:/srv/db.img", "phy:/dev/sdb1", "vlan:12"},
				"Labels":    []string{"ACM:shop:db-disk", "ACM:shop:web-disk", "INV_ACM:old:net"},
			}},

		// DryRun
		{name: "DryRun of a domain", method: "DryRun",
			in:       []cim.ParamValue{pv("System", computerSystemPath(webUUID))},
			wantOut:  map[string]any{"Permitted": true, "Report": "Checking resources: (skipped)\nDry Run: PASSED"},
			wantCall: "DryRunDomain(" + webUUID + ")"},
		{name: "DryRun refused verdict is still 0", method: "DryRun",
			in: []cim.ParamValue{pv("System", computerSystemPath(webUUID))},
			setup: func(f *fakeTS) {
				f.dryRun = toolstack.DryRun{Lines: []string{"a", "b"}, Permitted: false}
			},
			wantOut: map[string]any{"Permitted": false, "Report": "a\nb\nDry Run: FAILED"}},
		{name: "DryRun of settings", method: "DryRun",
			in:      []cim.ParamValue{pv("SystemSettings", vssd), pv("ResourceSettings", []any{disk, vif, genericDisk})},
			wantOut: map[string]any{"Permitted": true},
			wantCall: "DryRunConfig(" + fmt.Sprintf("%+v", toolstack.Config{Name: "new1", Label: "ACM:shop:web", MemoryMiB: 256, VCPUs: 2,
				Disks: []toolstack.Disk{{Uname: "phy:sdb1", VirtualDevice: "xvda1", Mode: "w"}, {Uname: "file:/a.img", Mode: "w"}},
				VIFs:  []toolstack.VIF{{Index: -1, MAC: "00:16:3e:00:00:01", Bridge: "vlan:12", Label: "ACM:shop:web-disk"}}}) + ")"},
		{name: "DryRun unknown domain", method: "DryRun",
			in: []cim.ParamValue{pv("System", computerSystemPath("nosuch"))}, wantErr: cim.StatusNotFound},
		{name: "DryRun without anything", method: "DryRun", wantErr: cim.StatusInvalidParameter},
		{name: "DryRun with a bad device", method: "DryRun",
			in: []cim.ParamValue{pv("SystemSettings", vssd), pv("ResourceSettings", []any{vssd})}, wantErr: cim.StatusInvalidParameter},
		{name: "DryRun label error", method: "DryRun",
			in: []cim.ParamValue{pv("SystemSettings", vssd)},
			setup: func(f *fakeTS) {
				f.errs["DryRunConfig"] = refused(acm.XSErrBadLabelFormat, "VM label 'x' in wrong format.")
			},
			want: 4103, wantMsg: "The label format is not valid"},

		// DumpPolicy, GetEnforcedBinary, AttestPolicy
		{name: "DumpPolicy", method: "DumpPolicy", wantOut: map[string]any{"Text": "POLICY REFERENCE = shop."}},
		{name: "DumpPolicy failure", method: "DumpPolicy",
			setup: func(f *fakeTS) { f.errs["DumpPolicy"] = acm.XSErrPolicyLoadFailed }, want: 4109, wantMsg: "Loading of the policy failed"},
		{name: "GetEnforcedBinary", method: "GetEnforcedBinary", wantOut: map[string]any{"Binary": "*binary"}},
		{name: "unknown method", method: "Frobnicate", wantErr: cim.StatusMethodNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newProvider(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			ret, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), tt.method, tt.in)
			if tt.wantErr != cim.StatusOK {
				if status(err) != tt.wantErr {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("InvokeMethod: %v", err)
			}
			if ret != tt.want {
				t.Errorf("return %v, want %d", ret, tt.want)
			}
			msg := providers.Param(out, "Message")
			if msg == nil {
				t.Fatalf("no OUT Message")
			}
			switch {
			case tt.wantMsg == "*":
				if msg.Value == "" {
					t.Errorf("empty Message for a refusal")
				}
			case msg.Value != tt.wantMsg:
				t.Errorf("Message %q, want %q", msg.Value, tt.wantMsg)
			}
			for name, want := range tt.wantOut {
				got := providers.Param(out, name)
				if want == nil {
					if got != nil && got.Value != nil {
						t.Errorf("OUT %s = %v, want none", name, got.Value)
					}
					continue
				}
				if got == nil {
					t.Errorf("no OUT %s", name)
					continue
				}
				checkOut(t, f, name, got.Value, want)
			}
			if tt.wantCall != "" && f.lastCall() != tt.wantCall {
				t.Errorf("call %q\nwant %q", f.lastCall(), tt.wantCall)
			}
		})
	}
}

func checkOut(t *testing.T, f *fakeTS, name string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case []uint32:
		a, ok := got.([]any)
		if !ok {
			t.Errorf("OUT %s = %#v, want an array", name, got)
			return
		}
		var g []uint32
		for _, e := range a {
			g = append(g, e.(uint32))
		}
		if !slices.Equal(g, w) {
			t.Errorf("OUT %s = %v, want %v", name, g, w)
		}
	case []string:
		if g := strValues(got); !slices.Equal(g, w) {
			t.Errorf("OUT %s = %q, want %q", name, g, w)
		}
	case string:
		switch {
		case w == "*binary":
			if got != base64.StdEncoding.EncodeToString(f.compiled.Binary()) {
				t.Errorf("OUT %s is not the enforced binary in base64", name)
			}
		case strings.Contains(w, ":Xen_"):
			ref, ok := got.(*cim.ObjectPath)
			if !ok || ref.String() != w {
				t.Errorf("OUT %s = %v, want %s", name, got, w)
			}
		case got != w:
			t.Errorf("OUT %s = %#v, want %#v", name, got, w)
		}
	default:
		if got != want {
			t.Errorf("OUT %s = %#v, want %#v", name, got, want)
		}
	}
}

func TestInvokeMethodTarget(t *testing.T) {
	p, _ := newProvider(t)
	other := p.ServicePath()
	other.Keys = slices.Clone(other.Keys)
	other.Keys[3].Value = "otherhost"
	if _, _, err := p.InvokeMethod(ctx, Namespace, other, "GetPolicy", nil); status(err) != cim.StatusNotFound {
		t.Errorf("method on another host's service: %v", err)
	}
	if _, _, err := p.InvokeMethod(ctx, Namespace, policyPath(testRef), "GetPolicy", nil); status(err) != cim.StatusMethodNotAvailable {
		t.Errorf("method on Xen_ACMPolicy: %v", err)
	}
	if _, _, err := p.InvokeMethod(ctx, "interop", p.ServicePath(), "GetPolicy", nil); status(err) != cim.StatusInvalidNamespace {
		t.Errorf("method in interop: %v", err)
	}
}

func TestToCIMError(t *testing.T) {
	tests := []struct {
		err  error
		want cim.Status
		desc string
	}{
		{fmt.Errorf("x: %w", hypervisor.ErrNoDomain), cim.StatusNotFound, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrExists), cim.StatusAlreadyExists, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrInvalid), cim.StatusInvalidParameter, ""},
		{fmt.Errorf("x: %w", &acm.Error{Code: acm.XSErrVMNotAuthorized, Msg: acm.MsgNotAuthorized}), cim.StatusFailed, acm.MsgNotAuthorized},
		{acm.XSErrResourceInUse, cim.StatusFailed, "The resource is in use"},
		{cim.Errorf(cim.StatusAccessDenied, "no"), cim.StatusAccessDenied, "no"},
		{errors.New("boom"), cim.StatusFailed, ""},
	}
	for _, tt := range tests {
		err := toCIMError(tt.err)
		var ce *cim.Error
		if !errors.As(err, &ce) || ce.Code != tt.want {
			t.Errorf("toCIMError(%v) = %v, want %v", tt.err, err, tt.want)
			continue
		}
		if tt.desc != "" && ce.Description != tt.desc {
			t.Errorf("toCIMError(%v) description %q, want %q", tt.err, ce.Description, tt.desc)
		}
	}
	if toCIMError(nil) != nil {
		t.Error("toCIMError(nil) is not nil")
	}
}
