package interop

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/mof/compile"
	"github.com/shypecim/shypecim/mof/schema"
)

// statusErr is an error that carries its CIM status, as the repository's do.
type statusErr struct {
	code cim.Status
	msg  string
}

func (e *statusErr) Error() string         { return e.msg }
func (e *statusErr) CIMStatus() cim.Status { return e.code }

var (
	errExists   = &statusErr{cim.StatusAlreadyExists, "repository: already exists"}
	errBadName  = &statusErr{cim.StatusInvalidParameter, "repository: invalid parameter"}
	errNoNS     = &statusErr{cim.StatusInvalidNamespace, "repository: invalid namespace"}
	errNotEmpty = &statusErr{cim.StatusNamespaceNotEmpty, "repository: namespace not empty"}
)

// fakeNamespaces is an in-memory Namespaces: base namespaces and full ones cannot
// be deleted; fail, when set, is returned by every write.
type fakeNamespaces struct {
	mu    sync.Mutex
	names []string
	full  map[string]bool // lower-case names of namespaces that hold something
	fail  error
}

func newFake(names ...string) *fakeNamespaces {
	return &fakeNamespaces{names: names, full: map[string]bool{"interop": true, "root/cimv2": true}}
}

func (f *fakeNamespaces) Namespaces() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.names)
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

func (f *fakeNamespaces) HasNamespace(ns string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.index(ns) >= 0
}

func (f *fakeNamespaces) index(ns string) int {
	return slices.IndexFunc(f.names, func(n string) bool { return strings.EqualFold(n, strings.Trim(ns, "/")) })
}

func (f *fakeNamespaces) CreateNamespace(ns string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.fail != nil:
		return f.fail
	case f.index(ns) >= 0:
		return fmt.Errorf("%w: namespace %s", errExists, ns)
	case strings.ContainsAny(ns, " .") || strings.Trim(ns, "/") == "":
		return fmt.Errorf("%w: namespace name %q", errBadName, ns)
	}
	f.names = append(f.names, strings.Trim(ns, "/"))
	return nil
}

func (f *fakeNamespaces) DeleteNamespace(ns string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.index(ns)
	switch {
	case f.fail != nil:
		return f.fail
	case i < 0:
		return fmt.Errorf("%w: namespace %s", errNoNS, ns)
	case f.full[strings.ToLower(f.names[i])]:
		return fmt.Errorf("%w: namespace %s holds classes", errNotEmpty, ns)
	}
	f.names = slices.Delete(f.names, i, i+1)
	return nil
}

// compiled is the embedded schema, compiled once for all tests.
var compiled = sync.OnceValues(func() ([]*compile.Result, error) { return schema.Compile("") })

// lookup returns the class definitions of the embedded schema (compiled into
// root/cimv2, the compiler's default; the server loads the same into interop).
func lookup(t testing.TB) func(ns, class string) *cim.Class {
	t.Helper()
	results, err := compiled()
	if err != nil {
		t.Fatalf("schema.Compile: %v", err)
	}
	return func(_, class string) *cim.Class {
		for _, r := range results {
			if c := r.Class("root/cimv2", class); c != nil {
				return c
			}
		}
		return nil
	}
}

// The central instances the tests give the profiles of cim-model.md §5.
var (
	securityService = &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_SecurityService", Keys: []cim.KeyBinding{
		{Name: "SystemCreationClassName", Value: "Xen_HostSystem"},
		{Name: "SystemName", Value: "host1"},
		{Name: "CreationClassName", Value: "Xen_SecurityService"},
		{Name: "Name", Value: "sHype"},
	}}
	vtpmService = &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_VTPMManagementService", Keys: []cim.KeyBinding{
		{Name: "SystemCreationClassName", Value: "Xen_HostSystem"},
		{Name: "SystemName", Value: "host1"},
		{Name: "CreationClassName", Value: "Xen_VTPMManagementService"},
		{Name: "Name", Value: "vtpm"},
	}}
)

func centralOf(paths ...*cim.ObjectPath) func(context.Context) ([]*cim.ObjectPath, error) {
	return func(context.Context) ([]*cim.ObjectPath, error) { return paths, nil }
}

// xenProfiles are the profiles of cim-model.md §5 besides Profile Registration.
func xenProfiles() []Profile {
	return []Profile{
		{Organization: OrganizationOther, OtherOrganization: "Xen", Name: "sHype Access Control", Version: "1.0.0", Central: centralOf(securityService)},
		{Organization: OrganizationOther, OtherOrganization: "Xen", Name: "Virtual TPM", Version: "1.0.0", Central: centralOf(vtpmService)},
	}
}

// newTestProvider returns a provider on fake namespaces interop and root/cimv2,
// with the Xen profiles and the embedded schema's classes.
func newTestProvider(t testing.TB) (*Provider, *fakeNamespaces) {
	t.Helper()
	nss := newFake("interop", "root/cimv2")
	p := New(Options{
		Namespaces: nss,
		Version:    "1.2.3",
		SystemName: "host1",
		Profiles:   xenProfiles(),
		Lookup:     lookup(t),
	})
	return p, nss
}

// collect drains an instance sequence.
func collect(t testing.TB, seq func(func(*cim.Instance, error) bool)) []*cim.Instance {
	t.Helper()
	var out []*cim.Instance
	for inst, err := range seq {
		if err != nil {
			t.Fatalf("sequence: %v", err)
		}
		out = append(out, inst)
	}
	return out
}

// statusOf returns the code of err, failing when err is not a *cim.Error.
func statusOf(t testing.TB, err error) cim.Status {
	t.Helper()
	if err == nil {
		return cim.StatusOK
	}
	if _, ok := err.(*cim.Error); !ok {
		t.Fatalf("error %v (%T) is not a *cim.Error", err, err)
	}
	return cim.StatusOf(err)
}

// value returns the value of property name of inst, failing when it is missing.
func value(t testing.TB, inst *cim.Instance, name string) any {
	t.Helper()
	p := inst.Property(name)
	if p == nil {
		t.Fatalf("instance of %s has no property %s", inst.ClassName, name)
	}
	return p.Value
}

var ctx = context.Background()
