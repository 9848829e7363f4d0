package system_test

import (
	"context"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
	"github.com/shypecim/shypecim/providers/system"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// oneDomain is a toolstack with Domain-0 only, whose Define records the config.
type oneDomain struct {
	system.Toolstack // nil: the methods the test does not call
	defined          *toolstack.Config
}

var dom0 = toolstack.Domain{Config: toolstack.Config{Name: "Domain-0", UUID: "00000000-0000-0000-0000-000000000000"}, EffectiveLabel: "ACM:DEFAULT:SystemManagement"}

func (o *oneDomain) Domains(context.Context) ([]toolstack.Domain, error) {
	return []toolstack.Domain{dom0}, nil
}

func (o *oneDomain) Domain(context.Context, string) (toolstack.Domain, error) { return dom0, nil }

func (o *oneDomain) Define(_ context.Context, cfg toolstack.Config) (toolstack.Domain, error) {
	o.defined = &cfg
	cfg.UUID = "12345678-0000-0000-0000-000000000000"
	return toolstack.Domain{Config: cfg}, nil
}

// TestThroughDispatcher runs the provider behind the real dispatcher and schema:
// the instances, associations and method parameters pass its type checks.
func TestThroughDispatcher(t *testing.T) {
	store := repository.New()
	if _, err := schema.Load(store, "", schema.Namespaces...); err != nil {
		t.Fatal(err)
	}
	ts := &oneDomain{}
	p := system.New(system.Options{Toolstack: ts, HostName: "host1", Lookup: store.Class})
	d := dispatch.New(store, dispatch.Options{})
	defer d.Close()
	for _, r := range p.Registrations() {
		if err := d.Register(r); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	ns := cim.Base{Namespace: "root/cimv2"}

	res, err := d.Do(ctx, &cim.EnumerateInstances{Base: ns, ClassName: "CIM_ComputerSystem", DeepInheritance: true})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for o, err := range res.Objects {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, o.Instance.ClassName+"/"+o.Instance.Property("ElementName").Value.(string))
	}
	if len(names) != 2 {
		t.Errorf("CIM_ComputerSystem instances %v, want the host and Domain-0", names)
	}

	res, err = d.Do(ctx, &cim.AssociatorNames{Base: ns, ObjectName: p.HostPath(), AssocClass: "Xen_HostedService"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for o, err := range res.Objects {
		if err != nil {
			t.Fatal(err)
		}
		if !o.Path.Equal(p.ServicePath()) {
			t.Errorf("hosted service %s, want %s", o.Path, p.ServicePath())
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d hosted services, want 1", n)
	}

	vssd := &cim.Instance{ClassName: "Xen_VirtualSystemSettingData", Properties: []cim.Property{
		{Name: "ElementName", Type: cim.TypeString, Value: "web"},
		{Name: "Memory", Type: cim.TypeUint64, Value: uint64(256)},
	}}
	disk := &cim.Instance{ClassName: "Xen_DiskSettingData", Properties: []cim.Property{
		{Name: "Address", Type: cim.TypeString, Value: "phy:sdb1"},
		{Name: "VirtualDevice", Type: cim.TypeString, Value: "xvda1"},
	}}
	res, err = d.Do(ctx, &cim.InvokeMethod{Base: ns, Target: p.ServicePath(), MethodName: "DefineSystem", Params: []cim.ParamValue{
		{Name: "SystemSettings", Value: vssd, EmbeddedObject: "instance"},
		{Name: "ResourceSettings", Value: []any{disk}, EmbeddedObject: "instance"},
	}})
	if err != nil {
		t.Fatalf("DefineSystem: %v", err)
	}
	if res.ReturnValue != uint32(0) || len(res.OutParams) != 1 ||
		!res.OutParams[0].Value.(*cim.ObjectPath).Equal(system.ComputerSystemPath("12345678-0000-0000-0000-000000000000")) {
		t.Errorf("DefineSystem = %v, %+v", res.ReturnValue, res.OutParams)
	}
	if c := ts.defined; c == nil || c.Name != "web" || c.MemoryMiB != 256 || len(c.Disks) != 1 || c.Disks[0].Uname != "phy:sdb1" {
		t.Errorf("defined %+v", ts.defined)
	}
}
