package cim

import (
	"fmt"
	"strings"
)

// Schema is what Resolve needs to know of the namespace a class goes into: the
// qualifier declarations and the classes already there (resolved). Both return nil
// when the name is unknown; names are case-insensitive.
type Schema interface {
	QualifierType(name string) *QualifierType
	Class(name string) *Class
}

// SchemaError is a violation of the class rules of DSP0004 found by Resolve. The
// element fields say where: the class itself when they are all empty, else the named
// property, method or parameter, and within it the named qualifier.
type SchemaError struct {
	Class     string
	Property  string // a property or reference
	Method    string
	Parameter string // with Method
	Qualifier string
	// Part is "superclass" when the error is in the superclass name, "type" when it is
	// in the class a reference points to, "" otherwise.
	Part string
	Msg  string
}

func (e *SchemaError) Error() string {
	var b strings.Builder
	b.WriteString(e.Class)
	switch {
	case e.Property != "":
		b.WriteString("." + e.Property)
	case e.Method != "":
		b.WriteString("." + e.Method + "()")
		if e.Parameter != "" {
			b.WriteString(" parameter " + e.Parameter)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Resolve checks class c, given with its local elements only (what a MOF class
// declaration or a CreateClass request holds), against the rules of DSP0004 and
// returns the resolved class: its own elements plus everything it inherits from its
// superclass, with ClassOrigin and Propagated set as DSP0004 §5.1.2 defines.
//
// Qualifier values must already be typed as their declarations say, and each
// qualifier's Flavor must be the effective one (the declaration's, unless the
// definition gave flavors of its own). Rules checked: qualifiers declared, of the
// declared type and within their scope; no element or qualifier given twice
// (case-insensitively); superclass known; an association only derived from an
// association; references only in associations, to known classes; inherited elements
// redefined only with Override, naming an element the superclass has, keeping its type
// (a reference may narrow its class to a subclass) and signature; no new value for a
// DisableOverride qualifier; no new key properties where the superclass has keys.
//
// All violations are returned, not only the first. The result is nil if any was found.
// Resolve does not modify c; the result shares unchanged inherited elements with the
// superclass, so resolved classes must be treated as immutable.
func Resolve(c *Class, s Schema) (*Class, []*SchemaError) {
	r := &resolver{c: c, s: s}
	return r.run()
}

type resolver struct {
	c     *Class
	s     Schema
	super *Class
	errs  []*SchemaError
	assoc bool
	indic bool
}

func (r *resolver) fail(e SchemaError, format string, args ...any) {
	e.Class = r.c.Name
	e.Msg = fmt.Sprintf(format, args...)
	r.errs = append(r.errs, &e)
}

func (r *resolver) run() (*Class, []*SchemaError) {
	c := r.c
	if !IsIdentifier(c.Name) {
		r.fail(SchemaError{}, "invalid class name %q", c.Name)
	}
	if c.SuperClass != "" {
		r.super = r.s.Class(c.SuperClass)
		if r.super == nil {
			r.fail(SchemaError{Part: "superclass"}, "superclass %s is not defined", c.SuperClass)
		} else if strings.EqualFold(r.super.Name, c.Name) {
			r.fail(SchemaError{Part: "superclass"}, "a class cannot be its own superclass")
			r.super = nil
		}
	}
	r.assoc = c.Qualifiers.IsTrue("Association")
	r.indic = c.Qualifiers.IsTrue("Indication")
	if r.super != nil {
		if r.assoc && !r.super.IsAssociation() {
			r.fail(SchemaError{Qualifier: "Association"},
				"an association cannot be derived from %s, which is not an association", r.super.Name)
		}
		r.assoc = r.assoc || r.super.IsAssociation()
		r.indic = r.indic || r.super.IsIndication()
	}
	classScope := ScopeClass
	switch {
	case r.assoc:
		classScope = ScopeAssociation
	case r.indic:
		classScope = ScopeIndication
	}

	out := &Class{Name: c.Name, SuperClass: c.SuperClass}
	if r.super != nil {
		out.SuperClass = r.super.Name
	}
	var superQuals Qualifiers
	if r.super != nil {
		superQuals = r.super.Qualifiers
	}
	out.Qualifiers = r.qualifiers(SchemaError{}, c.Qualifiers, superQuals, classScope)
	out.Properties = r.properties()
	out.Methods = r.methods()
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return out, nil
}

// qualifiers checks the local qualifiers of one element and merges in those it
// inherits from the element it overrides or the superclass.
func (r *resolver) qualifiers(at SchemaError, local, inherited Qualifiers, scope Scope) Qualifiers {
	for i := range local {
		q := &local[i]
		at := at
		at.Qualifier = q.Name
		for j := 0; j < i; j++ {
			if strings.EqualFold(local[j].Name, q.Name) {
				r.fail(at, "qualifier %s is given twice", q.Name)
			}
		}
		qt := r.s.QualifierType(q.Name)
		if qt == nil {
			r.fail(at, "qualifier %s is not declared", q.Name)
			continue
		}
		if qt.Scope&scope == 0 {
			r.fail(at, "qualifier %s may not be used on a %s (scope: %s)", q.Name, scope, qt.Scope)
		}
		if q.Type != qt.Type || q.IsArray != qt.IsArray {
			r.fail(at, "qualifier %s has type %s, declared %s", q.Name, typeText(q.Type, q.IsArray), typeText(qt.Type, qt.IsArray))
		} else if err := CheckValue(qt.Type, qt.IsArray, q.Value); err != nil {
			r.fail(at, "qualifier %s: %v", q.Name, err)
		}
	}
	// Inherited qualifiers that propagate, unless given here; a given one must not
	// change a value its origin forbids to override.
	var merged Qualifiers
	nInherit := 0
	for i := range inherited {
		iq := &inherited[i]
		if !iq.Flavor.ToSubclass() {
			continue
		}
		if lq := local.Get(iq.Name); lq != nil {
			if !iq.Flavor.Overridable() && !EqualValues(lq.Value, iq.Value) {
				at := at
				at.Qualifier = iq.Name
				r.fail(at, "qualifier %s cannot be overridden: its flavor is DisableOverride", iq.Name)
			}
			continue
		}
		nInherit++
	}
	if nInherit == 0 {
		return local
	}
	merged = make(Qualifiers, 0, len(local)+nInherit)
	merged = append(merged, local...)
	for i := range inherited {
		iq := inherited[i]
		if !iq.Flavor.ToSubclass() || local.Has(iq.Name) {
			continue
		}
		iq.Propagated = true
		merged = append(merged, iq)
	}
	return merged
}

// inherit returns the qualifiers of an element as a subclass sees it unchanged: only
// those that propagate, all marked Propagated. It reuses qs when nothing changes.
func inherit(qs Qualifiers) Qualifiers {
	same := true
	for i := range qs {
		if !qs[i].Propagated || !qs[i].Flavor.ToSubclass() {
			same = false
			break
		}
	}
	if same {
		return qs
	}
	out := make(Qualifiers, 0, len(qs))
	for _, q := range qs {
		if !q.Flavor.ToSubclass() {
			continue
		}
		q.Propagated = true
		out = append(out, q)
	}
	return out
}

func typeText(t Type, isArray bool) string {
	if isArray {
		return t.String() + "[]"
	}
	return t.String()
}

func (r *resolver) properties() []Property {
	c := r.c
	var out []Property
	superHasKeys := false
	if r.super != nil {
		out = make([]Property, 0, len(r.super.Properties)+len(c.Properties))
		for _, p := range r.super.Properties {
			if !p.Propagated || !sameQualifiers(p.Qualifiers) {
				p.Qualifiers = inherit(p.Qualifiers)
				p.Propagated = true
			}
			if p.IsKey() {
				superHasKeys = true
			}
			out = append(out, p)
		}
	} else {
		out = make([]Property, 0, len(c.Properties))
	}
	nInherited := len(out)
	for i := range c.Properties {
		p := c.Properties[i]
		at := SchemaError{Property: p.Name}
		if !IsIdentifier(p.Name) {
			r.fail(at, "invalid property name %q", p.Name)
		}
		for j := 0; j < i; j++ {
			if strings.EqualFold(c.Properties[j].Name, p.Name) {
				r.fail(at, "property %s is defined twice", p.Name)
			}
		}
		scope := ScopeProperty
		if p.Type == TypeReference {
			scope = ScopeReference
			if !r.assoc {
				r.fail(at, "reference %s is only allowed in an association, and %s is not one", p.Name, c.Name)
			}
			r.checkRefClass(at, p.ReferenceClass)
		}
		if err := CheckValue(p.Type, p.IsArray, p.Value); err != nil {
			r.fail(at, "default value of %s: %v", p.Name, err)
		}
		target, ok := r.overridden(at, "property", p.Name, p.Qualifiers, func(name string) (int, string) {
			if k := findProperty(out[:nInherited], name); k >= 0 {
				return k, out[k].ClassOrigin
			}
			return -1, ""
		})
		if !ok {
			continue
		}
		var inheritedQuals Qualifiers
		if target >= 0 {
			sp := &out[target]
			inheritedQuals = sp.Qualifiers
			if sp.Type != p.Type || sp.IsArray != p.IsArray {
				r.fail(at, "property %s overrides %s.%s of type %s with type %s", p.Name, sp.ClassOrigin, sp.Name, typeText(sp.Type, sp.IsArray), typeText(p.Type, p.IsArray))
			} else if p.Type == TypeReference && !strings.EqualFold(sp.ReferenceClass, p.ReferenceClass) && !r.isSubclass(p.ReferenceClass, sp.ReferenceClass) {
				r.fail(at, "reference %s overrides %s.%s of class %s with class %s, which is not a subclass of it", p.Name, sp.ClassOrigin, sp.Name, sp.ReferenceClass, p.ReferenceClass)
			}
			if p.Value == nil {
				p.Value = sp.Value
			}
		}
		p.Qualifiers = r.qualifiers(at, p.Qualifiers, inheritedQuals, scope)
		if target < 0 && superHasKeys && p.Qualifiers.IsTrue("Key") {
			r.fail(SchemaError{Property: p.Name, Qualifier: "Key"}, "key property %s cannot be added: superclass %s already has keys", p.Name, r.super.Name)
		}
		p.ClassOrigin = c.Name
		p.Propagated = false
		if target >= 0 {
			out[target] = p
		} else {
			out = append(out, p)
		}
	}
	return out
}

// overridden finds the inherited element (a property or method, as kind says) that a
// local element redefines: the one its Override qualifier names, or none (-1). find
// looks an inherited element up by name and gives its index and class origin. ok is
// false when the element redefines an inherited one without Override, and must be
// left out.
func (r *resolver) overridden(at SchemaError, kind, name string, qs Qualifiers, find func(string) (int, string)) (target int, ok bool) {
	ov := qs.Get("Override")
	if ov == nil {
		if _, origin := find(name); origin != "" {
			r.fail(at, "%s %s is inherited from %s: redefining it needs Override", kind, name, origin)
			return -1, false
		}
		return -1, true
	}
	target, _ = find(name)
	if n, _ := ov.Value.(string); n != "" {
		target, _ = find(n)
		name = n
	}
	if target < 0 {
		at.Qualifier = "Override"
		if r.super != nil {
			r.fail(at, "Override(%q): superclass %s has no %s %s", name, r.super.Name, kind, name)
		} else {
			r.fail(at, "Override(%q) in a class without superclass", name)
		}
	}
	return target, true
}

// sameQualifiers reports whether every qualifier is already propagated and propagates
// further, so that inherit(qs) would return qs itself.
func sameQualifiers(qs Qualifiers) bool {
	for i := range qs {
		if !qs[i].Propagated || !qs[i].Flavor.ToSubclass() {
			return false
		}
	}
	return true
}

func findProperty(ps []Property, name string) int {
	for i := range ps {
		if strings.EqualFold(ps[i].Name, name) {
			return i
		}
	}
	return -1
}

func findMethod(ms []Method, name string) int {
	for i := range ms {
		if strings.EqualFold(ms[i].Name, name) {
			return i
		}
	}
	return -1
}

func (r *resolver) checkRefClass(at SchemaError, name string) {
	if name == "" {
		at.Part = "type"
		r.fail(at, "reference without a class")
		return
	}
	if strings.EqualFold(name, r.c.Name) {
		return // an association may refer to itself
	}
	if r.s.Class(name) == nil {
		at.Part = "type"
		r.fail(at, "class %s of the reference is not defined", name)
	}
}

// isSubclass reports whether class sub is super or derives from it.
func (r *resolver) isSubclass(sub, super string) bool {
	for i := 0; sub != "" && i < 1000; i++ {
		if strings.EqualFold(sub, super) {
			return true
		}
		if strings.EqualFold(sub, r.c.Name) {
			sub = r.c.SuperClass
			continue
		}
		c := r.s.Class(sub)
		if c == nil {
			return false
		}
		sub = c.SuperClass
	}
	return false
}

func (r *resolver) methods() []Method {
	c := r.c
	var out []Method
	if r.super != nil {
		out = make([]Method, 0, len(r.super.Methods)+len(c.Methods))
		for _, m := range r.super.Methods {
			if !m.Propagated || !sameQualifiers(m.Qualifiers) {
				m.Qualifiers = inherit(m.Qualifiers)
				m.Parameters = inheritParams(m.Parameters)
				m.Propagated = true
			}
			out = append(out, m)
		}
	}
	nInherited := len(out)
	for i := range c.Methods {
		m := c.Methods[i]
		at := SchemaError{Method: m.Name}
		if !IsIdentifier(m.Name) {
			r.fail(at, "invalid method name %q", m.Name)
		}
		for j := 0; j < i; j++ {
			if strings.EqualFold(c.Methods[j].Name, m.Name) {
				r.fail(at, "method %s is defined twice", m.Name)
			}
		}
		if m.ReturnType == TypeReference || m.ReturnType == TypeInvalid {
			r.fail(at, "method %s: invalid return type %s", m.Name, m.ReturnType)
		}
		target, ok := r.overridden(at, "method", m.Name, m.Qualifiers, func(name string) (int, string) {
			if k := findMethod(out[:nInherited], name); k >= 0 {
				return k, out[k].ClassOrigin
			}
			return -1, ""
		})
		if !ok {
			continue
		}
		var sm *Method
		var inheritedQuals Qualifiers
		if target >= 0 {
			sm = &out[target]
			inheritedQuals = sm.Qualifiers
			if sm.ReturnType != m.ReturnType {
				r.fail(at, "method %s overrides %s.%s returning %s with return type %s", m.Name, sm.ClassOrigin, sm.Name, sm.ReturnType, m.ReturnType)
			}
			if len(sm.Parameters) != len(m.Parameters) {
				r.fail(at, "method %s overrides %s.%s with %d parameters instead of %d", m.Name, sm.ClassOrigin, sm.Name, len(m.Parameters), len(sm.Parameters))
				sm = nil
			}
		}
		m.Qualifiers = r.qualifiers(at, m.Qualifiers, inheritedQuals, ScopeMethod)
		params := make([]Parameter, len(m.Parameters))
		for k := range m.Parameters {
			p := m.Parameters[k]
			pat := SchemaError{Method: m.Name, Parameter: p.Name}
			if !IsIdentifier(p.Name) {
				r.fail(pat, "invalid parameter name %q", p.Name)
			}
			for j := 0; j < k; j++ {
				if strings.EqualFold(m.Parameters[j].Name, p.Name) {
					r.fail(pat, "parameter %s is given twice", p.Name)
				}
			}
			if p.Type == TypeReference {
				r.checkRefClass(pat, p.ReferenceClass)
			}
			var pInherited Qualifiers
			if sm != nil {
				sp := &sm.Parameters[k]
				if !strings.EqualFold(sp.Name, p.Name) || sp.Type != p.Type || sp.IsArray != p.IsArray {
					r.fail(pat, "parameter %s does not match parameter %s %s of the overridden method", p.Name, typeText(sp.Type, sp.IsArray), sp.Name)
				} else {
					pInherited = sp.Qualifiers
				}
			}
			p.Qualifiers = r.qualifiers(pat, p.Qualifiers, pInherited, ScopeParameter)
			params[k] = p
		}
		m.Parameters = params
		m.ClassOrigin = c.Name
		m.Propagated = false
		if target >= 0 {
			out[target] = m
		} else {
			out = append(out, m)
		}
	}
	return out
}

func inheritParams(ps []Parameter) []Parameter {
	out := make([]Parameter, len(ps))
	for i, p := range ps {
		p.Qualifiers = inherit(p.Qualifiers)
		out[i] = p
	}
	return out
}
