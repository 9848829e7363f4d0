package hvsim

import (
	"fmt"
	"testing"
	"time"

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

// defineN defines n domains one by one into h and returns the time each tenth of
// them took.
func defineN(b *testing.B, h *HV, n int) []time.Duration {
	tenths := make([]time.Duration, 0, 10)
	t0 := time.Now()
	for i := range n {
		if _, err := h.Create(ctx, hypervisor.Config{Name: fmt.Sprintf("dom%05d", i), MemoryMiB: 256, Label: "ACM:p:l",
			Devices: []hypervisor.Device{{Kind: hypervisor.Block, Name: "xvda", Resource: fmt.Sprintf("phy:/dev/vg/d%d", i), Mode: "w"}}}); err != nil {
			b.Fatal(err)
		}
		if (i+1)%(n/10) == 0 {
			tenths = append(tenths, time.Since(t0))
			t0 = time.Now()
		}
	}
	return tenths
}

// BenchmarkDefine10k defines 10,000 domains one by one into a persisted
// hypervisor. Each definition is one fsync'd journal record, so the time per
// definition must not grow with the domains defined before: it reports the time
// per definition overall and within the first and the last thousand.
func BenchmarkDefine10k(b *testing.B) {
	const n = 10000
	var first, last, total time.Duration
	for b.Loop() {
		h, err := Open(Config{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		tenths := defineN(b, h, n)
		first += tenths[0]
		last += tenths[9]
		for _, d := range tenths {
			total += d
		}
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N*n), "ns/define")
	b.ReportMetric(float64(first.Nanoseconds())/float64(b.N*n/10), "ns/define-first1k")
	b.ReportMetric(float64(last.Nanoseconds())/float64(b.N*n/10), "ns/define-last1k")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/10k")
}

// BenchmarkStartStopWith10k starts and destroys one guest of a persisted
// hypervisor that defines 10,000 others.
func BenchmarkStartStopWith10k(b *testing.B) {
	h, err := Open(Config{Dir: b.TempDir(), ACM: newFake(testTypes())})
	if err != nil {
		b.Fatal(err)
	}
	defineN(b, h, 10000)
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
