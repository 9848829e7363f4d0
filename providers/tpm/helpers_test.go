package tpm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/toolstack"
	"github.com/shypecim/shypecim/vtpm"
)

var ctx = context.Background()

const (
	testHost   = "host1"
	haltedUUID = "11111111-1111-1111-1111-111111111111" // halted, has vTPM 1
	runUUID    = "22222222-2222-2222-2222-222222222222" // running, has vTPM 2
	bareUUID   = "33333333-3333-3333-3333-333333333333" // halted, no vTPM
	suspUUID   = "44444444-4444-4444-4444-444444444444" // suspended, has vTPM 3
	goneUUID   = "55555555-5555-5555-5555-555555555555" // halted, tombstone 4
	vtpm1      = "aaaaaaaa-0000-0000-0000-000000000001"
	vtpm2      = "aaaaaaaa-0000-0000-0000-000000000002"
	vtpm3      = "aaaaaaaa-0000-0000-0000-000000000003"
	vtpm4      = "aaaaaaaa-0000-0000-0000-000000000004"
	destURL    = "https://dest.example:5989/cimom"
)

// fakeManager is a vTPM manager in memory: a table the test sets, per-method
// errors to inject, and a log of the calls with their arguments.
type fakeManager struct {
	mu    sync.Mutex
	vtpms []vtpm.VTPM
	errs  map[string]error
	calls []string

	pcrs     [][]byte
	evidence vtpm.Evidence
	id, key  []byte
	blob     []byte
}

func newManager() *fakeManager {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	v := func(uuid string, n int, dom string, st vtpm.State) vtpm.VTPM {
		return vtpm.VTPM{
			UUID: uuid, Number: n, Domain: dom, Backend: "swtpm", PCRBanks: []string{"sha256"},
			State: st, Migration: vtpm.Resident, EKPublicPEM: []byte("-----BEGIN PUBLIC KEY-----\nEK\n-----END PUBLIC KEY-----\n"),
			EKCertPEM: []byte("-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n"), Manufacturer: "IBM", Created: t0,
		}
	}
	tomb := v(vtpm4, 4, goneUUID, vtpm.Stopped)
	tomb.Migration, tomb.MigratedTo, tomb.EKPublicPEM, tomb.EKCertPEM = vtpm.MigratedAway, destURL, nil, nil
	return &fakeManager{
		vtpms: []vtpm.VTPM{
			v(vtpm1, 1, haltedUUID, vtpm.Stopped),
			v(vtpm2, 2, runUUID, vtpm.Running),
			v(vtpm3, 3, suspUUID, vtpm.Suspended),
			tomb,
		},
		errs: map[string]error{},
		pcrs: [][]byte{{0x00, 0x01}, {0xff, 0xfe}},
		evidence: vtpm.Evidence{
			Quoted: []byte("attest"), Signature: []byte("sig"), AKPublic: []byte("tpm2b"),
			AKPublicPEM: []byte("-----BEGIN PUBLIC KEY-----\nAK\n-----END PUBLIC KEY-----\n"),
			PCRs:        []int{0, 7}, PCRValues: [][]byte{{0xaa}, {0xbb}}, Bank: "sha256", EKCertPEM: []byte("EKCERT"),
		},
		id:   []byte("migration-id-0123456789abcdef012"),
		key:  []byte("destination-key-0123456789abcdef"),
		blob: []byte("sealed blob"),
	}
}

// record logs a call and returns the error injected for its method.
func (m *fakeManager) record(format string, args ...any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	call := fmt.Sprintf(format, args...)
	m.calls = append(m.calls, call)
	name, _, _ := strings.Cut(call, "(")
	return m.errs[name]
}

func (m *fakeManager) callLog() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

func (m *fakeManager) Create(ctx context.Context, domain string, preferred int) (vtpm.VTPM, error) {
	if err := m.record("Create(%s, %d)", domain, preferred); err != nil {
		return vtpm.VTPM{}, err
	}
	n := preferred
	if n == 0 {
		n = 9
	}
	v := vtpm.VTPM{UUID: "new", Number: n, Domain: domain}
	m.mu.Lock()
	m.vtpms = append(m.vtpms, v)
	m.mu.Unlock()
	return v, nil
}

func (m *fakeManager) Destroy(ctx context.Context, uuid string) error {
	return m.record("Destroy(%s)", uuid)
}

func (m *fakeManager) List() []vtpm.VTPM {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.vtpms)
}

func (m *fakeManager) ReadPCRs(ctx context.Context, uuid, bank string, pcrs []int) ([][]byte, error) {
	if err := m.record("ReadPCRs(%s, %s, %v)", uuid, bank, pcrs); err != nil {
		return nil, err
	}
	return m.pcrs, nil
}

func (m *fakeManager) ExtendPCR(ctx context.Context, uuid, bank string, pcr int, digest []byte) error {
	return m.record("ExtendPCR(%s, %s, %d, %x)", uuid, bank, pcr, digest)
}

func (m *fakeManager) Quote(ctx context.Context, uuid string, nonce []byte, bank string, pcrs []int) (vtpm.Evidence, error) {
	if err := m.record("Quote(%s, %x, %s, %v)", uuid, nonce, bank, pcrs); err != nil {
		return vtpm.Evidence{}, err
	}
	return m.evidence, nil
}

func (m *fakeManager) PrepareIncoming(ctx context.Context, domain string) ([]byte, []byte, error) {
	if err := m.record("PrepareIncoming(%s)", domain); err != nil {
		return nil, nil, err
	}
	return m.id, m.key, nil
}

func (m *fakeManager) Export(ctx context.Context, uuid string, id, key []byte) ([]byte, error) {
	if err := m.record("Export(%s, %s, %s)", uuid, id, key); err != nil {
		return nil, err
	}
	return m.blob, nil
}

func (m *fakeManager) Import(ctx context.Context, domain string, id, blob []byte) (vtpm.VTPM, error) {
	if err := m.record("Import(%s, %s, %s)", domain, id, blob); err != nil {
		return vtpm.VTPM{}, err
	}
	return vtpm.VTPM{UUID: "imported", Number: 5, Domain: domain}, nil
}

func (m *fakeManager) Commit(ctx context.Context, uuid string, id []byte, destination string) error {
	return m.record("Commit(%s, %s, %s)", uuid, id, destination)
}

func (m *fakeManager) Abort(ctx context.Context, uuid string, id []byte) error {
	return m.record("Abort(%s, %s)", uuid, id)
}

// fakeTS is a toolstack that knows a few domains.
type fakeTS struct {
	domains map[string]toolstack.Domain
	err     error // returned by every Domain call when set
}

func newTS() *fakeTS {
	d := func(uuid, name string, st hypervisor.State) toolstack.Domain {
		var dom toolstack.Domain
		dom.UUID, dom.Name, dom.State = uuid, name, st
		dom.Kernel, dom.Ramdisk, dom.MemoryMiB, dom.VCPUs, dom.Label = "/boot/vmlinuz", "/boot/initrd", 256, 2, "ACM:shop:web"
		dom.Disks = []toolstack.Disk{{Uname: "phy:sdb1", VirtualDevice: "xvda1", Mode: "w"}}
		dom.VIFs = []toolstack.VIF{{Index: 0, MAC: "00:16:3e:00:00:01", Bridge: "xenbr0", Label: "ACM:shop:net"}}
		return dom
	}
	return &fakeTS{domains: map[string]toolstack.Domain{
		haltedUUID: d(haltedUUID, "web1", hypervisor.Halted),
		runUUID:    d(runUUID, "db1", hypervisor.Running),
		bareUUID:   d(bareUUID, "bare", hypervisor.Halted),
		suspUUID:   d(suspUUID, "susp", hypervisor.Suspended),
		goneUUID:   d(goneUUID, "moved", hypervisor.Halted),
	}}
}

func (f *fakeTS) Domain(ctx context.Context, ref string) (toolstack.Domain, error) {
	if f.err != nil {
		return toolstack.Domain{}, f.err
	}
	d, ok := f.domains[ref]
	if !ok {
		return d, fmt.Errorf("domain %s: %w", ref, hypervisor.ErrNoDomain)
	}
	return d, nil
}

// newProvider returns a provider over a fake manager and toolstack, without
// class definitions.
func newProvider(t *testing.T) (*Provider, *fakeManager, *fakeTS) {
	t.Helper()
	m, ts := newManager(), newTS()
	return New(Options{Manager: m, Toolstack: ts, HostName: testHost}), m, ts
}

// invoke runs method on the service and returns its code, its OUT parameters by
// name, and the Message.
func invoke(t *testing.T, p *Provider, method string, in ...cim.ParamValue) (uint32, map[string]any, string) {
	t.Helper()
	ret, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), method, in)
	if err != nil {
		t.Fatalf("%s: CIM error %v", method, err)
	}
	code, ok := ret.(uint32)
	if !ok {
		t.Fatalf("%s returned %T, want uint32", method, ret)
	}
	outs := map[string]any{}
	for _, pv := range out {
		outs[pv.Name] = pv.Value
	}
	msg, ok := outs["Message"].(string)
	if !ok {
		t.Fatalf("%s: no string Message in %v", method, out)
	}
	return code, outs, msg
}

func vtpmRef(domain string, n int) cim.ParamValue {
	return refParam("VTPM", VTPMPath(domain, n))
}

func sysRef(uuid string) cim.ParamValue {
	return refParam("System", ComputerSystemPath(uuid))
}

func uintArray(name string, ns ...uint32) cim.ParamValue {
	a := make([]any, len(ns))
	for i, n := range ns {
		a[i] = n
	}
	return cim.ParamValue{Name: name, Type: cim.TypeUint32, IsArray: true, Value: a}
}

func strArray(name string, ss ...string) cim.ParamValue {
	a := make([]any, len(ss))
	for i, s := range ss {
		a[i] = s
	}
	return cim.ParamValue{Name: name, Type: cim.TypeString, IsArray: true, Value: a}
}

func u32(name string, n uint32) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeUint32, Value: n}
}
