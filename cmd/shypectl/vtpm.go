package main

// The vTPM commands talk to the Xen_VTPMManagementService (cim-model.md §3);
// attest asks the Xen_SecurityService's AttestPolicy (§2) and checks the
// evidence itself.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-tpm/tpm2"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Class names of cim-model.md §3.
const (
	classVTPM    = "Xen_VTPM"
	classVTPMSvc = "Xen_VTPMManagementService"
)

// numPCRs is the number of PCRs of a TPM 2.0 bank.
const numPCRs = 24

// policyPCR is the host TPM's PCR that measures the enforced policy.
const policyPCR = 10

// defaultNonceSize is the nonce length used when none is given: vtpm.md §6.7
// recommends 32 bytes.
const defaultNonceSize = 32

// vtpmReturnCodes names the return codes of Xen_VTPMManagementService's
// methods (xen.mof's ValueMap), for a refusal that came without a message.
var vtpmReturnCodes = map[uint64]string{
	1:     "Not Supported",
	2:     "Failed",
	4:     "Invalid Parameter",
	5:     "Invalid State",
	32768: "Domain Already Has a vTPM",
	32769: "Not Found",
	32770: "swtpm Not Available",
}

// VerifyQuote's Result values.
const (
	verdictTrusted   = 2
	verdictUntrusted = 3
	verdictInvalid   = 4
)

func verdictString(v uint64) string {
	switch v {
	case verdictTrusted:
		return "trusted"
	case verdictUntrusted:
		return "untrusted"
	}
	return "invalid"
}

func vtpmCommands() []*command {
	const g = "vTPM commands"
	return []*command{
		{name: "vtpm-create", args: "<Domain> [--instance N]", group: g,
			help: "Create a virtual TPM for a halted domain (preferred instance number N).",
			run:  (*app).cmdVTPMCreate},
		{name: "vtpm-destroy", args: "<Domain>", group: g,
			help: "Destroy the virtual TPM of a halted domain (or its tombstone).",
			run:  (*app).cmdVTPMDestroy},
		{name: "vtpm-list", args: "", group: g,
			help: "List the virtual TPMs, migrated-away ones included.",
			run:  (*app).cmdVTPMList},
		{name: "vtpm-pcrs", args: "<Domain> [--bank sha256] [PCR ...]", group: g,
			help: "Print PCR values of a running domain's virtual TPM (all 24 if none are named).",
			run:  (*app).cmdVTPMPCRs},
		{name: "vtpm-quote", args: "<Domain> [--nonce HEX] [--pcrs 0,1,...] [--expect FILE]", group: g,
			help: "Quote PCRs of a domain's virtual TPM and verify the quote (exit 0 only if trusted).",
			run:  (*app).cmdVTPMQuote},
		{name: "vtpm-migrate", args: "<Domain> <DestinationURL> [--user NAME] [--password PW]", group: g,
			help: "Move the virtual TPM of a halted or suspended domain to another server.",
			run:  (*app).cmdVTPMMigrate},
		{name: "attest", args: "[--nonce HEX]", group: g,
			help: "Attest the enforced policy with the host TPM and verify the evidence (exit 0 only if trusted).",
			run:  (*app).cmdAttest},
	}
}

// parseOptions splits args into positional arguments and the values of the
// options named in opts (each taking one value, as --opt V or --opt=V);
// options may come before, between or after the positional arguments.
func parseOptions(cmd string, args []string, opts map[string]*string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "--") || len(arg) == 2 {
			pos = append(pos, arg)
			continue
		}
		name, val, hasVal := strings.Cut(arg, "=")
		dst, ok := opts[name]
		if !ok {
			return nil, &usageError{cmd: cmd, msg: fmt.Sprintf("option %s not recognized", name)}
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, &usageError{cmd: cmd, msg: fmt.Sprintf("option %s requires argument", name)}
			}
			i++
			val = args[i]
		}
		*dst = val
	}
	return pos, nil
}

// vtpmCall invokes a method of the Xen_VTPMManagementService; a return code
// other than 0 is an error carrying the server's Message (cim-model.md §0).
func (a *app) vtpmCall(method string, in ...cim.ParamValue) (outParams, error) {
	var cache *cim.ObjectPath
	svc, err := a.service(classVTPMSvc, &cache)
	if err != nil {
		return nil, err
	}
	code, out, err := a.invoke(svc, method, in...)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		if m := out.str("Message"); m != "" {
			return nil, errorf("%s", m)
		}
		name := vtpmReturnCodes[code]
		if name == "" {
			name = "return code " + strconv.FormatUint(code, 10)
		}
		return nil, errorf("%s failed: %s.", method, name)
	}
	return out, nil
}

// vtpmInfo is a Xen_VTPM instance.
type vtpmInfo struct {
	Path       *cim.ObjectPath
	Domain     string // the domain's UUID (SystemName)
	Number     uint64
	UUID       string
	State      uint64
	Migration  uint64
	MigratedTo string
}

// vtpms returns every vTPM the server lists.
func (a *app) vtpms() ([]*vtpmInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	objs, err := c.EnumerateInstances(a.ctx, ns, classVTPM)
	if err != nil {
		return nil, err
	}
	var out []*vtpmInfo
	for _, o := range objs {
		in := o.Instance
		if in == nil {
			continue
		}
		v := &vtpmInfo{
			Path:       o.Path,
			Domain:     propString(in, "SystemName"),
			UUID:       propString(in, "UUID"),
			MigratedTo: propString(in, "MigratedTo"),
		}
		v.Number, _ = propUint(in, "InstanceNumber")
		v.State, _ = propUint(in, "EnabledState")
		v.Migration, _ = propUint(in, "MigrationState")
		if v.Path == nil {
			v.Path = vtpmPath(v.Domain, propString(in, "DeviceID"))
		}
		if v.Path.Namespace == "" {
			v.Path.Namespace = ns
		}
		out = append(out, v)
	}
	return out, nil
}

func vtpmPath(domainUUID, deviceID string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: ns, ClassName: classVTPM, Keys: []cim.KeyBinding{
		{Name: "SystemCreationClassName", Value: classCS},
		{Name: "SystemName", Value: domainUUID},
		{Name: "CreationClassName", Value: classVTPM},
		{Name: "DeviceID", Value: deviceID},
	}}
}

// domainVTPM returns the domain ref names and its vTPM.
func (a *app) domainVTPM(ref string) (*domain, *vtpmInfo, error) {
	d, err := a.findDomain(ref)
	if err != nil {
		return nil, nil, err
	}
	vs, err := a.vtpms()
	if err != nil {
		return nil, nil, err
	}
	for _, v := range vs {
		if strings.EqualFold(v.Domain, d.UUID) {
			return d, v, nil
		}
	}
	return nil, nil, errorf("Domain '%s' has no vTPM.", d.Name)
}

func (a *app) cmdVTPMCreate(args []string) error {
	var inst string
	pos, err := parseOptions("vtpm-create", args, map[string]*string{"--instance": &inst})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{cmd: "vtpm-create", msg: "'shypectl vtpm-create' requires 1 argument."}
	}
	params := []cim.ParamValue{}
	if inst != "" {
		n, err := strconv.ParseUint(inst, 10, 32)
		if err != nil || n < 1 || n > 65535 {
			return &usageError{cmd: "vtpm-create", msg: fmt.Sprintf("Invalid instance number '%s' (1 to 65535).", inst)}
		}
		params = append(params, uint32Param("PreferredInstanceNumber", uint32(n)))
	}
	d, err := a.findDomain(pos[0])
	if err != nil {
		return err
	}
	params = append([]cim.ParamValue{refParam("System", d.Path)}, params...)
	out, err := a.vtpmCall("CreateVTPM", params...)
	if err != nil {
		return err
	}
	n, err := a.createdNumber(out.path("VTPM"))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Created vTPM %d for %s\n", n, d.Name)
	return nil
}

// createdNumber is the instance number of the vTPM at p: its InstanceNumber,
// else the number in its DeviceID (vtpm<n>).
func (a *app) createdNumber(p *cim.ObjectPath) (uint64, error) {
	if p == nil {
		return 0, errorf("The server did not name the vTPM it created.")
	}
	if p.Namespace == "" {
		p.Namespace = ns
	}
	c, err := a.client()
	if err != nil {
		return 0, err
	}
	if in, err := c.GetInstance(a.ctx, p); err == nil {
		if n, ok := propUint(in, "InstanceNumber"); ok {
			return n, nil
		}
	}
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, "DeviceID") {
			if n, err := strconv.ParseUint(strings.TrimPrefix(fmt.Sprint(k.Value), "vtpm"), 10, 32); err == nil {
				return n, nil
			}
		}
	}
	return 0, errorf("The server named no instance number for the vTPM it created.")
}

func (a *app) cmdVTPMDestroy(args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: "vtpm-destroy", msg: "'shypectl vtpm-destroy' requires 1 argument."}
	}
	_, v, err := a.domainVTPM(args[0])
	if err != nil {
		return err
	}
	_, err = a.vtpmCall("DestroyVTPM", refParam("VTPM", v.Path))
	return err
}

func vtpmStateString(s uint64) string {
	switch s {
	case stateRunning:
		return "running"
	case stateHalted:
		return "stopped"
	case statePaused, stateSuspended:
		return "suspended"
	}
	return fmt.Sprintf("state %d", s)
}

func migrationString(v *vtpmInfo) string {
	switch v.Migration {
	case 2:
		return "resident"
	case 3:
		return "migrating"
	case 4:
		if v.MigratedTo == "" {
			return "migrated"
		}
		return "migrated to " + v.MigratedTo
	}
	return fmt.Sprintf("state %d", v.Migration)
}

func (a *app) cmdVTPMList(args []string) error {
	if len(args) != 0 {
		return &usageError{cmd: "vtpm-list", msg: "'shypectl vtpm-list' takes no arguments."}
	}
	vs, err := a.vtpms()
	if err != nil {
		return err
	}
	doms, err := a.domains()
	if err != nil {
		return err
	}
	names := make(map[string]string, len(doms))
	for _, d := range doms {
		names[strings.ToLower(d.UUID)] = d.Name
	}
	name := func(v *vtpmInfo) string {
		if n, ok := names[strings.ToLower(v.Domain)]; ok {
			return n
		}
		return v.Domain
	}
	sort.SliceStable(vs, func(i, j int) bool {
		if ni, nj := name(vs[i]), name(vs[j]); ni != nj {
			return ni < nj
		}
		return vs[i].Number < vs[j].Number
	})
	writeVTPMList(a.stdout, vs, name)
	return nil
}

// writeVTPMList prints one line per vTPM in fixed-width columns as xm's lists
// do, for example:
//
//	Domain                           Instance UUID                                 State     Migration
//	web                                     1 1b4e28ba-2fa1-11d2-883f-0016d3cca427 running   resident
//	old                                     2 6fa459ea-ee8a-3ca4-894e-db77e160355e stopped   migrated to http://dst:5988
//
// State is the vTPM's EnabledState (running, stopped, suspended); Migration is
// its MigrationState: resident, migrating, or "migrated to <MigratedTo>" for
// a tombstone. Domain is the domain's name (its UUID if the server lists no
// such domain).
func writeVTPMList(w io.Writer, vs []*vtpmInfo, name func(*vtpmInfo) string) {
	fmt.Fprintf(w, "%-32s %8s %-36s %-9s %s\n", "Domain", "Instance", "UUID", "State", "Migration")
	for _, v := range vs {
		fmt.Fprintf(w, "%-32s %8d %-36s %-9s %s\n", name(v), v.Number, v.UUID, vtpmStateString(v.State), migrationString(v))
	}
}

// parsePCR reads a PCR index (0…23).
func parsePCR(cmd, s string) (uint32, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil || n >= numPCRs {
		return 0, &usageError{cmd: cmd, msg: fmt.Sprintf("Invalid PCR '%s' (0 to %d).", s, numPCRs-1)}
	}
	return uint32(n), nil
}

func allPCRs() []uint32 {
	pcrs := make([]uint32, numPCRs)
	for i := range pcrs {
		pcrs[i] = uint32(i)
	}
	return pcrs
}

func pcrsParam(name string, pcrs []uint32) cim.ParamValue {
	vals := make([]any, len(pcrs))
	for i, p := range pcrs {
		vals[i] = p
	}
	return cim.ParamValue{Name: name, Type: cim.TypeUint32, IsArray: true, Value: vals}
}

func stringsParam(name string, ss []string) cim.ParamValue {
	vals := make([]any, len(ss))
	for i, s := range ss {
		vals[i] = s
	}
	return cim.ParamValue{Name: name, Type: cim.TypeString, IsArray: true, Value: vals}
}

func writePCRs(w io.Writer, pcrs []uint32, values []string) {
	for i, p := range pcrs {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		fmt.Fprintf(w, "PCR%d: %s\n", p, strings.ToLower(v))
	}
}

func (a *app) cmdVTPMPCRs(args []string) error {
	bank := "sha256"
	pos, err := parseOptions("vtpm-pcrs", args, map[string]*string{"--bank": &bank})
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return &usageError{cmd: "vtpm-pcrs", msg: "'shypectl vtpm-pcrs' requires at least 1 argument."}
	}
	var pcrs []uint32
	for _, s := range pos[1:] {
		p, err := parsePCR("vtpm-pcrs", s)
		if err != nil {
			return err
		}
		pcrs = append(pcrs, p)
	}
	if len(pcrs) == 0 {
		pcrs = allPCRs()
	}
	_, v, err := a.domainVTPM(pos[0])
	if err != nil {
		return err
	}
	out, err := a.vtpmCall("ReadPCRs", refParam("VTPM", v.Path), strParam("Bank", bank), pcrsParam("PCRs", pcrs))
	if err != nil {
		return err
	}
	values := out.strings("Values")
	if len(values) != len(pcrs) {
		return errorf("The server returned %d PCR values for %d PCRs.", len(values), len(pcrs))
	}
	writePCRs(a.stdout, pcrs, values)
	return nil
}

// readExpect reads reference PCR values from a file of lines "PCR<n>: <hex>"
// (what vtpm-pcrs prints); blank lines and lines starting with # are skipped.
func readExpect(path string) (map[uint32]string, []uint32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, errorf("Could not read '%s': %v", path, errors.Unwrap(err))
	}
	ref := map[uint32]string{}
	var order []uint32
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, v, ok := strings.Cut(text, ":")
		k, v = strings.TrimSpace(k), strings.ToLower(strings.TrimSpace(v))
		n, err := strconv.ParseUint(strings.TrimPrefix(k, "PCR"), 10, 32)
		if !ok || !strings.HasPrefix(k, "PCR") || err != nil || n >= numPCRs {
			return nil, nil, errorf("%s:%d: expected 'PCR<n>: <hex>'", path, line)
		}
		if _, err := hex.DecodeString(v); err != nil || v == "" {
			return nil, nil, errorf("%s:%d: PCR value is not hex", path, line)
		}
		if _, dup := ref[uint32(n)]; dup {
			return nil, nil, errorf("%s:%d: PCR%d given twice", path, line, n)
		}
		ref[uint32(n)] = v
		order = append(order, uint32(n))
	}
	return ref, order, nil
}

// nonceArg decodes --nonce, or makes a random nonce when none is given.
func nonceArg(cmd, s string) ([]byte, error) {
	if s == "" {
		n := make([]byte, defaultNonceSize)
		if _, err := rand.Read(n); err != nil {
			return nil, fmt.Errorf("making a nonce: %w", err)
		}
		return n, nil
	}
	n, err := hex.DecodeString(s)
	if err != nil || len(n) == 0 {
		return nil, &usageError{cmd: cmd, msg: fmt.Sprintf("Invalid nonce '%s': expected hex.", s)}
	}
	return n, nil
}

// writePEM prints a PEM block indented under its heading.
func writePEM(w io.Writer, heading, pemText string) {
	fmt.Fprintf(w, "%s:\n", heading)
	for _, l := range strings.Split(strings.TrimRight(pemText, "\n"), "\n") {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// cmdVTPMQuote asks the server for a quote (GetQuote) and has it verify the
// evidence (VerifyQuote) against the nonce sent and the --expect references.
func (a *app) cmdVTPMQuote(args []string) error {
	const cmd = "vtpm-quote"
	var nonceHex, pcrList, expect string
	pos, err := parseOptions(cmd, args, map[string]*string{"--nonce": &nonceHex, "--pcrs": &pcrList, "--expect": &expect})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{cmd: cmd, msg: "'shypectl vtpm-quote' requires 1 argument."}
	}
	nonce, err := nonceArg(cmd, nonceHex)
	if err != nil {
		return err
	}
	var pcrs []uint32
	if pcrList != "" {
		for _, s := range strings.Split(pcrList, ",") {
			p, err := parsePCR(cmd, s)
			if err != nil {
				return err
			}
			pcrs = append(pcrs, p)
		}
	}
	var refs map[uint32]string
	if expect != "" {
		if !filepath.IsAbs(expect) {
			expect = filepath.Join(a.wd, expect)
		}
		var order []uint32
		if refs, order, err = readExpect(expect); err != nil {
			return err
		}
		if pcrs == nil {
			// Without --pcrs the references say what to quote.
			pcrs = order
		}
		for _, p := range pcrs {
			if _, ok := refs[p]; !ok {
				return errorf("No reference value for PCR%d in '%s'.", p, expect)
			}
		}
	}
	if len(pcrs) == 0 {
		pcrs = allPCRs()
	}
	_, v, err := a.domainVTPM(pos[0])
	if err != nil {
		return err
	}
	nonce64 := base64.StdEncoding.EncodeToString(nonce)
	q, err := a.vtpmCall("GetQuote", refParam("VTPM", v.Path), strParam("Nonce", nonce64),
		strParam("Bank", "sha256"), pcrsParam("PCRs", pcrs))
	if err != nil {
		return err
	}
	values := q.strings("PCRValues")
	verify := []cim.ParamValue{
		strParam("Quoted", q.str("Quoted")),
		strParam("Signature", q.str("Signature")),
		strParam("AKPublic", q.str("AKPublic")),
		strParam("Nonce", nonce64),
		pcrsParam("PCRs", pcrs),
		stringsParam("PCRValues", values),
	}
	if refs != nil {
		ref := make([]string, len(pcrs))
		for i, p := range pcrs {
			ref[i] = refs[p]
		}
		verify = append(verify, stringsParam("ReferencePCRValues", ref))
	}
	r, err := a.vtpmCall("VerifyQuote", verify...)
	if err != nil {
		return err
	}
	w := a.stdout
	fmt.Fprintf(w, "Nonce: %x\n", nonce)
	fmt.Fprintf(w, "Bank: sha256\n")
	fmt.Fprintf(w, "Quote: %s\n", q.str("Quoted"))
	fmt.Fprintf(w, "Signature: %s\n", q.str("Signature"))
	writePEM(w, "AK public key", q.str("AKPublic"))
	writePCRs(w, pcrs, values)
	if d := r.str("Details"); d != "" {
		fmt.Fprintf(w, "Details: %s\n", d)
	}
	verdict := r.uint("Result")
	fmt.Fprintf(w, "Result: %s\n", verdictString(verdict))
	if verdict != verdictTrusted {
		return exitStatus(exitError)
	}
	return nil
}

func (a *app) cmdVTPMMigrate(args []string) error {
	const cmd = "vtpm-migrate"
	user, password := a.user, a.password
	pos, err := parseOptions(cmd, args, map[string]*string{"--user": &user, "--password": &password})
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return &usageError{cmd: cmd, msg: "'shypectl vtpm-migrate' requires 2 arguments."}
	}
	d, v, err := a.domainVTPM(pos[0])
	if err != nil {
		return err
	}
	dest := pos[1]
	if _, err := a.vtpmCall("MigrateVTPM", refParam("VTPM", v.Path), strParam("Destination", dest),
		strParam("UserName", user), strParam("Password", password)); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Migrated vTPM of %s to %s\n", d.Name, dest)
	return nil
}

// policyEvidence is what AttestPolicy returns.
type policyEvidence struct {
	nonce      []byte
	quote      string // base64 TPMS_ATTEST
	signature  string // base64 TPMT_SIGNATURE
	akPublic   string // PEM
	policyHash string // hex
	pcrValue   string // hex, as the server reports it
	eventLog   []string
}

// cmdAttest fetches the policy attestation of the host TPM and verifies it
// here, not on the server it attests: a verifier must not trust the prover
// to check its own evidence. See verifyPolicy for what is checked.
func (a *app) cmdAttest(args []string) error {
	const cmd = "attest"
	var nonceHex string
	pos, err := parseOptions(cmd, args, map[string]*string{"--nonce": &nonceHex})
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return &usageError{cmd: cmd, msg: "'shypectl attest' takes no arguments."}
	}
	nonce, err := nonceArg(cmd, nonceHex)
	if err != nil {
		return err
	}
	code, out, err := a.secCall("AttestPolicy", strParam("Nonce", base64.StdEncoding.EncodeToString(nonce)))
	if err != nil {
		return err
	}
	if code != 0 {
		return errorf("%s", xsMessage(code, out))
	}
	ev := &policyEvidence{
		nonce:      nonce,
		quote:      out.str("Quote"),
		signature:  out.str("Signature"),
		akPublic:   out.str("AKPublic"),
		policyHash: strings.ToLower(out.str("PolicyHash")),
		pcrValue:   strings.ToLower(out.str("PCRValue")),
		eventLog:   out.strings("EventLog"),
	}
	replayed, replayErr := replayPCR(ev.eventLog)
	w := a.stdout
	fmt.Fprintf(w, "Nonce: %x\n", nonce)
	fmt.Fprintf(w, "Quote: %s\n", ev.quote)
	fmt.Fprintf(w, "Signature: %s\n", ev.signature)
	writePEM(w, "AK public key", ev.akPublic)
	fmt.Fprintf(w, "Policy hash: %s\n", ev.policyHash)
	fmt.Fprintf(w, "Event log:\n")
	for i, e := range ev.eventLog {
		fmt.Fprintf(w, "  %d: %s\n", i+1, strings.ToLower(e))
	}
	fmt.Fprintf(w, "PCR%d (reported): %s\n", policyPCR, ev.pcrValue)
	if replayErr == nil {
		fmt.Fprintf(w, "PCR%d (replayed): %x\n", policyPCR, replayed)
	}
	verdict, details := verifyPolicy(ev, replayed, replayErr)
	fmt.Fprintf(w, "Details: %s\n", details)
	fmt.Fprintf(w, "Result: %s\n", verdictString(verdict))
	if verdict != verdictTrusted {
		return exitStatus(exitError)
	}
	return nil
}

// replayPCR computes a SHA-256 PCR extended from zero with each event (hex
// digests) in order.
func replayPCR(events []string) ([]byte, error) {
	pcr := make([]byte, sha256.Size)
	for i, e := range events {
		d, err := hex.DecodeString(strings.TrimSpace(e))
		if err != nil || len(d) != sha256.Size {
			return nil, fmt.Errorf("event %d is not a SHA-256 digest", i+1)
		}
		h := sha256.New()
		h.Write(pcr)
		h.Write(d)
		pcr = h.Sum(nil)
	}
	return pcr, nil
}

// verifyPolicy checks AttestPolicy's evidence with go-tpm's structures:
//   - invalid: the signature does not verify with AKPublic over SHA-256 of the
//     quote, the quote is not a TPM quote, does not carry the nonce, does not
//     select exactly PCR 10 of the sha256 bank, or its PCR digest is not
//     SHA-256 of the PCR 10 replayed from the event log;
//   - untrusted: all of that holds but PolicyHash is not the last event, so
//     the policy claimed in force is not the one last measured;
//   - trusted otherwise.
func verifyPolicy(ev *policyEvidence, replayed []byte, replayErr error) (uint64, string) {
	invalid := func(format string, args ...any) (uint64, string) {
		return verdictInvalid, fmt.Sprintf(format, args...)
	}
	quote, err := base64.StdEncoding.DecodeString(ev.quote)
	if err != nil {
		return invalid("the quote is not base64")
	}
	sig, err := base64.StdEncoding.DecodeString(ev.signature)
	if err != nil {
		return invalid("the signature is not base64")
	}
	key, err := parseECPublicKey(ev.akPublic)
	if err != nil {
		return invalid("AK public key: %v", err)
	}
	digest := sha256.Sum256(quote)
	if !verifyTPMSignature(key, digest[:], sig) {
		return invalid("the signature does not verify with the AK public key")
	}
	att, err := tpm2.Unmarshal[tpm2.TPMSAttest](quote)
	if err != nil {
		return invalid("the quote is not a TPMS_ATTEST: %v", err)
	}
	if att.Magic != tpm2.TPMGeneratedValue || att.Type != tpm2.TPMSTAttestQuote {
		return invalid("the quote is not a TPM-generated quote")
	}
	if !bytes.Equal(att.ExtraData.Buffer, ev.nonce) {
		return invalid("the quote does not carry the nonce")
	}
	info, err := att.Attested.Quote()
	if err != nil {
		return invalid("the quote has no quote information: %v", err)
	}
	sels := info.PCRSelect.PCRSelections
	if len(sels) != 1 || sels[0].Hash != tpm2.TPMAlgSHA256 || !selectsOnly(sels[0].PCRSelect, policyPCR) {
		return invalid("the quote does not select exactly PCR %d of the sha256 bank", policyPCR)
	}
	if replayErr != nil {
		return invalid("event log: %v", replayErr)
	}
	want := sha256.Sum256(replayed)
	if !bytes.Equal(info.PCRDigest.Buffer, want[:]) {
		return invalid("the quoted PCR %d does not match the event log", policyPCR)
	}
	if len(ev.eventLog) == 0 || !strings.EqualFold(strings.TrimSpace(ev.eventLog[len(ev.eventLog)-1]), ev.policyHash) {
		return verdictUntrusted, "signature, nonce and PCR digest verify, but the policy hash is not the last event"
	}
	return verdictTrusted, "signature, nonce and PCR digest verify; the policy hash is the last event"
}

// selectsOnly reports whether a PCR selection bitmap selects pcr and nothing else.
func selectsOnly(bitmap []byte, pcr int) bool {
	for i, b := range bitmap {
		want := byte(0)
		if i == pcr/8 {
			want = 1 << (pcr % 8)
		}
		if b != want {
			return false
		}
	}
	return len(bitmap) > pcr/8
}

// parseECPublicKey reads a PEM public key (SubjectPublicKeyInfo) that must
// be ECDSA, as the AK of vtpm.md §6.6 is.
func parseECPublicKey(text string) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("not PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an ECDSA key", pub)
	}
	return key, nil
}

// verifyTPMSignature verifies sig over digest: sig is a TPMT_SIGNATURE
// (ECDSA), or, as vtpm.md §6.7 allows, an ASN.1 DER ECDSA signature.
func verifyTPMSignature(key *ecdsa.PublicKey, digest, sig []byte) bool {
	if ts, err := tpm2.Unmarshal[tpm2.TPMTSignature](sig); err == nil && ts.SigAlg == tpm2.TPMAlgECDSA {
		if e, err := ts.Signature.ECDSA(); err == nil {
			r := new(big.Int).SetBytes(e.SignatureR.Buffer)
			s := new(big.Int).SetBytes(e.SignatureS.Buffer)
			return ecdsa.Verify(key, digest, r, s)
		}
	}
	var der struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &der); err == nil && len(rest) == 0 {
		return ecdsa.VerifyASN1(key, digest, sig)
	}
	return false
}
