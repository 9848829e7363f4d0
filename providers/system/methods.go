package system

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// The return values of the methods (the DMTF ValueMaps of RequestStateChange and
// of the CIM_VirtualSystemManagementService methods). Failures are CIM errors
// (cim-model.md §0), so only these two are returned.
const (
	retOK           uint32 = 0
	retNotSupported uint32 = 1
)

// InvokeMethod runs Xen_ComputerSystem.RequestStateChange and the methods of
// Xen_VirtualSystemManagementService (providers.MethodProvider).
func (p *Provider) InvokeMethod(ctx context.Context, ns string, target *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, nil, err
	}
	if target == nil {
		return nil, nil, cim.Errorf(cim.StatusInvalidParameter, "no target")
	}
	class, _ := servedClass(target.ClassName)
	var run func(context.Context, *cim.ObjectPath, []cim.ParamValue) (uint32, []cim.ParamValue, error)
	switch class {
	case ClassComputerSystem:
		if strings.EqualFold(method, "RequestStateChange") {
			run = p.requestStateChange
		}
	case ClassVSMS:
		switch strings.ToLower(method) {
		case "definesystem":
			run = p.defineSystem
		case "destroysystem":
			run = p.destroySystem
		case "addresourcesettings":
			run = p.addResourceSettings
		case "removeresourcesettings":
			run = p.removeResourceSettings
		case "modifysystemsettings":
			run = p.modifySystemSettings
		case "modifyresourcesettings":
			run = p.modifyResourceSettings
		}
		if run != nil && !target.IsClass() && !samePath(p.ServicePath(), withNamespace(target)) {
			return nil, nil, cim.Errorf(cim.StatusNotFound, "no instance %s", target)
		}
	}
	if run == nil {
		return nil, nil, cim.Errorf(cim.StatusMethodNotAvailable, "method %s.%s is not implemented", target.ClassName, method)
	}
	ret, out, err := run(ctx, target, in)
	if err != nil {
		return nil, nil, toCIMError(err)
	}
	return ret, out, nil
}

// transitions maps the RequestedState values Xen implements (cim-model.md §1).
var transitions = map[uint64]toolstack.Transition{
	2:  toolstack.Start,
	3:  toolstack.Destroy,
	4:  toolstack.Shutdown,
	6:  toolstack.Suspend,
	9:  toolstack.Pause,
	10: toolstack.Reboot,
}

// requestStateChange is Xen_ComputerSystem.RequestStateChange. A value of the
// parameter's ValueMap that Xen has no transition for (7 Test, 8 Defer, 11 Reset,
// the vendor range) returns 1 (Not Supported) and changes nothing; a value outside
// the ValueMap is CIM_ERR_INVALID_PARAMETER. TimeoutPeriod is ignored: every
// transition completes before the method returns, so no Job is ever made.
func (p *Provider) requestStateChange(ctx context.Context, target *cim.ObjectPath, in []cim.ParamValue) (uint32, []cim.ParamValue, error) {
	pv := providers.Param(in, "RequestedState")
	if pv == nil || pv.Value == nil {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "RequestedState is required")
	}
	v, err := toUint(pv.Value, 16)
	if err != nil {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "RequestedState: %v", err)
	}
	uuid, ok := domainOf(target)
	if !ok {
		return 0, nil, cim.Errorf(cim.StatusNotFound, "no instance %s", target)
	}
	d, err := p.domain(ctx, uuid)
	if err != nil {
		return 0, nil, err
	}
	to, ok := transitions[v]
	switch {
	case ok:
	case v == 7 || v == 8 || v == 11 || v >= 32768:
		return retNotSupported, nil, nil
	default:
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "RequestedState %d is not a state that can be requested", v)
	}
	if err := p.ts.RequestState(ctx, d.UUID, to); err != nil {
		return 0, nil, err
	}
	p.requested.Store(strings.ToLower(d.UUID), uint16(v))
	return retOK, nil, nil
}

// defineSystem is DefineSystem: SystemSettings (an embedded VSSD) and
// ResourceSettings (embedded RASDs) become a toolstack.Config. With
// ReferenceConfiguration the referenced domain's settings and devices are the
// starting point (DSP1042), which the given ones override and extend; its UUID is
// not taken over.
func (p *Provider) defineSystem(ctx context.Context, _ *cim.ObjectPath, in []cim.ParamValue) (uint32, []cim.ParamValue, error) {
	vssd, err := embeddedParam(in, "SystemSettings")
	if err != nil {
		return 0, nil, err
	}
	rasds, err := embeddedArrayParam(in, "ResourceSettings")
	if err != nil {
		return 0, nil, err
	}
	var cfg toolstack.Config
	if ref, err := refParam(in, "ReferenceConfiguration"); err != nil {
		return 0, nil, err
	} else if ref != nil {
		uuid, ok := domainOf(ref)
		if !ok || !sameClass(ref.ClassName, ClassVSSD) {
			return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "ReferenceConfiguration %s is no %s", ref, ClassVSSD)
		}
		d, err := p.domain(ctx, uuid)
		if err != nil {
			return 0, nil, err
		}
		cfg = d.Config
		cfg.UUID = ""
		cfg.Disks = append([]toolstack.Disk(nil), d.Disks...)
		cfg.VIFs = append([]toolstack.VIF(nil), d.VIFs...)
	}
	if vssd == nil && cfg.Name == "" {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "SystemSettings is required")
	}
	if err := addSettings(&cfg, vssd, rasds); err != nil {
		return 0, nil, err
	}
	d, err := p.ts.Define(ctx, cfg)
	if err != nil {
		return 0, nil, err
	}
	return retOK, []cim.ParamValue{{Name: "ResultingSystem", Type: cim.TypeReference, Value: ComputerSystemPath(d.UUID)}}, nil
}

// ConfigOf reads a domain's configuration from a Xen_VirtualSystemSettingData and
// its RASDs as DefineSystem takes them (also for Xen_SecurityService.DryRun).
func ConfigOf(vssd *cim.Instance, rasds []*cim.Instance) (toolstack.Config, error) {
	var cfg toolstack.Config
	err := addSettings(&cfg, vssd, rasds)
	return cfg, err
}

// addSettings sets what vssd (nil: nothing) and rasds say on cfg; the devices are
// appended, interfaces numbered by the toolstack.
func addSettings(cfg *toolstack.Config, vssd *cim.Instance, rasds []*cim.Instance) error {
	if vssd != nil {
		s, err := settingsOf(vssd)
		if err != nil {
			return err
		}
		apply(cfg, s)
		if uuid, ok, err := str(vssd, "VirtualSystemIdentifier"); err != nil {
			return err
		} else if ok {
			cfg.UUID = uuid
		}
	}
	for i, r := range rasds {
		res, err := resourceOf(r)
		if err != nil {
			return fmt.Errorf("ResourceSettings[%d]: %w", i, err)
		}
		switch {
		case res.disk != nil:
			cfg.Disks = append(cfg.Disks, *res.disk)
		case res.vif != nil:
			v := *res.vif
			v.Index = -1
			cfg.VIFs = append(cfg.VIFs, v)
		}
	}
	return nil
}

// apply sets the fields of cfg that s gives.
func apply(cfg *toolstack.Config, s toolstack.Settings) {
	if s.Name != nil {
		cfg.Name = *s.Name
	}
	if s.Kernel != nil {
		cfg.Kernel = *s.Kernel
	}
	if s.Ramdisk != nil {
		cfg.Ramdisk = *s.Ramdisk
	}
	if s.MemoryMiB != nil {
		cfg.MemoryMiB = *s.MemoryMiB
	}
	if s.VCPUs != nil {
		cfg.VCPUs = *s.VCPUs
	}
	if s.Label != nil {
		cfg.Label = *s.Label
	}
}

// destroySystem is DestroySystem: the domain is undefined (it must be halted).
func (p *Provider) destroySystem(ctx context.Context, _ *cim.ObjectPath, in []cim.ParamValue) (uint32, []cim.ParamValue, error) {
	ref, err := refParam(in, "AffectedSystem")
	if err != nil {
		return 0, nil, err
	}
	if ref == nil {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "AffectedSystem is required")
	}
	uuid, ok := domainOf(ref)
	if !ok || !sameClass(ref.ClassName, ClassComputerSystem) {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "AffectedSystem %s is no %s", ref, ClassComputerSystem)
	}
	d, err := p.domain(ctx, uuid)
	if err != nil {
		return 0, nil, err
	}
	if err := p.ts.Delete(ctx, d.UUID); err != nil {
		return 0, nil, err
	}
	p.requested.Delete(strings.ToLower(d.UUID))
	return retOK, nil, nil
}

// addResourceSettings is AddResourceSettings: each RASD is attached in order
// (hot-plugged into a running domain after the access control's check). When one
// fails, those attached before it by this call are detached again, so the call
// changes all or nothing.
func (p *Provider) addResourceSettings(ctx context.Context, _ *cim.ObjectPath, in []cim.ParamValue) (uint32, []cim.ParamValue, error) {
	ref, err := refParam(in, "AffectedConfiguration")
	if err != nil {
		return 0, nil, err
	}
	if ref == nil {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "AffectedConfiguration is required")
	}
	uuid, ok := domainOf(ref)
	if !ok || !sameClass(ref.ClassName, ClassVSSD) {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "AffectedConfiguration %s is no %s", ref, ClassVSSD)
	}
	rasds, err := embeddedArrayParam(in, "ResourceSettings")
	if err != nil {
		return 0, nil, err
	}
	res := make([]resource, len(rasds))
	for i, r := range rasds {
		if res[i], err = resourceOf(r); err != nil {
			return 0, nil, fmt.Errorf("ResourceSettings[%d]: %w", i, err)
		}
	}
	d, err := p.domain(ctx, uuid)
	if err != nil {
		return 0, nil, err
	}
	var added []any
	undo := func() {
		// Best effort: the error the caller sees is the attach's.
		for _, a := range added {
			id, _ := a.(*cim.ObjectPath).Key("InstanceID")
			_, dev, _ := parseID(id.(string))
			if n, ok := vifIndex(dev); ok && sameClass(a.(*cim.ObjectPath).ClassName, ClassNetworkPort) {
				_ = p.ts.DetachVIF(ctx, d.UUID, n)
			} else {
				_ = p.ts.DetachDisk(ctx, d.UUID, dev)
			}
		}
	}
	for _, r := range res {
		switch {
		case r.disk != nil:
			dk, err := p.ts.AttachDisk(ctx, d.UUID, *r.disk)
			if err != nil {
				undo()
				return 0, nil, err
			}
			added = append(added, DiskPath(d.UUID, dk.VirtualDevice))
		case r.vif != nil:
			v := *r.vif
			v.Index = -1
			v, err := p.ts.AttachVIF(ctx, d.UUID, v)
			if err != nil {
				undo()
				return 0, nil, err
			}
			added = append(added, NetworkPortPath(d.UUID, v.Index))
		}
	}
	return retOK, []cim.ParamValue{{Name: "ResultingResourceSettings", Type: cim.TypeReference, IsArray: true, Value: added}}, nil
}

// removeResourceSettings is RemoveResourceSettings: each referenced disk or
// network interface is detached, in order.
func (p *Provider) removeResourceSettings(ctx context.Context, _ *cim.ObjectPath, in []cim.ParamValue) (uint32, []cim.ParamValue, error) {
	refs, err := refArrayParam(in, "ResourceSettings")
	if err != nil {
		return 0, nil, err
	}
	type device struct {
		uuid, vdev string
		vif        int
	}
	devs := make([]device, len(refs))
	for i, ref := range refs {
		v, _ := ref.Key("InstanceID")
		id, _ := v.(string)
		uuid, dev, ok := parseID(id)
		switch {
		case !ok || dev == "":
			return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "ResourceSettings[%d]: %s names no device", i, ref)
		case sameClass(ref.ClassName, ClassDisk):
			devs[i] = device{uuid: uuid, vdev: dev, vif: -1}
		case sameClass(ref.ClassName, ClassNetworkPort):
			n, ok := vifIndex(dev)
			if !ok {
				return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "ResourceSettings[%d]: %s names no network interface", i, ref)
			}
			devs[i] = device{uuid: uuid, vif: n}
		default:
			return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "ResourceSettings[%d]: %s is neither a %s nor a %s", i, ref, ClassDisk, ClassNetworkPort)
		}
	}
	for _, dv := range devs {
		d, err := p.domain(ctx, dv.uuid)
		if err != nil {
			return 0, nil, err
		}
		if dv.vif >= 0 {
			err = p.ts.DetachVIF(ctx, d.UUID, dv.vif)
		} else {
			err = p.ts.DetachDisk(ctx, d.UUID, dv.vdev)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	return retOK, nil, nil
}

// modifySystemSettings is ModifySystemSettings: the VSSD's InstanceID names the
// domain; the properties it carries (not NULL) change, the others stay.
func (p *Provider) modifySystemSettings(ctx context.Context, _ *cim.ObjectPath, in []cim.ParamValue) (uint32, []cim.ParamValue, error) {
	vssd, err := embeddedParam(in, "SystemSettings")
	if err != nil {
		return 0, nil, err
	}
	if vssd == nil {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "SystemSettings is required")
	}
	id, _, err := str(vssd, "InstanceID")
	if err != nil {
		return 0, nil, err
	}
	uuid, dev, ok := parseID(id)
	if !ok || dev != "" {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "SystemSettings.InstanceID %q names no domain's settings", id)
	}
	d, err := p.domain(ctx, uuid)
	if err != nil {
		return 0, nil, err
	}
	if vsi, ok, err := str(vssd, "VirtualSystemIdentifier"); err != nil {
		return 0, nil, err
	} else if ok && !strings.EqualFold(vsi, d.UUID) {
		return 0, nil, cim.Errorf(cim.StatusInvalidParameter, "VirtualSystemIdentifier (the UUID) cannot change")
	}
	s, err := settingsOf(vssd)
	if err != nil {
		return 0, nil, err
	}
	if _, err := p.ts.Modify(ctx, d.UUID, s); err != nil {
		return 0, nil, err
	}
	return retOK, nil, nil
}

// modifyResourceSettings is ModifyResourceSettings: a disk's Address and Mode
// change through ModifyDisk; a network interface's SecurityLabel through
// SetVIFLabel (its MAC address and bridge cannot change). Each RASD is named by
// its InstanceID.
func (p *Provider) modifyResourceSettings(ctx context.Context, _ *cim.ObjectPath, in []cim.ParamValue) (uint32, []cim.ParamValue, error) {
	rasds, err := embeddedArrayParam(in, "ResourceSettings")
	if err != nil {
		return 0, nil, err
	}
	var out []any
	for i, r := range rasds {
		path, err := p.modifyResource(ctx, r)
		if err != nil {
			return 0, nil, fmt.Errorf("ResourceSettings[%d]: %w", i, err)
		}
		out = append(out, path)
	}
	return retOK, []cim.ParamValue{{Name: "ResultingResourceSettings", Type: cim.TypeReference, IsArray: true, Value: out}}, nil
}

func (p *Provider) modifyResource(ctx context.Context, r *cim.Instance) (*cim.ObjectPath, error) {
	id, _, err := str(r, "InstanceID")
	if err != nil {
		return nil, err
	}
	uuid, dev, ok := parseID(id)
	if !ok || dev == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "InstanceID %q names no device", id)
	}
	d, err := p.domain(ctx, uuid)
	if err != nil {
		return nil, err
	}
	res, err := resourceOf(r)
	if err != nil {
		return nil, err
	}
	if res.vif != nil {
		n, ok := vifIndex(dev)
		if !ok {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "InstanceID %q names no network interface", id)
		}
		return NetworkPortPath(d.UUID, n), p.modifyVIF(ctx, &d, n, r)
	}
	cur := findDisk(&d, dev)
	if cur == nil {
		return nil, cim.Errorf(cim.StatusNotFound, "domain %s has no block device %s", d.Name, dev)
	}
	if res.given["VirtualDevice"] && !strings.EqualFold(res.disk.VirtualDevice, cur.VirtualDevice) {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "VirtualDevice %s cannot change (InstanceID names %s)", res.disk.VirtualDevice, dev)
	}
	nd := *cur
	nd.Resource = ""
	if res.given["Address"] {
		nd.Uname = res.disk.Uname
	}
	if res.given["Mode"] {
		nd.Mode = res.disk.Mode
	}
	if err := p.ts.ModifyDisk(ctx, d.UUID, nd); err != nil {
		return nil, err
	}
	return DiskPath(d.UUID, cur.VirtualDevice), nil
}

// modifyVIF changes what inst gives of network interface n of d: only its
// SecurityLabel can change; a MAC address or bridge given must be the current one.
func (p *Provider) modifyVIF(ctx context.Context, d *toolstack.Domain, n int, inst *cim.Instance) error {
	var cur *toolstack.VIF
	for i := range d.VIFs {
		if d.VIFs[i].Index == n {
			cur = &d.VIFs[i]
		}
	}
	if cur == nil {
		return cim.Errorf(cim.StatusNotFound, "domain %s has no network interface %s", d.Name, vifName(n))
	}
	for name, now := range map[string]string{"Address": cur.MAC, "Bridge": cur.Bridge} {
		v, ok, err := str(inst, name)
		if err != nil {
			return err
		}
		if ok && !strings.EqualFold(v, now) {
			return cim.Errorf(cim.StatusNotSupported, "the %s of a network interface cannot change; only its SecurityLabel can", name)
		}
	}
	label, ok, err := str(inst, "SecurityLabel")
	if err != nil || !ok || label == cur.Label {
		return err
	}
	return p.ts.SetVIFLabel(ctx, d.UUID, n, label, cur.Label)
}

func findDisk(d *toolstack.Domain, vdev string) *toolstack.Disk {
	for i := range d.Disks {
		if strings.EqualFold(d.Disks[i].VirtualDevice, vdev) {
			return &d.Disks[i]
		}
	}
	return nil
}

// ModifyInstance changes the SecurityLabel of a Xen_NetworkPortSettingData (xm
// addlabel <label> vif-<n> <domain>). Other properties may be given with their
// current values; other classes cannot be modified.
func (p *Provider) ModifyInstance(ctx context.Context, ns string, path *cim.ObjectPath, inst *cim.Instance, props []string) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if path == nil || inst == nil {
		return cim.Errorf(cim.StatusInvalidParameter, "no instance")
	}
	if !sameClass(path.ClassName, ClassNetworkPort) {
		return cim.Errorf(cim.StatusNotSupported, "instances of %s cannot be modified; use the methods of %s", path.ClassName, ClassVSMS)
	}
	uuid, dev, _ := parseID(keyString(path, "InstanceID"))
	n, ok := vifIndex(dev)
	if !ok {
		return cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	d, err := p.domain(ctx, uuid)
	if err != nil {
		return err
	}
	// Only what props names counts; a NULL SecurityLabel removes the label.
	given := &cim.Instance{ClassName: inst.ClassName}
	for _, name := range props {
		v := inst.Property(name)
		if v == nil {
			continue
		}
		switch strings.ToLower(name) {
		case "instanceid", "elementname", "resourcetype", "connection", "caption", "description":
			continue // keys and values the provider derives; the dispatcher checked the key
		case "securitylabel":
			if v.Value == nil {
				v = &cim.Property{Name: v.Name, Type: cim.TypeString, Value: ""}
			}
		case "address", "bridge":
		default:
			if v.Value != nil {
				return cim.Errorf(cim.StatusNotSupported, "%s.%s cannot be modified", ClassNetworkPort, name)
			}
			continue
		}
		given.Properties = append(given.Properties, *v)
	}
	return toCIMError(p.modifyVIF(ctx, &d, n, given))
}

// CreateInstance is not supported: domains and devices are defined through the
// methods of Xen_VirtualSystemManagementService.
func (p *Provider) CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	return nil, cim.Errorf(cim.StatusNotSupported, "use %s.DefineSystem or AddResourceSettings", ClassVSMS)
}

// DeleteInstance is not supported: see CreateInstance.
func (p *Provider) DeleteInstance(ctx context.Context, ns string, path *cim.ObjectPath) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	return cim.Errorf(cim.StatusNotSupported, "use %s.DestroySystem or RemoveResourceSettings", ClassVSMS)
}

func keyString(path *cim.ObjectPath, name string) string {
	v, _ := path.Key(name)
	s, _ := v.(string)
	return s
}

// settingsOf reads the properties of a VSSD that ModifySystemSettings and
// DefineSystem take; a property absent or NULL stays nil.
func settingsOf(vssd *cim.Instance) (toolstack.Settings, error) {
	var s toolstack.Settings
	for name, dst := range map[string]**string{
		"ElementName": &s.Name, "Kernel": &s.Kernel, "Ramdisk": &s.Ramdisk, "SecurityLabel": &s.Label,
	} {
		v, ok, err := str(vssd, name)
		if err != nil {
			return s, err
		}
		if ok {
			*dst = &v
		}
	}
	if m, ok, err := uintProp(vssd, "Memory", 64); err != nil {
		return s, err
	} else if ok {
		s.MemoryMiB = &m
	}
	if n, ok, err := uintProp(vssd, "VCPUs", 32); err != nil {
		return s, err
	} else if ok {
		v := uint32(n)
		s.VCPUs = &v
	}
	return s, nil
}

// resource is a RASD read: a disk or a network interface, and which of its
// properties were given.
type resource struct {
	disk  *toolstack.Disk
	vif   *toolstack.VIF
	given map[string]bool
}

// resourceOf reads a RASD by its class: Xen_DiskSettingData (Address,
// VirtualDevice, Mode), Xen_NetworkPortSettingData (Address = MAC, Bridge,
// SecurityLabel), or a CIM_ResourceAllocationSettingData whose ResourceType says
// which (17 Disk Drive or 31 Logical Disk; 10 Ethernet Adapter or 33 Ethernet
// Connection), the virtual device then in VirtualDevice or AddressOnParent and the
// bridge in Bridge or Connection[0].
func resourceOf(r *cim.Instance) (resource, error) {
	res := resource{given: map[string]bool{}}
	kind := ""
	switch {
	case sameClass(r.ClassName, ClassDisk):
		kind = "disk"
	case sameClass(r.ClassName, ClassNetworkPort):
		kind = "vif"
	default:
		t, ok, err := uintProp(r, "ResourceType", 16)
		if err != nil {
			return res, err
		}
		switch {
		case ok && (uint16(t) == resourceDiskDrive || uint16(t) == resourceLogicalDisk):
			kind = "disk"
		case ok && (uint16(t) == resourceEthernet || uint16(t) == resourceEthernetCon):
			kind = "vif"
		default:
			return res, cim.Errorf(cim.StatusInvalidParameter,
				"a resource setting of class %s (ResourceType %d) is neither a disk (%s, ResourceType 31) nor a network interface (%s, ResourceType 10)",
				r.ClassName, t, ClassDisk, ClassNetworkPort)
		}
	}
	read := func(names ...string) (string, error) {
		for _, n := range names {
			v, ok, err := str(r, n)
			if err != nil {
				return "", err
			}
			if ok {
				res.given[names[0]] = true
				return v, nil
			}
		}
		return "", nil
	}
	var err error
	if kind == "disk" {
		var dk toolstack.Disk
		if dk.Uname, err = read("Address"); err != nil {
			return res, err
		}
		if dk.VirtualDevice, err = read("VirtualDevice", "AddressOnParent"); err != nil {
			return res, err
		}
		if dk.Mode, err = read("Mode"); err != nil {
			return res, err
		}
		if dk.Mode == "" {
			dk.Mode = "w" // xm's default for a disk line without mode
		}
		res.disk = &dk
		return res, nil
	}
	v := toolstack.VIF{Index: -1}
	if v.MAC, err = read("Address"); err != nil {
		return res, err
	}
	if v.Bridge, err = read("Bridge"); err != nil {
		return res, err
	}
	if !res.given["Bridge"] {
		if p := r.Property("Connection"); p != nil {
			if a, ok := p.Value.([]any); ok && len(a) > 0 {
				v.Bridge, _ = a[0].(string)
			}
		}
	}
	if v.Label, err = read("SecurityLabel"); err != nil {
		return res, err
	}
	res.vif = &v
	return res, nil
}

// Parameters. The dispatcher types them from the method's declaration; embedded
// instances arrive as *cim.Instance (the codec decodes them).

func embeddedValue(name string, v any) (*cim.Instance, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *cim.Instance:
		return x, nil
	case string:
		return nil, cim.Errorf(cim.StatusInvalidParameter, "%s must be an embedded instance, not a plain string", name)
	}
	return nil, cim.Errorf(cim.StatusInvalidParameter, "%s must be an embedded instance, not %T", name, v)
}

func embeddedParam(in []cim.ParamValue, name string) (*cim.Instance, error) {
	pv := providers.Param(in, name)
	if pv == nil {
		return nil, nil
	}
	return embeddedValue(name, pv.Value)
}

func embeddedArrayParam(in []cim.ParamValue, name string) ([]*cim.Instance, error) {
	pv := providers.Param(in, name)
	if pv == nil || pv.Value == nil {
		return nil, nil
	}
	var out []*cim.Instance
	add := func(i int, v any) error {
		inst, err := embeddedValue(name+"["+strconv.Itoa(i)+"]", v)
		if err == nil && inst != nil {
			out = append(out, inst)
		}
		return err
	}
	switch a := pv.Value.(type) {
	case []any:
		for i, v := range a {
			if err := add(i, v); err != nil {
				return nil, err
			}
		}
	case []*cim.Instance:
		for i, v := range a {
			if err := add(i, v); err != nil {
				return nil, err
			}
		}
	default:
		// A single value where an array is declared: taken as an array of one.
		if err := add(0, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func refValue(name string, v any) (*cim.ObjectPath, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *cim.ObjectPath:
		return x, nil
	case string:
		ref, err := cim.ParseObjectPath(x)
		if err != nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "%s: %v", name, err)
		}
		return ref, nil
	}
	return nil, cim.Errorf(cim.StatusInvalidParameter, "%s must be a reference, not %T", name, v)
}

func refParam(in []cim.ParamValue, name string) (*cim.ObjectPath, error) {
	pv := providers.Param(in, name)
	if pv == nil {
		return nil, nil
	}
	return refValue(name, pv.Value)
}

func refArrayParam(in []cim.ParamValue, name string) ([]*cim.ObjectPath, error) {
	pv := providers.Param(in, name)
	if pv == nil || pv.Value == nil {
		return nil, nil
	}
	var vals []any
	switch a := pv.Value.(type) {
	case []any:
		vals = a
	case []*cim.ObjectPath:
		for _, r := range a {
			vals = append(vals, r)
		}
	default:
		vals = []any{a}
	}
	var out []*cim.ObjectPath
	for i, v := range vals {
		ref, err := refValue(name+"["+strconv.Itoa(i)+"]", v)
		if err != nil {
			return nil, err
		}
		if ref != nil {
			out = append(out, ref)
		}
	}
	return out, nil
}

// Properties of embedded instances, read leniently: a client may send them typed
// or as untyped text.

// str returns the value of the string property name; ok is false when it is
// absent or NULL.
func str(inst *cim.Instance, name string) (string, bool, error) {
	p := inst.Property(name)
	if p == nil || p.Value == nil {
		return "", false, nil
	}
	switch v := p.Value.(type) {
	case string:
		return v, true, nil
	case cim.Datetime:
		return string(v), true, nil
	}
	return "", false, cim.Errorf(cim.StatusInvalidParameter, "%s.%s must be a string, not %T", inst.ClassName, name, p.Value)
}

// uintProp returns the value of the unsigned integer property name, which must fit
// in bits; ok is false when it is absent or NULL.
func uintProp(inst *cim.Instance, name string, bits int) (uint64, bool, error) {
	p := inst.Property(name)
	if p == nil || p.Value == nil {
		return 0, false, nil
	}
	v, err := toUint(p.Value, bits)
	if err != nil {
		return 0, false, cim.Errorf(cim.StatusInvalidParameter, "%s.%s: %v", inst.ClassName, name, err)
	}
	return v, true, nil
}

var errNotUint = errors.New("not an unsigned integer")

// toUint converts an integer of any Go integer type, or its decimal text, to a
// uint64 that fits in bits.
func toUint(v any, bits int) (uint64, error) {
	var u uint64
	switch x := v.(type) {
	case uint8:
		u = uint64(x)
	case uint16:
		u = uint64(x)
	case uint32:
		u = uint64(x)
	case uint64:
		u = x
	case uint:
		u = uint64(x)
	case int8, int16, int32, int64, int:
		i := toInt64(x)
		if i < 0 {
			return 0, fmt.Errorf("%d: %w", i, errNotUint)
		}
		u = uint64(i)
	case string:
		var err error
		if u, err = strconv.ParseUint(strings.TrimSpace(x), 0, 64); err != nil {
			return 0, fmt.Errorf("%q: %w", x, errNotUint)
		}
	default:
		return 0, fmt.Errorf("%T: %w", v, errNotUint)
	}
	if bits < 64 && u >= 1<<bits {
		return 0, fmt.Errorf("%d does not fit in %d bits", u, bits)
	}
	return u, nil
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return 0
}
