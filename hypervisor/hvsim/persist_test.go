package hvsim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
)

// dump returns everything a restart must keep, as text.
func dump(t *testing.T, h *HV) string {
	t.Helper()
	doms, err := h.Domains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := h.EventChannels(ctx)
	gs, _ := h.Grants(ctx)
	return fmt.Sprintf("%+v\n%+v\n%+v", doms, evs, gs)
}

// populate builds a host: a running with an extra channel to b, b paused, c
// suspended, d halted with a label and devices, Domain-0 labeled.
func populate(t *testing.T, h *HV) {
	t.Helper()
	for _, n := range []string{"a", "b", "c", "d"} {
		cfg := hypervisor.Config{Name: n, MemoryMiB: 128, Label: "ACM:test:" + n,
			Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda", Resource: "phy:/dev/" + n, Mode: "w"}}}
		if _, err := h.Create(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	a := start(t, h, "a", sA)
	b := start(t, h, "b", sC)
	start(t, h, "c", sA)
	for _, err := range []error{
		h.Pause(ctx, "b"),
		h.Suspend(ctx, "c"),
		h.SetLabels(ctx, map[string]string{hypervisor.Domain0Name: "ACM:test:SystemManagement"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.BindEventChannel(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := h.MapGrant(ctx, b, a); err != nil {
		t.Fatal(err)
	}
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(Config{Dir: dir, ACM: newFake(testTypes())})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, h)
	want := dump(t, h)

	f := newFake(testTypes())
	h2, err := Open(Config{Dir: dir, ACM: f})
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, h2); got != want {
		t.Errorf("after a restart:\n%s\nwant\n%s", got, want)
	}
	if calls := f.takeCalls(); !slices.Equal(calls, []string{"create 0 0x10001", "create 1 0x20002", "create 2 0x40004"}) {
		t.Errorf("replayed hooks %v", calls)
	}
	if len(h2.RestoreErrors()) != 0 {
		t.Errorf("restore errors %v", h2.RestoreErrors())
	}
	// The next start takes the next id, and new channels the next ports.
	if id := start(t, h2, "d", sA); id != 4 {
		t.Errorf("next id %d, want 4 (c's 3 was used before the suspend)", id)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 {
		t.Errorf("data directory holds %v, want the two state files only", files)
	}
}

func TestRestartRefused(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(Config{Dir: dir, ACM: newFake(testTypes())})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, h)
	f := newFake(testTypes())
	f.deny[sC] = true // b's label is now in conflict
	h2, err := Open(Config{Dir: dir, ACM: f})
	if err != nil {
		t.Fatal(err)
	}
	errs := h2.RestoreErrors()
	if len(errs) != 1 || !errors.Is(errs[0], hypervisor.ErrDenied) {
		t.Errorf("restore errors %v", errs)
	}
	b, _ := h2.Domain(ctx, "b")
	if b.State != hypervisor.Halted {
		t.Errorf("refused b is %v", b.State)
	}
	evs, _ := h2.EventChannels(ctx)
	gs, _ := h2.Grants(ctx)
	if len(evs) != 1 || len(gs) != 1 {
		t.Errorf("channels of the halted domain survived: %v %v", evs, gs)
	}
}

func TestResetHost(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(Config{Dir: dir, ACM: newFake(testTypes())})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, h)
	check := func(h *HV) {
		t.Helper()
		doms, _ := h.Domains(ctx)
		for _, d := range doms[1:] {
			if d.State != hypervisor.Halted || d.Label != "ACM:test:"+d.Name || len(d.Devices) != 1 {
				t.Errorf("after a host boot %+v", d)
			}
		}
		if doms[0].SSIDRef != 0x00010001 || doms[0].Label != "ACM:test:SystemManagement" {
			t.Errorf("Domain-0 %+v", doms[0])
		}
		evs, _ := h.EventChannels(ctx)
		if len(evs) != 0 || stats(h) != (hypervisor.Stats{}) {
			t.Errorf("channels %v, stats %+v", evs, stats(h))
		}
	}
	f := newFake(testTypes())
	h2, err := Open(Config{Dir: dir, ACM: f, ResetHost: true})
	if err != nil {
		t.Fatal(err)
	}
	check(h2)
	if calls := f.takeCalls(); !slices.Equal(calls, []string{"create 0 0x10001"}) {
		t.Errorf("hooks %v", calls)
	}
	// ResetHost on a live hypervisor destroys every guest through the hook.
	f = newFake(testTypes())
	h3, err := Open(Config{Dir: t.TempDir(), ACM: f})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, h3)
	if err := h3.ResetHost(ctx); err != nil {
		t.Fatal(err)
	}
	check(h3)
	f.mu.Lock()
	live := len(f.live)
	f.mu.Unlock()
	if live != 1 {
		t.Errorf("the ACM still counts %d domains, want Domain-0 only", live)
	}
}

func TestCorrupt(t *testing.T) {
	tests := []struct{ file, text string }{
		{defsFile, "{"},
		{defsFile, `{"version":1,"domains":[{"Name":""}]}`},
		{defsFile, `{"version":1,"domains":[{"Name":"a"},{"Name":"a"}]}`},
		{runFile, `{"version":1,"nextId":1,"domains":[{"name":"x","state":1,"id":3}]}`},
		{runFile, `{"version":1,"nextId":1,"domains":[{"name":"Domain-0","state":1},{"name":"ghost","state":1,"id":1}]}`},
		{runFile, `{"version":1,"nextId":1,"domains":[{"name":"Domain-0","state":1,"ports":[{"Port":1,"RemotePort":1,"Remote":5}]}]}`},
		{runFile, `{"unknown":1}`},
		{snapFile, `{"version":1,"domains":[]}`},
		{snapFile, `{"version":2,"seq":3,"domains":[{"Name":"a"},{"Name":"a"}],"nextId":1}`},
		{snapFile, `{"version":2,"seq":3,"domains":[],"nextId":1,"running":[{"name":"ghost","state":1,"id":1}]}`},
		{walFile, "\x05\x00\x00\x00garbage and more"},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(Config{Dir: dir}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s %s: Open = %v, want ErrCorrupt", tc.file, tc.text, err)
		}
	}
}

func TestWriteFails(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Create(ctx, hypervisor.Config{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	// Folders in the way of the journal and the snapshot make appending and
	// compacting fail.
	for _, name := range []string{walFile, snapFile} {
		os.Remove(filepath.Join(dir, name))
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name, "x"), nil, 0o600)
	}
	if _, err := h.Create(ctx, hypervisor.Config{Name: "b"}); err == nil {
		t.Fatal("Create succeeded without its file")
	}
	if _, err := h.Domain(ctx, "b"); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("failed Create left b: %v", err)
	}
	if err := h.SetLabels(ctx, map[string]string{"a": "ACM:x:y"}); err == nil {
		t.Error("SetLabels succeeded without its file")
	}
	if d, _ := h.Domain(ctx, "a"); d.Label != "" {
		t.Errorf("failed SetLabels left label %q", d.Label)
	}
	// A start whose write fails is undone.
	if err := h.Start(ctx, "a", hypervisor.StartOptions{}); err == nil {
		t.Error("Start succeeded without its file")
	}
	if d, _ := h.Domain(ctx, "a"); d.State != hypervisor.Halted {
		t.Errorf("failed Start left a %v", d.State)
	}
	// Once the files can be written again, the next change records everything.
	for _, name := range []string{walFile, snapFile} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Create(ctx, hypervisor.Config{Name: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(ctx, "c", hypervisor.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	want := dump(t, h)
	r, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, r); got != want {
		t.Errorf("after a restart\n%s\nwant\n%s", got, want)
	}
}

// TestModifyPersists checks that a modified definition (renamed, with boot images and
// a device's uname) is what a restart reads back, under the new name only.
func TestModifyPersists(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.Create(ctx, hypervisor.Config{Name: "old"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := hypervisor.Config{Name: "new", UUID: d.UUID, Kernel: "/boot/k", Ramdisk: "/boot/r", Label: "ACM:p:l",
		Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda", Resource: "phy:/dev/sda1", Uname: "phy:sda1", Mode: "r"}}}
	if err := h.Modify(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	want := dump(t, h)
	r, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, r); got != want {
		t.Errorf("after a restart\n%s\nwant\n%s", got, want)
	}
	got, err := r.Domain(ctx, "new")
	if err != nil || got.Kernel != "/boot/k" || got.Devices[0].Uname != "phy:sda1" || got.UUID != d.UUID {
		t.Errorf("restored %+v, %v", got, err)
	}
	if _, err := r.Domain(ctx, "old"); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("old name after a restart: %v", err)
	}
}
