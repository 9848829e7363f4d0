package tpm

import (
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
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

// entry is one instance before it is completed from its class.
type entry = providers.Entry

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
	return providers.KeyEntry(VTPMPath(v.Domain, v.Number),
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
	return providers.KeyEntry(&cim.ObjectPath{Namespace: Namespace, ClassName: ClassSystemVTPM, Keys: []cim.KeyBinding{
		{Name: "GroupComponent", Value: ComputerSystemPath(v.Domain)},
		{Name: "PartComponent", Value: VTPMPath(v.Domain, v.Number)},
	}})
}

func (p *Provider) serviceEntry() entry {
	state, started := enabled, true
	if p.mgr == nil {
		state, started = disabled, false
	}
	return providers.KeyEntry(p.ServicePath(),
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

// builder completes entries of class into instances (one per enumeration).
func (p *Provider) builder(class string) *providers.Builder {
	if p.lookup == nil {
		return providers.NewBuilder(nil)
	}
	return providers.NewBuilder(p.lookup(Namespace, class))
}
