package secpolicy

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// newRealToolstack builds the toolstack as cmd/shyped's openSecurity does: the
// policy store and the simulated hypervisor under dir, joined by the ACM's hooks.
func newRealToolstack(t *testing.T, dir string) *toolstack.Toolstack {
	t.Helper()
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
		t.Fatalf("OpenAdmin: %v", err)
	}
	pol := engine.Policy()
	dom0, _ := pol.VMSSIDRef(pol.Policy().Bootstrap)
	hv, err = hvsim.Open(hvsim.Config{Dir: filepath.Join(dir, "hv"), ACM: hooks, Dom0SSIDRef: dom0})
	if err != nil {
		t.Fatalf("hvsim.Open: %v", err)
	}
	res, err := acm.OpenResourceStore(filepath.Join(dir, "acm"))
	if err != nil {
		t.Fatalf("OpenResourceStore: %v", err)
	}
	ts, err := toolstack.New(toolstack.Options{HV: hv, Admin: admin, Hooks: hooks, Resources: res, WorkDir: dir})
	if err != nil {
		t.Fatalf("toolstack.New: %v", err)
	}
	return ts
}

func invoke(t *testing.T, p *Provider, method string, in ...cim.ParamValue) (uint32, []cim.ParamValue) {
	t.Helper()
	ret, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), method, in)
	if err != nil {
		if strings.Contains(err.Error(), "not implemented") {
			t.Skipf("the toolstack is still a stub (%v)", err)
		}
		t.Fatalf("%s: %v", method, err)
	}
	return ret.(uint32), out
}

func instanceIDs(t *testing.T, p *Provider, class string) []string {
	t.Helper()
	var ids []string
	for _, inst := range collect(t, p.EnumerateInstances(ctx, Namespace, class)) {
		v, _ := propString(inst, "InstanceID")
		ids = append(ids, v)
	}
	return ids
}

// TestRealToolstack runs the provider over the real toolstack, ACM and simulated
// hypervisor: a fresh host enforces DEFAULT; loading the shop policy changes the
// labels, conflict sets and the policy instance; a reset goes back to DEFAULT under
// the same reference.
func TestRealToolstack(t *testing.T) {
	dir := t.TempDir()
	ts := newRealToolstack(t, dir)
	p := New(Options{Toolstack: ts, HostName: testHost})

	if got, want := instanceIDs(t, p, ClassSecurityLabel), []string{
		"Xen:DEFAULT:VM:__UNLABELED__", "Xen:DEFAULT:VM:SystemManagement", "Xen:DEFAULT:RES:__UNLABELED__",
	}; !slices.Equal(got, want) {
		t.Errorf("DEFAULT labels %q, want %q", got, want)
	}
	ref := ts.Policy().Ref
	if ref == "" {
		t.Fatal("no policy reference")
	}

	xml, err := os.ReadFile("testdata/shop-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	code, out := invoke(t, p, "SetPolicy", pv("Policy", string(xml)), pv("Flags", uint32(acm.FlagBoot|acm.FlagLoad)), pv("Overwrite", true))
	if code != 0 {
		t.Fatalf("SetPolicy returned %d (%v)", code, providers.Param(out, "Message").Value)
	}
	if got := providers.Param(out, "PolicyRef"); got == nil || !got.Value.(*cim.ObjectPath).Equal(policyPath(ref)) {
		t.Errorf("PolicyRef %v, want %s", got, policyPath(ref))
	}

	if got, want := instanceIDs(t, p, ClassSecurityLabel), []string{
		"Xen:shop:VM:__UNLABELED__", "Xen:shop:VM:SystemManagement", "Xen:shop:VM:db", "Xen:shop:VM:web",
		"Xen:shop:RES:db-disk", "Xen:shop:RES:web-disk",
	}; !slices.Equal(got, want) {
		t.Errorf("shop labels %q, want %q", got, want)
	}
	if got, want := instanceIDs(t, p, ClassConflictSet), []string{"Xen:shop:CS:1", "Xen:shop:CS:2"}; !slices.Equal(got, want) {
		t.Errorf("conflict sets %q, want %q", got, want)
	}
	pol, err := p.GetInstance(ctx, Namespace, policyPath(ref))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(xml)
	for k, v := range map[string]any{
		"PolicyName": "shop", "Version": "1.2", "Flags": uint32(3), "BootstrapLabel": "SystemManagement",
		"Hash": hex.EncodeToString(sum[:]), "Repr": string(xml), "FromPolicyVersion": "1.1",
	} {
		if got := value(t, pol, k); got != v {
			t.Errorf("Xen_ACMPolicy.%s = %.60v, want %.60v", k, got, v)
		}
	}
	bin, err := base64.StdEncoding.DecodeString(value(t, pol, "Binary").(string))
	if err != nil || binaryHash(bin) != hex.EncodeToString(sum[:]) {
		t.Errorf("Binary does not carry the XML's hash: %v", err)
	}
	if m, _ := value(t, pol, "Map").(string); !strings.Contains(m, "POLICYREFERENCENAME    shop") {
		t.Errorf("Map is not shop's map file:\n%.200s", m)
	}

	// Domain-0 carries the bootstrap label.
	doms, err := ts.Domains(ctx)
	if err != nil || len(doms) == 0 {
		t.Fatalf("Domains: %v", err)
	}
	var labels []string
	for _, inst := range collect(t, p.ReferencesTo(ctx, Namespace, ClassElementSecurityLabel, computerSystemPath(doms[0].UUID), "")) {
		ref, _ := value(t, inst, "SecurityLevel").(*cim.ObjectPath)
		id, _ := keyString(ref, "InstanceID")
		labels = append(labels, id)
	}
	if !slices.Equal(labels, []string{"Xen:shop:VM:SystemManagement"}) {
		t.Errorf("Domain-0's labels %q", labels)
	}

	// A resource labelled through CreateInstance is associated with its label.
	path, err := p.CreateInstance(ctx, Namespace, &cim.Instance{ClassName: ClassLabeledResource, Properties: []cim.Property{
		str("ResourceName", "phy:sdb1"), str("SecurityLabel", "ACM:shop:web-disk"),
	}})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if name, _ := keyString(path, "ResourceName"); name != "phy:/dev/sdb1" {
		t.Errorf("created %s", path)
	}
	carriers := collect(t, p.ReferencesTo(ctx, Namespace, ClassElementSecurityLabel, labelPath("shop", kindRes, "web-disk"), "SecurityLevel"))
	if len(carriers) != 1 {
		t.Errorf("%d carriers of web-disk, want 1", len(carriers))
	}
	// A domain defined with a label is associated with it, both ways, and its
	// dry run reports.
	web, err := ts.Define(ctx, toolstack.Config{Name: "web1", Label: "ACM:shop:web", MemoryMiB: 64, VCPUs: 1,
		Disks: []toolstack.Disk{{Uname: "phy:sdb1", VirtualDevice: "xvda1", Mode: "w"}}})
	if err != nil {
		t.Fatalf("Define: %v", err)
	}
	carriers = collect(t, p.ReferencesTo(ctx, Namespace, ClassElementSecurityLabel, labelPath("shop", kindVM, "web"), ""))
	if len(carriers) != 1 || !value(t, carriers[0], "ManagedElement").(*cim.ObjectPath).Equal(computerSystemPath(web.UUID)) {
		t.Errorf("carriers of web: %v", carriers)
	}
	code, out = invoke(t, p, "DryRun", pv("System", computerSystemPath(web.UUID)))
	if report, _ := providers.Param(out, "Report").Value.(string); code != 0 || !strings.HasSuffix(report, "Dry Run: PASSED") {
		t.Errorf("DryRun(web1) = %d, %v", code, out)
	}
	code, out = invoke(t, p, "GetSecurityLabel", pv("Element", computerSystemPath(web.UUID)))
	if code != 0 || providers.Param(out, "Label").Value != "ACM:shop:web" {
		t.Errorf("GetSecurityLabel(web1) = %d, %v", code, out)
	}
	if code, _ := invoke(t, p, "CanRun", pv("Label", "ACM:shop:web")); code != 0 {
		t.Errorf("CanRun(web) = %d", code)
	}
	if code, _ := invoke(t, p, "CanRun", pv("Label", "ACM:shop:nosuch")); code != uint32(acm.XSErrBadLabel) {
		t.Errorf("CanRun(nosuch) = %d, want %d", code, acm.XSErrBadLabel)
	}
	if _, out := invoke(t, p, "GetEnforcedBinary"); providers.Param(out, "Binary").Value != base64.StdEncoding.EncodeToString(ts.EnforcedBinary()) {
		t.Error("GetEnforcedBinary is not the enforced binary")
	}

	// Back to DEFAULT, under the same reference.
	if code, out := invoke(t, p, "ResetPolicy"); code != 0 {
		t.Fatalf("ResetPolicy returned %d (%v)", code, providers.Param(out, "Message").Value)
	}
	pol, err = p.GetInstance(ctx, Namespace, policyPath(ref))
	if err != nil {
		t.Fatalf("after reset: %v", err)
	}
	if got := value(t, pol, "PolicyName"); got != "DEFAULT" {
		t.Errorf("after reset PolicyName %v", got)
	}
	// The update invalidated web1's and the disk's labels: they carry none of
	// DEFAULT's labels any more.
	if got := collect(t, p.ReferencesTo(ctx, Namespace, ClassElementSecurityLabel, computerSystemPath(web.UUID), "")); len(got) != 0 {
		t.Errorf("web1 still carries a label after the reset: %v", got)
	}
	if inst, err := p.GetInstance(ctx, Namespace, resourcePath("phy:/dev/sdb1")); err != nil || value(t, inst, "LabelState") != labelStateInvalidated {
		t.Errorf("phy:/dev/sdb1 after the reset: %v %v", inst, err)
	}
	if got := instanceIDs(t, p, ClassConflictSet); len(got) != 0 {
		t.Errorf("DEFAULT has conflict sets %q", got)
	}
}
