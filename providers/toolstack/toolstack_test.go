package toolstack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
)

// env is a host as cmd/shyped wires it: the real policy store, ACM, resource store
// and simulated hypervisor, all in one temporary folder.
type env struct {
	ts  *Toolstack
	hv  *hvsim.HV
	dir string
}

func open(t testing.TB, dir string) *env {
	t.Helper()
	dflt, err := acm.Compile(acm.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir}
	engine := acm.NewEngine(dflt)
	hooks := acm.NewHooks(engine)
	admin, err := acm.OpenAdmin(filepath.Join(dir, "acm"), acm.AdminOptions{
		Engine:       engine,
		ChangePolicy: func(next *acm.Compiled, plan *acm.UpdatePlan) error { return ChangePolicyHook(e.hv, hooks)(next, plan) },
	})
	if err != nil {
		t.Fatal(err)
	}
	pol := engine.Policy()
	dom0, _ := pol.VMSSIDRef(pol.Policy().Bootstrap)
	if e.hv, err = hvsim.Open(hvsim.Config{Dir: filepath.Join(dir, "hv"), ACM: hooks, Dom0SSIDRef: dom0}); err != nil {
		t.Fatal(err)
	}
	store, err := acm.OpenResourceStore(filepath.Join(dir, "acm"))
	if err != nil {
		t.Fatal(err)
	}
	if e.ts, err = New(Options{HV: e.hv, Admin: admin, Hooks: hooks, Resources: store, WorkDir: "/srv"}); err != nil {
		t.Fatal(err)
	}
	return e
}

func newEnv(t testing.TB) *env { return open(t, t.TempDir()) }

func corpXML(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/corp-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpNext is corp 1.1, an update of 1.0 that renames VM label A to Alpha and
// resource label a-disk to alpha-disk.
func corpNext(t testing.TB) []byte {
	s := string(corpXML(t))
	s = strings.Replace(s, "<Version>1.0</Version>", "<Version>1.1</Version><FromPolicy><PolicyName>corp</PolicyName><Version>1.0</Version></FromPolicy>", 1)
	s = strings.Replace(s, "<Name>A</Name>", `<Name from="A">Alpha</Name>`, 1)
	s = strings.Replace(s, "<Name>a-disk</Name>", `<Name from="a-disk">alpha-disk</Name>`, 1)
	return []byte(s)
}

// withCorp loads corp and labels phy:/dev/a a-disk, phy:/dev/b b-disk.
func withCorp(t testing.TB) *env {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.ts.SetPolicy(ctx, corpXML(t), acm.FlagLoad|acm.FlagBoot, true); err != nil {
		t.Fatalf("loading corp: %v", err)
	}
	for res, l := range map[string]string{"phy:a": "ACM:corp:a-disk", "phy:b": "ACM:corp:b-disk"} {
		if err := e.ts.SetResourceLabel(ctx, res, l, ""); err != nil {
			t.Fatalf("labeling %s: %v", res, err)
		}
	}
	return e
}

func (e *env) define(t testing.TB, name, label string, disks ...string) Domain {
	t.Helper()
	cfg := Config{Name: name, Label: label, MemoryMiB: 128, VCPUs: 1}
	for i, u := range disks {
		cfg.Disks = append(cfg.Disks, Disk{Uname: u, VirtualDevice: "xvd" + string(rune('a'+i)), Mode: "w"})
	}
	d, err := e.ts.Define(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Define(%s): %v", name, err)
	}
	return d
}

func (e *env) get(t testing.TB, ref string) Domain {
	t.Helper()
	d, err := e.ts.Domain(context.Background(), ref)
	if err != nil {
		t.Fatalf("Domain(%s): %v", ref, err)
	}
	return d
}

func (e *env) must(t testing.TB, ref string, to Transition) {
	t.Helper()
	if err := e.ts.RequestState(context.Background(), ref, to); err != nil {
		t.Fatalf("RequestState(%s, %d): %v", ref, to, err)
	}
}

// wantACM asserts that err is an ACM refusal with code and Xen's message msg.
func wantACM(t *testing.T, err error, code acm.XSErr, msg string) {
	t.Helper()
	var ae *acm.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v carries no *acm.Error", err)
	}
	if ae.Code != code || (msg != "" && ae.Msg != msg) || (msg != "" && Message(err) != msg) {
		t.Errorf("error %v: code %v msg %q, want %v %q", err, ae.Code, Message(err), code, msg)
	}
}

func TestDefaultPolicyUnlabeled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if d0 := e.get(t, hypervisor.Domain0Name); d0.Label != "ACM:DEFAULT:SystemManagement" || d0.EffectiveLabel != d0.Label {
		t.Errorf("Domain-0 labels %q/%q", d0.Label, d0.EffectiveLabel)
	}
	d := e.define(t, "u", "", "phy:sda1", "file:img/u.img")
	if d.Label != "" || d.EffectiveLabel != "ACM:DEFAULT:__UNLABELED__" || d.State != hypervisor.Halted || d.UUID == "" {
		t.Errorf("defined %+v", d)
	}
	wantDisks := []Disk{{Uname: "phy:sda1", Resource: "phy:/dev/sda1", VirtualDevice: "xvda", Mode: "w"},
		{Uname: "file:img/u.img", Resource: "file:/srv/img/u.img", VirtualDevice: "xvdb", Mode: "w"}}
	if !slices.Equal(d.Disks, wantDisks) {
		t.Errorf("disks %+v, want %+v", d.Disks, wantDisks)
	}
	e.must(t, "u", Start)
	d = e.get(t, strings.ToUpper(d.UUID))
	if d.State != hypervisor.Running || d.SSIDRef != 0 || d.ID == hypervisor.InvalidID {
		t.Fatalf("after start %+v", d)
	}
	if byID := e.get(t, "1"); byID.Name != "u" {
		t.Errorf("domain id 1 is %s", byID.Name)
	}
	errs := []struct {
		name     string
		err      error
		sentinel error
		msg      string
	}{
		{"start running", e.ts.RequestState(ctx, "u", Start), hypervisor.ErrBadState, "Domain 'u' is already running."},
		{"delete running", e.ts.Delete(ctx, "u"), hypervisor.ErrBadState, "Domain 'u' is not halted."},
		{"missing", e.ts.RequestState(ctx, "nope", Start), hypervisor.ErrNoDomain, "Domain 'nope' does not exist."},
		{"Domain-0", e.ts.RequestState(ctx, hypervisor.Domain0Name, Shutdown), hypervisor.ErrDomain0, "Operation not permitted on Domain-0."},
		{"define twice", func() error { _, err := e.ts.Define(ctx, Config{Name: "u"}); return err }(), hypervisor.ErrExists, "Domain 'u' already exists."},
		{"define unnamed", func() error { _, err := e.ts.Define(ctx, Config{}); return err }(), hypervisor.ErrInvalid, "A domain needs a name."},
		{"define bad resource", func() error {
			_, err := e.ts.Define(ctx, Config{Name: "x", Disks: []Disk{{Uname: "sda1", VirtualDevice: "xvda"}}})
			return err
		}(), hypervisor.ErrInvalid, ""},
		{"define wrong policy", func() error { _, err := e.ts.Define(ctx, Config{Name: "x", Label: "ACM:acme:bank"}); return err }(), nil,
			"Security policy (acme) incompatible with enforced policy (DEFAULT)."},
	}
	for _, tc := range errs {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.sentinel != nil && !errors.Is(tc.err, tc.sentinel) {
			t.Errorf("%s: %v is not %v", tc.name, tc.err, tc.sentinel)
		}
		if tc.msg != "" && Message(tc.err) != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.name, Message(tc.err), tc.msg)
		}
	}
	// The state machine: pause, unpause through Start, suspend, resume, reboot, shutdown.
	steps := []struct {
		to   Transition
		want hypervisor.State
	}{
		{Pause, hypervisor.Paused}, {Start, hypervisor.Running}, {Suspend, hypervisor.Suspended},
		{Start, hypervisor.Running}, {Reboot, hypervisor.Running}, {Shutdown, hypervisor.Halted},
	}
	for _, s := range steps {
		e.must(t, "u", s.to)
		if got := e.get(t, "u").State; got != s.want {
			t.Fatalf("after %d: %v, want %v", s.to, got, s.want)
		}
	}
	if err := e.ts.RequestState(ctx, "u", Shutdown); !errors.Is(err, hypervisor.ErrBadState) || Message(err) != "Domain 'u' is not running." {
		t.Errorf("shutdown halted: %v", err)
	}
	name, mem := "u2", uint64(512)
	if d, err := e.ts.Modify(ctx, "u", Settings{Name: &name, MemoryMiB: &mem}); err != nil || d.Name != "u2" || d.MemoryMiB != 512 || len(d.Disks) != 2 {
		t.Errorf("Modify = %+v, %v", d, err)
	}
	if err := e.ts.Delete(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ts.Domain(ctx, "u2"); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("after Delete: %v", err)
	}
}

func TestStartChecks(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	e.define(t, "a1", "ACM:corp:A", "phy:a")
	e.must(t, "a1", Start)
	if d := e.get(t, "a1"); d.SSIDRef == 0 || d.EffectiveLabel != "ACM:corp:A" {
		t.Errorf("a1 %+v", d)
	}
	tests := []struct {
		name, label string
		disks       []string
		modify      string // a stored label set after Define, unchecked
		code        acm.XSErr
		msg         string
	}{
		{"conflict", "ACM:corp:B", nil, "", acm.XSErrVMInConflict, acm.MsgInConflict},
		{"not authorized", "ACM:corp:Rogue", nil, "", acm.XSErrVMNotAuthorized, acm.MsgNotAuthorized},
		{"block device denied", "ACM:corp:A", []string{"phy:a", "phy:b"}, "", acm.XSErrResourceAccess, "VM's access to block device 'phy:b' denied"},
		{"unlabeled resource denied", "ACM:corp:A", []string{"phy:c"}, "", acm.XSErrResourceAccess, "VM's access to block device 'phy:c' denied"},
		{"wrong policy", "ACM:corp:A", nil, "ACM:acme:A", acm.XSErrBadPolicyName, "Active policy 'corp' different than what in VM's label ('acme')."},
		{"label not found", "ACM:corp:A", nil, "ACM:corp:Ghost", acm.XSErrBadLabel, "Label 'Ghost' not found."},
		{"unlabeled", "", nil, "", acm.XSErrBadLabel, "Label '__UNLABELED__' not found."},
		{"bad format", "ACM:corp:A", nil, "corp:A", acm.XSErrBadLabelFormat, "VM label 'corp:A' in wrong format."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-")
			e.define(t, name, tc.label, tc.disks...)
			if tc.modify != "" {
				if _, err := e.ts.Modify(ctx, name, Settings{Label: &tc.modify}); err != nil {
					t.Fatal(err)
				}
			}
			err := e.ts.RequestState(ctx, name, Start)
			wantACM(t, err, tc.code, tc.msg)
			if !errors.Is(err, hypervisor.ErrDenied) {
				t.Errorf("%v does not match ErrDenied", err)
			}
			if d := e.get(t, name); d.State != hypervisor.Halted {
				t.Errorf("refused start left %s %v", name, d.State)
			}
		})
	}
	// The Chinese Wall counters did not move: with a1 gone, B starts.
	e.must(t, "a1", Destroy)
	e.must(t, "conflict", Start)
	// A reboot whose start is refused leaves the domain halted with the error.
	e.define(t, "a2", "ACM:corp:A")
	if err := e.ts.RequestState(ctx, "a2", Start); err == nil {
		t.Fatal("a2 started beside a B domain")
	}
}

func TestRebootRefusedStaysHalted(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	e.define(t, "a", "ACM:corp:A", "phy:a")
	e.must(t, "a", Start)
	// Relabel the resource while a runs is refused (in use); take it away once halted.
	e.must(t, "a", Shutdown)
	if err := e.ts.SetResourceLabel(ctx, "phy:a", "ACM:corp:b-disk", "ACM:corp:a-disk"); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.RequestState(ctx, "a", Start); err == nil {
		t.Fatal("a started with a b-disk")
	}
	if err := e.ts.SetResourceLabel(ctx, "phy:a", "ACM:corp:a-disk", ""); err != nil {
		t.Fatal(err)
	}
	e.must(t, "a", Start)
	if err := e.ts.SetResourceLabel(ctx, "/dev/x", "", ""); err == nil {
		t.Error("a resource without a type was accepted")
	}
	// b-disk on a running A domain through the store is refused while in use.
	err := e.ts.SetResourceLabel(ctx, "phy:/dev/a", "ACM:corp:b-disk", "")
	wantACM(t, err, acm.XSErrResourceInUse, "")
	e.must(t, "a", Pause)
	if err := e.ts.RequestState(ctx, "a", Reboot); !errors.Is(err, hypervisor.ErrBadState) {
		t.Errorf("reboot paused = %v", err)
	}
	e.must(t, "a", Start)
	e.must(t, "a", Reboot)
	if d := e.get(t, "a"); d.State != hypervisor.Running {
		t.Errorf("after reboot %v", d.State)
	}
}

func TestAttach(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	e.define(t, "a", "ACM:corp:A")
	e.must(t, "a", Start)
	_, err := e.ts.AttachDisk(ctx, "a", Disk{Uname: "phy:b", VirtualDevice: "xvdb"})
	wantACM(t, err, acm.XSErrResourceAccess, "VM's access to block device 'phy:b' denied")
	if !errors.Is(err, hypervisor.ErrDenied) {
		t.Errorf("%v is not ErrDenied", err)
	}
	if d := e.get(t, "a"); d.State != hypervisor.Running || len(d.Disks) != 0 {
		t.Errorf("after a denied attach: %v with %v", d.State, d.Disks)
	}
	got, err := e.ts.AttachDisk(ctx, "a", Disk{Uname: "phy:a", VirtualDevice: "xvdb", Mode: "r"})
	if err != nil || got.Resource != "phy:/dev/a" {
		t.Fatalf("AttachDisk(a-disk) = %+v, %v", got, err)
	}
	if _, err := e.ts.AttachDisk(ctx, "a", Disk{Uname: "phy:a", VirtualDevice: "xvdb"}); !errors.Is(err, hypervisor.ErrInvalid) {
		t.Errorf("duplicate vdev: %v", err)
	}
	// A VIF labeled for B is denied, one for A permitted.
	_, err = e.ts.AttachVIF(ctx, "a", VIF{Index: -1, Bridge: "xenbr0", Label: "ACM:corp:b-disk"})
	wantACM(t, err, acm.XSErrResourceAccess, acm.MsgVIFDenied)
	v, err := e.ts.AttachVIF(ctx, "a", VIF{Index: -1, Bridge: "xenbr0", Label: "ACM:corp:a-disk"})
	if err != nil || v.Index != 0 || !strings.HasPrefix(v.MAC, "00:16:3e:") {
		t.Fatalf("AttachVIF = %+v, %v", v, err)
	}
	if err := e.ts.DetachDisk(ctx, "a", "xvdb"); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.DetachVIF(ctx, "a", 0); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.DetachVIF(ctx, "a", 0); !errors.Is(err, hypervisor.ErrNoDevice) {
		t.Errorf("detach twice: %v", err)
	}
	// A halted domain takes any device into its configuration; the start checks it.
	e.define(t, "h", "ACM:corp:A")
	if _, err := e.ts.AttachDisk(ctx, "h", Disk{Uname: "phy:b", VirtualDevice: "xvda"}); err != nil {
		t.Fatalf("attach to halted: %v", err)
	}
	wantACM(t, e.ts.RequestState(ctx, "h", Start), acm.XSErrResourceAccess, "VM's access to block device 'phy:b' denied")
	if err := e.ts.ModifyDisk(ctx, "h", Disk{Uname: "phy:a", VirtualDevice: "xvda", Mode: "r"}); err != nil {
		t.Fatal(err)
	}
	e.must(t, "h", Start)
	if d := e.get(t, "h"); len(d.Disks) != 1 || d.Disks[0].Resource != "phy:/dev/a" || d.Disks[0].Mode != "r" {
		t.Errorf("after ModifyDisk: %+v", d.Disks)
	}
}

func TestRelabel(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	c := e.ts.Enforced()
	ssid := func(l string) uint32 { s, _ := c.VMSSIDRef(l); return s }
	e.define(t, "halted", "ACM:corp:A")
	e.define(t, "susp", "ACM:corp:A")
	e.must(t, "susp", Start)
	e.must(t, "susp", Suspend)
	e.define(t, "run", "ACM:corp:A")
	e.must(t, "run", Start)
	e.define(t, "paused", "ACM:corp:Rogue")
	tests := []struct {
		name, ref, label, old string
		want                  uint32
		code                  acm.XSErr
		stored                string
	}{
		{"halted any label", "halted", "ACM:other:whatever", "ACM:corp:A", 0, 0, "ACM:other:whatever"},
		{"halted old mismatch", "halted", "ACM:corp:B", "ACM:corp:A", 0, acm.XSErrBadLabel, "ACM:other:whatever"},
		{"halted remove", "halted", "", "ACM:other:whatever", 0, 0, ""},
		{"suspended", "susp", "ACM:corp:B", "ACM:corp:A", 0, 0, "ACM:corp:B"},
		{"running remove", "run", "", "ACM:corp:A", 0, acm.XSErrVMWrongState, "ACM:corp:A"},
		{"running unknown label", "run", "ACM:corp:Ghost", "ACM:corp:A", 0, acm.XSErrBadLabel, "ACM:corp:A"},
		{"running other policy", "run", "ACM:acme:bank", "ACM:corp:A", 0, acm.XSErrPolicyNotLoaded, "ACM:corp:A"},
		{"running no sharing with Domain-0", "run", "ACM:corp:Rogue", "ACM:corp:A", 0, acm.XSErrHVOpFailed, "ACM:corp:A"},
		{"running", "run", "ACM:corp:B", "ACM:corp:A", ssid("B"), 0, "ACM:corp:B"},
		{"Domain-0 loses B", hypervisor.Domain0Name, "ACM:corp:A", "ACM:corp:SystemManagement", 0, acm.XSErrHVOpFailed, "ACM:corp:SystemManagement"},
		{"Domain-0", hypervisor.Domain0Name, "ACM:corp:SystemManagement", "ACM:corp:SystemManagement", ssid("SystemManagement"), 0, "ACM:corp:SystemManagement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.ts.SetDomainLabel(ctx, tc.ref, tc.label, tc.old)
			if tc.code != 0 {
				wantACM(t, err, tc.code, "")
			} else if err != nil || got != tc.want {
				t.Errorf("SetDomainLabel = %#x, %v; want %#x", got, err, tc.want)
			}
			d := e.get(t, tc.ref)
			if d.Label != tc.stored {
				t.Errorf("stored %q, want %q", d.Label, tc.stored)
			}
			if d.State.Live() {
				if l, _ := c.VMLabelOf(d.SSIDRef); "ACM:corp:"+l != d.Label {
					t.Errorf("enforced %#x (%s) disagrees with stored %q", d.SSIDRef, l, d.Label)
				}
			}
		})
	}
}

func TestResourceLabels(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	tests := []struct {
		name, res, label, old string
		code                  acm.XSErr
	}{
		{"label", "file:x.img", "ACM:corp:a-disk", "", 0},
		{"unknown label", "phy:c", "ACM:corp:Ghost", "", acm.XSErrBadLabel},
		{"old mismatch", "file:/srv/x.img", "ACM:corp:b-disk", "ACM:corp:b-disk", acm.XSErrBadLabel},
		{"relabel", "file:/srv/x.img", "ACM:corp:b-disk", "ACM:corp:a-disk", 0},
		{"remove unlabeled", "phy:c", "", "ACM:corp:a-disk", acm.XSErrResourceNotLabeled},
		{"remove", "file:x.img", "", "ACM:corp:b-disk", 0},
		{"bad resource", "nocolon", "ACM:corp:a-disk", "", acm.XSErrBadResourceFormat},
	}
	for _, tc := range tests {
		err := e.ts.SetResourceLabel(ctx, tc.res, tc.label, tc.old)
		if tc.code == 0 && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.code != 0 && !errors.Is(err, tc.code) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.code)
		}
	}
	if _, ok, _ := e.ts.ResourceLabel("file:x.img"); ok {
		t.Error("file:x.img still labeled")
	}
	e.define(t, "a", "ACM:corp:A", "phy:a")
	e.must(t, "a", Start)
	wantACM(t, e.ts.SetResourceLabel(ctx, "phy:a", "", "ACM:corp:a-disk"), acm.XSErrResourceInUse, "")
	l, ok, err := e.ts.ResourceLabel("phy:a")
	if err != nil || !ok || l.String() != "ACM:corp:a-disk" {
		t.Errorf("ResourceLabel(phy:a) = %v, %v, %v", l, ok, err)
	}
	got := e.ts.Resources()
	want := []LabeledResource{{"phy:/dev/a", acm.ResourceLabel{Type: "ACM", Policy: "corp", Label: "a-disk"}},
		{"phy:/dev/b", acm.ResourceLabel{Type: "ACM", Policy: "corp", Label: "b-disk"}}}
	if !slices.Equal(got, want) {
		t.Errorf("Resources = %v, want %v", got, want)
	}
}

func labels(t *testing.T, e *env) map[string]string {
	t.Helper()
	doms, err := e.ts.Domains(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range doms {
		m[d.Name] = d.Label
	}
	return m
}

func TestPolicyUpdate(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	e.define(t, "ra", "ACM:corp:A", "phy:a")
	e.must(t, "ra", Start)
	e.define(t, "ha", "ACM:corp:A")
	e.define(t, "hb", "ACM:corp:B", "phy:b")
	e.define(t, "hu", "")
	if _, err := e.ts.SetPolicy(ctx, corpNext(t), acm.FlagLoad|acm.FlagBoot, false); err != nil {
		t.Fatalf("update: %v", err)
	}
	want := map[string]string{hypervisor.Domain0Name: "ACM:corp:SystemManagement", "ra": "ACM:corp:Alpha",
		"ha": "ACM:corp:Alpha", "hb": "ACM:corp:B", "hu": ""}
	if got := labels(t, e); !maps(got, want) {
		t.Errorf("labels after the update %v, want %v", got, want)
	}
	if l, _, _ := e.ts.ResourceLabel("phy:a"); l.Label != "alpha-disk" {
		t.Errorf("phy:a is %v after the rename", l)
	}
	if d := e.get(t, "ra"); d.SSIDRef != func() uint32 { s, _ := e.ts.Enforced().VMSSIDRef("Alpha"); return s }() {
		t.Errorf("ra enforces %#x", d.SSIDRef)
	}
	if v := e.ts.Policy().Version; v != "1.1" {
		t.Errorf("version %s", v)
	}

	// 1.2 deletes Alpha, which ra runs with: refused, and nothing changes.
	s := string(corpNext(t))
	s = strings.Replace(s, "<Version>1.1</Version><FromPolicy><PolicyName>corp</PolicyName><Version>1.0</Version>", "<Version>1.2</Version><FromPolicy><PolicyName>corp</PolicyName><Version>1.1</Version>", 1)
	s = strings.Replace(s, `<Name from="A">Alpha</Name>`, "<Name>Alpha2</Name>", 1)
	s = strings.Replace(s, `<Name from="a-disk">alpha-disk</Name>`, "<Name>alpha-disk2</Name>", 1)
	before := e.ts.Resources()
	res, err := e.ts.SetPolicy(ctx, []byte(s), acm.FlagLoad, false)
	if !errors.Is(err, acm.XSErrHVOpFailed) && !errors.Is(err, acm.XSErrResourceAccess) {
		t.Fatalf("update deleting a running label: %v (%+v)", err, res)
	}
	if got := labels(t, e); !maps(got, want) {
		t.Errorf("labels after a refused update %v, want %v", got, want)
	}
	if v := e.ts.Policy().Version; v != "1.1" || e.ts.Enforced().Name() != "corp" {
		t.Errorf("after a refused update: version %s", v)
	}
	if after := e.ts.Resources(); !slices.Equal(before, after) {
		t.Errorf("resources after a refused update %v, want %v", after, before)
	}

	// Reset to DEFAULT: refused while ra runs, then every label follows.
	if _, err := e.ts.ResetPolicy(ctx); err == nil {
		t.Fatal("reset accepted while a labeled domain runs")
	}
	e.must(t, "ra", Destroy)
	if _, err := e.ts.ResetPolicy(ctx); err != nil {
		t.Fatalf("reset: %v", err)
	}
	want = map[string]string{hypervisor.Domain0Name: "ACM:DEFAULT:SystemManagement", "ra": "INV_ACM:corp:Alpha",
		"ha": "INV_ACM:corp:Alpha", "hb": "INV_ACM:corp:B", "hu": ""}
	if got := labels(t, e); !maps(got, want) {
		t.Errorf("labels after the reset %v, want %v", got, want)
	}
	if l, _, _ := e.ts.ResourceLabel("phy:a"); l.String() != "INV_ACM:corp:alpha-disk" {
		t.Errorf("phy:a after the reset: %v", l)
	}
	if e.ts.Enforced().Name() != acm.DefaultPolicyName {
		t.Errorf("enforced %s after the reset", e.ts.Enforced().Name())
	}
	e.must(t, "hu", Start)
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

func TestCanRunDecide(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	e.define(t, "a", "ACM:corp:A")
	e.must(t, "a", Start)
	codes := []struct {
		label string
		want  acm.XSErr
	}{
		{"ACM:corp:A", acm.XSErrSuccess},
		{"ACM:corp:B", acm.XSErrVMInConflict},
		{"ACM:corp:Rogue", acm.XSErrVMNotAuthorized},
		{"ACM:corp:Ghost", acm.XSErrBadLabel},
		{"ACM:acme:A", acm.XSErrBadPolicyName},
		{"corp:A", acm.XSErrBadLabelFormat},
		{"", acm.XSErrBadLabelFormat},
		{"XYZ:corp:A", acm.XSErrWrongPolicyType},
	}
	for _, tc := range codes {
		if got := e.ts.CanRun(tc.label); got != tc.want {
			t.Errorf("CanRun(%q) = %v, want %v", tc.label, got, tc.want)
		}
	}
	decisions := []struct {
		op     hypervisor.DecisionOp
		l1, l2 string
		want   bool
	}{
		{hypervisor.DecideSharing, "ACM:corp:A", "ACM:corp:a-disk", true},
		{hypervisor.DecideSharing, "ACM:corp:A", "ACM:corp:B", false},
		{hypervisor.DecideSharing, "ACM:corp:SystemManagement", "ACM:corp:B", true},
		{hypervisor.DecideAuthorization, "ACM:corp:SystemManagement", "ACM:corp:A", true},
		{hypervisor.DecideAuthorization, "ACM:corp:SystemManagement", "ACM:corp:Rogue", false},
		{hypervisor.DecideConflictSet, "ACM:corp:B", "", false},
		{hypervisor.DecideConflictSet, "ACM:corp:A", "", true},
	}
	for _, tc := range decisions {
		got, err := e.ts.Decide(ctx, tc.op, tc.l1, tc.l2)
		if err != nil || got != tc.want {
			t.Errorf("Decide(%d, %s, %s) = %v, %v; want %v", tc.op, tc.l1, tc.l2, got, err, tc.want)
		}
	}
	_, err := e.ts.Decide(ctx, hypervisor.DecideAuthorization, "ACM:corp:SystemManagement", "ACM:corp:a-disk")
	wantACM(t, err, acm.XSErrBadLabel, "")
	_, err = e.ts.Decide(ctx, hypervisor.DecideSharing, "ACM:corp:Ghost", "ACM:corp:A")
	wantACM(t, err, acm.XSErrBadLabel, "Label 'Ghost' not found.")
}

func TestDryRun(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	tests := []struct {
		name      string
		cfg       Config
		lines     []string
		permitted bool
	}{
		{"unlabeled", Config{Name: "u", Disks: []Disk{{Uname: "phy:a", VirtualDevice: "xvda"}}},
			[]string{"Checking domain:", "   u: DENIED", "   --> Domain not labeled", "Checking resources: (skipped)"}, false},
		{"permitted", Config{Name: "p", Label: "ACM:corp:A", Disks: []Disk{{Uname: "phy:a", VirtualDevice: "xvda"}}},
			[]string{"Checking domain:", "   p: PERMITTED", "Checking resources:", "   phy:a: PERMITTED"}, true},
		{"denied", Config{Name: "d", Label: "ACM:corp:A", Disks: []Disk{{Uname: "phy:a", VirtualDevice: "xvda"}, {Uname: "phy:b", VirtualDevice: "xvdb"}, {Uname: "phy:c", VirtualDevice: "xvdc"}}},
			[]string{"Checking domain:", "   d: PERMITTED", "Checking resources:", "   phy:a: PERMITTED",
				"   phy:b: DENIED", "   --> res: b-disk (ACM:corp)", "   --> dom: A (ACM:corp)",
				"   phy:c: DENIED", "   --> res: __NULL_LABEL__ (ACM:NULL)", "   --> dom: A (ACM:corp)"}, false},
		{"no disks", Config{Name: "n", Label: "ACM:corp:Rogue"},
			[]string{"Checking domain:", "   n: PERMITTED", "Checking resources:"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.ts.DryRunConfig(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Lines, tc.lines) || got.Permitted != tc.permitted {
				t.Errorf("lines\n%s\n(%v), want\n%s\n(%v)", strings.Join(got.Lines, "\n"), got.Permitted, strings.Join(tc.lines, "\n"), tc.permitted)
			}
		})
	}
	e.define(t, "p", "ACM:corp:B", "phy:b")
	got, err := e.ts.DryRunDomain(ctx, "p")
	if err != nil || !got.Permitted || got.Lines[len(got.Lines)-1] != "   phy:b: PERMITTED" {
		t.Errorf("DryRunDomain = %+v, %v", got, err)
	}
	// Under DEFAULT, where __UNLABELED__ may run, an unlabeled domain is still DENIED.
	d := newEnv(t)
	got, err = d.ts.DryRunConfig(ctx, Config{Name: "u", Label: "ACM:DEFAULT:__UNLABELED__"})
	if err != nil || got.Permitted || got.Lines[2] != "   --> Domain not labeled" {
		t.Errorf("DEFAULT dry run = %+v, %v", got, err)
	}
}

func TestDumpPolicy(t *testing.T) {
	e := withCorp(t)
	got, err := e.ts.DumpPolicy(context.Background())
	if err != nil || got == "" {
		t.Fatalf("DumpPolicy = %q, %v", got, err)
	}
	want, err := acm.Dump(e.ts.EnforcedBinary(), e.get(t, hypervisor.Domain0Name).SSIDRef)
	if err != nil || got != want {
		t.Errorf("DumpPolicy differs from acm.Dump (%v)", err)
	}
	if !strings.Contains(got, "<-- Domain-0") {
		t.Error("the dump does not mark Domain-0")
	}
}

func TestRestartKeepsState(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	e.define(t, "a", "ACM:corp:A", "phy:a")
	e.must(t, "a", Start)
	e.define(t, "b", "ACM:corp:B")
	r := open(t, e.dir)
	if r.ts.Enforced().Name() != "corp" {
		t.Fatalf("after a restart %s is enforced", r.ts.Enforced().Name())
	}
	if d := r.get(t, "a"); d.State != hypervisor.Running || d.Label != "ACM:corp:A" || d.Disks[0].Uname != "phy:a" {
		t.Errorf("a after a restart: %+v", d)
	}
	wantACM(t, r.ts.RequestState(ctx, "b", Start), acm.XSErrVMInConflict, acm.MsgInConflict)
}

func TestMessage(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&acm.Error{Code: acm.XSErrBadLabel, Msg: "Label 'x' not found."}, "Label 'x' not found."},
		{userErr(hypervisor.ErrBadState, "Domain 'x' is not halted."), "Domain 'x' is not halted."},
		{acm.XSErrResourceInUse, acm.XSErrResourceInUse.Message()},
		{errors.New("plain"), "plain"},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("Message(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func BenchmarkDomains10k(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	// Define through the hypervisor: the benchmark measures the enumeration, and
	// 10,000 persisted definitions would rewrite the state file 10,000 times.
	mem, err := hvsim.New(e.ts.o.Hooks)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		label := ""
		if i%2 == 0 {
			label = "ACM:DEFAULT:SystemManagement"
		}
		if _, err := mem.Create(ctx, hypervisor.Config{Name: "d" + strings.Repeat("0", 5-len(itoa(i))) + itoa(i), Label: label,
			Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda", Resource: "phy:/dev/sda", Uname: "phy:sda", Mode: "w"}}}); err != nil {
			b.Fatal(err)
		}
	}
	o := e.ts.o
	o.HV = mem
	ts, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		doms, err := ts.Domains(ctx)
		if err != nil || len(doms) != 10001 || doms[1].EffectiveLabel == "" {
			b.Fatalf("%d domains, %v", len(doms), err)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var s []byte
	for ; i > 0; i /= 10 {
		s = append([]byte{byte('0' + i%10)}, s...)
	}
	return string(s)
}

func BenchmarkStart(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		name := "s" + itoa(i)
		i++
		if _, err := e.ts.Define(ctx, Config{Name: name, Disks: []Disk{{Uname: "phy:sda", VirtualDevice: "xvda"}}}); err != nil {
			b.Fatal(err)
		}
		if err := e.ts.RequestState(ctx, name, Start); err != nil {
			b.Fatal(err)
		}
		if err := e.ts.RequestState(ctx, name, Destroy); err != nil {
			b.Fatal(err)
		}
	}
}

func TestActivatePolicy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.define(t, "u", "")
	e.must(t, "u", Start)
	if _, err := e.ts.SetPolicy(ctx, corpXML(t), acm.FlagBoot, true); err != nil {
		t.Fatalf("boot-only load: %v", err)
	}
	if e.ts.Enforced().Name() != acm.DefaultPolicyName {
		t.Fatalf("a boot-only load enforced %s", e.ts.Enforced().Name())
	}
	// corp lacks __UNLABELED__: the running unlabeled domain refuses the activation.
	if _, err := e.ts.ActivatePolicy(ctx, acm.FlagLoad); err == nil {
		t.Fatal("activation accepted while an unlabeled domain runs under a policy without __UNLABELED__")
	}
	e.must(t, "u", Destroy)
	got, err := e.ts.ActivatePolicy(ctx, acm.FlagLoad|acm.FlagBoot)
	if err != nil || got != acm.FlagLoad|acm.FlagBoot {
		t.Fatalf("ActivatePolicy = %d, %v", got, err)
	}
	if e.ts.Enforced().Name() != "corp" {
		t.Fatalf("enforced %s after the activation", e.ts.Enforced().Name())
	}
	if l := e.get(t, hypervisor.Domain0Name).Label; l != "ACM:corp:SystemManagement" {
		t.Errorf("Domain-0 labeled %q after the activation", l)
	}
	if d := e.get(t, "u"); d.Label != "" || d.EffectiveLabel != "ACM:corp:__UNLABELED__" {
		t.Errorf("u after the activation: %q/%q", d.Label, d.EffectiveLabel)
	}
	if err := e.ts.RemoveBootPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	if f := e.ts.Policy().Flags; f != acm.FlagLoad {
		t.Errorf("flags %d after RemoveBootPolicy", f)
	}
}

func TestVIFLabel(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	if _, err := e.ts.Define(ctx, Config{Name: "v", Label: "ACM:corp:A", VIFs: []VIF{{Index: -1, Bridge: "xenbr0"}, {Index: 0, Bridge: "xenbr1"}}}); err != nil {
		t.Fatal(err)
	}
	if d := e.get(t, "v"); len(d.VIFs) != 2 || d.VIFs[0].Index != 1 || d.VIFs[1].Index != 0 || d.VIFs[0].MAC == "" {
		t.Fatalf("VIFs %+v", d.VIFs)
	}
	tests := []struct {
		name, label, old string
		code             acm.XSErr
		want             string
	}{
		{"unknown label", "ACM:corp:Ghost", "", acm.XSErrBadLabel, ""},
		{"label", "ACM:corp:a-disk", "", 0, "ACM:corp:a-disk"},
		{"old mismatch", "ACM:corp:b-disk", "ACM:corp:b-disk", acm.XSErrBadLabel, "ACM:corp:a-disk"},
		{"remove", "", "ACM:corp:a-disk", 0, ""},
		{"remove unlabeled", "", "ACM:corp:a-disk", acm.XSErrResourceNotLabeled, ""},
		{"label again", "ACM:corp:a-disk", "", 0, "ACM:corp:a-disk"},
	}
	for _, tc := range tests {
		err := e.ts.SetVIFLabel(ctx, "v", 1, tc.label, tc.old)
		if tc.code != 0 && !errors.Is(err, tc.code) || tc.code == 0 && err != nil {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.code)
		}
		if got := e.get(t, "v").VIFs[0].Label; got != tc.want {
			t.Errorf("%s: VIF labeled %q, want %q", tc.name, got, tc.want)
		}
	}
	e.must(t, "v", Start)
	wantACM(t, e.ts.SetVIFLabel(ctx, "v", 1, "", "ACM:corp:a-disk"), acm.XSErrResourceInUse, "")
	if err := e.ts.SetVIFLabel(ctx, "v", 7, "ACM:corp:a-disk", ""); !errors.Is(err, hypervisor.ErrNoDevice) {
		t.Errorf("missing VIF: %v", err)
	}
}

// TestConcurrent runs management operations beside lock-free reads (for -race).
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	done := make(chan error, 4)
	for g := range 3 {
		go func() {
			var err error
			for i := 0; i < 5 && err == nil; i++ {
				name := "c" + itoa(g) + "-" + itoa(i)
				if _, err = e.ts.Define(ctx, Config{Name: name}); err == nil {
					if err = e.ts.RequestState(ctx, name, Start); err == nil {
						err = e.ts.RequestState(ctx, name, Destroy)
					}
				}
			}
			done <- err
		}()
	}
	go func() {
		var err error
		for range 20 {
			if _, err = e.ts.Domains(ctx); err != nil {
				break
			}
			_ = e.ts.CanRun("ACM:DEFAULT:SystemManagement")
		}
		done <- err
	}()
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if doms, _ := e.ts.Domains(ctx); len(doms) != 16 {
		t.Errorf("%d domains, want 16", len(doms))
	}
}
