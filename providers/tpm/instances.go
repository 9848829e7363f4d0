package tpm

import (
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/vtpm"
)

// The fixed values of every Xen_VTPM (cim-model.md §3).
const (
	specMajor      uint32 = 2
	specMinor      uint32 = 0
	defaultBackend        = "swtpm"
	devicePrefix          = "vtpm"
)

// The EnabledState values of the service (CIM_EnabledLogicalElement).
const (
	enabled  uint16 = 2
	disabled uint16 = 3
)

// entry is one instance before it is completed from its class: its path and the
// values the provider knows, keys included.
type entry struct {
	path   *cim.ObjectPath
	values []cim.Property
}

func prop(name string, v any) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeOf(v), Value: v}
}

func stringArray(name string, vs []string) cim.Property {
	a := make([]any, len(vs))
	for i, v := range vs {
		a[i] = v
	}
	return cim.Property{Name: name, Type: cim.TypeString, IsArray: true, Value: a}
}

// keyEntry returns an entry whose values are the keys of path followed by more.
func keyEntry(path *cim.ObjectPath, more ...cim.Property) entry {
	e := entry{path: path, values: make([]cim.Property, 0, len(path.Keys)+len(more))}
	for _, k := range path.Keys {
		if ref, ok := k.Value.(*cim.ObjectPath); ok {
			e.values = append(e.values, cim.Property{Name: k.Name, Type: cim.TypeReference, ReferenceClass: ref.ClassName, Value: ref})
			continue
		}
		e.values = append(e.values, prop(k.Name, k.Value))
	}
	e.values = append(e.values, more...)
	return e
}

// refersTo reports whether a reference key of e (the one named role, any when
// role is "") points to target.
func (e entry) refersTo(target *cim.ObjectPath, role string) bool {
	for _, k := range e.path.Keys {
		if role != "" && !strings.EqualFold(k.Name, role) {
			continue
		}
		if ref, ok := k.Value.(*cim.ObjectPath); ok && ref.Equal(target) {
			return true
		}
	}
	return false
}

// builder completes entries of one class into instances: every property of the
// class with the entry's value where it has one and the class default elsewhere.
type builder struct {
	class *cim.Class
}

func (p *Provider) builder(class string) builder {
	if p.lookup == nil {
		return builder{}
	}
	return builder{class: p.lookup(Namespace, class)}
}

func (b builder) instance(e entry) *cim.Instance {
	if b.class == nil {
		return &cim.Instance{ClassName: e.path.ClassName, Properties: append([]cim.Property(nil), e.values...)}
	}
	c := b.class
	props := make([]cim.Property, len(c.Properties))
	for i := range c.Properties {
		cp := &c.Properties[i]
		props[i] = cim.Property{
			Name: cp.Name, Type: cp.Type, IsArray: cp.IsArray, ArraySize: cp.ArraySize,
			ReferenceClass: cp.ReferenceClass, Value: cp.Value,
			ClassOrigin: cp.ClassOrigin, Propagated: cp.Propagated,
		}
	}
	for _, v := range e.values {
		for i := range props {
			if strings.EqualFold(props[i].Name, v.Name) {
				props[i].Value = v.Value
				break
			}
		}
	}
	return &cim.Instance{ClassName: c.Name, Properties: props}
}

// ComputerSystemPath returns the path of the Xen_ComputerSystem of the domain
// whose UUID is uuid, as providers/system builds it.
func ComputerSystemPath(uuid string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassComputerSys, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: ClassComputerSys},
		{Name: "Name", Value: uuid},
	}}
}

// VTPMPath returns the path of the Xen_VTPM numbered number of the domain whose
// UUID is domain.
func VTPMPath(domain string, number int) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassVTPM, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: ClassVTPM},
		{Name: "DeviceID", Value: devicePrefix + strconv.Itoa(number)},
		{Name: "SystemCreationClassName", Value: ClassComputerSys},
		{Name: "SystemName", Value: domain},
	}}
}

func vtpmEntry(v vtpm.VTPM) entry {
	backend := v.Backend
	if backend == "" {
		backend = defaultBackend
	}
	id := devicePrefix + strconv.Itoa(v.Number)
	return keyEntry(VTPMPath(v.Domain, v.Number),
		prop("InstanceNumber", uint32(v.Number)),
		prop("UUID", v.UUID),
		prop("TPMSpecMajorVersion", specMajor),
		prop("TPMSpecMinorVersion", specMinor),
		prop("TPMManufacturerId", manufacturerID(v.Manufacturer)),
		prop("Backend", backend),
		prop("EnabledState", uint16(v.State)),
		prop("EKPublic", string(v.EKPublicPEM)),
		prop("EKCertificate", string(v.EKCertPEM)),
		stringArray("PCRBanks", v.PCRBanks),
		prop("MigrationState", uint16(v.Migration)),
		prop("MigratedTo", v.MigratedTo),
		prop("ElementName", id),
		prop("Name", v.UUID),
	)
}

func systemVTPMEntry(v vtpm.VTPM) entry {
	return keyEntry(&cim.ObjectPath{Namespace: Namespace, ClassName: ClassSystemVTPM, Keys: []cim.KeyBinding{
		{Name: "GroupComponent", Value: ComputerSystemPath(v.Domain)},
		{Name: "PartComponent", Value: VTPMPath(v.Domain, v.Number)},
	}})
}

func (p *Provider) serviceEntry() entry {
	state, started := enabled, true
	if p.mgr == nil {
		state, started = disabled, false
	}
	return keyEntry(p.ServicePath(),
		prop("ElementName", ServiceName),
		prop("EnabledState", state),
		prop("Started", started),
	)
}

// manufacturerID returns the TCG manufacturer id of the vendor string the TPM
// reports: up to four ASCII characters, big-endian, padded with NULs as the TCG
// vendor registry writes them ("IBM" is 0x49424D00); a number is taken as it is.
func manufacturerID(s string) uint32 {
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		return uint32(n)
	}
	var id uint32
	for i := range 4 {
		id <<= 8
		if i < len(s) {
			id |= uint32(s[i])
		}
	}
	return id
}

// vtpmAt returns the vTPM the Xen_VTPM path names: by the domain (SystemName)
// and the number of DeviceID. An error matches errNotFound when there is none.
func (p *Provider) vtpmAt(path *cim.ObjectPath) (vtpm.VTPM, error) {
	key := func(name string) string {
		v, _ := path.Key(name)
		s, _ := v.(string)
		return s
	}
	if !strings.EqualFold(path.ClassName, ClassVTPM) {
		return vtpm.VTPM{}, invalidf("%s is not a %s", path, ClassVTPM)
	}
	if c := key("CreationClassName"); c != "" && !strings.EqualFold(c, ClassVTPM) {
		return vtpm.VTPM{}, notFoundf("no vTPM %s", path)
	}
	if c := key("SystemCreationClassName"); c != "" && !strings.EqualFold(c, ClassComputerSys) {
		return vtpm.VTPM{}, notFoundf("no vTPM %s", path)
	}
	domain, dev := key("SystemName"), key("DeviceID")
	num, ok := strings.CutPrefix(strings.ToLower(dev), devicePrefix)
	n, err := strconv.Atoi(num)
	if domain == "" || !ok || err != nil {
		return vtpm.VTPM{}, invalidf("the vTPM path %s must give SystemName (the domain's UUID) and DeviceID (vtpm<number>)", path)
	}
	if p.mgr == nil {
		return vtpm.VTPM{}, errNoManager
	}
	for _, v := range p.mgr.List() {
		if v.Number == n && strings.EqualFold(v.Domain, domain) {
			return v, nil
		}
	}
	return vtpm.VTPM{}, notFoundf("no vTPM %s of domain %s", dev, domain)
}
