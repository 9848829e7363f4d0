package compile

import (
	"fmt"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Sink receives compiled declarations; the repository satisfies it. Classes arrive
// resolved, superclasses first; instances after their classes.
type Sink interface {
	PutQualifierType(ns string, qt *cim.QualifierType) error
	PutClass(ns string, c *cim.Class) error
	PutInstance(ns string, inst *cim.Instance) error
}

// Result holds what a Compiler produced, per namespace in order of first use.
type Result struct {
	Namespaces []*Namespace
	byName     map[string]*Namespace
}

// Namespace holds the declarations compiled into one namespace, in definition order.
type Namespace struct {
	Name           string
	QualifierTypes []*cim.QualifierType
	Classes        []*cim.Class
	Instances      []*cim.Instance

	qualifiers map[string]*cim.QualifierType
	classes    map[string]*cim.Class
	instances  map[string]bool // canonical paths
	aliases    map[string]*cim.ObjectPath
}

func newResult() *Result { return &Result{byName: map[string]*Namespace{}} }

func nsKey(ns string) string { return strings.ToLower(strings.Trim(ns, "/")) }

// Namespace returns the namespace named name (case-insensitive), or nil.
func (r *Result) Namespace(name string) *Namespace { return r.byName[nsKey(name)] }

func (r *Result) namespace(name string) *Namespace {
	k := nsKey(name)
	if n := r.byName[k]; n != nil {
		return n
	}
	n := &Namespace{
		Name:       strings.Trim(name, "/"),
		qualifiers: map[string]*cim.QualifierType{},
		classes:    map[string]*cim.Class{},
		instances:  map[string]bool{},
		aliases:    map[string]*cim.ObjectPath{},
	}
	r.byName[k] = n
	r.Namespaces = append(r.Namespaces, n)
	return n
}

// QualifierType returns the qualifier type named name, or nil.
func (n *Namespace) QualifierType(name string) *cim.QualifierType {
	return n.qualifiers[strings.ToLower(name)]
}

// Class returns the class named name, or nil.
func (n *Namespace) Class(name string) *cim.Class { return n.classes[strings.ToLower(name)] }

// Counts summarises a result.
type Counts struct {
	Classes, Associations, Indications, QualifierTypes, Instances int
}

// String returns the summary line of mofc check:
// "1631 classes (643 associations, 12 indications), 70 qualifier types, 0 instances".
func (c Counts) String() string {
	return fmt.Sprintf("%d %s (%d %s, %d %s), %d qualifier %s, %d %s",
		c.Classes, plural(c.Classes, "class", "classes"),
		c.Associations, plural(c.Associations, "association", "associations"),
		c.Indications, plural(c.Indications, "indication", "indications"),
		c.QualifierTypes, plural(c.QualifierTypes, "type", "types"),
		c.Instances, plural(c.Instances, "instance", "instances"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Counts returns the number of declarations of each kind, over all namespaces.
func (r *Result) Counts() Counts {
	var c Counts
	for _, n := range r.Namespaces {
		c.QualifierTypes += len(n.QualifierTypes)
		c.Instances += len(n.Instances)
		c.Classes += len(n.Classes)
		for _, cl := range n.Classes {
			if cl.IsAssociation() {
				c.Associations++
			}
			if cl.IsIndication() {
				c.Indications++
			}
		}
	}
	return c
}

// WriteTo puts every declaration into s: per namespace, the qualifier types, then the
// classes in definition order (superclasses first), then the instances. It stops at
// the first error.
func (r *Result) WriteTo(s Sink) error {
	for _, n := range r.Namespaces {
		for _, qt := range n.QualifierTypes {
			if err := s.PutQualifierType(n.Name, qt); err != nil {
				return fmt.Errorf("qualifier type %s in %s: %w", qt.Name, n.Name, err)
			}
		}
		for _, c := range n.Classes {
			if err := s.PutClass(n.Name, c); err != nil {
				return fmt.Errorf("class %s in %s: %w", c.Name, n.Name, err)
			}
		}
		for _, in := range n.Instances {
			if err := s.PutInstance(n.Name, in); err != nil {
				return fmt.Errorf("instance of %s in %s: %w", in.ClassName, n.Name, err)
			}
		}
	}
	return nil
}

// QualifierType returns the qualifier type name of namespace ns, or nil; with Class it
// lets a Result serve as the Base of another compilation.
func (r *Result) QualifierType(ns, name string) *cim.QualifierType {
	if n := r.Namespace(ns); n != nil {
		return n.QualifierType(name)
	}
	return nil
}

// Class returns the class name of namespace ns, or nil.
func (r *Result) Class(ns, name string) *cim.Class {
	if n := r.Namespace(ns); n != nil {
		return n.Class(name)
	}
	return nil
}

// Add returns the sum of two Counts.
func (c Counts) Add(d Counts) Counts {
	return Counts{
		Classes:        c.Classes + d.Classes,
		Associations:   c.Associations + d.Associations,
		Indications:    c.Indications + d.Indications,
		QualifierTypes: c.QualifierTypes + d.QualifierTypes,
		Instances:      c.Instances + d.Instances,
	}
}

// Renamed returns a Sink that puts everything into namespace ns of s, whatever
// namespace the declarations were compiled into.
func Renamed(s Sink, ns string) Sink { return renamed{s, ns} }

type renamed struct {
	s  Sink
	ns string
}

func (r renamed) PutQualifierType(_ string, qt *cim.QualifierType) error {
	return r.s.PutQualifierType(r.ns, qt)
}
func (r renamed) PutClass(_ string, c *cim.Class) error        { return r.s.PutClass(r.ns, c) }
func (r renamed) PutInstance(_ string, in *cim.Instance) error { return r.s.PutInstance(r.ns, in) }
