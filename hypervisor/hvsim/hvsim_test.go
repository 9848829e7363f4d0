package hvsim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/hypervisor/hypervisortest"
)

func TestConformance(t *testing.T) {
	t.Run("NoACM", func(t *testing.T) {
		hypervisortest.Run(t, func(t *testing.T) hypervisor.Hypervisor {
			h, err := New(nil)
			if err != nil {
				t.Fatal(err)
			}
			return h
		})
	})
	t.Run("FakeACM", func(t *testing.T) {
		hypervisortest.Run(t, func(t *testing.T) hypervisor.Hypervisor {
			h, err := New(newFake(nil))
			if err != nil {
				t.Fatal(err)
			}
			return h
		})
	})
	t.Run("Persistent", func(t *testing.T) {
		hypervisortest.Run(t, func(t *testing.T) hypervisor.Hypervisor {
			h, err := Open(Config{Dir: t.TempDir(), ACM: newFake(nil)})
			if err != nil {
				t.Fatal(err)
			}
			return h
		})
	})
}

// ssidrefs of the tests: Domain-0 has every type; guests one each.
const (
	sDom0 = DefaultDom0SSIDRef // types 1|2|4
	sA    = 0x00020002         // type 1
	sB    = 0x00030003         // type 2
	sC    = 0x00040004         // type 1
	sNone = 0x00050005         // no type
)

func testTypes() map[uint32]uint64 {
	return map[uint32]uint64{sDom0: 7, sA: 1, sB: 2, sC: 1}
}

var ctx = context.Background()

// newTest returns a hypervisor under a fake ACM with the guests named (all with
// label "ACM:test:<name>"), halted.
func newTest(t testing.TB, f *fakeACM, names ...string) *HV {
	t.Helper()
	h, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, err := h.Create(ctx, hypervisor.Config{Name: n, Label: "ACM:test:" + n}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func start(t testing.TB, h *HV, name string, ssidref uint32) hypervisor.DomainID {
	t.Helper()
	if err := h.Start(ctx, name, hypervisor.StartOptions{SSIDRef: ssidref}); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	d, _ := h.Domain(ctx, name)
	return d.ID
}

func cache(t *testing.T, h *HV, id hypervisor.DomainID) []hypervisor.DomainID {
	t.Helper()
	c, err := h.Cache(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func stats(h *HV) hypervisor.Stats {
	s, _ := h.Stats(ctx)
	return s
}

// TestCacheStats follows the decision cache and the statistics step by step.
func TestCacheStats(t *testing.T) {
	f := newFake(testTypes())
	h := newTest(t, f, "a", "b", "c")
	type ids = []hypervisor.DomainID
	var a, b, c hypervisor.DomainID
	steps := []struct {
		name    string
		do      func() error
		wantErr error
		stats   hypervisor.Stats
		caches  map[*hypervisor.DomainID]ids // nil key pointer means Domain-0
	}{
		{"start a: evtchn misses at both ends, the grant hits Domain-0's cache",
			func() error { a = start(t, h, "a", sA); return nil }, nil,
			hypervisor.Stats{EvtchnEvals: 2, GrantCacheHits: 1},
			map[*hypervisor.DomainID]ids{nil: {1}, &a: {0}}},
		{"start b and c",
			func() error { b = start(t, h, "b", sB); c = start(t, h, "c", sC); return nil }, nil,
			hypervisor.Stats{EvtchnEvals: 6, GrantCacheHits: 3},
			map[*hypervisor.DomainID]ids{nil: {1, 2, 3}, &b: {0}, &c: {0}}},
		{"bind a-c: common type, cached at both ends",
			func() error { _, err := h.BindEventChannel(ctx, a, c); return err }, nil,
			hypervisor.Stats{EvtchnEvals: 8, GrantCacheHits: 3},
			map[*hypervisor.DomainID]ids{&a: {0, 3}, &c: {0, 1}}},
		{"bind a-b: denied, nothing cached",
			func() error { _, err := h.BindEventChannel(ctx, a, b); return err }, hypervisor.ErrDenied,
			hypervisor.Stats{EvtchnEvals: 9, EvtchnDenied: 1, GrantCacheHits: 3},
			map[*hypervisor.DomainID]ids{&a: {0, 3}, &b: {0}}},
		{"bind a-c again: two hits",
			func() error { _, err := h.BindEventChannel(ctx, a, c); return err }, nil,
			hypervisor.Stats{EvtchnEvals: 9, EvtchnDenied: 1, EvtchnCacheHits: 2, GrantCacheHits: 3},
			nil},
		{"b maps a's grant: denied",
			func() error { _, err := h.MapGrant(ctx, b, a); return err }, hypervisor.ErrDenied,
			hypervisor.Stats{EvtchnEvals: 9, EvtchnDenied: 1, EvtchnCacheHits: 2, GrantEvals: 1, GrantDenied: 1, GrantCacheHits: 3},
			map[*hypervisor.DomainID]ids{&b: {0}}},
		{"c maps a's grant: a is in c's cache",
			func() error { _, err := h.MapGrant(ctx, c, a); return err }, nil,
			hypervisor.Stats{EvtchnEvals: 9, EvtchnDenied: 1, EvtchnCacheHits: 2, GrantEvals: 1, GrantDenied: 1, GrantCacheHits: 4},
			nil},
		{"relabel c to a type-2 label: caches stay (acm.md §4)",
			func() error {
				evs, _ := h.EventChannels(ctx)
				for _, e := range evs {
					if e.Domain == a && e.Remote == c {
						if err := h.CloseEventChannel(ctx, a, e.Port); err != nil {
							return err
						}
					}
				}
				gs, _ := h.Grants(ctx)
				for _, g := range gs {
					if g.Mapper == c && g.Granter == a {
						h.UnmapGrant(ctx, c, g.Handle)
					}
				}
				_, err := h.Relabel(ctx, []hypervisor.Relabeling{{ID: c, SSIDRef: sB}})
				return err
			}, nil,
			hypervisor.Stats{EvtchnEvals: 9, EvtchnDenied: 1, EvtchnCacheHits: 2, GrantEvals: 1, GrantDenied: 1, GrantCacheHits: 4},
			map[*hypervisor.DomainID]ids{&a: {0, 3}, &c: {0, 1}}},
		{"destroy c: its id leaves every cache",
			func() error { return h.Destroy(ctx, "c") }, nil,
			hypervisor.Stats{EvtchnEvals: 9, EvtchnDenied: 1, EvtchnCacheHits: 2, GrantEvals: 1, GrantDenied: 1, GrantCacheHits: 4},
			map[*hypervisor.DomainID]ids{nil: {1, 2}, &a: {0}}},
	}
	for _, st := range steps {
		err := st.do()
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		if got := stats(h); got != st.stats {
			t.Errorf("%s: stats\n got %+v\nwant %+v", st.name, got, st.stats)
		}
		for id, want := range st.caches {
			dom := hypervisor.Dom0
			if id != nil {
				dom = *id
			}
			if got := cache(t, h, dom); !slices.Equal(got, want) {
				t.Errorf("%s: cache of %d = %v, want %v", st.name, dom, got, want)
			}
		}
	}
}

// TestCacheFull: Domain-0's cache holds 8 guests; the 9th is evaluated each time and
// never cached.
func TestCacheFull(t *testing.T) {
	f := newFake(testTypes())
	var names []string
	for i := range 9 {
		names = append(names, fmt.Sprint("g", i))
	}
	h := newTest(t, f, names...)
	var last hypervisor.DomainID
	for _, n := range names {
		last = start(t, h, n, sA)
	}
	if got := cache(t, h, 0); !slices.Equal(got, []hypervisor.DomainID{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("Domain-0's cache = %v", got)
	}
	// 9 guests: 18 evtchn evaluations; 8 grants hit Domain-0's cache, the 9th misses.
	want := hypervisor.Stats{EvtchnEvals: 18, GrantEvals: 1, GrantCacheHits: 8}
	if got := stats(h); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if _, err := h.MapGrant(ctx, 0, last); err != nil {
		t.Fatal(err)
	}
	want.GrantEvals++
	if got := stats(h); got != want {
		t.Errorf("after a second grant: %+v, want %+v", got, want)
	}
	if err := h.Destroy(ctx, "g0"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.MapGrant(ctx, 0, last); err != nil {
		t.Fatal(err)
	}
	if got := cache(t, h, 0); !slices.Equal(got, []hypervisor.DomainID{9, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("Domain-0's cache after a slot freed = %v", got)
	}
}

func TestStartRefused(t *testing.T) {
	f := newFake(testTypes())
	f.deny[sB] = true
	h := newTest(t, f, "a", "b", "lonely")
	if err := h.AttachDevice(ctx, "b", hypervisor.Device{Kind: hypervisor.Block, Name: "xvda", Resource: "phy:/dev/b"}, nil); err != nil {
		t.Fatal(err)
	}
	start(t, h, "a", sA)
	f.takeCalls()
	snap := func() string {
		doms, _ := h.Domains(ctx)
		evs, _ := h.EventChannels(ctx)
		gs, _ := h.Grants(ctx)
		return fmt.Sprint(doms, evs, gs, cacheOf(h, 0), h.nextID)
	}
	before, beforeStats := snap(), stats(h)
	checked := false
	err := h.Start(ctx, "b", hypervisor.StartOptions{SSIDRef: sB, CheckDevice: func(hypervisor.Device) error { checked = true; return nil }})
	if checked {
		t.Error("devices checked before the create hook admitted the domain (acm.md §5.2)")
	}
	if !errors.Is(err, hypervisor.ErrDenied) || !errors.Is(err, errFakeDenied) {
		t.Fatalf("refused start = %v, want ErrDenied wrapping the ACM's error", err)
	}
	if after := snap(); after != before || stats(h) != beforeStats {
		t.Errorf("refused creation left a trace:\n%s\n%s", before, after)
	}
	if calls := f.takeCalls(); !slices.Equal(calls, []string{"create 2 0x30003"}) {
		t.Errorf("hooks %v", calls)
	}
	// A guest sharing no type with Domain-0 is created, then undone when its
	// event channel is refused; the evaluations stay counted.
	err = h.Start(ctx, "lonely", hypervisor.StartOptions{SSIDRef: sNone})
	if !errors.Is(err, hypervisor.ErrDenied) {
		t.Fatalf("start without sharing = %v", err)
	}
	if after := snap(); after != before {
		t.Errorf("undone start left a trace:\n%s\n%s", before, after)
	}
	if calls := f.takeCalls(); !slices.Equal(calls, []string{"create 2 0x50005", "destroy 2 0x50005"}) {
		t.Errorf("hooks %v", calls)
	}
	if got := stats(h); got.EvtchnDenied != beforeStats.EvtchnDenied+1 || got.EvtchnEvals != beforeStats.EvtchnEvals+1 {
		t.Errorf("stats %+v after %+v", got, beforeStats)
	}
	if id := start(t, h, "b", sC); id != 2 {
		t.Errorf("the refused starts consumed ids: next id %d, want 2", id)
	}
}

func cacheOf(h *HV, id hypervisor.DomainID) []hypervisor.DomainID {
	c, _ := h.Cache(id)
	return c
}
