package interop_test

import (
	"context"
	"fmt"
	"log"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
	"github.com/shypecim/shypecim/providers/interop"
)

// The provider on the repository, as cmd/shyped wires it, answering what pywbem's
// WBEMServer asks first.
func Example() {
	store := repository.New()
	if _, err := schema.Load(store, "", schema.Namespaces...); err != nil {
		log.Fatal(err)
	}
	vtpm := &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_VTPMManagementService",
		Keys: []cim.KeyBinding{{Name: "Name", Value: "vtpm"}}}
	p := interop.New(interop.Options{
		Namespaces: store,
		Version:    "0.1.0",
		SystemName: "host1",
		Lookup:     store.Class,
		Profiles: []interop.Profile{{
			Organization: interop.OrganizationOther, OtherOrganization: "Xen",
			Name: "Virtual TPM", Version: "1.0.0",
			Central: func(context.Context) ([]*cim.ObjectPath, error) { return []*cim.ObjectPath{vtpm}, nil },
		}},
	})
	ctx := context.Background()

	names, err := p.EnumerateInstanceNames(ctx, interop.Namespace, "CIM_Namespace")
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range names {
		name, _ := n.Key("Name")
		fmt.Println("namespace:", name)
	}
	for om, err := range p.EnumerateInstances(ctx, interop.Namespace, "CIM_ObjectManager") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("brand:", om.Property("ElementName").Value, "/", om.Property("Description").Value)
	}
	for prof, err := range p.EnumerateInstances(ctx, interop.Namespace, "CIM_RegisteredProfile") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("profile:", prof.Property("InstanceID").Value)
	}
	for ect, err := range p.EnumerateInstances(ctx, interop.Namespace, "CIM_ElementConformsToProfile") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("central:", ect.Property("ManagedElement").Value.(*cim.ObjectPath).ClassName)
	}
	// Output:
	// namespace: interop
	// namespace: root/cimv2
	// brand: shypecim / shypecim version 0.1.0
	// profile: DMTF+Profile Registration+1.0.0
	// profile: Xen+Virtual TPM+1.0.0
	// central: CIM_ObjectManager
	// central: Xen_VTPMManagementService
}
