package repository

import (
	"maps"
	"strings"
)

// pmap is a map from string keys to V with copy-on-write updates: a snapshot that
// holds a pmap keeps seeing its content while a writer builds the next version.
//
// The keys are spread over a fixed array of buckets, each a small Go map. An update
// copies the bucket array (once per transaction) and the one bucket it changes (once
// per transaction and bucket): with nBuckets buckets and n keys that is
// O(nBuckets + n/nBuckets), about 2 KiB of copying for the 1631 classes of the DMTF
// schema, instead of the O(n) of copying a whole map. Objects created by the current
// transaction carry it as owner and are changed in place.
//
// Readers use get and each; only the writer holding the transaction calls set and del.
type pmap[V any] struct {
	owner   *txn
	n       int
	buckets *[nBuckets]*bucket[V] // nil while empty
}

const nBuckets = 128

type bucket[V any] struct {
	owner *txn
	m     map[string]V
}

// hashKey is FNV-1a over the bytes of k.
func hashKey[K string | []byte](k K) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h ^= uint32(k[i])
		h *= 16777619
	}
	return h
}

func (p *pmap[V]) len() int { return p.n }

// get returns the value of key k, which must be in index form (see nameKey).
func (p *pmap[V]) get(k string) (V, bool) {
	var zero V
	if p.buckets == nil {
		return zero, false
	}
	b := p.buckets[hashKey(k)%nBuckets]
	if b == nil {
		return zero, false
	}
	v, ok := b.m[k]
	return v, ok
}

// lookup returns the value of the name (a class, qualifier type or namespace name),
// matched case-insensitively. For ASCII names it does not allocate.
func (p *pmap[V]) lookup(name string) (V, bool) {
	var buf [128]byte
	if len(name) <= len(buf) {
		k := buf[:len(name)]
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c >= 0x80 {
				return p.get(nameKey(name))
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			k[i] = c
		}
		var zero V
		if p.buckets == nil {
			return zero, false
		}
		b := p.buckets[hashKey(k)%nBuckets]
		if b == nil {
			return zero, false
		}
		v, ok := b.m[string(k)] // no allocation: the compiler looks up without converting
		return v, ok
	}
	return p.get(nameKey(name))
}

// own makes the bucket array of p, and the bucket for k, owned by tx.
func (p *pmap[V]) own(tx *txn, k string) *bucket[V] {
	if p.owner != tx {
		nb := new([nBuckets]*bucket[V])
		if p.buckets != nil {
			*nb = *p.buckets
		}
		p.buckets, p.owner = nb, tx
	}
	i := hashKey(k) % nBuckets
	b := p.buckets[i]
	switch {
	case b == nil:
		b = &bucket[V]{owner: tx, m: make(map[string]V, 4)}
		p.buckets[i] = b
	case b.owner != tx:
		b = &bucket[V]{owner: tx, m: maps.Clone(b.m)}
		p.buckets[i] = b
	}
	return b
}

// set sets key k to v. p must belong to a value owned by tx.
func (p *pmap[V]) set(tx *txn, k string, v V) {
	b := p.own(tx, k)
	if _, ok := b.m[k]; !ok {
		p.n++
	}
	b.m[k] = v
}

// del removes key k. p must belong to a value owned by tx.
func (p *pmap[V]) del(tx *txn, k string) {
	if _, ok := p.get(k); !ok {
		return
	}
	b := p.own(tx, k)
	delete(b.m, k)
	p.n--
}

// each calls fn for every entry, in no particular order.
func (p *pmap[V]) each(fn func(k string, v V)) {
	if p.buckets == nil {
		return
	}
	for _, b := range p.buckets {
		if b == nil {
			continue
		}
		for k, v := range b.m {
			fn(k, v)
		}
	}
}

// nameKey returns the index form of a name: lower case, so that lookups are
// case-insensitive while the objects keep their spelling.
func nameKey(name string) string { return strings.ToLower(name) }

// nsKey returns the index form of a namespace name: trimmed of '/', lower case.
func nsKey(ns string) string { return strings.ToLower(strings.Trim(ns, "/")) }
