package tpm

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/vtpm"
)

// remoteCall is one InvokeMethod the fake destination received.
type remoteCall struct {
	target *cim.ObjectPath
	method string
	in     []cim.ParamValue
}

// fakeRemote is a destination server: it knows some domains, serves the two
// services, answers each method as the test scripts it, and records the calls.
type fakeRemote struct {
	mu      sync.Mutex
	domains map[string]bool
	codes   map[string]uint32 // return code by method; 0 when absent
	errs    map[string]error  // CIM error by operation ("GetInstance", a method)
	calls   []remoteCall
	ops     []string
	closed  bool
}

func newRemote() *fakeRemote {
	return &fakeRemote{domains: map[string]bool{}, codes: map[string]uint32{}, errs: map[string]error{}}
}

func (r *fakeRemote) GetInstance(ctx context.Context, path *cim.ObjectPath) (*cim.Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "GetInstance")
	if err := r.errs["GetInstance"]; err != nil {
		return nil, err
	}
	name, _ := path.Key("Name")
	if s, _ := name.(string); !r.domains[s] || path.ClassName != ClassComputerSys {
		return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	return &cim.Instance{ClassName: ClassComputerSys}, nil
}

func (r *fakeRemote) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "EnumerateInstanceNames "+class)
	if err := r.errs["EnumerateInstanceNames"]; err != nil {
		return nil, err
	}
	return []*cim.ObjectPath{{ClassName: class, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: class}, {Name: "Name", Value: "svc"},
		{Name: "SystemCreationClassName", Value: ClassHostSystem}, {Name: "SystemName", Value: "dest"},
	}}}, nil
}

func (r *fakeRemote) InvokeMethod(ctx context.Context, target *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, method)
	r.calls = append(r.calls, remoteCall{target, method, in})
	if err := r.errs[method]; err != nil {
		return nil, nil, err
	}
	code := r.codes[method]
	out := []cim.ParamValue{{Name: "Message", Type: cim.TypeString, Value: ""}}
	if code != 0 {
		out[0].Value = "refused by " + method
		return code, out, nil
	}
	switch method {
	case "DefineSystem":
		vssd := providers.Param(in, "SystemSettings").Value.(*cim.Instance)
		uuid := vssd.Property("VirtualSystemIdentifier").Value.(string)
		r.domains[uuid] = true
		out = append(out, cim.ParamValue{Name: "ResultingSystem", Type: cim.TypeReference, Value: ComputerSystemPath(uuid)})
	case "PrepareIncomingVTPM":
		out = append(out,
			cim.ParamValue{Name: "MigrationID", Type: cim.TypeString, Value: b64("mid")},
			cim.ParamValue{Name: "DestinationKey", Type: cim.TypeString, Value: b64("dkey")})
	case "ImportVTPM":
		out = append(out, cim.ParamValue{Name: "VTPM", Type: cim.TypeReference, Value: VTPMPath(haltedUUID, 1)})
	}
	return uint32(0), out, nil
}

func (r *fakeRemote) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

func (r *fakeRemote) opLog() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.ops, ",")
}

// migrationProvider returns a provider whose Dial reaches remote, recording the
// URL and credentials it was given.
func migrationProvider(t *testing.T, remote *fakeRemote, dialErr error) (*Provider, *fakeManager, *string) {
	t.Helper()
	m := newManager()
	var dialed string
	p := New(Options{Manager: m, Toolstack: newTS(), HostName: testHost,
		Dial: func(url, user, password string) (Remote, error) {
			dialed = url + " " + user + " " + password
			if dialErr != nil {
				return nil, dialErr
			}
			return remote, nil
		}})
	return p, m, &dialed
}

func migrateParams(domain string, n int) []cim.ParamValue {
	return []cim.ParamValue{vtpmRef(domain, n), stringParam("Destination", destURL), stringParam("UserName", "root"), stringParam("Password", "secret")}
}

// TestMigrateVTPM runs the whole sequence against a fake destination: define the
// domain there when missing, prepare, export, import, commit; and abort on every
// failure after the export.
func TestMigrateVTPM(t *testing.T) {
	const (
		export = "Export(" + vtpm1 + ", mid, dkey)"
		commit = "Commit(" + vtpm1 + ", mid, " + destURL + ")"
		abort  = "Abort(" + vtpm1 + ", mid)"
	)
	tests := []struct {
		name       string
		domain     string // the domain whose vTPM moves
		n          int
		onDest     bool // the domain is defined on the destination already
		codes      map[string]uint32
		remoteErrs map[string]error
		mgrErrs    map[string]error
		want       uint32
		wantMsg    string
		wantOps    string // the destination's operations
		wantCalls  []string
	}{
		{name: "defines the domain first", domain: haltedUUID, n: 1,
			wantOps:   "GetInstance,EnumerateInstanceNames Xen_VirtualSystemManagementService,DefineSystem,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM,ImportVTPM",
			wantCalls: []string{export, commit}},
		{name: "domain already there", domain: haltedUUID, n: 1, onDest: true,
			wantOps:   "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM,ImportVTPM",
			wantCalls: []string{export, commit}},
		{name: "suspended domain", domain: suspUUID, n: 3, onDest: true,
			wantOps:   "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM,ImportVTPM",
			wantCalls: []string{"Export(" + vtpm3 + ", mid, dkey)", "Commit(" + vtpm3 + ", mid, " + destURL + ")"}},
		{name: "running domain", domain: runUUID, n: 2, want: codeInvalidState, wantMsg: "halted or suspended"},
		{name: "tombstone", domain: goneUUID, n: 4, want: codeInvalidState, wantMsg: "migrated away"},
		{name: "define refused", domain: haltedUUID, n: 1,
			remoteErrs: map[string]error{"DefineSystem": cim.Errorf(cim.StatusFailed, "VM is not authorized to run.")},
			want:       codeFailed, wantMsg: "DefineSystem: VM is not authorized to run.",
			wantOps: "GetInstance,EnumerateInstanceNames Xen_VirtualSystemManagementService,DefineSystem"},
		{name: "define returns a code", domain: haltedUUID, n: 1, codes: map[string]uint32{"DefineSystem": 4096},
			want: codeFailed, wantMsg: "DefineSystem returned 4096",
			wantOps: "GetInstance,EnumerateInstanceNames Xen_VirtualSystemManagementService,DefineSystem"},
		{name: "lookup fails", domain: haltedUUID, n: 1, remoteErrs: map[string]error{"GetInstance": cim.Errorf(cim.StatusAccessDenied, "who are you")},
			want: codeFailed, wantMsg: "who are you", wantOps: "GetInstance"},
		{name: "prepare refused with a code", domain: haltedUUID, n: 1, onDest: true, codes: map[string]uint32{"PrepareIncomingVTPM": codeDomainHasVTPM},
			want: codeDomainHasVTPM, wantMsg: "refused by PrepareIncomingVTPM",
			wantOps: "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM"},
		{name: "export fails: no abort", domain: haltedUUID, n: 1, onDest: true, mgrErrs: map[string]error{"Export": vtpm.ErrBadState},
			want: codeInvalidState, wantOps: "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM",
			wantCalls: []string{export}},
		{name: "import refused: abort", domain: haltedUUID, n: 1, onDest: true, codes: map[string]uint32{"ImportVTPM": codeInvalidParam},
			want: codeInvalidParam, wantMsg: "refused by ImportVTPM",
			wantOps:   "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM,ImportVTPM",
			wantCalls: []string{export, abort}},
		{name: "import CIM error: abort", domain: haltedUUID, n: 1, onDest: true, remoteErrs: map[string]error{"ImportVTPM": errors.New("connection reset")},
			want: codeFailed, wantMsg: "connection reset",
			wantOps:   "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM,ImportVTPM",
			wantCalls: []string{export, abort}},
		// Once the destination imported, the source is never unlocked again.
		{name: "commit fails: no abort", domain: haltedUUID, n: 1, onDest: true, mgrErrs: map[string]error{"Commit": vtpm.ErrMigrationID},
			want:      codeInvalidParam,
			wantOps:   "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM,ImportVTPM",
			wantCalls: []string{export, commit}},
		{name: "abort fails too", domain: haltedUUID, n: 1, onDest: true, codes: map[string]uint32{"ImportVTPM": codeFailed},
			mgrErrs: map[string]error{"Abort": errors.New("stuck")}, want: codeFailed, wantMsg: "aborting the export failed: stuck",
			wantOps:   "GetInstance,EnumerateInstanceNames Xen_VTPMManagementService,PrepareIncomingVTPM,ImportVTPM",
			wantCalls: []string{export, abort}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remote := newRemote()
			if tt.onDest {
				remote.domains[tt.domain] = true
			}
			maps.Copy(remote.codes, tt.codes)
			maps.Copy(remote.errs, tt.remoteErrs)
			p, m, dialed := migrationProvider(t, remote, nil)
			maps.Copy(m.errs, tt.mgrErrs)
			code, out, msg := invoke(t, p, "MigrateVTPM", migrateParams(tt.domain, tt.n)...)
			if code != tt.want || (code == codeOK) != (msg == "") || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("code %d %q, want %d %q", code, msg, tt.want, tt.wantMsg)
			}
			if len(out) != 1 {
				t.Errorf("OUT parameters %v, want only Message", out)
			}
			if got := remote.opLog(); got != tt.wantOps {
				t.Errorf("destination operations\n %s\nwant\n %s", got, tt.wantOps)
			}
			if got := m.callLog(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("manager calls %q, want %q", got, tt.wantCalls)
			}
			if tt.wantOps != "" {
				if *dialed != destURL+" root secret" {
					t.Errorf("dialed %q", *dialed)
				}
				if !remote.closed {
					t.Error("the destination's client was not closed")
				}
			}
		})
	}
}

// TestMigrateDefineSettings checks what DefineSystem carries to the destination:
// the domain's UUID, name and settings, and its disks and VIFs as RASDs.
func TestMigrateDefineSettings(t *testing.T) {
	remote := newRemote()
	p, _, _ := migrationProvider(t, remote, nil)
	if code, _, msg := invoke(t, p, "MigrateVTPM", migrateParams(haltedUUID, 1)...); code != codeOK {
		t.Fatalf("MigrateVTPM: %d %s", code, msg)
	}
	define := remote.calls[0]
	if define.method != "DefineSystem" || define.target.ClassName != classVSMS || define.target.Namespace != Namespace {
		t.Fatalf("first call %s on %v", define.method, define.target)
	}
	vssd := providers.Param(define.in, "SystemSettings").Value.(*cim.Instance)
	want := map[string]any{
		"VirtualSystemIdentifier": haltedUUID, "ElementName": "web1", "Kernel": "/boot/vmlinuz", "Ramdisk": "/boot/initrd",
		"Memory": uint64(256), "VCPUs": uint32(2), "SecurityLabel": "ACM:shop:web",
	}
	for name, w := range want {
		if got := propValue(vssd, name); got != w {
			t.Errorf("VSSD %s = %#v, want %#v", name, got, w)
		}
	}
	rasds := providers.Param(define.in, "ResourceSettings").Value.([]any)
	if len(rasds) != 2 {
		t.Fatalf("%d RASDs, want 2", len(rasds))
	}
	disk, vif := rasds[0].(*cim.Instance), rasds[1].(*cim.Instance)
	if disk.ClassName != classDisk || propValue(disk, "Address") != "phy:sdb1" || propValue(disk, "VirtualDevice") != "xvda1" || propValue(disk, "Mode") != "w" {
		t.Errorf("disk RASD %+v", disk)
	}
	if vif.ClassName != classNetworkPort || propValue(vif, "Address") != "00:16:3e:00:00:01" || propValue(vif, "Bridge") != "xenbr0" || propValue(vif, "SecurityLabel") != "ACM:shop:net" {
		t.Errorf("VIF RASD %+v", vif)
	}
	// Prepare and import name the same domain, with the id the destination gave.
	for _, c := range remote.calls[1:] {
		sys := providers.Param(c.in, "System").Value.(*cim.ObjectPath)
		if !sys.Equal(ComputerSystemPath(haltedUUID)) {
			t.Errorf("%s System = %v", c.method, sys)
		}
	}
	imp := remote.calls[2]
	if providers.Param(imp.in, "MigrationID").Value != b64("mid") || providers.Param(imp.in, "Blob").Value != b64("sealed blob") {
		t.Errorf("ImportVTPM params %+v", imp.in)
	}
}

// TestMigrateParams covers MigrateVTPM's own refusals before any remote call.
func TestMigrateParams(t *testing.T) {
	tests := []struct {
		name    string
		in      []cim.ParamValue
		dial    bool
		dialErr error
		want    uint32
		wantMsg string
	}{
		{"no destination", []cim.ParamValue{vtpmRef(haltedUUID, 1)}, true, nil, codeInvalidParam, "Destination is required"},
		{"not a URL", []cim.ParamValue{vtpmRef(haltedUUID, 1), stringParam("Destination", "dest:5988")}, true, nil, codeInvalidParam, "http or https URL"},
		{"no Dial", migrateParams(haltedUUID, 1), false, nil, codeNotSupported, "no Dial"},
		{"dial fails", migrateParams(haltedUUID, 1), true, errors.New("refused"), codeFailed, "connecting to " + destURL + ": refused"},
		{"unknown vTPM", migrateParams(bareUUID, 1), true, nil, codeNotFound, "no vTPM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remote := newRemote()
			p, m, _ := migrationProvider(t, remote, tt.dialErr)
			if !tt.dial {
				p.dial = nil
			}
			code, _, msg := invoke(t, p, "MigrateVTPM", tt.in...)
			if code != tt.want || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("code %d %q, want %d %q", code, msg, tt.want, tt.wantMsg)
			}
			if remote.opLog() != "" || len(m.callLog()) != 0 {
				t.Errorf("calls made: %s %v", remote.opLog(), m.callLog())
			}
		})
	}
}

// TestMigrateRemoteSchema checks that every method MigrateVTPM calls on the
// destination exists in the compiled schema with exactly the parameter names,
// types, array-ness and embedded-instance form the parameters have there.
func TestMigrateRemoteSchema(t *testing.T) {
	store := newStore(t)
	remote := newRemote()
	p, _, _ := migrationProvider(t, remote, nil)
	if code, _, msg := invoke(t, p, "MigrateVTPM", migrateParams(haltedUUID, 1)...); code != codeOK {
		t.Fatalf("MigrateVTPM: %d %s", code, msg)
	}
	if len(remote.calls) != 3 {
		t.Fatalf("%d remote calls, want DefineSystem, PrepareIncomingVTPM, ImportVTPM", len(remote.calls))
	}
	for _, c := range remote.calls {
		class := store.Class(Namespace, c.target.ClassName)
		if class == nil {
			t.Fatalf("no class %s", c.target.ClassName)
		}
		m := class.Method(c.method)
		if m == nil {
			t.Errorf("%s has no method %s", class.Name, c.method)
			continue
		}
		for _, pv := range c.in {
			decl := m.Parameter(pv.Name)
			if decl == nil {
				t.Errorf("%s.%s has no parameter %s", class.Name, m.Name, pv.Name)
				continue
			}
			if decl.Name != pv.Name {
				t.Errorf("%s.%s parameter spelled %s, declared %s", class.Name, m.Name, pv.Name, decl.Name)
			}
			if !decl.Qualifiers.IsTrue("In") && decl.Qualifiers.Has("In") {
				t.Errorf("%s.%s(%s) is not an IN parameter", class.Name, m.Name, pv.Name)
			}
			if decl.Type != pv.Type || decl.IsArray != pv.IsArray {
				t.Errorf("%s.%s(%s): sent %v array=%v, declared %v array=%v", class.Name, m.Name, pv.Name, pv.Type, pv.IsArray, decl.Type, decl.IsArray)
			}
			embedded := decl.Qualifiers.Has("EmbeddedInstance") || decl.Qualifiers.Has("EmbeddedObject")
			if embedded != (pv.EmbeddedObject != "") {
				t.Errorf("%s.%s(%s): embedded %q, declared embedded %v", class.Name, m.Name, pv.Name, pv.EmbeddedObject, embedded)
			}
			if decl.Type == cim.TypeReference {
				ref := pv.Value.(*cim.ObjectPath)
				if !isA(store, ref.ClassName, decl.ReferenceClass) {
					t.Errorf("%s.%s(%s) refers to %s, declared %s", class.Name, m.Name, pv.Name, ref.ClassName, decl.ReferenceClass)
				}
			}
			if err := cim.CheckValue(decl.Type, decl.IsArray, pv.Value); err != nil && pv.EmbeddedObject == "" {
				t.Errorf("%s.%s(%s) = %#v: %v", class.Name, m.Name, pv.Name, pv.Value, err)
			}
		}
		// Embedded instances carry only properties of their classes, typed as declared.
		for _, pv := range c.in {
			var insts []any
			switch v := pv.Value.(type) {
			case *cim.Instance:
				insts = []any{v}
			case []any:
				if pv.EmbeddedObject != "" {
					insts = v
				}
			}
			for _, x := range insts {
				inst := x.(*cim.Instance)
				ic := store.Class(Namespace, inst.ClassName)
				if ic == nil {
					t.Errorf("no class %s", inst.ClassName)
					continue
				}
				for _, pr := range inst.Properties {
					cp := ic.Property(pr.Name)
					if cp == nil || cp.Name != pr.Name {
						t.Errorf("%s has no property %s", inst.ClassName, pr.Name)
						continue
					}
					if cp.Type != pr.Type || cim.CheckValue(cp.Type, cp.IsArray, pr.Value) != nil {
						t.Errorf("%s.%s = %#v (%v), declared %v", inst.ClassName, pr.Name, pr.Value, pr.Type, cp.Type)
					}
				}
			}
		}
	}
}

// isA reports whether class is base or derives from it in store.
func isA(store interface {
	Class(ns, name string) *cim.Class
}, class, base string) bool {
	for c := store.Class(Namespace, class); c != nil; c = store.Class(Namespace, c.SuperClass) {
		if strings.EqualFold(c.Name, base) {
			return true
		}
		if c.SuperClass == "" {
			break
		}
	}
	return false
}
