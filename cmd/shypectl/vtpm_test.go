package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-tpm/tpm2"

	"github.com/shypecim/shypecim/cimom/cim"
)

// addVTPM adds a Xen_VTPM instance of the domain with UUID dom.
func (f *fakeCIM) addVTPM(dom string, n uint32, uuid string, state, mig uint16, to string) *cim.ObjectPath {
	p := vtpmPath(dom, fmt.Sprintf("vtpm%d", n))
	f.objects[classVTPM] = append(f.objects[classVTPM], cim.Object{Path: p, Instance: &cim.Instance{ClassName: classVTPM, Properties: []cim.Property{
		stringProp("SystemName", dom), stringProp("DeviceID", fmt.Sprintf("vtpm%d", n)),
		{Name: "InstanceNumber", Type: cim.TypeUint32, Value: n}, stringProp("UUID", uuid),
		{Name: "EnabledState", Type: cim.TypeUint16, Value: state},
		{Name: "MigrationState", Type: cim.TypeUint16, Value: mig}, stringProp("MigratedTo", to)}}})
	return p
}

// returns scripts a method that returns code with the given output parameters.
func (f *fakeCIM) returns(method string, code uint32, out ...cim.ParamValue) {
	f.methods[method] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
		return code, out, nil
	}
}

func param(in []cim.ParamValue, name string) (cim.ParamValue, bool) {
	for _, p := range in {
		if p.Name == name {
			return p, true
		}
	}
	return cim.ParamValue{}, false
}

func vtpmFake() *fakeCIM {
	f := listFake()
	f.addVTPM("u-web", 1, "v-web", stateRunning, 2, "")
	f.addVTPM("u-old", 4, "v-old", stateHalted, 4, "http://dst:5988")
	f.addVTPM("u-sl", 2, "v-sl", stateSuspended, 2, "")
	return f
}

func msg(s string) cim.ParamValue { return strParam("Message", s) }

func TestVTPMCreate(t *testing.T) {
	f := listFake()
	created := f.addVTPM("u-old", 7, "v-old", stateHalted, 2, "")
	f.returns("CreateVTPM", 0, refParam("VTPM", created), msg(""))
	out, errOut, code := runApp(t, f, t.TempDir(), nil, "vtpm-create", "old", "--instance", "7")
	if code != 0 || errOut != "" || out != "Created vTPM 7 for old\n" {
		t.Errorf("vtpm-create: exit %d, %q %q", code, out, errOut)
	}
	in := f.params["CreateVTPM"]
	if p, _ := param(in, "System"); p.Type != cim.TypeReference || !p.Value.(*cim.ObjectPath).Equal(csPath("u-old")) {
		t.Errorf("System = %+v", p)
	}
	if p, _ := param(in, "PreferredInstanceNumber"); p.Type != cim.TypeUint32 || p.Value != uint32(7) {
		t.Errorf("PreferredInstanceNumber = %+v", p)
	}

	// Without --instance no preference is sent.
	runApp(t, f, t.TempDir(), nil, "vtpm-create", "u-old")
	if _, ok := param(f.params["CreateVTPM"], "PreferredInstanceNumber"); ok {
		t.Errorf("PreferredInstanceNumber sent without --instance")
	}

	tests := []struct {
		name    string
		code    uint32
		message string
		want    string
	}{
		{"server message", 5, "Can only add vTPM to a halted domain", "Error: Can only add vTPM to a halted domain\n"},
		{"code only", 32768, "", "Error: CreateVTPM failed: Domain Already Has a vTPM.\n"},
		{"unknown code", 77, "", "Error: CreateVTPM failed: return code 77.\n"},
	}
	for _, tt := range tests {
		f.returns("CreateVTPM", tt.code, msg(tt.message))
		out, errOut, code := runApp(t, f, t.TempDir(), nil, "vtpm-create", "web")
		if code != 1 || out != "" || errOut != tt.want {
			t.Errorf("%s: exit %d, %q %q", tt.name, code, out, errOut)
		}
	}
}

func TestVTPMUsage(t *testing.T) {
	tests := []struct {
		args    []string
		errLine string
	}{
		{[]string{"vtpm-create"}, "Error: 'shypectl vtpm-create' requires 1 argument."},
		{[]string{"vtpm-create", "web", "--instance", "0"}, "Error: Invalid instance number '0' (1 to 65535)."},
		{[]string{"vtpm-create", "web", "--instance"}, "Error: option --instance requires argument"},
		{[]string{"vtpm-create", "web", "--bogus=1"}, "Error: option --bogus not recognized"},
		{[]string{"vtpm-destroy"}, "Error: 'shypectl vtpm-destroy' requires 1 argument."},
		{[]string{"vtpm-list", "x"}, "Error: 'shypectl vtpm-list' takes no arguments."},
		{[]string{"vtpm-pcrs", "web", "24"}, "Error: Invalid PCR '24' (0 to 23)."},
		{[]string{"vtpm-quote", "web", "--pcrs", "1,x"}, "Error: Invalid PCR 'x' (0 to 23)."},
		{[]string{"vtpm-quote", "web", "--nonce", "xyz"}, "Error: Invalid nonce 'xyz': expected hex."},
		{[]string{"vtpm-migrate", "web"}, "Error: 'shypectl vtpm-migrate' requires 2 arguments."},
		{[]string{"attest", "x"}, "Error: 'shypectl attest' takes no arguments."},
	}
	for _, tt := range tests {
		out, errOut, code := runApp(t, vtpmFake(), t.TempDir(), nil, tt.args...)
		usage := "Usage: shypectl " + tt.args[0] + " "
		if code != 1 || out != "" || !strings.HasPrefix(errOut, tt.errLine+"\n\n"+usage) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tt.args, code, out, errOut)
		}
	}
	out, _, code := runApp(t, nil, t.TempDir(), nil, "help")
	if code != 0 || !strings.Contains(out, "\nvTPM commands:\n vtpm-create    ") || !strings.Contains(out, " attest         ") {
		t.Errorf("help lists no vTPM commands:\n%s", out)
	}
}

func TestVTPMList(t *testing.T) {
	want := "" +
		"Domain                           Instance UUID                                 State     Migration\n" +
		"old                                     4 v-old                                stopped   migrated to http://dst:5988\n" +
		"sleepy                                  2 v-sl                                 suspended resident\n" +
		"web                                     1 v-web                                running   resident\n"
	out, errOut, code := runApp(t, vtpmFake(), t.TempDir(), nil, "vtpm-list")
	if code != 0 || errOut != "" || out != want {
		t.Errorf("vtpm-list: exit %d stderr %q\ngot:\n%s\nwant:\n%s", code, errOut, out, want)
	}
}

func TestVTPMDestroy(t *testing.T) {
	f := vtpmFake()
	out, errOut, code := runApp(t, f, t.TempDir(), nil, "vtpm-destroy", "old")
	if code != 0 || out != "" || errOut != "" {
		t.Errorf("vtpm-destroy: exit %d, %q %q", code, out, errOut)
	}
	if p, _ := param(f.params["DestroyVTPM"], "VTPM"); !p.Value.(*cim.ObjectPath).Equal(vtpmPath("u-old", "vtpm4")) {
		t.Errorf("DestroyVTPM VTPM = %+v", p)
	}
	_, errOut, code = runApp(t, f, t.TempDir(), nil, "vtpm-destroy", "db")
	if code != 1 || errOut != "Error: Domain 'db' has no vTPM.\n" {
		t.Errorf("vtpm-destroy of a domain without vTPM: exit %d, %q", code, errOut)
	}
	_, errOut, code = runApp(t, f, t.TempDir(), nil, "vtpm-destroy", "nosuch")
	if code != 1 || errOut != "Error: Domain 'nosuch' does not exist.\n" {
		t.Errorf("vtpm-destroy nosuch: exit %d, %q", code, errOut)
	}
}

func pcrsOf(p cim.ParamValue) []uint32 {
	var out []uint32
	for _, v := range p.Value.([]any) {
		out = append(out, v.(uint32))
	}
	return out
}

func TestVTPMPCRs(t *testing.T) {
	f := vtpmFake()
	f.methods["ReadPCRs"] = func(in []cim.ParamValue) (any, []cim.ParamValue, error) {
		p, _ := param(in, "PCRs")
		var vals []any
		for _, n := range pcrsOf(p) {
			vals = append(vals, strings.Repeat(fmt.Sprintf("%02X", n), 32))
		}
		return uint32(0), []cim.ParamValue{{Name: "Values", Type: cim.TypeString, IsArray: true, Value: vals}, msg("")}, nil
	}
	out, errOut, code := runApp(t, f, t.TempDir(), nil, "vtpm-pcrs", "web", "16", "--bank=sha256", "0")
	want := "PCR16: " + strings.Repeat("10", 32) + "\nPCR0: " + strings.Repeat("00", 32) + "\n"
	if code != 0 || errOut != "" || out != want {
		t.Errorf("vtpm-pcrs: exit %d %q\n%s", code, errOut, out)
	}
	if p, _ := param(f.params["ReadPCRs"], "Bank"); p.Value != "sha256" {
		t.Errorf("Bank = %+v", p)
	}
	out, _, code = runApp(t, f, t.TempDir(), nil, "vtpm-pcrs", "web")
	if code != 0 || strings.Count(out, "\n") != 24 || !strings.HasSuffix(out, "PCR23: "+strings.Repeat("17", 32)+"\n") {
		t.Errorf("vtpm-pcrs (all): exit %d\n%s", code, out)
	}
	f.returns("ReadPCRs", 5, msg("The vTPM is not running."))
	_, errOut, code = runApp(t, f, t.TempDir(), nil, "vtpm-pcrs", "old")
	if code != 1 || errOut != "Error: The vTPM is not running.\n" {
		t.Errorf("vtpm-pcrs refused: exit %d %q", code, errOut)
	}
}

func TestVTPMQuote(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "good.txt", "# golden\nPCR7: "+strings.Repeat("aa", 32)+"\n\nPCR0: "+strings.Repeat("bb", 32)+"\n")
	writeFile(t, dir, "bad.txt", "PCR0 = 00\n")
	tests := []struct {
		name     string
		args     []string
		result   uint16
		wantCode int
		wantPCRs []uint32
		wantRefs []string // nil: none sent
		wantErr  string
	}{
		{name: "trusted, all PCRs", args: []string{"vtpm-quote", "web", "--nonce", strings.Repeat("ab", 20)},
			result: 2, wantPCRs: allPCRs()},
		{name: "untrusted", args: []string{"vtpm-quote", "web", "--pcrs", "0,7", "--expect", "good.txt"},
			result: 3, wantCode: 1, wantPCRs: []uint32{0, 7}, wantRefs: []string{strings.Repeat("bb", 32), strings.Repeat("aa", 32)}},
		{name: "references choose the PCRs", args: []string{"vtpm-quote", "--expect", "good.txt", "web"},
			result: 2, wantPCRs: []uint32{7, 0}, wantRefs: []string{strings.Repeat("aa", 32), strings.Repeat("bb", 32)}},
		{name: "invalid", args: []string{"vtpm-quote", "web", "--pcrs", "1"}, result: 4, wantCode: 1, wantPCRs: []uint32{1}},
		{name: "reference missing", args: []string{"vtpm-quote", "web", "--pcrs", "1", "--expect", "good.txt"},
			wantCode: 1, wantErr: "Error: No reference value for PCR1 in '" + dir + "/good.txt'.\n"},
		{name: "bad reference file", args: []string{"vtpm-quote", "web", "--expect", "bad.txt"},
			wantCode: 1, wantErr: "Error: " + dir + "/bad.txt:1: expected 'PCR<n>: <hex>'\n"},
	}
	for _, tt := range tests {
		f := vtpmFake()
		f.methods["GetQuote"] = func(in []cim.ParamValue) (any, []cim.ParamValue, error) {
			p, _ := param(in, "PCRs")
			var vals []any
			for _, n := range pcrsOf(p) {
				vals = append(vals, fmt.Sprintf("%064x", n))
			}
			return uint32(0), []cim.ParamValue{strParam("Quoted", "UVVPVEU="), strParam("Signature", "U0lH"),
				strParam("AKPublic", "-----BEGIN PUBLIC KEY-----\nAK\n-----END PUBLIC KEY-----\n"),
				{Name: "PCRValues", Type: cim.TypeString, IsArray: true, Value: vals}, msg("")}, nil
		}
		f.returns("VerifyQuote", 0, cim.ParamValue{Name: "Result", Type: cim.TypeUint16, Value: tt.result}, strParam("Details", "checked"), msg(""))
		out, errOut, code := runApp(t, f, dir, nil, tt.args...)
		if code != tt.wantCode {
			t.Errorf("%s: exit %d, want %d; %q", tt.name, code, tt.wantCode, errOut)
		}
		if tt.wantErr != "" {
			if errOut != tt.wantErr || out != "" {
				t.Errorf("%s: stdout %q stderr %q, want %q", tt.name, out, errOut, tt.wantErr)
			}
			continue
		}
		if errOut != "" || !strings.HasSuffix(out, "Details: checked\nResult: "+verdictString(uint64(tt.result))+"\n") ||
			!strings.Contains(out, "Quote: UVVPVEU=\nSignature: U0lH\nAK public key:\n  -----BEGIN PUBLIC KEY-----\n  AK\n") {
			t.Errorf("%s: stderr %q\n%s", tt.name, errOut, out)
		}
		gq, vq := f.params["GetQuote"], f.params["VerifyQuote"]
		gp, _ := param(gq, "PCRs")
		vp, _ := param(vq, "PCRs")
		if fmt.Sprint(pcrsOf(gp)) != fmt.Sprint(tt.wantPCRs) || fmt.Sprint(pcrsOf(vp)) != fmt.Sprint(tt.wantPCRs) {
			t.Errorf("%s: PCRs quoted %v, verified %v, want %v", tt.name, pcrsOf(gp), pcrsOf(vp), tt.wantPCRs)
		}
		gn, _ := param(gq, "Nonce")
		vn, _ := param(vq, "Nonce")
		nonce, err := base64.StdEncoding.DecodeString(gn.Value.(string))
		if err != nil || vn.Value != gn.Value || !strings.Contains(out, fmt.Sprintf("Nonce: %x\n", nonce)) {
			t.Errorf("%s: nonce %v / %v", tt.name, gn.Value, vn.Value)
		}
		if i := strings.Index(strings.Join(tt.args, " "), "--nonce "); i >= 0 {
			if hex.EncodeToString(nonce) != strings.Repeat("ab", 20) {
				t.Errorf("%s: nonce sent %x", tt.name, nonce)
			}
		} else if len(nonce) != defaultNonceSize {
			t.Errorf("%s: random nonce of %d bytes", tt.name, len(nonce))
		}
		for _, name := range []string{"Quoted", "Signature", "AKPublic"} {
			if a, b := param(gq, name); b {
				t.Errorf("%s: GetQuote got OUT parameter %s as input: %v", tt.name, name, a)
			}
		}
		if p, _ := param(vq, "Quoted"); p.Value != "UVVPVEU=" {
			t.Errorf("%s: VerifyQuote Quoted = %v", tt.name, p.Value)
		}
		ref, hasRef := param(vq, "ReferencePCRValues")
		if (tt.wantRefs != nil) != hasRef || (hasRef && fmt.Sprint(ref.Value) != fmt.Sprint(toAny(tt.wantRefs))) {
			t.Errorf("%s: ReferencePCRValues %+v, want %v", tt.name, ref, tt.wantRefs)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestVTPMMigrate(t *testing.T) {
	tests := []struct {
		args           []string
		user, password string
	}{
		{[]string{"--user", "root", "--password", "pw", "vtpm-migrate", "sleepy", "http://dst:5988"}, "root", "pw"},
		{[]string{"--user", "root", "vtpm-migrate", "sleepy", "http://dst:5988", "--user=other", "--password", "x"}, "other", "x"},
	}
	for _, tt := range tests {
		f := vtpmFake()
		out, errOut, code := runApp(t, f, t.TempDir(), nil, tt.args...)
		if code != 0 || errOut != "" || out != "Migrated vTPM of sleepy to http://dst:5988\n" {
			t.Errorf("%q: exit %d, %q %q", tt.args, code, out, errOut)
		}
		in := f.params["MigrateVTPM"]
		v, _ := param(in, "VTPM")
		d, _ := param(in, "Destination")
		u, _ := param(in, "UserName")
		p, _ := param(in, "Password")
		if !v.Value.(*cim.ObjectPath).Equal(vtpmPath("u-sl", "vtpm2")) || d.Value != "http://dst:5988" || u.Value != tt.user || p.Value != tt.password {
			t.Errorf("%q: MigrateVTPM(%v, %v, %v, %v)", tt.args, v.Value, d.Value, u.Value, p.Value)
		}
	}
	f := vtpmFake()
	f.returns("MigrateVTPM", 5, msg("The domain must be halted or suspended."))
	out, errOut, code := runApp(t, f, t.TempDir(), nil, "vtpm-migrate", "web", "http://dst:5988")
	if code != 1 || out != "" || errOut != "Error: The domain must be halted or suspended.\n" {
		t.Errorf("refused migration: exit %d, %q %q", code, out, errOut)
	}
}

// hostTPM makes AttestPolicy evidence as a TPM would: a TPMS_ATTEST quote of
// PCR 10 signed with a P-256 key, as TPMT_SIGNATURE or ASN.1 DER.
type hostTPM struct {
	key *ecdsa.PrivateKey
	pem string
}

func newHostTPM(t *testing.T) *hostTPM {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &hostTPM{key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

func (h *hostTPM) quote(t *testing.T, nonce, pcr10 []byte, sel []byte, asn1Sig bool) (quoted, sig []byte) {
	t.Helper()
	digest := sha256.Sum256(pcr10)
	att := tpm2.TPMSAttest{
		Magic:           tpm2.TPMGeneratedValue,
		Type:            tpm2.TPMSTAttestQuote,
		QualifiedSigner: tpm2.TPM2BName{Buffer: []byte{0, 0x0b, 1, 2}},
		ExtraData:       tpm2.TPM2BData{Buffer: nonce},
		Attested: tpm2.NewTPMUAttest(tpm2.TPMSTAttestQuote, &tpm2.TPMSQuoteInfo{
			PCRSelect: tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{{Hash: tpm2.TPMAlgSHA256, PCRSelect: sel}}},
			PCRDigest: tpm2.TPM2BDigest{Buffer: digest[:]},
		}),
	}
	quoted = tpm2.Marshal(&att)
	h2 := sha256.Sum256(quoted)
	if asn1Sig {
		s, err := ecdsa.SignASN1(rand.Reader, h.key, h2[:])
		if err != nil {
			t.Fatal(err)
		}
		return quoted, s
	}
	r, s, err := ecdsa.Sign(rand.Reader, h.key, h2[:])
	if err != nil {
		t.Fatal(err)
	}
	ts := tpm2.TPMTSignature{SigAlg: tpm2.TPMAlgECDSA, Signature: tpm2.NewTPMUSignature(tpm2.TPMAlgECDSA, &tpm2.TPMSSignatureECC{
		Hash: tpm2.TPMAlgSHA256, SignatureR: tpm2.TPM2BECCParameter{Buffer: r.Bytes()}, SignatureS: tpm2.TPM2BECCParameter{Buffer: s.Bytes()}})}
	return quoted, tpm2.Marshal(&ts)
}

func TestReplayPCR(t *testing.T) {
	e1 := sha256.Sum256([]byte("policy 1"))
	e2 := sha256.Sum256([]byte("policy 2"))
	step := func(pcr, d []byte) []byte { s := sha256.Sum256(append(append([]byte{}, pcr...), d...)); return s[:] }
	want := step(step(make([]byte, 32), e1[:]), e2[:])
	got, err := replayPCR([]string{hex.EncodeToString(e1[:]), strings.ToUpper(hex.EncodeToString(e2[:]))})
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("replayPCR = %x, %v; want %x", got, err, want)
	}
	if got, _ := replayPCR(nil); !bytes.Equal(got, make([]byte, 32)) {
		t.Errorf("replayPCR(nil) = %x, want zeros", got)
	}
	if _, err := replayPCR([]string{"abcd"}); err == nil {
		t.Errorf("replayPCR accepted a short digest")
	}
}

func TestAttest(t *testing.T) {
	h := newHostTPM(t)
	other := newHostTPM(t)
	e1 := sha256.Sum256([]byte("DEFAULT"))
	e2 := sha256.Sum256([]byte("wld"))
	log := []string{hex.EncodeToString(e1[:]), hex.EncodeToString(e2[:])}
	pcr10, _ := replayPCR(log)
	nonceHex := strings.Repeat("5a", 32)
	nonce, _ := hex.DecodeString(nonceHex)
	sel10 := []byte{0, 4, 0} // PCR 10

	type evidence struct {
		quoted, sig []byte
		ak          string
		policyHash  string
		log         []string
	}
	good := func(asn1 bool) evidence {
		q, s := h.quote(t, nonce, pcr10, sel10, asn1)
		return evidence{q, s, h.pem, log[1], log}
	}
	tests := []struct {
		name   string
		ev     func() evidence
		result string
		detail string
	}{
		{"trusted", func() evidence { return good(false) }, "trusted", "signature, nonce and PCR digest verify"},
		{"trusted, DER signature", func() evidence { return good(true) }, "trusted", "signature, nonce and PCR digest verify"},
		{"policy hash not last", func() evidence { e := good(false); e.policyHash = log[0]; return e }, "untrusted", "policy hash is not the last event"},
		{"tampered quote", func() evidence { e := good(false); e.quoted[len(e.quoted)-1] ^= 1; return e }, "invalid", "signature does not verify"},
		{"other key", func() evidence { e := good(false); e.ak = other.pem; return e }, "invalid", "signature does not verify"},
		{"wrong nonce", func() evidence {
			q, s := h.quote(t, []byte("another nonce, 16+ bytes"), pcr10, sel10, false)
			return evidence{q, s, h.pem, log[1], log}
		}, "invalid", "does not carry the nonce"},
		{"log does not match", func() evidence { e := good(false); e.log = log[:1]; e.policyHash = log[0]; return e }, "invalid", "does not match the event log"},
		{"wrong PCR selected", func() evidence {
			q, s := h.quote(t, nonce, pcr10, []byte{0, 6, 0}, false)
			return evidence{q, s, h.pem, log[1], log}
		}, "invalid", "does not select exactly PCR 10"},
		{"bad event", func() evidence { e := good(false); e.log = []string{"zz"}; return e }, "invalid", "event log: event 1"},
	}
	for _, tt := range tests {
		ev := tt.ev()
		f := vtpmFake()
		var logVals []any
		for _, e := range ev.log {
			logVals = append(logVals, e)
		}
		f.returns("AttestPolicy", 0,
			strParam("Quote", base64.StdEncoding.EncodeToString(ev.quoted)),
			strParam("Signature", base64.StdEncoding.EncodeToString(ev.sig)),
			strParam("AKPublic", ev.ak), strParam("PolicyHash", ev.policyHash),
			strParam("PCRValue", hex.EncodeToString(pcr10)),
			cim.ParamValue{Name: "EventLog", Type: cim.TypeString, IsArray: true, Value: logVals}, msg(""))
		out, errOut, code := runApp(t, f, t.TempDir(), nil, "attest", "--nonce", nonceHex)
		wantCode := 1
		if tt.result == "trusted" {
			wantCode = 0
		}
		if code != wantCode || errOut != "" || !strings.HasSuffix(out, "Result: "+tt.result+"\n") || !strings.Contains(out, "Details: ") ||
			!strings.Contains(out[strings.Index(out, "Details: "):], tt.detail) {
			t.Errorf("%s: exit %d stderr %q\n%s", tt.name, code, errOut, out)
		}
		if p, _ := param(f.params["AttestPolicy"], "Nonce"); p.Value != base64.StdEncoding.EncodeToString(nonce) {
			t.Errorf("%s: Nonce sent %v", tt.name, p.Value)
		}
		if tt.name == "trusted" {
			want := fmt.Sprintf("Policy hash: %s\nEvent log:\n  1: %s\n  2: %s\nPCR10 (reported): %x\nPCR10 (replayed): %x\n", log[1], log[0], log[1], pcr10, pcr10)
			if !strings.Contains(out, want) {
				t.Errorf("attest output lacks\n%s\ngot:\n%s", want, out)
			}
		}
	}

	// A refusal of the security service is an error with its message.
	f := vtpmFake()
	f.returns("AttestPolicy", 4097, msg("No host TPM."))
	out, errOut, code := runApp(t, f, t.TempDir(), nil, "attest")
	if code != 1 || out != "" || errOut != "Error: No host TPM.\n" {
		t.Errorf("refused attest: exit %d %q %q", code, out, errOut)
	}
	if p, _ := param(f.params["AttestPolicy"], "Nonce"); len(mustB64(t, p.Value.(string))) != defaultNonceSize {
		t.Errorf("random nonce %v", p.Value)
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
