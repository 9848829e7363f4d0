package hvsim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
)

// persisted returns what a restart from a copy of dir reads back; the copy keeps
// Open's compaction from changing dir.
func persisted(t *testing.T, dir string) string {
	t.Helper()
	cp := t.TempDir()
	for _, name := range []string{snapFile, walFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cp, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fk := newFake(fuzzPolicies["p0"])
	for k, v := range fuzzPolicies {
		fk.policies[k] = v
	}
	r, err := Open(Config{Dir: cp, ACM: fk})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	return snapshot(r)
}

func walSize(t *testing.T, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, walFile))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func lowCompaction(t *testing.T, n int64) {
	old := minCompact
	minCompact = n
	t.Cleanup(func() { minCompact = old })
}

// TestJournalReplay runs random operations of every kind on a persisted hypervisor,
// with compactions every few changes, and checks after each that a restart reads
// back exactly the state the hypervisor holds: every change recorded the running
// state of every domain it touched.
func TestJournalReplay(t *testing.T) {
	lowCompaction(t, 2048)
	dir := t.TempDir()
	fk := newFake(fuzzPolicies["p0"])
	for k, v := range fuzzPolicies {
		fk.policies[k] = v
	}
	h, err := Open(Config{Dir: dir, ACM: fk})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"g0", "g1", "g2", "g3"}
	for _, n := range names {
		if _, err := h.Create(ctx, hypervisor.Config{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	id := func(i int) hypervisor.DomainID {
		if i%5 == 4 {
			return hypervisor.Dom0
		}
		d, _ := h.Domain(ctx, names[i%4])
		return d.ID
	}
	rng := rand.New(rand.NewPCG(1, 2))
	compactions := 0
	for i := range 300 {
		x, y := rng.IntN(5), rng.IntN(5)
		name := names[x%4]
		ssid := fuzzSSIDs[y%len(fuzzSSIDs)]
		before := walSize(t, dir)
		switch op := rng.IntN(19); op {
		case 0, 1:
			h.Start(ctx, name, hypervisor.StartOptions{SSIDRef: ssid})
		case 2:
			h.Pause(ctx, name)
		case 3:
			h.Unpause(ctx, name)
		case 4:
			h.Suspend(ctx, name)
		case 5:
			h.Resume(ctx, name, hypervisor.StartOptions{SSIDRef: ssid})
		case 6:
			h.Destroy(ctx, name)
		case 7:
			h.BindEventChannel(ctx, id(x), id(y))
		case 8:
			h.MapGrant(ctx, id(x), id(y))
		case 9:
			if evs, _ := h.EventChannels(ctx); len(evs) > 0 {
				e := evs[y%len(evs)]
				h.CloseEventChannel(ctx, e.Domain, e.Port)
			}
		case 10:
			if gs, _ := h.Grants(ctx); len(gs) > 0 {
				g := gs[y%len(gs)]
				h.UnmapGrant(ctx, g.Mapper, g.Handle)
			}
		case 11:
			h.Relabel(ctx, []hypervisor.Relabeling{{ID: id(x), SSIDRef: ssid}})
		case 12:
			h.ChangePolicy(ctx, hypervisor.PolicyChange{Policy: []byte(fmt.Sprint("p", y%3))})
		case 13:
			h.SetLabels(ctx, map[string]string{name: fmt.Sprint("ACM:p:", i), hypervisor.Domain0Name: fmt.Sprint("ACM:p:d", i)})
		case 14:
			h.AttachDevice(ctx, name, hypervisor.Device{Kind: hypervisor.Network, Name: fmt.Sprint("eth", y)}, nil)
		case 15:
			h.DetachDevice(ctx, name, hypervisor.Network, fmt.Sprint("eth", y))
		case 16:
			// Rename through Modify, keeping the name list in step.
			d, _ := h.Domain(ctx, name)
			nn := fmt.Sprint("r", i)
			if h.Modify(ctx, hypervisor.Config{Name: nn, UUID: d.UUID, MemoryMiB: uint64(i)}) == nil {
				names[x%4] = nn
			}
		case 17:
			if h.Delete(ctx, name) == nil {
				nn := fmt.Sprint("n", i)
				if _, err := h.Create(ctx, hypervisor.Config{Name: nn}); err != nil {
					t.Fatal(err)
				}
				names[x%4] = nn
			}
		case 18:
			if rng.IntN(4) == 0 {
				h.ResetHost(ctx)
			}
		}
		if walSize(t, dir) < before {
			compactions++
		}
		if got, want := persisted(t, dir), snapshot(h); got != want {
			t.Fatalf("step %d: a restart reads\n%s\nwant\n%s", i, got, want)
		}
	}
	if compactions == 0 {
		t.Error("no compaction happened")
	}
}

// tornSetLabels builds a data directory whose last journal record is a SetLabels
// of two domains, and returns the state before it and the record's offset.
func tornSetLabels(t *testing.T) (dir, before string, off int64) {
	t.Helper()
	dir = t.TempDir()
	h, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := h.Create(ctx, hypervisor.Config{Name: n, Label: "ACM:p:old"}); err != nil {
			t.Fatal(err)
		}
	}
	before = snapshot(h)
	off = walSize(t, dir)
	if err := h.SetLabels(ctx, map[string]string{"a": "ACM:p:new", "b": "ACM:p:new"}); err != nil {
		t.Fatal(err)
	}
	return dir, before, off
}

// TestJournalTornTail checks that a last record cut or garbled by a crash is
// ignored — a SetLabels of two domains is then lost whole — and that the restart
// leaves a journal new records can follow.
func TestJournalTornTail(t *testing.T) {
	tests := []struct {
		name string
		tear func(data []byte, off int64) []byte
	}{
		{"header cut", func(d []byte, off int64) []byte { return d[:off+3] }},
		{"payload cut", func(d []byte, off int64) []byte { return d[:len(d)-1] }},
		{"payload zeroed", func(d []byte, off int64) []byte {
			clear(d[off+frameHeader:])
			return d
		}},
		{"all zero", func(d []byte, off int64) []byte {
			clear(d[off:])
			return d
		}},
		{"byte flipped", func(d []byte, off int64) []byte {
			d[len(d)-2] ^= 0x20
			return d
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, before, off := tornSetLabels(t)
			path := filepath.Join(dir, walFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.tear(data, off), 0o600); err != nil {
				t.Fatal(err)
			}
			h, err := Open(Config{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if got := snapshot(h); got != before {
				t.Errorf("after the torn SetLabels\n%s\nwant\n%s", got, before)
			}
			if err := h.SetLabels(ctx, map[string]string{"a": "ACM:p:x"}); err != nil {
				t.Fatal(err)
			}
			if got, want := persisted(t, dir), snapshot(h); got != want {
				t.Errorf("after a change following the torn record\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestJournalCorrupt checks that damage before the journal's last record is
// ErrCorrupt, not a silently shorter history.
func TestJournalCorrupt(t *testing.T) {
	tests := []struct {
		name   string
		damage func(d []byte)
	}{
		{"payload byte", func(d []byte) { d[frameHeader+2] ^= 1 }},
		{"checksum", func(d []byte) { d[5] ^= 1 }},
		{"length zero", func(d []byte) { binary.LittleEndian.PutUint32(d, 0) }},
		{"length huge", func(d []byte) { binary.LittleEndian.PutUint32(d, 1<<31) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, _ := tornSetLabels(t)
			path := filepath.Join(dir, walFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.damage(data)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(Config{Dir: dir}); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open = %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestCompactionCrash simulates a crash at each step of a compaction by leaving
// the files as the crash would.
func TestCompactionCrash(t *testing.T) {
	build := func(t *testing.T) (*HV, string) {
		dir := t.TempDir()
		h, err := Open(Config{Dir: dir, ACM: newFake(testTypes())})
		if err != nil {
			t.Fatal(err)
		}
		populate(t, h)
		return h, dir
	}
	reopen := func(t *testing.T, dir, want string) {
		t.Helper()
		r, err := Open(Config{Dir: dir, ACM: newFake(testTypes())})
		if err != nil {
			t.Fatal(err)
		}
		if got := dump(t, r); got != want {
			t.Errorf("after the crash\n%s\nwant\n%s", got, want)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(files) != 2 {
			t.Errorf("data directory holds %v, want the snapshot and the journal", files)
		}
	}
	t.Run("before the rename", func(t *testing.T) {
		h, dir := build(t)
		want := dump(t, h)
		if err := os.WriteFile(filepath.Join(dir, snapFile+".tmp123"), []byte(`{"version":2,"se`), 0o600); err != nil {
			t.Fatal(err)
		}
		reopen(t, dir, want)
	})
	t.Run("before the journal reset", func(t *testing.T) {
		h, dir := build(t)
		want := dump(t, h)
		old, err := os.ReadFile(filepath.Join(dir, walFile))
		if err != nil || len(old) == 0 {
			t.Fatalf("journal %d bytes, %v", len(old), err)
		}
		h.mu.Lock()
		err = h.compact()
		h.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, walFile), old, 0o600); err != nil {
			t.Fatal(err)
		}
		reopen(t, dir, want)
	})
	t.Run("records the snapshot covers", func(t *testing.T) {
		// A journal record older than the snapshot must not be applied again, or
		// it would undo a later change.
		dir := t.TempDir()
		h, err := Open(Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Create(ctx, hypervisor.Config{Name: "a", Label: "ACM:p:v1"}); err != nil {
			t.Fatal(err)
		}
		old, _ := os.ReadFile(filepath.Join(dir, walFile))
		if err := h.SetLabels(ctx, map[string]string{"a": "ACM:p:v2"}); err != nil {
			t.Fatal(err)
		}
		h.mu.Lock()
		err = h.compact()
		h.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, walFile), old, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := r.Domain(ctx, "a"); d.Label != "ACM:p:v2" {
			t.Errorf("label %q: an old record was replayed over the snapshot", d.Label)
		}
	})
	t.Run("before the old files go", func(t *testing.T) {
		h, dir := build(t)
		want := dump(t, h)
		// Stale files of the old format next to the snapshot lose.
		writeJSON(dir, defsFile, defsState{Version: version, Domains: []hypervisor.Config{{Name: "stale"}}})
		writeJSON(dir, runFile, runState{Version: version, NextID: 9})
		reopen(t, dir, want)
	})
}

// TestCompaction checks that the journal is compacted once it outgrows the
// snapshot, and that the state survives it.
func TestCompaction(t *testing.T) {
	lowCompaction(t, 1024)
	dir := t.TempDir()
	h, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	compactions := 0
	for i := range 100 {
		before := walSize(t, dir)
		if _, err := h.Create(ctx, hypervisor.Config{Name: fmt.Sprint("d", i), Label: "ACM:p:l"}); err != nil {
			t.Fatal(err)
		}
		if walSize(t, dir) < before {
			compactions++
		}
		h.mu.Lock()
		limit := max(minCompact, h.snapSize)
		h.mu.Unlock()
		if s := walSize(t, dir); s > limit {
			t.Fatalf("journal of %d bytes beyond %d", s, limit)
		}
	}
	if compactions < 2 {
		t.Errorf("%d compactions", compactions)
	}
	if got, want := persisted(t, dir), snapshot(h); got != want {
		t.Errorf("after a restart\n%s\nwant\n%s", got, want)
	}
}

// TestMigrate opens a data directory of the format before the journal.
func TestMigrate(t *testing.T) {
	h, err := Open(Config{ACM: newFake(testTypes())})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, h)
	want := dump(t, h)
	// Write the old files as the old code did.
	dir := t.TempDir()
	defs := defsState{Version: version}
	run := runState{Version: version, NextID: h.nextID}
	for _, n := range h.sortedNames() {
		d := h.doms[n]
		defs.Domains = append(defs.Domains, d.cfg)
		if d.state != hypervisor.Halted {
			run.Domains = append(run.Domains, runEntryOf(d))
		}
	}
	if _, err := writeJSON(dir, defsFile, defs); err != nil {
		t.Fatal(err)
	}
	if _, err := writeJSON(dir, runFile, run); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the migration, then a restart of the new format
		r, err := Open(Config{Dir: dir, ACM: newFake(testTypes())})
		if err != nil {
			t.Fatal(err)
		}
		if got := dump(t, r); got != want {
			t.Errorf("after the migration\n%s\nwant\n%s", got, want)
		}
		for _, name := range []string{defsFile, runFile} {
			if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s left: %v", name, err)
			}
		}
		for _, name := range []string{snapFile, walFile} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Error(err)
			}
		}
	}
}
