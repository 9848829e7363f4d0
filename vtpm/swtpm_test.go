package vtpm_test

// Tests and benchmarks of the manager on the real backend (vtpm/swtpm). They
// fail, never skip, when swtpm is missing, and check that no swtpm process
// outlives them.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/vtpm"
	"github.com/shypecim/shypecim/vtpm/swtpm"
)

var measurement = func() []byte { d := sha256.Sum256([]byte("measurement")); return d[:] }()

const pcr16After1 = "a33935fd5b102ab5d5202b3776ad7ff3e7d07f00f080c83b1b5cabc335f54e3d"

var zero32 = make([]byte, 32)

func quietLogger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// realRoot is a test folder whose swtpm processes must all be gone at the end.
func realRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	t.Cleanup(func() {
		for _, pid := range swtpmPIDs(root) {
			t.Errorf("swtpm %d on %s outlived the test", pid, root)
			syscall.Kill(pid, syscall.SIGKILL) // our own child, by pid
		}
	})
	return root
}

func swtpmPIDs(root string) []int {
	des, _ := os.ReadDir("/proc")
	var pids []int
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil {
			continue
		}
		cl, err := os.ReadFile(filepath.Join("/proc", de.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cl, []byte(root+"/")) || !bytes.Contains(cl, []byte("swtpm")) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join("/proc", de.Name(), "stat")); err == nil && bytes.Contains(st, []byte(") Z ")) {
			continue // a zombie holds nothing
		}
		pids = append(pids, pid)
	}
	return pids
}

func realBackend(t testing.TB, root string) *swtpm.Backend {
	t.Helper()
	b, err := swtpm.New(swtpm.Options{Root: filepath.Join(root, "backend"), Logger: quietLogger()})
	if err != nil {
		t.Fatalf("swtpm backend: %v", err)
	}
	return b
}

func openReal(t testing.TB, root string, o vtpm.Options) *vtpm.Manager {
	t.Helper()
	if o.Backend == nil {
		o.Backend = realBackend(t, root)
	}
	o.Root = filepath.Join(root, "manager")
	o.Logger = quietLogger()
	m, err := vtpm.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func pcr16(t *testing.T, m *vtpm.Manager, uuid string) string {
	t.Helper()
	v, err := m.ReadPCRs(context.Background(), uuid, "sha256", []int{16})
	if err != nil {
		t.Fatalf("ReadPCRs: %v", err)
	}
	return hex.EncodeToString(v[0])
}

func TestSwtpmLifecycle(t *testing.T) {
	ctx := context.Background()
	root := realRoot(t)
	m := openReal(t, root, vtpm.Options{})
	v, err := m.Create(ctx, "dom", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.Manufacturer != "IBM" || !bytes.Contains(v.EKCertPEM, []byte("CERTIFICATE")) {
		t.Errorf("endorsement: %q, %d bytes of cert", v.Manufacturer, len(v.EKCertPEM))
	}
	if _, err := m.ReadPCRs(ctx, v.UUID, "sha256", nil); !errors.Is(err, vtpm.ErrBadState) {
		t.Errorf("ReadPCRs of a stopped vTPM = %v", err)
	}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"start", func() error { return m.DomainStarted(ctx, "dom") }, hex.EncodeToString(zero32)},
		{"extend", func() error { return m.ExtendPCR(ctx, v.UUID, "sha256", 16, measurement) }, pcr16After1},
		{"suspend+resume keeps", func() error {
			if err := m.DomainSuspended(ctx, "dom"); err != nil {
				return err
			}
			return m.DomainResumed(ctx, "dom")
		}, pcr16After1},
		{"reboot resets", func() error { return m.DomainRebooted(ctx, "dom") }, hex.EncodeToString(zero32)},
		{"extend again", func() error { return m.ExtendPCR(ctx, v.UUID, "sha256", 16, measurement) }, pcr16After1},
		{"suspend+stop+start resets", func() error {
			if err := m.DomainSuspended(ctx, "dom"); err != nil {
				return err
			}
			if err := m.DomainStopped(ctx, "dom"); err != nil {
				return err
			}
			if err := m.DomainResumed(ctx, "dom"); !errors.Is(err, vtpm.ErrBadState) {
				return fmt.Errorf("resume after stop = %v, want ErrBadState", err)
			}
			return m.DomainStarted(ctx, "dom")
		}, hex.EncodeToString(zero32)},
		{"extend once more", func() error { return m.ExtendPCR(ctx, v.UUID, "sha256", 16, measurement) }, pcr16After1},
		{"stop+start resets", func() error {
			if err := m.DomainStopped(ctx, "dom"); err != nil {
				return err
			}
			return m.DomainStarted(ctx, "dom")
		}, hex.EncodeToString(zero32)},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := pcr16(t, m, v.UUID); got != s.want {
			t.Fatalf("%s: PCR16 = %s, want %s", s.name, got, s.want)
		}
	}
	all, err := m.ReadPCRs(ctx, v.UUID, "sha256", nil)
	if err != nil || len(all) != 24 {
		t.Fatalf("ReadPCRs all: %d values, %v", len(all), err)
	}
	for _, bad := range []struct {
		bank string
		pcr  int
		d    []byte
	}{{"sha256", 24, measurement}, {"sha256", 16, measurement[:20]}, {"md5", 16, measurement}} {
		if err := m.ExtendPCR(ctx, v.UUID, bad.bank, bad.pcr, bad.d); !errors.Is(err, vtpm.ErrInvalid) {
			t.Errorf("ExtendPCR(%s, %d, %d bytes) = %v, want ErrInvalid", bad.bank, bad.pcr, len(bad.d), err)
		}
	}
	if err := m.Destroy(ctx, v.UUID); !errors.Is(err, vtpm.ErrBadState) {
		t.Errorf("Destroy of a running vTPM = %v", err)
	}
	if err := m.DomainDeleted(ctx, "dom"); err != nil {
		t.Fatal(err)
	}
	if pids := swtpmPIDs(root); len(pids) != 0 {
		t.Errorf("swtpm left after DomainDeleted: %v", pids)
	}
}

func TestSwtpmQuote(t *testing.T) {
	ctx := context.Background()
	root := realRoot(t)
	m := openReal(t, root, vtpm.Options{})
	v, err := m.Create(ctx, "dom", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DomainStarted(ctx, "dom"); err != nil {
		t.Fatal(err)
	}
	if err := m.ExtendPCR(ctx, v.UUID, "sha256", 16, measurement); err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, 32)
	rand.Read(nonce)
	for _, n := range [][]byte{nonce[:15], make([]byte, 65)} {
		if _, err := m.Quote(ctx, v.UUID, n, "sha256", nil); !errors.Is(err, vtpm.ErrInvalid) {
			t.Errorf("Quote with a %d-byte nonce = %v", len(n), err)
		}
	}
	pcrs := []int{16, 0, 7}
	ev, err := m.Quote(ctx, v.UUID, nonce, "sha256", pcrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.PCRs) != 3 || ev.PCRs[0] != 0 || ev.PCRs[2] != 16 || hex.EncodeToString(ev.PCRValues[2]) != pcr16After1 {
		t.Fatalf("evidence PCRs %v values %x", ev.PCRs, ev.PCRValues)
	}
	if !bytes.Equal(ev.EKCertPEM, v.EKCertPEM) || ev.Bank != "sha256" {
		t.Error("evidence lacks the EK certificate or bank")
	}
	// The AK is deterministic and flushed: a second quote uses the same key
	// and the TPM has no transient object left (a third quote still works).
	ev2, err := m.Quote(ctx, v.UUID, nonce, "sha256", []int{16})
	if err != nil || !bytes.Equal(ev2.AKPublicPEM, ev.AKPublicPEM) {
		t.Fatalf("second quote: %v, same AK %v", err, bytes.Equal(ev2.AKPublicPEM, ev.AKPublicPEM))
	}

	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&otherKey.PublicKey)
	otherPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tampered := bytes.Clone(ev.Quoted)
	tampered[len(tampered)-1] ^= 1
	wrongNonce := bytes.Clone(nonce)
	wrongNonce[0] ^= 1
	wrongValues := [][]byte{ev.PCRValues[0], ev.PCRValues[1], zero32}
	goodRef := [][]byte{nil, nil, ev.PCRValues[2]}
	badRef := [][]byte{nil, nil, zero32}

	tests := []struct {
		name    string
		quoted  []byte
		ak      []byte
		nonce   []byte
		pcrs    []int
		values  [][]byte
		ref     [][]byte
		verdict vtpm.Verdict
	}{
		{"no policy, TPM2B AK", ev.Quoted, ev.AKPublic, nonce, ev.PCRs, ev.PCRValues, nil, vtpm.Trusted},
		{"no policy, PEM AK", ev.Quoted, ev.AKPublicPEM, nonce, ev.PCRs, ev.PCRValues, nil, vtpm.Trusted},
		{"reference matches", ev.Quoted, ev.AKPublicPEM, nonce, ev.PCRs, ev.PCRValues, goodRef, vtpm.Trusted},
		{"PCRs in another order", ev.Quoted, ev.AKPublicPEM, nonce, []int{16, 0, 7},
			[][]byte{ev.PCRValues[2], ev.PCRValues[0], ev.PCRValues[1]}, nil, vtpm.Trusted},
		{"reference differs", ev.Quoted, ev.AKPublicPEM, nonce, ev.PCRs, ev.PCRValues, badRef, vtpm.Untrusted},
		{"wrong nonce", ev.Quoted, ev.AKPublicPEM, wrongNonce, ev.PCRs, ev.PCRValues, nil, vtpm.Invalid},
		{"tampered attest byte", tampered, ev.AKPublicPEM, nonce, ev.PCRs, ev.PCRValues, nil, vtpm.Invalid},
		{"wrong PCR value", ev.Quoted, ev.AKPublicPEM, nonce, ev.PCRs, wrongValues, nil, vtpm.Invalid},
		{"wrong key", ev.Quoted, otherPEM, nonce, ev.PCRs, ev.PCRValues, nil, vtpm.Invalid},
		{"other selection", ev.Quoted, ev.AKPublicPEM, nonce, []int{0, 7, 15}, ev.PCRValues, nil, vtpm.Invalid},
		{"missing value", ev.Quoted, ev.AKPublicPEM, nonce, ev.PCRs, ev.PCRValues[:2], nil, vtpm.Invalid},
		{"garbage AK", ev.Quoted, []byte{1, 2, 3}, nonce, ev.PCRs, ev.PCRValues, nil, vtpm.Invalid},
		{"garbage quote", []byte{0xff}, ev.AKPublicPEM, nonce, ev.PCRs, ev.PCRValues, nil, vtpm.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, detail := vtpm.VerifyQuote(tc.quoted, ev.Signature, tc.ak, tc.nonce, tc.pcrs, tc.values, tc.ref)
			if got != tc.verdict {
				t.Errorf("verdict %v (%s), want %v", got, detail, tc.verdict)
			}
			if got != vtpm.Trusted && detail == "" {
				t.Error("no detail for a failed verification")
			}
		})
	}
	if got, _ := vtpm.VerifyQuote(ev.Quoted, ev.Signature[:len(ev.Signature)-3], ev.AKPublicPEM, nonce, ev.PCRs, ev.PCRValues, nil); got != vtpm.Invalid {
		t.Errorf("truncated signature: %v", got)
	}
}

func TestSwtpmCloseOpenAndCrash(t *testing.T) {
	ctx := context.Background()
	root := realRoot(t)
	mroot := filepath.Join(root, "manager")
	open := func() *vtpm.Manager {
		m, err := vtpm.Open(ctx, vtpm.Options{Root: mroot, Backend: realBackend(t, root), Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := open()
	v, err := m.Create(ctx, "dom", 0)
	if err != nil {
		m.Close(ctx)
		t.Fatal(err)
	}
	m.DomainStarted(ctx, "dom")
	if err := m.ExtendPCR(ctx, v.UUID, "sha256", 16, measurement); err != nil {
		m.Close(ctx)
		t.Fatal(err)
	}
	// Clean restart: Close parks, Open resumes with the PCRs.
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if pids := swtpmPIDs(root); len(pids) != 0 {
		t.Fatalf("Close left swtpm %v", pids)
	}
	m = open()
	if got := pcr16(t, m, v.UUID); got != pcr16After1 {
		m.Close(ctx)
		t.Fatalf("after Close/Open PCR16 = %s", got)
	}
	// Crash: a manager process dies without Close (a child test process
	// that extends once more and exits); its swtpm lives on and the next
	// manager adopts it with the PCRs.
	m.Close(ctx)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSwtpmCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "VTPM_CRASH_ROOT="+root, "VTPM_CRASH_UUID="+v.UUID)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crashing manager: %v\n%s", err, out)
	}
	if len(swtpmPIDs(root)) != 1 {
		t.Fatal("the swtpm did not survive the manager crash")
	}
	m = open()
	defer m.Close(ctx)
	if got, _ := m.Get(v.UUID); got.State != vtpm.Running {
		t.Fatalf("after crash: %v", got.State)
	}
	ev := hex.EncodeToString(measurement)
	if got, want := pcr16(t, m, v.UUID), hex.EncodeToString(vtpm.ReplayPCR([]string{ev, ev})); got != want {
		t.Fatalf("after adopt PCR16 = %s, want %s", got, want)
	}
}

// TestSwtpmCrashChild is the manager process that crashes in
// TestSwtpmCloseOpenAndCrash; it does nothing when run on its own.
func TestSwtpmCrashChild(t *testing.T) {
	root, uuid := os.Getenv("VTPM_CRASH_ROOT"), os.Getenv("VTPM_CRASH_UUID")
	if root == "" {
		return
	}
	ctx := context.Background()
	b, err := swtpm.New(swtpm.Options{Root: filepath.Join(root, "backend"), Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	m, err := vtpm.Open(ctx, vtpm.Options{Root: filepath.Join(root, "manager"), Backend: b})
	if err == nil {
		err = m.ExtendPCR(ctx, uuid, "sha256", 16, measurement)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(0) // no Close: the crash
}

func TestSwtpmMigration(t *testing.T) {
	ctx := context.Background()
	rootA, rootB := realRoot(t), realRoot(t)
	clk := &clock{t: time.Now()}
	src := openReal(t, rootA, vtpm.Options{Now: clk.Now, MigrationTimeout: time.Minute})
	dst := openReal(t, rootB, vtpm.Options{})
	v, err := src.Create(ctx, "dom", 3)
	if err != nil {
		t.Fatal(err)
	}
	src.DomainStarted(ctx, "dom")
	src.ExtendPCR(ctx, v.UUID, "sha256", 16, measurement)
	before, err := src.ReadPCRs(ctx, v.UUID, "sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Export(ctx, v.UUID, make([]byte, 32), make([]byte, 32)); !errors.Is(err, vtpm.ErrBadState) && !errors.Is(err, vtpm.ErrInvalid) {
		t.Errorf("export of a running vTPM = %v", err)
	}
	if err := src.DomainSuspended(ctx, "dom"); err != nil {
		t.Fatal(err)
	}

	// 1. Abort: the source resumes with its PCRs.
	id, key, _ := dst.PrepareIncoming(ctx, "dom")
	if _, err := src.Export(ctx, v.UUID, id, key); err != nil {
		t.Fatal(err)
	}
	if err := src.DomainResumed(ctx, "dom"); !errors.Is(err, vtpm.ErrBadState) {
		t.Errorf("resume while migrating = %v", err)
	}
	if err := src.Abort(ctx, v.UUID, id); err != nil {
		t.Fatal(err)
	}
	if err := src.DomainResumed(ctx, "dom"); err != nil {
		t.Fatal(err)
	}
	if got := pcr16(t, src, v.UUID); got != pcr16After1 {
		t.Fatalf("after abort PCR16 = %s", got)
	}
	src.DomainSuspended(ctx, "dom")

	// 2. Timeout: a commit after MigrationTimeout is refused, the source stays.
	id, key, _ = dst.PrepareIncoming(ctx, "dom")
	if _, err := src.Export(ctx, v.UUID, id, key); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Minute)
	if err := src.Commit(ctx, v.UUID, id, "https://b"); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Fatalf("late commit = %v", err)
	}
	if got, _ := src.Get(v.UUID); got.Migration != vtpm.Resident || got.State != vtpm.Suspended {
		t.Fatalf("after timeout: %v %v", got.Migration, got.State)
	}

	// 3. The move.
	id, key, _ = dst.PrepareIncoming(ctx, "dom")
	blob, err := src.Export(ctx, v.UUID, id, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Import(ctx, "dom", id, blob)
	if err != nil {
		t.Fatal(err)
	}
	if got.UUID != v.UUID || got.Number != 3 || got.State != vtpm.Suspended {
		t.Errorf("imported: %+v", got)
	}
	if err := src.Commit(ctx, v.UUID, id, "https://b"); err != nil {
		t.Fatal(err)
	}
	if err := dst.DomainResumed(ctx, "dom"); err != nil {
		t.Fatal(err)
	}
	after, err := dst.ReadPCRs(ctx, v.UUID, "sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			t.Errorf("PCR %d changed in the move: %x → %x", i, before[i], after[i])
		}
	}
	for name, op := range map[string]func() error{
		"start":  func() error { return src.DomainStarted(ctx, "dom") },
		"resume": func() error { return src.DomainResumed(ctx, "dom") },
	} {
		if err := op(); !errors.Is(err, vtpm.ErrBadState) {
			t.Errorf("%s on the source after commit = %v, want ErrBadState", name, err)
		}
	}
	// Replays: the blob under its id, on a domain made free again.
	dst.DomainStopped(ctx, "dom")
	dst.DomainDeleted(ctx, "dom")
	if _, err := dst.Import(ctx, "dom", id, blob); !errors.Is(err, vtpm.ErrMigrationID) {
		t.Errorf("replayed blob = %v", err)
	}
}

func TestSwtpmHostAttestation(t *testing.T) {
	ctx := context.Background()
	root := realRoot(t)
	b := realBackend(t, root)
	hroot := filepath.Join(root, "host")
	h, err := vtpm.OpenHost(ctx, vtpm.HostOptions{Backend: b, Root: hroot, Reset: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { h.Close(ctx) }()
	policies := [][]byte{[]byte("policy one"), []byte("policy two")}
	for _, p := range policies {
		if err := h.Measure(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	check := func(wantEvents int) {
		t.Helper()
		nonce := make([]byte, 20)
		rand.Read(nonce)
		ev, err := h.Attest(ctx, nonce)
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.EventLog) != wantEvents {
			t.Fatalf("event log has %d entries, want %d", len(ev.EventLog), wantEvents)
		}
		if got := h.EventLog(); !slices.Equal(got, ev.EventLog) {
			t.Errorf("EventLog() = %v, the quote's log %v", got, ev.EventLog)
		}
		if !bytes.Equal(vtpm.ReplayPCR(ev.EventLog), ev.PCRValue) {
			t.Fatalf("replay %x != PCR 10 %x", vtpm.ReplayPCR(ev.EventLog), ev.PCRValue)
		}
		last := sha256.Sum256(policies[1])
		if wantEvents > 0 && ev.PolicyHash != hex.EncodeToString(last[:]) {
			t.Errorf("PolicyHash %s", ev.PolicyHash)
		}
		verdict, detail := vtpm.VerifyQuote(ev.Quoted, ev.Signature, ev.AKPublicPEM, nonce,
			[]int{vtpm.PolicyPCR}, [][]byte{ev.PCRValue}, [][]byte{vtpm.ReplayPCR(ev.EventLog)})
		if verdict != vtpm.Trusted {
			t.Fatalf("host quote: %v %s", verdict, detail)
		}
	}
	check(2)
	if _, err := h.Attest(ctx, make([]byte, 8)); !errors.Is(err, vtpm.ErrInvalid) {
		t.Errorf("short nonce = %v", err)
	}
	// A management restart keeps PCR 10 and the log.
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err = vtpm.OpenHost(ctx, vtpm.HostOptions{Backend: realBackend(t, root), Root: hroot}); err != nil {
		t.Fatal(err)
	}
	check(2)
	// A host boot starts both anew.
	h.Close(ctx)
	if h, err = vtpm.OpenHost(ctx, vtpm.HostOptions{Backend: realBackend(t, root), Root: hroot, Reset: true}); err != nil {
		t.Fatal(err)
	}
	check(0)
}
