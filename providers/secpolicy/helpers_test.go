package secpolicy

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/toolstack"
)

var ctx = context.Background()

const (
	testHost   = "host1"
	testRef    = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	dom0UUID   = "00000000-0000-0000-0000-000000000000"
	webUUID    = "11111111-1111-1111-1111-111111111111"
	dbUUID     = "22222222-2222-2222-2222-222222222222"
	plainUUID  = "33333333-3333-3333-3333-333333333333"
	staleUUID  = "44444444-4444-4444-4444-444444444444"
	testPolicy = "shop"
)

// fakeTS is a toolstack in memory: the shop policy compiled for real, domains and
// resource labels as the test sets them, and per-method errors and results to
// inject. It records the last call, with its arguments.
type fakeTS struct {
	mu        sync.Mutex
	info      acm.PolicyInfo
	compiled  *acm.Compiled
	domains   []toolstack.Domain
	resources map[string]acm.ResourceLabel
	errs      map[string]error // by method name
	last      string           // the last call, "Method(arg, arg…)"

	setPolicyResult *acm.Result
	resetResult     *acm.Result
	canRun          map[string]acm.XSErr
	decision        bool
	dryRun          toolstack.DryRun
	activeFlags     uint32
	ssidref         uint32
}

func loadShop(t testing.TB) (*acm.Policy, *acm.Compiled) {
	t.Helper()
	xml, err := os.ReadFile("testdata/shop-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := acm.Parse(xml)
	if err != nil {
		t.Fatalf("parsing the test policy: %v", err)
	}
	c, err := acm.Compile(pol)
	if err != nil {
		t.Fatalf("compiling the test policy: %v", err)
	}
	return pol, c
}

func newFake(t testing.TB) *fakeTS {
	pol, c := loadShop(t)
	return &fakeTS{
		info: acm.PolicyInfo{
			Ref: testRef, Type: acm.PolicyTypeACM, Flags: acm.FlagBoot | acm.FlagLoad,
			Name: c.Name(), Version: pol.Version, XML: pol.XML(), Map: c.Map(""), Binary: c.Binary(),
		},
		compiled: c,
		domains: []toolstack.Domain{
			dom(dom0UUID, "Domain-0", "ACM:shop:SystemManagement"),
			dom(dbUUID, "db1", "ACM:shop:db"),
			dom(plainUUID, "plain", "ACM:shop:__UNLABELED__"),
			dom(staleUUID, "stale", "INV_ACM:old:gone"),
			dom(webUUID, "web1", "ACM:shop:web"),
		},
		resources: map[string]acm.ResourceLabel{
			"phy:/dev/sdb1":    {Type: "ACM", Policy: "shop", Label: "web-disk"},
			"file:/srv/db.img": {Type: "ACM", Policy: "shop", Label: "db-disk"},
			"vlan:12":          {Type: "INV_ACM", Policy: "old", Label: "net"},
		},
		errs:     map[string]error{},
		canRun:   map[string]acm.XSErr{},
		decision: true,
		dryRun:   toolstack.DryRun{Lines: []string{"Checking resources: (skipped)"}, Permitted: true},
	}
}

func dom(uuid, name, label string) toolstack.Domain {
	d := toolstack.Domain{EffectiveLabel: label}
	d.UUID, d.Name, d.Label = uuid, name, label
	return d
}

func (f *fakeTS) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := fmt.Sprintf(format, args...)
	f.last = call
	name, _, _ := strings.Cut(call, "(")
	return f.errs[name]
}

func (f *fakeTS) lastCall() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *fakeTS) Policy() acm.PolicyInfo  { return f.info }
func (f *fakeTS) Enforced() *acm.Compiled { return f.compiled }
func (f *fakeTS) EnforcedBinary() []byte  { return f.compiled.Binary() }

func (f *fakeTS) Domains(context.Context) ([]toolstack.Domain, error) {
	if err := f.errs["Domains"]; err != nil {
		return nil, err
	}
	return f.domains, nil
}

func (f *fakeTS) Domain(_ context.Context, ref string) (toolstack.Domain, error) {
	for _, d := range f.domains {
		if strings.EqualFold(d.UUID, ref) || d.Name == ref {
			return d, nil
		}
	}
	return toolstack.Domain{}, fmt.Errorf("toolstack: domain %s: %w", ref, hypervisor.ErrNoDomain)
}

func (f *fakeTS) Resources() []toolstack.LabeledResource {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []toolstack.LabeledResource
	for r, l := range f.resources {
		out = append(out, toolstack.LabeledResource{Resource: r, Label: l})
	}
	slices.SortFunc(out, func(a, b toolstack.LabeledResource) int { return strings.Compare(a.Resource, b.Resource) })
	return out
}

func (f *fakeTS) NormalizeResource(res string) (string, error) {
	return acm.NormalizeResource(res, "/work")
}

func (f *fakeTS) ResourceLabel(res string) (acm.ResourceLabel, bool, error) {
	n, err := f.NormalizeResource(res)
	if err != nil {
		return acm.ResourceLabel{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.resources[n]
	return l, ok, nil
}

func (f *fakeTS) SetResourceLabel(_ context.Context, res, label, old string) error {
	if err := f.record("SetResourceLabel(%s, %s, %s)", res, label, old); err != nil {
		return err
	}
	n, err := f.NormalizeResource(res)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if label == "" {
		delete(f.resources, n)
		return nil
	}
	l, err := acm.ParseLabel(label)
	if err != nil {
		return err
	}
	f.resources[n] = acm.ResourceLabel{Type: l.Type, Policy: l.Policy, Label: l.Label}
	return nil
}

func (f *fakeTS) SetDomainLabel(_ context.Context, ref, label, old string) (uint32, error) {
	if err := f.record("SetDomainLabel(%s, %s, %s)", ref, label, old); err != nil {
		return 0, err
	}
	if _, err := f.Domain(ctx, ref); err != nil {
		return 0, err
	}
	return f.ssidref, nil
}

func (f *fakeTS) SetPolicy(_ context.Context, xml []byte, flags uint32, overwrite bool) (*acm.Result, error) {
	err := f.record("SetPolicy(%d bytes, %d, %t)", len(xml), flags, overwrite)
	return f.setPolicyResult, err
}

func (f *fakeTS) ResetPolicy(context.Context) (*acm.Result, error) {
	err := f.record("ResetPolicy()")
	return f.resetResult, err
}

func (f *fakeTS) ActivatePolicy(_ context.Context, flags uint32) (uint32, error) {
	if err := f.record("ActivatePolicy(%d)", flags); err != nil {
		return 0, err
	}
	return f.activeFlags, nil
}

func (f *fakeTS) RemoveBootPolicy(context.Context) error { return f.record("RemoveBootPolicy()") }

func (f *fakeTS) CanRun(label string) acm.XSErr {
	f.record("CanRun(%s)", label)
	return f.canRun[label]
}

func (f *fakeTS) Decide(_ context.Context, op hypervisor.DecisionOp, l1, l2 string) (bool, error) {
	if err := f.record("Decide(%d, %s, %s)", op, l1, l2); err != nil {
		return false, err
	}
	return f.decision, nil
}

func (f *fakeTS) DryRunDomain(_ context.Context, ref string) (toolstack.DryRun, error) {
	if err := f.record("DryRunDomain(%s)", ref); err != nil {
		return toolstack.DryRun{}, err
	}
	if _, err := f.Domain(ctx, ref); err != nil {
		return toolstack.DryRun{}, err
	}
	return f.dryRun, nil
}

func (f *fakeTS) DryRunConfig(_ context.Context, cfg toolstack.Config) (toolstack.DryRun, error) {
	if err := f.record("DryRunConfig(%+v)", cfg); err != nil {
		return toolstack.DryRun{}, err
	}
	return f.dryRun, nil
}

func (f *fakeTS) DumpPolicy(context.Context) (string, error) {
	if err := f.record("DumpPolicy()"); err != nil {
		return "", err
	}
	return "POLICY REFERENCE = shop.", nil
}

func newProvider(t testing.TB) (*Provider, *fakeTS) {
	f := newFake(t)
	return New(Options{Toolstack: f, HostName: testHost}), f
}

// collect drains an instance sequence, failing the test on an error.
func collect(t testing.TB, seq func(func(*cim.Instance, error) bool)) []*cim.Instance {
	t.Helper()
	var out []*cim.Instance
	for inst, err := range seq {
		if err != nil {
			t.Fatalf("enumeration: %v", err)
		}
		out = append(out, inst)
	}
	return out
}

// value returns the value of property name of inst, failing when it is missing.
func value(t testing.TB, inst *cim.Instance, name string) any {
	t.Helper()
	p := inst.Property(name)
	if p == nil {
		t.Fatalf("%s has no property %s", inst.ClassName, name)
	}
	return p.Value
}

func strValues(v any) []string {
	a, _ := v.([]any)
	out := make([]string, len(a))
	for i, e := range a {
		out[i], _ = e.(string)
	}
	return out
}

func labelRef(kind, label string) *cim.ObjectPath { return labelPath(testPolicy, kind, label) }

// status returns the CIM status of err.
func status(err error) cim.Status { return cim.StatusOf(err) }
