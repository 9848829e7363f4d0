package vtpm_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/shypecim/shypecim/vtpm"
)

func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	m := openReal(b, realRoot(b), vtpm.Options{})
	for i := 0; b.Loop(); i++ {
		if _, err := m.Create(ctx, fmt.Sprintf("dom%d", i), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartStop(b *testing.B) {
	ctx := context.Background()
	m := openReal(b, realRoot(b), vtpm.Options{})
	if _, err := m.Create(ctx, "dom", 0); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := m.DomainStarted(ctx, "dom"); err != nil {
			b.Fatal(err)
		}
		if err := m.DomainStopped(ctx, "dom"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuote(b *testing.B) {
	ctx := context.Background()
	m := openReal(b, realRoot(b), vtpm.Options{})
	v, err := m.Create(ctx, "dom", 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.DomainStarted(ctx, "dom"); err != nil {
		b.Fatal(err)
	}
	nonce := make([]byte, 32)
	rand.Read(nonce)
	for b.Loop() {
		if _, err := m.Quote(ctx, v.UUID, nonce, "sha256", []int{0, 16}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMigration moves one suspended vTPM back and forth between two
// managers: prepare, export, import, commit, and the tombstone's removal.
func BenchmarkMigration(b *testing.B) {
	ctx := context.Background()
	a := openReal(b, realRoot(b), vtpm.Options{})
	c := openReal(b, realRoot(b), vtpm.Options{})
	v, err := a.Create(ctx, "dom", 0)
	if err != nil {
		b.Fatal(err)
	}
	a.DomainStarted(ctx, "dom")
	a.DomainSuspended(ctx, "dom")
	src, dst := a, c
	for b.Loop() {
		id, key, err := dst.PrepareIncoming(ctx, "dom")
		if err != nil {
			b.Fatal(err)
		}
		blob, err := src.Export(ctx, v.UUID, id, key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dst.Import(ctx, "dom", id, blob); err != nil {
			b.Fatal(err)
		}
		if err := src.Commit(ctx, v.UUID, id, "peer"); err != nil {
			b.Fatal(err)
		}
		if err := src.Destroy(ctx, v.UUID); err != nil {
			b.Fatal(err)
		}
		src, dst = dst, src
	}
}
