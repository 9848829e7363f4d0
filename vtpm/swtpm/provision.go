package swtpm

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-tpm/tpm2"

	"github.com/shypecim/shypecim/vtpm"
)

// Well-known handles of swtpm_setup's TPM 2.0 manufacturing (vtpm.md §2.2).
const (
	ekHandle     = tpm2.TPMHandle(0x81010001) // RSA 2048 EK
	ekCertHandle = tpm2.TPMHandle(0x01C00002) // its certificate
	nvChunkMax   = 1024
)

// The local CA's folder and files under Root.
const (
	caDirName     = "ca"
	setupConfName = "swtpm_setup.conf"
	caConfName    = "swtpm-localca.conf"
	caOptsName    = "swtpm-localca.options"
	issuerCert    = "issuercert.pem"
	rootCert      = "swtpm-localca-rootca-cert.pem"
)

var knownBanks = []string{"sha1", "sha256", "sha384", "sha512"}

func (b *Backend) caDir() string { return filepath.Join(b.root, caDirName) }

// caConfig writes the swtpm_setup and swtpm_localca configuration that keeps the
// CA inside Root, so nothing touches /var/lib/swtpm-localca or /etc and the
// backend works as any user. It returns the swtpm_setup config path.
func (b *Backend) caConfig() (string, error) {
	b.caMu.Lock()
	defer b.caMu.Unlock()
	dir := b.caDir()
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("swtpm: CA folder: %w", err)
	}
	files := map[string]string{
		caConfName: fmt.Sprintf("statedir = %s\nsigningkey = %s\nissuercert = %s\ncertserial = %s\n",
			dir, filepath.Join(dir, "signkey.pem"), filepath.Join(dir, issuerCert), filepath.Join(dir, "certserial")),
		// Platform options are used only for platform certificates, which we
		// do not create; they name the product for when that changes.
		caOptsName: "--platform-manufacturer shypecim\n--platform-version 2.0\n--platform-model swtpm\n",
		setupConfName: fmt.Sprintf("create_certs_tool = %s\ncreate_certs_tool_config = %s\ncreate_certs_tool_options = %s\nactive_pcr_banks = sha256\n",
			b.localca, filepath.Join(dir, caConfName), filepath.Join(dir, caOptsName)),
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && string(old) == content {
			continue
		}
		if err := writeAtomic(path, []byte(content)); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, setupConfName), nil
}

// Provision manufactures TPM id with swtpm_setup (RSA and ECC EKs with
// certificates from the local CA, NV locked), then runs it briefly to read the
// endorsement.
func (b *Backend) Provision(ctx context.Context, id string, o vtpm.ProvisionOptions) (vtpm.Endorsement, error) {
	var e vtpm.Endorsement
	if err := checkID(id); err != nil {
		return e, err
	}
	banks := o.PCRBanks
	if len(banks) == 0 {
		banks = []string{"sha256"}
	}
	for _, bank := range banks {
		if !slices.Contains(knownBanks, bank) {
			return e, fmt.Errorf("swtpm: unknown PCR bank %q (want one of %s)", bank, strings.Join(knownBanks, ", "))
		}
	}
	if err := b.reserve(id); err != nil {
		return e, err
	}
	p := b.paths(id)
	if exists(p.permall) {
		b.settle(id, nil)
		return e, fmt.Errorf("swtpm: provision %s: %w", id, vtpm.ErrExists)
	}
	conf, err := b.caConfig()
	if err == nil {
		err = p.mkdirs()
	}
	if err == nil {
		err = b.runSetup(ctx, p, banks, conf)
	}
	b.settle(id, nil) // start reserves again
	if err == nil {
		e, err = b.readEndorsement(ctx, id)
	}
	if err != nil {
		// A half-made TPM must not block a retry with ErrExists.
		if derr := b.Destroy(context.Background(), id); derr != nil {
			err = errors.Join(err, derr)
		}
		return vtpm.Endorsement{}, err
	}
	e.PCRBanks = slices.Clone(banks)
	b.log.WithField("tpm", id).Info("TPM provisioned")
	return e, nil
}

func (b *Backend) runSetup(ctx context.Context, p paths, banks []string, conf string) error {
	// swtpm_setup splits --tpm at spaces ("<swtpm> socket").
	if strings.ContainsAny(b.swtpm, " \t") {
		return fmt.Errorf("swtpm: swtpm_setup cannot use %q: the path contains spaces", b.swtpm)
	}
	cmd := exec.CommandContext(ctx, b.setup, "--tpm2",
		"--tpmstate", p.state,
		"--tpm", b.swtpm+" socket",
		"--pcr-banks", strings.Join(banks, ","),
		"--createek", "--create-ek-cert", "--lock-nvram",
		"--not-overwrite",
		"--config", conf)
	// Its temporary certificate folder goes under our CA folder, not /tmp.
	cmd.Env = append(os.Environ(), "TMPDIR="+b.caDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("swtpm: swtpm_setup: %w", ctx.Err())
		}
		return fmt.Errorf("swtpm: swtpm_setup failed: %w: %s", err, tail(out.Bytes(), 600))
	}
	if !exists(p.permall) {
		return fmt.Errorf("swtpm: swtpm_setup made no state: %s", tail(out.Bytes(), 600))
	}
	return nil
}

// readEndorsement starts TPM id fresh, reads EK public, EK certificate and
// identity properties, and shuts it down.
func (b *Backend) readEndorsement(ctx context.Context, id string) (e vtpm.Endorsement, err error) {
	in, err := b.start(ctx, id, false)
	if err != nil {
		return e, err
	}
	defer func() {
		if serr := in.Stop(ctx, false); serr != nil && err == nil {
			err = serr
		}
	}()
	e, err = ReadEndorsement(in)
	e.FirmwareLabel = "swtpm " + b.version
	return e, err
}

// ReadEndorsement reads from a running swtpm TPM what Provision reports: the EK
// public key (0x81010001), its certificate (NV 0x01C00002, read with owner
// authorization), the manufacturer and the specification version.
func ReadEndorsement(t *Instance) (vtpm.Endorsement, error) {
	var e vtpm.Endorsement
	caps, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTFamilyIndicator),
		PropertyCount: uint32(tpm2.TPMPTManufacturer-tpm2.TPMPTFamilyIndicator) + 1,
	}.Execute(t)
	if err != nil {
		return e, fmt.Errorf("swtpm: GetCapability: %w", err)
	}
	props, err := caps.CapabilityData.Data.TPMProperties()
	if err != nil {
		return e, fmt.Errorf("swtpm: GetCapability: %w", err)
	}
	for _, pr := range props.TPMProperty {
		switch pr.Property {
		case tpm2.TPMPTFamilyIndicator:
			fmt.Sscanf(fourCC(pr.Value), "%d.%d", &e.SpecMajor, &e.SpecMinor)
		case tpm2.TPMPTManufacturer:
			e.Manufacturer = fourCC(pr.Value)
		}
	}
	if e.Manufacturer == "" || e.SpecMajor == 0 {
		return e, fmt.Errorf("swtpm: TPM properties lack manufacturer or family: %w", vtpm.ErrBackendProtocol)
	}

	rp, err := tpm2.ReadPublic{ObjectHandle: ekHandle}.Execute(t)
	if err != nil {
		return e, fmt.Errorf("swtpm: ReadPublic EK: %w", err)
	}
	pub, err := rp.OutPublic.Contents()
	if err != nil {
		return e, fmt.Errorf("swtpm: EK public: %w", err)
	}
	key, err := tpm2.Pub(*pub)
	if err != nil {
		return e, fmt.Errorf("swtpm: EK public: %w", err)
	}
	spki, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return e, fmt.Errorf("swtpm: EK public: %w", err)
	}
	e.EKPublicPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})

	der, err := readNV(t, ekCertHandle)
	if err != nil {
		return e, fmt.Errorf("swtpm: EK certificate: %w", err)
	}
	// The index may be larger than the certificate: keep exactly one DER value.
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(der, &raw); err != nil {
		return e, fmt.Errorf("swtpm: EK certificate: %w", err)
	}
	if _, err := x509.ParseCertificate(raw.FullBytes); err != nil {
		return e, fmt.Errorf("swtpm: EK certificate: %w", err)
	}
	e.EKCertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: raw.FullBytes})
	return e, nil
}

// fourCC turns a TPM property holding four characters into text.
func fourCC(v uint32) string {
	b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	return strings.TrimRight(string(b), "\x00 ")
}

// readNV reads a whole NV index with owner authorization, in chunks the TPM accepts.
func readNV(t *Instance, h tpm2.TPMHandle) ([]byte, error) {
	rp, err := tpm2.NVReadPublic{NVIndex: h}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("NVReadPublic: %w", err)
	}
	pub, err := rp.NVPublic.Contents()
	if err != nil {
		return nil, fmt.Errorf("NVReadPublic: %w", err)
	}
	chunk := uint16(nvChunkMax)
	if caps, err := (tpm2.GetCapability{
		Capability: tpm2.TPMCapTPMProperties, Property: uint32(tpm2.TPMPTNVBufferMax), PropertyCount: 1,
	}).Execute(t); err == nil {
		if props, err := caps.CapabilityData.Data.TPMProperties(); err == nil && len(props.TPMProperty) == 1 &&
			props.TPMProperty[0].Property == tpm2.TPMPTNVBufferMax && props.TPMProperty[0].Value > 0 &&
			props.TPMProperty[0].Value < uint32(chunk) {
			chunk = uint16(props.TPMProperty[0].Value)
		}
	}
	out := make([]byte, 0, pub.DataSize)
	for off := uint16(0); off < pub.DataSize; {
		n := min(chunk, pub.DataSize-off)
		r, err := tpm2.NVRead{
			AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
			NVIndex:    tpm2.NamedHandle{Handle: h, Name: rp.NVName},
			Size:       n,
			Offset:     off,
		}.Execute(t)
		if err != nil {
			return nil, fmt.Errorf("NVRead at %d: %w", off, err)
		}
		if len(r.Data.Buffer) == 0 {
			return nil, fmt.Errorf("NVRead at %d: empty answer: %w", off, vtpm.ErrBackendProtocol)
		}
		out = append(out, r.Data.Buffer...)
		off += uint16(len(r.Data.Buffer))
	}
	return out, nil
}

// CACertificatesPEM returns the local CA's issuer certificate, then its root
// certificate. The CA is created on first use (normally by the first Provision).
func (b *Backend) CACertificatesPEM() ([]byte, error) {
	if err := b.ensureCA(context.Background()); err != nil {
		return nil, err
	}
	var out []byte
	for _, name := range []string{issuerCert, rootCert} {
		raw, err := os.ReadFile(filepath.Join(b.caDir(), name))
		if err != nil {
			return nil, fmt.Errorf("swtpm: CA: %w", err)
		}
		out = append(out, bytes.TrimSpace(raw)...)
		out = append(out, '\n')
	}
	return out, nil
}

// ensureCA makes swtpm_localca create the CA when it does not exist yet, by
// certifying a throwaway key: swtpm_localca has no "create CA only" mode.
func (b *Backend) ensureCA(ctx context.Context) error {
	dir := b.caDir()
	if exists(filepath.Join(dir, issuerCert)) && exists(filepath.Join(dir, rootCert)) {
		return nil
	}
	if _, err := b.caConfig(); err != nil {
		return err
	}
	b.caMu.Lock()
	defer b.caMu.Unlock()
	if exists(filepath.Join(dir, issuerCert)) && exists(filepath.Join(dir, rootCert)) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("swtpm: CA: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".init")
	if err != nil {
		return fmt.Errorf("swtpm: CA: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, b.localca, "--type", "ek",
		"--ek", hex.EncodeToString(key.N.Bytes()),
		"--dir", tmp, "--vmid", "ca-init",
		"--tpm-spec-family", "2.0", "--tpm-spec-level", "0", "--tpm-spec-revision", "164",
		"--tpm-manufacturer", "id:00001014", "--tpm-model", "swtpm", "--tpm-version", "id:20191023",
		"--tpm2",
		"--configfile", filepath.Join(dir, caConfName),
		"--optsfile", filepath.Join(dir, caOptsName))
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("swtpm: creating the local CA: %w: %s", err, tail(out, 400))
	}
	if !exists(filepath.Join(dir, issuerCert)) || !exists(filepath.Join(dir, rootCert)) {
		return fmt.Errorf("swtpm: swtpm_localca made no CA: %s", tail(out, 400))
	}
	return nil
}
