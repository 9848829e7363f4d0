package hvsim

import (
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
)

// BenchmarkStart starts and destroys a guest under the fake ACM, in memory: the
// create hook, the event channel and grant with Domain-0 through the cache, and the
// destruction that purges them.
func BenchmarkStart(b *testing.B) {
	h := newTest(b, newFake(testTypes()), "g")
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Start(ctx, "g", hypervisor.StartOptions{SSIDRef: sA}); err != nil {
			b.Fatal(err)
		}
		if err := h.Destroy(ctx, "g"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBindCacheHit binds event channels between two guests whose caches
// already hold each other: no ACM call.
func BenchmarkBindCacheHit(b *testing.B) {
	f := newFake(testTypes())
	h := newTest(b, f, "a", "c")
	a := start(b, h, "a", sA)
	c := start(b, h, "c", sC)
	if _, err := h.BindEventChannel(ctx, a, c); err != nil {
		b.Fatal(err)
	}
	before := stats(h)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.BindEventChannel(ctx, a, c); err != nil {
			b.Fatal(err)
		}
	}
	if s := stats(h); s.EvtchnEvals != before.EvtchnEvals {
		b.Fatalf("binds were evaluated: %+v", s)
	}
}

// BenchmarkStartPersistent is BenchmarkStart with a data directory: each change is
// an fsync'd file.
func BenchmarkStartPersistent(b *testing.B) {
	h, err := Open(Config{Dir: b.TempDir(), ACM: newFake(testTypes())})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.Create(ctx, hypervisor.Config{Name: "g"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := h.Start(ctx, "g", hypervisor.StartOptions{SSIDRef: sA}); err != nil {
			b.Fatal(err)
		}
		if err := h.Destroy(ctx, "g"); err != nil {
			b.Fatal(err)
		}
	}
}
