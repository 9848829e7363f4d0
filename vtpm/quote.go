package vtpm

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// NumPCRs is the number of PCRs of a bank (PC Client profile).
const NumPCRs = 24

// Nonce bounds: a TPM2B_DATA accepts up to 66 bytes on swtpm; 16 keeps a replay
// improbable (vtpm.md §6.7).
const (
	MinNonce = 16
	MaxNonce = 64
)

var bankAlgs = map[string]tpm2.TPMAlgID{
	"sha1":   tpm2.TPMAlgSHA1,
	"sha256": tpm2.TPMAlgSHA256,
	"sha384": tpm2.TPMAlgSHA384,
	"sha512": tpm2.TPMAlgSHA512,
}

var bankSizes = map[string]int{"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}

// Evidence is a quote of a vTPM and what a verifier needs to check it.
type Evidence struct {
	Quoted      []byte // TPMS_ATTEST
	Signature   []byte // TPMT_SIGNATURE
	AKPublic    []byte // TPM2B_PUBLIC
	AKPublicPEM []byte // PEM "PUBLIC KEY"
	PCRs        []int  // ascending
	PCRValues   [][]byte
	Bank        string
	EKCertPEM   []byte
}

// running locks the vTPM uuid and checks it runs and has bank; the caller
// releases e.op.
func (m *Manager) running(uuid, bank string) (*entry, tpm2.TPMAlgID, error) {
	alg, ok := bankAlgs[bank]
	if !ok {
		return nil, 0, fmt.Errorf("%w: unknown PCR bank %q", ErrInvalid, bank)
	}
	e, err := m.acquire(uuid)
	if err != nil {
		return nil, 0, err
	}
	if e.inst == nil || e.rec.State != Running {
		e.op.Unlock()
		if err := m.needBackend(); err != nil {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("%w: vTPM %s is not running", ErrBadState, uuid)
	}
	if !slices.Contains(e.rec.PCRBanks, bank) {
		e.op.Unlock()
		return nil, 0, fmt.Errorf("%w: vTPM %s has no %s bank", ErrInvalid, uuid, bank)
	}
	return e, alg, nil
}

// checkPCRs validates a PCR list; nil means all of them.
func checkPCRs(pcrs []int) ([]int, error) {
	if pcrs == nil {
		pcrs = make([]int, NumPCRs)
		for i := range pcrs {
			pcrs[i] = i
		}
		return pcrs, nil
	}
	if len(pcrs) == 0 {
		return nil, fmt.Errorf("%w: empty PCR list", ErrInvalid)
	}
	seen := make(map[int]bool, len(pcrs))
	for _, p := range pcrs {
		if p < 0 || p >= NumPCRs {
			return nil, fmt.Errorf("%w: PCR %d out of range 0..%d", ErrInvalid, p, NumPCRs-1)
		}
		if seen[p] {
			return nil, fmt.Errorf("%w: PCR %d listed twice", ErrInvalid, p)
		}
		seen[p] = true
	}
	return pcrs, nil
}

// ReadPCRs reads PCRs of a running vTPM, in the order asked; nil pcrs reads
// 0..23.
func (m *Manager) ReadPCRs(ctx context.Context, uuid, bank string, pcrs []int) ([][]byte, error) {
	pcrs, err := checkPCRs(pcrs)
	if err != nil {
		return nil, err
	}
	e, alg, err := m.running(uuid, bank)
	if err != nil {
		return nil, err
	}
	defer e.op.Unlock()
	vals, err := readPCRs(e.inst, alg, pcrs)
	if err != nil {
		return nil, fmt.Errorf("vtpm: read PCRs of %s: %w", uuid, err)
	}
	return vals, nil
}

// ExtendPCR extends one PCR of a running vTPM with a digest of the bank's size.
func (m *Manager) ExtendPCR(ctx context.Context, uuid, bank string, pcr int, digest []byte) error {
	if pcr < 0 || pcr >= NumPCRs {
		return fmt.Errorf("%w: PCR %d out of range 0..%d", ErrInvalid, pcr, NumPCRs-1)
	}
	if n, ok := bankSizes[bank]; ok && len(digest) != n {
		return fmt.Errorf("%w: a %s digest has %d bytes, not %d", ErrInvalid, bank, n, len(digest))
	}
	e, alg, err := m.running(uuid, bank)
	if err != nil {
		return err
	}
	defer e.op.Unlock()
	if err := extendPCR(e.inst, alg, pcr, digest); err != nil {
		return fmt.Errorf("vtpm: extend PCR %d of %s: %w", pcr, uuid, err)
	}
	return nil
}

func extendPCR(t transport.TPM, alg tpm2.TPMAlgID, pcr int, digest []byte) error {
	_, err := tpm2.PCRExtend{
		PCRHandle: tpm2.AuthHandle{Handle: tpm2.TPMHandle(pcr), Auth: tpm2.PasswordAuth(nil)},
		Digests: tpm2.TPMLDigestValues{Digests: []tpm2.TPMTHA{
			{HashAlg: alg, Digest: digest},
		}},
	}.Execute(t)
	return err
}

func selection(alg tpm2.TPMAlgID, pcrs []int) tpm2.TPMLPCRSelection {
	u := make([]uint, len(pcrs))
	for i, p := range pcrs {
		u[i] = uint(p)
	}
	return tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
		{Hash: alg, PCRSelect: tpm2.PCClientCompatible.PCRs(u...)},
	}}
}

// readPCRs reads pcrs (any order) and returns their values in that order. A
// TPM returns at most 8 digests per PCR_Read, so it loops on what is left.
func readPCRs(t transport.TPM, alg tpm2.TPMAlgID, pcrs []int) ([][]byte, error) {
	got := make(map[int][]byte, len(pcrs))
	left := slices.Clone(pcrs)
	for len(left) > 0 {
		rsp, err := tpm2.PCRRead{PCRSelectionIn: selection(alg, left)}.Execute(t)
		if err != nil {
			return nil, err
		}
		var done []int
		i := 0
		for _, s := range rsp.PCRSelectionOut.PCRSelections {
			if s.Hash != alg {
				continue
			}
			for p := 0; p < len(s.PCRSelect)*8; p++ {
				if s.PCRSelect[p/8]&(1<<(p%8)) == 0 {
					continue
				}
				if i >= len(rsp.PCRValues.Digests) {
					return nil, fmt.Errorf("%w: PCR_Read returned fewer digests than selected", ErrBackendProtocol)
				}
				got[p] = slices.Clone(rsp.PCRValues.Digests[i].Buffer)
				done = append(done, p)
				i++
			}
		}
		if len(done) == 0 {
			return nil, fmt.Errorf("%w: PCR_Read returned no PCR", ErrBackendProtocol)
		}
		left = slices.DeleteFunc(left, func(p int) bool { return slices.Contains(done, p) })
	}
	out := make([][]byte, len(pcrs))
	for i, p := range pcrs {
		out[i] = got[p]
	}
	return out, nil
}

// akTemplate is the attestation key of vtpm.md §6.6: restricted ECDSA P-256
// signing key. Same template and endorsement seed give the same key each time,
// so it is created on demand and never persisted.
var akTemplate = tpm2.TPMTPublic{
	Type:    tpm2.TPMAlgECC,
	NameAlg: tpm2.TPMAlgSHA256,
	ObjectAttributes: tpm2.TPMAObject{
		FixedTPM:            true,
		FixedParent:         true,
		SensitiveDataOrigin: true,
		UserWithAuth:        true,
		NoDA:                true,
		Restricted:          true,
		SignEncrypt:         true,
	},
	Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
		Scheme: tpm2.TPMTECCScheme{
			Scheme:  tpm2.TPMAlgECDSA,
			Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256}),
		},
		CurveID: tpm2.TPMECCNistP256,
	}),
	Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{}),
}

// quote is the §6.7 flow on one TPM: AK, PCR_Read, Quote, AK flushed; the
// read is repeated once when a PCR changed between read and quote.
func quote(t transport.TPM, nonce []byte, alg tpm2.TPMAlgID, pcrs []int) (ev Evidence, err error) {
	ak, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.TPMRHEndorsement,
		InPublic:      tpm2.New2B(akTemplate),
	}.Execute(t)
	if err != nil {
		return Evidence{}, fmt.Errorf("create AK: %w", err)
	}
	defer func() {
		// Host-side commands leave no object behind (vtpm.md §6.5).
		if _, ferr := (tpm2.FlushContext{FlushHandle: ak.ObjectHandle}).Execute(t); ferr != nil && err == nil {
			err = fmt.Errorf("flush AK: %w", ferr)
		}
	}()
	pub, err := ak.OutPublic.Contents()
	if err != nil {
		return Evidence{}, fmt.Errorf("AK public: %w", err)
	}
	key, err := tpm2.Pub(*pub)
	if err != nil {
		return Evidence{}, fmt.Errorf("AK public: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return Evidence{}, fmt.Errorf("AK public: %w", err)
	}
	pcrs = slices.Clone(pcrs)
	slices.Sort(pcrs)
	for attempt := 0; ; attempt++ {
		vals, err := readPCRs(t, alg, pcrs)
		if err != nil {
			return Evidence{}, fmt.Errorf("read PCRs: %w", err)
		}
		q, err := tpm2.Quote{
			SignHandle:     tpm2.AuthHandle{Handle: ak.ObjectHandle, Name: ak.Name, Auth: tpm2.PasswordAuth(nil)},
			QualifyingData: tpm2.TPM2BData{Buffer: nonce},
			InScheme:       tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull},
			PCRSelect:      selection(alg, pcrs),
		}.Execute(t)
		if err != nil {
			return Evidence{}, fmt.Errorf("quote: %w", err)
		}
		quoted := q.Quoted.Bytes()
		att, err := tpm2.Unmarshal[tpm2.TPMSAttest](quoted)
		if err != nil {
			return Evidence{}, fmt.Errorf("%w: quote: %v", ErrBackendProtocol, err)
		}
		info, err := att.Attested.Quote()
		if err != nil {
			return Evidence{}, fmt.Errorf("%w: quote: %v", ErrBackendProtocol, err)
		}
		if !bytes.Equal(info.PCRDigest.Buffer, pcrDigest(vals)) {
			if attempt == 0 {
				continue
			}
			return Evidence{}, fmt.Errorf("%w: PCRs keep changing during the quote", ErrBackendProtocol)
		}
		return Evidence{
			Quoted:      slices.Clone(quoted),
			Signature:   tpm2.Marshal(q.Signature),
			AKPublic:    tpm2.Marshal(ak.OutPublic),
			AKPublicPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
			PCRs:        pcrs,
			PCRValues:   vals,
		}, nil
	}
}

func pcrDigest(vals [][]byte) []byte {
	h := sha256.New()
	for _, v := range vals {
		h.Write(v)
	}
	return h.Sum(nil)
}

// Quote signs the PCRs of a running vTPM and the console's nonce (16…64 bytes)
// with its attestation key. nil pcrs quotes 0..23.
func (m *Manager) Quote(ctx context.Context, uuid string, nonce []byte, bank string, pcrs []int) (Evidence, error) {
	if len(nonce) < MinNonce || len(nonce) > MaxNonce {
		return Evidence{}, fmt.Errorf("%w: nonce must have %d to %d bytes", ErrInvalid, MinNonce, MaxNonce)
	}
	pcrs, err := checkPCRs(pcrs)
	if err != nil {
		return Evidence{}, err
	}
	e, alg, err := m.running(uuid, bank)
	if err != nil {
		return Evidence{}, err
	}
	defer e.op.Unlock()
	ev, err := quote(e.inst, nonce, alg, pcrs)
	if err != nil {
		return Evidence{}, fmt.Errorf("vtpm: quote %s: %w", uuid, err)
	}
	ev.Bank = bank
	ev.EKCertPEM = slices.Clone(e.rec.EKCertPEM)
	return ev, nil
}

// Verdict is the result of VerifyQuote; the values equal the CIM Result.
type Verdict int

// The verdicts of VerifyQuote.
const (
	Trusted   Verdict = 2 // the quote verifies and the PCRs equal the reference
	Untrusted Verdict = 3 // the quote verifies but a PCR differs from its reference
	Invalid   Verdict = 4 // a cryptographic check failed
)

func (v Verdict) String() string {
	switch v {
	case Trusted:
		return "trusted"
	case Untrusted:
		return "untrusted"
	case Invalid:
		return "invalid"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// parseAKPublic accepts TPM2B_PUBLIC bytes or a PEM "PUBLIC KEY".
func parseAKPublic(b []byte) (*ecdsa.PublicKey, error) {
	var key any
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	} else {
		p2b, err := tpm2.Unmarshal[tpm2.TPM2BPublic](b)
		if err != nil {
			return nil, err
		}
		pub, err := p2b.Contents()
		if err != nil {
			return nil, err
		}
		k, err := tpm2.Pub(*pub)
		if err != nil {
			return nil, err
		}
		key = k
	}
	ek, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("AK is %T, not ECDSA", key)
	}
	return ek, nil
}

// VerifyQuote checks a quote the way a console does (vtpm.md §6.7): the AK's
// signature over the attestation, its magic and type, the nonce, the PCR
// selection and the digest of values; then values against reference (entries
// in the order of pcrs; a nil reference means no policy, an empty entry means that
// PCR is not checked). The string says why when the verdict is not Trusted.
func VerifyQuote(quoted, signature, akPublic, nonce []byte, pcrs []int, values, reference [][]byte) (v Verdict, detail string) {
	defer func() {
		// The TPM structure decoder works on untrusted input.
		if r := recover(); r != nil {
			v, detail = Invalid, fmt.Sprintf("malformed input: %v", r)
		}
	}()
	key, err := parseAKPublic(akPublic)
	if err != nil {
		return Invalid, "AK public key: " + err.Error()
	}
	sig, err := tpm2.Unmarshal[tpm2.TPMTSignature](signature)
	if err != nil {
		return Invalid, "signature: " + err.Error()
	}
	if sig.SigAlg != tpm2.TPMAlgECDSA {
		return Invalid, fmt.Sprintf("signature algorithm %v is not ECDSA", sig.SigAlg)
	}
	es, err := sig.Signature.ECDSA()
	if err != nil {
		return Invalid, "signature: " + err.Error()
	}
	if es.Hash != tpm2.TPMAlgSHA256 {
		return Invalid, "signature hash is not SHA-256"
	}
	h := sha256.Sum256(quoted)
	r := new(big.Int).SetBytes(es.SignatureR.Buffer)
	s := new(big.Int).SetBytes(es.SignatureS.Buffer)
	if !ecdsa.Verify(key, h[:], r, s) {
		return Invalid, "signature does not verify with the AK"
	}
	att, err := tpm2.Unmarshal[tpm2.TPMSAttest](quoted)
	if err != nil {
		return Invalid, "attestation: " + err.Error()
	}
	if att.Magic != tpm2.TPMGeneratedValue {
		return Invalid, "attestation was not generated by a TPM"
	}
	if att.Type != tpm2.TPMSTAttestQuote {
		return Invalid, "attestation is not a quote"
	}
	if !bytes.Equal(att.ExtraData.Buffer, nonce) {
		return Invalid, "nonce does not match"
	}
	info, err := att.Attested.Quote()
	if err != nil {
		return Invalid, "quote: " + err.Error()
	}
	if len(values) != len(pcrs) {
		return Invalid, fmt.Sprintf("%d PCR values for %d PCRs", len(values), len(pcrs))
	}
	if reference != nil && len(reference) != len(pcrs) {
		return Invalid, fmt.Sprintf("%d reference values for %d PCRs", len(reference), len(pcrs))
	}
	want := make([]bool, NumPCRs)
	for _, p := range pcrs {
		if p < 0 || p >= NumPCRs || want[p] {
			return Invalid, fmt.Sprintf("bad PCR list %v", pcrs)
		}
		want[p] = true
	}
	var selected []int
	for _, sel := range info.PCRSelect.PCRSelections {
		for p := 0; p < len(sel.PCRSelect)*8; p++ {
			if sel.PCRSelect[p/8]&(1<<(p%8)) != 0 {
				selected = append(selected, p)
			}
		}
	}
	if len(info.PCRSelect.PCRSelections) != 1 || len(selected) != len(pcrs) {
		return Invalid, "quoted PCR selection differs from the PCR list"
	}
	for _, p := range selected {
		if p >= NumPCRs || !want[p] {
			return Invalid, "quoted PCR selection differs from the PCR list"
		}
	}
	// The digest runs over the values in ascending PCR order.
	byPCR := make(map[int][]byte, len(pcrs))
	for i, p := range pcrs {
		byPCR[p] = values[i]
	}
	ordered := make([][]byte, len(selected))
	for i, p := range selected {
		ordered[i] = byPCR[p]
	}
	if !bytes.Equal(info.PCRDigest.Buffer, pcrDigest(ordered)) {
		return Invalid, "PCR values do not match the quoted digest"
	}
	var bad []int
	for i, ref := range reference {
		if len(ref) != 0 && !bytes.Equal(ref, values[i]) {
			bad = append(bad, pcrs[i])
		}
	}
	if len(bad) > 0 {
		return Untrusted, fmt.Sprintf("PCRs %v differ from the reference", bad)
	}
	return Trusted, ""
}
