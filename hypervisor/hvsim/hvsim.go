// Package hvsim is the embedded simulated hypervisor: it implements every interface of
// package hypervisor in memory, deterministically, with no goroutines of its own, and
// mediates what Xen's hypervisor mediated through a hypervisor.ACM (acm.md §4).
//
// Domain-0 exists from the start with its boot ssidref. Each guest start (and resume)
// creates the domain through ACM.DomainCreate — a refusal leaves no trace — checks its
// devices through StartOptions.CheckDevice, and gives the guest one event channel and
// one grant mapping with Domain-0 (acm.md §0), each through the STE hooks. Those hooks
// consult a per-domain decision cache first: 8 entries of remote domids for which
// sharing was permitted; only permitted results are cached and nothing when the cache
// is full; ChangePolicy clears every cache, the destruction of a domain purges its id
// from every cache, and Relabel clears nothing, as Xen did (acm.md §4 notes that as a
// latent bug of Xen; the simulation keeps it so that statistics match Xen's). The
// statistics count as Xen's ste hooks do: a cache hit counts only as a hit; a miss as
// an evaluation, and as denied if the ACM refuses. Statistics survive a failed start.
//
// A start refused by the ACM after the creation (an event channel to Domain-0 the
// policy forbids) or by CheckDevice is undone through ACM.DomainDestroy.
//
// # Persistence
//
// With Config.Dir set, the state — the domain definitions (configs and labels) and
// the running state (states, ids, ssidrefs, channels) — lives in a snapshot,
// state.json, plus a journal of the changes since: each change appends one record,
// fsync'd before the change returns, so that a change costs what it touches, not
// what the host holds. A record holds the definitions the change replaced or
// removed and the running state of the domains it touched, framed with its length
// and a CRC-32C: replay ignores a record torn by a crash (a SetLabels is one record,
// kept whole or not at all) and reports damage before the last record as
// ErrCorrupt. Once the journal outgrows max(1 MiB, the snapshot), the state is
// written as a new snapshot atomically (temporary file, fsync, rename, fsync of the
// folder), recording the last journal sequence number it covers, and the journal
// restarts empty. Open reads the files of the format before the journal
// (domains.json, running.json) and replaces them. Open restores the state — a management
// restart — and replays ACM.DomainCreate for Domain-0 and every live domain in id
// order, so that the ACM rebuilds its Chinese Wall state; a domain the ACM refuses
// then is halted and reported by RestoreErrors. Config.ResetHost (or ResetHost)
// simulates a host boot instead: every domain halted. Decision caches and statistics
// are not persisted: they restart empty. A failed write is returned; a definition
// change or a start is then undone, while other running-state changes stay as the
// hypervisor made them (a real hypervisor's would) until the next write records them.
//
// Without an ACM (Config.ACM nil) every decision is permitted, as under Xen's NULL
// policy, and the security hypercalls fail with hypervisor.ErrNotSupported.
package hvsim

import (
	"cmp"
	"context"
	"crypto/sha1"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/shypecim/shypecim/hypervisor"
)

type (
	domainID = hypervisor.DomainID
	state    = hypervisor.State
)

// DefaultDom0SSIDRef is Domain-0's boot ssidref: the bootstrap label, index 1 in both
// components (acm.md §2.1).
const DefaultDom0SSIDRef uint32 = 0x00010001

// CacheSize is the number of entries of a domain's STE decision cache
// (ACM_TE_CACHE_SIZE).
const CacheSize = 8

// Config configures a simulated hypervisor.
type Config struct {
	// Dir is the data directory; empty keeps everything in memory.
	Dir string
	// ACM is the access control module; nil permits everything.
	ACM hypervisor.ACM
	// Dom0SSIDRef is Domain-0's ssidref at a host boot; 0 means DefaultDom0SSIDRef.
	Dom0SSIDRef uint32
	// ResetHost discards the saved running state: a host boot.
	ResetHost bool
}

// HV is a simulated hypervisor. It is safe for concurrent use; every operation
// holds one mutex.
type HV struct {
	mu          sync.Mutex
	dir         string
	acm         hypervisor.ACM
	dom0SSIDRef uint32
	doms        map[string]*domain // every defined domain, Domain-0 included
	live        map[domainID]*domain
	nextID      domainID
	stats       hypervisor.Stats
	restoreErrs []error

	// The persistence (persist.go), with dir set: the sequence number of the last
	// journal record, the sizes of the journal and the snapshot, the domains whose
	// running state changed since the last write, and whether the journal must be
	// replaced by a snapshot before the next append (brokenErr says why).
	seq       uint64
	walSize   int64
	snapSize  int64
	dirty     map[*domain]struct{}
	broken    bool
	brokenErr error
}

// domain is one defined domain; the fields after state are set only while it is
// live (Running, Paused).
type domain struct {
	cfg     hypervisor.Config
	state   state
	id      domainID
	ssidref uint32
	cache   [CacheSize]cacheEntry
	ports   map[hypervisor.Port]endpoint
	nextP   hypervisor.Port
	maps    map[uint32]domainID // grant handles this domain mapped → granter
	nextH   uint32
}

type cacheEntry struct {
	valid bool
	id    domainID
}

type endpoint struct {
	remote domainID
	port   hypervisor.Port
}

var (
	_ hypervisor.Hypervisor = (*HV)(nil)
	_ hypervisor.Creator    = (*HV)(nil)
	_ hypervisor.Devices    = (*HV)(nil)
	_ hypervisor.Channels   = (*HV)(nil)
	_ hypervisor.Security   = (*HV)(nil)
	_ hypervisor.Resetter   = (*HV)(nil)
)

// New returns an in-memory hypervisor with only Domain-0, at ssidref
// DefaultDom0SSIDRef, under acm (nil permits everything).
func New(acm hypervisor.ACM) (*HV, error) {
	return Open(Config{ACM: acm})
}

// Open builds a hypervisor from cfg, restoring the state saved in cfg.Dir.
func Open(cfg Config) (*HV, error) {
	h := &HV{
		dir:         cfg.Dir,
		acm:         cfg.ACM,
		dom0SSIDRef: cfg.Dom0SSIDRef,
		doms:        map[string]*domain{},
		live:        map[domainID]*domain{},
		nextID:      1,
		dirty:       map[*domain]struct{}{},
	}
	if h.dom0SSIDRef == 0 {
		h.dom0SSIDRef = DefaultDom0SSIDRef
	}
	// Domain-0 owns what the simulated host gives it, as dom0_mem did on Xen.
	dom0 := &domain{cfg: hypervisor.Config{Name: hypervisor.Domain0Name, UUID: "00000000-0000-0000-0000-000000000000",
		MemoryMiB: Dom0MemoryMiB, VCPUs: Dom0VCPUs}}
	h.doms[dom0.cfg.Name] = dom0
	if err := h.load(cfg.ResetHost); err != nil {
		return nil, err
	}
	return h, nil
}

// The size of the simulated Domain-0.
const (
	Dom0MemoryMiB = 1024
	Dom0VCPUs     = 2
)

// RestoreErrors returns what Open could not restore: live domains that the ACM
// refused to admit again, which Open halted.
func (h *HV) RestoreErrors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.restoreErrs)
}

// snapshot copies d for a caller.
func (d *domain) snapshot() hypervisor.Domain {
	out := hypervisor.Domain{Config: d.cfg, State: d.state, ID: hypervisor.InvalidID}
	out.Devices = slices.Clone(d.cfg.Devices)
	if d.state.Live() {
		out.ID = d.id
		out.SSIDRef = d.ssidref
	}
	return out
}

func (h *HV) lookup(name string) (*domain, error) {
	d, ok := h.doms[name]
	if !ok {
		return nil, fmt.Errorf("hvsim: domain %q: %w", name, hypervisor.ErrNoDomain)
	}
	return d, nil
}

// guest looks a domain up for a lifecycle operation, which Domain-0 refuses.
func (h *HV) guest(op, name string) (*domain, error) {
	d, err := h.lookup(name)
	if err != nil {
		return nil, err
	}
	if d.cfg.Name == hypervisor.Domain0Name {
		return nil, fmt.Errorf("hvsim: %s %s: %w", op, name, hypervisor.ErrDomain0)
	}
	return d, nil
}

func badState(op string, d *domain) error {
	return fmt.Errorf("hvsim: %s %s: domain is %s: %w", op, d.cfg.Name, d.state, hypervisor.ErrBadState)
}

// Domains implements hypervisor.Hypervisor.
func (h *HV) Domains(ctx context.Context) ([]hypervisor.Domain, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]hypervisor.Domain, 0, len(h.doms))
	for _, d := range h.doms {
		out = append(out, d.snapshot())
	}
	slices.SortFunc(out, func(a, b hypervisor.Domain) int {
		if a.Name == hypervisor.Domain0Name || b.Name == hypervisor.Domain0Name {
			return boolCmp(b.Name == hypervisor.Domain0Name, a.Name == hypervisor.Domain0Name)
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// Domain implements hypervisor.Hypervisor.
func (h *HV) Domain(ctx context.Context, name string) (hypervisor.Domain, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.lookup(name)
	if err != nil {
		return hypervisor.Domain{}, err
	}
	return d.snapshot(), nil
}

// DomainByID implements hypervisor.Hypervisor.
func (h *HV) DomainByID(ctx context.Context, id hypervisor.DomainID) (hypervisor.Domain, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.live[id]
	if !ok {
		return hypervisor.Domain{}, fmt.Errorf("hvsim: domain id %d: %w", id, hypervisor.ErrNoDomain)
	}
	return d.snapshot(), nil
}

// Create implements hypervisor.Creator.
func (h *HV) Create(ctx context.Context, cfg hypervisor.Config) (hypervisor.Domain, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := validConfig(cfg); err != nil {
		return hypervisor.Domain{}, err
	}
	if _, ok := h.doms[cfg.Name]; ok {
		return hypervisor.Domain{}, fmt.Errorf("hvsim: create %s: %w", cfg.Name, hypervisor.ErrExists)
	}
	cfg.Devices = slices.Clone(cfg.Devices)
	if cfg.UUID == "" {
		cfg.UUID = nameUUID(cfg.Name)
	}
	d := &domain{cfg: cfg, id: hypervisor.InvalidID}
	h.doms[cfg.Name] = d
	if err := h.saveDefs(nil, d); err != nil {
		delete(h.doms, cfg.Name)
		return hypervisor.Domain{}, err
	}
	return d.snapshot(), nil
}

func validConfig(cfg hypervisor.Config) error {
	if cfg.Name == "" || cfg.Name == hypervisor.Domain0Name {
		return fmt.Errorf("hvsim: create: name %q: %w", cfg.Name, hypervisor.ErrInvalid)
	}
	for i, dev := range cfg.Devices {
		if err := validDevice(dev); err != nil {
			return fmt.Errorf("hvsim: create %s: %w", cfg.Name, err)
		}
		for _, o := range cfg.Devices[:i] {
			if o.Kind == dev.Kind && o.Name == dev.Name {
				return fmt.Errorf("hvsim: create %s: device %s %s twice: %w", cfg.Name, dev.Kind, dev.Name, hypervisor.ErrInvalid)
			}
		}
	}
	return nil
}

func validDevice(dev hypervisor.Device) error {
	if (dev.Kind != hypervisor.Block && dev.Kind != hypervisor.Network) || dev.Name == "" {
		return fmt.Errorf("device %v %q: %w", dev.Kind, dev.Name, hypervisor.ErrInvalid)
	}
	return nil
}

// nameUUID derives a stable UUID (version 5 layout) from a domain name, so that
// the simulation stays deterministic.
func nameUUID(name string) string {
	s := sha1.Sum([]byte("hvsim:" + name))
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// Delete implements hypervisor.Creator.
func (h *HV) Delete(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.guest("delete", name)
	if err != nil {
		return err
	}
	if d.state != hypervisor.Halted {
		return badState("delete", d)
	}
	delete(h.doms, name)
	if err := h.saveDefs([]string{name}); err != nil {
		h.doms[name] = d
		return err
	}
	return nil
}

// SetLabels implements hypervisor.Creator.
func (h *HV) SetLabels(ctx context.Context, labels map[string]string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := make(map[string]string, len(labels))
	for name := range labels {
		d, err := h.lookup(name)
		if err != nil {
			return err
		}
		old[name] = d.cfg.Label
	}
	put := make([]*domain, 0, len(labels))
	for name, l := range labels {
		h.doms[name].cfg.Label = l
		put = append(put, h.doms[name])
	}
	// One record: a crash keeps all the labels or none.
	if err := h.saveDefs(nil, put...); err != nil {
		for name, l := range old {
			h.doms[name].cfg.Label = l
		}
		return err
	}
	return nil
}

// Modify implements hypervisor.Creator.
func (h *HV) Modify(ctx context.Context, cfg hypervisor.Config) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var d *domain
	for _, o := range h.doms {
		if cfg.UUID != "" && strings.EqualFold(o.cfg.UUID, cfg.UUID) {
			d = o
			break
		}
	}
	if d == nil {
		return fmt.Errorf("hvsim: modify: uuid %q: %w", cfg.UUID, hypervisor.ErrNoDomain)
	}
	if d.cfg.Name == hypervisor.Domain0Name {
		return fmt.Errorf("hvsim: modify %s: %w", d.cfg.Name, hypervisor.ErrDomain0)
	}
	if d.state != hypervisor.Halted {
		return badState("modify", d)
	}
	if err := validConfig(cfg); err != nil {
		return err
	}
	oldName := d.cfg.Name
	if cfg.Name != oldName {
		if _, ok := h.doms[cfg.Name]; ok {
			return fmt.Errorf("hvsim: modify %s: rename to %s: %w", oldName, cfg.Name, hypervisor.ErrExists)
		}
	}
	old := d.cfg
	cfg.UUID = old.UUID // the UUID identifies the domain; it never changes
	cfg.Devices = slices.Clone(cfg.Devices)
	d.cfg = cfg
	delete(h.doms, oldName)
	h.doms[cfg.Name] = d
	var del []string
	if cfg.Name != oldName {
		del = []string{oldName}
	}
	if err := h.saveDefs(del, d); err != nil {
		delete(h.doms, cfg.Name)
		d.cfg = old
		h.doms[oldName] = d
		return err
	}
	return nil
}
