package system

import (
	"context"
	"iter"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// The DSP1057 EnabledState values of a domain (cim-model.md §1).
const (
	stateEnabled    uint16 = 2 // running
	stateDisabled   uint16 = 3 // halted
	stateOffline    uint16 = 6 // suspended (Enabled but Offline)
	stateQuiesce    uint16 = 9 // paused
	stateNoChange   uint16 = 5 // RequestedState before any request
	stateNotApplies uint16 = 12
)

// The ResourceType values (CIM_ResourceAllocationSettingData ValueMap).
const (
	resourceEthernet    uint16 = 10 // Ethernet Adapter: a virtual NIC (DSP1050)
	resourceDiskDrive   uint16 = 17
	resourceLogicalDisk uint16 = 31 // a virtual block device (DSP1047)
	resourceEthernetCon uint16 = 33
)

// entry is one instance before it is completed from its class.
type entry = providers.Entry

// prop returns a property holding v, typed from v; an array from []any, of type t
// when a is empty.
func prop(name string, v any) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeOf(v), Value: v}
}

func arrayProp(name string, t cim.Type, v ...any) cim.Property {
	return cim.Property{Name: name, Type: t, IsArray: true, Value: v}
}

// null returns a NULL property of type t.
func null(name string, t cim.Type) cim.Property { return cim.Property{Name: name, Type: t} }

// entries yields the entries of class: the host's from the options, the domains'
// from one Domains call.
func (p *Provider) entries(ctx context.Context, class string) iter.Seq2[entry, error] {
	return func(yield func(entry, error) bool) {
		c, ok := servedClass(class)
		if !ok {
			yield(entry{}, cim.Errorf(cim.StatusInvalidClass, "the system provider does not serve class %s", class))
			return
		}
		switch c {
		case ClassHostSystem:
			yield(p.hostEntry(), nil)
			return
		case ClassVSMS:
			yield(p.serviceEntry(), nil)
			return
		case ClassHostedService:
			es, err := p.hostedServiceEntries(ctx)
			if err != nil {
				yield(entry{}, err)
				return
			}
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
			return
		}
		doms, err := p.ts.Domains(ctx)
		if err != nil {
			yield(entry{}, toCIMError(err))
			return
		}
		for i := range doms {
			if !p.yieldDomain(c, &doms[i], yield) {
				return
			}
		}
	}
}

// domainEntries yields the entries of class that belong to the domain path names
// (a Xen_ComputerSystem path, or an InstanceID path of its settings or devices):
// nothing when path names no domain, a CIM_ERR_NOT_FOUND error when the domain does
// not exist.
func (p *Provider) domainEntries(ctx context.Context, class string, path *cim.ObjectPath) iter.Seq2[entry, error] {
	return func(yield func(entry, error) bool) {
		uuid, ok := domainOf(path)
		if !ok {
			return
		}
		d, err := p.domain(ctx, uuid)
		if err != nil {
			yield(entry{}, err)
			return
		}
		p.yieldDomain(class, &d, yield)
	}
}

// domainOf returns the UUID of the domain path belongs to.
func domainOf(path *cim.ObjectPath) (string, bool) {
	if path == nil {
		return "", false
	}
	if sameClass(path.ClassName, ClassComputerSystem) {
		v, _ := path.Key("Name")
		s, ok := v.(string)
		return s, ok && s != ""
	}
	v, _ := path.Key("InstanceID")
	id, _ := v.(string)
	uuid, _, ok := parseID(id)
	return uuid, ok
}

// domain returns the domain whose UUID is uuid. The toolstack also resolves names
// and domain ids, which are not UUIDs: such a match is no match.
func (p *Provider) domain(ctx context.Context, uuid string) (toolstack.Domain, error) {
	d, err := p.ts.Domain(ctx, uuid)
	if err != nil {
		return toolstack.Domain{}, toCIMError(err)
	}
	if !strings.EqualFold(d.UUID, uuid) {
		return toolstack.Domain{}, cim.Errorf(cim.StatusNotFound, "no domain with UUID %s", uuid)
	}
	return d, nil
}

// yieldDomain yields the entries of class that belong to domain d; false when
// yield asked to stop.
func (p *Provider) yieldDomain(class string, d *toolstack.Domain, yield func(entry, error) bool) bool {
	switch class {
	case ClassComputerSystem:
		return yield(p.systemEntry(d), nil)
	case ClassVSSD:
		return yield(settingsEntry(d), nil)
	case ClassDisk:
		for i := range d.Disks {
			if !yield(diskEntry(d.UUID, &d.Disks[i]), nil) {
				return false
			}
		}
	case ClassNetworkPort:
		for i := range d.VIFs {
			if !yield(vifEntry(d.UUID, &d.VIFs[i]), nil) {
				return false
			}
		}
	case ClassHostedSystem:
		return yield(providers.KeyEntry(&cim.ObjectPath{Namespace: Namespace, ClassName: ClassHostedSystem, Keys: []cim.KeyBinding{
			{Name: "Antecedent", Value: p.HostPath()},
			{Name: "Dependent", Value: ComputerSystemPath(d.UUID)},
		}}), nil)
	case ClassSystemSettings:
		return yield(providers.KeyEntry(&cim.ObjectPath{Namespace: Namespace, ClassName: ClassSystemSettings, Keys: []cim.KeyBinding{
			{Name: "ManagedElement", Value: ComputerSystemPath(d.UUID)},
			{Name: "SettingData", Value: SettingsPath(d.UUID)},
		}}), nil)
	case ClassSettingComponent:
		group := SettingsPath(d.UUID)
		part := func(part *cim.ObjectPath) entry {
			return providers.KeyEntry(&cim.ObjectPath{Namespace: Namespace, ClassName: ClassSettingComponent, Keys: []cim.KeyBinding{
				{Name: "GroupComponent", Value: group},
				{Name: "PartComponent", Value: part},
			}})
		}
		for i := range d.Disks {
			if !yield(part(DiskPath(d.UUID, d.Disks[i].VirtualDevice)), nil) {
				return false
			}
		}
		for i := range d.VIFs {
			if !yield(part(NetworkPortPath(d.UUID, d.VIFs[i].Index)), nil) {
				return false
			}
		}
	}
	return true
}

func (p *Provider) hostEntry() entry {
	return providers.KeyEntry(p.HostPath(),
		prop("ElementName", p.host),
		prop("Caption", "Xen host"),
		prop("Description", "The physical host that runs the Xen hypervisor"),
		prop("EnabledState", stateEnabled),
		prop("RequestedState", stateNotApplies),
		arrayProp("OperationalStatus", cim.TypeUint16, uint16(2)), // OK
	)
}

func (p *Provider) serviceEntry() entry {
	return providers.KeyEntry(p.ServicePath(),
		prop("ElementName", ServiceName),
		prop("Caption", "Xen virtual system management"),
		prop("Description", "Defines, destroys and reconfigures the domains of the host"),
		prop("EnabledState", stateEnabled),
		prop("RequestedState", stateNotApplies),
		prop("Started", true),
		arrayProp("OperationalStatus", cim.TypeUint16, uint16(2)),
	)
}

func (p *Provider) hostedServiceEntries(ctx context.Context) ([]entry, error) {
	svcs := []*cim.ObjectPath{p.ServicePath()}
	if p.services != nil {
		more, err := p.services(ctx)
		if err != nil {
			return nil, toCIMError(err)
		}
		for _, s := range more {
			if s != nil {
				svcs = append(svcs, withNamespace(s))
			}
		}
	}
	host := p.HostPath()
	es := make([]entry, len(svcs))
	for i, s := range svcs {
		es[i] = providers.KeyEntry(&cim.ObjectPath{Namespace: Namespace, ClassName: ClassHostedService, Keys: []cim.KeyBinding{
			{Name: "Antecedent", Value: host},
			{Name: "Dependent", Value: s},
		}})
	}
	return es, nil
}

// enabledState is the DSP1057 EnabledState of a power state.
func enabledState(s hypervisor.State) uint16 {
	switch s {
	case hypervisor.Running:
		return stateEnabled
	case hypervisor.Paused:
		return stateQuiesce
	case hypervisor.Suspended:
		return stateOffline
	}
	return stateDisabled
}

// available is AvailableRequestedStates: the requests RequestStateChange can honour
// in state s.
func available(s hypervisor.State) []any {
	switch s {
	case hypervisor.Running:
		return []any{uint16(3), uint16(4), uint16(6), uint16(9), uint16(10)}
	case hypervisor.Paused, hypervisor.Suspended:
		return []any{uint16(2), uint16(3)}
	}
	return []any{uint16(2)}
}

// operationalStatus: OK while the domain exists in the hypervisor, Stopped when
// halted, Dormant when suspended.
func operationalStatus(s hypervisor.State) uint16 {
	switch s {
	case hypervisor.Halted:
		return 10
	case hypervisor.Suspended:
		return 15
	}
	return 2
}

func (p *Provider) systemEntry(d *toolstack.Domain) entry {
	requested := stateNoChange
	if v, ok := p.requested.Load(strings.ToLower(d.UUID)); ok {
		requested = v.(uint16)
	}
	domID := null("DomainID", cim.TypeUint32)
	if d.State.Live() {
		domID = prop("DomainID", uint32(d.ID))
	}
	// A domain is halted when defined; Domain-0 always runs and refuses every
	// state change.
	enabledDefault, avail := stateDisabled, available(d.State)
	if d.Name == hypervisor.Domain0Name {
		enabledDefault, avail = stateEnabled, nil
	}
	return providers.KeyEntry(ComputerSystemPath(d.UUID),
		prop("ElementName", d.Name),
		prop("Caption", "Xen domain"),
		prop("Description", "Xen domain "+d.Name),
		prop("NameFormat", "UUID"),
		domID,
		prop("SecurityLabel", d.EffectiveLabel),
		prop("SSIDRef", d.SSIDRef),
		prop("EnabledState", enabledState(d.State)),
		prop("RequestedState", requested),
		prop("EnabledDefault", enabledDefault),
		arrayProp("AvailableRequestedStates", cim.TypeUint16, avail...),
		arrayProp("OperationalStatus", cim.TypeUint16, operationalStatus(d.State)),
	)
}

func settingsEntry(d *toolstack.Domain) entry {
	return providers.KeyEntry(SettingsPath(d.UUID),
		prop("ElementName", d.Name),
		prop("Caption", "Xen domain configuration"),
		prop("VirtualSystemIdentifier", d.UUID),
		prop("VirtualSystemType", "Xen"),
		prop("SecurityLabel", d.Label),
		prop("Kernel", d.Kernel),
		prop("Ramdisk", d.Ramdisk),
		prop("Memory", d.MemoryMiB),
		prop("VCPUs", d.VCPUs),
	)
}

func diskEntry(uuid string, dk *toolstack.Disk) entry {
	// HostResource is the normalised resource the label store keys, when known.
	host := cim.Property{Name: "HostResource", Type: cim.TypeString, IsArray: true}
	if dk.Resource != "" {
		host.Value = []any{dk.Resource}
	}
	return providers.KeyEntry(DiskPath(uuid, dk.VirtualDevice),
		prop("ElementName", dk.VirtualDevice),
		prop("ResourceType", resourceLogicalDisk),
		prop("Address", dk.Uname),
		prop("VirtualDevice", dk.VirtualDevice),
		prop("Mode", dk.Mode),
		host,
	)
}

func vifEntry(uuid string, v *toolstack.VIF) entry {
	return providers.KeyEntry(NetworkPortPath(uuid, v.Index),
		prop("ElementName", vifName(v.Index)),
		prop("ResourceType", resourceEthernet),
		prop("Address", v.MAC),
		prop("Bridge", v.Bridge),
		prop("SecurityLabel", v.Label),
		arrayProp("Connection", cim.TypeString, v.Bridge),
	)
}

// The InstanceIDs: "Xen:<uuid>" for the settings, "Xen:<uuid>/<vdev>" for a disk,
// "Xen:<uuid>/vif<n>" for a network interface (cim-model.md §1).
func settingsID(uuid string) string       { return "Xen:" + uuid }
func diskID(uuid, vdev string) string     { return "Xen:" + uuid + "/" + vdev }
func vifID(uuid string, index int) string { return "Xen:" + uuid + "/" + vifName(index) }
func vifName(index int) string            { return "vif" + strconv.Itoa(index) }

// parseID splits an InstanceID into the domain's UUID and the device ("" for the
// settings themselves).
func parseID(id string) (uuid, dev string, ok bool) {
	rest, found := strings.CutPrefix(id, "Xen:")
	if !found {
		return "", "", false
	}
	uuid, dev, _ = strings.Cut(rest, "/")
	return uuid, dev, uuid != ""
}

// vifIndex returns n of "vif<n>".
func vifIndex(dev string) (int, bool) {
	s, ok := strings.CutPrefix(dev, "vif")
	if !ok || s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// builder completes entries of class into instances (one per enumeration).
func (p *Provider) builder(class string) *providers.Builder {
	if p.lookup == nil {
		return providers.NewBuilder(nil)
	}
	return providers.NewBuilder(p.lookup(Namespace, class))
}
