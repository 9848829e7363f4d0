package hvsim

import (
	"context"
	"fmt"
	"slices"

	"github.com/shypecim/shypecim/hypervisor"
)

// AttachDevice implements hypervisor.Devices. The hypervisor does not mediate
// devices (acm.md §4): check is the toolstack's.
func (h *HV) AttachDevice(ctx context.Context, name string, dev hypervisor.Device, check func(hypervisor.Device) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.lookup(name)
	if err != nil {
		return err
	}
	if err := validDevice(dev); err != nil {
		return fmt.Errorf("hvsim: attach to %s: %w", name, err)
	}
	if slices.ContainsFunc(d.cfg.Devices, func(o hypervisor.Device) bool { return o.Kind == dev.Kind && o.Name == dev.Name }) {
		return fmt.Errorf("hvsim: attach to %s: device %s %s exists: %w", name, dev.Kind, dev.Name, hypervisor.ErrInvalid)
	}
	if check != nil {
		if err := check(dev); err != nil {
			return fmt.Errorf("hvsim: attach %s %s to %s: %w", dev.Kind, dev.Name, name, err)
		}
	}
	old := d.cfg.Devices
	d.cfg.Devices = append(slices.Clip(old), dev)
	if err := h.saveDefs(nil, d); err != nil {
		d.cfg.Devices = old
		return err
	}
	return nil
}

// DetachDevice implements hypervisor.Devices.
func (h *HV) DetachDevice(ctx context.Context, name string, kind hypervisor.DeviceKind, devName string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.lookup(name)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(d.cfg.Devices, func(o hypervisor.Device) bool { return o.Kind == kind && o.Name == devName })
	if i < 0 {
		return fmt.Errorf("hvsim: detach from %s: %s %s: %w", name, kind, devName, hypervisor.ErrNoDevice)
	}
	old := d.cfg.Devices
	d.cfg.Devices = slices.Delete(slices.Clone(old), i, i+1)
	if err := h.saveDefs(nil, d); err != nil {
		d.cfg.Devices = old
		return err
	}
	return nil
}
