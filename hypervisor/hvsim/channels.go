package hvsim

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/shypecim/shypecim/hypervisor"
)

// decide is the STE hook of an event channel (evtchn true) or a grant mapping for
// subject subj and remote obj, behind subj's decision cache (acm.md §4): a hit counts
// only as a hit; a miss is evaluated, a permitted result cached if a slot is free.
func (h *HV) decide(subj, obj *domain, evtchn bool) bool {
	evals, denied, hits := &h.stats.GrantEvals, &h.stats.GrantDenied, &h.stats.GrantCacheHits
	if evtchn {
		evals, denied, hits = &h.stats.EvtchnEvals, &h.stats.EvtchnDenied, &h.stats.EvtchnCacheHits
	}
	for _, e := range subj.cache {
		if e.valid && e.id == obj.id {
			*hits++
			return true
		}
	}
	*evals++
	if h.acm != nil && !h.acm.Share(subj.ssidref, obj.ssidref) {
		*denied++
		return false
	}
	for i := range subj.cache {
		if !subj.cache[i].valid {
			subj.cache[i] = cacheEntry{valid: true, id: obj.id}
			break
		}
	}
	return true
}

func (h *HV) liveDomain(id domainID) (*domain, error) {
	d, ok := h.live[id]
	if !ok {
		return nil, fmt.Errorf("hvsim: domain id %d: %w", id, hypervisor.ErrNoDomain)
	}
	return d, nil
}

// bind is alloc_unbound by dom for remote, then bind_interdomain by remote.
func (h *HV) bind(dom, remote domainID) (hypervisor.EventChannel, error) {
	a, err := h.liveDomain(dom)
	if err != nil {
		return hypervisor.EventChannel{}, err
	}
	b, err := h.liveDomain(remote)
	if err != nil {
		return hypervisor.EventChannel{}, err
	}
	if !h.decide(a, b, true) || !h.decide(b, a, true) {
		return hypervisor.EventChannel{}, fmt.Errorf("hvsim: event channel %d-%d: %w", dom, remote, hypervisor.ErrDenied)
	}
	pa := a.nextP
	a.nextP++
	pb := b.nextP
	b.nextP++
	a.ports[pa] = endpoint{remote: remote, port: pb}
	b.ports[pb] = endpoint{remote: dom, port: pa}
	h.markRun(a)
	h.markRun(b)
	return hypervisor.EventChannel{Domain: dom, Port: pa, Remote: remote, RemotePort: pb}, nil
}

func (h *HV) mapGrant(mapper, granter domainID) (hypervisor.Grant, error) {
	m, err := h.liveDomain(mapper)
	if err != nil {
		return hypervisor.Grant{}, err
	}
	g, err := h.liveDomain(granter)
	if err != nil {
		return hypervisor.Grant{}, err
	}
	if !h.decide(m, g, false) {
		return hypervisor.Grant{}, fmt.Errorf("hvsim: grant %d maps %d: %w", mapper, granter, hypervisor.ErrDenied)
	}
	hd := m.nextH
	m.nextH++
	m.maps[hd] = granter
	h.markRun(m)
	return hypervisor.Grant{Mapper: mapper, Handle: hd, Granter: granter}, nil
}

// BindEventChannel implements hypervisor.Channels.
func (h *HV) BindEventChannel(ctx context.Context, dom, remote hypervisor.DomainID) (hypervisor.EventChannel, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, err := h.bind(dom, remote)
	if err != nil {
		return ch, err
	}
	return ch, h.saveRun()
}

// CloseEventChannel implements hypervisor.Channels.
func (h *HV) CloseEventChannel(ctx context.Context, dom hypervisor.DomainID, port hypervisor.Port) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.liveDomain(dom)
	if err != nil {
		return err
	}
	ep, ok := d.ports[port]
	if !ok {
		return fmt.Errorf("hvsim: domain %d port %d: %w", dom, port, hypervisor.ErrNoChannel)
	}
	delete(d.ports, port)
	h.markRun(d)
	if r := h.live[ep.remote]; r != nil {
		delete(r.ports, ep.port)
		h.markRun(r)
	}
	return h.saveRun()
}

// MapGrant implements hypervisor.Channels.
func (h *HV) MapGrant(ctx context.Context, mapper, granter hypervisor.DomainID) (hypervisor.Grant, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g, err := h.mapGrant(mapper, granter)
	if err != nil {
		return g, err
	}
	return g, h.saveRun()
}

// UnmapGrant implements hypervisor.Channels.
func (h *HV) UnmapGrant(ctx context.Context, mapper hypervisor.DomainID, handle uint32) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.liveDomain(mapper)
	if err != nil {
		return err
	}
	if _, ok := d.maps[handle]; !ok {
		return fmt.Errorf("hvsim: domain %d grant handle %d: %w", mapper, handle, hypervisor.ErrNoChannel)
	}
	delete(d.maps, handle)
	h.markRun(d)
	return h.saveRun()
}

// liveIDs returns the ids of the live domains in order.
func (h *HV) liveIDs() []domainID {
	ids := make([]domainID, 0, len(h.live))
	for id := range h.live {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (h *HV) eventChannels() []hypervisor.EventChannel {
	var out []hypervisor.EventChannel
	for _, id := range h.liveIDs() {
		for p, ep := range h.live[id].ports {
			if id < ep.remote || id == ep.remote && p < ep.port {
				out = append(out, hypervisor.EventChannel{Domain: id, Port: p, Remote: ep.remote, RemotePort: ep.port})
			}
		}
	}
	slices.SortFunc(out, func(a, b hypervisor.EventChannel) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Port, b.Port))
	})
	return out
}

func (h *HV) grants() []hypervisor.Grant {
	var out []hypervisor.Grant
	for _, id := range h.liveIDs() {
		for hd, g := range h.live[id].maps {
			out = append(out, hypervisor.Grant{Mapper: id, Handle: hd, Granter: g})
		}
	}
	slices.SortFunc(out, func(a, b hypervisor.Grant) int {
		return cmp.Or(cmp.Compare(a.Mapper, b.Mapper), cmp.Compare(a.Handle, b.Handle))
	})
	return out
}

// EventChannels implements hypervisor.Channels.
func (h *HV) EventChannels(ctx context.Context) ([]hypervisor.EventChannel, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.eventChannels(), nil
}

// Grants implements hypervisor.Channels.
func (h *HV) Grants(ctx context.Context) ([]hypervisor.Grant, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.grants(), nil
}

// view is what the ACM gets on chgpolicy and relabeldoms: the live domains in id
// order and the sharing in Xen's walk order (per domain: its ports, then the grants
// it gave).
func (h *HV) view() (doms []hypervisor.DomainSSID, evtchns, grants []hypervisor.Link) {
	ids := h.liveIDs()
	gs := h.grants()
	for _, id := range ids {
		d := h.live[id]
		doms = append(doms, hypervisor.DomainSSID{ID: uint32(id), SSIDRef: d.ssidref})
		ports := make([]hypervisor.Port, 0, len(d.ports))
		for p := range d.ports {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		for _, p := range ports {
			evtchns = append(evtchns, hypervisor.Link{ID: uint32(id), Remote: uint32(d.ports[p].remote)})
		}
		for _, g := range gs {
			if g.Granter == id {
				grants = append(grants, hypervisor.Link{ID: uint32(id), Remote: uint32(g.Mapper)})
			}
		}
	}
	return doms, evtchns, grants
}

// ChangePolicy implements hypervisor.Security.
func (h *HV) ChangePolicy(ctx context.Context, change hypervisor.PolicyChange) ([]hypervisor.ErrorTuple, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.acm == nil {
		return nil, fmt.Errorf("hvsim: change policy: no access control module: %w", hypervisor.ErrNotSupported)
	}
	doms, evtchns, grants := h.view()
	ssidrefs, errs, err := h.acm.ChangePolicy(change.Policy, change.Delete, change.Change, doms, evtchns, grants)
	if err != nil {
		return nil, fmt.Errorf("hvsim: change policy: %w", err)
	}
	if len(errs) > 0 {
		return errs, fmt.Errorf("hvsim: change policy: %w", hypervisor.ErrDenied)
	}
	if len(ssidrefs) != len(doms) {
		return nil, fmt.Errorf("hvsim: change policy: the ACM returned %d ssidrefs for %d domains: %w", len(ssidrefs), len(doms), hypervisor.ErrInvalid)
	}
	for i, ds := range doms {
		d := h.live[domainID(ds.ID)]
		d.ssidref = ssidrefs[i]
		h.markRun(d)
	}
	for _, d := range h.live {
		d.cache = [CacheSize]cacheEntry{}
	}
	return nil, h.saveRun()
}

// Relabel implements hypervisor.Security.
func (h *HV) Relabel(ctx context.Context, relabel []hypervisor.Relabeling) ([]hypervisor.ErrorTuple, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.acm == nil {
		return nil, fmt.Errorf("hvsim: relabel: no access control module: %w", hypervisor.ErrNotSupported)
	}
	pairs := make([]hypervisor.DomainSSID, 0, len(relabel))
	for _, r := range relabel {
		if _, err := h.liveDomain(r.ID); err != nil {
			return nil, fmt.Errorf("hvsim: relabel: %w", err)
		}
		pairs = append(pairs, hypervisor.DomainSSID{ID: uint32(r.ID), SSIDRef: r.SSIDRef})
	}
	doms, evtchns, grants := h.view()
	errs, err := h.acm.Relabel(pairs, doms, evtchns, grants)
	if err != nil {
		return nil, fmt.Errorf("hvsim: relabel: %w", err)
	}
	if len(errs) > 0 {
		return errs, fmt.Errorf("hvsim: relabel: %w", hypervisor.ErrDenied)
	}
	for _, r := range relabel {
		h.live[r.ID].ssidref = r.SSIDRef
		h.markRun(h.live[r.ID])
	}
	return nil, h.saveRun()
}

// Decide implements hypervisor.Security.
func (h *HV) Decide(ctx context.Context, op hypervisor.DecisionOp, a, b hypervisor.Subject) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.acm == nil {
		return false, fmt.Errorf("hvsim: decision: no access control module: %w", hypervisor.ErrNotSupported)
	}
	ssid := func(s hypervisor.Subject) (uint32, error) {
		if !s.ByID {
			return s.SSIDRef, nil
		}
		d, err := h.liveDomain(s.ID)
		if err != nil {
			return 0, err
		}
		return d.ssidref, nil
	}
	sa, err := ssid(a)
	if err != nil {
		return false, err
	}
	if op == hypervisor.DecideConflictSet {
		return !h.acm.Conflict(sa), nil
	}
	sb, err := ssid(b)
	if err != nil {
		return false, err
	}
	switch op {
	case hypervisor.DecideSharing:
		return h.acm.Share(sa, sb), nil
	case hypervisor.DecideAuthorization:
		return h.acm.Authorize(sa, sb), nil
	}
	return false, fmt.Errorf("hvsim: decision %d: %w", op, hypervisor.ErrInvalid)
}

// Stats implements hypervisor.Security.
func (h *HV) Stats(ctx context.Context) (hypervisor.Stats, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats, nil
}

// Cache returns the remote domain ids in the decision cache of live domain id, in
// slot order: for tests and diagnostics.
func (h *HV) Cache(id hypervisor.DomainID) ([]hypervisor.DomainID, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.liveDomain(id)
	if err != nil {
		return nil, err
	}
	var out []hypervisor.DomainID
	for _, e := range d.cache {
		if e.valid {
			out = append(out, e.id)
		}
	}
	return out, nil
}
