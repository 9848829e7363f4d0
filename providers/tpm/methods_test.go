package tpm

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/vtpm"
)

var (
	nonce32  = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	nonce15  = base64.StdEncoding.EncodeToString([]byte("0123456789abcde"))
	nonce65  = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("n", 65)))
	digest32 = strings.Repeat("ab", 32)
	b64      = func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
)

// TestMethods checks each method's mapping onto the manager (the call it makes,
// with its arguments), its OUT parameters and its codes.
func TestMethods(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		in       []cim.ParamValue
		inject   map[string]error // manager errors by method
		want     uint32
		wantMsg  string   // substring of Message, which is "" exactly on success
		wantCall string   // the manager's last call; "" means no call beyond List
		wantOut  []string // OUT parameter names besides Message
		check    func(t *testing.T, out map[string]any)
	}{
		{name: "create", method: "CreateVTPM", in: []cim.ParamValue{sysRef(bareUUID), u32("PreferredInstanceNumber", 7)},
			wantCall: "Create(" + bareUUID + ", 7)", wantOut: []string{"VTPM"},
			check: func(t *testing.T, out map[string]any) {
				if got := out["VTPM"].(*cim.ObjectPath); !got.Equal(VTPMPath(bareUUID, 7)) {
					t.Errorf("VTPM = %v", got)
				}
			}},
		{name: "create null preferred", method: "CreateVTPM", in: []cim.ParamValue{sysRef(bareUUID)},
			wantCall: "Create(" + bareUUID + ", 0)", wantOut: []string{"VTPM"}},
		{name: "create out-of-range preferred is lowest free", method: "CreateVTPM", in: []cim.ParamValue{sysRef(bareUUID), u32("PreferredInstanceNumber", 70000)},
			wantCall: "Create(" + bareUUID + ", 0)", wantOut: []string{"VTPM"}},
		{name: "create running domain", method: "CreateVTPM", in: []cim.ParamValue{sysRef(runUUID)},
			want: codeInvalidState, wantMsg: "domain db1 is running"},
		{name: "create unknown domain", method: "CreateVTPM", in: []cim.ParamValue{sysRef("nope")},
			want: codeNotFound, wantMsg: "no domain nope"},
		{name: "create domain has vTPM", method: "CreateVTPM", in: []cim.ParamValue{sysRef(haltedUUID)},
			inject: map[string]error{"Create": fmt.Errorf("domain %s: %w", haltedUUID, vtpm.ErrDomainHasVTPM)},
			want:   codeDomainHasVTPM, wantMsg: "has a vTPM", wantCall: "Create(" + haltedUUID + ", 0)"},
		{name: "create swtpm missing", method: "CreateVTPM", in: []cim.ParamValue{sysRef(bareUUID)},
			inject: map[string]error{"Create": vtpm.ErrBackendMissing},
			want:   codeSwtpmNotPresent, wantMsg: "apt-get install -y swtpm swtpm-tools", wantCall: "Create(" + bareUUID + ", 0)"},
		{name: "create no System", method: "CreateVTPM", want: codeInvalidParam, wantMsg: "System is required"},
		{name: "create System of wrong class", method: "CreateVTPM", in: []cim.ParamValue{refParam("System", VTPMPath(haltedUUID, 1))},
			want: codeInvalidParam, wantMsg: "must refer to Xen_ComputerSystem"},
		{name: "create System without Name", method: "CreateVTPM",
			in:   []cim.ParamValue{refParam("System", &cim.ObjectPath{ClassName: ClassComputerSys})},
			want: codeInvalidParam, wantMsg: "Name key"},
		{name: "create manager failure", method: "CreateVTPM", in: []cim.ParamValue{sysRef(bareUUID)},
			inject: map[string]error{"Create": errors.New("disk full")},
			want:   codeFailed, wantMsg: "disk full", wantCall: "Create(" + bareUUID + ", 0)"},

		{name: "destroy", method: "DestroyVTPM", in: []cim.ParamValue{vtpmRef(haltedUUID, 1)}, wantCall: "Destroy(" + vtpm1 + ")"},
		{name: "destroy running domain", method: "DestroyVTPM", in: []cim.ParamValue{vtpmRef(runUUID, 2)},
			want: codeInvalidState, wantMsg: "halted"},
		{name: "destroy suspended domain", method: "DestroyVTPM", in: []cim.ParamValue{vtpmRef(suspUUID, 3)},
			want: codeInvalidState, wantMsg: "suspended"},
		{name: "destroy tombstone", method: "DestroyVTPM", in: []cim.ParamValue{vtpmRef(goneUUID, 4)}, wantCall: "Destroy(" + vtpm4 + ")"},
		{name: "destroy unknown vTPM", method: "DestroyVTPM", in: []cim.ParamValue{vtpmRef(haltedUUID, 2)},
			want: codeNotFound, wantMsg: "no vTPM vtpm2"},
		{name: "destroy bad DeviceID", method: "DestroyVTPM",
			in:   []cim.ParamValue{refParam("VTPM", &cim.ObjectPath{ClassName: ClassVTPM, Keys: []cim.KeyBinding{{Name: "SystemName", Value: haltedUUID}, {Name: "DeviceID", Value: "tpm1"}}})},
			want: codeInvalidParam, wantMsg: "DeviceID"},
		{name: "destroy manager refuses", method: "DestroyVTPM", in: []cim.ParamValue{vtpmRef(haltedUUID, 1)},
			inject: map[string]error{"Destroy": fmt.Errorf("x: %w", vtpm.ErrBadState)},
			want:   codeInvalidState, wantCall: "Destroy(" + vtpm1 + ")", wantMsg: "state"},

		{name: "read PCRs", method: "ReadPCRs", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("Bank", "SHA256"), uintArray("PCRs", 0, 16)},
			wantCall: "ReadPCRs(" + vtpm2 + ", sha256, [0 16])", wantOut: []string{"Values"},
			check: func(t *testing.T, out map[string]any) {
				if got := fmt.Sprint(out["Values"]); got != "[0001 fffe]" {
					t.Errorf("Values = %s", got)
				}
			}},
		{name: "read all PCRs, default bank", method: "ReadPCRs", in: []cim.ParamValue{vtpmRef(runUUID, 2)},
			wantCall: "ReadPCRs(" + vtpm2 + ", sha256, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23])", wantOut: []string{"Values"}},
		{name: "read PCR 24", method: "ReadPCRs", in: []cim.ParamValue{vtpmRef(runUUID, 2), uintArray("PCRs", 1, 24)},
			want: codeInvalidParam, wantMsg: "PCRs[1]"},
		{name: "read PCRs of stopped vTPM", method: "ReadPCRs", in: []cim.ParamValue{vtpmRef(haltedUUID, 1), uintArray("PCRs", 0)},
			inject: map[string]error{"ReadPCRs": fmt.Errorf("%w", vtpm.ErrBadState)},
			want:   codeInvalidState, wantCall: "ReadPCRs(" + vtpm1 + ", sha256, [0])"},

		{name: "extend", method: "ExtendPCR", in: []cim.ParamValue{vtpmRef(runUUID, 2), u32("PCR", 16), stringParam("Digest", strings.ToUpper(digest32))},
			wantCall: "ExtendPCR(" + vtpm2 + ", sha256, 16, " + digest32 + ")"},
		{name: "extend sha1", method: "ExtendPCR", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("Bank", "sha1"), u32("PCR", 16), stringParam("Digest", "0x"+strings.Repeat("01", 20))},
			wantCall: "ExtendPCR(" + vtpm2 + ", sha1, 16, " + strings.Repeat("01", 20) + ")"},
		{name: "extend short digest", method: "ExtendPCR", in: []cim.ParamValue{vtpmRef(runUUID, 2), u32("PCR", 16), stringParam("Digest", "abcd")},
			want: codeInvalidParam, wantMsg: "has 2 bytes"},
		{name: "extend base64 digest", method: "ExtendPCR", in: []cim.ParamValue{vtpmRef(runUUID, 2), u32("PCR", 16), stringParam("Digest", b64(strings.Repeat("x", 32)))},
			want: codeInvalidParam, wantMsg: "must be hex"},
		{name: "extend no PCR", method: "ExtendPCR", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("Digest", digest32)},
			want: codeInvalidParam, wantMsg: "PCR must be"},
		{name: "extend no digest", method: "ExtendPCR", in: []cim.ParamValue{vtpmRef(runUUID, 2), u32("PCR", 1)},
			want: codeInvalidParam, wantMsg: "Digest is required"},

		{name: "quote", method: "GetQuote", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("Nonce", nonce32), stringParam("Bank", "sha256"), uintArray("PCRs", 0, 7)},
			wantCall: "Quote(" + vtpm2 + ", " + fmt.Sprintf("%x", "0123456789abcdef0123456789abcdef") + ", sha256, [0 7])",
			wantOut:  []string{"Quoted", "Signature", "AKPublic", "PCRValues", "EKCertificate"},
			check: func(t *testing.T, out map[string]any) {
				want := map[string]string{
					"Quoted": b64("attest"), "Signature": b64("sig"), "EKCertificate": "EKCERT",
					"AKPublic": "-----BEGIN PUBLIC KEY-----\nAK\n-----END PUBLIC KEY-----\n", "PCRValues": "[aa bb]",
				}
				for k, w := range want {
					if got := fmt.Sprint(out[k]); got != w {
						t.Errorf("%s = %q, want %q", k, got, w)
					}
				}
			}},
		{name: "quote short nonce", method: "GetQuote", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("Nonce", nonce15)},
			want: codeInvalidParam, wantMsg: "has 15 bytes"},
		{name: "quote long nonce", method: "GetQuote", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("Nonce", nonce65)},
			want: codeInvalidParam, wantMsg: "has 65 bytes"},
		{name: "quote nonce not base64", method: "GetQuote", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("Nonce", "not base64!")},
			want: codeInvalidParam, wantMsg: "base64"},
		{name: "quote stopped", method: "GetQuote", in: []cim.ParamValue{vtpmRef(haltedUUID, 1), stringParam("Nonce", nonce32), uintArray("PCRs", 0)},
			inject: map[string]error{"Quote": vtpm.ErrBadState}, want: codeInvalidState, wantCall: "Quote(" + vtpm1 + ", " + fmt.Sprintf("%x", "0123456789abcdef0123456789abcdef") + ", sha256, [0])"},

		{name: "prepare", method: "PrepareIncomingVTPM", in: []cim.ParamValue{sysRef(bareUUID)},
			wantCall: "PrepareIncoming(" + bareUUID + ")", wantOut: []string{"MigrationID", "DestinationKey"},
			check: func(t *testing.T, out map[string]any) {
				if out["MigrationID"] != b64("migration-id-0123456789abcdef012") || out["DestinationKey"] != b64("destination-key-0123456789abcdef") {
					t.Errorf("out = %v", out)
				}
			}},
		{name: "prepare running", method: "PrepareIncomingVTPM", in: []cim.ParamValue{sysRef(runUUID)}, want: codeInvalidState},
		{name: "prepare has vTPM", method: "PrepareIncomingVTPM", in: []cim.ParamValue{sysRef(haltedUUID)},
			inject: map[string]error{"PrepareIncoming": vtpm.ErrDomainHasVTPM}, want: codeDomainHasVTPM, wantCall: "PrepareIncoming(" + haltedUUID + ")"},

		{name: "export", method: "ExportVTPM", in: []cim.ParamValue{vtpmRef(suspUUID, 3), stringParam("MigrationID", b64("id")), stringParam("DestinationKey", b64("key"))},
			wantCall: "Export(" + vtpm3 + ", id, key)", wantOut: []string{"Blob"},
			check: func(t *testing.T, out map[string]any) {
				if out["Blob"] != b64("sealed blob") {
					t.Errorf("Blob = %v", out["Blob"])
				}
			}},
		{name: "export running", method: "ExportVTPM", in: []cim.ParamValue{vtpmRef(runUUID, 2), stringParam("MigrationID", b64("id")), stringParam("DestinationKey", b64("key"))},
			want: codeInvalidState, wantMsg: "halted or suspended"},
		{name: "export tombstone", method: "ExportVTPM", in: []cim.ParamValue{vtpmRef(goneUUID, 4), stringParam("MigrationID", b64("id")), stringParam("DestinationKey", b64("key"))},
			want: codeInvalidState, wantMsg: "migrated away to " + destURL},
		{name: "export no key", method: "ExportVTPM", in: []cim.ParamValue{vtpmRef(haltedUUID, 1), stringParam("MigrationID", b64("id"))},
			want: codeInvalidParam, wantMsg: "DestinationKey is required"},

		{name: "import", method: "ImportVTPM", in: []cim.ParamValue{sysRef(bareUUID), stringParam("MigrationID", b64("id")), stringParam("Blob", b64("blob"))},
			wantCall: "Import(" + bareUUID + ", id, blob)", wantOut: []string{"VTPM"},
			check: func(t *testing.T, out map[string]any) {
				if got := out["VTPM"].(*cim.ObjectPath); !got.Equal(VTPMPath(bareUUID, 5)) {
					t.Errorf("VTPM = %v", got)
				}
			}},
		{name: "import replayed id", method: "ImportVTPM", in: []cim.ParamValue{sysRef(bareUUID), stringParam("MigrationID", b64("id")), stringParam("Blob", b64("blob"))},
			inject: map[string]error{"Import": fmt.Errorf("id: %w", vtpm.ErrMigrationID)}, want: codeInvalidParam, wantCall: "Import(" + bareUUID + ", id, blob)"},

		{name: "commit", method: "CommitVTPMMigration", in: []cim.ParamValue{vtpmRef(haltedUUID, 1), stringParam("MigrationID", b64("id"))},
			wantCall: "Commit(" + vtpm1 + ", id, )"},
		{name: "commit late", method: "CommitVTPMMigration", in: []cim.ParamValue{vtpmRef(haltedUUID, 1), stringParam("MigrationID", b64("id"))},
			inject: map[string]error{"Commit": vtpm.ErrMigrationID}, want: codeInvalidParam, wantCall: "Commit(" + vtpm1 + ", id, )"},
		{name: "abort", method: "AbortVTPMMigration", in: []cim.ParamValue{vtpmRef(haltedUUID, 1), stringParam("MigrationID", b64("id"))},
			wantCall: "Abort(" + vtpm1 + ", id)"},
		{name: "abort no id", method: "AbortVTPMMigration", in: []cim.ParamValue{vtpmRef(haltedUUID, 1)},
			want: codeInvalidParam, wantMsg: "MigrationID is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, m, _ := newProvider(t)
			for k, v := range tt.inject {
				m.errs[k] = v
			}
			code, out, msg := invoke(t, p, tt.method, tt.in...)
			if code != tt.want {
				t.Errorf("code = %d (%q), want %d", code, msg, tt.want)
			}
			if (tt.want == codeOK) != (msg == "") || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("Message = %q, want it to contain %q (and be empty exactly on success)", msg, tt.wantMsg)
			}
			calls := m.callLog()
			last := ""
			if len(calls) > 0 {
				last = calls[len(calls)-1]
			}
			if last != tt.wantCall {
				t.Errorf("manager calls %q, want last %q", calls, tt.wantCall)
			}
			var names []string
			for n := range out {
				if n != "Message" {
					names = append(names, n)
				}
			}
			slices.Sort(names)
			want := slices.Sorted(slices.Values(tt.wantOut))
			if !slices.Equal(names, want) {
				t.Errorf("OUT parameters %v, want %v", names, want)
			}
			if tt.check != nil && code == codeOK {
				tt.check(t, out)
			}
		})
	}
}

// TestVerifyQuote checks the decoding of VerifyQuote's parameters, what reaches
// the verifier, and that its verdict comes back as Result with code 0.
func TestVerifyQuote(t *testing.T) {
	type got struct {
		quoted, sig, ak, nonce string
		pcrs                   []int
		values, refs           [][]byte
	}
	valid := func() []cim.ParamValue {
		return []cim.ParamValue{
			stringParam("Quoted", b64("attest")), stringParam("Signature", b64("sig")),
			stringParam("AKPublic", "-----BEGIN PUBLIC KEY-----\nAK\n-----END PUBLIC KEY-----\n"),
			stringParam("Nonce", nonce32), uintArray("PCRs", 0, 7), strArray("PCRValues", "aa", "BB"),
		}
	}
	tests := []struct {
		name    string
		in      []cim.ParamValue
		verdict vtpm.Verdict
		want    uint32
		wantMsg string
		check   func(t *testing.T, g got)
	}{
		{name: "trusted without references", in: valid(), verdict: vtpm.Trusted,
			check: func(t *testing.T, g got) {
				if g.quoted != "attest" || g.sig != "sig" || !strings.HasPrefix(g.ak, "-----BEGIN") || g.nonce != "0123456789abcdef0123456789abcdef" ||
					fmt.Sprint(g.pcrs) != "[0 7]" || fmt.Sprintf("%x", g.values) != "[aa bb]" || g.refs != nil {
					t.Errorf("verifier got %+v", g)
				}
			}},
		{name: "untrusted with references", in: append(valid(), strArray("ReferencePCRValues", "aa", "cc")), verdict: vtpm.Untrusted,
			check: func(t *testing.T, g got) {
				if fmt.Sprintf("%x", g.refs) != "[aa cc]" {
					t.Errorf("references %x", g.refs)
				}
			}},
		{name: "invalid", in: valid(), verdict: vtpm.Invalid},
		{name: "AK as base64 TPM2B_PUBLIC", in: append(valid()[:2], append([]cim.ParamValue{stringParam("AKPublic", b64("tpm2b"))}, valid()[3:]...)...), verdict: vtpm.Trusted,
			check: func(t *testing.T, g got) {
				if g.ak != "tpm2b" {
					t.Errorf("AK %q", g.ak)
				}
			}},
		{name: "values and PCRs differ in number", in: append(valid()[:5], strArray("PCRValues", "aa")), want: codeInvalidParam, wantMsg: "1 values for 2 PCRs"},
		{name: "references differ in number", in: append(valid(), strArray("ReferencePCRValues", "aa")), want: codeInvalidParam, wantMsg: "ReferencePCRValues"},
		{name: "value not hex", in: append(valid()[:5], strArray("PCRValues", "aa", "zz")), want: codeInvalidParam, wantMsg: "PCRValues[1]"},
		{name: "no PCRs", in: valid()[:4], want: codeInvalidParam, wantMsg: "at least one PCR"},
		{name: "quoted not base64", in: append([]cim.ParamValue{stringParam("Quoted", "%%%")}, valid()[1:]...), want: codeInvalidParam, wantMsg: "Quoted must be base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g got
			p := New(Options{Manager: newManager(), Toolstack: newTS(), HostName: testHost,
				VerifyQuote: func(q, s, ak, n []byte, pcrs []int, v, r [][]byte) (vtpm.Verdict, string) {
					g = got{string(q), string(s), string(ak), string(n), pcrs, v, r}
					return tt.verdict, "details " + fmt.Sprint(int(tt.verdict))
				}})
			code, out, msg := invoke(t, p, "VerifyQuote", tt.in...)
			if code != tt.want || !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("code %d %q, want %d %q", code, msg, tt.want, tt.wantMsg)
			}
			if code != codeOK {
				return
			}
			if out["Result"] != uint16(tt.verdict) || out["Details"] != "details "+fmt.Sprint(int(tt.verdict)) {
				t.Errorf("Result %v Details %v", out["Result"], out["Details"])
			}
			if tt.check != nil {
				tt.check(t, g)
			}
		})
	}
}

// TestNoManager: without swtpm every method returns 32770 with the install hint,
// and there are no vTPMs; the service is still there.
func TestNoManager(t *testing.T) {
	var nilMgr *vtpm.Manager
	for _, m := range []Manager{nil, nilMgr} {
		p := New(Options{Manager: m, Toolstack: newTS(), HostName: testHost})
		for name := range methods {
			code, _, msg := invoke(t, p, name)
			if code != codeSwtpmNotPresent || !strings.Contains(msg, "apt-get install -y swtpm swtpm-tools") {
				t.Errorf("%s: %d %q", name, code, msg)
			}
		}
		paths, err := p.EnumerateInstanceNames(ctx, Namespace, ClassVTPM)
		if err != nil || len(paths) != 0 {
			t.Errorf("Xen_VTPM names %v, %v", paths, err)
		}
		paths, err = p.EnumerateInstanceNames(ctx, Namespace, ClassService)
		if err != nil || len(paths) != 1 {
			t.Errorf("service names %v, %v", paths, err)
		}
	}
}

// TestProtocolFaults: a wrong target or method is a CIM error, not a code.
func TestProtocolFaults(t *testing.T) {
	p, _, _ := newProvider(t)
	other := p.ServicePath()
	other.Keys[3].Value = "otherhost"
	tests := []struct {
		name   string
		ns     string
		target *cim.ObjectPath
		method string
		want   cim.Status
	}{
		{"unknown method", Namespace, p.ServicePath(), "Frobnicate", cim.StatusMethodNotFound},
		{"other class", Namespace, VTPMPath(haltedUUID, 1), "CreateVTPM", cim.StatusMethodNotAvailable},
		{"other instance", Namespace, other, "CreateVTPM", cim.StatusNotFound},
		{"other namespace", "interop", p.ServicePath(), "CreateVTPM", cim.StatusInvalidNamespace},
	}
	for _, tt := range tests {
		_, _, err := p.InvokeMethod(ctx, tt.ns, tt.target, tt.method, nil)
		if cim.StatusOf(err) != tt.want {
			t.Errorf("%s: %v, want status %v", tt.name, err, tt.want)
		}
	}
	// A class path is accepted as the target.
	if ret, _, err := p.InvokeMethod(ctx, Namespace, &cim.ObjectPath{ClassName: ClassService}, "DestroyVTPM", []cim.ParamValue{vtpmRef(haltedUUID, 1)}); err != nil || ret != codeOK {
		t.Errorf("on the class: %v %v", ret, err)
	}
}

// TestResult pins the code of every error class result knows.
func TestResult(t *testing.T) {
	tests := []struct {
		err  error
		want uint32
	}{
		{nil, codeOK},
		{invalidf("x"), codeInvalidParam},
		{fmt.Errorf("w: %w", vtpm.ErrInvalid), codeInvalidParam},
		{vtpm.ErrMigrationID, codeInvalidParam},
		{hypervisor.ErrInvalid, codeInvalidParam},
		{statef("x"), codeInvalidState},
		{vtpm.ErrBadState, codeInvalidState},
		{vtpm.ErrRunning, codeInvalidState},
		{vtpm.ErrNoState, codeInvalidState},
		{vtpm.ErrLocked, codeInvalidState},
		{hypervisor.ErrBadState, codeInvalidState},
		{vtpm.ErrDomainHasVTPM, codeDomainHasVTPM},
		{vtpm.ErrNotFound, codeNotFound},
		{hypervisor.ErrNoDomain, codeNotFound},
		{notFoundf("x"), codeNotFound},
		{vtpm.ErrBackendMissing, codeSwtpmNotPresent},
		{hypervisor.ErrNotSupported, codeNotSupported},
		{&remoteError{code: 32768, msg: "m"}, codeDomainHasVTPM},
		{errors.New("boom"), codeFailed},
	}
	for _, tt := range tests {
		if got, _ := result(tt.err); got != tt.want {
			t.Errorf("result(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestVerifyQuoteDefault: without Options.VerifyQuote the manager's verifier runs;
// a quote that is no TPMS_ATTEST is Invalid, with a reason, and code 0.
func TestVerifyQuoteDefault(t *testing.T) {
	p, _, _ := newProvider(t)
	code, out, msg := invoke(t, p, "VerifyQuote",
		stringParam("Quoted", b64("not an attestation")), stringParam("Signature", b64("sig")),
		stringParam("AKPublic", "-----BEGIN PUBLIC KEY-----\nAK\n-----END PUBLIC KEY-----\n"),
		stringParam("Nonce", nonce32), uintArray("PCRs", 0), strArray("PCRValues", strings.Repeat("00", 32)))
	if code != codeOK || msg != "" {
		t.Fatalf("code %d %q", code, msg)
	}
	if out["Result"] != uint16(vtpm.Invalid) {
		t.Errorf("Result = %v, want %d", out["Result"], vtpm.Invalid)
	}
	if d, _ := out["Details"].(string); d == "" {
		t.Error("no Details")
	}
}
