package secpolicy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
	"github.com/shypecim/shypecim/mof/schema"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// sink records the indications raised.
type sink struct {
	mu  sync.Mutex
	got []*cim.Instance
	ns  []string
}

func (s *sink) Indicate(_ context.Context, ns string, ind *cim.Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, ind)
	s.ns = append(s.ns, ns)
}

func (s *sink) take(t *testing.T) *cim.Instance {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) != 1 {
		t.Fatalf("%d indications raised, want 1", len(s.got))
	}
	ind, ns := s.got[0], s.ns[0]
	s.got, s.ns = nil, nil
	if ns != Namespace {
		t.Errorf("indication in %q, want %q", ns, Namespace)
	}
	return ind
}

// indicatingHost is the real toolstack whose policy changes and refusals reach a
// provider with a recording sink, as cmd/shyped wires them.
func indicatingHost(t *testing.T) (*Provider, *sink, *toolstack.Toolstack) {
	t.Helper()
	store := repository.New()
	if _, err := schema.Load(store, "", schema.Namespaces...); err != nil {
		t.Fatal(err)
	}
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
	res, err := acm.OpenResourceStore(filepath.Join(dir, "acm"))
	if err != nil {
		t.Fatal(err)
	}
	var p *Provider
	ts, err := toolstack.New(toolstack.Options{HV: hv, Admin: admin, Hooks: hooks, Resources: res, WorkDir: dir,
		PolicyChanged: func(ctx context.Context, _ []byte) { p.PolicyChanged(ctx) },
		Denied:        func(ctx context.Context, d toolstack.Denial) { p.Denied(ctx, d) },
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	p = New(Options{Toolstack: ts, HostName: testHost, Lookup: store.Class, Indications: s})
	return p, s, ts
}

func TestPolicyChangeIndication(t *testing.T) {
	p, s, ts := indicatingHost(t)
	xml, err := os.ReadFile("testdata/shop-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	if code, out := invoke(t, p, "SetPolicy", pv("Policy", string(xml)), pv("Flags", uint32(acm.FlagBoot|acm.FlagLoad)), pv("Overwrite", true)); code != 0 {
		t.Fatalf("SetPolicy returned %d (%v)", code, out)
	}
	ind := s.take(t)
	if ind.ClassName != ClassPolicyChangeIndication {
		t.Fatalf("class %s", ind.ClassName)
	}
	src, ok := value(t, ind, "SourceInstance").(*cim.Instance)
	if !ok || value(t, src, "PolicyName") != "shop" {
		t.Fatalf("SourceInstance = %v", value(t, ind, "SourceInstance"))
	}
	if src.Property("Repr") == nil || src.Property("STETypes") == nil {
		t.Error("SourceInstance lacks properties of Xen_ACMPolicy")
	}
	prev, ok := value(t, ind, "PreviousInstance").(*cim.Instance)
	if !ok || value(t, prev, "PolicyName") != "DEFAULT" {
		t.Fatalf("PreviousInstance = %v", value(t, ind, "PreviousInstance"))
	}
	if got, want := value(t, ind, "SourceInstanceModelPath"), policyPath(ts.Policy().Ref).String(); got != want {
		t.Errorf("SourceInstanceModelPath = %v, want %v", got, want)
	}
	if names := strValues(value(t, ind, "ChangedPropertyNames")); !slices.Contains(names, "PolicyName") || slices.Contains(names, "InstanceID") {
		t.Errorf("ChangedPropertyNames = %q", names)
	}
	if ind.Property("IndicationIdentifier") == nil || ind.Property("IndicationTime") == nil {
		t.Error("the indication lacks the properties of CIM_Indication")
	}

	// A reset reports shop as the previous policy.
	if code, _ := invoke(t, p, "ResetPolicy"); code != 0 {
		t.Fatalf("ResetPolicy returned %d", code)
	}
	ind = s.take(t)
	src, _ = value(t, ind, "SourceInstance").(*cim.Instance)
	prev, _ = value(t, ind, "PreviousInstance").(*cim.Instance)
	if src == nil || prev == nil || value(t, src, "PolicyName") != "DEFAULT" || value(t, prev, "PolicyName") != "shop" {
		t.Errorf("after reset: SourceInstance %v, PreviousInstance %v", src, prev)
	}
}

func TestAccessDeniedIndication(t *testing.T) {
	p, s, _ := indicatingHost(t)
	p.Denied(ctx, toolstack.Denial{Op: "start", Domain: "web", UUID: "1234", SubjectLabel: "ACM:DEFAULT:web",
		ObjectLabel: "ACM:DEFAULT:SystemManagement", Hook: toolstack.HookAuthorization,
		Code: acm.XSErrVMNotAuthorized, Message: acm.MsgNotAuthorized})
	ind := s.take(t)
	want := map[string]any{
		"Description":            acm.MsgNotAuthorized,
		"SubjectLabel":           "ACM:DEFAULT:web",
		"ObjectLabel":            "ACM:DEFAULT:SystemManagement",
		"Hook":                   uint16(2),
		"AlertType":              uint16(8),
		"PerceivedSeverity":      uint16(3),
		"ProbableCause":          uint16(65),
		"AlertingElementFormat":  uint16(2),
		"AlertingManagedElement": `//` + testHost + `/root/cimv2:Xen_ComputerSystem.CreationClassName="Xen_ComputerSystem",Name="1234"`,
		"SystemName":             testHost,
	}
	if ind.ClassName != ClassAccessDeniedIndication {
		t.Fatalf("class %s", ind.ClassName)
	}
	for k, v := range want {
		if got := value(t, ind, k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	if _, err := cim.ParseObjectPath(want["AlertingManagedElement"].(string)); err != nil {
		t.Errorf("AlertingManagedElement does not parse: %v", err)
	}
}

// TestNoSink checks that a provider without a sink raises nothing and still works.
func TestNoSink(t *testing.T) {
	p, _ := newProvider(t)
	p.PolicyChanged(ctx)
	p.Denied(ctx, toolstack.Denial{Message: "x"})
}
