package hvsim

import (
	"fmt"
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
)

// fuzzSSIDs are the ssidrefs the fuzzer picks from; the fake's policies give them
// types, sNone none.
var fuzzSSIDs = []uint32{sA, sB, sC, sNone, 0x00060006}

var fuzzPolicies = map[string]map[uint32]uint64{
	"p0": {sDom0: 7, sA: 1, sB: 2, sC: 1, 0x00060006: 6},
	"p1": {sDom0: 3, sA: 1, sB: 2, sC: 2},
	"p2": {sDom0: 1, sA: 1, sB: 1, sC: 1, 0x00060006: 1},
}

// FuzzLifecycle runs random sequences of operations on four guests and checks after
// each what must hold whatever the ACM decides: the ACM's view of the domains equals
// the hypervisor's; every channel and cache entry joins live domains and, unless a
// relabel since the last cache clear made entries stale (acm.md §4), domains that
// share; caches hold at most 8 distinct entries; every evaluation asked the ACM once;
// a refused start leaves no trace.
func FuzzLifecycle(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 1, 1, 7, 0, 1, 9, 0, 1, 11, 0, 2, 12, 1, 0})
	f.Add([]byte{0, 0, 3, 0, 1, 0, 0, 2, 4, 7, 1, 2, 10, 2, 1, 13, 0, 0, 5, 1, 0})
	f.Add([]byte{0, 0, 1, 0, 1, 2, 7, 0, 1, 11, 1, 1, 7, 0, 1, 3, 0, 0, 4, 0, 1, 14, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		// Long inputs add little but time: 200 operations are plenty for 5 domains.
		ops = ops[:min(len(ops), 600)]
		fk := newFake(fuzzPolicies["p0"])
		for k, v := range fuzzPolicies {
			fk.policies[k] = v
		}
		h := newTest(t, fk, "g0", "g1", "g2", "g3")
		names := []string{"g0", "g1", "g2", "g3"}
		stale := false
		sharesBase := 0
		id := func(i byte) hypervisor.DomainID {
			if i%5 == 4 {
				return hypervisor.Dom0
			}
			d, _ := h.Domain(ctx, names[i%4])
			return d.ID
		}
		for len(ops) >= 3 {
			op, x, y := ops[0]%15, ops[1], ops[2]
			ops = ops[3:]
			name := names[x%4]
			ssid := fuzzSSIDs[int(y)%len(fuzzSSIDs)]
			before := snapshot(h)
			var err error
			switch op {
			case 0:
				err = h.Start(ctx, name, hypervisor.StartOptions{SSIDRef: ssid})
			case 1:
				err = h.Pause(ctx, name)
			case 2:
				err = h.Unpause(ctx, name)
			case 3:
				err = h.Suspend(ctx, name)
			case 4:
				err = h.Resume(ctx, name, hypervisor.StartOptions{SSIDRef: ssid})
			case 5:
				err = h.Shutdown(ctx, name)
			case 6:
				err = h.Destroy(ctx, name)
			case 7, 8:
				_, err = h.BindEventChannel(ctx, id(x), id(y))
			case 9, 10:
				_, err = h.MapGrant(ctx, id(x), id(y))
			case 11:
				evs, _ := h.EventChannels(ctx)
				if len(evs) > 0 {
					e := evs[int(y)%len(evs)]
					err = h.CloseEventChannel(ctx, e.Domain, e.Port)
				}
			case 12:
				gs, _ := h.Grants(ctx)
				if len(gs) > 0 {
					g := gs[int(y)%len(gs)]
					err = h.UnmapGrant(ctx, g.Mapper, g.Handle)
				}
			case 13:
				if _, err = h.Relabel(ctx, []hypervisor.Relabeling{{ID: id(x), SSIDRef: ssid}}); err == nil {
					stale = true
				}
			case 14:
				p := fmt.Sprint("p", y%3)
				if _, err = h.ChangePolicy(ctx, hypervisor.PolicyChange{Policy: []byte(p)}); err == nil {
					stale = false
				}
			}
			if (op == 0 || op == 4) && err != nil && snapshot(h) != before {
				t.Fatalf("op %d %s: refused start left a trace:\n%s\n%s", op, name, before, snapshot(h))
			}
			checkInvariants(t, h, fk, stale, sharesBase)
		}
		if err := h.ResetHost(ctx); err != nil {
			t.Fatal(err)
		}
		fk.mu.Lock()
		sharesBase = fk.shares
		fk.mu.Unlock()
		checkInvariants(t, h, fk, false, sharesBase)
	})
}

func snapshot(h *HV) string {
	doms, _ := h.Domains(ctx)
	evs, _ := h.EventChannels(ctx)
	gs, _ := h.Grants(ctx)
	return fmt.Sprint(doms, evs, gs, h.nextID)
}

func checkInvariants(t *testing.T, h *HV, fk *fakeACM, stale bool, sharesBase int) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	fk.mu.Lock()
	defer fk.mu.Unlock()
	if len(fk.live) != len(h.live) {
		t.Fatalf("the ACM knows %d domains, the hypervisor %d", len(fk.live), len(h.live))
	}
	for id, d := range h.live {
		if fk.live[uint32(id)] != d.ssidref || !d.state.Live() || d.id != id {
			t.Fatalf("domain %d: hypervisor %#x %v, ACM %#x", id, d.ssidref, d.state, fk.live[uint32(id)])
		}
	}
	share := func(a, b domainID) bool {
		return fk.share(fk.types, h.live[a].ssidref, h.live[b].ssidref)
	}
	for id, d := range h.live {
		seen := map[domainID]bool{}
		for _, e := range d.cache {
			if !e.valid {
				continue
			}
			if h.live[e.id] == nil || seen[e.id] {
				t.Fatalf("cache of %d: entry %d dead or twice", id, e.id)
			}
			seen[e.id] = true
			if !stale && !share(id, e.id) {
				t.Fatalf("cache of %d holds %d, which it may not share with", id, e.id)
			}
		}
		for p, ep := range d.ports {
			r := h.live[ep.remote]
			if r == nil || r.ports[ep.port] != (endpoint{remote: id, port: p}) {
				t.Fatalf("port %d of %d has no other end", p, id)
			}
			if !stale && !share(id, ep.remote) {
				t.Fatalf("event channel %d-%d between domains that may not share", id, ep.remote)
			}
		}
		for _, g := range d.maps {
			if h.live[g] == nil {
				t.Fatalf("grant of %d from dead %d", id, g)
			}
			if !stale && !share(id, g) {
				t.Fatalf("grant %d-%d between domains that may not share", id, g)
			}
		}
	}
	s := h.stats
	if s.EvtchnDenied > s.EvtchnEvals || s.GrantDenied > s.GrantEvals {
		t.Fatalf("more denials than evaluations: %+v", s)
	}
	if got := int(s.EvtchnEvals + s.GrantEvals); got != fk.shares-sharesBase {
		t.Fatalf("%d evaluations, %d questions to the ACM", got, fk.shares-sharesBase)
	}
}
