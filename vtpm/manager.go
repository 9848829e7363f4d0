package vtpm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// Sentinel errors of the manager. Errors returned by the manager wrap one of
// these (or one of the backend contract's) so that callers can map them with
// errors.Is.
var (
	ErrNotFound      = errors.New("vtpm: no such vTPM")
	ErrDomainHasVTPM = errors.New("vtpm: domain already has a vTPM")
	ErrBadState      = errors.New("vtpm: vTPM is in the wrong state for this operation")
	ErrInvalid       = errors.New("vtpm: invalid parameter")
	ErrMigrationID   = errors.New("vtpm: unknown, used or expired migration id")
	ErrLocked        = errors.New("vtpm: another manager holds this root")
)

// State is the power state of a vTPM. The values equal CIM EnabledState.
type State int

// The states of a vTPM.
const (
	Running   State = 2
	Stopped   State = 3
	Suspended State = 9
)

func (s State) String() string {
	switch s {
	case Running:
		return "running"
	case Stopped:
		return "stopped"
	case Suspended:
		return "suspended"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// MigrationState says where a vTPM lives. The values equal the CIM
// MigrationState property of Xen_VTPM.
type MigrationState int

// The migration states of a vTPM.
const (
	Resident     MigrationState = 2
	Migrating    MigrationState = 3
	MigratedAway MigrationState = 4
)

func (s MigrationState) String() string {
	switch s {
	case Resident:
		return "resident"
	case Migrating:
		return "migrating"
	case MigratedAway:
		return "migrated away"
	}
	return fmt.Sprintf("MigrationState(%d)", int(s))
}

// VTPM is the public view of one entry of the instance table.
type VTPM struct {
	UUID         string
	Number       int
	Domain       string // domain UUID
	Backend      string // "swtpm"
	PCRBanks     []string
	State        State
	Migration    MigrationState
	MigratedTo   string
	EKPublicPEM  []byte
	EKCertPEM    []byte
	Manufacturer string
	Created      time.Time
}

// Options configure a Manager.
type Options struct {
	Root             string        // the manager's folder (table, locks); created 0700
	Backend          Backend       // nil: every TPM operation fails with ErrBackendMissing
	Logger           *logrus.Entry // optional
	Rand             io.Reader     // nil: crypto/rand
	Now              func() time.Time
	MigrationTimeout time.Duration // 0: 30 s (the source aborts an export not committed in time)
}

// DefaultMigrationTimeout is how long an exported vTPM stays locked waiting for
// a commit before the source aborts the migration by itself (cim-model.md §3).
const DefaultMigrationTimeout = 30 * time.Second

// MaxNumber is the highest instance number (Xen's rule: 1…65535, 0 reserved).
const MaxNumber = 65535

// backendName is what VTPM.Backend says; swtpm is the one backend (vtpm.md §0).
const backendName = "swtpm"

// record is the persisted form of one table entry (vtpm.md §6.2).
type record struct {
	UUID         string         `json:"uuid"`
	Number       int            `json:"number"`
	Domain       string         `json:"domain"`
	Backend      string         `json:"backend"`
	PCRBanks     []string       `json:"pcrBanks"`
	State        State          `json:"state"`
	Parked       bool           `json:"parked,omitempty"` // stopped with suspend by Close: Open resumes it
	Migration    MigrationState `json:"migration"`
	MigratedTo   string         `json:"migratedTo,omitempty"`
	MigrationID  string         `json:"migrationId,omitempty"` // hex, while Migrating
	MigrationAt  time.Time      `json:"migrationAt,omitzero"`  // when the export locked it
	EKPublicPEM  []byte         `json:"ekPublicPem,omitempty"`
	EKCertPEM    []byte         `json:"ekCertPem,omitempty"`
	Manufacturer string         `json:"manufacturer,omitempty"`
	Created      time.Time      `json:"created"`
	Modified     time.Time      `json:"modified"`
}

func (r *record) public() VTPM {
	return VTPM{
		UUID:         r.UUID,
		Number:       r.Number,
		Domain:       r.Domain,
		Backend:      r.Backend,
		PCRBanks:     slices.Clone(r.PCRBanks),
		State:        r.State,
		Migration:    r.Migration,
		MigratedTo:   r.MigratedTo,
		EKPublicPEM:  slices.Clone(r.EKPublicPEM),
		EKCertPEM:    slices.Clone(r.EKCertPEM),
		Manufacturer: r.Manufacturer,
		Created:      r.Created,
	}
}

// entry is one vTPM in memory. op serialises every operation on the TPM (its
// data channel serves one command at a time, vtpm.md §6.5); the record fields are
// written with both op and Manager.mu held, so readers need only one of them.
type entry struct {
	op    sync.Mutex
	rec   record
	inst  Instance    // non-nil while the TPM runs
	timer *time.Timer // migration auto-abort
	gone  bool        // removed from the table; holders of op must give up
	busy  bool        // being provisioned or imported: not listed yet
}

// Manager is the vTPM manager: the instance table, its persistence and every
// operation on the TPMs. It is safe for concurrent use.
type Manager struct {
	root    string
	backend Backend
	log     *logrus.Entry
	rand    io.Reader
	now     func() time.Time
	timeout time.Duration

	lock *os.File // flock on <root>/vtpm.lock

	mu      sync.Mutex
	byUUID  map[string]*entry
	closed  bool
	used    map[string]bool // migration ids ever used here (hex)
	waiting map[string]*reservation
}

// Open opens (or creates) the manager's folder, locks it against a second
// manager, loads the table and reattaches the TPMs the table says run: adopted
// when their swtpm still lives (a crash of the previous manager), resumed when
// Close parked them, marked Stopped otherwise.
func Open(ctx context.Context, o Options) (*Manager, error) {
	if o.Root == "" {
		return nil, fmt.Errorf("%w: empty Root", ErrInvalid)
	}
	m := &Manager{
		root:    o.Root,
		backend: o.Backend,
		log:     o.Logger,
		rand:    o.Rand,
		now:     o.Now,
		timeout: o.MigrationTimeout,
		byUUID:  make(map[string]*entry),
		used:    make(map[string]bool),
		waiting: make(map[string]*reservation),
	}
	if m.log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		m.log = logrus.NewEntry(l)
	}
	if m.rand == nil {
		m.rand = rand.Reader
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.timeout <= 0 {
		m.timeout = DefaultMigrationTimeout
	}
	for _, d := range []string{m.root, m.instancesDir(), m.usedDir(), m.incomingDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("vtpm: create %s: %w", d, err)
		}
	}
	if err := os.Chmod(m.root, 0o700); err != nil {
		return nil, fmt.Errorf("vtpm: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(m.root, "vtpm.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("vtpm: open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, m.root)
		}
		return nil, fmt.Errorf("vtpm: lock %s: %w", m.root, err)
	}
	m.lock = f
	if err := m.load(); err != nil {
		m.unlock()
		return nil, err
	}
	m.reattach(ctx)
	return m, nil
}

func (m *Manager) instancesDir() string { return filepath.Join(m.root, "instances") }
func (m *Manager) usedDir() string      { return filepath.Join(m.root, "migration-ids") }
func (m *Manager) incomingDir() string  { return filepath.Join(m.root, "incoming") }
func (m *Manager) recordPath(uuid string) string {
	return filepath.Join(m.instancesDir(), uuid, "instance.json")
}

func (m *Manager) unlock() {
	if m.lock != nil {
		syscall.Flock(int(m.lock.Fd()), syscall.LOCK_UN)
		m.lock.Close()
		m.lock = nil
	}
}

// load reads the table, the used migration ids and the pending reservations.
// A record that does not parse stops Open: silently dropping it would free its
// number and let its domain get a second vTPM.
func (m *Manager) load() error {
	des, err := os.ReadDir(m.instancesDir())
	if err != nil {
		return fmt.Errorf("vtpm: read table: %w", err)
	}
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		dir := filepath.Join(m.instancesDir(), de.Name())
		removeTemps(dir)
		b, err := os.ReadFile(filepath.Join(dir, "instance.json"))
		if errors.Is(err, os.ErrNotExist) {
			// A Create that crashed before its first write: nothing to keep.
			os.RemoveAll(dir)
			continue
		}
		if err != nil {
			return fmt.Errorf("vtpm: read record %s: %w", de.Name(), err)
		}
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("vtpm: record %s is corrupt: %w", de.Name(), err)
		}
		if r.UUID != de.Name() {
			return fmt.Errorf("vtpm: record %s names %q", de.Name(), r.UUID)
		}
		m.byUUID[r.UUID] = &entry{rec: r}
	}
	ids, err := os.ReadDir(m.usedDir())
	if err != nil {
		return fmt.Errorf("vtpm: read used migration ids: %w", err)
	}
	for _, de := range ids {
		if !strings.HasSuffix(de.Name(), ".tmp") {
			m.used[de.Name()] = true
		}
	}
	return m.loadReservations()
}

// reattach brings the in-memory state in line with the running TPMs after Open.
func (m *Manager) reattach(ctx context.Context) {
	for _, e := range m.byUUID {
		r := &e.rec
		if r.Migration == Migrating {
			m.armTimer(e)
		}
		if r.State != Running {
			continue
		}
		if m.backend == nil {
			m.log.WithField("vtpm", r.UUID).Warn("vtpm: no backend; TPM marked stopped")
			r.State, r.Parked = Stopped, false
			m.persist(r)
			continue
		}
		if r.Parked {
			inst, err := m.backend.Start(ctx, r.UUID, StartOptions{Resume: true})
			if errors.Is(err, ErrRunning) {
				// Close failed to stop it: it still runs, with its PCRs.
				inst, err = m.backend.Adopt(ctx, r.UUID)
			}
			if err != nil {
				m.log.WithField("vtpm", r.UUID).WithError(err).Warn("vtpm: resume of parked TPM failed; marked stopped")
				r.State = Stopped
			} else {
				e.inst = inst
			}
			r.Parked = false
			m.persist(r)
			continue
		}
		inst, err := m.backend.Adopt(ctx, r.UUID)
		switch {
		case err == nil:
			e.inst = inst
		case errors.Is(err, ErrNotRunning):
			r.State = Stopped
			m.persist(r)
		default:
			// Unreachable but maybe alive: leave the record, operations will
			// fail with the backend's error instead of starting a second copy.
			m.log.WithField("vtpm", r.UUID).WithError(err).Warn("vtpm: adopt failed")
		}
	}
}

// persist writes a record, logging failures: used where the in-memory state is
// already the truth (Open, timers) and there is no caller to tell.
func (m *Manager) persist(r *record) {
	if err := m.writeRecord(r); err != nil {
		m.log.WithField("vtpm", r.UUID).WithError(err).Error("vtpm: persist record")
	}
}

// Close is a clean management shutdown: every running TPM is stopped with its
// volatile state kept (Parked) so that the next Open resumes it with its PCRs.
// No swtpm process is left. The lock is released.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	entries := make([]*entry, 0, len(m.byUUID))
	for _, e := range m.byUUID {
		entries = append(entries, e)
	}
	m.mu.Unlock()
	var errs []error
	for _, e := range entries {
		e.op.Lock()
		if e.timer != nil {
			e.timer.Stop()
			e.timer = nil
		}
		if e.inst != nil {
			if err := e.inst.Stop(ctx, true); err != nil {
				errs = append(errs, fmt.Errorf("vtpm: park %s: %w", e.rec.UUID, err))
			} else {
				r := e.rec
				r.Parked = true
				m.setRecordLocked(e, r, &errs)
			}
			e.inst = nil
		}
		e.op.Unlock()
	}
	m.unlock()
	return errors.Join(errs...)
}

func (m *Manager) setRecordLocked(e *entry, r record, errs *[]error) {
	if err := m.setRecord(e, r); err != nil {
		*errs = append(*errs, err)
	}
}

// setRecord persists r and makes it e's record. The caller holds e.op.
func (m *Manager) setRecord(e *entry, r record) error {
	r.Modified = m.now().UTC()
	if err := m.writeRecord(&r); err != nil {
		return err
	}
	m.mu.Lock()
	e.rec = r
	m.mu.Unlock()
	return nil
}

// List returns the table ordered by instance number.
func (m *Manager) List() []VTPM {
	m.mu.Lock()
	out := make([]VTPM, 0, len(m.byUUID))
	for _, e := range m.byUUID {
		if !e.busy {
			out = append(out, e.rec.public())
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b VTPM) int { return a.Number - b.Number })
	return out
}

// Get returns the vTPM with that UUID, or ErrNotFound.
func (m *Manager) Get(uuid string) (VTPM, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byUUID[uuid]
	if !ok || e.busy {
		return VTPM{}, fmt.Errorf("%w: %s", ErrNotFound, uuid)
	}
	return e.rec.public(), nil
}

// ByDomain returns the vTPM of a domain (a tombstone included).
func (m *Manager) ByDomain(domain string) (VTPM, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.byDomainLocked(domain); e != nil && !e.busy {
		return e.rec.public(), true
	}
	return VTPM{}, false
}

func (m *Manager) byDomainLocked(domain string) *entry {
	for _, e := range m.byUUID {
		if e.rec.Domain == domain {
			return e
		}
	}
	return nil
}

// acquire finds the entry of uuid and locks it. The caller must release e.op.
func (m *Manager) acquire(uuid string) (*entry, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: manager closed", ErrBadState)
	}
	e, ok := m.byUUID[uuid]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, uuid)
	}
	e.op.Lock()
	if e.gone || e.busy {
		e.op.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrNotFound, uuid)
	}
	return e, nil
}

// acquireDomain is acquire by domain; a domain without a vTPM gives nil, nil.
func (m *Manager) acquireDomain(domain string) (*entry, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: manager closed", ErrBadState)
	}
	e := m.byDomainLocked(domain)
	m.mu.Unlock()
	if e == nil {
		return nil, nil
	}
	e.op.Lock()
	if e.gone || e.busy || e.rec.Domain != domain {
		e.op.Unlock()
		return nil, nil
	}
	return e, nil
}

// removeEntry drops e from the table and from disk. The caller holds e.op.
func (m *Manager) removeEntry(e *entry) error {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	dir := filepath.Dir(m.recordPath(e.rec.UUID))
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("vtpm: remove record: %w", err)
	}
	syncDir(m.instancesDir())
	m.mu.Lock()
	if m.byUUID[e.rec.UUID] == e {
		delete(m.byUUID, e.rec.UUID)
	}
	e.gone = true
	m.mu.Unlock()
	return nil
}

func (m *Manager) needBackend() error {
	if m.backend == nil {
		return ErrBackendMissing
	}
	return nil
}

// newUUID makes a random (version 4) UUID from the manager's random source.
func (m *Manager) newUUID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(m.rand, b[:]); err != nil {
		return "", fmt.Errorf("vtpm: random: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// allocNumber picks the preferred number when it is free and in range, else the
// lowest free one (Xen's rule). The caller holds m.mu.
func (m *Manager) allocNumberLocked(preferred int) (int, error) {
	taken := make(map[int]bool, len(m.byUUID))
	for _, e := range m.byUUID {
		taken[e.rec.Number] = true
	}
	if preferred >= 1 && preferred <= MaxNumber && !taken[preferred] {
		return preferred, nil
	}
	for n := 1; n <= MaxNumber; n++ {
		if !taken[n] {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w: all %d instance numbers are taken", ErrInvalid, MaxNumber)
}
