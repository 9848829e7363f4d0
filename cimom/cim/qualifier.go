package cim

import "strings"

// Flavor holds the flavors of a qualifier (DSP0004 §5.6.1.3) as bits whose zero value
// is the default: EnableOverride, ToSubclass, not Translatable.
type Flavor uint8

// The flavor bits. EnableOverride and ToSubclass are the absence of DisableOverride and
// Restricted.
const (
	DisableOverride Flavor = 1 << iota
	Restricted
	Translatable
	ToInstance // deprecated in DSP0004, kept for CIM-XML's TOINSTANCE attribute
)

// Overridable reports whether a subclass may give the qualifier another value.
func (f Flavor) Overridable() bool { return f&DisableOverride == 0 }

// ToSubclass reports whether the qualifier propagates to subclasses.
func (f Flavor) ToSubclass() bool { return f&Restricted == 0 }

// IsTranslatable reports whether the qualifier's value may be localised.
func (f Flavor) IsTranslatable() bool { return f&Translatable != 0 }

// String lists the flavors in MOF spelling, always both the override and the
// propagation flavor: "EnableOverride, ToSubclass, Translatable".
func (f Flavor) String() string {
	var b strings.Builder
	if f.Overridable() {
		b.WriteString("EnableOverride")
	} else {
		b.WriteString("DisableOverride")
	}
	if f.ToSubclass() {
		b.WriteString(", ToSubclass")
	} else {
		b.WriteString(", Restricted")
	}
	if f.IsTranslatable() {
		b.WriteString(", Translatable")
	}
	return b.String()
}

// Scope is the set of elements a qualifier may be applied to (DSP0004 §5.6.1.2).
type Scope uint8

// The scope bits; ScopeAny is all of them.
const (
	ScopeClass Scope = 1 << iota
	ScopeAssociation
	ScopeIndication
	ScopeProperty
	ScopeReference
	ScopeMethod
	ScopeParameter

	ScopeAny = ScopeClass | ScopeAssociation | ScopeIndication | ScopeProperty |
		ScopeReference | ScopeMethod | ScopeParameter
)

var scopeNames = []struct {
	s    Scope
	name string
}{
	{ScopeClass, "class"},
	{ScopeAssociation, "association"},
	{ScopeIndication, "indication"},
	{ScopeProperty, "property"},
	{ScopeReference, "reference"},
	{ScopeMethod, "method"},
	{ScopeParameter, "parameter"},
}

// ParseScope returns the scope named s ("class", "any", …; case-insensitive), or 0.
func ParseScope(s string) Scope {
	if strings.EqualFold(s, "any") {
		return ScopeAny
	}
	for _, n := range scopeNames {
		if strings.EqualFold(n.name, s) {
			return n.s
		}
	}
	return 0
}

// String lists the scopes in MOF spelling ("any" when all are set).
func (s Scope) String() string {
	if s == ScopeAny {
		return "any"
	}
	var parts []string
	for _, n := range scopeNames {
		if s&n.s != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ", ")
}

// QualifierType is a qualifier declaration (DSP0004 §5.6.1).
type QualifierType struct {
	Name      string
	Type      Type
	IsArray   bool
	ArraySize int // fixed size of an array qualifier; 0 for a variable-size array
	Default   any // nil: NULL
	Scope     Scope
	Flavor    Flavor
}

// Qualifier is a qualifier applied to a class, property, method or parameter.
type Qualifier struct {
	Name    string
	Type    Type
	IsArray bool
	Value   any
	Flavor  Flavor
	// Propagated is true on a qualifier inherited from the superclass (or from the
	// overridden element) rather than given on this element.
	Propagated bool
}

// Qualifiers is a list of qualifiers with lookup by name.
type Qualifiers []Qualifier

// Get returns the qualifier named name (case-insensitive), or nil.
func (qs Qualifiers) Get(name string) *Qualifier {
	for i := range qs {
		if strings.EqualFold(qs[i].Name, name) {
			return &qs[i]
		}
	}
	return nil
}

// Has reports whether a qualifier named name is present.
func (qs Qualifiers) Has(name string) bool { return qs.Get(name) != nil }

// IsTrue reports whether the boolean qualifier name is present and true.
func (qs Qualifiers) IsTrue(name string) bool {
	q := qs.Get(name)
	if q == nil {
		return false
	}
	b, _ := q.Value.(bool)
	return b
}

// String returns the value of the string qualifier name, or "".
func (qs Qualifiers) String(name string) string {
	q := qs.Get(name)
	if q == nil {
		return ""
	}
	s, _ := q.Value.(string)
	return s
}

// Local returns the qualifiers that were not propagated.
func (qs Qualifiers) Local() Qualifiers {
	out := make(Qualifiers, 0, len(qs))
	for _, q := range qs {
		if !q.Propagated {
			out = append(out, q)
		}
	}
	return out
}
