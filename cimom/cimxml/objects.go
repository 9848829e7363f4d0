package cimxml

import (
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// This file decodes the value, naming and object elements of DSP0201 §3.2.

// boolAttr returns the (true|false) attribute a of n, or def when it is absent.
func (d *decoder) boolAttr(n *node, a string, def bool) bool {
	v, ok := n.attr(a)
	if !ok {
		return def
	}
	switch strings.TrimSpace(v) {
	case "true", "TRUE", "True":
		return true
	case "false", "FALSE", "False":
		return false
	}
	d.invalid(n, "<%s> attribute %s=%q: want true or false", n.name, a, v)
	return false
}

// typeAttr returns the CIM type named by the required TYPE attribute of n (one of
// the CIMType values of the DTD: no "reference").
func (d *decoder) typeAttr(n *node) cim.Type {
	s := d.required(n, "TYPE")
	t := cim.ParseType(strings.TrimSpace(s))
	if t == cim.TypeInvalid || t == cim.TypeReference {
		d.invalid(n, "<%s> has an invalid TYPE %q", n.name, s)
	}
	return t
}

func (d *decoder) arraySize(n *node) int {
	s, ok := n.attr("ARRAYSIZE")
	if !ok {
		return 0
	}
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 31)
	if err != nil {
		d.invalid(n, "<%s> has an invalid ARRAYSIZE %q", n.name, s)
	}
	return int(v)
}

// value decodes a VALUE of type t (TypeInvalid: untyped, kept as text unless it is an
// embedded object). eo is the EmbeddedObject attribute of the enclosing element.
func (d *decoder) value(v *node, t cim.Type, eo string) any {
	d.textOnly(v)
	switch t {
	case cim.TypeInvalid:
		if eo != "" || looksEmbedded(v.text) {
			return d.embedded(v, eo)
		}
		return v.text
	case cim.TypeString:
		if eo != "" {
			return d.embedded(v, eo)
		}
		return v.text
	}
	x, err := parseScalar(t, v.text)
	if err != nil {
		d.invalid(v, "%v", err)
	}
	return x
}

func looksEmbedded(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n")
	return strings.HasPrefix(s, "<INSTANCE") || strings.HasPrefix(s, "<CLASS")
}

// embedded parses the text of v as an INSTANCE or CLASS element. When eo says the
// value is embedded, text that is not one is invalid; otherwise (a guess from the
// text) it stays a string.
func (d *decoder) embedded(v *node, eo string) (result any) {
	text := strings.TrimSpace(v.text)
	if text == "" {
		return v.text
	}
	if d.depth >= maxEmbedDepth {
		if eo != "" {
			d.invalid(v, "embedded objects nested deeper than %d", maxEmbedDepth)
		}
		return v.text
	}
	root, perr := parse(text)
	if perr != nil {
		if eo != "" {
			d.invalid(v, "embedded object is not well-formed: %s", perr.Msg)
		}
		return v.text
	}
	sub := &decoder{src: text, ns: d.ns, depth: d.depth + 1, propagated: d.propagated}
	if eo == "" {
		// A guess: any failure keeps the text.
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(bailout); !ok {
					panic(r)
				}
				result = v.text
			}
		}()
	}
	switch root.name {
	case "INSTANCE":
		result = sub.instance(root)
	case "CLASS":
		result = sub.class(root)
	default:
		if eo != "" {
			d.invalid(v, "embedded object is <%s>, want <INSTANCE> or <CLASS>", root.name)
		}
		return v.text
	}
	if sub.err != nil && d.err == nil {
		d.err = sub.err
	}
	return result
}

// valueArray decodes VALUE.ARRAY; VALUE.NULL elements are nil.
func (d *decoder) valueArray(n *node, t cim.Type, eo string) []any {
	d.elementOnly(n)
	cnt := 0
	for c := n.first; c != nil; c = c.next {
		cnt++
	}
	a := make([]any, 0, cnt)
	for c := n.first; c != nil; c = c.next {
		switch c.name {
		case "VALUE":
			a = append(a, d.value(c, t, eo))
		case "VALUE.NULL":
			d.empty(c)
			a = append(a, nil)
		default:
			d.unexpected(n, c)
		}
	}
	return a
}

// refArray decodes VALUE.REFARRAY.
func (d *decoder) refArray(n *node) []any {
	d.elementOnly(n)
	var a []any
	for c := n.first; c != nil; c = c.next {
		switch c.name {
		case "VALUE.REFERENCE":
			a = append(a, d.reference(c))
		case "VALUE.NULL":
			d.empty(c)
			a = append(a, nil)
		default:
			d.unexpected(n, c)
		}
	}
	if a == nil {
		a = []any{}
	}
	return a
}

// reference decodes VALUE.REFERENCE.
func (d *decoder) reference(n *node) *cim.ObjectPath {
	c := d.only(n)
	if c == nil {
		d.invalid(n, "<VALUE.REFERENCE> is empty")
	}
	switch c.name {
	case "CLASSPATH", "INSTANCEPATH":
		d.elementOnly(c)
		nsp := c.first
		if nsp == nil || nsp.name != "NAMESPACEPATH" {
			d.invalid(c, "<%s> must begin with <NAMESPACEPATH>", c.name)
		}
		host, ns := d.namespacePath(nsp)
		return d.pathTail(c, nsp, host, ns)
	case "LOCALCLASSPATH", "LOCALINSTANCEPATH":
		return d.localPath(c)
	case "CLASSNAME", "INSTANCENAME":
		return d.objectName(c)
	}
	d.unexpected(n, c)
	return nil
}

// namespacePath decodes NAMESPACEPATH: HOST, LOCALNAMESPACEPATH.
func (d *decoder) namespacePath(n *node) (host, ns string) {
	d.elementOnly(n)
	h := n.first
	if h == nil || h.name != "HOST" || h.next == nil || h.next.name != "LOCALNAMESPACEPATH" || h.next.next != nil {
		d.invalid(n, "<NAMESPACEPATH> must hold <HOST> and <LOCALNAMESPACEPATH>")
	}
	d.textOnly(h)
	return strings.TrimSpace(h.text), d.localNamespace(h.next)
}

// localPath decodes LOCALCLASSPATH or LOCALINSTANCEPATH.
func (d *decoder) localPath(n *node) *cim.ObjectPath {
	d.elementOnly(n)
	nsp := n.first
	if nsp == nil || nsp.name != "LOCALNAMESPACEPATH" {
		d.invalid(n, "<%s> must begin with <LOCALNAMESPACEPATH>", n.name)
	}
	return d.pathTail(n, nsp, "", d.localNamespace(nsp))
}

// pathTail decodes the CLASSNAME or INSTANCENAME that follows the namespace part
// nsp of a class or instance path n.
func (d *decoder) pathTail(n, nsp *node, host, ns string) *cim.ObjectPath {
	c := nsp.next
	want := "CLASSNAME"
	if strings.HasSuffix(n.name, "INSTANCEPATH") {
		want = "INSTANCENAME"
	}
	if c == nil || c.name != want || c.next != nil {
		d.invalid(n, "<%s> must hold <%s> after the namespace", n.name, want)
	}
	if want == "CLASSNAME" {
		return &cim.ObjectPath{Host: host, Namespace: ns, ClassName: d.className(c)}
	}
	return d.instanceName(c, host, ns)
}

// className decodes CLASSNAME.
func (d *decoder) className(n *node) string {
	d.empty(n)
	return d.required(n, "NAME")
}

// objectName decodes INSTANCENAME or CLASSNAME in the request's namespace.
func (d *decoder) objectName(n *node) *cim.ObjectPath {
	if n.name == "CLASSNAME" {
		return &cim.ObjectPath{Namespace: d.ns, ClassName: d.className(n)}
	}
	return d.instanceName(n, "", d.ns)
}

// instanceName decodes INSTANCENAME: KEYBINDING* | KEYVALUE? | VALUE.REFERENCE?.
func (d *decoder) instanceName(n *node, host, ns string) *cim.ObjectPath {
	if ns == "" {
		ns = d.ns
	}
	p := &cim.ObjectPath{Host: host, Namespace: ns, ClassName: d.required(n, "CLASSNAME")}
	d.elementOnly(n)
	if n.first == nil {
		return p
	}
	switch n.first.name {
	case "KEYVALUE", "VALUE.REFERENCE":
		// A single unnamed key (DSP0201 allows it; the dispatcher names it).
		c := d.only(n)
		p.Keys = []cim.KeyBinding{{Value: d.keyContent(c)}}
		return p
	}
	cnt := 0
	for c := n.first; c != nil; c = c.next {
		if c.name != "KEYBINDING" {
			d.unexpected(n, c)
		}
		cnt++
	}
	if cnt > maxKeyBindings {
		d.invalid(n, "<INSTANCENAME> has %d keybindings, at most %d are allowed", cnt, maxKeyBindings)
	}
	p.Keys = make([]cim.KeyBinding, 0, cnt)
	var names nameSet
	for c := n.first; c != nil; c = c.next {
		name := d.required(c, "NAME")
		if !names.add(name) {
			d.invalid(c, "key %s given twice", name)
		}
		v := d.only(c)
		if v == nil {
			d.invalid(c, "<KEYBINDING> %s holds no value", name)
		}
		p.Keys = append(p.Keys, cim.KeyBinding{Name: name, Value: d.keyContent(v)})
	}
	return p
}

// keyContent decodes KEYVALUE or VALUE.REFERENCE.
func (d *decoder) keyContent(v *node) any {
	switch v.name {
	case "KEYVALUE":
		d.textOnly(v)
		if ts, ok := v.attr("TYPE"); ok && strings.TrimSpace(ts) != "" {
			t := cim.ParseType(strings.TrimSpace(ts))
			if t == cim.TypeInvalid || t == cim.TypeReference {
				d.invalid(v, "<KEYVALUE> has an invalid TYPE %q", ts)
			}
			x, err := parseScalar(t, v.text)
			if err != nil {
				d.invalid(v, "%v", err)
			}
			return x
		}
		vt, _ := v.attr("VALUETYPE")
		x, err := parseKeyValue(vt, v.text)
		if err != nil {
			d.invalid(v, "%v", err)
		}
		return x
	case "VALUE.REFERENCE":
		return d.reference(v)
	}
	d.invalid(v, "<%s> is not a key value", v.name)
	return nil
}

// namedInstance decodes VALUE.NAMEDINSTANCE: INSTANCENAME, INSTANCE.
func (d *decoder) namedInstance(n *node) (*cim.ObjectPath, *cim.Instance) {
	d.elementOnly(n)
	a := n.first
	if a == nil || a.name != "INSTANCENAME" || a.next == nil || a.next.name != "INSTANCE" || a.next.next != nil {
		d.invalid(n, "<VALUE.NAMEDINSTANCE> must hold <INSTANCENAME> and <INSTANCE>")
	}
	return d.instanceName(a, "", d.ns), d.instance(a.next)
}

// instance decodes INSTANCE. Qualifiers (wbemcli sends the class's) are checked and
// dropped; so are those of properties.
func (d *decoder) instance(n *node) *cim.Instance {
	inst := &cim.Instance{ClassName: d.required(n, "CLASSNAME")}
	d.elementOnly(n)
	cnt := 0
	for c := n.first; c != nil; c = c.next {
		cnt++
	}
	if cnt > 0 {
		inst.Properties = make([]cim.Property, 0, cnt)
	}
	props := false
	var names nameSet
	for c := n.first; c != nil; c = c.next {
		switch c.name {
		case "QUALIFIER":
			if props {
				d.invalid(c, "<QUALIFIER> after a property in <INSTANCE>")
			}
			d.qualifier(c)
		case "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE":
			props = true
			p, _ := d.property(c, false)
			if !names.add(p.Name) {
				d.invalid(c, "property %s given twice", p.Name)
			}
			inst.Properties = append(inst.Properties, p)
		default:
			d.unexpected(n, c)
		}
	}
	return inst
}

// property decodes PROPERTY, PROPERTY.ARRAY or PROPERTY.REFERENCE; qualifiers are
// kept for a class only, without the propagated ones.
func (d *decoder) property(n *node, inClass bool) (p cim.Property, propagated bool) {
	p.Name = d.required(n, "NAME")
	propagated = d.boolAttr(n, "PROPAGATED", false)
	d.elementOnly(n)
	var t cim.Type
	eo := ""
	valueElem := "VALUE"
	switch n.name {
	case "PROPERTY":
		t = d.typeAttr(n)
		eo = embeddedAttr(n)
	case "PROPERTY.ARRAY":
		t = d.typeAttr(n)
		eo = embeddedAttr(n)
		p.IsArray = true
		p.ArraySize = d.arraySize(n)
		valueElem = "VALUE.ARRAY"
	default:
		t = cim.TypeReference
		p.ReferenceClass, _ = n.attr("REFERENCECLASS")
		valueElem = "VALUE.REFERENCE"
	}
	p.Type = t
	var value *node
	for c := n.first; c != nil; c = c.next {
		switch {
		case c.name == "QUALIFIER" && value == nil:
			q, qprop := d.qualifier(c)
			if inClass && (!qprop || d.propagated) {
				q.Propagated = qprop
				p.Qualifiers = append(p.Qualifiers, q)
			}
		case c.name == valueElem && value == nil:
			value = c
		default:
			d.unexpected(n, c)
		}
	}
	if value != nil {
		switch valueElem {
		case "VALUE":
			p.Value = d.value(value, t, eo)
		case "VALUE.ARRAY":
			p.Value = d.valueArray(value, t, eo)
		default:
			p.Value = d.reference(value)
		}
	}
	return p, propagated
}

// flavor reads the flavor attributes of a QUALIFIER or QUALIFIER.DECLARATION.
func (d *decoder) flavor(n *node) cim.Flavor {
	var f cim.Flavor
	if !d.boolAttr(n, "OVERRIDABLE", true) {
		f |= cim.DisableOverride
	}
	if !d.boolAttr(n, "TOSUBCLASS", true) {
		f |= cim.Restricted
	}
	if d.boolAttr(n, "TRANSLATABLE", false) {
		f |= cim.Translatable
	}
	if d.boolAttr(n, "TOINSTANCE", false) {
		f |= cim.ToInstance
	}
	return f
}

// qualifier decodes QUALIFIER.
func (d *decoder) qualifier(n *node) (q cim.Qualifier, propagated bool) {
	q.Name = d.required(n, "NAME")
	q.Type = d.typeAttr(n)
	propagated = d.boolAttr(n, "PROPAGATED", false)
	q.Flavor = d.flavor(n)
	if v := d.only(n); v != nil {
		switch v.name {
		case "VALUE":
			q.Value = d.value(v, q.Type, "")
		case "VALUE.ARRAY":
			q.IsArray = true
			q.Value = d.valueArray(v, q.Type, "")
		default:
			d.unexpected(n, v)
		}
	}
	return q, propagated
}

// qualifierDecl decodes QUALIFIER.DECLARATION.
func (d *decoder) qualifierDecl(n *node) *cim.QualifierType {
	qt := &cim.QualifierType{Name: d.required(n, "NAME"), Type: d.typeAttr(n)}
	_, hasIsArray := n.attr("ISARRAY")
	qt.IsArray = d.boolAttr(n, "ISARRAY", false)
	qt.ArraySize = d.arraySize(n)
	qt.Flavor = d.flavor(n)
	d.elementOnly(n)
	c := n.first
	if c != nil && c.name == "SCOPE" {
		d.empty(c)
		for _, s := range []struct {
			attr  string
			scope cim.Scope
		}{
			{"CLASS", cim.ScopeClass}, {"ASSOCIATION", cim.ScopeAssociation},
			{"REFERENCE", cim.ScopeReference}, {"PROPERTY", cim.ScopeProperty},
			{"METHOD", cim.ScopeMethod}, {"PARAMETER", cim.ScopeParameter},
			{"INDICATION", cim.ScopeIndication},
		} {
			if d.boolAttr(c, s.attr, false) {
				qt.Scope |= s.scope
			}
		}
		c = c.next
	}
	if c != nil {
		switch c.name {
		case "VALUE":
			if qt.IsArray {
				d.invalid(c, "array qualifier %s has a scalar default", qt.Name)
			}
			qt.Default = d.value(c, qt.Type, "")
		case "VALUE.ARRAY":
			if hasIsArray && !qt.IsArray {
				d.invalid(c, "scalar qualifier %s has an array default", qt.Name)
			}
			qt.IsArray = true
			qt.Default = d.valueArray(c, qt.Type, "")
		default:
			d.unexpected(n, c)
		}
		if c.next != nil {
			d.unexpected(n, c.next)
		}
	}
	return qt
}

// class decodes CLASS into a class of its local elements: elements flagged
// PROPAGATED="true" are inherited and dropped, the dispatcher resolves the class.
func (d *decoder) class(n *node) *cim.Class {
	c := &cim.Class{Name: d.required(n, "NAME")}
	c.SuperClass, _ = n.attr("SUPERCLASS")
	d.elementOnly(n)
	phase := 0 // 0 qualifiers, 1 properties, 2 methods
	for e := n.first; e != nil; e = e.next {
		switch e.name {
		case "QUALIFIER":
			if phase > 0 {
				d.invalid(e, "<QUALIFIER> after a property or method in <CLASS>")
			}
			if q, prop := d.qualifier(e); !prop {
				c.Qualifiers = append(c.Qualifiers, q)
			}
		case "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE":
			if phase > 1 {
				d.invalid(e, "<%s> after a method in <CLASS>", e.name)
			}
			phase = 1
			if p, prop := d.property(e, true); !prop {
				c.Properties = append(c.Properties, p)
			}
		case "METHOD":
			phase = 2
			if m, prop := d.method(e); !prop {
				c.Methods = append(c.Methods, m)
			}
		default:
			d.unexpected(n, e)
		}
	}
	return c
}

// method decodes METHOD with its parameters.
func (d *decoder) method(n *node) (m cim.Method, propagated bool) {
	m.Name = d.required(n, "NAME")
	propagated = d.boolAttr(n, "PROPAGATED", false)
	if ts, ok := n.attr("TYPE"); ok {
		m.ReturnType = cim.ParseType(strings.TrimSpace(ts))
		if m.ReturnType == cim.TypeInvalid || m.ReturnType == cim.TypeReference {
			d.invalid(n, "<METHOD> %s has an invalid TYPE %q", m.Name, ts)
		}
	} else {
		// The DTD allows it, DSP0004 does not: a CIM error, not a protocol one.
		d.opError(cim.StatusInvalidParameter, "method %s has no return type", m.Name)
	}
	d.elementOnly(n)
	params := false
	for c := n.first; c != nil; c = c.next {
		switch c.name {
		case "QUALIFIER":
			if params {
				d.invalid(c, "<QUALIFIER> after a parameter in <METHOD>")
			}
			if q, prop := d.qualifier(c); !prop {
				m.Qualifiers = append(m.Qualifiers, q)
			}
		case "PARAMETER", "PARAMETER.REFERENCE", "PARAMETER.ARRAY", "PARAMETER.REFARRAY":
			params = true
			m.Parameters = append(m.Parameters, d.parameter(c))
		default:
			d.unexpected(n, c)
		}
	}
	return m, propagated
}

// parameter decodes one of the four PARAMETER elements.
func (d *decoder) parameter(n *node) cim.Parameter {
	p := cim.Parameter{Name: d.required(n, "NAME")}
	switch n.name {
	case "PARAMETER":
		p.Type = d.typeAttr(n)
	case "PARAMETER.ARRAY":
		p.Type = d.typeAttr(n)
		p.IsArray = true
		p.ArraySize = d.arraySize(n)
	case "PARAMETER.REFERENCE":
		p.Type = cim.TypeReference
		p.ReferenceClass, _ = n.attr("REFERENCECLASS")
	default:
		p.Type = cim.TypeReference
		p.ReferenceClass, _ = n.attr("REFERENCECLASS")
		p.IsArray = true
		p.ArraySize = d.arraySize(n)
	}
	d.elementOnly(n)
	for c := n.first; c != nil; c = c.next {
		if c.name != "QUALIFIER" {
			d.unexpected(n, c)
		}
		if q, prop := d.qualifier(c); !prop {
			p.Qualifiers = append(p.Qualifiers, q)
		}
	}
	return p
}

// nameSet finds names given twice, case-insensitively: a linear search while the set
// is small (in an array, without allocating), a map beyond, so that a request with
// very many names is not quadratic.
type nameSet struct {
	arr [16]string
	n   int
	m   map[string]struct{}
}

// add adds name and reports whether it was new.
func (s *nameSet) add(name string) bool {
	if s.m == nil {
		for _, n := range s.arr[:s.n] {
			if strings.EqualFold(n, name) {
				return false
			}
		}
		if s.n < len(s.arr) {
			s.arr[s.n] = name
			s.n++
			return true
		}
		s.m = make(map[string]struct{}, 64)
		for _, n := range s.arr {
			s.m[strings.ToLower(n)] = struct{}{}
		}
	}
	k := strings.ToLower(name)
	if _, dup := s.m[k]; dup {
		return false
	}
	s.m[k] = struct{}{}
	return true
}
