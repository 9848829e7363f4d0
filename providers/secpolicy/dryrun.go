package secpolicy

import (
	"math"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// RASD ResourceType values (CIM_ResourceAllocationSettingData) that name a device
// when an embedded instance is of a generic class.
const (
	resourceTypeEthernet    = 10
	resourceTypeDisk        = 17
	resourceTypeLogicalDisk = 31
)

// config builds the domain configuration DryRun checks from SystemSettings (a
// Xen_VirtualSystemSettingData) and ResourceSettings (Xen_DiskSettingData and
// Xen_NetworkPortSettingData), as DefineSystem reads them.
func (r *call) config() (toolstack.Config, error) {
	v, ok := r.value("SystemSettings")
	if !ok {
		return toolstack.Config{}, cim.Errorf(cim.StatusInvalidParameter, "DryRun needs System, or SystemSettings with ResourceSettings")
	}
	vssd, ok := v.(*cim.Instance)
	if !ok {
		return toolstack.Config{}, badType("SystemSettings", "an embedded instance of Xen_VirtualSystemSettingData")
	}
	var cfg toolstack.Config
	var err error
	cfg.Name, _ = propString(vssd, "ElementName")
	cfg.Label, _ = propString(vssd, "SecurityLabel")
	cfg.Kernel, _ = propString(vssd, "Kernel")
	cfg.Ramdisk, _ = propString(vssd, "Ramdisk")
	if cfg.MemoryMiB, err = propUint(vssd, "Memory", math.MaxUint64); err != nil {
		return cfg, err
	}
	vcpus, err := propUint(vssd, "VCPUs", math.MaxUint32)
	if err != nil {
		return cfg, err
	}
	cfg.VCPUs = uint32(vcpus)

	var rasds []any
	if v, ok := r.value("ResourceSettings"); ok {
		if rasds, ok = v.([]any); !ok {
			return cfg, badType("ResourceSettings", "an array of embedded instances")
		}
	}
	for i, v := range rasds {
		inst, ok := v.(*cim.Instance)
		if !ok {
			return cfg, cim.Errorf(cim.StatusInvalidParameter, "ResourceSettings[%d] must be an embedded instance", i)
		}
		switch deviceKind(inst) {
		case "disk":
			var d toolstack.Disk
			d.Uname, _ = propString(inst, "Address")
			d.VirtualDevice, _ = propString(inst, "VirtualDevice")
			d.Mode, _ = propString(inst, "Mode")
			if d.Uname == "" {
				return cfg, cim.Errorf(cim.StatusInvalidParameter, "ResourceSettings[%d]: a disk needs Address (the resource, e.g. phy:sdb1)", i)
			}
			cfg.Disks = append(cfg.Disks, d)
		case "vif":
			vif := toolstack.VIF{Index: -1}
			vif.MAC, _ = propString(inst, "Address")
			vif.Bridge, _ = propString(inst, "Bridge")
			vif.Label, _ = propString(inst, "SecurityLabel")
			if id, ok := propString(inst, "InstanceID"); ok {
				// Xen:<uuid>/vif<n> keeps the interface number.
				if _, n, found := strings.Cut(id, "/vif"); found {
					if k, err := strconv.Atoi(n); err == nil && k >= 0 {
						vif.Index = k
					}
				}
			}
			cfg.VIFs = append(cfg.VIFs, vif)
		default:
			return cfg, cim.Errorf(cim.StatusInvalidParameter, "ResourceSettings[%d]: %s is neither a disk nor a network interface", i, inst.ClassName)
		}
	}
	return cfg, nil
}

// deviceKind tells a disk from a network interface: by class, else by ResourceType.
func deviceKind(inst *cim.Instance) string {
	switch strings.ToLower(inst.ClassName) {
	case "xen_disksettingdata":
		return "disk"
	case "xen_networkportsettingdata":
		return "vif"
	}
	if pr := inst.Property("ResourceType"); pr != nil {
		if n, ok := toUint(pr.Value); ok {
			switch n {
			case resourceTypeEthernet:
				return "vif"
			case resourceTypeDisk, resourceTypeLogicalDisk:
				return "disk"
			}
		}
	}
	return ""
}

// propUint returns the unsigned integer property name of inst (0 when absent or
// NULL); a value that is not one, or exceeds limit, is CIM_ERR_INVALID_PARAMETER.
func propUint(inst *cim.Instance, name string, limit uint64) (uint64, error) {
	pr := inst.Property(name)
	if pr == nil || pr.Value == nil {
		return 0, nil
	}
	n, ok := toUint(pr.Value)
	if !ok || n > limit {
		return 0, cim.Errorf(cim.StatusInvalidParameter, "%s.%s must be an unsigned integer", inst.ClassName, name)
	}
	return n, nil
}
