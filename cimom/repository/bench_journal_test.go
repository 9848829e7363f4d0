package repository

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkCreateInstance100k creates 100,000 static instances one by one in a
// store opened on a directory, each persisted before the next (one journal append
// and fsync each, and the compactions they bring). It reports the time per
// creation over all of them and over the first and the last 10,000, which are
// about equal when the cost of a creation does not grow with the instances there
// are already.
func BenchmarkCreateInstance100k(b *testing.B) {
	const n, part = 100_000, 10_000
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		newTestSchema().load(b, st)
		if err := st.Replay(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		var first, last time.Duration
		for i := range n {
			if i == part {
				first = time.Since(start)
			}
			if i == n-part {
				last = time.Since(start)
			}
			if _, err := st.CreateInstance(ns, aInst(fmt.Sprintf("inst-%06d", i), uint32(i))); err != nil {
				b.Fatal(err)
			}
		}
		total := time.Since(start)
		last = total - last
		b.ReportMetric(float64(total.Nanoseconds())/n, "ns/create")
		b.ReportMetric(float64(first.Nanoseconds())/part, "ns/create-first10k")
		b.ReportMetric(float64(last.Nanoseconds())/part, "ns/create-last10k")
		b.ReportMetric(total.Seconds(), "s-total")
	}
}
