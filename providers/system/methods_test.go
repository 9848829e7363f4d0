package system

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
)

// denied is a refusal of the access control as the toolstack returns it.
var denied = fmt.Errorf("toolstack: start web: %w", &acm.Error{Code: acm.XSErrVMNotAuthorized, Msg: "VM is not authorized to run."})

func pv(name string, v any) cim.ParamValue { return cim.ParamValue{Name: name, Value: v} }

func TestRequestStateChange(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		state    any
		fail     error
		wantRet  uint32
		wantCode cim.Status
		wantDesc string
		wantLog  string // the toolstack call, "" for none
	}{
		{name: "start", target: uuidDB, state: uint16(2), wantLog: "RequestState " + uuidDB + " 2"},
		{name: "destroy", target: uuidWeb, state: uint16(3), wantLog: "RequestState " + uuidWeb + " 3"},
		{name: "shutdown", target: uuidWeb, state: uint16(4), wantLog: "RequestState " + uuidWeb + " 4"},
		{name: "suspend", target: uuidWeb, state: uint16(6), wantLog: "RequestState " + uuidWeb + " 6"},
		{name: "pause", target: uuidWeb, state: uint16(9), wantLog: "RequestState " + uuidWeb + " 9"},
		{name: "reboot", target: uuidWeb, state: uint16(10), wantLog: "RequestState " + uuidWeb + " 10"},
		{name: "untyped text", target: uuidDB, state: "2", wantLog: "RequestState " + uuidDB + " 2"},
		{name: "test is not supported", target: uuidWeb, state: uint16(7), wantRet: 1},
		{name: "defer is not supported", target: uuidWeb, state: uint16(8), wantRet: 1},
		{name: "reset is not supported", target: uuidWeb, state: uint16(11), wantRet: 1},
		{name: "vendor value", target: uuidWeb, state: uint16(40000), wantRet: 1},
		{name: "no change is invalid", target: uuidWeb, state: uint16(5), wantCode: cim.StatusInvalidParameter},
		{name: "reserved is invalid", target: uuidWeb, state: uint16(12), wantCode: cim.StatusInvalidParameter},
		{name: "missing", target: uuidWeb, state: nil, wantCode: cim.StatusInvalidParameter},
		{name: "not a number", target: uuidWeb, state: "up", wantCode: cim.StatusInvalidParameter},
		{name: "unknown domain", target: "nope", state: uint16(2), wantCode: cim.StatusNotFound},
		{name: "refused by the ACM", target: uuidDB, state: uint16(2), fail: denied,
			wantCode: cim.StatusFailed, wantDesc: "VM is not authorized to run."},
		{name: "wrong state", target: uuidDB, state: uint16(9),
			fail:     fmt.Errorf("toolstack: pause db: %w", hypervisor.ErrBadState),
			wantCode: cim.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			if tt.fail != nil {
				f.fail["RequestState"] = tt.fail
			}
			var in []cim.ParamValue
			if tt.state != nil {
				in = append(in, pv("RequestedState", tt.state), pv("TimeoutPeriod", nil))
			}
			ret, out, err := p.InvokeMethod(ctx, Namespace, ComputerSystemPath(tt.target), "RequestStateChange", in)
			if got := statusOf(t, err); got != tt.wantCode {
				t.Fatalf("status %v (%v), want %v", got, err, tt.wantCode)
			}
			if err != nil {
				if tt.wantDesc != "" && err.(*cim.Error).Description != tt.wantDesc {
					t.Errorf("description %q, want %q", err.(*cim.Error).Description, tt.wantDesc)
				}
				return
			}
			if ret != tt.wantRet || len(out) != 0 {
				t.Errorf("= %v, %v; want %d and no OUT parameters", ret, out, tt.wantRet)
			}
			var log string
			if len(f.log) > 0 {
				log = f.log[0]
			}
			if log != tt.wantLog {
				t.Errorf("toolstack calls %q, want %q", f.log, tt.wantLog)
			}
			// A transition that ran is remembered as RequestedState.
			inst, _ := p.GetInstance(ctx, Namespace, ComputerSystemPath(tt.target))
			want := uint16(5)
			if tt.wantLog != "" {
				n, _ := toUint(tt.state, 16)
				want = uint16(n)
			}
			if got := value(t, inst, "RequestedState"); got != want {
				t.Errorf("RequestedState = %v, want %d", got, want)
			}
		})
	}
}

func TestDefineSystem(t *testing.T) {
	vssd := embedded("Xen_VirtualSystemSettingData",
		sp("ElementName", "app"), sp("Kernel", "/boot/k"), sp("Ramdisk", "/boot/r"),
		sp("Memory", uint64(300)), sp("VCPUs", uint32(2)), sp("SecurityLabel", "ACM:acme:web"))
	// Untyped values, as a client that sends text may.
	untyped := embedded("Xen_VirtualSystemSettingData",
		sp("ElementName", "app2"), sp("Memory", "64"), sp("VCPUs", "1"),
		sp("VirtualSystemIdentifier", "55555555-5555-5555-5555-555555555555"))
	disk := embedded("Xen_DiskSettingData", sp("Address", "phy:sdc1"), sp("VirtualDevice", "xvdb"), sp("Mode", "r"))
	vif := embedded("Xen_NetworkPortSettingData", sp("Address", "00:16:3e:aa:bb:cc"), sp("Bridge", "xenbr1"), sp("SecurityLabel", "ACM:acme:net"))
	genericDisk := embedded("CIM_ResourceAllocationSettingData", sp("ResourceType", uint16(31)), sp("Address", "file:/a.img"), sp("AddressOnParent", "xvdc"))
	genericNIC := embedded("CIM_ResourceAllocationSettingData", sp("ResourceType", "10"),
		cim.Property{Name: "Connection", Type: cim.TypeString, IsArray: true, Value: []any{"xenbr2"}})
	tests := []struct {
		name     string
		in       []cim.ParamValue
		fail     error
		wantCode cim.Status
		wantDesc string
		check    func(t *testing.T, f *fakeToolstack, uuid string)
	}{
		{name: "settings and devices", in: []cim.ParamValue{pv("SystemSettings", vssd), pv("ResourceSettings", []any{disk, vif, genericDisk, genericNIC})},
			check: func(t *testing.T, f *fakeToolstack, uuid string) {
				d, _ := f.find(uuid)
				if d.Name != "app" || d.Kernel != "/boot/k" || d.Ramdisk != "/boot/r" || d.MemoryMiB != 300 || d.VCPUs != 2 || d.Label != "ACM:acme:web" {
					t.Errorf("defined %+v", d.Config)
				}
				wantDisks := "[{phy:sdc1  xvdb r} {file:/a.img  xvdc w}]"
				if got := fmt.Sprint(d.Disks); got != wantDisks {
					t.Errorf("disks %s, want %s", got, wantDisks)
				}
				wantVIFs := "[{0 00:16:3e:aa:bb:cc xenbr1 ACM:acme:net} {1  xenbr2 }]"
				if got := fmt.Sprint(d.VIFs); got != wantVIFs {
					t.Errorf("vifs %s, want %s", got, wantVIFs)
				}
			}},
		{name: "untyped values and given UUID", in: []cim.ParamValue{pv("SystemSettings", untyped)},
			check: func(t *testing.T, f *fakeToolstack, uuid string) {
				if uuid != "55555555-5555-5555-5555-555555555555" {
					t.Errorf("UUID %s, want the VirtualSystemIdentifier", uuid)
				}
				d, _ := f.find(uuid)
				if d.MemoryMiB != 64 || d.VCPUs != 1 || d.Label != "" {
					t.Errorf("defined %+v", d.Config)
				}
			}},
		{name: "reference configuration", in: []cim.ParamValue{
			pv("SystemSettings", embedded("Xen_VirtualSystemSettingData", sp("ElementName", "web2"))),
			pv("ReferenceConfiguration", SettingsPath(uuidWeb))},
			check: func(t *testing.T, f *fakeToolstack, uuid string) {
				d, _ := f.find(uuid)
				if d.Name != "web2" || d.Kernel != "/boot/vmlinuz" || d.MemoryMiB != 256 || len(d.Disks) != 1 || len(d.VIFs) != 2 || uuid == uuidWeb {
					t.Errorf("defined %s %+v", uuid, d.Config)
				}
			}},
		{name: "plain string", in: []cim.ParamValue{pv("SystemSettings", `instance of Xen_VirtualSystemSettingData { ElementName = "x"; };`)},
			wantCode: cim.StatusInvalidParameter},
		{name: "plain string resource", in: []cim.ParamValue{pv("SystemSettings", vssd), pv("ResourceSettings", []any{"<INSTANCE/>"})},
			wantCode: cim.StatusInvalidParameter},
		{name: "missing settings", in: nil, wantCode: cim.StatusInvalidParameter},
		{name: "bad memory", in: []cim.ParamValue{pv("SystemSettings", embedded("Xen_VirtualSystemSettingData", sp("ElementName", "x"), sp("Memory", "lots")))},
			wantCode: cim.StatusInvalidParameter},
		{name: "vcpus overflow", in: []cim.ParamValue{pv("SystemSettings", embedded("Xen_VirtualSystemSettingData", sp("ElementName", "x"), sp("VCPUs", uint64(1<<40))))},
			wantCode: cim.StatusInvalidParameter},
		{name: "unknown resource type", in: []cim.ParamValue{pv("SystemSettings", vssd), pv("ResourceSettings", []any{embedded("CIM_ResourceAllocationSettingData", sp("ResourceType", uint16(3)))})},
			wantCode: cim.StatusInvalidParameter},
		{name: "name in use", in: []cim.ParamValue{pv("SystemSettings", embedded("Xen_VirtualSystemSettingData", sp("ElementName", "web")))},
			wantCode: cim.StatusFailed},
		{name: "reference to unknown", in: []cim.ParamValue{pv("SystemSettings", vssd), pv("ReferenceConfiguration", SettingsPath("nope"))},
			wantCode: cim.StatusNotFound},
		{name: "policy mismatch", in: []cim.ParamValue{pv("SystemSettings", vssd)},
			fail:     &acm.Error{Code: acm.XSErrBadPolicyName, Msg: "Security policy (acme) incompatible with enforced policy (DEFAULT)."},
			wantCode: cim.StatusFailed, wantDesc: "Security policy (acme) incompatible with enforced policy (DEFAULT)."},
		{name: "invalid config", in: []cim.ParamValue{pv("SystemSettings", vssd)},
			fail: fmt.Errorf("toolstack: %w", hypervisor.ErrInvalid), wantCode: cim.StatusInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			if tt.fail != nil {
				f.fail["Define"] = tt.fail
			}
			ret, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "DefineSystem", tt.in)
			if got := statusOf(t, err); got != tt.wantCode {
				t.Fatalf("status %v (%v), want %v", got, err, tt.wantCode)
			}
			if err != nil {
				if tt.wantDesc != "" && err.(*cim.Error).Description != tt.wantDesc {
					t.Errorf("description %q, want %q", err.(*cim.Error).Description, tt.wantDesc)
				}
				return
			}
			if ret != uint32(0) || len(out) != 1 || out[0].Name != "ResultingSystem" {
				t.Fatalf("= %v, %+v", ret, out)
			}
			ref := out[0].Value.(*cim.ObjectPath)
			uuid, _ := ref.Key("Name")
			if !ref.Equal(ComputerSystemPath(uuid.(string))) {
				t.Errorf("ResultingSystem %s", ref)
			}
			if _, err := p.GetInstance(ctx, Namespace, ref); err != nil {
				t.Errorf("GetInstance(ResultingSystem): %v", err)
			}
			tt.check(t, f, uuid.(string))
		})
	}
}

func TestDestroySystem(t *testing.T) {
	tests := []struct {
		name     string
		ref      any
		fail     error
		wantCode cim.Status
	}{
		{name: "halted", ref: ComputerSystemPath(uuidDB)},
		{name: "not halted", ref: ComputerSystemPath(uuidWeb),
			fail: fmt.Errorf("toolstack: %w", hypervisor.ErrBadState), wantCode: cim.StatusFailed},
		{name: "unknown", ref: ComputerSystemPath("nope"), wantCode: cim.StatusNotFound},
		{name: "missing", ref: nil, wantCode: cim.StatusInvalidParameter},
		{name: "wrong class", ref: SettingsPath(uuidDB), wantCode: cim.StatusInvalidParameter},
		{name: "text path", ref: `root/cimv2:Xen_ComputerSystem.CreationClassName="Xen_ComputerSystem",Name="` + uuidDB + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			if tt.fail != nil {
				f.fail["Delete"] = tt.fail
			}
			var in []cim.ParamValue
			if tt.ref != nil {
				in = []cim.ParamValue{pv("AffectedSystem", tt.ref)}
			}
			ret, _, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "DestroySystem", in)
			if got := statusOf(t, err); got != tt.wantCode {
				t.Fatalf("status %v (%v), want %v", got, err, tt.wantCode)
			}
			if err == nil {
				if ret != uint32(0) || !slices.Equal(f.log, []string{"Delete " + uuidDB}) {
					t.Errorf("= %v; calls %q", ret, f.log)
				}
				if _, err := p.GetInstance(ctx, Namespace, ComputerSystemPath(uuidDB)); statusOf(t, err) != cim.StatusNotFound {
					t.Errorf("the destroyed domain is still there: %v", err)
				}
			}
		})
	}
}

func TestAddResourceSettings(t *testing.T) {
	disk := embedded("Xen_DiskSettingData", sp("Address", "phy:sdc1"), sp("VirtualDevice", "xvdb"), sp("Mode", "w"))
	vif := embedded("Xen_NetworkPortSettingData", sp("Bridge", "xenbr0"))
	t.Run("disk and vif", func(t *testing.T) {
		p, f := newTestProvider(t)
		ret, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "AddResourceSettings", []cim.ParamValue{
			pv("AffectedConfiguration", SettingsPath(uuidWeb)), pv("ResourceSettings", []any{disk, vif})})
		if err != nil || ret != uint32(0) {
			t.Fatalf("= %v, %v", ret, err)
		}
		want := []*cim.ObjectPath{DiskPath(uuidWeb, "xvdb"), NetworkPortPath(uuidWeb, 2)}
		got := out[0].Value.([]any)
		if out[0].Name != "ResultingResourceSettings" || len(got) != 2 || !got[0].(*cim.ObjectPath).Equal(want[0]) || !got[1].(*cim.ObjectPath).Equal(want[1]) {
			t.Fatalf("OUT %+v, want %v", out, want)
		}
		for _, w := range want {
			if _, err := p.GetInstance(ctx, Namespace, w); err != nil {
				t.Errorf("GetInstance(%s): %v", w, err)
			}
		}
		wantLog := []string{"AttachDisk " + uuidWeb + " phy:sdc1,xvdb,w", "AttachVIF " + uuidWeb + " -1,,xenbr0,"}
		if !slices.Equal(f.log, wantLog) {
			t.Errorf("calls %q, want %q", f.log, wantLog)
		}
	})
	t.Run("denied attach is undone", func(t *testing.T) {
		p, f := newTestProvider(t)
		f.fail["AttachVIF"] = &acm.Error{Code: acm.XSErrVMNotAuthorized, Msg: "VM's access to network 'xenbr0' denied"}
		_, _, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "AddResourceSettings", []cim.ParamValue{
			pv("AffectedConfiguration", SettingsPath(uuidWeb)), pv("ResourceSettings", []any{disk, vif})})
		if statusOf(t, err) != cim.StatusFailed || err.(*cim.Error).Description != "VM's access to network 'xenbr0' denied" {
			t.Fatalf("err %v", err)
		}
		if last := f.log[len(f.log)-1]; last != "DetachDisk "+uuidWeb+" xvdb" {
			t.Errorf("calls %q: the disk attached first is not detached again", f.log)
		}
	})
	for _, tt := range []struct {
		name string
		in   []cim.ParamValue
		want cim.Status
	}{
		{"no configuration", []cim.ParamValue{pv("ResourceSettings", []any{disk})}, cim.StatusInvalidParameter},
		{"system instead of settings", []cim.ParamValue{pv("AffectedConfiguration", ComputerSystemPath(uuidWeb)), pv("ResourceSettings", []any{disk})}, cim.StatusInvalidParameter},
		{"unknown domain", []cim.ParamValue{pv("AffectedConfiguration", SettingsPath("nope")), pv("ResourceSettings", []any{disk})}, cim.StatusNotFound},
		{"plain string", []cim.ParamValue{pv("AffectedConfiguration", SettingsPath(uuidWeb)), pv("ResourceSettings", []any{"x"})}, cim.StatusInvalidParameter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			_, _, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "AddResourceSettings", tt.in)
			if got := statusOf(t, err); got != tt.want {
				t.Errorf("status %v (%v), want %v", got, err, tt.want)
			}
			if len(f.log) != 0 {
				t.Errorf("calls %q, want none", f.log)
			}
		})
	}
}

func TestRemoveResourceSettings(t *testing.T) {
	for _, tt := range []struct {
		name    string
		refs    any
		fail    error
		want    cim.Status
		wantLog []string
	}{
		{name: "disk and vif", refs: []any{DiskPath(uuidWeb, "xvda1"), NetworkPortPath(uuidWeb, 1)},
			wantLog: []string{"DetachDisk " + uuidWeb + " xvda1", "DetachVIF " + uuidWeb + " 1"}},
		{name: "unknown disk", refs: []any{DiskPath(uuidWeb, "xvdq")}, want: cim.StatusNotFound,
			wantLog: []string{"DetachDisk " + uuidWeb + " xvdq"}},
		{name: "settings are no device", refs: []any{instanceIDPath(ClassDisk, "Xen:"+uuidWeb)}, want: cim.StatusInvalidParameter},
		{name: "bad vif name", refs: []any{instanceIDPath(ClassNetworkPort, "Xen:"+uuidWeb+"/eth0")}, want: cim.StatusInvalidParameter},
		{name: "other class", refs: []any{SettingsPath(uuidWeb)}, want: cim.StatusInvalidParameter},
		{name: "in use", refs: []any{DiskPath(uuidWeb, "xvda1")}, fail: fmt.Errorf("x: %w", hypervisor.ErrBadState), want: cim.StatusFailed,
			wantLog: []string{"DetachDisk " + uuidWeb + " xvda1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			if tt.fail != nil {
				f.fail["DetachDisk"] = tt.fail
			}
			_, _, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "RemoveResourceSettings", []cim.ParamValue{pv("ResourceSettings", tt.refs)})
			if got := statusOf(t, err); got != tt.want {
				t.Errorf("status %v (%v), want %v", got, err, tt.want)
			}
			if !slices.Equal(f.log, tt.wantLog) {
				t.Errorf("calls %q, want %q", f.log, tt.wantLog)
			}
		})
	}
}

func TestModifySystemSettings(t *testing.T) {
	for _, tt := range []struct {
		name    string
		vssd    *cim.Instance
		fail    error
		want    cim.Status
		wantLog []string
	}{
		{name: "memory only", vssd: embedded(ClassVSSD, sp("InstanceID", "Xen:"+uuidDB), sp("Memory", uint64(1024))),
			wantLog: []string{"Modify " + uuidDB + " MemoryMiB=1024"}},
		{name: "nulls are left alone", vssd: embedded(ClassVSSD, sp("InstanceID", "Xen:"+uuidDB), sp("ElementName", "db2"),
			cim.Property{Name: "Kernel", Type: cim.TypeString}, sp("SecurityLabel", ""), sp("VCPUs", "4"), sp("VirtualSystemIdentifier", uuidDB)),
			wantLog: []string{"Modify " + uuidDB + " Label=,Name=db2,VCPUs=4"}},
		{name: "running", vssd: embedded(ClassVSSD, sp("InstanceID", "Xen:"+uuidWeb), sp("Memory", uint64(1))),
			fail: fmt.Errorf("x: %w", hypervisor.ErrBadState), want: cim.StatusFailed,
			wantLog: []string{"Modify " + uuidWeb + " MemoryMiB=1"}},
		{name: "no InstanceID", vssd: embedded(ClassVSSD, sp("Memory", uint64(1))), want: cim.StatusInvalidParameter},
		{name: "device InstanceID", vssd: embedded(ClassVSSD, sp("InstanceID", "Xen:"+uuidWeb+"/xvda1")), want: cim.StatusInvalidParameter},
		{name: "unknown", vssd: embedded(ClassVSSD, sp("InstanceID", "Xen:nope")), want: cim.StatusNotFound},
		{name: "UUID change", vssd: embedded(ClassVSSD, sp("InstanceID", "Xen:"+uuidDB), sp("VirtualSystemIdentifier", uuidWeb)), want: cim.StatusInvalidParameter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			if tt.fail != nil {
				f.fail["Modify"] = tt.fail
			}
			_, _, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "ModifySystemSettings", []cim.ParamValue{pv("SystemSettings", tt.vssd)})
			if got := statusOf(t, err); got != tt.want {
				t.Errorf("status %v (%v), want %v", got, err, tt.want)
			}
			if !slices.Equal(f.log, tt.wantLog) {
				t.Errorf("calls %q, want %q", f.log, tt.wantLog)
			}
		})
	}
}

func TestModifyResourceSettings(t *testing.T) {
	vifID0 := "Xen:" + uuidWeb + "/vif0"
	for _, tt := range []struct {
		name    string
		rasds   []any
		want    cim.Status
		wantOut []*cim.ObjectPath
		wantLog []string
	}{
		{name: "disk mode", rasds: []any{embedded(ClassDisk, sp("InstanceID", "Xen:"+uuidDB+"/xvda"), sp("Mode", "w"))},
			wantOut: []*cim.ObjectPath{DiskPath(uuidDB, "xvda")},
			wantLog: []string{"ModifyDisk " + uuidDB + " file:/srv/db.img,xvda,w"}},
		{name: "vif label, full instance", rasds: []any{embedded(ClassNetworkPort, sp("InstanceID", vifID0),
			sp("Address", "00:16:3e:00:00:01"), sp("Bridge", "xenbr0"), sp("SecurityLabel", "ACM:acme:dmz"))},
			wantOut: []*cim.ObjectPath{NetworkPortPath(uuidWeb, 0)},
			wantLog: []string{"SetVIFLabel " + uuidWeb + " 0,ACM:acme:dmz,ACM:acme:net"}},
		{name: "vif label unchanged", rasds: []any{embedded(ClassNetworkPort, sp("InstanceID", vifID0), sp("SecurityLabel", "ACM:acme:net"))},
			wantOut: []*cim.ObjectPath{NetworkPortPath(uuidWeb, 0)}},
		{name: "vif MAC", rasds: []any{embedded(ClassNetworkPort, sp("InstanceID", vifID0), sp("Address", "00:16:3e:00:00:09"))},
			want: cim.StatusNotSupported},
		{name: "disk vdev change", rasds: []any{embedded(ClassDisk, sp("InstanceID", "Xen:"+uuidDB+"/xvda"), sp("VirtualDevice", "xvdb"))},
			want: cim.StatusInvalidParameter},
		{name: "unknown disk", rasds: []any{embedded(ClassDisk, sp("InstanceID", "Xen:"+uuidDB+"/xvdz"))}, want: cim.StatusNotFound},
		{name: "unknown vif", rasds: []any{embedded(ClassNetworkPort, sp("InstanceID", "Xen:"+uuidDB+"/vif0"))}, want: cim.StatusNotFound},
		{name: "no InstanceID", rasds: []any{embedded(ClassDisk, sp("Mode", "w"))}, want: cim.StatusInvalidParameter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			ret, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "ModifyResourceSettings", []cim.ParamValue{pv("ResourceSettings", tt.rasds)})
			if got := statusOf(t, err); got != tt.want {
				t.Fatalf("status %v (%v), want %v", got, err, tt.want)
			}
			if !slices.Equal(f.log, tt.wantLog) {
				t.Errorf("calls %q, want %q", f.log, tt.wantLog)
			}
			if err != nil {
				return
			}
			got := out[0].Value.([]any)
			if ret != uint32(0) || len(got) != len(tt.wantOut) {
				t.Fatalf("= %v, %v", ret, out)
			}
			for i, w := range tt.wantOut {
				if !got[i].(*cim.ObjectPath).Equal(w) {
					t.Errorf("ResultingResourceSettings[%d] = %s, want %s", i, got[i], w)
				}
			}
		})
	}
}

func TestModifyInstance(t *testing.T) {
	path := NetworkPortPath(uuidWeb, 0)
	for _, tt := range []struct {
		name    string
		path    *cim.ObjectPath
		props   []cim.Property
		fail    error
		want    cim.Status
		wantLog []string
	}{
		{name: "label", path: path, props: []cim.Property{sp("SecurityLabel", "ACM:acme:dmz")},
			wantLog: []string{"SetVIFLabel " + uuidWeb + " 0,ACM:acme:dmz,ACM:acme:net"}},
		{name: "null removes", path: path, props: []cim.Property{{Name: "SecurityLabel", Type: cim.TypeString}},
			wantLog: []string{"SetVIFLabel " + uuidWeb + " 0,,ACM:acme:net"}},
		{name: "whole instance, as wbemcli mi sends it", path: path, props: []cim.Property{sp("InstanceID", "Xen:"+uuidWeb+"/vif0"),
			sp("Address", "00:16:3e:00:00:01"), sp("Bridge", "xenbr0"), sp("SecurityLabel", "ACM:acme:dmz"), sp("ResourceType", uint16(10)),
			{Name: "PoolID", Type: cim.TypeString}},
			wantLog: []string{"SetVIFLabel " + uuidWeb + " 0,ACM:acme:dmz,ACM:acme:net"}},
		{name: "running domain", path: path, props: []cim.Property{sp("SecurityLabel", "ACM:acme:dmz")},
			fail: &acm.Error{Code: acm.XSErrResourceInUse, Msg: "Resource in use."}, want: cim.StatusFailed,
			wantLog: []string{"SetVIFLabel " + uuidWeb + " 0,ACM:acme:dmz,ACM:acme:net"}},
		{name: "bridge", path: path, props: []cim.Property{sp("Bridge", "xenbr9")}, want: cim.StatusNotSupported},
		{name: "weight", path: path, props: []cim.Property{sp("Weight", uint32(3))}, want: cim.StatusNotSupported},
		{name: "disk", path: DiskPath(uuidWeb, "xvda1"), props: []cim.Property{sp("Mode", "r")}, want: cim.StatusNotSupported},
		{name: "unknown", path: NetworkPortPath(uuidWeb, 7), props: []cim.Property{sp("SecurityLabel", "")}, want: cim.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newTestProvider(t)
			if tt.fail != nil {
				f.mu.Lock()
				f.fail["SetVIFLabel"] = tt.fail
				f.mu.Unlock()
			}
			var names []string
			for _, pr := range tt.props {
				names = append(names, pr.Name)
			}
			err := p.ModifyInstance(ctx, Namespace, tt.path, &cim.Instance{ClassName: tt.path.ClassName, Properties: tt.props}, names)
			if got := statusOf(t, err); got != tt.want {
				t.Errorf("status %v (%v), want %v", got, err, tt.want)
			}
			if !slices.Equal(f.log, tt.wantLog) {
				t.Errorf("calls %q, want %q", f.log, tt.wantLog)
			}
		})
	}
	p, _ := newTestProvider(t)
	if _, err := p.CreateInstance(ctx, Namespace, &cim.Instance{ClassName: ClassVSSD}); statusOf(t, err) != cim.StatusNotSupported {
		t.Errorf("CreateInstance: %v", err)
	}
	if err := p.DeleteInstance(ctx, Namespace, SettingsPath(uuidDB)); statusOf(t, err) != cim.StatusNotSupported {
		t.Errorf("DeleteInstance: %v", err)
	}
}

func TestInvokeUnknown(t *testing.T) {
	p, _ := newTestProvider(t)
	for _, tt := range []struct {
		target *cim.ObjectPath
		method string
		want   cim.Status
	}{
		{p.HostPath(), "RequestStateChange", cim.StatusMethodNotAvailable},
		{p.ServicePath(), "StartService", cim.StatusMethodNotAvailable},
		{ComputerSystemPath(uuidWeb), "SetPowerState", cim.StatusMethodNotAvailable},
		{&cim.ObjectPath{Namespace: Namespace, ClassName: ClassVSMS, Keys: []cim.KeyBinding{{Name: "Name", Value: "other"}}}, "DefineSystem", cim.StatusNotFound},
	} {
		_, _, err := p.InvokeMethod(ctx, Namespace, tt.target, tt.method, nil)
		if got := statusOf(t, err); got != tt.want {
			t.Errorf("%s.%s: %v, want %v", tt.target.ClassName, tt.method, err, tt.want)
		}
	}
	// A static call on the class is accepted too.
	_, _, err := p.InvokeMethod(ctx, Namespace, &cim.ObjectPath{ClassName: ClassVSMS}, "DestroySystem",
		[]cim.ParamValue{pv("AffectedSystem", ComputerSystemPath(uuidDB))})
	if err != nil {
		t.Errorf("static DestroySystem: %v", err)
	}
}

func TestToCIMError(t *testing.T) {
	for _, tt := range []struct {
		err      error
		want     cim.Status
		wantDesc string
	}{
		{denied, cim.StatusFailed, "VM is not authorized to run."},
		{fmt.Errorf("x: %w", hypervisor.ErrNoDomain), cim.StatusNotFound, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrNoDevice), cim.StatusNotFound, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrBadState), cim.StatusFailed, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrExists), cim.StatusFailed, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrDenied), cim.StatusFailed, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrDomain0), cim.StatusFailed, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrInvalid), cim.StatusInvalidParameter, ""},
		{fmt.Errorf("x: %w", hypervisor.ErrNotSupported), cim.StatusNotSupported, ""},
		// A refusal that also wraps a sentinel is still the ACM's message.
		{fmt.Errorf("%w: %w", hypervisor.ErrInvalid, &acm.Error{Code: acm.XSErrBadLabel, Msg: "Bad label."}), cim.StatusFailed, "Bad label."},
		{cim.Errorf(cim.StatusAccessDenied, "no"), cim.StatusAccessDenied, "no"},
		{errors.New("disk full"), cim.StatusFailed, "disk full"},
	} {
		got := toCIMError(tt.err)
		ce, ok := got.(*cim.Error)
		if !ok || ce.Code != tt.want || (tt.wantDesc != "" && ce.Description != tt.wantDesc) {
			t.Errorf("toCIMError(%v) = %v, want %v %q", tt.err, got, tt.want, tt.wantDesc)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("toCIMError(%v) does not wrap its cause", tt.err)
		}
		if strings.HasPrefix(ce.Description, "hypervisor:") {
			t.Errorf("description %q carries a package prefix", ce.Description)
		}
	}
	if toCIMError(nil) != nil {
		t.Error("toCIMError(nil) != nil")
	}
}
