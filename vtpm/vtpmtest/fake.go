// Package vtpmtest has test helpers for the vTPM manager: Fake, an in-memory
// Backend that keeps state blobs and running flags but runs no TPM. It covers
// the table, the state machine and the migration crypto; TPM commands need
// the real backend (vtpm/swtpm).
package vtpmtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/shypecim/shypecim/vtpm"
)

// ErrNoTPM is what Send of a fake instance returns.
var ErrNoTPM = errors.New("vtpmtest: the fake backend runs no TPM")

type tpmState struct {
	blobs   vtpm.Blobs
	running *Instance
	resets  int
}

// Fake is an in-memory vtpm.Backend. Its running instances survive the
// manager that started them, as swtpm processes would, so a second manager on
// the same Fake can Adopt them (a crash); Kill makes one die.
type Fake struct {
	mu     sync.Mutex
	states map[string]*tpmState
	// Fail, when set, is consulted before each operation (op is the method
	// name); a non-nil result is returned instead of doing it.
	Fail func(op, id string) error
}

// NewFake returns an empty Fake.
func NewFake() *Fake { return &Fake{states: make(map[string]*tpmState)} }

func (f *Fake) fail(op, id string) error {
	if f.Fail != nil {
		return f.Fail(op, id)
	}
	return nil
}

// Provision implements vtpm.Backend.
func (f *Fake) Provision(ctx context.Context, id string, o vtpm.ProvisionOptions) (vtpm.Endorsement, error) {
	if err := f.fail("Provision", id); err != nil {
		return vtpm.Endorsement{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.states[id]; ok {
		return vtpm.Endorsement{}, vtpm.ErrExists
	}
	banks := o.PCRBanks
	if banks == nil {
		banks = []string{"sha256"}
	}
	f.states[id] = &tpmState{blobs: vtpm.Blobs{Permanent: []byte("permall of " + id)}}
	return vtpm.Endorsement{
		EKPublicPEM:  []byte("-----BEGIN PUBLIC KEY-----\nfake " + id + "\n-----END PUBLIC KEY-----\n"),
		EKCertPEM:    []byte("-----BEGIN CERTIFICATE-----\nfake " + id + "\n-----END CERTIFICATE-----\n"),
		Manufacturer: "FAKE",
		SpecMajor:    2,
		PCRBanks:     slices.Clone(banks),
	}, nil
}

// Start implements vtpm.Backend.
func (f *Fake) Start(ctx context.Context, id string, o vtpm.StartOptions) (vtpm.Instance, error) {
	if err := f.fail("Start", id); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.states[id]
	if !ok {
		return nil, vtpm.ErrNoState
	}
	if s.running != nil {
		return nil, vtpm.ErrRunning
	}
	if o.Resume && s.blobs.Volatile == nil {
		return nil, vtpm.ErrNoVolatileState
	}
	// Power-on consumes the volatile state, as swtpm does.
	s.blobs.Volatile = nil
	s.running = &Instance{f: f, id: id}
	return s.running, nil
}

// Adopt implements vtpm.Backend.
func (f *Fake) Adopt(ctx context.Context, id string) (vtpm.Instance, error) {
	if err := f.fail("Adopt", id); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.states[id]
	if !ok || s.running == nil {
		return nil, vtpm.ErrNotRunning
	}
	return s.running, nil
}

// ReadState implements vtpm.Backend.
func (f *Fake) ReadState(ctx context.Context, id string) (vtpm.Blobs, error) {
	if err := f.fail("ReadState", id); err != nil {
		return vtpm.Blobs{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.states[id]
	if !ok {
		return vtpm.Blobs{}, vtpm.ErrNoState
	}
	if s.running != nil {
		return vtpm.Blobs{}, vtpm.ErrRunning
	}
	return vtpm.Blobs{Permanent: slices.Clone(s.blobs.Permanent), Volatile: slices.Clone(s.blobs.Volatile)}, nil
}

// WriteState implements vtpm.Backend.
func (f *Fake) WriteState(ctx context.Context, id string, b vtpm.Blobs) error {
	if err := f.fail("WriteState", id); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.states[id]
	if !ok {
		s = &tpmState{}
		f.states[id] = s
	}
	if s.running != nil {
		return vtpm.ErrRunning
	}
	s.blobs = vtpm.Blobs{Permanent: slices.Clone(b.Permanent), Volatile: slices.Clone(b.Volatile)}
	return nil
}

// Destroy implements vtpm.Backend.
func (f *Fake) Destroy(ctx context.Context, id string) error {
	if err := f.fail("Destroy", id); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.states[id]; ok && s.running != nil {
		s.running.dead = true
	}
	delete(f.states, id)
	return nil
}

// CACertificatesPEM implements vtpm.Backend.
func (f *Fake) CACertificatesPEM() ([]byte, error) {
	return []byte("-----BEGIN CERTIFICATE-----\nfake CA\n-----END CERTIFICATE-----\n"), nil
}

// Kill makes the running instance of id die, as a crashed swtpm would.
func (f *Fake) Kill(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.states[id]; ok && s.running != nil {
		s.running.dead = true
		s.running = nil
	}
}

// Has says whether id has state.
func (f *Fake) Has(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.states[id]
	return ok
}

// Running says whether id runs.
func (f *Fake) Running(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.states[id]
	return ok && s.running != nil
}

// Blobs returns the state of id (nil volatile if none).
func (f *Fake) Blobs(id string) (vtpm.Blobs, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.states[id]
	if !ok {
		return vtpm.Blobs{}, false
	}
	return s.blobs, true
}

// Resets counts the Reset calls on id since it was provisioned.
func (f *Fake) Resets(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.states[id]; ok {
		return s.resets
	}
	return 0
}

// Instance is a running fake TPM.
type Instance struct {
	f    *Fake
	id   string
	dead bool
}

// Send implements transport.TPM: the fake runs no TPM.
func (i *Instance) Send([]byte) ([]byte, error) { return nil, ErrNoTPM }

// Reset implements vtpm.Instance.
func (i *Instance) Reset(ctx context.Context) error {
	i.f.mu.Lock()
	defer i.f.mu.Unlock()
	if i.dead {
		return vtpm.ErrNotRunning
	}
	if s, ok := i.f.states[i.id]; ok {
		s.resets++
	}
	return nil
}

// Stop implements vtpm.Instance: with suspend a volatile blob is kept.
func (i *Instance) Stop(ctx context.Context, suspend bool) error {
	if err := i.f.fail("Stop", i.id); err != nil {
		return err
	}
	i.f.mu.Lock()
	defer i.f.mu.Unlock()
	if i.dead {
		return fmt.Errorf("vtpmtest: %s: %w", i.id, vtpm.ErrNotRunning)
	}
	i.dead = true
	s, ok := i.f.states[i.id]
	if !ok {
		return nil
	}
	s.running = nil
	if suspend {
		s.blobs.Volatile = []byte("volatile of " + i.id)
	} else {
		s.blobs.Volatile = nil
	}
	return nil
}

// PID implements vtpm.Instance.
func (i *Instance) PID() int { return 0 }
