package hvsim

import (
	"context"
	"fmt"

	"github.com/shypecim/shypecim/hypervisor"
)

// Start implements hypervisor.Hypervisor.
func (h *HV) Start(ctx context.Context, name string, opts hypervisor.StartOptions) error {
	return h.boot("start", name, hypervisor.Halted, opts)
}

// Resume implements hypervisor.Hypervisor.
func (h *HV) Resume(ctx context.Context, name string, opts hypervisor.StartOptions) error {
	return h.boot("resume", name, hypervisor.Suspended, opts)
}

// boot creates the domain in the hypervisor (acm.md §5.2 step 4 and on): the create
// hook, the device checks, the channels with Domain-0. Any failure undoes it all.
func (h *HV) boot(op, name string, from state, opts hypervisor.StartOptions) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.guest(op, name)
	if err != nil {
		return err
	}
	if d.state != from {
		return badState(op, d)
	}
	id, ok := h.allocID()
	if !ok {
		return fmt.Errorf("hvsim: %s %s: no free domain id: %w", op, name, hypervisor.ErrNotSupported)
	}
	if h.acm != nil {
		if err := h.acm.DomainCreate(uint32(id), opts.SSIDRef); err != nil {
			return fmt.Errorf("hvsim: %s %s: %w: %w", op, name, hypervisor.ErrDenied, err)
		}
	}
	savedNext := h.nextID
	h.nextID = id + 1
	h.makeLive(d, id, opts.SSIDRef)
	undo := func() {
		h.kill(d)
		d.state = from
		h.markRun(d)
		h.nextID = savedNext
	}
	if opts.CheckDevice != nil {
		for _, dev := range d.cfg.Devices {
			if err := opts.CheckDevice(dev); err != nil {
				undo()
				return fmt.Errorf("hvsim: %s %s: device %s %s: %w", op, name, dev.Kind, dev.Name, err)
			}
		}
	}
	// Every guest gets xenstore's event channel and its console grant (acm.md §0).
	if _, err := h.bind(id, hypervisor.Dom0); err != nil {
		undo()
		return fmt.Errorf("hvsim: %s %s: event channel with Domain-0: %w", op, name, err)
	}
	if _, err := h.mapGrant(hypervisor.Dom0, id); err != nil {
		undo()
		return fmt.Errorf("hvsim: %s %s: grant with Domain-0: %w", op, name, err)
	}
	d.state = hypervisor.Running
	if err := h.saveRun(); err != nil {
		undo()
		return err
	}
	return nil
}

// allocID returns the next free domain id, wrapping below FirstReservedID as Xen's
// rover does.
func (h *HV) allocID() (domainID, bool) {
	id := h.nextID
	for range hypervisor.FirstReservedID {
		if id == 0 || id >= hypervisor.FirstReservedID {
			id = 1
		}
		if _, used := h.live[id]; !used {
			return id, true
		}
		id++
	}
	return 0, false
}

// makeLive puts d into the hypervisor with id and ssidref, with an empty cache and
// no channels.
func (h *HV) makeLive(d *domain, id domainID, ssidref uint32) {
	d.id, d.ssidref, d.state = id, ssidref, hypervisor.Running
	d.cache = [CacheSize]cacheEntry{}
	d.ports = map[hypervisor.Port]endpoint{}
	d.maps = map[uint32]domainID{}
	d.nextP, d.nextH = 1, 1
	h.live[id] = d
	h.markRun(d)
}

// kill takes a live domain out of the hypervisor: its channels and mappings close at
// both ends, its id leaves every cache, and the ACM forgets it. The caller sets the
// new state.
func (h *HV) kill(d *domain) {
	id := d.id
	h.markRun(d)
	for _, ep := range d.ports {
		if r := h.live[ep.remote]; r != nil && r != d {
			delete(r.ports, ep.port)
			h.markRun(r)
		}
	}
	for _, o := range h.live {
		for hd, g := range o.maps {
			if g == id {
				delete(o.maps, hd)
				h.markRun(o)
			}
		}
		for i := range o.cache {
			if o.cache[i].valid && o.cache[i].id == id {
				o.cache[i] = cacheEntry{}
			}
		}
	}
	delete(h.live, id)
	if h.acm != nil {
		h.acm.DomainDestroy(uint32(id), d.ssidref)
	}
	d.id, d.ssidref = hypervisor.InvalidID, 0
	d.ports, d.maps, d.cache = nil, nil, [CacheSize]cacheEntry{}
}

// transition changes a guest's state from one of from to to, taking it out of the
// hypervisor when to is not live.
func (h *HV) transition(op, name string, to state, from ...state) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.guest(op, name)
	if err != nil {
		return err
	}
	ok := false
	for _, f := range from {
		ok = ok || d.state == f
	}
	if !ok {
		return badState(op, d)
	}
	if d.state.Live() && !to.Live() {
		h.kill(d)
	}
	d.state = to
	h.markRun(d)
	return h.saveRun()
}

// Pause implements hypervisor.Hypervisor.
func (h *HV) Pause(ctx context.Context, name string) error {
	return h.transition("pause", name, hypervisor.Paused, hypervisor.Running)
}

// Unpause implements hypervisor.Hypervisor.
func (h *HV) Unpause(ctx context.Context, name string) error {
	return h.transition("unpause", name, hypervisor.Running, hypervisor.Paused)
}

// Suspend implements hypervisor.Hypervisor.
func (h *HV) Suspend(ctx context.Context, name string) error {
	return h.transition("suspend", name, hypervisor.Suspended, hypervisor.Running)
}

// Shutdown implements hypervisor.Hypervisor.
func (h *HV) Shutdown(ctx context.Context, name string) error {
	return h.transition("shutdown", name, hypervisor.Halted, hypervisor.Running)
}

// Destroy implements hypervisor.Hypervisor.
func (h *HV) Destroy(ctx context.Context, name string) error {
	return h.transition("destroy", name, hypervisor.Halted, hypervisor.Running, hypervisor.Paused, hypervisor.Suspended)
}

// ResetHost implements hypervisor.Resetter.
func (h *HV) ResetHost(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	err := h.resetHost()
	if serr := h.saveRun(); err == nil {
		err = serr
	}
	return err
}

func (h *HV) resetHost() error {
	for _, d := range h.doms {
		if d.state.Live() {
			h.kill(d)
		}
		if d.state != hypervisor.Halted {
			h.markRun(d)
		}
		d.state = hypervisor.Halted
	}
	h.nextID = 1
	h.stats = hypervisor.Stats{}
	return h.bootDom0(h.dom0SSIDRef)
}

// bootDom0 makes Domain-0 live. The ACM admits Domain-0 in any case: a hypervisor
// without Domain-0 does not exist, so a refusal is left to the ACM to report.
func (h *HV) bootDom0(ssidref uint32) error {
	d := h.doms[hypervisor.Domain0Name]
	h.makeLive(d, hypervisor.Dom0, ssidref)
	if h.acm != nil {
		if err := h.acm.DomainCreate(0, ssidref); err != nil {
			return fmt.Errorf("hvsim: Domain-0 ssidref %#08x: %w: %w", ssidref, hypervisor.ErrDenied, err)
		}
	}
	return nil
}
