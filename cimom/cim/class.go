package cim

import "strings"

// Property is a property or reference of a class (with its default value) or of an
// instance (with its value).
type Property struct {
	Name      string
	Type      Type
	IsArray   bool
	ArraySize int // fixed array size; 0 for a variable-size array
	// ReferenceClass is the class a Reference points to (MOF "CIM_Foo REF Name").
	ReferenceClass string
	Value          any // default value in a class, value in an instance; nil is NULL
	Qualifiers     Qualifiers
	// ClassOrigin names the class that declares the property (the overriding class
	// for an overridden one).
	ClassOrigin string
	// Propagated is true when the property is inherited unchanged from the superclass.
	Propagated bool
}

// IsKey reports whether the property carries Key(true).
func (p *Property) IsKey() bool { return p.Qualifiers.IsTrue("Key") }

// Parameter is a parameter of a method.
type Parameter struct {
	Name           string
	Type           Type
	IsArray        bool
	ArraySize      int
	ReferenceClass string
	Qualifiers     Qualifiers
}

// Method is a method of a class.
type Method struct {
	Name        string
	ReturnType  Type
	Parameters  []Parameter
	Qualifiers  Qualifiers
	ClassOrigin string
	Propagated  bool
}

// Parameter returns the parameter named name (case-insensitive), or nil.
func (m *Method) Parameter(name string) *Parameter {
	for i := range m.Parameters {
		if strings.EqualFold(m.Parameters[i].Name, name) {
			return &m.Parameters[i]
		}
	}
	return nil
}

// Class is a CIM class. A resolved class (see Resolve) holds its inherited properties,
// methods and qualifiers too, marked Propagated.
type Class struct {
	Name       string
	SuperClass string // "" for a root class
	Qualifiers Qualifiers
	Properties []Property
	Methods    []Method
}

// Property returns the property named name (case-insensitive), or nil.
func (c *Class) Property(name string) *Property {
	for i := range c.Properties {
		if strings.EqualFold(c.Properties[i].Name, name) {
			return &c.Properties[i]
		}
	}
	return nil
}

// Method returns the method named name (case-insensitive), or nil.
func (c *Class) Method(name string) *Method {
	for i := range c.Methods {
		if strings.EqualFold(c.Methods[i].Name, name) {
			return &c.Methods[i]
		}
	}
	return nil
}

// IsAssociation reports whether the class carries Association(true).
func (c *Class) IsAssociation() bool { return c.Qualifiers.IsTrue("Association") }

// IsIndication reports whether the class carries Indication(true).
func (c *Class) IsIndication() bool { return c.Qualifiers.IsTrue("Indication") }

// IsAbstract reports whether the class carries Abstract(true).
func (c *Class) IsAbstract() bool { return c.Qualifiers.IsTrue("Abstract") }

// KeyNames returns the names of the key properties, in declaration order.
func (c *Class) KeyNames() []string {
	var keys []string
	for i := range c.Properties {
		if c.Properties[i].IsKey() {
			keys = append(keys, c.Properties[i].Name)
		}
	}
	return keys
}

// References returns the reference properties.
func (c *Class) References() []*Property {
	var refs []*Property
	for i := range c.Properties {
		if c.Properties[i].Type == TypeReference {
			refs = append(refs, &c.Properties[i])
		}
	}
	return refs
}

// Instance is a CIM instance.
type Instance struct {
	ClassName  string
	Qualifiers Qualifiers
	Properties []Property
}

// Property returns the property named name (case-insensitive), or nil.
func (in *Instance) Property(name string) *Property {
	for i := range in.Properties {
		if strings.EqualFold(in.Properties[i].Name, name) {
			return &in.Properties[i]
		}
	}
	return nil
}

// Path builds the instance's path in namespace ns from the key properties of class c.
func (in *Instance) Path(ns string, c *Class) *ObjectPath {
	p := &ObjectPath{Namespace: ns, ClassName: in.ClassName}
	for i := range c.Properties {
		cp := &c.Properties[i]
		if !cp.IsKey() {
			continue
		}
		var v any
		if ip := in.Property(cp.Name); ip != nil {
			v = ip.Value
		}
		p.Keys = append(p.Keys, KeyBinding{Name: cp.Name, Value: v})
	}
	return p
}
