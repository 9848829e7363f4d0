package secpolicy

import (
	"context"
	"iter"
	"strings"
	"sync"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// Namespace is the only namespace the provider serves.
const Namespace = "root/cimv2"

// The classes the provider serves, spelled as xen.mof declares them.
const (
	ClassACMPolicy            = "Xen_ACMPolicy"
	ClassSecurityLabel        = "Xen_SecurityLabel"
	ClassConflictSet          = "Xen_ConflictSet"
	ClassLabeledResource      = "Xen_LabeledResource"
	ClassSecurityService      = "Xen_SecurityService"
	ClassPolicyLabel          = "Xen_PolicyLabel"
	ClassPolicyConflictSet    = "Xen_PolicyConflictSet"
	ClassElementSecurityLabel = "Xen_ElementSecurityLabel"

	// ClassComputerSystem and ClassHostSystem are served by providers/system; the
	// provider only builds paths of them.
	ClassComputerSystem = "Xen_ComputerSystem"
	ClassHostSystem     = "Xen_HostSystem"

	// ServiceName is the Name key of the Xen_SecurityService instance.
	ServiceName = "Xen Security Service"
)

// Toolstack is what the provider needs of the management layer: exactly the methods
// of *toolstack.Toolstack it calls, so that tests pass a fake.
type Toolstack interface {
	Policy() acm.PolicyInfo
	Enforced() *acm.Compiled
	EnforcedBinary() []byte
	Domains(ctx context.Context) ([]toolstack.Domain, error)
	Domain(ctx context.Context, ref string) (toolstack.Domain, error)
	Resources() []toolstack.LabeledResource
	ResourceLabel(res string) (l acm.ResourceLabel, ok bool, err error)
	NormalizeResource(res string) (string, error)
	SetResourceLabel(ctx context.Context, res, label, old string) error
	SetDomainLabel(ctx context.Context, ref, label, old string) (uint32, error)
	SetPolicy(ctx context.Context, xml []byte, flags uint32, overwrite bool) (*acm.Result, error)
	ResetPolicy(ctx context.Context) (*acm.Result, error)
	ActivatePolicy(ctx context.Context, flags uint32) (uint32, error)
	RemoveBootPolicy(ctx context.Context) error
	CanRun(label string) acm.XSErr
	Decide(ctx context.Context, op hypervisor.DecisionOp, label1, label2 string) (bool, error)
	DryRunDomain(ctx context.Context, ref string) (toolstack.DryRun, error)
	DryRunConfig(ctx context.Context, cfg toolstack.Config) (toolstack.DryRun, error)
	DumpPolicy(ctx context.Context) (string, error)
}

var _ Toolstack = (*toolstack.Toolstack)(nil)

// Options configures a Provider.
type Options struct {
	// Toolstack is the management layer (a *toolstack.Toolstack).
	Toolstack Toolstack
	// HostName is the SystemName of the Xen_SecurityService: the Name of the
	// Xen_HostSystem.
	HostName string
	// Lookup returns the definition of class in namespace ns (resolved, with its
	// inherited properties), or nil. Instances hold every property of their class,
	// with the class's default where the provider knows no value; without a
	// definition they hold only the properties the provider sets.
	Lookup func(ns, class string) *cim.Class
	// Attestor is the host's TPM for AttestPolicy; nil when the host has none (no
	// swtpm and no --host-tpm): AttestPolicy then returns general failure with a
	// message saying how to add one.
	Attestor Attestor
	// Indications receives Xen_PolicyChangeIndication (PolicyChanged) and
	// Xen_AccessDeniedIndication (Denied); nil raises none.
	Indications providers.IndicationSink
}

// Attestor quotes the host's policy measurements (cim-model.md §2, policy
// attestation): cmd/shyped adapts the vTPM manager's host TPM to it.
type Attestor interface {
	AttestPolicy(ctx context.Context, nonce []byte) (PolicyEvidence, error)
}

// PolicyEvidence is what AttestPolicy returns: a quote over PCR 10 of the sha256
// bank, the attestation key, the hash of the policy in force and the event log
// that replays PCR 10.
type PolicyEvidence struct {
	Quote, Signature []byte
	AKPublicPEM      []byte
	PolicyHash       string // hex
	PCRValue         []byte
	EventLog         []string // hex, in extension order
}

// Provider serves the access control classes. Build it with New; it is safe for
// concurrent use.
type Provider struct {
	ts       Toolstack
	host     string
	lookup   func(ns, class string) *cim.Class
	attestor Attestor
	sink     providers.IndicationSink

	// views caches what is derived from a compiled policy (labels, paths), keyed
	// by the *acm.Compiled, which is immutable; managed caches the parsed managed
	// policy, keyed by its XML.
	mu      sync.Mutex
	view    *policyView
	managed *managedPolicy
	// lastPolicy is the Xen_ACMPolicy instance last reported, the
	// PreviousInstance of the next Xen_PolicyChangeIndication.
	lastPolicy *cim.Instance
}

var (
	_ providers.InstanceProvider    = (*Provider)(nil)
	_ providers.InstanceEnumerator  = (*Provider)(nil)
	_ providers.InstanceWriter      = (*Provider)(nil)
	_ providers.AssociationProvider = (*Provider)(nil)
	_ providers.MethodProvider      = (*Provider)(nil)
)

// New returns the provider of the access control classes described by opts.
func New(opts Options) *Provider {
	p := &Provider{ts: opts.Toolstack, host: opts.HostName, lookup: opts.Lookup, attestor: opts.Attestor, sink: opts.Indications}
	if p.sink != nil && p.ts != nil {
		p.lastPolicy = p.policyInstance()
	}
	return p
}

// Registrations returns the registration of the provider: its classes in
// root/cimv2.
func (p *Provider) Registrations() []providers.Registration {
	return []providers.Registration{{
		Namespaces: []string{Namespace},
		Classes: []string{
			ClassACMPolicy, ClassSecurityLabel, ClassConflictSet, ClassLabeledResource,
			ClassSecurityService, ClassPolicyLabel, ClassPolicyConflictSet, ClassElementSecurityLabel,
		},
		Provider: p,
	}}
}

// ServicePath returns the path of the Xen_SecurityService instance, with its
// namespace: the central instance of the "sHype Access Control" profile and the
// Dependent of its Xen_HostedService.
func (p *Provider) ServicePath() *cim.ObjectPath {
	return &cim.ObjectPath{
		Namespace: Namespace,
		ClassName: ClassSecurityService,
		Keys: []cim.KeyBinding{
			{Name: "CreationClassName", Value: ClassSecurityService},
			{Name: "Name", Value: ServiceName},
			{Name: "SystemCreationClassName", Value: ClassHostSystem},
			{Name: "SystemName", Value: p.host},
		},
	}
}

// EnumerateInstanceNames returns the paths of the instances of class.
func (p *Provider) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	es, err := p.entries(ctx, class, nil, "")
	if err != nil {
		return nil, err
	}
	paths := make([]*cim.ObjectPath, len(es))
	for i, e := range es {
		paths[i] = e.Path
	}
	return paths, nil
}

// EnumerateInstances returns the instances of class.
func (p *Provider) EnumerateInstances(ctx context.Context, ns, class string) iter.Seq2[*cim.Instance, error] {
	return func(yield func(*cim.Instance, error) bool) {
		if err := checkNamespace(ns); err != nil {
			yield(nil, err)
			return
		}
		es, err := p.entries(ctx, class, nil, "")
		if err != nil {
			yield(nil, err)
			return
		}
		b := providers.NewBuilder(p.class(class))
		for _, e := range es {
			if !yield(b.Instance(e), nil) {
				return
			}
		}
	}
}

// GetInstance returns the instance at path. Only the instances the path can name
// are built: one label, one resource, the associations of one element.
func (p *Provider) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	if path == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no instance path")
	}
	want := localPath(path)
	es, err := p.candidates(ctx, want)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if e.Path.Equal(want) {
			return providers.NewBuilder(p.class(want.ClassName)).Instance(e), nil
		}
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
}

// ReferencesTo returns the instances of the association assocClass whose reference
// role ("": any) points to target (providers.AssociationProvider). It builds only
// the instances that touch target: from a domain its one label, from a label the
// domains and resources that carry it.
func (p *Provider) ReferencesTo(ctx context.Context, ns, assocClass string, target *cim.ObjectPath, role string) iter.Seq2[*cim.Instance, error] {
	return func(yield func(*cim.Instance, error) bool) {
		if err := checkNamespace(ns); err != nil {
			yield(nil, err)
			return
		}
		if target == nil {
			return
		}
		t := absolute(target)
		es, err := p.entries(ctx, assocClass, t, role)
		if err != nil {
			yield(nil, err)
			return
		}
		b := providers.NewBuilder(p.class(assocClass))
		for _, e := range es {
			if e.RefersTo(t, role) && !yield(b.Instance(e), nil) {
				return
			}
		}
	}
}

// CreateInstance labels a resource: an instance of Xen_LabeledResource with
// ResourceName and SecurityLabel, with the checks of SetResourceLabel. It returns
// the path of the new instance, whose ResourceName is normalised. Instances of the
// other classes cannot be created.
func (p *Provider) CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no instance")
	}
	if !strings.EqualFold(inst.ClassName, ClassLabeledResource) {
		return nil, cim.Errorf(cim.StatusNotSupported, "instances of %s cannot be created", inst.ClassName)
	}
	name, _ := propString(inst, "ResourceName")
	label, _ := propString(inst, "SecurityLabel")
	if name == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "%s.ResourceName must name the resource to label", ClassLabeledResource)
	}
	if label == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "%s.SecurityLabel must give the label", ClassLabeledResource)
	}
	norm, err := p.ts.NormalizeResource(name)
	if err != nil {
		return nil, toCIMError(err)
	}
	_, labeled, err := p.ts.ResourceLabel(norm)
	if err != nil {
		return nil, toCIMError(err)
	}
	if labeled {
		return nil, cim.Errorf(cim.StatusAlreadyExists, "resource %s is already labeled", norm)
	}
	if err := p.ts.SetResourceLabel(ctx, norm, label, ""); err != nil {
		return nil, toCIMError(err)
	}
	return resourcePath(norm), nil
}

// ModifyInstance is not supported: labels change through CreateInstance,
// DeleteInstance and the methods of Xen_SecurityService, which carry the old label.
func (p *Provider) ModifyInstance(ctx context.Context, ns string, path *cim.ObjectPath, inst *cim.Instance, props []string) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	class := ""
	if path != nil {
		class = path.ClassName
	}
	return cim.Errorf(cim.StatusNotSupported, "instances of %s cannot be modified; use Xen_SecurityService.SetResourceLabel", class)
}

// DeleteInstance removes the label of the resource an instance of
// Xen_LabeledResource stands for, with the checks of SetResourceLabel (the old
// label is the current one). Instances of the other classes cannot be deleted.
func (p *Provider) DeleteInstance(ctx context.Context, ns string, path *cim.ObjectPath) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if path == nil {
		return cim.Errorf(cim.StatusInvalidParameter, "no instance path")
	}
	if !strings.EqualFold(path.ClassName, ClassLabeledResource) {
		return cim.Errorf(cim.StatusNotSupported, "instances of %s cannot be deleted", path.ClassName)
	}
	name, _ := keyString(path, "ResourceName")
	l, ok, err := p.labeledResource(name)
	if err != nil {
		return err
	}
	if !ok {
		return cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	return toCIMError(p.ts.SetResourceLabel(ctx, name, "", l.String()))
}

// labeledResource returns the label of the resource named exactly name (the
// normalised form a path carries); ok is false when no instance has that name.
func (p *Provider) labeledResource(name string) (acm.ResourceLabel, bool, error) {
	if name == "" {
		return acm.ResourceLabel{}, false, nil
	}
	norm, err := p.ts.NormalizeResource(name)
	if err != nil || norm != name {
		// Not a name an instance can have: there is no such instance.
		return acm.ResourceLabel{}, false, nil
	}
	l, ok, err := p.ts.ResourceLabel(name)
	if err != nil {
		return acm.ResourceLabel{}, false, toCIMError(err)
	}
	return l, ok, nil
}

// checkNamespace refuses namespaces other than root/cimv2; the dispatcher sends
// only that one, as registered.
func checkNamespace(ns string) error {
	if !strings.EqualFold(strings.Trim(ns, "/"), Namespace) {
		return cim.Errorf(cim.StatusInvalidNamespace, "the security policy provider serves namespace %s, not %s", Namespace, ns)
	}
	return nil
}

// class returns the definition of class, or nil.
func (p *Provider) class(class string) *cim.Class {
	if p.lookup == nil {
		return nil
	}
	return p.lookup(Namespace, class)
}

// localPath returns a copy of path in the provider's namespace whose reference
// keys are absolute (in that namespace when they name none) and without a host,
// so that it compares with the paths the provider builds.
func localPath(path *cim.ObjectPath) *cim.ObjectPath {
	q := *path
	q.Host = ""
	q.Namespace = Namespace
	q.Keys = make([]cim.KeyBinding, len(path.Keys))
	for i, k := range path.Keys {
		if ref, ok := k.Value.(*cim.ObjectPath); ok && ref != nil {
			k.Value = absolute(ref)
		}
		q.Keys[i] = k
	}
	return &q
}

// absolute returns ref, or a copy of it in the provider's namespace and without
// a host when it names no namespace or a host.
func absolute(ref *cim.ObjectPath) *cim.ObjectPath {
	if ref.Namespace != "" && ref.Host == "" {
		return ref
	}
	q := *ref
	q.Host = ""
	if q.Namespace == "" {
		q.Namespace = Namespace
	}
	return &q
}
