package system

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// newRealToolstack builds the toolstack as cmd/shyped does, over the DEFAULT
// policy and the simulated hypervisor, all in a temporary folder.
func newRealToolstack(t testing.TB) *toolstack.Toolstack {
	t.Helper()
	dir := t.TempDir()
	dflt, err := acm.Compile(acm.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	engine := acm.NewEngine(dflt)
	hooks := acm.NewHooks(engine)
	var hv *hvsim.HV
	admin, err := acm.OpenAdmin(filepath.Join(dir, "acm"), acm.AdminOptions{
		Engine: engine,
		ChangePolicy: func(next *acm.Compiled, plan *acm.UpdatePlan) error {
			return toolstack.ChangePolicyHook(hv, hooks)(next, plan)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	pol := engine.Policy()
	dom0, _ := pol.VMSSIDRef(pol.Policy().Bootstrap)
	if hv, err = hvsim.Open(hvsim.Config{Dir: filepath.Join(dir, "hv"), ACM: hooks, Dom0SSIDRef: dom0}); err != nil {
		t.Fatal(err)
	}
	store, err := acm.OpenResourceStore(filepath.Join(dir, "acm"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := toolstack.New(toolstack.Options{HV: hv, Admin: admin, Hooks: hooks, Resources: store, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Domains(ctx); err != nil && strings.Contains(err.Error(), "not implemented") {
		t.Skipf("the toolstack is still a stub: %v", err)
	}
	return ts
}

// TestRealToolstack runs a domain's life through the provider over the real
// toolstack: define, start, look at it, a refused destroy, stop, destroy, and a
// definition the access control refuses.
func TestRealToolstack(t *testing.T) {
	ts := newRealToolstack(t)
	p := New(Options{Toolstack: ts, HostName: "host1", Lookup: lookup(t)})
	get := func(path *cim.ObjectPath) *cim.Instance {
		t.Helper()
		inst, err := p.GetInstance(ctx, Namespace, path)
		if err != nil {
			t.Fatalf("GetInstance(%s): %v", path, err)
		}
		return inst
	}

	systems := collect(t, p.EnumerateInstances(ctx, Namespace, ClassComputerSystem))
	if len(systems) != 1 || value(t, systems[0], "ElementName") != "Domain-0" ||
		value(t, systems[0], "DomainID") != uint32(0) || value(t, systems[0], "EnabledState") != uint16(2) ||
		value(t, systems[0], "SecurityLabel") != "ACM:DEFAULT:SystemManagement" {
		t.Fatalf("a fresh host has %v, want Domain-0 running, labeled SystemManagement", systems)
	}

	_, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "DefineSystem", []cim.ParamValue{
		pv("SystemSettings", embedded(ClassVSSD, sp("ElementName", "guest"), sp("Kernel", "/boot/vmlinuz"),
			sp("Memory", "128"), sp("VCPUs", uint32(1)))),
		pv("ResourceSettings", []any{
			embedded(ClassDisk, sp("Address", "file:guest.img"), sp("VirtualDevice", "xvda"), sp("Mode", "w")),
			embedded(ClassNetworkPort, sp("Bridge", "xenbr0")),
		}),
	})
	if err != nil {
		t.Fatalf("DefineSystem: %v", err)
	}
	guest := out[0].Value.(*cim.ObjectPath)
	uuid, _ := guest.Key("Name")
	cs := get(guest)
	if value(t, cs, "EnabledState") != uint16(3) || value(t, cs, "DomainID") != nil {
		t.Errorf("defined guest: EnabledState %v DomainID %v, want 3 and NULL", value(t, cs, "EnabledState"), value(t, cs, "DomainID"))
	}
	vssd := get(SettingsPath(uuid.(string)))
	if value(t, vssd, "Memory") != uint64(128) || value(t, vssd, "ElementName") != "guest" || value(t, vssd, "SecurityLabel") != "" {
		t.Errorf("settings: %v", vssd.Properties)
	}
	disk := get(DiskPath(uuid.(string), "xvda"))
	if value(t, disk, "Address") != "file:guest.img" {
		t.Errorf("disk Address %v, want the uname as written", value(t, disk, "Address"))
	}
	if parts := collect(t, p.ReferencesTo(ctx, Namespace, ClassSettingComponent, SettingsPath(uuid.(string)), "GroupComponent")); len(parts) != 2 {
		t.Errorf("%d device settings, want 2", len(parts))
	}

	if _, _, err := p.InvokeMethod(ctx, Namespace, guest, "RequestStateChange", []cim.ParamValue{pv("RequestedState", uint16(2))}); err != nil {
		t.Fatalf("start: %v", err)
	}
	cs = get(guest)
	// Under DEFAULT an unlabeled domain runs as __UNLABELED__, ssidref 0.
	if value(t, cs, "EnabledState") != uint16(2) || value(t, cs, "DomainID") == nil ||
		value(t, cs, "SecurityLabel") != "ACM:DEFAULT:__UNLABELED__" {
		t.Errorf("started guest: EnabledState %v DomainID %v SecurityLabel %v",
			value(t, cs, "EnabledState"), value(t, cs, "DomainID"), value(t, cs, "SecurityLabel"))
	}

	_, _, err = p.InvokeMethod(ctx, Namespace, p.ServicePath(), "DestroySystem", []cim.ParamValue{pv("AffectedSystem", guest)})
	if statusOf(t, err) != cim.StatusFailed || err.(*cim.Error).Description != "Domain 'guest' is not halted." {
		t.Errorf("DestroySystem of a running domain: %v, want CIM_ERR_FAILED \"Domain 'guest' is not halted.\"", err)
	}

	if _, _, err := p.InvokeMethod(ctx, Namespace, guest, "RequestStateChange", []cim.ParamValue{pv("RequestedState", uint16(3))}); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if _, _, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "DestroySystem", []cim.ParamValue{pv("AffectedSystem", guest)}); err != nil {
		t.Fatalf("DestroySystem: %v", err)
	}
	if _, err := p.GetInstance(ctx, Namespace, guest); statusOf(t, err) != cim.StatusNotFound {
		t.Errorf("GetInstance of the destroyed guest: %v, want CIM_ERR_NOT_FOUND", err)
	}

	_, _, err = p.InvokeMethod(ctx, Namespace, p.ServicePath(), "DefineSystem", []cim.ParamValue{
		pv("SystemSettings", embedded(ClassVSSD, sp("ElementName", "web"), sp("SecurityLabel", "ACM:acme:web")))})
	want := "Security policy (acme) incompatible with enforced policy (DEFAULT)."
	if statusOf(t, err) != cim.StatusFailed || err.(*cim.Error).Description != want {
		t.Errorf("DefineSystem under another policy: %v, want CIM_ERR_FAILED %q", err, want)
	}
}
