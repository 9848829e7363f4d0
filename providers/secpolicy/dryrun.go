package secpolicy

import (
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers/system"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// config builds the domain configuration DryRun checks from SystemSettings (a
// Xen_VirtualSystemSettingData) and ResourceSettings (Xen_DiskSettingData and
// Xen_NetworkPortSettingData), read exactly as DefineSystem reads them.
func (r *call) config() (toolstack.Config, error) {
	v, ok := r.value("SystemSettings")
	if !ok {
		return toolstack.Config{}, cim.Errorf(cim.StatusInvalidParameter, "DryRun needs System, or SystemSettings with ResourceSettings")
	}
	vssd, ok := v.(*cim.Instance)
	if !ok {
		return toolstack.Config{}, badType("SystemSettings", "an embedded instance of Xen_VirtualSystemSettingData")
	}
	var rasds []*cim.Instance
	if v, ok := r.value("ResourceSettings"); ok {
		a, ok := v.([]any)
		if !ok {
			return toolstack.Config{}, badType("ResourceSettings", "an array of embedded instances")
		}
		for i, e := range a {
			inst, ok := e.(*cim.Instance)
			if !ok {
				return toolstack.Config{}, cim.Errorf(cim.StatusInvalidParameter, "ResourceSettings[%d] must be an embedded instance", i)
			}
			rasds = append(rasds, inst)
		}
	}
	return system.ConfigOf(vssd, rasds)
}
