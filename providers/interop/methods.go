package interop

import (
	"context"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

var _ providers.MethodProvider = (*Provider)(nil)

// InvokeMethod runs the methods of CIM_RegisteredProfile: GetCentralInstances (DSP1033
// 1.1) returns the profile's central instances; the deprecated Open/Pull/Close-
// ConformantInstances answer 1, "Not Supported", as their ValueMap allows.
func (p *Provider) InvokeMethod(ctx context.Context, ns string, target *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, nil, err
	}
	if !strings.EqualFold(target.ClassName, classRegisteredProfile) {
		return nil, nil, cim.Errorf(cim.StatusMethodNotAvailable, "%s has no methods served here", target.ClassName)
	}
	switch strings.ToLower(method) {
	case "getcentralinstances":
		prof := p.profileAt(target)
		if prof == nil {
			return nil, nil, cim.Errorf(cim.StatusNotFound, "no registered profile %s", target)
		}
		var refs []any
		if prof.Central != nil {
			central, err := prof.Central(ctx)
			if err != nil {
				return nil, nil, centralError(prof, err)
			}
			for _, c := range central {
				refs = append(refs, c)
			}
		}
		if refs == nil {
			refs = []any{}
		}
		return uint8(0), []cim.ParamValue{{Name: "CentralInstances", Type: cim.TypeReference, IsArray: true, Value: refs}}, nil
	case "openconformantinstances", "pullconformantinstances", "closeconformantinstances":
		if p.profileAt(target) == nil {
			return nil, nil, cim.Errorf(cim.StatusNotFound, "no registered profile %s", target)
		}
		return uint32(1), nil, nil // Not Supported: GetCentralInstances replaces them
	}
	return nil, nil, cim.Errorf(cim.StatusMethodNotAvailable, "method %s of %s is not served", method, target.ClassName)
}

// profileAt returns the registered profile whose instance is at path, or nil.
func (p *Provider) profileAt(path *cim.ObjectPath) *registered {
	for i := range p.profiles {
		if profilePath(&p.profiles[i]).Equal(absolute(path)) {
			return &p.profiles[i]
		}
	}
	return nil
}
