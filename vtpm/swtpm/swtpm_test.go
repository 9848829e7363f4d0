package swtpm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/vtpm"
)

// §4.5 test vector: PCR16 (sha256) after n extends of SHA-256("measurement").
var pcrVector = map[int]string{
	1:  "a33935fd5b102ab5d5202b3776ad7ff3e7d07f00f080c83b1b5cabc335f54e3d",
	20: "b0cdd8558e7ed2fc259bd80bab0c4db8139989723b817f25fd42f4939f931e29",
	50: "8f25e30a5d1c2706c6ae2a64f7ca3ec2507372d11f5a68ec995eccb1b4796ab4",
}

var zeroPCR = strings.Repeat("00", 32)

// newRoot returns a fresh Root and makes the test fail (and clean up by pid)
// when any swtpm on it outlives the test.
func newRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	t.Cleanup(func() {
		for _, pid := range swtpmsUnder(root) {
			t.Errorf("swtpm process %d on %s outlived the test", pid, root)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return root
}

// swtpmsUnder lists live processes whose command line mentions root.
func swtpmsUnder(root string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cl, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cl, []byte(root+"/")) && processAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func newBackend(t testing.TB, root string) *Backend {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	b, err := New(Options{Root: root, Logger: logrus.NewEntry(log)})
	if err != nil {
		t.Fatalf("New: %v", err) // fails, never skips, when swtpm is missing
	}
	return b
}

// stopOnCleanup stops inst at the end of the test unless the test did.
func stopOnCleanup(t testing.TB, inst vtpm.Instance) {
	t.Cleanup(func() {
		if inst.PID() != 0 {
			inst.Stop(context.Background(), false)
		}
	})
}

func start(t testing.TB, b *Backend, id string, resume bool) vtpm.Instance {
	t.Helper()
	inst, err := b.Start(context.Background(), id, vtpm.StartOptions{Resume: resume})
	if err != nil {
		t.Fatalf("Start(%s, resume=%v): %v", id, resume, err)
	}
	stopOnCleanup(t, inst)
	return inst
}

var template struct {
	once  sync.Once
	blobs vtpm.Blobs
	err   error
}

// provisioned gives id a manufactured TPM by writing the state of one TPM
// provisioned once per test binary (swtpm_setup costs ~0.7 s).
func provisioned(t testing.TB, b *Backend, id string) {
	t.Helper()
	template.once.Do(func() {
		root, err := os.MkdirTemp("", "swtpm-template")
		if err != nil {
			template.err = err
			return
		}
		defer os.RemoveAll(root)
		log := logrus.New()
		log.SetOutput(io.Discard)
		tb, err := New(Options{Root: root, Logger: logrus.NewEntry(log)})
		if err != nil {
			template.err = err
			return
		}
		ctx := context.Background()
		if _, err := tb.Provision(ctx, "template", vtpm.ProvisionOptions{}); err != nil {
			template.err = err
			return
		}
		template.blobs, template.err = tb.ReadState(ctx, "template")
	})
	if template.err != nil {
		t.Fatalf("provisioning the template TPM: %v", template.err)
	}
	if err := b.WriteState(context.Background(), id, template.blobs); err != nil {
		t.Fatalf("WriteState: %v", err)
	}
}

var measurement = sha256.Sum256([]byte("measurement"))

func extend(t testing.TB, tpm transport.TPM, n int) {
	t.Helper()
	for range n {
		_, err := tpm2.PCRExtend{
			PCRHandle: tpm2.AuthHandle{Handle: tpm2.TPMHandle(16), Auth: tpm2.PasswordAuth(nil)},
			Digests: tpm2.TPMLDigestValues{Digests: []tpm2.TPMTHA{
				{HashAlg: tpm2.TPMAlgSHA256, Digest: measurement[:]},
			}},
		}.Execute(tpm)
		if err != nil {
			t.Fatalf("PCRExtend: %v", err)
		}
	}
}

func pcr16(t testing.TB, tpm transport.TPM) string {
	t.Helper()
	r, err := tpm2.PCRRead{PCRSelectionIn: tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
		{Hash: tpm2.TPMAlgSHA256, PCRSelect: tpm2.PCClientCompatible.PCRs(16)},
	}}}.Execute(tpm)
	if err != nil {
		t.Fatalf("PCRRead: %v", err)
	}
	if len(r.PCRValues.Digests) != 1 {
		t.Fatalf("PCRRead returned %d digests", len(r.PCRValues.Digests))
	}
	return hex.EncodeToString(r.PCRValues.Digests[0].Buffer)
}

func TestNewMissingTools(t *testing.T) {
	root := newRoot(t)
	tests := []struct {
		name string
		o    Options
	}{
		{"swtpm", Options{Root: root, SwtpmPath: "/nonexistent/swtpm"}},
		{"swtpm_setup", Options{Root: root, SetupPath: "/nonexistent/swtpm_setup"}},
		{"not executable", Options{Root: root, SwtpmPath: "/etc/hostname"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if !errors.Is(err, vtpm.ErrBackendMissing) {
				t.Fatalf("New = %v, want ErrBackendMissing", err)
			}
			if !strings.Contains(err.Error(), "apt-get install -y swtpm swtpm-tools") {
				t.Errorf("error %q lacks the install hint", err)
			}
		})
	}
}

func TestInvalidIDs(t *testing.T) {
	b := newBackend(t, newRoot(t))
	ctx := context.Background()
	for _, id := range []string{"", "..", "../x", "a/b", "ca", ".hidden", strings.Repeat("x", 65)} {
		if _, err := b.Provision(ctx, id, vtpm.ProvisionOptions{}); err == nil {
			t.Errorf("Provision(%q) succeeded", id)
		}
		if _, err := b.Start(ctx, id, vtpm.StartOptions{}); err == nil {
			t.Errorf("Start(%q) succeeded", id)
		}
		if err := b.Destroy(ctx, id); err == nil {
			t.Errorf("Destroy(%q) succeeded", id)
		}
	}
	if _, err := b.Start(ctx, "nostate", vtpm.StartOptions{}); !errors.Is(err, vtpm.ErrNoState) {
		t.Errorf("Start without state = %v, want ErrNoState", err)
	}
	if _, err := b.ReadState(ctx, "nostate"); !errors.Is(err, vtpm.ErrNoState) {
		t.Errorf("ReadState without state = %v, want ErrNoState", err)
	}
	if _, err := b.Provision(ctx, "x", vtpm.ProvisionOptions{PCRBanks: []string{"md5"}}); err == nil {
		t.Error("Provision with bank md5 succeeded")
	}
}

func TestProvision(t *testing.T) {
	root := newRoot(t)
	b := newBackend(t, root)
	ctx := context.Background()
	e, err := b.Provision(ctx, "tpm1", vtpm.ProvisionOptions{})
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	if e.Manufacturer != "IBM" || e.SpecMajor != 2 || e.SpecMinor != 0 {
		t.Errorf("identity = %q %d.%d, want IBM 2.0", e.Manufacturer, e.SpecMajor, e.SpecMinor)
	}
	if len(e.PCRBanks) != 1 || e.PCRBanks[0] != "sha256" || !strings.HasPrefix(e.FirmwareLabel, "swtpm ") {
		t.Errorf("banks %v, firmware %q", e.PCRBanks, e.FirmwareLabel)
	}
	blk, _ := pem.Decode(e.EKPublicPEM)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		t.Fatalf("EK public is not a PEM public key: %q", e.EKPublicPEM)
	}
	ekPub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatalf("EK public: %v", err)
	}
	blk, _ = pem.Decode(e.EKCertPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("EK cert is not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("EK cert: %v", err)
	}
	if k, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(ekPub) {
		t.Error("EK certificate key differs from the EK public")
	}

	caPEM, err := b.CACertificatesPEM()
	if err != nil {
		t.Fatalf("CACertificatesPEM: %v", err)
	}
	var chain []*x509.Certificate
	for rest := caPEM; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("CA cert: %v", err)
		}
		chain = append(chain, c)
	}
	if len(chain) != 2 || chain[0].Subject.CommonName != "swtpm-localca" || chain[1].Subject.CommonName != "swtpm-localca-rootca" {
		t.Fatalf("CA chain = %v, want issuer then root", chain)
	}
	verifyEKCert(t, cert, chain[0], chain[1])

	if _, err := b.Provision(ctx, "tpm1", vtpm.ProvisionOptions{}); !errors.Is(err, vtpm.ErrExists) {
		t.Errorf("second Provision = %v, want ErrExists", err)
	}
	if pids := swtpmsUnder(root); len(pids) != 0 {
		t.Errorf("Provision left swtpm processes %v", pids)
	}
	for _, f := range []string{"ca/swtpm-localca.conf", "ca/issuercert.pem", "tpm1/tpm/tpm2-00.permall"} {
		if !exists(filepath.Join(root, f)) {
			t.Errorf("%s missing", f)
		}
	}
}

var oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}

// verifyEKCert checks the chain as vtpm.md §4.6 says: the EK cert's critical SAN
// holds only a directoryName (TPM manufacturer/model/version) that crypto/x509
// does not handle, so it is checked here and then dropped before Verify.
func verifyEKCert(t *testing.T, cert, issuer, root *x509.Certificate) {
	t.Helper()
	var sanSeen bool
	unhandled := cert.UnhandledCriticalExtensions[:0:0]
	for _, oid := range cert.UnhandledCriticalExtensions {
		if oid.Equal(oidSAN) {
			sanSeen = true
			continue
		}
		unhandled = append(unhandled, oid)
	}
	if !sanSeen {
		t.Error("EK certificate has no critical SAN")
	}
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidSAN) && !bytes.Contains(ext.Value, []byte("swtpm")) {
			t.Error("SAN does not name the swtpm model")
		}
	}
	cert.UnhandledCriticalExtensions = unhandled
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	inter.AddCert(issuer)
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		t.Errorf("EK certificate does not chain to the CA: %v", err)
	}
}

func TestPCRVector(t *testing.T) {
	b := newBackend(t, newRoot(t))
	provisioned(t, b, "v")
	inst := start(t, b, "v", false)
	if got := pcr16(t, inst); got != zeroPCR {
		t.Fatalf("PCR16 at start = %s", got)
	}
	done := 0
	for _, n := range []int{1, 20, 50} {
		extend(t, inst, n-done)
		done = n
		if got := pcr16(t, inst); got != pcrVector[n] {
			t.Errorf("PCR16 after %d extends = %s, want %s", n, got, pcrVector[n])
		}
	}
	if err := inst.Stop(context.Background(), false); err != nil {
		t.Fatal(err)
	}
}

func TestLifecycle(t *testing.T) {
	root := newRoot(t)
	b := newBackend(t, root)
	ctx := context.Background()
	provisioned(t, b, "life")

	if _, err := b.Start(ctx, "life", vtpm.StartOptions{Resume: true}); !errors.Is(err, vtpm.ErrNoVolatileState) {
		t.Fatalf("Resume without volatile state = %v, want ErrNoVolatileState", err)
	}
	inst := start(t, b, "life", false)
	if inst.PID() == 0 {
		t.Fatal("PID is 0 for a running TPM")
	}
	if _, err := b.Start(ctx, "life", vtpm.StartOptions{}); !errors.Is(err, vtpm.ErrRunning) {
		t.Errorf("second Start = %v, want ErrRunning", err)
	}
	if _, err := b.ReadState(ctx, "life"); !errors.Is(err, vtpm.ErrRunning) {
		t.Errorf("ReadState while running = %v, want ErrRunning", err)
	}
	extend(t, inst, 1)

	// Suspend and resume keep the PCRs.
	if err := inst.Stop(ctx, true); err != nil {
		t.Fatalf("Stop(suspend): %v", err)
	}
	if inst.PID() != 0 {
		t.Error("PID after Stop is not 0")
	}
	if err := inst.Stop(ctx, false); !errors.Is(err, vtpm.ErrNotRunning) {
		t.Errorf("second Stop = %v, want ErrNotRunning", err)
	}
	if _, err := inst.Send([]byte{0x80, 1, 0, 0, 0, 10, 0, 0, 1, 0x7b}); err == nil {
		t.Error("Send after Stop succeeded")
	}
	if !exists(filepath.Join(root, "life/tpm/tpm2-00.volatilestate")) {
		t.Fatal("suspend kept no volatile state")
	}
	inst = start(t, b, "life", true)
	if got := pcr16(t, inst); got != pcrVector[1] {
		t.Fatalf("PCR16 after resume = %s, want %s", got, pcrVector[1])
	}
	extend(t, inst, 19)
	if got := pcr16(t, inst); got != pcrVector[20] {
		t.Errorf("PCR16 after resume + 19 = %s, want %s", got, pcrVector[20])
	}

	// Reset is a reboot.
	if err := inst.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if got := pcr16(t, inst); got != zeroPCR {
		t.Errorf("PCR16 after Reset = %s", got)
	}
	extend(t, inst, 1)

	// A shutdown drops the PCRs and any volatile state.
	if err := inst.Stop(ctx, false); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, f := range []string{"data.sock", "ctrl.sock", "swtpm.pid"} {
		if exists(filepath.Join(root, "life/run", f)) {
			t.Errorf("run/%s left after Stop", f)
		}
	}
	if _, err := b.Start(ctx, "life", vtpm.StartOptions{Resume: true}); !errors.Is(err, vtpm.ErrNoVolatileState) {
		t.Errorf("Resume after shutdown = %v, want ErrNoVolatileState", err)
	}
	inst = start(t, b, "life", false)
	if got := pcr16(t, inst); got != zeroPCR {
		t.Errorf("PCR16 after fresh start = %s", got)
	}
	// A fresh start after a suspend ignores the suspended state.
	extend(t, inst, 1)
	if err := inst.Stop(ctx, true); err != nil {
		t.Fatal(err)
	}
	inst = start(t, b, "life", false)
	if got := pcr16(t, inst); got != zeroPCR {
		t.Errorf("PCR16 after fresh start over a suspend = %s", got)
	}
	if err := inst.Stop(ctx, false); err != nil {
		t.Fatal(err)
	}
}

// abandon simulates a manager crash: the data connection closes (as it would
// with the process), the swtpm keeps running.
func abandon(inst vtpm.Instance) {
	in := inst.(*Instance)
	in.data.Close()
}

func TestAdopt(t *testing.T) {
	root := newRoot(t)
	ctx := context.Background()
	b1 := newBackend(t, root)
	provisioned(t, b1, "a")
	inst1, err := b1.Start(ctx, "a", vtpm.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	extend(t, inst1, 20)
	pid := inst1.PID()
	abandon(inst1)

	b2 := newBackend(t, root)
	if _, err := b2.Start(ctx, "a", vtpm.StartOptions{}); !errors.Is(err, vtpm.ErrRunning) {
		t.Errorf("Start over a live swtpm = %v, want ErrRunning", err)
	}
	inst2, err := b2.Adopt(ctx, "a")
	if err != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("Adopt: %v", err)
	}
	stopOnCleanup(t, inst2)
	if inst2.PID() != pid {
		t.Errorf("adopted pid %d, want %d", inst2.PID(), pid)
	}
	if got := pcr16(t, inst2); got != pcrVector[20] {
		t.Errorf("PCR16 after adoption = %s, want %s", got, pcrVector[20])
	}
	if err := inst2.Stop(ctx, true); err != nil {
		t.Fatalf("Stop adopted: %v", err)
	}
	if processAlive(pid) {
		t.Errorf("process %d alive after Stop", pid)
	}
	// The test process is the orphan's parent: make sure it was reaped here and
	// is not left as a zombie for init.
	<-inst1.(*Instance).done

	// A dead process: stale pid file and sockets are cleaned up.
	run := filepath.Join(root, "a/run")
	for _, f := range []string{"swtpm.pid", "data.sock", "ctrl.sock"} {
		content := "x"
		if f == "swtpm.pid" {
			content = strconv.Itoa(pid)
		}
		if err := os.WriteFile(filepath.Join(run, f), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b2.Adopt(ctx, "a"); !errors.Is(err, vtpm.ErrNotRunning) {
		t.Fatalf("Adopt of a dead TPM = %v, want ErrNotRunning", err)
	}
	for _, f := range []string{"swtpm.pid", "data.sock", "ctrl.sock"} {
		if exists(filepath.Join(run, f)) {
			t.Errorf("stale %s left after Adopt", f)
		}
	}
	// The suspended state survived all this.
	inst3 := start(t, b2, "a", true)
	if got := pcr16(t, inst3); got != pcrVector[20] {
		t.Errorf("PCR16 after resume = %s", got)
	}
	if err := inst3.Stop(ctx, false); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateState(t *testing.T) {
	ctx := context.Background()
	src := newBackend(t, newRoot(t))
	dst := newBackend(t, newRoot(t))
	provisioned(t, src, "m")
	inst := start(t, src, "m", false)
	extend(t, inst, 50)
	if err := inst.Stop(ctx, true); err != nil {
		t.Fatal(err)
	}
	blobs, err := src.ReadState(ctx, "m")
	if err != nil {
		t.Fatalf("ReadState: %v", err)
	}
	if len(blobs.Permanent) == 0 || len(blobs.Volatile) == 0 {
		t.Fatalf("blobs of %d/%d bytes", len(blobs.Permanent), len(blobs.Volatile))
	}
	if err := dst.WriteState(ctx, "m", blobs); err != nil {
		t.Fatalf("WriteState: %v", err)
	}
	if err := src.Destroy(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	moved := start(t, dst, "m", true)
	if got := pcr16(t, moved); got != pcrVector[50] {
		t.Errorf("PCR16 after migration = %s, want %s", got, pcrVector[50])
	}
	if err := dst.WriteState(ctx, "m", blobs); !errors.Is(err, vtpm.ErrRunning) {
		t.Errorf("WriteState while running = %v, want ErrRunning", err)
	}
	if err := moved.Stop(ctx, false); err != nil {
		t.Fatal(err)
	}
	// WriteState with nil Volatile removes a kept volatile state.
	if err := dst.WriteState(ctx, "m", vtpm.Blobs{Permanent: blobs.Permanent}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Start(ctx, "m", vtpm.StartOptions{Resume: true}); !errors.Is(err, vtpm.ErrNoVolatileState) {
		t.Errorf("Resume after WriteState without volatile = %v", err)
	}
}

func TestDestroy(t *testing.T) {
	root := newRoot(t)
	ctx := context.Background()
	b := newBackend(t, root)
	provisioned(t, b, "d")
	inst := start(t, b, "d", false)
	pid := inst.PID()
	if err := b.Destroy(ctx, "d"); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if processAlive(pid) {
		t.Error("Destroy left the process running")
	}
	if exists(filepath.Join(root, "d")) {
		t.Error("Destroy left the TPM folder")
	}
	if err := b.Destroy(ctx, "d"); err != nil {
		t.Errorf("Destroy of nothing = %v", err)
	}
	// Destroy of a TPM left running by an earlier manager.
	provisioned(t, b, "d2")
	inst2 := start(t, b, "d2", false)
	pid = inst2.PID()
	abandon(inst2)
	b2 := newBackend(t, root)
	if err := b2.Destroy(ctx, "d2"); err != nil {
		t.Fatalf("Destroy of an orphan: %v", err)
	}
	if processAlive(pid) || exists(filepath.Join(root, "d2")) {
		t.Error("Destroy of an orphan left process or files")
	}
	<-inst2.(*Instance).done
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if e.Name() != "ca" {
			t.Errorf("%s left in root", e.Name())
		}
	}
}

// TestControlChannel checks the control client against swtpm, including the
// 4-byte error framing (§2.5a) and the state blob path of a live migration (§2.7).
func TestControlChannel(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, newRoot(t))
	provisioned(t, b, "c")
	inst := start(t, b, "c", false).(*Instance)
	caps, err := inst.ctrl.GetCapability(ctx)
	if err != nil || caps == 0 {
		t.Fatalf("GET_CAPABILITY = %#x, %v", caps, err)
	}
	extend(t, inst, 1)
	perm, err := inst.ctrl.GetStateBlob(ctx, blobPermanent)
	if err != nil || len(perm) == 0 {
		t.Fatalf("GET_STATEBLOB permanent: %d bytes, %v", len(perm), err)
	}
	vol, err := inst.ctrl.GetStateBlob(ctx, blobVolatile)
	if err != nil || len(vol) == 0 {
		t.Fatalf("GET_STATEBLOB volatile: %d bytes, %v", len(vol), err)
	}
	if err := inst.ctrl.Stop(ctx); err != nil {
		t.Fatalf("STOP: %v", err)
	}
	_, err = inst.ctrl.GetStateBlob(ctx, blobVolatile)
	var ce *CtrlError
	if !errors.As(err, &ce) || ce.Code == 0 || !errors.Is(err, vtpm.ErrBackendProtocol) {
		t.Fatalf("GET_STATEBLOB after STOP = %v, want a CtrlError", err)
	}
	// Rollback path: set the kept volatile blob and power on again.
	if err := inst.ctrl.SetStateBlob(ctx, blobVolatile, vol); err != nil {
		t.Fatalf("SET_STATEBLOB: %v", err)
	}
	if err := inst.ctrl.Init(ctx, 0); err != nil {
		t.Fatalf("INIT: %v", err)
	}
	if got := pcr16(t, inst); got != pcrVector[1] {
		t.Errorf("PCR16 after SET_STATEBLOB + INIT = %s", got)
	}
	if err := inst.Stop(ctx, false); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkProvision(b *testing.B) {
	bk := newBackend(b, newRoot(b))
	ctx := context.Background()
	if _, err := bk.CACertificatesPEM(); err != nil { // the CA is a one-time cost
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		id := "p" + strconv.Itoa(i)
		if _, err := bk.Provision(ctx, id, vtpm.ProvisionOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartStop(b *testing.B) {
	bk := newBackend(b, newRoot(b))
	provisioned(b, bk, "s")
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		inst, err := bk.Start(ctx, "s", vtpm.StartOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := inst.Stop(ctx, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPCRRead(b *testing.B) {
	bk := newBackend(b, newRoot(b))
	provisioned(b, bk, "r")
	inst := start(b, bk, "r", false)
	b.ResetTimer()
	for range b.N {
		pcr16(b, inst)
	}
	b.StopTimer()
	inst.Stop(context.Background(), false)
}
