package dispatch

import (
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Class and qualifier operations (cimxml.md §3.3): straight to the repository,
// classes resolved with cim.Resolve.

func (d *Dispatcher) getClass(ns string, o *cim.GetClass) (*cim.Result, error) {
	if o.ClassName == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "ClassName is required")
	}
	c := d.s.Class(ns, o.ClassName)
	if c == nil {
		return nil, cim.Errorf(cim.StatusNotFound, "class %s does not exist", o.ClassName)
	}
	return &cim.Result{Class: c}, nil
}

// subclassNames checks that class (if not "") exists, as CIM_ERR_INVALID_CLASS,
// and returns the names EnumerateClasses/EnumerateClassNames return.
func (d *Dispatcher) subclassNames(ns, class string, deep bool) ([]string, error) {
	if class != "" && d.s.Class(ns, class) == nil {
		return nil, cim.Errorf(cim.StatusInvalidClass, "class %s does not exist", class)
	}
	return d.s.SubclassNames(ns, class, deep)
}

func (d *Dispatcher) enumerateClasses(ns string, o *cim.EnumerateClasses) (*cim.Result, error) {
	names, err := d.subclassNames(ns, o.ClassName, o.DeepInheritance)
	if err != nil {
		return nil, err
	}
	out := make([]*cim.Class, 0, len(names))
	for _, n := range names {
		if c := d.s.Class(ns, n); c != nil {
			out = append(out, c)
		}
	}
	return &cim.Result{Classes: out}, nil
}

func (d *Dispatcher) enumerateClassNames(ns string, o *cim.EnumerateClassNames) (*cim.Result, error) {
	names, err := d.subclassNames(ns, o.ClassName, o.DeepInheritance)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	return &cim.Result{ClassNames: names}, nil
}

// localClass returns c without the elements a client may have sent marked as
// propagated: cim.Resolve wants the local elements only.
func localClass(c *cim.Class) *cim.Class {
	out := &cim.Class{Name: c.Name, SuperClass: c.SuperClass, Qualifiers: c.Qualifiers.Local()}
	for _, p := range c.Properties {
		if p.Propagated {
			continue
		}
		p.Qualifiers = p.Qualifiers.Local()
		p.ClassOrigin = ""
		out.Properties = append(out.Properties, p)
	}
	for _, m := range c.Methods {
		if m.Propagated {
			continue
		}
		m.Qualifiers = m.Qualifiers.Local()
		m.ClassOrigin = ""
		if len(m.Parameters) > 0 {
			ps := make([]cim.Parameter, len(m.Parameters))
			for i, p := range m.Parameters {
				p.Qualifiers = p.Qualifiers.Local()
				ps[i] = p
			}
			m.Parameters = ps
		}
		out.Methods = append(out.Methods, m)
	}
	return out
}

// resolve resolves a class sent by a client against namespace ns: SchemaErrors
// become CIM_ERR_INVALID_SUPERCLASS when the superclass is unknown, else
// CIM_ERR_INVALID_PARAMETER.
func (d *Dispatcher) resolve(ns string, c *cim.Class) (*cim.Class, error) {
	sch, err := d.s.Schema(ns)
	if err != nil {
		return nil, err
	}
	rc, errs := cim.Resolve(localClass(c), sch)
	if len(errs) == 0 {
		return rc, nil
	}
	for _, e := range errs {
		if e.Part == "superclass" {
			return nil, &cim.Error{Code: cim.StatusInvalidSuperclass, Description: e.Error(), Err: e}
		}
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return nil, &cim.Error{Code: cim.StatusInvalidParameter, Description: strings.Join(msgs, "; "), Err: errs[0]}
}

func (d *Dispatcher) createClass(ns string, o *cim.CreateClass) (*cim.Result, error) {
	if o.NewClass == nil || !cim.IsIdentifier(o.NewClass.Name) {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "NewClass is required and must have a valid name")
	}
	if d.s.Class(ns, o.NewClass.Name) != nil {
		return nil, cim.Errorf(cim.StatusAlreadyExists, "class %s already exists", o.NewClass.Name)
	}
	rc, err := d.resolve(ns, o.NewClass)
	if err != nil {
		return nil, err
	}
	if err := d.s.CreateClass(ns, rc); err != nil {
		return nil, err
	}
	return &cim.Result{}, nil
}

func (d *Dispatcher) modifyClass(ns string, o *cim.ModifyClass) (*cim.Result, error) {
	if o.ModifiedClass == nil || !cim.IsIdentifier(o.ModifiedClass.Name) {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "ModifiedClass is required and must have a valid name")
	}
	old := d.s.Class(ns, o.ModifiedClass.Name)
	if old == nil {
		return nil, cim.Errorf(cim.StatusNotFound, "class %s does not exist", o.ModifiedClass.Name)
	}
	if !strings.EqualFold(old.SuperClass, o.ModifiedClass.SuperClass) {
		return nil, cim.Errorf(cim.StatusInvalidSuperclass, "class %s: the superclass cannot change from %q to %q",
			old.Name, old.SuperClass, o.ModifiedClass.SuperClass)
	}
	if err := d.refuseInUse(ns, old.Name); err != nil {
		return nil, err
	}
	rc, err := d.resolve(ns, o.ModifiedClass)
	if err != nil {
		return nil, err
	}
	if err := d.s.ModifyClass(ns, rc); err != nil {
		return nil, err
	}
	return &cim.Result{}, nil
}

// refuseInUse refuses to change or delete a class with subclasses or static
// instances (cimxml.md §3.3: "refuse" for safety).
func (d *Dispatcher) refuseInUse(ns, class string) error {
	subs, err := d.s.SubclassNames(ns, class, false)
	if err != nil {
		return err
	}
	if len(subs) > 0 {
		return cim.Errorf(cim.StatusClassHasChildren, "class %s has subclasses (%s)", class, strings.Join(subs, ", "))
	}
	names, err := d.s.InstanceNames(ns, class, false)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return cim.Errorf(cim.StatusClassHasInstances, "class %s has %d instances", class, len(names))
	}
	return nil
}

func (d *Dispatcher) deleteClass(ns string, o *cim.DeleteClass) (*cim.Result, error) {
	if o.ClassName == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "ClassName is required")
	}
	c := d.s.Class(ns, o.ClassName)
	if c == nil {
		return nil, cim.Errorf(cim.StatusNotFound, "class %s does not exist", o.ClassName)
	}
	if err := d.refuseInUse(ns, c.Name); err != nil {
		return nil, err
	}
	if err := d.s.DeleteClass(ns, c.Name); err != nil {
		return nil, err
	}
	return &cim.Result{}, nil
}

func (d *Dispatcher) getQualifier(ns string, o *cim.GetQualifier) (*cim.Result, error) {
	if o.QualifierName == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "QualifierName is required")
	}
	qt := d.s.QualifierType(ns, o.QualifierName)
	if qt == nil {
		return nil, cim.Errorf(cim.StatusNotFound, "qualifier type %s does not exist", o.QualifierName)
	}
	return &cim.Result{QualifierType: qt}, nil
}

func (d *Dispatcher) setQualifier(ns string, o *cim.SetQualifier) (*cim.Result, error) {
	if o.QualifierDeclaration == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "QualifierDeclaration is required")
	}
	qt := *o.QualifierDeclaration
	if qt.Default != nil {
		v, err := convert(qt.Type, qt.IsArray, qt.Default)
		if err != nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "qualifier type %s: default value: %v", qt.Name, err)
		}
		qt.Default = v
	}
	if err := d.s.SetQualifierType(ns, &qt); err != nil {
		return nil, err
	}
	return &cim.Result{}, nil
}

func (d *Dispatcher) deleteQualifier(ns string, o *cim.DeleteQualifier) (*cim.Result, error) {
	if o.QualifierName == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "QualifierName is required")
	}
	if err := d.s.DeleteQualifierType(ns, o.QualifierName); err != nil {
		return nil, err
	}
	return &cim.Result{}, nil
}

func (d *Dispatcher) enumerateQualifiers(ns string) (*cim.Result, error) {
	qts, err := d.s.QualifierTypes(ns)
	if err != nil {
		return nil, err
	}
	return &cim.Result{QualifierTypes: qts}, nil
}
