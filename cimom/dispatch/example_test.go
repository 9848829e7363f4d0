package dispatch_test

import (
	"context"
	"fmt"
	"log"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
)

// A dispatcher on a repository: a client creates a class and an instance, whose
// untyped values are typed against the class, and reads a property back.
func Example() {
	s := repository.New()
	if err := s.CreateNamespace("root/example"); err != nil {
		log.Fatal(err)
	}
	d := dispatch.New(s, dispatch.Options{})
	defer d.Close()
	ctx := context.Background()
	b := cim.Base{Namespace: "root/example"}
	key := cim.Qualifier{Name: "Key", Type: cim.TypeBoolean, Value: true}
	for _, op := range []cim.Op{
		&cim.SetQualifier{Base: b, QualifierDeclaration: &cim.QualifierType{Name: "Key", Type: cim.TypeBoolean, Scope: cim.ScopeProperty | cim.ScopeReference}},
		&cim.CreateClass{Base: b, NewClass: &cim.Class{Name: "Ex_Disk", Properties: []cim.Property{
			{Name: "Id", Type: cim.TypeString, Qualifiers: cim.Qualifiers{key}},
			{Name: "Size", Type: cim.TypeUint64},
		}}},
	} {
		if _, err := d.Do(ctx, op); err != nil {
			log.Fatal(err)
		}
	}
	res, err := d.Do(ctx, &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "Ex_Disk",
		Properties: []cim.Property{{Name: "Id", Value: "d0"}, {Name: "Size", Value: "1024"}}}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", res.Path)
	res, err = d.Do(ctx, &cim.GetProperty{Base: b, InstanceName: res.Path, PropertyName: "size"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Size = %v (%T)\n", res.Value, res.Value)
	_, err = d.Do(ctx, &cim.GetClass{Base: cim.Base{Namespace: "root/nope"}, ClassName: "Ex_Disk"})
	fmt.Println(err)
	// Output:
	// created root/example:Ex_Disk.Id="d0"
	// Size = 1024 (uint64)
	// CIM_ERR_INVALID_NAMESPACE: namespace "root/nope" does not exist
}
