package tpm

import (
	"context"
	"iter"
	"reflect"
	"strings"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
	"github.com/shypecim/shypecim/vtpm"
)

// Namespace is the only namespace the provider serves.
const Namespace = "root/cimv2"

// The classes the provider serves, spelled as xen.mof declares them.
const (
	ClassVTPM        = "Xen_VTPM"
	ClassSystemVTPM  = "Xen_SystemVTPM"
	ClassService     = "Xen_VTPMManagementService"
	ServiceName      = "Xen VTPM Management Service"
	ClassComputerSys = "Xen_ComputerSystem" // served by providers/system; only its paths are built here
	ClassHostSystem  = "Xen_HostSystem"     // likewise
)

// Manager is what the provider needs of the vTPM manager: exactly the methods of
// *vtpm.Manager it calls, so that tests pass a fake. The manager guards its own
// table; the provider calls it from many goroutines at once.
type Manager interface {
	Create(ctx context.Context, domain string, preferred int) (vtpm.VTPM, error)
	Destroy(ctx context.Context, uuid string) error
	List() []vtpm.VTPM
	ReadPCRs(ctx context.Context, uuid, bank string, pcrs []int) ([][]byte, error)
	ExtendPCR(ctx context.Context, uuid, bank string, pcr int, digest []byte) error
	Quote(ctx context.Context, uuid string, nonce []byte, bank string, pcrs []int) (vtpm.Evidence, error)
	PrepareIncoming(ctx context.Context, domain string) (migrationID, destKey []byte, err error)
	Export(ctx context.Context, uuid string, migrationID, destKey []byte) ([]byte, error)
	Import(ctx context.Context, domain string, migrationID, blob []byte) (vtpm.VTPM, error)
	Commit(ctx context.Context, uuid string, migrationID []byte, destination string) error
	Abort(ctx context.Context, uuid string, migrationID []byte) error
}

var _ Manager = (*vtpm.Manager)(nil)

// Toolstack is what the provider needs of the management layer: the domain a
// method names, for its state and, to define it on a migration's destination, its
// settings.
type Toolstack interface {
	Domain(ctx context.Context, ref string) (toolstack.Domain, error)
}

var _ Toolstack = (*toolstack.Toolstack)(nil)

// Remote is what MigrateVTPM needs of a CIM-XML client of the destination server;
// the methods have the signatures of *cimclient.Client's. Errors of the
// destination are *cim.Error values (CIM_ERR_NOT_FOUND for an unknown instance).
type Remote interface {
	GetInstance(ctx context.Context, path *cim.ObjectPath) (*cim.Instance, error)
	EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error)
	InvokeMethod(ctx context.Context, target *cim.ObjectPath, method string, in []cim.ParamValue) (ret any, out []cim.ParamValue, err error)
}

// Options configures a Provider.
type Options struct {
	// Manager is the vTPM manager (a *vtpm.Manager). Nil (or a nil pointer) when
	// swtpm was not available at start-up: every method then returns 32770 and
	// there are no vTPMs.
	Manager Manager
	// Toolstack is the management layer (a *toolstack.Toolstack).
	Toolstack Toolstack
	// HostName is the SystemName of the Xen_VTPMManagementService: the Name of the
	// Xen_HostSystem.
	HostName string
	// Lookup returns the definition of class in namespace ns (resolved, with its
	// inherited properties), or nil. Instances hold every property of their class,
	// with the class's default where the provider knows no value; without a
	// definition they hold only the properties the provider sets.
	Lookup func(ns, class string) *cim.Class
	// Dial connects to the destination server of MigrateVTPM (a cimclient-based
	// function in cmd/shyped). Nil: MigrateVTPM returns 1 (not supported). A
	// returned Remote that is also an io.Closer is closed after the migration.
	Dial func(url, user, password string) (Remote, error)
	// Now is the clock; nil means time.Now. Nothing is timed by the provider
	// yet: the migration timeout is the manager's.
	Now func() time.Time
	// VerifyQuote checks a quote for VerifyQuote; nil means vtpm.VerifyQuote.
	// Tests replace it.
	VerifyQuote func(quoted, signature, akPublic, nonce []byte, pcrs []int, values, reference [][]byte) (vtpm.Verdict, string)
}

// Provider serves the vTPM classes. Build it with New; it is safe for concurrent
// use.
type Provider struct {
	mgr    Manager // nil: swtpm not available
	ts     Toolstack
	host   string
	lookup func(ns, class string) *cim.Class
	dial   func(url, user, password string) (Remote, error)
	now    func() time.Time
	verify func(quoted, signature, akPublic, nonce []byte, pcrs []int, values, reference [][]byte) (vtpm.Verdict, string)
}

var (
	_ providers.InstanceProvider    = (*Provider)(nil)
	_ providers.InstanceEnumerator  = (*Provider)(nil)
	_ providers.AssociationProvider = (*Provider)(nil)
	_ providers.MethodProvider      = (*Provider)(nil)
)

// New returns the provider of the vTPM classes described by opts.
func New(opts Options) *Provider {
	p := &Provider{
		mgr: opts.Manager, ts: opts.Toolstack, host: opts.HostName, lookup: opts.Lookup,
		dial: opts.Dial, now: opts.Now, verify: opts.VerifyQuote,
	}
	if isNil(p.mgr) {
		// A nil *vtpm.Manager in the interface is as absent as a nil interface:
		// cmd/shyped passes whatever vtpm.Open left.
		p.mgr = nil
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.verify == nil {
		p.verify = vtpm.VerifyQuote
	}
	return p
}

func isNil(m Manager) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// Registrations returns the registration of the provider: its classes in
// root/cimv2.
func (p *Provider) Registrations() []providers.Registration {
	return []providers.Registration{{
		Namespaces: []string{Namespace},
		Classes:    []string{ClassVTPM, ClassSystemVTPM, ClassService},
		Provider:   p,
	}}
}

// ServicePath returns the path of the Xen_VTPMManagementService instance, with
// its namespace: the central instance of the "Virtual TPM" profile and the
// Dependent of its Xen_HostedService.
func (p *Provider) ServicePath() *cim.ObjectPath {
	return &cim.ObjectPath{
		Namespace: Namespace,
		ClassName: ClassService,
		Keys: []cim.KeyBinding{
			{Name: "CreationClassName", Value: ClassService},
			{Name: "Name", Value: ServiceName},
			{Name: "SystemCreationClassName", Value: ClassHostSystem},
			{Name: "SystemName", Value: p.host},
		},
	}
}

// EnumerateInstanceNames returns the paths of the instances of class.
func (p *Provider) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	es, err := p.entries(ns, class)
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
		es, err := p.entries(ns, class)
		if err != nil {
			yield(nil, err)
			return
		}
		b := p.builder(class)
		for _, e := range es {
			if !yield(b.Instance(e), nil) {
				return
			}
		}
	}
}

// GetInstance returns the instance at path.
func (p *Provider) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	if path == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no instance path")
	}
	class, ok := servedClass(path.ClassName)
	if !ok {
		return nil, cim.Errorf(cim.StatusInvalidClass, "the vTPM provider does not serve class %s", path.ClassName)
	}
	want := localPath(path)
	var es []entry
	switch class {
	case ClassService:
		es = []entry{p.serviceEntry()}
	case ClassVTPM:
		v, err := p.vtpmAt(path)
		if err != nil {
			return nil, toCIMError(err)
		}
		es = []entry{vtpmEntry(v)}
	case ClassSystemVTPM:
		part, _ := path.Key("PartComponent")
		ref, ok := part.(*cim.ObjectPath)
		if !ok || ref == nil {
			return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
		}
		v, err := p.vtpmAt(ref)
		if err != nil {
			return nil, toCIMError(err)
		}
		es = []entry{systemVTPMEntry(v)}
	}
	for _, e := range es {
		if e.Path.Equal(want) {
			return p.builder(class).Instance(e), nil
		}
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
}

// ReferencesTo returns the instances of Xen_SystemVTPM whose reference role ("":
// any) points to target (providers.AssociationProvider): from a domain its vTPM,
// from a vTPM its domain. Only the manager's table is read.
func (p *Provider) ReferencesTo(ctx context.Context, ns, assocClass string, target *cim.ObjectPath, role string) iter.Seq2[*cim.Instance, error] {
	return func(yield func(*cim.Instance, error) bool) {
		if err := checkNamespace(ns); err != nil {
			yield(nil, err)
			return
		}
		class, ok := servedClass(assocClass)
		if !ok || class != ClassSystemVTPM || target == nil {
			return
		}
		t := localPath(target)
		b := p.builder(class)
		for _, v := range p.list() {
			e := systemVTPMEntry(v)
			if e.RefersTo(t, role) && !yield(b.Instance(e), nil) {
				return
			}
		}
	}
}

// list returns the manager's vTPMs; none without a manager.
func (p *Provider) list() []vtpm.VTPM {
	if p.mgr == nil {
		return nil
	}
	return p.mgr.List()
}

// entries returns the entries of class.
func (p *Provider) entries(ns, class string) ([]entry, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	c, ok := servedClass(class)
	if !ok {
		return nil, cim.Errorf(cim.StatusInvalidClass, "the vTPM provider does not serve class %s", class)
	}
	if c == ClassService {
		return []entry{p.serviceEntry()}, nil
	}
	vs := p.list()
	es := make([]entry, len(vs))
	for i, v := range vs {
		if c == ClassVTPM {
			es[i] = vtpmEntry(v)
		} else {
			es[i] = systemVTPMEntry(v)
		}
	}
	return es, nil
}

// servedClass returns the provider's spelling of class, and whether it serves it.
func servedClass(class string) (string, bool) {
	for _, c := range []string{ClassVTPM, ClassSystemVTPM, ClassService} {
		if strings.EqualFold(c, class) {
			return c, true
		}
	}
	return "", false
}

// checkNamespace refuses namespaces other than root/cimv2; the dispatcher sends
// only that one, as registered.
func checkNamespace(ns string) error {
	if !strings.EqualFold(strings.Trim(ns, "/"), Namespace) {
		return cim.Errorf(cim.StatusInvalidNamespace, "the vTPM provider serves namespace %s, not %s", Namespace, ns)
	}
	return nil
}

// localPath returns a copy of path in the provider's namespace, without a host,
// with its reference keys likewise, so that it compares with the paths the
// provider builds.
func localPath(path *cim.ObjectPath) *cim.ObjectPath {
	q := *path
	q.Host = ""
	q.Namespace = Namespace
	q.Keys = make([]cim.KeyBinding, len(path.Keys))
	for i, k := range path.Keys {
		if ref, ok := k.Value.(*cim.ObjectPath); ok && ref != nil {
			k.Value = localPath(ref)
		}
		q.Keys[i] = k
	}
	return &q
}
