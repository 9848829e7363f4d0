package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

// Schema is what the dispatcher needs of the class and instance store: the methods
// of *repository.Store it calls, with their semantics (see package repository).
// Errors it returns should carry their CIM status through a method
// CIMStatus() cim.Status; others become CIM_ERR_FAILED.
type Schema interface {
	HasNamespace(ns string) bool
	Namespaces() []string
	Class(ns, name string) *cim.Class
	Classes(ns string) ([]*cim.Class, error)
	SubclassNames(ns, name string, deep bool) ([]string, error)
	Superclasses(ns, name string) ([]string, error)
	IsSubclass(ns, sub, super string) bool
	ReferencingClasses(ns, name string) ([]string, error)
	QualifierType(ns, name string) *cim.QualifierType
	QualifierTypes(ns string) ([]*cim.QualifierType, error)
	Instance(ns string, path *cim.ObjectPath) (*cim.Instance, error)
	Instances(ns, class string, deep bool) ([]*cim.Instance, error)
	InstanceNames(ns, class string, deep bool) ([]*cim.ObjectPath, error)
	Schema(ns string) (cim.Schema, error)

	CreateNamespace(ns string) error
	DeleteNamespace(ns string) error
	SetQualifierType(ns string, qt *cim.QualifierType) error
	DeleteQualifierType(ns, name string) error
	CreateClass(ns string, c *cim.Class) error
	ModifyClass(ns string, c *cim.Class) error
	DeleteClass(ns, name string) error
	CreateInstance(ns string, inst *cim.Instance) (*cim.ObjectPath, error)
	ModifyInstance(ns string, inst *cim.Instance) error
	DeleteInstance(ns string, path *cim.ObjectPath) error
}

// The limits of the project decisions in cimxml.md (pull enumeration contexts).
const (
	DefaultOperationTimeout = 40 * time.Second
	MaxOperationTimeout     = 90 * time.Second
	MaxContextsPerClient    = 100
	MaxObjectCount          = 10000
)

// Options configure a Dispatcher. The zero value is a valid configuration: every
// zero field takes the default its comment gives.
type Options struct {
	// Logger receives debug lines (expired enumeration contexts); nil discards them.
	// The dispatcher does not log errors: it returns them, and the caller logs once.
	Logger *logrus.Entry
	// Now is the clock of the enumeration contexts; nil means time.Now.
	Now func() time.Time
	// DefaultOperationTimeout is the inter-operation timeout of an enumeration
	// context whose Open… gave none; 0 means DefaultOperationTimeout (40 s).
	DefaultOperationTimeout time.Duration
	// MaxOperationTimeout is the largest OperationTimeout a client may ask for;
	// 0 means MaxOperationTimeout (90 s).
	MaxOperationTimeout time.Duration
	// MaxContextsPerClient bounds the open enumeration contexts of one client
	// address (WithClientAddr: the host, without port); 0 means MaxContextsPerClient (100).
	MaxContextsPerClient int
	// MaxObjectCount is the largest MaxObjectCount of an Open… or Pull…; 0 means
	// MaxObjectCount (10,000).
	MaxObjectCount uint32
	// ParseEmbedded parses the text of an embedded instance that a client sent as
	// a plain string in a parameter declared EmbeddedInstance, in MOF (`instance
	// of X { … };`) for instance: CIM-XML INSTANCE text is already decoded by the
	// codec. nil leaves such strings to the provider.
	ParseEmbedded func(ns, text string) (*cim.Instance, error)
	// Validate checks an instance of class c that a client creates or modifies
	// as a static instance (a class without a provider) before it is stored:
	// an indication filter's query, for instance. A *cim.Error it returns goes
	// to the client as it is. nil accepts every instance.
	Validate func(ns string, c *cim.Class, inst *cim.Instance) error
}

// Dispatcher runs CIM operations. Make one with New, register the providers, then
// call Do from any number of goroutines. Register must not be called once Do is in
// use. Close releases the open enumeration contexts.
type Dispatcher struct {
	s    Schema
	opts Options
	log  *logrus.Entry

	provs map[string]providers.InstanceProvider // by provKey(ns, class); ns "" = any

	// The query language front ends (query_lang.go); tests replace them.
	parseQuery  func(lang, text string) (compiledQuery, error)
	parseFilter func(lang, text string) (compiledFilter, error)

	mu       sync.Mutex
	contexts map[string]*enumContext // by id
	closed   bool
}

// New returns a dispatcher serving the classes and instances of s.
func New(s Schema, opts Options) *Dispatcher {
	if opts.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Logger = logrus.NewEntry(l)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DefaultOperationTimeout <= 0 {
		opts.DefaultOperationTimeout = DefaultOperationTimeout
	}
	if opts.MaxOperationTimeout <= 0 {
		opts.MaxOperationTimeout = MaxOperationTimeout
	}
	if opts.MaxContextsPerClient <= 0 {
		opts.MaxContextsPerClient = MaxContextsPerClient
	}
	if opts.MaxObjectCount == 0 {
		opts.MaxObjectCount = MaxObjectCount
	}
	return &Dispatcher{
		s:           s,
		opts:        opts,
		log:         opts.Logger,
		provs:       map[string]providers.InstanceProvider{},
		parseQuery:  parseQuery,
		parseFilter: parseFilter,
		contexts:    map[string]*enumContext{},
	}
}

// ErrDuplicateRegistration is returned by Register for a class that already has a
// provider in one of the namespaces.
var ErrDuplicateRegistration = errors.New("dispatch: class registered twice")

func nsKey(ns string) string { return strings.ToLower(strings.Trim(ns, "/")) }

func provKey(ns, class string) string { return nsKey(ns) + "\x00" + strings.ToLower(class) }

// Register makes r.Provider serve r.Classes in r.Namespaces (every namespace when
// r.Namespaces is empty). A class that already has a provider in one of those
// namespaces gives an error matching ErrDuplicateRegistration, and nothing of r is
// registered.
func (d *Dispatcher) Register(r providers.Registration) error {
	if r.Provider == nil {
		return errors.New("dispatch: registration without a provider")
	}
	nss := r.Namespaces
	if len(nss) == 0 {
		nss = []string{""}
	}
	var keys []string
	for _, ns := range nss {
		for _, c := range r.Classes {
			if !cim.IsIdentifier(c) {
				return fmt.Errorf("dispatch: register: invalid class name %q", c)
			}
			k := provKey(ns, c)
			_, dup := d.provs[k]
			_, dupAny := d.provs[provKey("", c)]
			if dup || dupAny || (ns == "" && d.hasClassInAnyNS(c)) || containsStr(keys, k) {
				return fmt.Errorf("%w: %s in namespace %q", ErrDuplicateRegistration, c, ns)
			}
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		d.provs[k] = r.Provider
	}
	return nil
}

func (d *Dispatcher) hasClassInAnyNS(class string) bool {
	suffix := "\x00" + strings.ToLower(class)
	for k := range d.provs {
		if strings.HasSuffix(k, suffix) {
			return true
		}
	}
	return false
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// provider returns the provider of class in ns, or nil for the repository.
func (d *Dispatcher) provider(ns, class string) providers.InstanceProvider {
	if len(d.provs) == 0 {
		return nil
	}
	if p, ok := d.provs[provKey(ns, class)]; ok {
		return p
	}
	return d.provs[provKey("", class)]
}

type clientAddrKey struct{}

// WithClientAddr returns a context that carries the network address of the client
// (the HTTP layer sets it, with or without port); the limit on open enumeration
// contexts counts per host. Requests without one share the address "".
func WithClientAddr(ctx context.Context, addr string) context.Context {
	// http.Request.RemoteAddr has the port, which differs per connection.
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

func clientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

// Do runs op and returns its result. Errors are *cim.Error. Result.Objects, when
// set, must be consumed (or abandoned) by the caller while ctx is live; errors it
// yields are *cim.Error too.
func (d *Dispatcher) Do(ctx context.Context, op cim.Op) (res *cim.Result, err error) {
	defer func() {
		// A provider's panic fails its request, not the server.
		if r := recover(); r != nil {
			res, err = nil, &cim.Error{Code: cim.StatusFailed, Description: "internal error",
				Err: fmt.Errorf("dispatch: panic in %s: %v", opName(op), r)}
		}
	}()
	if op == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no operation")
	}
	res, err = d.do(ctx, op)
	if err != nil {
		return nil, toCIMError(err)
	}
	return res, nil
}

func opName(op cim.Op) string {
	if op == nil {
		return "<nil>"
	}
	return op.OpName()
}

func (d *Dispatcher) do(ctx context.Context, op cim.Op) (*cim.Result, error) {
	if err := d.checkNS(op.NamespaceName()); err != nil {
		return nil, err
	}
	ns := strings.Trim(op.NamespaceName(), "/")
	switch o := op.(type) {
	case *cim.GetClass:
		return d.getClass(ns, o)
	case *cim.EnumerateClasses:
		return d.enumerateClasses(ns, o)
	case *cim.EnumerateClassNames:
		return d.enumerateClassNames(ns, o)
	case *cim.CreateClass:
		return d.createClass(ns, o)
	case *cim.ModifyClass:
		return d.modifyClass(ns, o)
	case *cim.DeleteClass:
		return d.deleteClass(ns, o)
	case *cim.GetQualifier:
		return d.getQualifier(ns, o)
	case *cim.SetQualifier:
		return d.setQualifier(ns, o)
	case *cim.DeleteQualifier:
		return d.deleteQualifier(ns, o)
	case *cim.EnumerateQualifiers:
		return d.enumerateQualifiers(ns)
	case *cim.GetInstance:
		return d.getInstance(ctx, ns, o)
	case *cim.EnumerateInstances:
		return d.enumerateInstances(ctx, ns, o)
	case *cim.EnumerateInstanceNames:
		return d.enumerateInstanceNames(ctx, ns, o)
	case *cim.CreateInstance:
		return d.createInstance(ctx, ns, o)
	case *cim.ModifyInstance:
		return d.modifyInstance(ctx, ns, o)
	case *cim.DeleteInstance:
		return d.deleteInstance(ctx, ns, o)
	case *cim.GetProperty:
		return d.getProperty(ctx, ns, o)
	case *cim.SetProperty:
		return d.setProperty(ctx, ns, o)
	case *cim.Associators:
		return d.associators(ctx, ns, o)
	case *cim.AssociatorNames:
		return d.associatorNames(ctx, ns, o)
	case *cim.References:
		return d.references(ctx, ns, o)
	case *cim.ReferenceNames:
		return d.referenceNames(ctx, ns, o)
	case *cim.ExecQuery:
		return d.execQuery(ctx, ns, o)
	case *cim.OpenEnumerateInstances:
		return d.openEnumerateInstances(ctx, ns, o)
	case *cim.OpenEnumerateInstancePaths:
		return d.openEnumerateInstancePaths(ctx, ns, o)
	case *cim.OpenAssociatorInstances:
		return d.openAssociatorInstances(ctx, ns, o)
	case *cim.OpenAssociatorInstancePaths:
		return d.openAssociatorInstancePaths(ctx, ns, o)
	case *cim.OpenReferenceInstances:
		return d.openReferenceInstances(ctx, ns, o)
	case *cim.OpenReferenceInstancePaths:
		return d.openReferenceInstancePaths(ctx, ns, o)
	case *cim.OpenQueryInstances:
		return d.openQueryInstances(ctx, ns, o)
	case *cim.PullInstancesWithPath:
		return d.pull(ctx, ns, o.EnumerationContext, o.MaxObjectCount, kindInstancesWithPath)
	case *cim.PullInstancePaths:
		return d.pull(ctx, ns, o.EnumerationContext, o.MaxObjectCount, kindPaths)
	case *cim.PullInstances:
		return d.pull(ctx, ns, o.EnumerationContext, o.MaxObjectCount, kindInstances)
	case *cim.CloseEnumeration:
		return d.closeEnumeration(ns, o)
	case *cim.EnumerationCount:
		return d.enumerationCount(ns, o)
	case *cim.InvokeMethod:
		return d.invokeMethod(ctx, ns, o)
	}
	return nil, cim.Errorf(cim.StatusNotSupported, "operation %s is not supported", op.OpName())
}

// checkNS is the first check of every operation (cimxml.md §3.1).
func (d *Dispatcher) checkNS(ns string) error {
	if strings.Trim(ns, "/") == "" || !d.s.HasNamespace(ns) {
		return cim.Errorf(cim.StatusInvalidNamespace, "namespace %q does not exist", ns)
	}
	return nil
}

// statusCarrier is an error that knows its CIM status: the errors of the repository.
type statusCarrier interface{ CIMStatus() cim.Status }

// toCIMError turns any error into a *cim.Error: the one place where the errors of
// the repository and of providers are translated.
func toCIMError(err error) error {
	if err == nil {
		return nil
	}
	var ce *cim.Error
	if errors.As(err, &ce) {
		if ce == err {
			return ce
		}
		return &cim.Error{Code: ce.Code, Description: ce.Description, Err: err}
	}
	var sc statusCarrier
	if errors.As(err, &sc) {
		return &cim.Error{Code: sc.CIMStatus(), Description: strings.TrimPrefix(err.Error(), "repository: "), Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &cim.Error{Code: cim.StatusFailed, Description: "operation cancelled", Err: err}
	}
	return &cim.Error{Code: cim.StatusFailed, Description: "operation failed", Err: err}
}
