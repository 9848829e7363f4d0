package system

import (
	"context"
	"iter"
	"strings"
	"sync"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// Namespace is the namespace the provider serves.
const Namespace = "root/cimv2"

// The classes the provider serves, spelled as mof/schema/xen.mof declares them.
const (
	ClassHostSystem       = "Xen_HostSystem"
	ClassComputerSystem   = "Xen_ComputerSystem"
	ClassVSSD             = "Xen_VirtualSystemSettingData"
	ClassDisk             = "Xen_DiskSettingData"
	ClassNetworkPort      = "Xen_NetworkPortSettingData"
	ClassVSMS             = "Xen_VirtualSystemManagementService"
	ClassHostedSystem     = "Xen_HostedComputerSystem"
	ClassSystemSettings   = "Xen_SystemSettingData"
	ClassSettingComponent = "Xen_VirtualSystemSettingDataComponent"
	ClassHostedService    = "Xen_HostedService"
)

// ServiceName is the Name key of the one Xen_VirtualSystemManagementService.
const ServiceName = "Xen Virtual System Management Service"

// Toolstack is what the provider needs of the toolstack; *toolstack.Toolstack
// satisfies it. Domains are named by ref (the provider always passes the UUID).
// The methods may be called from many goroutines at once.
type Toolstack interface {
	Domains(ctx context.Context) ([]toolstack.Domain, error)
	Domain(ctx context.Context, ref string) (toolstack.Domain, error)
	Define(ctx context.Context, cfg toolstack.Config) (toolstack.Domain, error)
	Delete(ctx context.Context, ref string) error
	Modify(ctx context.Context, ref string, s toolstack.Settings) (toolstack.Domain, error)
	RequestState(ctx context.Context, ref string, to toolstack.Transition) error
	AttachDisk(ctx context.Context, ref string, d toolstack.Disk) (toolstack.Disk, error)
	AttachVIF(ctx context.Context, ref string, v toolstack.VIF) (toolstack.VIF, error)
	DetachDisk(ctx context.Context, ref, vdev string) error
	DetachVIF(ctx context.Context, ref string, index int) error
	ModifyDisk(ctx context.Context, ref string, d toolstack.Disk) error
	SetVIFLabel(ctx context.Context, ref string, index int, label, old string) error
}

var _ Toolstack = (*toolstack.Toolstack)(nil)

// Options configures a Provider.
type Options struct {
	// Toolstack is the management layer of the host. Required.
	Toolstack Toolstack
	// HostName is the Name of the Xen_HostSystem instance and the SystemName of the
	// service; "" means "localhost".
	HostName string
	// Services returns the paths of further services the host runs (the
	// Xen_SecurityService, the Xen_VTPMManagementService), each with its namespace
	// and keys: Xen_HostedService joins the host to each of them besides the
	// management service. Nil means none. Called at every enumeration of
	// Xen_HostedService, from many goroutines at once.
	Services func(ctx context.Context) ([]*cim.ObjectPath, error)
	// Lookup returns the definition of class in namespace ns (resolved, with its
	// inherited properties), or nil. Instances then hold every property of their
	// class, with the class default where the provider knows no value; without a
	// definition they hold only the properties the provider sets.
	Lookup func(ns, class string) *cim.Class
}

// Provider serves the virtual-system classes. Build it with New; it is safe for
// concurrent use.
type Provider struct {
	ts       Toolstack
	host     string
	services func(ctx context.Context) ([]*cim.ObjectPath, error)
	lookup   func(ns, class string) *cim.Class

	// requested remembers the last RequestedState asked for each domain (by UUID),
	// for Xen_ComputerSystem.RequestedState; the toolstack does not keep it.
	requested sync.Map
}

var (
	_ providers.InstanceProvider    = (*Provider)(nil)
	_ providers.InstanceEnumerator  = (*Provider)(nil)
	_ providers.InstanceWriter      = (*Provider)(nil)
	_ providers.AssociationProvider = (*Provider)(nil)
	_ providers.MethodProvider      = (*Provider)(nil)
)

// New returns the provider described by o.
func New(o Options) *Provider {
	p := &Provider{ts: o.Toolstack, host: o.HostName, services: o.Services, lookup: o.Lookup}
	if p.host == "" {
		p.host = "localhost"
	}
	return p
}

// classes lists every class served, for the registration.
var classes = []string{
	ClassHostSystem, ClassComputerSystem, ClassVSSD, ClassDisk, ClassNetworkPort, ClassVSMS,
	ClassHostedSystem, ClassSystemSettings, ClassSettingComponent, ClassHostedService,
}

// Registrations returns the registration of the provider: its classes in
// root/cimv2.
func (p *Provider) Registrations() []providers.Registration {
	return []providers.Registration{{
		Namespaces: []string{Namespace},
		Classes:    append([]string(nil), classes...),
		Provider:   p,
	}}
}

// HostPath is the path of the Xen_HostSystem instance.
func (p *Provider) HostPath() *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassHostSystem, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: ClassHostSystem},
		{Name: "Name", Value: p.host},
	}}
}

// ServicePath is the path of the Xen_VirtualSystemManagementService instance.
func (p *Provider) ServicePath() *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassVSMS, Keys: []cim.KeyBinding{
		{Name: "SystemCreationClassName", Value: ClassHostSystem},
		{Name: "SystemName", Value: p.host},
		{Name: "CreationClassName", Value: ClassVSMS},
		{Name: "Name", Value: ServiceName},
	}}
}

// ComputerSystemPath is the path of the Xen_ComputerSystem instance of the domain
// whose UUID is uuid.
func ComputerSystemPath(uuid string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassComputerSystem, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: ClassComputerSystem},
		{Name: "Name", Value: uuid},
	}}
}

// ComputerSystemPath is the package function ComputerSystemPath, for callers that
// hold a Provider.
func (p *Provider) ComputerSystemPath(uuid string) *cim.ObjectPath { return ComputerSystemPath(uuid) }

// SettingsPath is the path of the Xen_VirtualSystemSettingData of the domain whose
// UUID is uuid.
func SettingsPath(uuid string) *cim.ObjectPath {
	return instanceIDPath(ClassVSSD, settingsID(uuid))
}

// DiskPath is the path of the Xen_DiskSettingData of block device vdev of the
// domain whose UUID is uuid.
func DiskPath(uuid, vdev string) *cim.ObjectPath {
	return instanceIDPath(ClassDisk, diskID(uuid, vdev))
}

// NetworkPortPath is the path of the Xen_NetworkPortSettingData of network
// interface vif<index> of the domain whose UUID is uuid.
func NetworkPortPath(uuid string, index int) *cim.ObjectPath {
	return instanceIDPath(ClassNetworkPort, vifID(uuid, index))
}

func instanceIDPath(class, id string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: class,
		Keys: []cim.KeyBinding{{Name: "InstanceID", Value: id}}}
}

// EnumerateInstanceNames returns the paths of the instances of class.
func (p *Provider) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	var paths []*cim.ObjectPath
	for e, err := range p.entries(ctx, class) {
		if err != nil {
			return nil, err
		}
		paths = append(paths, e.Path)
	}
	return paths, nil
}

// EnumerateInstances returns the instances of class (providers.InstanceEnumerator).
func (p *Provider) EnumerateInstances(ctx context.Context, ns, class string) iter.Seq2[*cim.Instance, error] {
	return func(yield func(*cim.Instance, error) bool) {
		if err := checkNamespace(ns); err != nil {
			yield(nil, err)
			return
		}
		b := p.builder(class)
		for e, err := range p.entries(ctx, class) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(b.Instance(e), nil) {
				return
			}
		}
	}
}

// GetInstance returns the instance at path; only the domain it names is read.
func (p *Provider) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	if path == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no instance path")
	}
	class, ok := servedClass(path.ClassName)
	if !ok {
		return nil, cim.Errorf(cim.StatusInvalidClass, "the system provider does not serve class %s", path.ClassName)
	}
	var seq iter.Seq2[entry, error]
	switch class {
	case ClassHostSystem, ClassVSMS, ClassHostedService:
		seq = p.entries(ctx, class)
	case ClassHostedSystem:
		seq = p.domainEntries(ctx, class, keyRef(path, "Dependent"))
	case ClassSystemSettings:
		seq = p.domainEntries(ctx, class, keyRef(path, "ManagedElement"))
	case ClassSettingComponent:
		seq = p.domainEntries(ctx, class, keyRef(path, "GroupComponent"))
	default:
		seq = p.domainEntries(ctx, class, path)
	}
	want := withNamespace(path)
	for e, err := range seq {
		if err != nil {
			if cim.StatusOf(err) == cim.StatusNotFound {
				break
			}
			return nil, err
		}
		if samePath(e.Path, want) {
			return p.builder(class).Instance(e), nil
		}
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
}

// ReferencesTo returns the instances of the association assocClass whose reference
// role ("": any) points to target (providers.AssociationProvider). Only the domain
// target names (or that its settings name) is read; the host reads all domains.
func (p *Provider) ReferencesTo(ctx context.Context, ns, assocClass string, target *cim.ObjectPath, role string) iter.Seq2[*cim.Instance, error] {
	return func(yield func(*cim.Instance, error) bool) {
		if err := checkNamespace(ns); err != nil {
			yield(nil, err)
			return
		}
		class, ok := servedClass(assocClass)
		if !ok || target == nil {
			return
		}
		t := withNamespace(target)
		var seq iter.Seq2[entry, error]
		switch {
		case class == ClassHostedService:
			seq = p.entries(ctx, class)
		case sameClass(t.ClassName, ClassHostSystem):
			if class != ClassHostedSystem {
				return
			}
			seq = p.entries(ctx, class)
		default:
			// Every other endpoint belongs to one domain.
			seq = p.domainEntries(ctx, class, t)
		}
		b := p.builder(class)
		for e, err := range seq {
			if err != nil {
				if cim.StatusOf(err) != cim.StatusNotFound {
					yield(nil, err)
				}
				return
			}
			if e.RefersToFunc(t, role, samePath) && !yield(b.Instance(e), nil) {
				return
			}
		}
	}
}

// checkNamespace refuses namespaces other than root/cimv2; the dispatcher sends only
// the registered one.
func checkNamespace(ns string) error {
	if !strings.EqualFold(strings.Trim(ns, "/"), Namespace) {
		return cim.Errorf(cim.StatusInvalidNamespace, "the system provider serves namespace %s, not %s", Namespace, ns)
	}
	return nil
}

// servedClass returns the canonical spelling of class when the provider serves it.
func servedClass(class string) (string, bool) {
	for _, c := range classes {
		if strings.EqualFold(c, class) {
			return c, true
		}
	}
	return "", false
}

func sameClass(a, b string) bool { return strings.EqualFold(a, b) }

// keyRef returns the reference key name of path, or nil.
func keyRef(path *cim.ObjectPath, name string) *cim.ObjectPath {
	v, _ := path.Key(name)
	ref, _ := v.(*cim.ObjectPath)
	return ref
}

// withNamespace returns path, or a copy of it in root/cimv2 when it has no
// namespace, its reference keys likewise (DSP0004: a reference without namespace
// is relative to the referencing instance).
func withNamespace(path *cim.ObjectPath) *cim.ObjectPath {
	if path == nil {
		return nil
	}
	q := *path
	if q.Namespace == "" {
		q.Namespace = Namespace
	}
	q.Keys = make([]cim.KeyBinding, len(path.Keys))
	for i, k := range path.Keys {
		if ref, ok := k.Value.(*cim.ObjectPath); ok && ref != nil {
			k.Value = withNamespace(ref)
		}
		q.Keys[i] = k
	}
	return &q
}

// samePath reports whether a (a path the provider made) and b (a client's, with
// namespace) name the same instance. UUIDs and host names compare
// case-insensitively, as their text forms do; the rest as ObjectPath.Equal does.
func samePath(a, b *cim.ObjectPath) bool {
	if a == nil || b == nil || !sameClass(a.ClassName, b.ClassName) || len(a.Keys) != len(b.Keys) {
		return false
	}
	if !strings.EqualFold(strings.Trim(a.Namespace, "/"), strings.Trim(b.Namespace, "/")) {
		return false
	}
	for _, k := range a.Keys {
		v, ok := b.Key(k.Name)
		if !ok {
			return false
		}
		switch x := k.Value.(type) {
		case *cim.ObjectPath:
			y, ok := v.(*cim.ObjectPath)
			if !ok || !samePath(x, withNamespace(y)) {
				return false
			}
		case string:
			y, ok := v.(string)
			if !ok || !strings.EqualFold(x, y) {
				return false
			}
		default:
			if !cim.EqualValues(k.Value, v) {
				return false
			}
		}
	}
	return true
}
