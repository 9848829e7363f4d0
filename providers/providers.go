// Package providers is the contract between the dispatcher and the code that serves
// CIM classes from live data (the hypervisor, the access control module, the vTPM
// manager). A provider implements the small required InstanceProvider and, for more,
// the optional interfaces below; the dispatcher checks for them with a type assertion
// and answers CIM_ERR_NOT_SUPPORTED when one is missing, as go-imap does with its
// optional session interfaces.
//
// Providers are registered explicitly (cmd/shyped) with a Registration naming the
// classes they serve. Classes without a provider are served from the repository's
// static instances.
//
// # Contract for every method
//
// The dispatcher may call a provider from many goroutines at once; a provider guards
// its own state. ctx carries the request's deadline and the principal (PrincipalFrom).
// Paths passed in are typed against the class (key values of the key properties'
// types) and carry the namespace. Returned objects are not modified by the dispatcher:
// it copies before it filters properties. Errors: a *cim.Error is passed to the client
// as it is; any other error becomes CIM_ERR_FAILED with a generic description, its
// text going only to the log. Each provider translates its domain errors in one place.
package providers

import (
	"context"
	"iter"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// InstanceProvider serves the instances of its classes. The class passed is always
// one of the classes it was registered for; it returns the instances whose creation
// class is exactly that class (the dispatcher walks subclasses itself).
type InstanceProvider interface {
	// EnumerateInstanceNames returns the paths of the instances of class in ns.
	EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error)
	// GetInstance returns the instance at path, or a *cim.Error with
	// cim.StatusNotFound. The instance holds every property of its class.
	GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error)
}

// InstanceEnumerator is the fast path of EnumerateInstances: without it the
// dispatcher calls EnumerateInstanceNames and GetInstance for each name.
type InstanceEnumerator interface {
	EnumerateInstances(ctx context.Context, ns, class string) iter.Seq2[*cim.Instance, error]
}

// InstanceWriter lets clients create, modify and delete instances.
type InstanceWriter interface {
	// CreateInstance creates inst (its properties typed and checked against the
	// class) and returns its path.
	CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (*cim.ObjectPath, error)
	// ModifyInstance replaces the properties named in props (all of inst's
	// properties when props is nil) of the instance at path.
	ModifyInstance(ctx context.Context, ns string, path *cim.ObjectPath, inst *cim.Instance, props []string) error
	// DeleteInstance deletes the instance at path.
	DeleteInstance(ctx context.Context, ns string, path *cim.ObjectPath) error
}

// AssociationProvider is the fast path for an association class: the instances of
// assocClass (exactly that class) whose reference role (any reference when role is
// "") points to target. Without it the dispatcher enumerates the association's
// instances and compares their references itself.
type AssociationProvider interface {
	ReferencesTo(ctx context.Context, ns, assocClass string, target *cim.ObjectPath, role string) iter.Seq2[*cim.Instance, error]
}

// MethodProvider runs extrinsic methods (InvokeMethod). target is an instance path,
// or a class path for a static method. in holds the IN parameters, typed from the
// method's declaration; ret must have the method's return type; out the OUT
// parameters (their types and array-ness are taken from the declaration when unset).
type MethodProvider interface {
	InvokeMethod(ctx context.Context, ns string, target *cim.ObjectPath, method string, in []cim.ParamValue) (ret any, out []cim.ParamValue, err error)
}

// Registration says which classes of which namespaces a provider serves. Classes are
// matched by name, case-insensitively; their subclasses are not included unless
// listed.
type Registration struct {
	Namespaces []string
	Classes    []string
	Provider   InstanceProvider
}

// Principal is the authenticated user a request runs for.
type Principal struct {
	User string
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Param returns the parameter named name (case-insensitive) of ps, or nil.
func Param(ps []cim.ParamValue, name string) *cim.ParamValue {
	for i := range ps {
		if strings.EqualFold(ps[i].Name, name) {
			return &ps[i]
		}
	}
	return nil
}

// IndicationSink receives the indications providers raise (cim-model.md §4), such
// as Xen_PolicyChangeIndication; cmd/shyped wires the indication engine
// (cimom/indication) to it. ind is a complete instance of an indication class of
// namespace ns; the sink fills IndicationIdentifier and IndicationTime when they
// are NULL, and owns ind afterwards. Indicate never blocks on delivery and reports
// nothing: an indication nobody subscribed to, or one that cannot be delivered,
// is the sink's business. It may be called from many goroutines at once, also
// under a provider's own locks.
type IndicationSink interface {
	Indicate(ctx context.Context, ns string, ind *cim.Instance)
}
