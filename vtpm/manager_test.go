package vtpm_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/vtpm"
	"github.com/shypecim/shypecim/vtpm/vtpmtest"
)

func openFake(t testing.TB, root string, f *vtpmtest.Fake) *vtpm.Manager {
	t.Helper()
	m, err := vtpm.Open(context.Background(), vtpm.Options{Root: root, Backend: f})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

func TestNumberAllocation(t *testing.T) {
	ctx := context.Background()
	m := openFake(t, t.TempDir(), vtpmtest.NewFake())
	// Domains d1..d3 take 1, 5, 2 (preferred numbers); then each case.
	for i, pref := range []int{1, 5, 2} {
		if _, err := m.Create(ctx, fmt.Sprintf("d%d", i+1), pref); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		preferred int
		want      int
	}{
		{"preferred free", 9, 9},
		{"preferred taken", 5, 3},
		{"zero means lowest", 0, 4},
		{"negative", -3, 6},
		{"too big", 65536, 7},
		{"highest allowed", 65535, 65535},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := m.Create(ctx, fmt.Sprintf("x%d", i), tc.preferred)
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != tc.want {
				t.Errorf("number = %d, want %d", v.Number, tc.want)
			}
		})
	}
	list := m.List()
	for i := 1; i < len(list); i++ {
		if list[i-1].Number >= list[i].Number {
			t.Fatalf("List not ordered by number: %d before %d", list[i-1].Number, list[i].Number)
		}
	}
}

func TestCreateRules(t *testing.T) {
	ctx := context.Background()
	f := vtpmtest.NewFake()
	m := openFake(t, t.TempDir(), f)
	v, err := m.Create(ctx, "dom", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != vtpm.Stopped || v.Migration != vtpm.Resident || v.Backend != "swtpm" ||
		len(v.EKCertPEM) == 0 || v.Manufacturer != "FAKE" || v.PCRBanks[0] != "sha256" {
		t.Errorf("new vTPM = %+v", v)
	}
	if !f.Has(v.UUID) {
		t.Error("backend has no state for the new vTPM")
	}
	if _, err := m.Create(ctx, "dom", 0); !errors.Is(err, vtpm.ErrDomainHasVTPM) {
		t.Errorf("second Create = %v, want ErrDomainHasVTPM", err)
	}
	if _, err := m.Create(ctx, "", 0); !errors.Is(err, vtpm.ErrInvalid) {
		t.Errorf("Create without domain = %v, want ErrInvalid", err)
	}
	if got, ok := m.ByDomain("dom"); !ok || got.UUID != v.UUID {
		t.Errorf("ByDomain = %+v, %v", got, ok)
	}
	if _, err := m.Get("nope"); !errors.Is(err, vtpm.ErrNotFound) {
		t.Errorf("Get unknown = %v", err)
	}
	// A failing provision leaves nothing behind and frees the number.
	f.Fail = func(op, id string) error {
		if op == "Provision" {
			return vtpm.ErrBackendMissing
		}
		return nil
	}
	if _, err := m.Create(ctx, "dom2", 2); !errors.Is(err, vtpm.ErrBackendMissing) {
		t.Errorf("Create with failing backend = %v", err)
	}
	f.Fail = nil
	if n := len(m.List()); n != 1 {
		t.Errorf("table has %d entries after a failed create, want 1", n)
	}
	if v2, err := m.Create(ctx, "dom2", 2); err != nil || v2.Number != 2 {
		t.Errorf("Create after failure = %+v, %v", v2, err)
	}
}

func TestNoBackend(t *testing.T) {
	ctx := context.Background()
	m, err := vtpm.Open(ctx, vtpm.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	if _, err := m.Create(ctx, "dom", 0); !errors.Is(err, vtpm.ErrBackendMissing) {
		t.Errorf("Create = %v, want ErrBackendMissing", err)
	}
	if err := m.DomainStarted(ctx, "dom"); err != nil {
		t.Errorf("DomainStarted of a domain without vTPM = %v, want nil", err)
	}
}

func TestStateMachine(t *testing.T) {
	type step struct {
		op      string
		want    vtpm.State
		wantErr error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"start stop", []step{{"start", vtpm.Running, nil}, {"stop", vtpm.Stopped, nil}}},
		{"suspend resume", []step{{"start", vtpm.Running, nil}, {"suspend", vtpm.Suspended, nil}, {"resume", vtpm.Running, nil}}},
		{"resume stopped", []step{{"resume", vtpm.Stopped, vtpm.ErrBadState}}},
		{"suspend stopped", []step{{"suspend", vtpm.Stopped, vtpm.ErrBadState}}},
		{"reboot stopped", []step{{"reboot", vtpm.Stopped, vtpm.ErrBadState}}},
		{"reboot running", []step{{"start", vtpm.Running, nil}, {"reboot", vtpm.Running, nil}}},
		{"stop suspended drops volatile", []step{{"start", vtpm.Running, nil}, {"suspend", vtpm.Suspended, nil}, {"stop", vtpm.Stopped, nil}, {"resume", vtpm.Stopped, vtpm.ErrBadState}}},
		{"start suspended boots fresh", []step{{"start", vtpm.Running, nil}, {"suspend", vtpm.Suspended, nil}, {"start", vtpm.Running, nil}}},
		{"destroy running refused", []step{{"start", vtpm.Running, nil}, {"destroy", vtpm.Running, vtpm.ErrBadState}}},
		{"start twice is idempotent", []step{{"start", vtpm.Running, nil}, {"start", vtpm.Running, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := vtpmtest.NewFake()
			m := openFake(t, t.TempDir(), f)
			v, err := m.Create(ctx, "dom", 0)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				var err error
				switch s.op {
				case "start":
					err = m.DomainStarted(ctx, "dom")
				case "stop":
					err = m.DomainStopped(ctx, "dom")
				case "suspend":
					err = m.DomainSuspended(ctx, "dom")
				case "resume":
					err = m.DomainResumed(ctx, "dom")
				case "reboot":
					err = m.DomainRebooted(ctx, "dom")
				case "destroy":
					err = m.Destroy(ctx, v.UUID)
				}
				if !errors.Is(err, s.wantErr) || (err != nil) != (s.wantErr != nil) {
					t.Fatalf("step %d %s: err = %v, want %v", i, s.op, err, s.wantErr)
				}
				got, err := m.Get(v.UUID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != s.want {
					t.Fatalf("step %d %s: state = %v, want %v", i, s.op, got.State, s.want)
				}
				if running := f.Running(v.UUID); running != (s.want == vtpm.Running) {
					t.Fatalf("step %d %s: backend running = %v in state %v", i, s.op, running, s.want)
				}
			}
		})
	}
}

func TestDestroyAndDomainDeleted(t *testing.T) {
	ctx := context.Background()
	f := vtpmtest.NewFake()
	root := t.TempDir()
	m := openFake(t, root, f)
	a, _ := m.Create(ctx, "a", 0)
	b, _ := m.Create(ctx, "b", 0)
	if err := m.Destroy(ctx, a.UUID); err != nil {
		t.Fatal(err)
	}
	if f.Has(a.UUID) {
		t.Error("Destroy left the backend state")
	}
	if _, err := os.Stat(filepath.Join(root, "instances", a.UUID)); !os.IsNotExist(err) {
		t.Errorf("Destroy left the record: %v", err)
	}
	if err := m.Destroy(ctx, a.UUID); !errors.Is(err, vtpm.ErrNotFound) {
		t.Errorf("second Destroy = %v", err)
	}
	m.DomainStarted(ctx, "b")
	if err := m.DomainDeleted(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if f.Has(b.UUID) || f.Running(b.UUID) {
		t.Error("DomainDeleted left the TPM")
	}
	if _, ok := m.ByDomain("b"); ok {
		t.Error("DomainDeleted left the record")
	}
	if err := m.DomainDeleted(ctx, "nobody"); err != nil {
		t.Errorf("DomainDeleted without vTPM = %v", err)
	}
	// The freed number 1 is reused.
	if c, _ := m.Create(ctx, "c", 0); c.Number != 1 {
		t.Errorf("number after destroy = %d, want 1", c.Number)
	}
}

func TestPersistenceCloseOpen(t *testing.T) {
	ctx := context.Background()
	f := vtpmtest.NewFake()
	root := t.TempDir()
	m, err := vtpm.Open(ctx, vtpm.Options{Root: root, Backend: f})
	if err != nil {
		t.Fatal(err)
	}
	run, _ := m.Create(ctx, "run", 7)
	stop, _ := m.Create(ctx, "stop", 0)
	susp, _ := m.Create(ctx, "susp", 0)
	m.DomainStarted(ctx, "run")
	m.DomainStarted(ctx, "susp")
	m.DomainSuspended(ctx, "susp")
	if _, err := vtpm.Open(ctx, vtpm.Options{Root: root, Backend: f}); !errors.Is(err, vtpm.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if f.Running(run.UUID) {
		t.Fatal("Close left a TPM running")
	}
	if b, _ := f.Blobs(run.UUID); b.Volatile == nil {
		t.Fatal("Close did not suspend the running TPM")
	}
	m2 := openFake(t, root, f)
	want := map[string]vtpm.State{run.UUID: vtpm.Running, stop.UUID: vtpm.Stopped, susp.UUID: vtpm.Suspended}
	for id, st := range want {
		v, err := m2.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if v.State != st {
			t.Errorf("%s after reopen: %v, want %v", v.Domain, v.State, st)
		}
	}
	if !f.Running(run.UUID) {
		t.Error("Open did not resume the parked TPM")
	}
	if v, _ := m2.Get(run.UUID); v.Number != 7 || v.Domain != "run" || string(v.EKCertPEM) != string(run.EKCertPEM) {
		t.Errorf("record after reopen = %+v", v)
	}
	// The suspended one still resumes.
	if err := m2.DomainResumed(ctx, "susp"); err != nil {
		t.Errorf("resume after reopen: %v", err)
	}
}

func TestOpenAfterCrash(t *testing.T) {
	ctx := context.Background()
	f := vtpmtest.NewFake()
	root := t.TempDir()
	m, err := vtpm.Open(ctx, vtpm.Options{Root: root, Backend: f})
	if err != nil {
		t.Fatal(err)
	}
	alive, _ := m.Create(ctx, "alive", 0)
	dead, _ := m.Create(ctx, "dead", 0)
	m.DomainStarted(ctx, "alive")
	m.DomainStarted(ctx, "dead")
	m.Crash()
	f.Kill(dead.UUID)
	m2 := openFake(t, root, f)
	if v, _ := m2.Get(alive.UUID); v.State != vtpm.Running {
		t.Errorf("adopted TPM state = %v", v.State)
	}
	if v, _ := m2.Get(dead.UUID); v.State != vtpm.Stopped {
		t.Errorf("dead TPM state = %v, want stopped", v.State)
	}
	// The adopted instance is usable: a reboot reaches it.
	if err := m2.DomainRebooted(ctx, "alive"); err != nil || f.Resets(alive.UUID) != 1 {
		t.Errorf("reboot of adopted TPM: %v, resets %d", err, f.Resets(alive.UUID))
	}
	if err := m2.DomainStarted(ctx, "dead"); err != nil {
		t.Errorf("restart of the dead TPM: %v", err)
	}
}

func TestCrashSafeFiles(t *testing.T) {
	ctx := context.Background()
	f := vtpmtest.NewFake()
	root := t.TempDir()
	m, err := vtpm.Open(ctx, vtpm.Options{Root: root, Backend: f})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := m.Create(ctx, "dom", 0)
	m.Close(ctx)
	dir := filepath.Join(root, "instances", v.UUID)
	fi, err := os.Stat(filepath.Join(dir, "instance.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(root); fi.Mode().Perm() != 0o700 {
		t.Errorf("root mode %v", fi.Mode().Perm())
	}
	// What an interrupted write leaves: a temp file next to the record, and
	// a folder of a create that never wrote its record.
	tmp := filepath.Join(dir, ".instance.json.123.tmp")
	os.WriteFile(tmp, []byte("{half"), 0o600)
	os.MkdirAll(filepath.Join(root, "instances", "half-created"), 0o700)
	m2 := openFake(t, root, f)
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Error("Open left a temp file")
	}
	if _, err := os.Stat(filepath.Join(root, "instances", "half-created")); !os.IsNotExist(err) {
		t.Error("Open left an empty record folder")
	}
	if got, err := m2.Get(v.UUID); err != nil || got.Domain != "dom" {
		t.Errorf("record after reopen: %+v, %v", got, err)
	}
	m2.Close(ctx)
	// A corrupt record stops Open instead of freeing its number.
	os.WriteFile(filepath.Join(dir, "instance.json"), []byte("{half"), 0o600)
	if m3, err := vtpm.Open(ctx, vtpm.Options{Root: root, Backend: f}); err == nil {
		m3.Close(ctx)
		t.Error("Open accepted a corrupt record")
	}
	// ... and releases the lock on the way out.
	os.WriteFile(filepath.Join(dir, "instance.json"), []byte("{}"), 0o600)
	if _, err := vtpm.Open(ctx, vtpm.Options{Root: root, Backend: f}); errors.Is(err, vtpm.ErrLocked) {
		t.Error("failed Open kept the lock")
	}
}

func TestConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	m := openFake(t, t.TempDir(), vtpmtest.NewFake())
	const n = 20
	var wg sync.WaitGroup
	nums := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := m.Create(ctx, fmt.Sprintf("d%d", i), 1)
			nums[i], errs[i] = v.Number, err
			if err == nil {
				errs[i] = m.DomainStarted(ctx, v.Domain)
			}
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seen[nums[i]] || nums[i] < 1 || nums[i] > n {
			t.Fatalf("number %d given twice or out of 1..%d", nums[i], n)
		}
		seen[nums[i]] = true
	}
}

// fakePair is a source and a destination manager, each with its own backend.
type fakePair struct {
	src, dst   *vtpm.Manager
	fsrc, fdst *vtpmtest.Fake
	clock      *clock
	logs       *bytes.Buffer // both managers' log, debug level
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newFakePair(t *testing.T, timeout time.Duration) *fakePair {
	t.Helper()
	ctx := context.Background()
	p := &fakePair{fsrc: vtpmtest.NewFake(), fdst: vtpmtest.NewFake(), clock: &clock{t: time.Now()}, logs: new(bytes.Buffer)}
	l := logrus.New()
	l.SetOutput(p.logs)
	l.SetLevel(logrus.DebugLevel)
	log := logrus.NewEntry(l)
	var err error
	p.src, err = vtpm.Open(ctx, vtpm.Options{Root: t.TempDir(), Backend: p.fsrc, Logger: log, Now: p.clock.Now, MigrationTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	p.dst, err = vtpm.Open(ctx, vtpm.Options{Root: t.TempDir(), Backend: p.fdst, Logger: log, Now: p.clock.Now, MigrationTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.src.Close(ctx); p.dst.Close(ctx) })
	return p
}

func TestMigrationFake(t *testing.T) {
	ctx := context.Background()
	p := newFakePair(t, time.Hour)
	v, _ := p.src.Create(ctx, "dom", 42)
	p.src.DomainStarted(ctx, "dom")
	p.src.DomainSuspended(ctx, "dom")
	srcBlobs, _ := p.fsrc.Blobs(v.UUID)

	id, key, err := p.dst.PrepareIncoming(ctx, "dom")
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 32 || len(key) != 32 {
		t.Fatalf("id %d bytes, key %d bytes", len(id), len(key))
	}
	if _, _, err := p.src.PrepareIncoming(ctx, "dom"); !errors.Is(err, vtpm.ErrDomainHasVTPM) {
		t.Errorf("PrepareIncoming on a domain with vTPM = %v", err)
	}
	if _, err := p.dst.Create(ctx, "dom", 0); !errors.Is(err, vtpm.ErrDomainHasVTPM) {
		t.Errorf("Create on a reserved domain = %v", err)
	}
	blob, err := p.src.Export(ctx, v.UUID, id, key)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := p.src.Get(v.UUID); got.Migration != vtpm.Migrating {
		t.Errorf("source after export: %v", got.Migration)
	}
	// Locked: no start, no second export, no destroy.
	if err := p.src.DomainStarted(ctx, "dom"); !errors.Is(err, vtpm.ErrBadState) {
		t.Errorf("start while migrating = %v", err)
	}
	if _, err := p.src.Export(ctx, v.UUID, id, key); !errors.Is(err, vtpm.ErrBadState) {
		t.Errorf("second export = %v", err)
	}
	if err := p.src.Destroy(ctx, v.UUID); !errors.Is(err, vtpm.ErrBadState) {
		t.Errorf("destroy while migrating = %v", err)
	}
	// Tampering, a wrong domain or a wrong id fail without using the id up.
	tampered := append([]byte{}, blob...)
	tampered[len(tampered)/2] ^= 1
	if _, err := p.dst.Import(ctx, "dom", id, tampered); err == nil {
		t.Error("tampered blob imported")
	}
	if _, err := p.dst.Import(ctx, "other", id, blob); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("import for another domain = %v", err)
	}
	wrongID := append([]byte{}, id...)
	wrongID[0] ^= 1
	if _, err := p.dst.Import(ctx, "dom", wrongID, blob); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("import under another id = %v", err)
	}
	got, err := p.dst.Import(ctx, "dom", id, blob)
	if err != nil {
		t.Fatal(err)
	}
	if got.UUID != v.UUID || got.Number != 42 || got.State != vtpm.Suspended ||
		string(got.EKCertPEM) != string(v.EKCertPEM) || got.Migration != vtpm.Resident {
		t.Errorf("imported = %+v", got)
	}
	dstBlobs, _ := p.fdst.Blobs(v.UUID)
	if string(dstBlobs.Permanent) != string(srcBlobs.Permanent) || string(dstBlobs.Volatile) != string(srcBlobs.Volatile) {
		t.Error("state changed on the way")
	}
	// Replay: same blob, same id.
	p.dst.DomainDeleted(ctx, "dom")
	if _, err := p.dst.Import(ctx, "dom", id, blob); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("replayed import = %v", err)
	}
	if err := p.src.Commit(ctx, v.UUID, wrongID, "https://dst"); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("commit with a wrong id = %v", err)
	}
	if err := p.src.Commit(ctx, v.UUID, id, "https://dst"); err != nil {
		t.Fatal(err)
	}
	tomb, _ := p.src.Get(v.UUID)
	if tomb.Migration != vtpm.MigratedAway || tomb.State != vtpm.Stopped || tomb.MigratedTo != "https://dst" {
		t.Errorf("tombstone = %+v", tomb)
	}
	if p.fsrc.Has(v.UUID) {
		t.Error("commit left the source state")
	}
	for name, op := range map[string]func() error{
		"start":  func() error { return p.src.DomainStarted(ctx, "dom") },
		"resume": func() error { return p.src.DomainResumed(ctx, "dom") },
		"export": func() error { _, err := p.src.Export(ctx, v.UUID, id, key); return err },
	} {
		if err := op(); !errors.Is(err, vtpm.ErrBadState) {
			t.Errorf("%s of a tombstone = %v, want ErrBadState", name, err)
		}
	}
	if err := p.src.Commit(ctx, v.UUID, id, "x"); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("second commit = %v", err)
	}
	if err := p.src.Destroy(ctx, v.UUID); err != nil {
		t.Errorf("destroy of a tombstone: %v", err)
	}
	if _, ok := p.src.ByDomain("dom"); ok {
		t.Error("tombstone still listed after destroy")
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "migration committed") {
		t.Fatal("nothing logged")
	}
	for name, secret := range map[string][]byte{"migration id": id, "key": key, "blob": blob[:40]} {
		for _, enc := range []string{hex.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret), string(secret)} {
			if strings.Contains(logs, enc[:16]) {
				t.Errorf("the %s appears in the log", name)
			}
		}
	}
}

func TestMigrationAbortAndTimeout(t *testing.T) {
	ctx := context.Background()
	p := newFakePair(t, time.Minute)
	v, _ := p.src.Create(ctx, "dom", 0)

	// Explicit abort: the source is usable, a late commit is refused, and the
	// id can not be used for another export.
	id, key, _ := p.dst.PrepareIncoming(ctx, "dom")
	if _, err := p.src.Export(ctx, v.UUID, id, key); err != nil {
		t.Fatal(err)
	}
	if err := p.src.Abort(ctx, v.UUID, id); err != nil {
		t.Fatal(err)
	}
	if err := p.src.Commit(ctx, v.UUID, id, "x"); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("late commit = %v", err)
	}
	if _, err := p.src.Export(ctx, v.UUID, id, key); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("export under a used id = %v", err)
	}
	if err := p.src.DomainStarted(ctx, "dom"); err != nil {
		t.Errorf("start after abort: %v", err)
	}
	if _, err := p.src.Export(ctx, v.UUID, id, key); !errors.Is(err, vtpm.ErrMigrationID) && !errors.Is(err, vtpm.ErrBadState) {
		t.Errorf("export of a running vTPM = %v", err)
	}
	p.src.DomainStopped(ctx, "dom")

	// Expiry seen by the clock: the commit comes too late.
	id2, key2, _ := p.dst.PrepareIncoming(ctx, "dom")
	if _, err := p.src.Export(ctx, v.UUID, id2, key2); err != nil {
		t.Fatal(err)
	}
	p.clock.Add(2 * time.Minute)
	if err := p.src.Commit(ctx, v.UUID, id2, "x"); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("commit after the timeout = %v", err)
	}
	if got, _ := p.src.Get(v.UUID); got.Migration != vtpm.Resident {
		t.Errorf("after expiry: %v", got.Migration)
	}
	if !p.fsrc.Has(v.UUID) {
		t.Error("expired migration lost the source state")
	}
}

func TestMigrationAutoAbortTimer(t *testing.T) {
	ctx := context.Background()
	p := newFakePair(t, 20*time.Millisecond)
	v, _ := p.src.Create(ctx, "dom", 0)
	id, key, _ := p.dst.PrepareIncoming(ctx, "dom")
	if _, err := p.src.Export(ctx, v.UUID, id, key); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := p.src.Get(v.UUID)
		if got.Migration == vtpm.Resident {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the source did not abort by itself")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := p.src.DomainStarted(ctx, "dom"); err != nil {
		t.Errorf("start after automatic abort: %v", err)
	}
}

func TestMigrationSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	f := vtpmtest.NewFake()
	root := t.TempDir()
	dst, err := vtpm.Open(ctx, vtpm.Options{Root: root, Backend: f})
	if err != nil {
		t.Fatal(err)
	}
	src := openFake(t, t.TempDir(), vtpmtest.NewFake())
	v, _ := src.Create(ctx, "dom", 0)
	id, key, _ := dst.PrepareIncoming(ctx, "dom")
	blob, err := src.Export(ctx, v.UUID, id, key)
	if err != nil {
		t.Fatal(err)
	}
	// The destination restarts between prepare and import: the reservation
	// survives; after the import the id stays used across a restart.
	dst.Close(ctx)
	dst = openFake(t, root, f)
	if _, err := dst.Import(ctx, "dom", id, blob); err != nil {
		t.Fatalf("import after restart: %v", err)
	}
	dst.DomainDeleted(ctx, "dom")
	dst.Close(ctx)
	dst = openFake(t, root, f)
	if _, err := dst.Import(ctx, "dom", id, blob); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("replay after restart = %v", err)
	}
}

func ReplayHex(events []string) string { return hex.EncodeToString(vtpm.ReplayPCR(events)) }

func TestReplayPCR(t *testing.T) {
	// The vtpm.md §4.5 vector: extends of SHA-256("measurement") from zero.
	d := sha256.Sum256([]byte("measurement"))
	ev := hex.EncodeToString(d[:])
	for n, want := range map[int]string{
		1:  "a33935fd5b102ab5d5202b3776ad7ff3e7d07f00f080c83b1b5cabc335f54e3d",
		20: "b0cdd8558e7ed2fc259bd80bab0c4db8139989723b817f25fd42f4939f931e29",
	} {
		events := make([]string, n)
		for i := range events {
			events[i] = ev
		}
		if got := ReplayHex(events); got != want {
			t.Errorf("%d events: %s, want %s", n, got, want)
		}
	}
	if got := ReplayHex(nil); got != "0000000000000000000000000000000000000000000000000000000000000000" {
		t.Errorf("empty log = %s", got)
	}
	if vtpm.ReplayPCR([]string{"zz"}) != nil {
		t.Error("bad hex accepted")
	}
	if vtpm.ReplayPCR([]string{"abcd"}) != nil {
		t.Error("short digest accepted")
	}
}
