package interop

import (
	"context"
	"fmt"
	"iter"
	"os"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

// Namespace is the name of the interop namespace, the only namespace the provider
// serves, and the first one pywbem's WBEMServer tries.
const Namespace = "interop"

// Product is the name of the object manager: CIM_ObjectManager.Name and ElementName,
// and the brand pywbem reports.
const Product = "shypecim"

// The organisations of CIM_RegisteredSpecification.RegisteredOrganization (its
// ValueMap) that profiles of this server use.
const (
	OrganizationOther uint16 = 1 // the name is in Profile.OtherOrganization
	OrganizationDMTF  uint16 = 2
	OrganizationSNIA  uint16 = 11
)

// The classes the provider serves, spelled as the schema declares them.
const (
	classObjectManager      = "CIM_ObjectManager"
	classNamespace          = "CIM_Namespace"
	classRegisteredProfile  = "CIM_RegisteredProfile"
	classConformsToProfile  = "CIM_ElementConformsToProfile"
	classNamespaceInManager = "CIM_NamespaceInManager"
)

// Namespaces is what the provider needs of the repository (*repository.Store
// satisfies it). Names are compared case-insensitively without surrounding '/'.
// The methods may be called from many goroutines at once.
type Namespaces interface {
	// Namespaces returns the names of all namespaces, as their creator spelled them.
	Namespaces() []string
	// HasNamespace reports whether namespace ns exists.
	HasNamespace(ns string) bool
	// CreateNamespace creates the empty namespace ns.
	CreateNamespace(ns string) error
	// DeleteNamespace deletes namespace ns, which must be empty.
	DeleteNamespace(ns string) error
}

// Profile is a management profile the server implements in full, advertised as a
// CIM_RegisteredProfile instance with InstanceID "<organisation>+<name>+<version>"
// and joined to its central instances by CIM_ElementConformsToProfile (DSP1033).
type Profile struct {
	// Organization is the RegisteredOrganization: OrganizationDMTF, or
	// OrganizationOther with the name in OtherOrganization.
	Organization      uint16
	OtherOrganization string
	Name              string // RegisteredName, such as "Virtual TPM"
	Version           string // RegisteredVersion, M.N.U
	// Central returns the paths of the profile's central instances, each with its
	// namespace and all its keys, typed. It is called at every enumeration of
	// CIM_ElementConformsToProfile, from many goroutines at once; nil means none.
	Central func(ctx context.Context) ([]*cim.ObjectPath, error)
}

// Options configures a Provider.
type Options struct {
	// Namespaces is the store of namespaces. Without it the provider serves no
	// CIM_Namespace instances and refuses to create or delete namespaces.
	Namespaces Namespaces
	// Version is the server's version, shown in CIM_ObjectManager.Description as
	// "shypecim version <Version>"; "" leaves the version out.
	Version string
	// SystemName is the name of the host system, a key of the object manager and of
	// every namespace instance; "" means os.Hostname, else "localhost".
	SystemName string
	// SystemCreationClassName is the class of that system; "" means
	// "CIM_ComputerSystem".
	SystemCreationClassName string
	// Profiles are the profiles to advertise besides DMTF "Profile Registration"
	// 1.0.0, which the provider always advertises with the object manager as its
	// central instance. A profile whose InstanceID repeats an earlier one is dropped.
	Profiles []Profile
	// Lookup returns the definition of class in namespace ns (resolved, with its
	// inherited properties), or nil. Instances hold every property of their class,
	// with the class's default where the provider knows no value; without a
	// definition they hold only the properties the provider sets.
	Lookup func(ns, class string) *cim.Class
}

// Provider serves the interop namespace. Build it with New; it is safe for
// concurrent use.
type Provider struct {
	nss         Namespaces
	lookup      func(ns, class string) *cim.Class
	description string
	system      string
	systemClass string
	profiles    []registered
}

// registered is an advertised profile with its InstanceID.
type registered struct {
	Profile
	id string
}

var (
	_ providers.InstanceProvider    = (*Provider)(nil)
	_ providers.InstanceEnumerator  = (*Provider)(nil)
	_ providers.InstanceWriter      = (*Provider)(nil)
	_ providers.AssociationProvider = (*Provider)(nil)
)

// New returns the provider of the interop namespace described by opts.
func New(opts Options) *Provider {
	p := &Provider{
		nss:         opts.Namespaces,
		lookup:      opts.Lookup,
		description: Product,
		system:      opts.SystemName,
		systemClass: opts.SystemCreationClassName,
	}
	if opts.Version != "" {
		// pywbem takes the version from the word after "version" (_server.py).
		p.description = Product + " version " + opts.Version
	}
	if p.system == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		p.system = h
	}
	if p.systemClass == "" {
		p.systemClass = "CIM_ComputerSystem"
	}
	own := Profile{
		Organization: OrganizationDMTF,
		Name:         "Profile Registration",
		Version:      "1.0.0",
		Central: func(context.Context) ([]*cim.ObjectPath, error) {
			return []*cim.ObjectPath{p.objectManagerPath()}, nil
		},
	}
	seen := map[string]bool{}
	for _, prof := range append([]Profile{own}, opts.Profiles...) {
		id := profileID(prof)
		if seen[strings.ToLower(id)] {
			continue
		}
		seen[strings.ToLower(id)] = true
		p.profiles = append(p.profiles, registered{Profile: prof, id: id})
	}
	return p
}

// profileID is the InstanceID of a profile's CIM_RegisteredProfile instance, in the
// form DSP1033 suggests and Pegasus and SFCB use: organisation+name+version.
func profileID(prof Profile) string {
	return orgName(prof.Organization, prof.OtherOrganization) + "+" + prof.Name + "+" + prof.Version
}

func orgName(org uint16, other string) string {
	switch org {
	case OrganizationOther:
		if other != "" {
			return other
		}
		return "Other"
	case OrganizationDMTF:
		return "DMTF"
	case OrganizationSNIA:
		return "SNIA"
	}
	return fmt.Sprint(org)
}

// Registrations returns the registration of the provider: its classes in the
// interop namespace.
func (p *Provider) Registrations() []providers.Registration {
	return []providers.Registration{{
		Namespaces: []string{Namespace},
		Classes: []string{
			classObjectManager, classNamespace, classRegisteredProfile,
			classConformsToProfile, classNamespaceInManager,
		},
		Provider: p,
	}}
}

// EnumerateInstanceNames returns the paths of the instances of class.
func (p *Provider) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	es, err := p.entries(ctx, class)
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
		es, err := p.entries(ctx, class)
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

// GetInstance returns the instance at path. A reference key without a namespace
// refers to the interop namespace (DSP0004: relative to the referencing instance).
func (p *Provider) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	if path == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no instance path")
	}
	want := localPath(path)
	var es []entry
	var err error
	if strings.EqualFold(want.ClassName, classConformsToProfile) {
		// Only the profile the path names: its Central may be costly.
		std, _ := want.Key("ConformantStandard")
		ref, _ := std.(*cim.ObjectPath)
		es, err = p.conformsEntries(ctx, ref)
	} else {
		es, err = p.entries(ctx, want.ClassName)
	}
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
// role ("": any) points to target (providers.AssociationProvider).
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
		var es []entry
		var err error
		if strings.EqualFold(assocClass, classConformsToProfile) &&
			(role == "" || strings.EqualFold(role, "ConformantStandard")) &&
			strings.EqualFold(t.ClassName, classRegisteredProfile) {
			es, err = p.conformsEntries(ctx, t)
		} else {
			es, err = p.entries(ctx, assocClass)
		}
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

// CreateInstance creates the namespace an instance of CIM_Namespace names. Name is
// required; the other keys may be left out, and must be those of this object
// manager when given. Other properties are ignored. Instances of the other classes
// cannot be created.
func (p *Provider) CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no instance")
	}
	if !strings.EqualFold(inst.ClassName, classNamespace) {
		return nil, cim.Errorf(cim.StatusNotSupported, "instances of %s cannot be created", inst.ClassName)
	}
	if p.nss == nil {
		return nil, cim.Errorf(cim.StatusNotSupported, "namespaces cannot be created")
	}
	var name string
	if prop := inst.Property("Name"); prop != nil {
		name, _ = prop.Value.(string)
	}
	name = strings.Trim(name, "/")
	if name == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "%s.Name must name the namespace to create", classNamespace)
	}
	want := p.namespacePath(name)
	for _, k := range want.Keys {
		prop := inst.Property(k.Name)
		if prop == nil || prop.Value == nil || strings.EqualFold(k.Name, "Name") {
			continue
		}
		if s, ok := prop.Value.(string); !ok || !strings.EqualFold(s, k.Value.(string)) {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "%s.%s must be %q", classNamespace, k.Name, k.Value)
		}
	}
	if err := p.nss.CreateNamespace(name); err != nil {
		return nil, toCIMError(err)
	}
	return want, nil
}

// ModifyInstance is not supported: the instances of the interop namespace describe
// the server and are not changed by clients.
func (p *Provider) ModifyInstance(ctx context.Context, ns string, path *cim.ObjectPath, inst *cim.Instance, props []string) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	class := ""
	if path != nil {
		class = path.ClassName
	}
	return cim.Errorf(cim.StatusNotSupported, "instances of %s cannot be modified", class)
}

// DeleteInstance deletes the namespace an instance of CIM_Namespace stands for; the
// namespace must be empty. The interop namespace itself cannot be deleted.
// Instances of the other classes cannot be deleted.
func (p *Provider) DeleteInstance(ctx context.Context, ns string, path *cim.ObjectPath) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if path == nil {
		return cim.Errorf(cim.StatusInvalidParameter, "no instance path")
	}
	if !strings.EqualFold(path.ClassName, classNamespace) {
		return cim.Errorf(cim.StatusNotSupported, "instances of %s cannot be deleted", path.ClassName)
	}
	if p.nss == nil {
		return cim.Errorf(cim.StatusNotSupported, "namespaces cannot be deleted")
	}
	want := localPath(path)
	name := ""
	for _, n := range p.nss.Namespaces() {
		if p.namespacePath(n).Equal(want) {
			name = n
			break
		}
	}
	switch {
	case name == "":
		return cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	case strings.EqualFold(strings.Trim(name, "/"), Namespace):
		// The repository would refuse it too (it holds the base schema); say why.
		return cim.Errorf(cim.StatusNamespaceNotEmpty, "namespace %s holds the interop model and cannot be deleted", name)
	}
	if err := p.nss.DeleteNamespace(name); err != nil {
		return toCIMError(err)
	}
	return nil
}

// checkNamespace refuses namespaces other than interop; the dispatcher sends only
// interop, as registered.
func checkNamespace(ns string) error {
	if !strings.EqualFold(strings.Trim(ns, "/"), Namespace) {
		return cim.Errorf(cim.StatusInvalidNamespace, "the interop provider serves namespace %s, not %s", Namespace, ns)
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

// localPath returns a copy of path in the interop namespace whose reference keys
// without a namespace are in the interop namespace too.
func localPath(path *cim.ObjectPath) *cim.ObjectPath {
	q := *path
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

// absolute returns ref, or a copy of it in the interop namespace when it has none.
func absolute(ref *cim.ObjectPath) *cim.ObjectPath {
	if ref.Namespace != "" {
		return ref
	}
	q := *ref
	q.Namespace = Namespace
	return &q
}
