package interop

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

// entry is one instance before it is completed from its class.
type entry = providers.Entry

// prop returns a property holding v, typed from v (an array from a []any of
// scalars of one type).
func prop(name string, v any) cim.Property {
	if a, ok := v.([]any); ok {
		var t cim.Type
		if len(a) > 0 {
			t = cim.TypeOf(a[0])
		}
		return cim.Property{Name: name, Type: t, IsArray: true, Value: v}
	}
	return cim.Property{Name: name, Type: cim.TypeOf(v), Value: v}
}

// entries returns the entries of class, in a stable order.
func (p *Provider) entries(ctx context.Context, class string) ([]entry, error) {
	switch strings.ToLower(class) {
	case strings.ToLower(classObjectManager):
		return []entry{p.objectManagerEntry()}, nil
	case strings.ToLower(classNamespace):
		return p.namespaceEntries(), nil
	case strings.ToLower(classRegisteredProfile):
		es := make([]entry, len(p.profiles))
		for i := range p.profiles {
			es[i] = p.profileEntry(&p.profiles[i])
		}
		return es, nil
	case strings.ToLower(classConformsToProfile):
		return p.conformsEntries(ctx, nil)
	case strings.ToLower(classNamespaceInManager):
		om := p.objectManagerPath()
		var es []entry
		for _, n := range p.namespaceNames() {
			es = append(es, providers.KeyEntry(&cim.ObjectPath{
				Namespace: Namespace,
				ClassName: classNamespaceInManager,
				Keys: []cim.KeyBinding{
					{Name: "Antecedent", Value: om},
					{Name: "Dependent", Value: p.namespacePath(n)},
				},
			}))
		}
		return es, nil
	}
	return nil, cim.Errorf(cim.StatusInvalidClass, "the interop provider does not serve class %s", class)
}

// objectManagerPath is the path of the one CIM_ObjectManager instance.
func (p *Provider) objectManagerPath() *cim.ObjectPath {
	return &cim.ObjectPath{
		Namespace: Namespace,
		ClassName: classObjectManager,
		Keys: []cim.KeyBinding{
			{Name: "SystemCreationClassName", Value: p.systemClass},
			{Name: "SystemName", Value: p.system},
			{Name: "CreationClassName", Value: classObjectManager},
			{Name: "Name", Value: Product},
		},
	}
}

func (p *Provider) objectManagerEntry() entry {
	return providers.KeyEntry(p.objectManagerPath(),
		prop("ElementName", Product),
		prop("Description", p.description),
		prop("Started", true),
		prop("EnabledState", uint16(2)),             // Enabled
		prop("OperationalStatus", []any{uint16(2)}), // OK
		prop("GatherStatisticalData", false),        // no statistics are kept
	)
}

// namespaceNames returns the names of the namespaces, none without a store.
func (p *Provider) namespaceNames() []string {
	if p.nss == nil {
		return nil
	}
	return p.nss.Namespaces()
}

// namespacePath is the path of the CIM_Namespace instance of namespace name.
func (p *Provider) namespacePath(name string) *cim.ObjectPath {
	return &cim.ObjectPath{
		Namespace: Namespace,
		ClassName: classNamespace,
		Keys: []cim.KeyBinding{
			{Name: "SystemCreationClassName", Value: p.systemClass},
			{Name: "SystemName", Value: p.system},
			{Name: "ObjectManagerCreationClassName", Value: classObjectManager},
			{Name: "ObjectManagerName", Value: Product},
			{Name: "CreationClassName", Value: classNamespace},
			{Name: "Name", Value: name},
		},
	}
}

func (p *Provider) namespaceEntries() []entry {
	names := p.namespaceNames()
	es := make([]entry, len(names))
	for i, n := range names {
		// ClassInfo is Required: 0, Unknown (the classes differ per namespace).
		es[i] = providers.KeyEntry(p.namespacePath(n), prop("ClassInfo", uint16(0)))
	}
	return es
}

// profilePath is the path of the CIM_RegisteredProfile instance of prof.
func profilePath(prof *registered) *cim.ObjectPath {
	return &cim.ObjectPath{
		Namespace: Namespace,
		ClassName: classRegisteredProfile,
		Keys:      []cim.KeyBinding{{Name: "InstanceID", Value: prof.id}},
	}
}

func (p *Provider) profileEntry(prof *registered) entry {
	var other any
	if prof.Organization == OrganizationOther {
		other = prof.OtherOrganization
	}
	return providers.KeyEntry(profilePath(prof),
		prop("ElementName", prof.Name),
		prop("SpecificationType", uint16(2)), // Profile
		prop("RegisteredOrganization", prof.Organization),
		cim.Property{Name: "OtherRegisteredOrganization", Type: cim.TypeString, Value: other},
		prop("RegisteredName", prof.Name),
		prop("RegisteredVersion", prof.Version),
		prop("AdvertiseTypes", []any{uint16(2)}), // Not Advertised: no SLP
	)
}

// conformsEntries returns the CIM_ElementConformsToProfile entries: each profile
// (only the one at path only, when only is not nil) with each of its central
// instances.
func (p *Provider) conformsEntries(ctx context.Context, only *cim.ObjectPath) ([]entry, error) {
	var es []entry
	for i := range p.profiles {
		prof := &p.profiles[i]
		std := profilePath(prof)
		if only != nil && !std.Equal(absolute(only)) {
			continue
		}
		if prof.Central == nil {
			continue
		}
		central, err := prof.Central(ctx)
		if err != nil {
			return nil, centralError(prof, err)
		}
		for _, c := range central {
			if c == nil || c.Namespace == "" || c.ClassName == "" || len(c.Keys) == 0 {
				return nil, centralError(prof, fmt.Errorf("central instance %v is not a full instance path", c))
			}
			ref := *c
			ref.Keys = append([]cim.KeyBinding(nil), c.Keys...)
			es = append(es, providers.KeyEntry(&cim.ObjectPath{
				Namespace: Namespace,
				ClassName: classConformsToProfile,
				Keys: []cim.KeyBinding{
					{Name: "ConformantStandard", Value: std},
					{Name: "ManagedElement", Value: &ref},
				},
			}))
		}
	}
	return es, nil
}

// centralError passes a *cim.Error from a Central function on as it is, and makes
// any other error CIM_ERR_FAILED naming the profile.
func centralError(prof *registered, err error) error {
	if ce, ok := errors.AsType[*cim.Error](err); ok {
		return ce
	}
	return &cim.Error{
		Code:        cim.StatusFailed,
		Description: "cannot list the central instances of profile " + prof.id,
		Err:         fmt.Errorf("interop: central instances of %s: %w", prof.id, err),
	}
}
