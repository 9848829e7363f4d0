package vtpm

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Migration (vtpm.md §6.8, cim-model.md §3). The destination prepares a
// single-use migration id and an ephemeral X25519 key; the source seals the
// TPM's state to that key and locks its copy until the destination's import is
// committed (the source's copy is then wiped, a tombstone stays) or aborted
// (the source's copy is usable again). Ids are never accepted twice, so a blob
// cannot be imported twice and a late commit after an abort is refused.

// MigrationIDSize is the size of a migration id.
const MigrationIDSize = 32

const (
	migrationInfo    = "vtpm-migration-v1"
	migrationVersion = 1
)

// reservation is a destination's promise to accept one vTPM for a domain.
type reservation struct {
	ID      string    `json:"id"` // hex
	Domain  string    `json:"domain"`
	Key     []byte    `json:"key"` // X25519 private key: the file is 0600 under a 0700 root
	Created time.Time `json:"created"`
}

// envelope is the blob on the wire. Everything outside Ciphertext is bound to
// it as additional data.
type envelope struct {
	Version         int    `json:"v"`
	UUID            string `json:"uuid"`
	EphemeralKey    []byte `json:"epk"`
	Nonce           []byte `json:"nonce"`
	PermanentSHA256 []byte `json:"permanentSha256"`
	VolatileSHA256  []byte `json:"volatileSha256,omitempty"`
	Ciphertext      []byte `json:"ciphertext"`
}

// payload is what the envelope encrypts: the record fields that travel and the
// swtpm state.
type payload struct {
	UUID         string    `json:"uuid"`
	Number       int       `json:"number"`
	PCRBanks     []string  `json:"pcrBanks"`
	EKPublicPEM  []byte    `json:"ekPublicPem"`
	EKCertPEM    []byte    `json:"ekCertPem"`
	Manufacturer string    `json:"manufacturer"`
	Created      time.Time `json:"created"`
	Permanent    []byte    `json:"permanent"`
	Volatile     []byte    `json:"volatile,omitempty"`
}

func digestOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	d := sha256.Sum256(b)
	return d[:]
}

// aad is the paper's migration digest: id ‖ UUID ‖ SHA-256(permanent) ‖
// SHA-256(volatile), plus the sender's ephemeral key.
func (v *envelope) aad(id []byte) []byte {
	var b bytes.Buffer
	b.WriteString(migrationInfo)
	b.Write(id)
	b.WriteString(v.UUID)
	b.Write(v.PermanentSHA256)
	b.Write(v.VolatileSHA256)
	b.Write(v.EphemeralKey)
	return b.Bytes()
}

func migrationAEAD(shared, epk, destPub, id []byte, uuid string) (cipher.AEAD, error) {
	salt := append(append([]byte{}, epk...), destPub...)
	key, err := hkdf.Key(sha256.New, shared, salt, migrationInfo+uuid+string(id), 32)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

func (m *Manager) reservationPath(idHex string) string {
	return filepath.Join(m.incomingDir(), idHex+".json")
}

func (m *Manager) loadReservations() error {
	des, err := os.ReadDir(m.incomingDir())
	if err != nil {
		return fmt.Errorf("vtpm: read reservations: %w", err)
	}
	removeTemps(m.incomingDir())
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), ".json") || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(m.incomingDir(), de.Name()))
		if err != nil {
			return fmt.Errorf("vtpm: read reservation: %w", err)
		}
		var r reservation
		if err := json.Unmarshal(b, &r); err != nil || m.used[r.ID] {
			// Useless either way: an id that was used must stay refused.
			os.Remove(filepath.Join(m.incomingDir(), de.Name()))
			continue
		}
		m.waiting[r.ID] = &r
	}
	return nil
}

// reservedLocked says whether an incoming migration waits for domain. The
// caller holds m.mu.
func (m *Manager) reservedLocked(domain string) bool {
	for _, r := range m.waiting {
		if r.Domain == domain {
			return true
		}
	}
	return false
}

// markUsedLocked remembers idHex forever. The caller holds m.mu.
func (m *Manager) markUsedLocked(idHex string) error {
	if err := writeFileAtomic(filepath.Join(m.usedDir(), idHex), nil, 0o600); err != nil {
		return err
	}
	m.used[idHex] = true
	return nil
}

// dropReservationLocked forgets a reservation, burning its id. The caller holds
// m.mu.
func (m *Manager) dropReservationLocked(idHex string) error {
	if err := m.markUsedLocked(idHex); err != nil {
		return err
	}
	delete(m.waiting, idHex)
	if err := os.Remove(m.reservationPath(idHex)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("vtpm: remove reservation: %w", err)
	}
	return nil
}

// PrepareIncoming reserves, on the destination, the arrival of a vTPM for a
// domain that has none. It returns a fresh single-use migration id and the
// public X25519 key the source seals the state to. A newer reservation for the
// same domain replaces (and burns) an older one.
func (m *Manager) PrepareIncoming(ctx context.Context, domain string) (migrationID, destKey []byte, err error) {
	if domain == "" {
		return nil, nil, fmt.Errorf("%w: empty domain", ErrInvalid)
	}
	id := make([]byte, MigrationIDSize)
	if _, err := io.ReadFull(m.rand, id); err != nil {
		return nil, nil, fmt.Errorf("vtpm: random: %w", err)
	}
	priv, err := ecdh.X25519().GenerateKey(m.rand)
	if err != nil {
		return nil, nil, fmt.Errorf("vtpm: migration key: %w", err)
	}
	idHex := hex.EncodeToString(id)
	res := &reservation{ID: idHex, Domain: domain, Key: priv.Bytes(), Created: m.now().UTC()}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, nil, fmt.Errorf("vtpm: encode reservation: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, nil, fmt.Errorf("%w: manager closed", ErrBadState)
	}
	if m.byDomainLocked(domain) != nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrDomainHasVTPM, domain)
	}
	if m.used[idHex] {
		return nil, nil, fmt.Errorf("%w: random source repeats itself", ErrMigrationID)
	}
	for old, r := range m.waiting {
		if r.Domain == domain {
			if err := m.dropReservationLocked(old); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := writeFileAtomic(m.reservationPath(idHex), b, 0o600); err != nil {
		return nil, nil, err
	}
	m.waiting[idHex] = res
	m.log.WithField("domain", domain).Info("vtpm: incoming migration prepared")
	return id, priv.PublicKey().Bytes(), nil
}

// Export seals the state of a stopped or suspended, resident vTPM to the
// destination's key and locks it (Migrating: it cannot start nor be exported
// again) until Commit or Abort; without either within the migration timeout
// the source aborts by itself.
func (m *Manager) Export(ctx context.Context, uuid string, migrationID, destKey []byte) (blob []byte, err error) {
	if len(migrationID) != MigrationIDSize {
		return nil, fmt.Errorf("%w: migration id must have %d bytes", ErrInvalid, MigrationIDSize)
	}
	destPub, err := ecdh.X25519().NewPublicKey(destKey)
	if err != nil {
		return nil, fmt.Errorf("%w: destination key: %v", ErrInvalid, err)
	}
	e, err := m.acquire(uuid)
	if err != nil {
		return nil, err
	}
	defer e.op.Unlock()
	r := e.rec
	if r.Migration != Resident {
		return nil, fmt.Errorf("%w: vTPM %s is %s", ErrBadState, uuid, r.Migration)
	}
	if e.inst != nil || (r.State != Stopped && r.State != Suspended) {
		return nil, fmt.Errorf("%w: vTPM %s must be stopped or suspended", ErrBadState, uuid)
	}
	if err := m.needBackend(); err != nil {
		return nil, err
	}
	idHex := hex.EncodeToString(migrationID)
	m.mu.Lock()
	used := m.used[idHex]
	m.mu.Unlock()
	if used {
		return nil, fmt.Errorf("%w: already used", ErrMigrationID)
	}
	st, err := m.backend.ReadState(ctx, uuid)
	if err != nil {
		return nil, fmt.Errorf("vtpm: read state of %s: %w", uuid, err)
	}
	pl, err := json.Marshal(payload{
		UUID: r.UUID, Number: r.Number, PCRBanks: r.PCRBanks,
		EKPublicPEM: r.EKPublicPEM, EKCertPEM: r.EKCertPEM, Manufacturer: r.Manufacturer,
		Created: r.Created, Permanent: st.Permanent, Volatile: st.Volatile,
	})
	if err != nil {
		return nil, fmt.Errorf("vtpm: encode state: %w", err)
	}
	eph, err := ecdh.X25519().GenerateKey(m.rand)
	if err != nil {
		return nil, fmt.Errorf("vtpm: migration key: %w", err)
	}
	shared, err := eph.ECDH(destPub)
	if err != nil {
		return nil, fmt.Errorf("%w: destination key: %v", ErrInvalid, err)
	}
	env := envelope{
		Version:         migrationVersion,
		UUID:            r.UUID,
		EphemeralKey:    eph.PublicKey().Bytes(),
		PermanentSHA256: digestOrNil(st.Permanent),
		VolatileSHA256:  digestOrNil(st.Volatile),
	}
	aead, err := migrationAEAD(shared, env.EphemeralKey, destKey, migrationID, r.UUID)
	if err != nil {
		return nil, fmt.Errorf("vtpm: migration key: %w", err)
	}
	env.Nonce = make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(m.rand, env.Nonce); err != nil {
		return nil, fmt.Errorf("vtpm: random: %w", err)
	}
	env.Ciphertext = aead.Seal(nil, env.Nonce, pl, env.aad(migrationID))
	clear(pl)
	out, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("vtpm: encode blob: %w", err)
	}
	// Lock before the blob leaves: from here on only Commit or Abort unlock.
	m.mu.Lock()
	err = m.markUsedLocked(idHex)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	r.Migration, r.MigrationID, r.MigrationAt = Migrating, idHex, m.now().UTC()
	if err := m.setRecord(e, r); err != nil {
		return nil, err
	}
	m.armTimer(e)
	m.log.WithField("vtpm", uuid).Info("vtpm: exported, locked until commit or abort")
	return out, nil
}

// armTimer schedules the automatic abort of e's migration. The caller holds
// e.op (or owns e exclusively).
func (m *Manager) armTimer(e *entry) {
	if e.timer != nil {
		e.timer.Stop()
	}
	uuid, idHex := e.rec.UUID, e.rec.MigrationID
	d := e.rec.MigrationAt.Add(m.timeout).Sub(m.now())
	e.timer = time.AfterFunc(max(d, 0), func() {
		e, err := m.acquire(uuid)
		if err != nil {
			return
		}
		defer e.op.Unlock()
		if e.rec.Migration == Migrating && e.rec.MigrationID == idHex {
			if err := m.abortLocked(e); err != nil {
				m.log.WithField("vtpm", uuid).WithError(err).Error("vtpm: automatic abort failed")
				return
			}
			m.log.WithField("vtpm", uuid).Warn("vtpm: migration not committed in time; aborted")
		}
	})
}

func (m *Manager) abortLocked(e *entry) error {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	r := e.rec
	r.Migration, r.MigrationID, r.MigrationAt = Resident, "", time.Time{}
	return m.setRecord(e, r)
}

// migrating locks uuid and checks it is Migrating under migrationID; an
// expired migration is aborted on the spot (the timer may not have fired yet).
func (m *Manager) migrating(uuid string, migrationID []byte) (*entry, error) {
	e, err := m.acquire(uuid)
	if err != nil {
		return nil, err
	}
	want := []byte(hex.EncodeToString(migrationID))
	if e.rec.Migration != Migrating || subtle.ConstantTimeCompare([]byte(e.rec.MigrationID), want) != 1 {
		e.op.Unlock()
		return nil, fmt.Errorf("%w: vTPM %s is not migrating under that id", ErrMigrationID, uuid)
	}
	if m.now().Sub(e.rec.MigrationAt) > m.timeout {
		err := m.abortLocked(e)
		e.op.Unlock()
		return nil, errors.Join(fmt.Errorf("%w: migration of %s timed out and was aborted", ErrMigrationID, uuid), err)
	}
	return e, nil
}

// Commit ends a migration on the source once the destination imported: the
// state is wiped and the record stays as a tombstone that can never start.
func (m *Manager) Commit(ctx context.Context, uuid string, migrationID []byte, destination string) error {
	e, err := m.migrating(uuid, migrationID)
	if err != nil {
		return err
	}
	defer e.op.Unlock()
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	r := e.rec
	r.State, r.Parked = Stopped, false
	r.Migration, r.MigratedTo, r.MigrationID, r.MigrationAt = MigratedAway, destination, "", time.Time{}
	// Tombstone first: should the wipe fail, the copy here is dead anyway.
	if err := m.setRecord(e, r); err != nil {
		return err
	}
	if err := m.needBackend(); err != nil {
		return err
	}
	if err := m.backend.Destroy(ctx, uuid); err != nil {
		return fmt.Errorf("vtpm: wipe migrated state of %s: %w", uuid, err)
	}
	m.log.WithFields(map[string]any{"vtpm": uuid, "destination": destination}).Info("vtpm: migration committed")
	return nil
}

// Abort ends a migration on the source without a commit: the vTPM is resident
// and usable again.
func (m *Manager) Abort(ctx context.Context, uuid string, migrationID []byte) error {
	e, err := m.migrating(uuid, migrationID)
	if err != nil {
		return err
	}
	defer e.op.Unlock()
	if err := m.abortLocked(e); err != nil {
		return err
	}
	m.log.WithField("vtpm", uuid).Info("vtpm: migration aborted")
	return nil
}

// openBlob authenticates and decrypts a blob with a reservation's key.
func openBlob(res *reservation, migrationID, blob []byte) (*payload, error) {
	var env envelope
	if err := json.Unmarshal(blob, &env); err != nil {
		return nil, fmt.Errorf("%w: blob: %v", ErrInvalid, err)
	}
	if env.Version != migrationVersion {
		return nil, fmt.Errorf("%w: blob version %d", ErrInvalid, env.Version)
	}
	priv, err := ecdh.X25519().NewPrivateKey(res.Key)
	if err != nil {
		return nil, fmt.Errorf("vtpm: reservation key: %w", err)
	}
	epk, err := ecdh.X25519().NewPublicKey(env.EphemeralKey)
	if err != nil {
		return nil, fmt.Errorf("%w: blob key: %v", ErrInvalid, err)
	}
	shared, err := priv.ECDH(epk)
	if err != nil {
		return nil, fmt.Errorf("%w: blob key: %v", ErrInvalid, err)
	}
	aead, err := migrationAEAD(shared, env.EphemeralKey, priv.PublicKey().Bytes(), migrationID, env.UUID)
	if err != nil {
		return nil, fmt.Errorf("vtpm: migration key: %w", err)
	}
	if len(env.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("%w: blob nonce", ErrInvalid)
	}
	pt, err := aead.Open(nil, env.Nonce, env.Ciphertext, env.aad(migrationID))
	if err != nil {
		return nil, fmt.Errorf("%w: blob does not authenticate under this migration", ErrInvalid)
	}
	defer clear(pt)
	var p payload
	if err := json.Unmarshal(pt, &p); err != nil {
		return nil, fmt.Errorf("%w: blob payload: %v", ErrInvalid, err)
	}
	if p.UUID != env.UUID || len(p.Permanent) == 0 ||
		!bytes.Equal(digestOrNil(p.Permanent), env.PermanentSHA256) ||
		!bytes.Equal(digestOrNil(p.Volatile), env.VolatileSHA256) {
		return nil, fmt.Errorf("%w: blob digests do not match its state", ErrInvalid)
	}
	return &p, nil
}

// Import installs, on the destination, the vTPM a source exported under a
// migration id this manager prepared for domain. The id is consumed: the same
// blob or id is refused afterwards. The vTPM keeps its UUID, and its number if
// free; it is Suspended when the blob carries volatile state, else Stopped.
func (m *Manager) Import(ctx context.Context, domain string, migrationID, blob []byte) (VTPM, error) {
	if err := m.needBackend(); err != nil {
		return VTPM{}, err
	}
	idHex := hex.EncodeToString(migrationID)
	m.mu.Lock()
	res := m.waiting[idHex]
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return VTPM{}, fmt.Errorf("%w: manager closed", ErrBadState)
	}
	if len(migrationID) != MigrationIDSize || res == nil || res.Domain != domain {
		return VTPM{}, fmt.Errorf("%w: no incoming migration for domain %s under that id", ErrMigrationID, domain)
	}
	p, err := openBlob(res, migrationID, blob)
	if err != nil {
		return VTPM{}, err
	}
	defer clear(p.Permanent)
	defer clear(p.Volatile)

	// A tombstone of this very vTPM (it migrated away from here before) gives
	// way to the returning copy.
	m.mu.Lock()
	old := m.byUUID[p.UUID]
	m.mu.Unlock()
	if old != nil {
		old.op.Lock()
		if !old.gone && old.rec.Migration != MigratedAway {
			old.op.Unlock()
			return VTPM{}, fmt.Errorf("%w: vTPM %s already lives here", ErrBadState, p.UUID)
		}
		if !old.gone {
			err = m.removeEntry(old)
		}
		old.op.Unlock()
		if err != nil {
			return VTPM{}, err
		}
	}

	m.mu.Lock()
	if m.waiting[idHex] != res {
		m.mu.Unlock()
		return VTPM{}, fmt.Errorf("%w: already used", ErrMigrationID)
	}
	if m.byDomainLocked(domain) != nil {
		m.mu.Unlock()
		return VTPM{}, fmt.Errorf("%w: %s", ErrDomainHasVTPM, domain)
	}
	if m.byUUID[p.UUID] != nil {
		m.mu.Unlock()
		return VTPM{}, fmt.Errorf("%w: vTPM %s already lives here", ErrBadState, p.UUID)
	}
	n, err := m.allocNumberLocked(p.Number)
	if err != nil {
		m.mu.Unlock()
		return VTPM{}, err
	}
	// Consume the id before anything else: whatever happens next, it is
	// never accepted again.
	if err := m.dropReservationLocked(idHex); err != nil {
		m.mu.Unlock()
		return VTPM{}, err
	}
	state := Stopped
	if len(p.Volatile) > 0 {
		state = Suspended
	}
	now := m.now().UTC()
	e := &entry{busy: true, rec: record{
		UUID: p.UUID, Number: n, Domain: domain, Backend: backendName, PCRBanks: p.PCRBanks,
		State: state, Migration: Resident, EKPublicPEM: p.EKPublicPEM, EKCertPEM: p.EKCertPEM,
		Manufacturer: p.Manufacturer, Created: p.Created, Modified: now,
	}}
	e.op.Lock()
	defer e.op.Unlock()
	m.byUUID[p.UUID] = e
	m.mu.Unlock()

	fail := func(err error) (VTPM, error) {
		m.backend.Destroy(ctx, p.UUID)
		m.mu.Lock()
		delete(m.byUUID, p.UUID)
		e.gone = true
		m.mu.Unlock()
		return VTPM{}, err
	}
	var vol []byte
	if len(p.Volatile) > 0 {
		vol = p.Volatile
	}
	if err := m.backend.WriteState(ctx, p.UUID, Blobs{Permanent: p.Permanent, Volatile: vol}); err != nil {
		return fail(fmt.Errorf("vtpm: write state of %s: %w", p.UUID, err))
	}
	if err := m.writeRecord(&e.rec); err != nil {
		return fail(err)
	}
	m.mu.Lock()
	e.busy = false
	pub := e.rec.public()
	m.mu.Unlock()
	m.log.WithFields(map[string]any{"vtpm": p.UUID, "domain": domain, "number": n}).Info("vtpm: imported")
	return pub, nil
}
