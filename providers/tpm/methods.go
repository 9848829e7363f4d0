package tpm

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
	"github.com/shypecim/shypecim/vtpm"
)

// Limits of the parameters (cim-model.md §3, vtpm.md §6.7).
const (
	minNonce   = 16
	maxNonce   = 64
	numPCRs    = 24 // PCRs 0…23 of a PC-client TPM
	defaultPCR = "sha256"
)

// digestSizes are the digest lengths of the PCR banks the provider knows; a bank
// not listed is passed to the manager, which refuses it when the TPM lacks it.
var digestSizes = map[string]int{"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64, "sm3_256": 32}

// method runs one service method: it returns the error whose result is the
// return code and message, and adds its OUT parameters to c.
type method func(p *Provider, c *call) error

var methods = map[string]method{
	"createvtpm":          (*Provider).createVTPM,
	"destroyvtpm":         (*Provider).destroyVTPM,
	"readpcrs":            (*Provider).readPCRs,
	"extendpcr":           (*Provider).extendPCR,
	"getquote":            (*Provider).getQuote,
	"verifyquote":         (*Provider).verifyQuote,
	"prepareincomingvtpm": (*Provider).prepareIncoming,
	"exportvtpm":          (*Provider).exportVTPM,
	"importvtpm":          (*Provider).importVTPM,
	"commitvtpmmigration": (*Provider).commitMigration,
	"abortvtpmmigration":  (*Provider).abortMigration,
	"migratevtpm":         (*Provider).migrateVTPM,
}

// InvokeMethod runs a method of Xen_VTPMManagementService
// (providers.MethodProvider). Every method returns uint32, the code of
// cim-model.md §3, and OUT Message ("" on success); the OUT parameters other than
// Message are set on success only. CIM errors are kept for protocol faults: a
// target that is not the service, an unknown method.
func (p *Provider) InvokeMethod(ctx context.Context, ns string, target *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, nil, err
	}
	if target == nil || !strings.EqualFold(target.ClassName, ClassService) {
		class := ""
		if target != nil {
			class = target.ClassName
		}
		return nil, nil, cim.Errorf(cim.StatusMethodNotAvailable, "class %s has no methods served by the vTPM provider", class)
	}
	if !target.IsClass() && !localPath(target).Equal(p.ServicePath()) {
		return nil, nil, cim.Errorf(cim.StatusNotFound, "no instance %s", target)
	}
	m := methods[strings.ToLower(method)]
	if m == nil {
		return nil, nil, cim.Errorf(cim.StatusMethodNotFound, "class %s has no method %s", ClassService, method)
	}
	c := &call{ctx: ctx, in: in}
	var err error
	if p.mgr == nil {
		err = errNoManager
	} else {
		err = m(p, c)
	}
	code, msg := result(err)
	if code != codeOK {
		c.out = nil
	}
	return code, append(c.out, cim.ParamValue{Name: "Message", Type: cim.TypeString, Value: msg}), nil
}

// call is one method invocation: its IN parameters and the OUT parameters it
// collects.
type call struct {
	ctx context.Context
	in  []cim.ParamValue
	out []cim.ParamValue
}

func (c *call) set(name string, t cim.Type, v any) {
	c.out = append(c.out, cim.ParamValue{Name: name, Type: t, Value: v})
}

func (c *call) setStrings(name string, vs []string) {
	a := make([]any, len(vs))
	for i, v := range vs {
		a[i] = v
	}
	c.out = append(c.out, cim.ParamValue{Name: name, Type: cim.TypeString, IsArray: true, Value: a})
}

// value returns the non-NULL value of parameter name.
func (c *call) value(name string) (any, bool) {
	pv := providers.Param(c.in, name)
	if pv == nil || pv.Value == nil {
		return nil, false
	}
	return pv.Value, true
}

// str returns string parameter name; required says whether it must be given
// (and not be empty).
func (c *call) str(name string, required bool) (string, error) {
	v, ok := c.value(name)
	if !ok {
		if required {
			return "", invalidf("parameter %s is required", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", invalidf("parameter %s must be a string", name)
	}
	if required && s == "" {
		return "", invalidf("parameter %s must not be empty", name)
	}
	return s, nil
}

// base64 returns the bytes of the base64 string parameter name, which must be
// given.
func (c *call) base64(name string) ([]byte, error) {
	s, err := c.str(name, true)
	if err != nil {
		return nil, err
	}
	b, err := decodeBase64(s)
	if err != nil {
		return nil, invalidf("parameter %s must be base64: %v", name, err)
	}
	return b, nil
}

// decodeBase64 accepts the standard alphabet, with or without padding, and
// ignores white space (a client may wrap long values).
func decodeBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// uint returns the unsigned integer parameter name; ok is false when it is NULL.
func (c *call) uint(name string) (n uint64, ok bool, err error) {
	v, ok := c.value(name)
	if !ok {
		return 0, false, nil
	}
	n, ok = toUint(v)
	if !ok {
		return 0, false, invalidf("parameter %s must be an unsigned integer", name)
	}
	return n, true, nil
}

// pcrs returns the PCR indexes of array parameter name, each 0…23; all of them
// in order when it is NULL or empty and all is true.
func (c *call) pcrs(name string, all bool) ([]int, error) {
	v, ok := c.value(name)
	var items []any
	if ok {
		switch a := v.(type) {
		case []any:
			items = a
		default:
			items = []any{a} // a single value where an array is declared
		}
	}
	if len(items) == 0 {
		if !all {
			return nil, invalidf("parameter %s must list at least one PCR", name)
		}
		pcrs := make([]int, numPCRs)
		for i := range pcrs {
			pcrs[i] = i
		}
		return pcrs, nil
	}
	pcrs := make([]int, len(items))
	for i, it := range items {
		n, ok := toUint(it)
		if !ok || n >= numPCRs {
			return nil, invalidf("parameter %s[%d] must be a PCR index from 0 to %d", name, i, numPCRs-1)
		}
		pcrs[i] = int(n)
	}
	return pcrs, nil
}

// hexArray returns the bytes of each hex string of array parameter name.
func (c *call) hexArray(name string) ([][]byte, error) {
	v, ok := c.value(name)
	if !ok {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	out := make([][]byte, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, invalidf("parameter %s[%d] must be a hex string", name, i)
		}
		b, err := decodeHex(s)
		if err != nil {
			return nil, invalidf("parameter %s[%d] must be hex: %v", name, i, err)
		}
		out[i] = b
	}
	return out, nil
}

// decodeHex accepts upper or lower case, with an optional 0x prefix.
func decodeHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) > 1 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	return hex.DecodeString(s)
}

// bank returns the PCR bank parameter, sha256 when NULL or empty.
func (c *call) bank() (string, error) {
	b, err := c.str("Bank", false)
	if err != nil {
		return "", err
	}
	if b == "" {
		return defaultPCR, nil
	}
	return strings.ToLower(b), nil
}

// ref returns the reference parameter name, which must be given and name an
// instance of class.
func (c *call) ref(name, class string) (*cim.ObjectPath, error) {
	v, ok := c.value(name)
	if !ok {
		return nil, invalidf("parameter %s is required", name)
	}
	ref, ok := v.(*cim.ObjectPath)
	if !ok || ref == nil {
		return nil, invalidf("parameter %s must be a reference to %s", name, class)
	}
	if !strings.EqualFold(ref.ClassName, class) {
		return nil, invalidf("parameter %s must refer to %s, not %s", name, class, ref.ClassName)
	}
	return ref, nil
}

// vtpm returns the vTPM that parameter VTPM names.
func (p *Provider) vtpmParam(c *call) (vtpm.VTPM, error) {
	ref, err := c.ref("VTPM", ClassVTPM)
	if err != nil {
		return vtpm.VTPM{}, err
	}
	return p.vtpmAt(ref)
}

// domainParam returns the domain that parameter name (a Xen_ComputerSystem
// reference) names.
func (p *Provider) domainParam(c *call, name string) (toolstack.Domain, error) {
	ref, err := c.ref(name, ClassComputerSys)
	if err != nil {
		return toolstack.Domain{}, err
	}
	key := func(k string) string {
		v, _ := ref.Key(k)
		s, _ := v.(string)
		return s
	}
	if ccn := key("CreationClassName"); ccn != "" && !strings.EqualFold(ccn, ClassComputerSys) {
		return toolstack.Domain{}, notFoundf("no domain %s", ref)
	}
	uuid := key("Name")
	if uuid == "" {
		return toolstack.Domain{}, invalidf("parameter %s must name the domain by its Name key (UUID)", name)
	}
	return p.domain(c.ctx, uuid)
}

// domain returns the domain whose UUID is uuid.
func (p *Provider) domain(ctx context.Context, uuid string) (toolstack.Domain, error) {
	d, err := p.ts.Domain(ctx, uuid)
	if err != nil {
		if errors.Is(err, hypervisor.ErrNoDomain) {
			return d, notFoundf("no domain %s", uuid)
		}
		return d, err
	}
	return d, nil
}

// halted refuses a domain that is not halted (code 5); also lets suspended
// through when suspendedOK.
func halted(d toolstack.Domain, what string, suspendedOK bool) error {
	if d.State == hypervisor.Halted || (suspendedOK && d.State == hypervisor.Suspended) {
		return nil
	}
	want := "halted"
	if suspendedOK {
		want = "halted or suspended"
	}
	return statef("domain %s is %s; %s needs it %s", d.Name, strings.ToLower(d.State.String()), what, want)
}

func (p *Provider) createVTPM(c *call) error {
	d, err := p.domainParam(c, "System")
	if err != nil {
		return err
	}
	pref, _, err := c.uint("PreferredInstanceNumber")
	if err != nil {
		return err
	}
	if err := halted(d, "creating a vTPM", false); err != nil {
		return err
	}
	if pref > vtpm.MaxNumber {
		pref = 0 // the lowest free one, as for a number taken (xen.mof)
	}
	v, err := p.mgr.Create(c.ctx, d.UUID, int(pref))
	if err != nil {
		return err
	}
	c.set("VTPM", cim.TypeReference, VTPMPath(v.Domain, v.Number))
	return nil
}

func (p *Provider) destroyVTPM(c *call) error {
	v, err := p.vtpmParam(c)
	if err != nil {
		return err
	}
	// A tombstone has no state and no TPM to run: it goes whatever its domain does.
	if v.Migration != vtpm.MigratedAway {
		d, err := p.domain(c.ctx, v.Domain)
		switch {
		case errors.Is(err, errNotFound):
			// The domain is gone: its vTPM is an orphan, destroyable.
		case err != nil:
			return err
		default:
			if err := halted(d, "destroying its vTPM", false); err != nil {
				return err
			}
		}
	}
	return p.mgr.Destroy(c.ctx, v.UUID)
}

func (p *Provider) readPCRs(c *call) error {
	v, err := p.vtpmParam(c)
	if err != nil {
		return err
	}
	bank, err := c.bank()
	if err != nil {
		return err
	}
	pcrs, err := c.pcrs("PCRs", true)
	if err != nil {
		return err
	}
	vals, err := p.mgr.ReadPCRs(c.ctx, v.UUID, bank, pcrs)
	if err != nil {
		return err
	}
	c.setStrings("Values", hexAll(vals))
	return nil
}

func (p *Provider) extendPCR(c *call) error {
	v, err := p.vtpmParam(c)
	if err != nil {
		return err
	}
	bank, err := c.bank()
	if err != nil {
		return err
	}
	n, ok, err := c.uint("PCR")
	if err != nil {
		return err
	}
	if !ok || n >= numPCRs {
		return invalidf("parameter PCR must be a PCR index from 0 to %d", numPCRs-1)
	}
	s, err := c.str("Digest", true)
	if err != nil {
		return err
	}
	digest, err := decodeHex(s)
	if err != nil {
		return invalidf("parameter Digest must be hex: %v", err)
	}
	if size, known := digestSizes[bank]; known && len(digest) != size {
		return invalidf("parameter Digest has %d bytes; a %s digest has %d", len(digest), bank, size)
	}
	return p.mgr.ExtendPCR(c.ctx, v.UUID, bank, int(n), digest)
}

func (p *Provider) getQuote(c *call) error {
	v, err := p.vtpmParam(c)
	if err != nil {
		return err
	}
	nonce, err := c.base64("Nonce")
	if err != nil {
		return err
	}
	if len(nonce) < minNonce || len(nonce) > maxNonce {
		return invalidf("parameter Nonce has %d bytes; it must have %d to %d", len(nonce), minNonce, maxNonce)
	}
	bank, err := c.bank()
	if err != nil {
		return err
	}
	pcrs, err := c.pcrs("PCRs", true)
	if err != nil {
		return err
	}
	ev, err := p.mgr.Quote(c.ctx, v.UUID, nonce, bank, pcrs)
	if err != nil {
		return err
	}
	c.set("Quoted", cim.TypeString, base64.StdEncoding.EncodeToString(ev.Quoted))
	c.set("Signature", cim.TypeString, base64.StdEncoding.EncodeToString(ev.Signature))
	c.set("AKPublic", cim.TypeString, string(ev.AKPublicPEM))
	c.setStrings("PCRValues", hexAll(ev.PCRValues))
	c.set("EKCertificate", cim.TypeString, string(ev.EKCertPEM))
	return nil
}

func (p *Provider) verifyQuote(c *call) error {
	quoted, err := c.base64("Quoted")
	if err != nil {
		return err
	}
	sig, err := c.base64("Signature")
	if err != nil {
		return err
	}
	ak, err := c.str("AKPublic", true)
	if err != nil {
		return err
	}
	akPublic := []byte(ak)
	if !strings.Contains(ak, "-----BEGIN") {
		// Not PEM: the TPM2B_PUBLIC bytes, base64 like every binary value.
		if akPublic, err = decodeBase64(ak); err != nil {
			return invalidf("parameter AKPublic must be PEM (or base64 TPM2B_PUBLIC): %v", err)
		}
	}
	nonce, err := c.base64("Nonce")
	if err != nil {
		return err
	}
	pcrs, err := c.pcrs("PCRs", false)
	if err != nil {
		return err
	}
	values, err := c.hexArray("PCRValues")
	if err != nil {
		return err
	}
	if len(values) != len(pcrs) {
		return invalidf("parameter PCRValues has %d values for %d PCRs", len(values), len(pcrs))
	}
	refs, err := c.hexArray("ReferencePCRValues")
	if err != nil {
		return err
	}
	if len(refs) != 0 && len(refs) != len(pcrs) {
		return invalidf("parameter ReferencePCRValues has %d values for %d PCRs; give one per PCR or none", len(refs), len(pcrs))
	}
	if len(refs) == 0 {
		refs = nil // no policy: the quote alone decides
	}
	verdict, details := p.verify(quoted, sig, akPublic, nonce, pcrs, values, refs)
	c.set("Result", cim.TypeUint16, uint16(verdict))
	c.set("Details", cim.TypeString, details)
	return nil
}

func (p *Provider) prepareIncoming(c *call) error {
	d, err := p.domainParam(c, "System")
	if err != nil {
		return err
	}
	if err := halted(d, "an incoming vTPM", false); err != nil {
		return err
	}
	id, key, err := p.mgr.PrepareIncoming(c.ctx, d.UUID)
	if err != nil {
		return err
	}
	c.set("MigrationID", cim.TypeString, base64.StdEncoding.EncodeToString(id))
	c.set("DestinationKey", cim.TypeString, base64.StdEncoding.EncodeToString(key))
	return nil
}

// migratable returns the vTPM parameter VTPM names once it and its domain may
// leave: resident, and the domain halted or suspended.
func (p *Provider) migratable(c *call) (vtpm.VTPM, toolstack.Domain, error) {
	v, err := p.vtpmParam(c)
	if err != nil {
		return v, toolstack.Domain{}, err
	}
	if v.Migration == vtpm.MigratedAway {
		return v, toolstack.Domain{}, statef("vTPM %s has migrated away to %s", v.UUID, v.MigratedTo)
	}
	d, err := p.domain(c.ctx, v.Domain)
	if err != nil {
		return v, d, err
	}
	return v, d, halted(d, "migrating its vTPM", true)
}

func (p *Provider) exportVTPM(c *call) error {
	v, _, err := p.migratable(c)
	if err != nil {
		return err
	}
	id, err := c.base64("MigrationID")
	if err != nil {
		return err
	}
	key, err := c.base64("DestinationKey")
	if err != nil {
		return err
	}
	blob, err := p.mgr.Export(c.ctx, v.UUID, id, key)
	if err != nil {
		return err
	}
	c.set("Blob", cim.TypeString, base64.StdEncoding.EncodeToString(blob))
	return nil
}

func (p *Provider) importVTPM(c *call) error {
	d, err := p.domainParam(c, "System")
	if err != nil {
		return err
	}
	id, err := c.base64("MigrationID")
	if err != nil {
		return err
	}
	blob, err := c.base64("Blob")
	if err != nil {
		return err
	}
	if err := halted(d, "an incoming vTPM", false); err != nil {
		return err
	}
	v, err := p.mgr.Import(c.ctx, d.UUID, id, blob)
	if err != nil {
		return err
	}
	c.set("VTPM", cim.TypeReference, VTPMPath(v.Domain, v.Number))
	return nil
}

func (p *Provider) commitMigration(c *call) error {
	v, err := p.vtpmParam(c)
	if err != nil {
		return err
	}
	id, err := c.base64("MigrationID")
	if err != nil {
		return err
	}
	// The method names no destination: a migration driven by hand leaves
	// MigratedTo empty; MigrateVTPM passes its URL.
	return p.mgr.Commit(c.ctx, v.UUID, id, "")
}

func (p *Provider) abortMigration(c *call) error {
	v, err := p.vtpmParam(c)
	if err != nil {
		return err
	}
	id, err := c.base64("MigrationID")
	if err != nil {
		return err
	}
	return p.mgr.Abort(c.ctx, v.UUID, id)
}

func hexAll(vs [][]byte) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = hex.EncodeToString(v)
	}
	return out
}

// toUint converts an integer value of any CIM integer type, or its decimal text,
// to uint64.
func toUint(v any) (uint64, bool) {
	switch n := v.(type) {
	case uint8:
		return uint64(n), true
	case uint16:
		return uint64(n), true
	case uint32:
		return uint64(n), true
	case uint64:
		return n, true
	case int8:
		return uint64(n), n >= 0
	case int16:
		return uint64(n), n >= 0
	case int32:
		return uint64(n), n >= 0
	case int64:
		return uint64(n), n >= 0
	case int:
		return uint64(n), n >= 0
	case string:
		u, err := strconv.ParseUint(strings.TrimSpace(n), 10, 64)
		return u, err == nil
	}
	return 0, false
}
