package hvsim

import (
	"errors"
	"slices"
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
)

func TestChangePolicy(t *testing.T) {
	f := newFake(testTypes())
	// "split": Domain-0 keeps every type, label index 2 (a) loses type 1 → 4;
	// "renamed": index 2 becomes 6, whose types match.
	f.policies["split"] = map[uint32]uint64{sDom0: 7, sA: 4, sC: 1}
	f.policies["renamed"] = map[uint32]uint64{sDom0: 7, 0x00060006: 1, sC: 1}
	h := newTest(t, f, "a", "c")
	a := start(t, h, "a", sA)
	c := start(t, h, "c", sC)
	if _, err := h.BindEventChannel(ctx, a, c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		change   hypervisor.PolicyChange
		wantErrs []hypervisor.ErrorTuple
		wantErr  error
		ssidA    uint32
	}{
		{"deleted label in use", hypervisor.PolicyChange{Policy: []byte("renamed"), Delete: []uint32{2}},
			[]hypervisor.ErrorTuple{{Code: hypervisor.ErrSSIDRefInUse, Data: 2}}, hypervisor.ErrDenied, sA},
		{"broken sharing a-c", hypervisor.PolicyChange{Policy: []byte("split")},
			[]hypervisor.ErrorTuple{{Code: hypervisor.ErrEvtchnSharing, Data: uint32(a)<<16 | uint32(c)}}, hypervisor.ErrDenied, sA},
		{"malformed", hypervisor.PolicyChange{Policy: []byte("nope")}, nil, nil, sA},
		{"rename 2 → 6", hypervisor.PolicyChange{Policy: []byte("renamed"), Change: [][2]uint32{{2, 6}}}, nil, nil, 0x00060006},
	}
	for _, tc := range tests {
		cacheBefore := cacheOf(h, a)
		errs, err := h.ChangePolicy(ctx, tc.change)
		if !slices.Equal(errs, tc.wantErrs) {
			t.Errorf("%s: tuples %v, want %v", tc.name, errs, tc.wantErrs)
		}
		switch {
		case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.wantErr)
		case tc.name == "malformed" && err == nil:
			t.Errorf("%s: no error", tc.name)
		case tc.wantErr == nil && tc.name != "malformed" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		}
		d, _ := h.DomainByID(ctx, a)
		if d.SSIDRef != tc.ssidA {
			t.Errorf("%s: a's ssidref %#x, want %#x", tc.name, d.SSIDRef, tc.ssidA)
		}
		refused := err != nil
		if got := cacheOf(h, a); refused && !slices.Equal(got, cacheBefore) || !refused && len(got) != 0 {
			t.Errorf("%s: a's cache %v (before %v)", tc.name, got, cacheBefore)
		}
	}
	if d, _ := h.DomainByID(ctx, c); d.SSIDRef != sC {
		t.Errorf("c's ssidref changed to %#x", d.SSIDRef)
	}
	if cacheOf(h, 0) != nil {
		t.Errorf("Domain-0's cache survived the policy change: %v", cacheOf(h, 0))
	}
}

func TestRelabel(t *testing.T) {
	f := newFake(testTypes())
	h := newTest(t, f, "a", "b")
	a := start(t, h, "a", sA)
	b := start(t, h, "b", sB)
	if _, err := h.MapGrant(ctx, 0, a); err != nil {
		t.Fatal(err)
	}
	// Domain-0 relabeled to type 2 only would break its sharing with a.
	errs, err := h.Relabel(ctx, []hypervisor.Relabeling{{ID: 0, SSIDRef: sB}})
	if !errors.Is(err, hypervisor.ErrDenied) || len(errs) != 2 ||
		errs[0] != (hypervisor.ErrorTuple{Code: hypervisor.ErrEvtchnSharing, Data: uint32(a)}) ||
		errs[1] != (hypervisor.ErrorTuple{Code: hypervisor.ErrGrantSharing, Data: uint32(a) << 16}) {
		t.Errorf("Relabel(Domain-0) = %v, %v", errs, err)
	}
	if d, _ := h.DomainByID(ctx, 0); d.SSIDRef != sDom0 {
		t.Errorf("refused relabel changed Domain-0 to %#x", d.SSIDRef)
	}
	if _, err := h.Relabel(ctx, []hypervisor.Relabeling{{ID: b, SSIDRef: sC}}); err != nil {
		t.Fatal(err)
	}
	if d, _ := h.Domain(ctx, "b"); d.SSIDRef != sC {
		t.Errorf("b's ssidref %#x", d.SSIDRef)
	}
	if _, err := h.Relabel(ctx, []hypervisor.Relabeling{{ID: 77, SSIDRef: sC}}); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("relabel of a missing domain = %v", err)
	}
}

func TestDecide(t *testing.T) {
	f := newFake(testTypes())
	f.deny[sB] = true
	h := newTest(t, f, "a")
	a := start(t, h, "a", sA)
	byID := func(id hypervisor.DomainID) hypervisor.Subject { return hypervisor.Subject{ByID: true, ID: id} }
	ssid := func(s uint32) hypervisor.Subject { return hypervisor.Subject{SSIDRef: s} }
	tests := []struct {
		op   hypervisor.DecisionOp
		a, b hypervisor.Subject
		want bool
	}{
		{hypervisor.DecideSharing, byID(a), byID(0), true},
		{hypervisor.DecideSharing, byID(a), ssid(sB), false},
		{hypervisor.DecideAuthorization, byID(0), ssid(sB), true},
		{hypervisor.DecideAuthorization, ssid(sA), ssid(sB), false},
		{hypervisor.DecideConflictSet, ssid(sA), hypervisor.Subject{}, true},
		{hypervisor.DecideConflictSet, ssid(sB), hypervisor.Subject{}, false},
	}
	for _, tc := range tests {
		if got, err := h.Decide(ctx, tc.op, tc.a, tc.b); err != nil || got != tc.want {
			t.Errorf("Decide(%d, %+v, %+v) = %v, %v, want %v", tc.op, tc.a, tc.b, got, err, tc.want)
		}
	}
	if _, err := h.Decide(ctx, hypervisor.DecideSharing, byID(99), byID(0)); !errors.Is(err, hypervisor.ErrNoDomain) {
		t.Errorf("decision on a missing domain = %v", err)
	}
	if _, err := h.Decide(ctx, 9, byID(0), byID(0)); !errors.Is(err, hypervisor.ErrInvalid) {
		t.Errorf("unknown decision = %v", err)
	}
	if s := stats(h); s.EvtchnEvals != 2 || s.GrantCacheHits != 1 {
		t.Errorf("decisions counted in the hook statistics: %+v", s)
	}
}

func TestNoACM(t *testing.T) {
	h, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ChangePolicy(ctx, hypervisor.PolicyChange{}); !errors.Is(err, hypervisor.ErrNotSupported) {
		t.Errorf("ChangePolicy = %v", err)
	}
	if _, err := h.Relabel(ctx, nil); !errors.Is(err, hypervisor.ErrNotSupported) {
		t.Errorf("Relabel = %v", err)
	}
	if _, err := h.Decide(ctx, hypervisor.DecideSharing, hypervisor.Subject{}, hypervisor.Subject{}); !errors.Is(err, hypervisor.ErrNotSupported) {
		t.Errorf("Decide = %v", err)
	}
}
