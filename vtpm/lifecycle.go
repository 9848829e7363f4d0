package vtpm

import (
	"context"
	"errors"
	"fmt"
)

// Create makes the vTPM of a domain: one per domain (ErrDomainHasVTPM), with the
// preferred instance number if it is free and in 1…65535, else the lowest free
// one. The TPM is provisioned by the backend and recorded Stopped.
func (m *Manager) Create(ctx context.Context, domain string, preferred int) (VTPM, error) {
	if domain == "" {
		return VTPM{}, fmt.Errorf("%w: empty domain", ErrInvalid)
	}
	if err := m.needBackend(); err != nil {
		return VTPM{}, err
	}
	uuid, err := m.newUUID()
	if err != nil {
		return VTPM{}, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return VTPM{}, fmt.Errorf("%w: manager closed", ErrBadState)
	}
	if m.byDomainLocked(domain) != nil || m.reservedLocked(domain) {
		m.mu.Unlock()
		return VTPM{}, fmt.Errorf("%w: %s", ErrDomainHasVTPM, domain)
	}
	n, err := m.allocNumberLocked(preferred)
	if err != nil {
		m.mu.Unlock()
		return VTPM{}, err
	}
	// The entry holds the number and the domain while the backend provisions
	// (most of a second) without holding the table lock.
	now := m.now().UTC()
	e := &entry{busy: true, rec: record{
		UUID: uuid, Number: n, Domain: domain, Backend: backendName,
		State: Stopped, Migration: Resident, Created: now,
	}}
	e.op.Lock()
	defer e.op.Unlock()
	m.byUUID[uuid] = e
	m.mu.Unlock()

	fail := func(err error) (VTPM, error) {
		m.mu.Lock()
		delete(m.byUUID, uuid)
		e.gone = true
		m.mu.Unlock()
		return VTPM{}, err
	}
	end, err := m.backend.Provision(ctx, uuid, ProvisionOptions{})
	if err != nil {
		return fail(fmt.Errorf("vtpm: provision: %w", err))
	}
	r := e.rec
	r.PCRBanks = end.PCRBanks
	if len(r.PCRBanks) == 0 {
		r.PCRBanks = []string{"sha256"}
	}
	r.EKPublicPEM, r.EKCertPEM, r.Manufacturer = end.EKPublicPEM, end.EKCertPEM, end.Manufacturer
	r.Modified = now
	if err := m.writeRecord(&r); err != nil {
		if derr := m.backend.Destroy(ctx, uuid); derr != nil {
			err = errors.Join(err, derr)
		}
		return fail(err)
	}
	m.mu.Lock()
	e.rec, e.busy = r, false
	m.mu.Unlock()
	m.log.WithFields(map[string]any{"vtpm": uuid, "domain": domain, "number": n}).Info("vtpm: created")
	return r.public(), nil
}

// Destroy wipes a vTPM that does not run and removes it from the table. A
// tombstone is simply removed.
func (m *Manager) Destroy(ctx context.Context, uuid string) error {
	e, err := m.acquire(uuid)
	if err != nil {
		return err
	}
	defer e.op.Unlock()
	return m.destroyLocked(ctx, e)
}

func (m *Manager) destroyLocked(ctx context.Context, e *entry) error {
	r := &e.rec
	switch {
	case r.Migration == MigratedAway:
		// Commit wiped the state; a wipe that failed then is retried here.
		if m.backend != nil {
			if err := m.backend.Destroy(ctx, r.UUID); err != nil {
				return fmt.Errorf("vtpm: destroy %s: %w", r.UUID, err)
			}
		}
		return m.removeEntry(e)
	case r.Migration == Migrating:
		return fmt.Errorf("%w: %s is being migrated", ErrBadState, r.UUID)
	case r.State == Running || e.inst != nil:
		return fmt.Errorf("%w: %s is running", ErrBadState, r.UUID)
	}
	if err := m.needBackend(); err != nil {
		return err
	}
	if err := m.backend.Destroy(ctx, r.UUID); err != nil {
		return fmt.Errorf("vtpm: destroy %s: %w", r.UUID, err)
	}
	if err := m.removeEntry(e); err != nil {
		return err
	}
	m.log.WithField("vtpm", r.UUID).Info("vtpm: destroyed")
	return nil
}

// lifecycle runs fn on the domain's vTPM; a domain without one is a no-op. A
// tombstoned or migrating vTPM refuses every transition.
func (m *Manager) lifecycle(domain string, fn func(e *entry) error) error {
	e, err := m.acquireDomain(domain)
	if err != nil || e == nil {
		return err
	}
	defer e.op.Unlock()
	if e.rec.Migration != Resident {
		return fmt.Errorf("%w: vTPM %s is %s", ErrBadState, e.rec.UUID, e.rec.Migration)
	}
	if err := m.needBackend(); err != nil {
		return err
	}
	return fn(e)
}

func (m *Manager) setState(e *entry, s State) error {
	r := e.rec
	r.State, r.Parked = s, false
	return m.setRecord(e, r)
}

// DomainStarted powers the domain's vTPM on fresh (Startup CLEAR, PCRs zero), or
// resumes one that migrated in suspended. A vTPM already running is left alone.
func (m *Manager) DomainStarted(ctx context.Context, domain string) error {
	return m.lifecycle(domain, func(e *entry) error {
		if e.rec.State == Running && e.inst != nil {
			return nil
		}
		// A vTPM that arrived suspended by migration (its domain defined halted
		// on this host) continues its session: its PCRs are those it left with.
		inst, err := m.backend.Start(ctx, e.rec.UUID, StartOptions{Resume: e.rec.State == Suspended})
		if err != nil {
			return fmt.Errorf("vtpm: start %s: %w", e.rec.UUID, err)
		}
		e.inst = inst
		return m.setState(e, Running)
	})
}

// DomainStopped shuts the domain's vTPM down (domain shutdown or destroy). A
// suspended vTPM loses its volatile state: the domain's next start is a boot.
func (m *Manager) DomainStopped(ctx context.Context, domain string) error {
	if v, ok := m.ByDomain(domain); ok && v.Migration == MigratedAway {
		return nil // a tombstone never runs: its domain stops without it
	}
	return m.lifecycle(domain, func(e *entry) error {
		switch {
		case e.inst != nil:
			err := e.inst.Stop(ctx, false)
			e.inst = nil
			if err != nil {
				return fmt.Errorf("vtpm: stop %s: %w", e.rec.UUID, err)
			}
		case e.rec.State == Suspended:
			b, err := m.backend.ReadState(ctx, e.rec.UUID)
			if err != nil {
				return fmt.Errorf("vtpm: drop volatile state of %s: %w", e.rec.UUID, err)
			}
			b.Volatile = nil
			if err := m.backend.WriteState(ctx, e.rec.UUID, b); err != nil {
				return fmt.Errorf("vtpm: drop volatile state of %s: %w", e.rec.UUID, err)
			}
		case e.rec.State == Stopped:
			return nil
		}
		return m.setState(e, Stopped)
	})
}

// DomainSuspended stops the domain's vTPM keeping its volatile state.
func (m *Manager) DomainSuspended(ctx context.Context, domain string) error {
	return m.lifecycle(domain, func(e *entry) error {
		if e.rec.State == Suspended {
			return nil
		}
		if e.inst == nil {
			return fmt.Errorf("%w: vTPM %s is not running", ErrBadState, e.rec.UUID)
		}
		err := e.inst.Stop(ctx, true)
		e.inst = nil
		if err != nil {
			// Whatever the backend kept, the process is gone: a later
			// DomainResumed tells whether the volatile state survived.
			m.setState(e, Stopped)
			return fmt.Errorf("vtpm: suspend %s: %w", e.rec.UUID, err)
		}
		return m.setState(e, Suspended)
	})
}

// DomainResumed resumes the domain's vTPM from its volatile state: PCRs as they
// were at suspend.
func (m *Manager) DomainResumed(ctx context.Context, domain string) error {
	return m.lifecycle(domain, func(e *entry) error {
		if e.rec.State == Running && e.inst != nil {
			return nil
		}
		if e.rec.State != Suspended {
			return fmt.Errorf("%w: vTPM %s is %s, not suspended", ErrBadState, e.rec.UUID, e.rec.State)
		}
		inst, err := m.backend.Start(ctx, e.rec.UUID, StartOptions{Resume: true})
		if err != nil {
			return fmt.Errorf("vtpm: resume %s: %w", e.rec.UUID, err)
		}
		e.inst = inst
		return m.setState(e, Running)
	})
}

// DomainRebooted power-cycles the domain's running vTPM: PCRs read zero.
func (m *Manager) DomainRebooted(ctx context.Context, domain string) error {
	return m.lifecycle(domain, func(e *entry) error {
		if e.inst == nil {
			return fmt.Errorf("%w: vTPM %s is not running", ErrBadState, e.rec.UUID)
		}
		if err := e.inst.Reset(ctx); err != nil {
			return fmt.Errorf("vtpm: reset %s: %w", e.rec.UUID, err)
		}
		return nil
	})
}

// DomainDeleted destroys the vTPM of a domain that is no longer defined,
// stopping it first if it still runs. A tombstone is removed.
func (m *Manager) DomainDeleted(ctx context.Context, domain string) error {
	e, err := m.acquireDomain(domain)
	if err != nil || e == nil {
		return err
	}
	defer e.op.Unlock()
	if e.inst != nil {
		err := e.inst.Stop(ctx, false)
		e.inst = nil
		if err != nil {
			return fmt.Errorf("vtpm: stop %s: %w", e.rec.UUID, err)
		}
		if err := m.setState(e, Stopped); err != nil {
			return err
		}
	}
	return m.destroyLocked(ctx, e)
}
