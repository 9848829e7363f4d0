// Package hypervisortest is the conformance suite of the hypervisor contract: every
// backend runs Run from its own tests, as go-tpm's transports run transport/test.
package hypervisortest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
)

// Run runs the suite. newHV returns a fresh backend, with only Domain-0 and an access
// control module that permits everything; each subtest calls it once. Parts that
// need an optional interface the backend lacks are skipped.
func Run(t *testing.T, newHV func(t *testing.T) hypervisor.Hypervisor) {
	tests := []struct {
		name string
		fn   func(*testing.T, hypervisor.Hypervisor)
	}{
		{"Domain0", testDomain0},
		{"NoDomain", testNoDomain},
		{"CreateDelete", testCreateDelete},
		{"Lifecycle", testLifecycle},
		{"StartCheckDevice", testStartCheckDevice},
		{"Devices", testDevices},
		{"Labels", testLabels},
		{"Modify", testModify},
		{"Channels", testChannels},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newHV(t)) })
	}
}

func creator(t *testing.T, hv hypervisor.Hypervisor) hypervisor.Creator {
	t.Helper()
	c, ok := hv.(hypervisor.Creator)
	if !ok {
		t.Skip("backend defines no domains (no hypervisor.Creator)")
	}
	return c
}

func mustCreate(t *testing.T, hv hypervisor.Hypervisor, cfg hypervisor.Config) {
	t.Helper()
	if _, err := creator(t, hv).Create(context.Background(), cfg); err != nil {
		t.Fatalf("Create(%s): %v", cfg.Name, err)
	}
}

func get(t *testing.T, hv hypervisor.Hypervisor, name string) hypervisor.Domain {
	t.Helper()
	d, err := hv.Domain(context.Background(), name)
	if err != nil {
		t.Fatalf("Domain(%s): %v", name, err)
	}
	return d
}

func testDomain0(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	doms, err := hv.Domains(ctx)
	if err != nil || len(doms) == 0 {
		t.Fatalf("Domains = %v, %v", doms, err)
	}
	d0 := doms[0]
	if d0.Name != hypervisor.Domain0Name || d0.ID != hypervisor.Dom0 || d0.State != hypervisor.Running {
		t.Errorf("first domain = %+v, want Domain-0, id 0, Running", d0)
	}
	if d, err := hv.DomainByID(ctx, hypervisor.Dom0); err != nil || d.Name != hypervisor.Domain0Name {
		t.Errorf("DomainByID(0) = %v, %v", d.Name, err)
	}
	ops := map[string]func() error{
		"Start":    func() error { return hv.Start(ctx, hypervisor.Domain0Name, hypervisor.StartOptions{}) },
		"Pause":    func() error { return hv.Pause(ctx, hypervisor.Domain0Name) },
		"Unpause":  func() error { return hv.Unpause(ctx, hypervisor.Domain0Name) },
		"Suspend":  func() error { return hv.Suspend(ctx, hypervisor.Domain0Name) },
		"Resume":   func() error { return hv.Resume(ctx, hypervisor.Domain0Name, hypervisor.StartOptions{}) },
		"Shutdown": func() error { return hv.Shutdown(ctx, hypervisor.Domain0Name) },
		"Destroy":  func() error { return hv.Destroy(ctx, hypervisor.Domain0Name) },
	}
	if c, ok := hv.(hypervisor.Creator); ok {
		ops["Delete"] = func() error { return c.Delete(ctx, hypervisor.Domain0Name) }
		ops["Create"] = func() error {
			_, err := c.Create(ctx, hypervisor.Config{Name: hypervisor.Domain0Name})
			return err
		}
	}
	for name, op := range ops {
		err := op()
		if !errors.Is(err, hypervisor.ErrDomain0) && !errors.Is(err, hypervisor.ErrInvalid) {
			t.Errorf("%s(Domain-0) = %v, want ErrDomain0 or ErrInvalid", name, err)
		}
	}
	if d := get(t, hv, hypervisor.Domain0Name); d.State != hypervisor.Running || d.ID != 0 {
		t.Errorf("Domain-0 after refused operations: %+v", d)
	}
}

func testNoDomain(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	const n = "no-such-domain"
	ops := map[string]func() error{
		"Domain": func() error { _, err := hv.Domain(ctx, n); return err },
		"DomainByID": func() error {
			_, err := hv.DomainByID(ctx, hypervisor.FirstReservedID-1)
			return err
		},
		"Start":    func() error { return hv.Start(ctx, n, hypervisor.StartOptions{}) },
		"Pause":    func() error { return hv.Pause(ctx, n) },
		"Unpause":  func() error { return hv.Unpause(ctx, n) },
		"Suspend":  func() error { return hv.Suspend(ctx, n) },
		"Resume":   func() error { return hv.Resume(ctx, n, hypervisor.StartOptions{}) },
		"Shutdown": func() error { return hv.Shutdown(ctx, n) },
		"Destroy":  func() error { return hv.Destroy(ctx, n) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, hypervisor.ErrNoDomain) {
			t.Errorf("%s = %v, want ErrNoDomain", name, err)
		}
	}
}

func testCreateDelete(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	c := creator(t, hv)
	cfg := hypervisor.Config{Name: "web", MemoryMiB: 256, VCPUs: 1, Label: "ACM:acme:web",
		Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda", Resource: "phy:/dev/sda1", Mode: "w"}}}
	d, err := c.Create(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != hypervisor.Halted || d.ID != hypervisor.InvalidID || d.SSIDRef != 0 || d.UUID == "" || d.Label != cfg.Label || len(d.Devices) != 1 {
		t.Errorf("created %+v", d)
	}
	bad := []struct {
		cfg  hypervisor.Config
		want error
	}{
		{cfg, hypervisor.ErrExists},
		{hypervisor.Config{}, hypervisor.ErrInvalid},
		{hypervisor.Config{Name: "twice", Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda"}, {Kind: hypervisor.Block, Name: "xvda"}}}, hypervisor.ErrInvalid},
		{hypervisor.Config{Name: "nodev", Devices: []hypervisor.Device{{Kind: hypervisor.Block}}}, hypervisor.ErrInvalid},
	}
	for _, b := range bad {
		if _, err := c.Create(ctx, b.cfg); !errors.Is(err, b.want) {
			t.Errorf("Create(%+v) = %v, want %v", b.cfg, err, b.want)
		}
	}
	doms, _ := hv.Domains(ctx)
	if names := domainNames(doms); !slices.Equal(names, []string{hypervisor.Domain0Name, "web"}) {
		t.Errorf("Domains = %v", names)
	}
	if err := hv.Start(ctx, "web", hypervisor.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "web"); !errors.Is(err, hypervisor.ErrBadState) {
		t.Errorf("Delete(running) = %v, want ErrBadState", err)
	}
	if err := hv.Destroy(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := hv.Domain(ctx, "web"); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("Domain after Delete = %v", err)
	}
}

func domainNames(doms []hypervisor.Domain) []string {
	var out []string
	for _, d := range doms {
		out = append(out, d.Name)
	}
	return out
}

// testLifecycle walks every operation from every state.
func testLifecycle(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	mustCreate(t, hv, hypervisor.Config{Name: "g"})
	start := func() error { return hv.Start(ctx, "g", hypervisor.StartOptions{SSIDRef: 0x00020002}) }
	resume := func() error { return hv.Resume(ctx, "g", hypervisor.StartOptions{SSIDRef: 0x00020002}) }
	ops := []struct {
		name string
		fn   func() error
		// to: state reached from each state, -1 where the operation is refused.
		to map[hypervisor.State]hypervisor.State
	}{
		{"Start", start, map[hypervisor.State]hypervisor.State{hypervisor.Halted: hypervisor.Running}},
		{"Pause", func() error { return hv.Pause(ctx, "g") }, map[hypervisor.State]hypervisor.State{hypervisor.Running: hypervisor.Paused}},
		{"Unpause", func() error { return hv.Unpause(ctx, "g") }, map[hypervisor.State]hypervisor.State{hypervisor.Paused: hypervisor.Running}},
		{"Suspend", func() error { return hv.Suspend(ctx, "g") }, map[hypervisor.State]hypervisor.State{hypervisor.Running: hypervisor.Suspended}},
		{"Resume", resume, map[hypervisor.State]hypervisor.State{hypervisor.Suspended: hypervisor.Running}},
		{"Shutdown", func() error { return hv.Shutdown(ctx, "g") }, map[hypervisor.State]hypervisor.State{hypervisor.Running: hypervisor.Halted}},
		{"Destroy", func() error { return hv.Destroy(ctx, "g") }, map[hypervisor.State]hypervisor.State{
			hypervisor.Running: hypervisor.Halted, hypervisor.Paused: hypervisor.Halted, hypervisor.Suspended: hypervisor.Halted}},
	}
	// reach puts g into s from any state.
	reach := func(s hypervisor.State) {
		t.Helper()
		if get(t, hv, "g").State != hypervisor.Halted {
			if err := hv.Destroy(ctx, "g"); err != nil {
				t.Fatal(err)
			}
		}
		steps := map[hypervisor.State][]func() error{
			hypervisor.Running:   {start},
			hypervisor.Paused:    {start, func() error { return hv.Pause(ctx, "g") }},
			hypervisor.Suspended: {start, func() error { return hv.Suspend(ctx, "g") }},
		}
		for _, step := range steps[s] {
			if err := step(); err != nil {
				t.Fatalf("reaching %v: %v", s, err)
			}
		}
	}
	lastID := hypervisor.InvalidID
	for _, op := range ops {
		for _, from := range []hypervisor.State{hypervisor.Halted, hypervisor.Running, hypervisor.Paused, hypervisor.Suspended} {
			reach(from)
			before := get(t, hv, "g")
			err := op.fn()
			after := get(t, hv, "g")
			want, ok := op.to[from]
			switch {
			case !ok && !errors.Is(err, hypervisor.ErrBadState):
				t.Errorf("%s from %v = %v, want ErrBadState", op.name, from, err)
			case !ok && after.State != from:
				t.Errorf("refused %s from %v changed the state to %v", op.name, from, after.State)
			case ok && err != nil:
				t.Errorf("%s from %v: %v", op.name, from, err)
			case ok && after.State != want:
				t.Errorf("%s from %v reached %v, want %v", op.name, from, after.State, want)
			}
			if after.State.Live() != (after.ID != hypervisor.InvalidID) {
				t.Errorf("%s from %v: state %v with id %d", op.name, from, after.State, after.ID)
			}
			if after.State.Live() && after.SSIDRef != 0x00020002 {
				t.Errorf("%s from %v: ssidref %#x", op.name, from, after.SSIDRef)
			}
			if ok && !before.State.Live() && after.State.Live() {
				if after.ID == lastID || after.ID == hypervisor.Dom0 {
					t.Errorf("%s from %v reused id %d", op.name, from, after.ID)
				}
				lastID = after.ID
				if d, err := hv.DomainByID(ctx, after.ID); err != nil || d.Name != "g" {
					t.Errorf("DomainByID(%d) = %v, %v", after.ID, d.Name, err)
				}
			}
		}
	}
}

func testStartCheckDevice(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	devs := []hypervisor.Device{
		{Kind: hypervisor.Block, Name: "xvda", Resource: "phy:/dev/sda1", Mode: "w"},
		{Kind: hypervisor.Block, Name: "xvdb", Resource: "phy:/dev/sdb1", Mode: "r"},
		{Kind: hypervisor.Network, Name: "0", Resource: "xenbr0", MAC: "00:16:3e:00:00:01"},
	}
	mustCreate(t, hv, hypervisor.Config{Name: "g", Devices: devs})
	before, _ := hv.Domains(ctx)
	errNo := errors.New("VM's access to block device 'phy:/dev/sdb1' denied")
	var seen []string
	err := hv.Start(ctx, "g", hypervisor.StartOptions{SSIDRef: 0x00020002, CheckDevice: func(d hypervisor.Device) error {
		seen = append(seen, d.Name)
		if d.Name == "xvdb" {
			return errNo
		}
		return nil
	}})
	if !errors.Is(err, errNo) {
		t.Fatalf("Start = %v, want the check's error", err)
	}
	if !slices.Equal(seen, []string{"xvda", "xvdb"}) {
		t.Errorf("checked %v, want xvda, xvdb in order and nothing after the refusal", seen)
	}
	after, _ := hv.Domains(ctx)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("refused start left a trace:\n%v\n%v", before, after)
	}
	if ch, ok := hv.(hypervisor.Channels); ok {
		evs, _ := ch.EventChannels(ctx)
		gs, _ := ch.Grants(ctx)
		if len(evs) != 0 || len(gs) != 0 {
			t.Errorf("refused start left channels %v %v", evs, gs)
		}
	}
	seen = nil
	if err := hv.Start(ctx, "g", hypervisor.StartOptions{CheckDevice: func(d hypervisor.Device) error {
		seen = append(seen, d.Name)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"xvda", "xvdb", "0"}) {
		t.Errorf("checked %v", seen)
	}
}

func testDevices(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	dv, ok := hv.(hypervisor.Devices)
	if !ok {
		t.Skip("backend has no hypervisor.Devices")
	}
	mustCreate(t, hv, hypervisor.Config{Name: "g"})
	if err := hv.Start(ctx, "g", hypervisor.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	disk := hypervisor.Device{Kind: hypervisor.Block, Name: "xvdc", Resource: "file:/srv/data.img", Mode: "w"}
	errNo := errors.New("denied")
	if err := dv.AttachDevice(ctx, "g", disk, func(hypervisor.Device) error { return errNo }); !errors.Is(err, errNo) {
		t.Fatalf("refused attach = %v", err)
	}
	if d := get(t, hv, "g"); d.State != hypervisor.Running || len(d.Devices) != 0 {
		t.Errorf("after a refused attach: %v with %v, want Running without the device", d.State, d.Devices)
	}
	if err := dv.AttachDevice(ctx, "g", disk, nil); err != nil {
		t.Fatal(err)
	}
	if err := dv.AttachDevice(ctx, "g", disk, nil); !errors.Is(err, hypervisor.ErrInvalid) {
		t.Errorf("attach twice = %v, want ErrInvalid", err)
	}
	nic := hypervisor.Device{Kind: hypervisor.Network, Name: "xvdc", Resource: "vlan:12", Label: "ACM:acme:net"}
	if err := dv.AttachDevice(ctx, "g", nic, nil); err != nil {
		t.Errorf("a vif may share a vbd's name: %v", err)
	}
	if d := get(t, hv, "g"); !slices.Equal(d.Devices, []hypervisor.Device{disk, nic}) {
		t.Errorf("devices = %v", d.Devices)
	}
	if err := dv.DetachDevice(ctx, "g", hypervisor.Block, "xvdc"); err != nil {
		t.Fatal(err)
	}
	if err := dv.DetachDevice(ctx, "g", hypervisor.Block, "xvdc"); !errors.Is(err, hypervisor.ErrNoDevice) {
		t.Errorf("detach twice = %v, want ErrNoDevice", err)
	}
	if d := get(t, hv, "g"); !slices.Equal(d.Devices, []hypervisor.Device{nic}) {
		t.Errorf("devices after detach = %v", d.Devices)
	}
	if err := dv.AttachDevice(ctx, "nope", disk, nil); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("attach to missing domain = %v", err)
	}
}

func testLabels(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	c := creator(t, hv)
	mustCreate(t, hv, hypervisor.Config{Name: "a", Label: "ACM:p:a"})
	mustCreate(t, hv, hypervisor.Config{Name: "b"})
	if err := c.SetLabels(ctx, map[string]string{"a": "ACM:q:x", "missing": "ACM:q:y"}); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Fatalf("SetLabels with a missing domain = %v", err)
	}
	if l := get(t, hv, "a").Label; l != "ACM:p:a" {
		t.Errorf("refused SetLabels changed a's label to %q", l)
	}
	want := map[string]string{"a": "INV_ACM:p:a", "b": "ACM:q:b", hypervisor.Domain0Name: "ACM:q:SystemManagement"}
	if err := c.SetLabels(ctx, want); err != nil {
		t.Fatal(err)
	}
	for n, l := range want {
		if got := get(t, hv, n).Label; got != l {
			t.Errorf("label of %s = %q, want %q", n, got, l)
		}
	}
}

func testChannels(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	ch, ok := hv.(hypervisor.Channels)
	if !ok {
		t.Skip("backend has no hypervisor.Channels")
	}
	mustCreate(t, hv, hypervisor.Config{Name: "a"})
	mustCreate(t, hv, hypervisor.Config{Name: "b"})
	for _, n := range []string{"a", "b"} {
		if err := hv.Start(ctx, n, hypervisor.StartOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := get(t, hv, "a").ID, get(t, hv, "b").ID
	evs, _ := ch.EventChannels(ctx)
	gs, _ := ch.Grants(ctx)
	for _, id := range []hypervisor.DomainID{a, b} {
		if n := countEv(evs, hypervisor.Dom0, id); n != 1 {
			t.Errorf("guest %d has %d event channels with Domain-0, want 1", id, n)
		}
		if !slices.ContainsFunc(gs, func(g hypervisor.Grant) bool {
			return g.Mapper == hypervisor.Dom0 && g.Granter == id || g.Mapper == id && g.Granter == hypervisor.Dom0
		}) {
			t.Errorf("guest %d has no grant mapping with Domain-0: %v", id, gs)
		}
	}
	e, err := ch.BindEventChannel(ctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if e.Domain != a || e.Remote != b {
		t.Errorf("channel %+v", e)
	}
	g, err := ch.MapGrant(ctx, b, a)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ = ch.EventChannels(ctx)
	if countEv(evs, a, b) != 1 {
		t.Errorf("channels %v lack a-b", evs)
	}
	if err := ch.CloseEventChannel(ctx, b, e.RemotePort); err != nil {
		t.Errorf("close from the remote end: %v", err)
	}
	if err := ch.CloseEventChannel(ctx, a, e.Port); !errors.Is(err, hypervisor.ErrNoChannel) {
		t.Errorf("close a closed channel = %v, want ErrNoChannel", err)
	}
	if err := ch.UnmapGrant(ctx, b, g.Handle); err != nil {
		t.Error(err)
	}
	if err := ch.UnmapGrant(ctx, b, g.Handle); !errors.Is(err, hypervisor.ErrNoChannel) {
		t.Errorf("unmap twice = %v, want ErrNoChannel", err)
	}
	if _, err := ch.BindEventChannel(ctx, a, hypervisor.FirstReservedID-1); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("bind to a missing domain = %v", err)
	}
	if _, err := ch.BindEventChannel(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.MapGrant(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if err := hv.Destroy(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	evs, _ = ch.EventChannels(ctx)
	gs, _ = ch.Grants(ctx)
	for _, e := range evs {
		if e.Domain == b || e.Remote == b {
			t.Errorf("channel %+v of a destroyed domain", e)
		}
	}
	for _, g := range gs {
		if g.Mapper == b || g.Granter == b {
			t.Errorf("grant %+v of a destroyed domain", g)
		}
	}
	if countEv(evs, hypervisor.Dom0, a) != 1 {
		t.Errorf("a lost its Domain-0 channel: %v", evs)
	}
}

func countEv(evs []hypervisor.EventChannel, x, y hypervisor.DomainID) int {
	n := 0
	for _, e := range evs {
		if e.Domain == x && e.Remote == y || e.Domain == y && e.Remote == x {
			n++
		}
	}
	return n
}

// testConcurrent runs lifecycles of several domains at once; -race judges it.
func testConcurrent(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	const n = 4
	for i := range n {
		mustCreate(t, hv, hypervisor.Config{Name: fmt.Sprint("c", i)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprint("c", i)
			for range 10 {
				for _, op := range []func() error{
					func() error { return hv.Start(ctx, name, hypervisor.StartOptions{}) },
					func() error { return hv.Pause(ctx, name) },
					func() error { _, err := hv.Domains(ctx); return err },
					func() error { return hv.Destroy(ctx, name) },
				} {
					if err := op(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	doms, _ := hv.Domains(ctx)
	for _, d := range doms[1:] {
		if d.State != hypervisor.Halted {
			t.Errorf("%s is %v", d.Name, d.State)
		}
	}
}

func testModify(t *testing.T, hv hypervisor.Hypervisor) {
	ctx := context.Background()
	c := creator(t, hv)
	d, err := c.Create(ctx, hypervisor.Config{Name: "m", Kernel: "/boot/vmlinuz", Label: "ACM:p:a",
		Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda", Resource: "phy:/dev/sda1", Uname: "phy:sda1", Mode: "w"}}})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, hv, hypervisor.Config{Name: "other"})
	next := hypervisor.Config{Name: "m2", UUID: strings.ToUpper(d.UUID), Kernel: "/boot/k2", Ramdisk: "/boot/rd", MemoryMiB: 512, VCPUs: 2, Label: "ACM:p:b",
		Devices: []hypervisor.Device{{Kind: hypervisor.Network, Name: "0", Resource: "xenbr0", MAC: "00:16:3e:00:00:01"}}}
	bad := []struct {
		name string
		cfg  hypervisor.Config
		want error
	}{
		{"unknown uuid", hypervisor.Config{Name: "x", UUID: "no-such-uuid"}, hypervisor.ErrNoDomain},
		{"Domain-0", hypervisor.Config{Name: "x", UUID: get(t, hv, hypervisor.Domain0Name).UUID}, hypervisor.ErrDomain0},
		{"name in use", hypervisor.Config{Name: "other", UUID: d.UUID}, hypervisor.ErrExists},
		{"empty name", hypervisor.Config{UUID: d.UUID}, hypervisor.ErrInvalid},
		{"duplicate device", hypervisor.Config{Name: "m", UUID: d.UUID, Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda"}, {Kind: hypervisor.Block, Name: "xvda"}}}, hypervisor.ErrInvalid},
	}
	for _, b := range bad {
		if err := c.Modify(ctx, b.cfg); !errors.Is(err, b.want) {
			t.Errorf("Modify(%s) = %v, want %v", b.name, err, b.want)
		}
	}
	if got := get(t, hv, "m"); got.Kernel != "/boot/vmlinuz" || got.Label != "ACM:p:a" || len(got.Devices) != 1 || got.Devices[0].Uname != "phy:sda1" {
		t.Errorf("refused Modify changed the domain: %+v", got)
	}
	if err := c.Modify(ctx, next); err != nil {
		t.Fatal(err)
	}
	if _, err := hv.Domain(ctx, "m"); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("old name after a rename: %v", err)
	}
	got := get(t, hv, "m2")
	if got.UUID != d.UUID || got.Kernel != next.Kernel || got.Ramdisk != next.Ramdisk || got.MemoryMiB != 512 || got.VCPUs != 2 ||
		got.Label != next.Label || !slices.Equal(got.Devices, next.Devices) || got.State != hypervisor.Halted {
		t.Errorf("after Modify: %+v", got)
	}
	if err := hv.Start(ctx, "m2", hypervisor.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Modify(ctx, hypervisor.Config{Name: "m3", UUID: d.UUID}); !errors.Is(err, hypervisor.ErrBadState) {
		t.Errorf("Modify(running) = %v, want ErrBadState", err)
	}
}
