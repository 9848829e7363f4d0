package secpolicy

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// Dry-run verdict lines, as xm dry-run ends its report.
const (
	dryRunPassed = "Dry Run: PASSED"
	dryRunFailed = "Dry Run: FAILED"
)

// InvokeMethod runs a method of Xen_SecurityService (providers.MethodProvider).
// Every method returns uint32: 0, or the XSERR code of a refusal, with Xen's
// message in OUT Message ("" on success); CIM errors are kept for protocol faults.
func (p *Provider) InvokeMethod(ctx context.Context, ns string, target *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, nil, err
	}
	if target == nil || !strings.EqualFold(target.ClassName, ClassSecurityService) {
		class := ""
		if target != nil {
			class = target.ClassName
		}
		return nil, nil, cim.Errorf(cim.StatusMethodNotAvailable, "class %s has no methods served by the security policy provider", class)
	}
	if !target.IsClass() && !localPath(target).Equal(p.ServicePath()) {
		return nil, nil, cim.Errorf(cim.StatusNotFound, "no instance %s", target)
	}
	m := methods[strings.ToLower(method)]
	if m == nil {
		return nil, nil, cim.Errorf(cim.StatusMethodNotFound, "class %s has no method %s", ClassSecurityService, method)
	}
	r := &call{ctx: ctx, in: in}
	code, err := m(p, r)
	if err != nil {
		return nil, nil, err
	}
	msg := r.msg
	if code != 0 && msg == "" {
		msg = acm.XSErr(code).Message()
	}
	return code, append(r.out, cim.ParamValue{Name: "Message", Type: cim.TypeString, Value: msg}), nil
}

// call is one method invocation: its IN parameters, and the OUT parameters and
// message it collects.
type call struct {
	ctx context.Context
	in  []cim.ParamValue
	out []cim.ParamValue
	msg string
}

func (r *call) set(name string, t cim.Type, v any) {
	r.out = append(r.out, cim.ParamValue{Name: name, Type: t, Value: v})
}

func (r *call) setArray(name string, t cim.Type, v []any) {
	r.out = append(r.out, cim.ParamValue{Name: name, Type: t, IsArray: true, Value: v})
}

// fail ends a method with the outcome of err: a refusal's code and message, or a
// CIM error.
func (r *call) fail(err error) (uint32, error) {
	code, msg, cerr := outcome(err)
	if cerr != nil {
		return 0, cerr
	}
	r.msg = msg
	return code, nil
}

// value returns the non-NULL value of parameter name.
func (r *call) value(name string) (any, bool) {
	pv := providers.Param(r.in, name)
	if pv == nil || pv.Value == nil {
		return nil, false
	}
	return pv.Value, true
}

func missing(name string) error {
	return cim.Errorf(cim.StatusInvalidParameter, "parameter %s is required", name)
}

func badType(name, want string) error {
	return cim.Errorf(cim.StatusInvalidParameter, "parameter %s must be %s", name, want)
}

// str returns string parameter name; required says whether it must be given.
func (r *call) str(name string, required bool) (string, error) {
	v, ok := r.value(name)
	if !ok {
		if required {
			return "", missing(name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badType(name, "a string")
	}
	return s, nil
}

// uint returns the unsigned integer parameter name, which must be given.
func (r *call) uint(name string) (uint64, error) {
	v, ok := r.value(name)
	if !ok {
		return 0, missing(name)
	}
	n, ok := toUint(v)
	if !ok {
		return 0, badType(name, "an unsigned integer")
	}
	return n, nil
}

func (r *call) boolean(name string) (bool, error) {
	v, ok := r.value(name)
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, badType(name, "a boolean")
	}
	return b, nil
}

// ref returns the reference parameter name, which must be given and name an
// instance of class.
func (r *call) ref(name, class string) (*cim.ObjectPath, error) {
	v, ok := r.value(name)
	if !ok {
		return nil, missing(name)
	}
	ref, ok := v.(*cim.ObjectPath)
	if !ok || ref == nil {
		return nil, badType(name, "a reference to "+class)
	}
	if !strings.EqualFold(ref.ClassName, class) {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "parameter %s must refer to %s, not %s", name, class, ref.ClassName)
	}
	return ref, nil
}

// domainRef returns the toolstack ref (the UUID) of the Xen_ComputerSystem that
// parameter name refers to.
func (r *call) domainRef(name string) (string, error) {
	ref, err := r.ref(name, ClassComputerSystem)
	if err != nil {
		return "", err
	}
	if ccn, ok := keyString(ref, "CreationClassName"); ok && !strings.EqualFold(ccn, ClassComputerSystem) {
		return "", cim.Errorf(cim.StatusNotFound, "no instance %s", ref)
	}
	uuid, _ := keyString(ref, "Name")
	if uuid == "" {
		return "", cim.Errorf(cim.StatusInvalidParameter, "parameter %s must name the domain by its Name key (UUID)", name)
	}
	return uuid, nil
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
		u, err := strconv.ParseUint(strings.TrimSpace(n), 0, 64)
		return u, err == nil
	}
	return 0, false
}

// methods maps the lower-case method names to their implementations. Each returns
// the method's return value, or a CIM error.
var methods = map[string]func(*Provider, *call) (uint32, error){
	"setpolicy":           (*Provider).setPolicy,
	"resetpolicy":         (*Provider).resetPolicy,
	"activatepolicy":      (*Provider).activatePolicy,
	"removebootpolicy":    (*Provider).removeBootPolicy,
	"getpolicy":           (*Provider).getPolicy,
	"canrun":              (*Provider).canRun,
	"getdecision":         (*Provider).getDecision,
	"setsecuritylabel":    (*Provider).setSecurityLabel,
	"getsecuritylabel":    (*Provider).getSecurityLabel,
	"setresourcelabel":    (*Provider).setResourceLabel,
	"getresourcelabel":    (*Provider).getResourceLabel,
	"getlabeledresources": (*Provider).getLabeledResources,
	"dryrun":              (*Provider).dryRun,
	"dumppolicy":          (*Provider).dumpPolicy,
	"getenforcedbinary":   (*Provider).getEnforcedBinary,
	"attestpolicy":        (*Provider).attestPolicy,
}

// policyResult sets the OUT parameters of SetPolicy and ResetPolicy from the
// toolstack's result: the code of the result (a refusal and a fault alike), the
// hypervisor's error tuples as (code, data) pairs, and xserr2string's message.
func (r *call) policyResult(res *acm.Result, err error) (uint32, error) {
	code := acm.XSErrSuccess
	errs := []any{}
	if res != nil {
		code = res.Code
		for _, t := range res.Errors {
			errs = append(errs, t.Code, t.Data)
		}
	}
	if err != nil && code == acm.XSErrSuccess {
		c, _, ok := refusal(err)
		if !ok {
			return 0, toCIMError(err)
		}
		code = c
	}
	r.setArray("Errors", cim.TypeUint32, errs)
	if code != acm.XSErrSuccess {
		r.msg = code.Message()
	}
	return uint32(code), nil
}

func (p *Provider) setPolicy(r *call) (uint32, error) {
	xml, err := r.str("Policy", true)
	if err != nil {
		return 0, err
	}
	flags, err := r.uint("Flags")
	if err != nil {
		return 0, err
	}
	if flags > math.MaxUint32 {
		return 0, badType("Flags", "a uint32")
	}
	overwrite, err := r.boolean("Overwrite")
	if err != nil {
		return 0, err
	}
	res, err := p.ts.SetPolicy(r.ctx, []byte(xml), uint32(flags), overwrite)
	code, cerr := r.policyResult(res, err)
	if cerr == nil && code == 0 {
		ref := p.ts.Policy().Ref
		if res != nil && res.Ref != "" {
			ref = res.Ref
		}
		r.set("PolicyRef", cim.TypeReference, policyPath(ref))
	}
	return code, cerr
}

func (p *Provider) resetPolicy(r *call) (uint32, error) {
	return r.policyResult(p.ts.ResetPolicy(r.ctx))
}

func (p *Provider) activatePolicy(r *call) (uint32, error) {
	ref, err := r.ref("Policy", ClassACMPolicy)
	if err != nil {
		return 0, err
	}
	flags, err := r.uint("Flags")
	if err != nil {
		return 0, err
	}
	if flags > math.MaxUint32 {
		return 0, badType("Flags", "a uint32")
	}
	cur := p.ts.Policy().Ref
	if cur == "" || !localPath(ref).Equal(policyPath(cur)) {
		return 0, cim.Errorf(cim.StatusNotFound, "no instance %s", ref)
	}
	active, err := p.ts.ActivatePolicy(r.ctx, uint32(flags))
	if err != nil {
		return r.fail(err)
	}
	r.set("ActiveFlags", cim.TypeUint32, active)
	return 0, nil
}

func (p *Provider) removeBootPolicy(r *call) (uint32, error) {
	return r.fail(p.ts.RemoveBootPolicy(r.ctx))
}

func (p *Provider) getPolicy(r *call) (uint32, error) {
	info := p.ts.Policy()
	if info.Ref != "" {
		r.set("PolicyRef", cim.TypeReference, policyPath(info.Ref))
	}
	r.set("Flags", cim.TypeUint32, info.Flags)
	r.set("Version", cim.TypeString, info.Version)
	return 0, nil
}

func (p *Provider) canRun(r *call) (uint32, error) {
	label, err := r.str("Label", true)
	if err != nil {
		return 0, err
	}
	return uint32(p.ts.CanRun(label)), nil
}

func (p *Provider) getDecision(r *call) (uint32, error) {
	hook, err := r.uint("Hook")
	if err != nil {
		return 0, err
	}
	op := hypervisor.DecisionOp(0)
	switch hook {
	case 1:
		op = hypervisor.DecideSharing
	case 2:
		op = hypervisor.DecideAuthorization
	case 3:
		op = hypervisor.DecideConflictSet
	default:
		return 0, cim.Errorf(cim.StatusInvalidParameter, "parameter Hook must be 1 (sharing), 2 (authorization) or 3 (conflict set), not %d", hook)
	}
	l1, err := r.str("Label1", true)
	if err != nil {
		return 0, err
	}
	l2, err := r.str("Label2", op != hypervisor.DecideConflictSet)
	if err != nil {
		return 0, err
	}
	ok, err := p.ts.Decide(r.ctx, op, l1, l2)
	if err != nil {
		return r.fail(err)
	}
	r.set("Permitted", cim.TypeBoolean, ok)
	return 0, nil
}

func (p *Provider) setSecurityLabel(r *call) (uint32, error) {
	uuid, err := r.domainRef("Element")
	if err != nil {
		return 0, err
	}
	label, err := r.str("Label", false)
	if err != nil {
		return 0, err
	}
	old, err := r.str("OldLabel", false)
	if err != nil {
		return 0, err
	}
	ssidref, err := p.ts.SetDomainLabel(r.ctx, uuid, label, old)
	if err != nil {
		return r.fail(err)
	}
	r.set("SSIDRef", cim.TypeUint32, ssidref)
	return 0, nil
}

func (p *Provider) getSecurityLabel(r *call) (uint32, error) {
	uuid, err := r.domainRef("Element")
	if err != nil {
		return 0, err
	}
	d, err := p.ts.Domain(r.ctx, uuid)
	if err != nil {
		return r.fail(err)
	}
	r.set("Label", cim.TypeString, d.EffectiveLabel)
	return 0, nil
}

func (p *Provider) setResourceLabel(r *call) (uint32, error) {
	res, err := r.str("Resource", true)
	if err != nil {
		return 0, err
	}
	label, err := r.str("Label", false)
	if err != nil {
		return 0, err
	}
	old, err := r.str("OldLabel", false)
	if err != nil {
		return 0, err
	}
	return r.fail(p.ts.SetResourceLabel(r.ctx, res, label, old))
}

func (p *Provider) getResourceLabel(r *call) (uint32, error) {
	res, err := r.str("Resource", true)
	if err != nil {
		return 0, err
	}
	l, ok, err := p.ts.ResourceLabel(res)
	if err != nil {
		return r.fail(err)
	}
	label := ""
	if ok {
		label = l.String()
	}
	r.set("Label", cim.TypeString, label)
	return 0, nil
}

func (p *Provider) getLabeledResources(r *call) (uint32, error) {
	rs := p.ts.Resources()
	names, labels := make([]any, len(rs)), make([]any, len(rs))
	for i, res := range rs {
		names[i], labels[i] = res.Resource, res.Label.String()
	}
	r.setArray("Resources", cim.TypeString, names)
	r.setArray("Labels", cim.TypeString, labels)
	return 0, nil
}

func (p *Provider) dryRun(r *call) (uint32, error) {
	var (
		rep toolstack.DryRun
		err error
	)
	if _, ok := r.value("System"); ok {
		uuid, derr := r.domainRef("System")
		if derr != nil {
			return 0, derr
		}
		rep, err = p.ts.DryRunDomain(r.ctx, uuid)
	} else {
		cfg, cerr := r.config()
		if cerr != nil {
			return 0, cerr
		}
		rep, err = p.ts.DryRunConfig(r.ctx, cfg)
	}
	if err != nil {
		return r.fail(err)
	}
	verdict := dryRunFailed
	if rep.Permitted {
		verdict = dryRunPassed
	}
	r.set("Permitted", cim.TypeBoolean, rep.Permitted)
	r.set("Report", cim.TypeString, strings.Join(append(append([]string(nil), rep.Lines...), verdict), "\n"))
	return 0, nil
}

func (p *Provider) dumpPolicy(r *call) (uint32, error) {
	text, err := p.ts.DumpPolicy(r.ctx)
	if err != nil {
		return r.fail(err)
	}
	r.set("Text", cim.TypeString, text)
	return 0, nil
}

func (p *Provider) getEnforcedBinary(r *call) (uint32, error) {
	r.set("Binary", cim.TypeString, base64.StdEncoding.EncodeToString(p.ts.EnforcedBinary()))
	return 0, nil
}

// attestPolicy quotes the host's measurements of the policies it enforced. A nonce
// outside 16–64 bytes is a parameter fault; a host without a TPM returns general
// failure with a message saying how to add one.
func (p *Provider) attestPolicy(r *call) (uint32, error) {
	s, err := r.str("Nonce", true)
	if err != nil {
		return 0, err
	}
	nonce, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(nonce) < 16 || len(nonce) > 64 {
		return 0, cim.Errorf(cim.StatusInvalidParameter, "parameter Nonce: want 16 to 64 bytes in base64")
	}
	if p.attestor == nil {
		r.msg = "The host has no TPM: install swtpm (apt-get install -y swtpm swtpm-tools) or start shyped with --host-tpm DEVICE."
		return uint32(acm.XSErrGeneralFailure), nil
	}
	ev, err := p.attestor.AttestPolicy(r.ctx, nonce)
	if err != nil {
		r.msg = "The host TPM could not quote its measurements: " + err.Error()
		return uint32(acm.XSErrGeneralFailure), nil
	}
	b64 := base64.StdEncoding.EncodeToString
	r.set("Quote", cim.TypeString, b64(ev.Quote))
	r.set("Signature", cim.TypeString, b64(ev.Signature))
	r.set("AKPublic", cim.TypeString, string(ev.AKPublicPEM))
	r.set("PolicyHash", cim.TypeString, ev.PolicyHash)
	r.set("PCRValue", cim.TypeString, hex.EncodeToString(ev.PCRValue))
	log := make([]any, len(ev.EventLog))
	for i, e := range ev.EventLog {
		log[i] = e
	}
	r.setArray("EventLog", cim.TypeString, log)
	return 0, nil
}
