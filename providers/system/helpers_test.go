package system

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/mof/compile"
	"github.com/shypecim/shypecim/mof/schema"
	"github.com/shypecim/shypecim/providers/toolstack"
)

var ctx = context.Background()

// fakeToolstack is an in-memory toolstack: domains by UUID, no access control.
// fail[method], when set, is returned by that method; calls counts every call.
type fakeToolstack struct {
	mu    sync.Mutex
	doms  []toolstack.Domain
	next  int
	fail  map[string]error
	calls map[string]int
	log   []string // "Method arg…" of the changing calls, in order
}

func newFake(doms ...toolstack.Domain) *fakeToolstack {
	return &fakeToolstack{doms: doms, fail: map[string]error{}, calls: map[string]int{}}
}

func (f *fakeToolstack) enter(method string, args ...any) error {
	f.calls[method]++
	if method != "Domains" && method != "Domain" {
		f.log = append(f.log, strings.TrimSpace(method+" "+fmt.Sprint(args...)))
	}
	return f.fail[method]
}

func (f *fakeToolstack) find(ref string) (*toolstack.Domain, error) {
	for i := range f.doms {
		d := &f.doms[i]
		if d.UUID == ref || d.Name == ref || (d.State.Live() && strconv.Itoa(int(d.ID)) == ref) {
			return d, nil
		}
	}
	return nil, fmt.Errorf("fake: domain %s: %w", ref, hypervisor.ErrNoDomain)
}

func clone(d toolstack.Domain) toolstack.Domain {
	d.Disks = slices.Clone(d.Disks)
	d.VIFs = slices.Clone(d.VIFs)
	return d
}

func (f *fakeToolstack) Domains(context.Context) ([]toolstack.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Domains"); err != nil {
		return nil, err
	}
	out := make([]toolstack.Domain, len(f.doms))
	for i, d := range f.doms {
		out[i] = clone(d)
	}
	return out, nil
}

func (f *fakeToolstack) Domain(_ context.Context, ref string) (toolstack.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Domain"); err != nil {
		return toolstack.Domain{}, err
	}
	d, err := f.find(ref)
	if err != nil {
		return toolstack.Domain{}, err
	}
	return clone(*d), nil
}

func (f *fakeToolstack) Define(_ context.Context, cfg toolstack.Config) (toolstack.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Define", cfg.Name); err != nil {
		return toolstack.Domain{}, err
	}
	if _, err := f.find(cfg.Name); err == nil {
		return toolstack.Domain{}, fmt.Errorf("fake: %w", hypervisor.ErrExists)
	}
	if cfg.UUID == "" {
		f.next++
		cfg.UUID = fmt.Sprintf("00000000-0000-0000-0000-%012d", 1000+f.next)
	}
	for i := range cfg.VIFs {
		if cfg.VIFs[i].Index < 0 {
			cfg.VIFs[i].Index = i
		}
	}
	d := toolstack.Domain{Config: cfg, State: hypervisor.Halted, ID: hypervisor.InvalidID}
	f.doms = append(f.doms, d)
	return clone(d), nil
}

func (f *fakeToolstack) Delete(_ context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Delete", ref); err != nil {
		return err
	}
	f.doms = slices.DeleteFunc(f.doms, func(d toolstack.Domain) bool { return d.UUID == ref })
	return nil
}

func (f *fakeToolstack) Modify(_ context.Context, ref string, s toolstack.Settings) (toolstack.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var set []string
	for name, v := range map[string]any{"Name": s.Name, "Kernel": s.Kernel, "Ramdisk": s.Ramdisk, "Label": s.Label} {
		if p := v.(*string); p != nil {
			set = append(set, name+"="+*p)
		}
	}
	if s.MemoryMiB != nil {
		set = append(set, fmt.Sprint("MemoryMiB=", *s.MemoryMiB))
	}
	if s.VCPUs != nil {
		set = append(set, fmt.Sprint("VCPUs=", *s.VCPUs))
	}
	slices.Sort(set)
	if err := f.enter("Modify", ref, " ", strings.Join(set, ",")); err != nil {
		return toolstack.Domain{}, err
	}
	d, err := f.find(ref)
	if err != nil {
		return toolstack.Domain{}, err
	}
	apply(&d.Config, s)
	return clone(*d), nil
}

func (f *fakeToolstack) RequestState(_ context.Context, ref string, to toolstack.Transition) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("RequestState", ref, " ", int(to)); err != nil {
		return err
	}
	_, err := f.find(ref)
	return err
}

func (f *fakeToolstack) AttachDisk(_ context.Context, ref string, dk toolstack.Disk) (toolstack.Disk, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("AttachDisk", ref, " ", dk.Uname, ",", dk.VirtualDevice, ",", dk.Mode); err != nil {
		return toolstack.Disk{}, err
	}
	d, err := f.find(ref)
	if err != nil {
		return toolstack.Disk{}, err
	}
	dk.Resource = "phy:/dev/" + strings.TrimPrefix(dk.Uname, "phy:")
	d.Disks = append(d.Disks, dk)
	return dk, nil
}

func (f *fakeToolstack) AttachVIF(_ context.Context, ref string, v toolstack.VIF) (toolstack.VIF, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("AttachVIF", ref, " ", v.Index, ",", v.MAC, ",", v.Bridge, ",", v.Label); err != nil {
		return toolstack.VIF{}, err
	}
	d, err := f.find(ref)
	if err != nil {
		return toolstack.VIF{}, err
	}
	if v.Index < 0 {
		v.Index = len(d.VIFs)
	}
	if v.MAC == "" {
		v.MAC = "00:16:3e:00:00:99"
	}
	d.VIFs = append(d.VIFs, v)
	return v, nil
}

func (f *fakeToolstack) DetachDisk(_ context.Context, ref, vdev string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("DetachDisk", ref, " ", vdev); err != nil {
		return err
	}
	d, err := f.find(ref)
	if err != nil {
		return err
	}
	n := len(d.Disks)
	d.Disks = slices.DeleteFunc(d.Disks, func(dk toolstack.Disk) bool { return dk.VirtualDevice == vdev })
	if len(d.Disks) == n {
		return fmt.Errorf("fake: %s: %w", vdev, hypervisor.ErrNoDevice)
	}
	return nil
}

func (f *fakeToolstack) DetachVIF(_ context.Context, ref string, index int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("DetachVIF", ref, " ", index); err != nil {
		return err
	}
	d, err := f.find(ref)
	if err != nil {
		return err
	}
	d.VIFs = slices.DeleteFunc(d.VIFs, func(v toolstack.VIF) bool { return v.Index == index })
	return nil
}

func (f *fakeToolstack) ModifyDisk(_ context.Context, ref string, dk toolstack.Disk) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enter("ModifyDisk", ref, " ", dk.Uname, ",", dk.VirtualDevice, ",", dk.Mode)
}

func (f *fakeToolstack) SetVIFLabel(_ context.Context, ref string, index int, label, old string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enter("SetVIFLabel", ref, " ", index, ",", label, ",", old)
}

// The domains of the tests: Domain-0 running, web running with a disk and two
// VIFs, db halted with a disk, mail paused, old suspended.
const (
	uuid0    = "00000000-0000-0000-0000-000000000000"
	uuidWeb  = "11111111-1111-1111-1111-111111111111"
	uuidDB   = "22222222-2222-2222-2222-222222222222"
	uuidMail = "33333333-3333-3333-3333-333333333333"
	uuidOld  = "44444444-4444-4444-4444-444444444444"
)

func testDomains() []toolstack.Domain {
	return []toolstack.Domain{
		{Config: toolstack.Config{Name: "Domain-0", UUID: uuid0, MemoryMiB: 1024, VCPUs: 2, Label: "ACM:DEFAULT:SystemManagement"},
			State: hypervisor.Running, ID: 0, SSIDRef: 0x10001, EffectiveLabel: "ACM:DEFAULT:SystemManagement"},
		{Config: toolstack.Config{Name: "web", UUID: uuidWeb, Kernel: "/boot/vmlinuz", Ramdisk: "/boot/initrd", MemoryMiB: 256, VCPUs: 1,
			Label: "ACM:acme:web",
			Disks: []toolstack.Disk{{Uname: "phy:sdb1", Resource: "phy:/dev/sdb1", VirtualDevice: "xvda1", Mode: "w"}},
			VIFs:  []toolstack.VIF{{Index: 0, MAC: "00:16:3e:00:00:01", Bridge: "xenbr0", Label: "ACM:acme:net"}, {Index: 1, MAC: "00:16:3e:00:00:02", Bridge: "vlan:12"}}},
			State: hypervisor.Running, ID: 3, SSIDRef: 0x20002, EffectiveLabel: "ACM:acme:web"},
		{Config: toolstack.Config{Name: "db", UUID: uuidDB, Kernel: "/boot/vmlinuz", MemoryMiB: 512, VCPUs: 2,
			Disks: []toolstack.Disk{{Uname: "file:/srv/db.img", Resource: "file:/srv/db.img", VirtualDevice: "xvda", Mode: "r"}}},
			State: hypervisor.Halted, ID: hypervisor.InvalidID, EffectiveLabel: "ACM:acme:__UNLABELED__"},
		{Config: toolstack.Config{Name: "mail", UUID: uuidMail, MemoryMiB: 128, VCPUs: 1, Label: "ACM:acme:mail"},
			State: hypervisor.Paused, ID: 5, SSIDRef: 0x30003, EffectiveLabel: "ACM:acme:mail"},
		{Config: toolstack.Config{Name: "old", UUID: uuidOld, MemoryMiB: 128, VCPUs: 1, Label: "ACM:acme:mail"},
			State: hypervisor.Suspended, ID: hypervisor.InvalidID, EffectiveLabel: "ACM:acme:mail"},
	}
}

var securityService = &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_SecurityService", Keys: []cim.KeyBinding{
	{Name: "SystemCreationClassName", Value: "Xen_HostSystem"},
	{Name: "SystemName", Value: "host1"},
	{Name: "CreationClassName", Value: "Xen_SecurityService"},
	{Name: "Name", Value: "sHype"},
}}

// compiled is the embedded schema, compiled once for all tests.
var compiled = sync.OnceValues(func() ([]*compile.Result, error) { return schema.Compile("") })

func lookup(t testing.TB) func(ns, class string) *cim.Class {
	t.Helper()
	results, err := compiled()
	if err != nil {
		t.Fatalf("schema.Compile: %v", err)
	}
	return func(_, class string) *cim.Class {
		for _, r := range results {
			if c := r.Class("root/cimv2", class); c != nil {
				return c
			}
		}
		return nil
	}
}

// newTestProvider returns a provider over a fake holding testDomains, on host1,
// hosting the security service too, with the embedded schema's classes.
func newTestProvider(t testing.TB) (*Provider, *fakeToolstack) {
	t.Helper()
	f := newFake(testDomains()...)
	p := New(Options{
		Toolstack: f,
		HostName:  "host1",
		Services: func(context.Context) ([]*cim.ObjectPath, error) {
			return []*cim.ObjectPath{securityService}, nil
		},
		Lookup: lookup(t),
	})
	return p, f
}

func collect(t testing.TB, seq func(func(*cim.Instance, error) bool)) []*cim.Instance {
	t.Helper()
	var out []*cim.Instance
	for inst, err := range seq {
		if err != nil {
			t.Fatalf("sequence: %v", err)
		}
		out = append(out, inst)
	}
	return out
}

func statusOf(t testing.TB, err error) cim.Status {
	t.Helper()
	if err == nil {
		return cim.StatusOK
	}
	if _, ok := err.(*cim.Error); !ok {
		t.Fatalf("error %v (%T) is not a *cim.Error", err, err)
	}
	return cim.StatusOf(err)
}

func value(t testing.TB, inst *cim.Instance, name string) any {
	t.Helper()
	p := inst.Property(name)
	if p == nil {
		t.Fatalf("instance of %s has no property %s", inst.ClassName, name)
	}
	return p.Value
}

// pathOf returns the path of inst from its class's keys.
func pathOf(t testing.TB, p *Provider, inst *cim.Instance) *cim.ObjectPath {
	t.Helper()
	c := p.lookup(Namespace, inst.ClassName)
	if c == nil {
		t.Fatalf("no class %s", inst.ClassName)
	}
	return inst.Path(Namespace, c)
}

func embedded(class string, props ...cim.Property) *cim.Instance {
	return &cim.Instance{ClassName: class, Properties: props}
}

func sp(name string, v any) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeOf(v), Value: v}
}
