package interop

import (
	"context"
	"errors"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestGetCentralInstances(t *testing.T) {
	p := New(Options{Version: "1.2.3", SystemName: "host1", Profiles: []Profile{{
		Organization: OrganizationOther, OtherOrganization: "Xen", Name: "Virtual TPM", Version: "1.0.0",
		Central: func(context.Context) ([]*cim.ObjectPath, error) {
			return []*cim.ObjectPath{{Namespace: "root/cimv2", ClassName: "Xen_VTPMManagementService",
				Keys: []cim.KeyBinding{{Name: "Name", Value: "vtpm"}}}}, nil
		},
	}}})
	ctx := context.Background()
	target := &cim.ObjectPath{Namespace: "interop", ClassName: "CIM_RegisteredProfile",
		Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen+Virtual TPM+1.0.0"}}}
	ret, out, err := p.InvokeMethod(ctx, "interop", target, "GetCentralInstances", nil)
	if err != nil || ret != uint8(0) || len(out) != 1 || out[0].Name != "CentralInstances" || out[0].Type != cim.TypeReference {
		t.Fatalf("GetCentralInstances = %v, %+v, %v", ret, out, err)
	}
	refs := out[0].Value.([]any)
	if len(refs) != 1 || refs[0].(*cim.ObjectPath).ClassName != "Xen_VTPMManagementService" {
		t.Errorf("central instances = %v", refs)
	}

	// Profile Registration: the object manager.
	target.Keys[0].Value = "DMTF+Profile Registration+1.0.0"
	_, out, err = p.InvokeMethod(ctx, "interop", target, "getcentralinstances", nil)
	if err != nil || len(out[0].Value.([]any)) != 1 || out[0].Value.([]any)[0].(*cim.ObjectPath).ClassName != "CIM_ObjectManager" {
		t.Errorf("Profile Registration central instances = %+v, %v", out, err)
	}

	if ret, _, err := p.InvokeMethod(ctx, "interop", target, "OpenConformantInstances", nil); err != nil || ret != uint32(1) {
		t.Errorf("OpenConformantInstances = %v, %v; want 1 (Not Supported)", ret, err)
	}
	target.Keys[0].Value = "DMTF+Nothing+1.0.0"
	if _, _, err := p.InvokeMethod(ctx, "interop", target, "GetCentralInstances", nil); !errors.Is(err, &cim.Error{Code: cim.StatusNotFound}) {
		t.Errorf("unknown profile: %v, want CIM_ERR_NOT_FOUND", err)
	}
	om := &cim.ObjectPath{Namespace: "interop", ClassName: "CIM_ObjectManager"}
	if _, _, err := p.InvokeMethod(ctx, "interop", om, "StartService", nil); !errors.Is(err, &cim.Error{Code: cim.StatusMethodNotAvailable}) {
		t.Errorf("CIM_ObjectManager.StartService: %v, want CIM_ERR_METHOD_NOT_AVAILABLE", err)
	}
}
