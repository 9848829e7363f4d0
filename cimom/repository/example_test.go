package repository_test

import (
	"fmt"
	"log"
	"os"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/repository"
)

// The life of a persistent store: the base schema is loaded at every start, the
// client layer is replayed on top of it, and what clients change survives.
func Example() {
	dir, err := os.MkdirTemp("", "repository-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	key := cim.Qualifier{Name: "Key", Type: cim.TypeBoolean, Value: true}
	element := &cim.Class{Name: "CIM_ManagedElement", Properties: []cim.Property{
		{Name: "InstanceID", Type: cim.TypeString, Qualifiers: cim.Qualifiers{key}, ClassOrigin: "CIM_ManagedElement"},
	}}
	start := func() *repository.Store {
		s, err := repository.Open(dir)
		if err != nil {
			log.Fatal(err)
		}
		// The base schema, as mof/compile would put it (Result.WriteTo(l)).
		err = s.Load(func(l *repository.Loader) error {
			if err := l.PutQualifierType("root/cimv2", &cim.QualifierType{Name: "Key", Type: cim.TypeBoolean, Scope: cim.ScopeProperty}); err != nil {
				return err
			}
			return l.PutClass("root/cimv2", element)
		})
		if err != nil {
			log.Fatal(err)
		}
		if err := s.Replay(); err != nil {
			log.Fatal(err)
		}
		return s
	}

	s := start()
	// A client creates a subclass (resolved against the store) and an instance.
	sch, _ := s.Schema("root/cimv2")
	mine, errs := cim.Resolve(&cim.Class{Name: "Example_Thing", SuperClass: "CIM_ManagedElement"}, sch)
	if errs != nil {
		log.Fatal(errs)
	}
	if err := s.CreateClass("root/cimv2", mine); err != nil {
		log.Fatal(err)
	}
	p, err := s.CreateInstance("root/cimv2", &cim.Instance{ClassName: "Example_Thing", Properties: []cim.Property{
		{Name: "InstanceID", Type: cim.TypeString, Value: "thing:1"},
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", p)

	// After a restart.
	s = start()
	subs, _ := s.SubclassNames("root/cimv2", "cim_managedelement", true)
	fmt.Println("subclasses:", subs)
	names, _ := s.InstanceNames("root/cimv2", "CIM_ManagedElement", true)
	fmt.Println("instances:", names)
	// Output:
	// created root/cimv2:Example_Thing.InstanceID="thing:1"
	// subclasses: [Example_Thing]
	// instances: [root/cimv2:Example_Thing.InstanceID="thing:1"]
}
