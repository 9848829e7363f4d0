package cimxml

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shypecim/shypecim/cimom/cim"
)

// This file writes the object, naming and value elements of DSP0201 §3.2. No element
// is self-closing: some clients' parsers want <X></X>.

// hostOf returns the HOST for path p: its own host, else the one the client used.
func (w *writer) hostOf(p *cim.ObjectPath) string {
	switch {
	case p.Host != "":
		return p.Host
	case w.host != "":
		return w.host
	}
	return "localhost"
}

func (w *writer) localNamespace(ns string) {
	w.str("<LOCALNAMESPACEPATH>")
	for ns != "" {
		seg := ns
		if i := strings.IndexByte(ns, '/'); i >= 0 {
			seg, ns = ns[:i], ns[i+1:]
		} else {
			ns = ""
		}
		if seg == "" {
			continue
		}
		w.str(`<NAMESPACE NAME="`)
		w.escape(seg)
		w.str(`"></NAMESPACE>`)
	}
	w.str("</LOCALNAMESPACEPATH>")
}

func (w *writer) namespacePath(p *cim.ObjectPath) {
	w.str("<NAMESPACEPATH><HOST>")
	w.escape(w.hostOf(p))
	w.str("</HOST>")
	w.localNamespace(w.nsOf(p))
	w.str("</NAMESPACEPATH>")
}

func (w *writer) className(name string) {
	w.str(`<CLASSNAME NAME="`)
	w.escape(name)
	w.str(`"></CLASSNAME>`)
}

func (w *writer) classPath(p *cim.ObjectPath) {
	w.str("<CLASSPATH>")
	w.namespacePath(p)
	w.className(p.ClassName)
	w.str("</CLASSPATH>")
}

func (w *writer) instancePath(p *cim.ObjectPath) {
	w.str("<INSTANCEPATH>")
	w.namespacePath(p)
	w.instanceName(p)
	w.str("</INSTANCEPATH>")
}

func (w *writer) instanceName(p *cim.ObjectPath) {
	w.str(`<INSTANCENAME CLASSNAME="`)
	w.escape(p.ClassName)
	w.str(`">`)
	if len(p.Keys) == 1 && p.Keys[0].Name == "" {
		w.keyValue(p.Keys[0].Value)
	} else {
		for _, k := range p.Keys {
			w.str(`<KEYBINDING NAME="`)
			w.escape(k.Name)
			w.str(`">`)
			w.keyValue(k.Value)
			w.str("</KEYBINDING>")
		}
	}
	w.str("</INSTANCENAME>")
}

// keyValue writes KEYVALUE, always with VALUETYPE and TYPE, or VALUE.REFERENCE.
func (w *writer) keyValue(v any) {
	if r, ok := v.(*cim.ObjectPath); ok {
		w.reference(r)
		return
	}
	vt := "string"
	var t cim.Type
	if _, ok := v.(string); ok {
		t = cim.TypeString
	} else {
		w.scratch, t, _ = appendScalar(w.scratch[:0], v)
	}
	switch {
	case t == cim.TypeBoolean:
		vt = "boolean"
	case t.IsInteger(), t.IsReal():
		vt = "numeric"
	case t == cim.TypeInvalid:
		t = cim.TypeString
	}
	w.str(`<KEYVALUE VALUETYPE="`)
	w.str(vt)
	w.str(`" TYPE="`)
	w.str(t.String())
	w.str(`">`)
	switch x := v.(type) {
	case string:
		w.escape(x)
	case cim.Datetime, cim.Char16:
		w.escape(string(w.scratch))
	default:
		w.b.Write(w.scratch) // numbers and booleans need no escaping
	}
	w.str("</KEYVALUE>")
}

// nsOf returns the namespace of path p: its own, else that of the object being
// written, else the request's.
func (w *writer) nsOf(p *cim.ObjectPath) string {
	switch {
	case p.Namespace != "":
		return p.Namespace
	case w.cur != "":
		return w.cur
	}
	return w.ns
}

// reference writes VALUE.REFERENCE, always as a full INSTANCEPATH or CLASSPATH with
// HOST (cimxml.md Appendix A): wbemcli shows the host and namespace of reference keys
// from it, and a path without a namespace is relative to the object that holds it.
func (w *writer) reference(p *cim.ObjectPath) {
	w.str("<VALUE.REFERENCE>")
	if p.IsClass() {
		w.classPath(p)
	} else {
		w.instancePath(p)
	}
	w.str("</VALUE.REFERENCE>")
}

// value writes a value of type t: VALUE, VALUE.ARRAY, VALUE.REFERENCE or
// VALUE.REFARRAY. eo marks embedded objects.
func (w *writer) value(t cim.Type, isArray bool, v any, eo string) {
	a, arr := v.([]any)
	if t == cim.TypeReference {
		if !arr {
			if r, ok := v.(*cim.ObjectPath); ok {
				w.reference(r)
			}
			return
		}
		w.str("<VALUE.REFARRAY>")
		for _, e := range a {
			if r, ok := e.(*cim.ObjectPath); ok {
				w.reference(r)
			} else {
				w.str("<VALUE.NULL></VALUE.NULL>")
			}
		}
		w.str("</VALUE.REFARRAY>")
		return
	}
	if !arr {
		if r, ok := v.(*cim.ObjectPath); ok {
			w.reference(r)
			return
		}
		w.scalar(v)
		return
	}
	w.str("<VALUE.ARRAY>")
	for _, e := range a {
		if e == nil {
			w.str("<VALUE.NULL></VALUE.NULL>")
		} else {
			w.scalar(e)
		}
	}
	w.str("</VALUE.ARRAY>")
}

// scalar writes one VALUE.
func (w *writer) scalar(v any) {
	w.str("<VALUE>")
	switch x := v.(type) {
	case string:
		w.escape(x)
	case cim.Datetime:
		w.escape(string(x))
	case cim.Char16:
		w.escape(string(rune(x)))
	case *cim.Instance, *cim.Class:
		w.escape(w.embedded(x))
	default:
		w.scratch, _, _ = appendScalar(w.scratch[:0], v)
		w.b.Write(w.scratch) // digits, signs, TRUE/FALSE: nothing to escape
	}
	w.str("</VALUE>")
}

// embedded renders an embedded instance or class as the XML text that goes,
// escaped, into a VALUE.
func (w *writer) embedded(v any) string {
	var sb strings.Builder
	ew := &errWriter{w: &sb}
	sub := &writer{b: bufio.NewWriterSize(ew, 1024), ew: ew, host: w.host, ns: w.ns, cur: w.cur, includeQualifiers: true}
	switch x := v.(type) {
	case *cim.Instance:
		sub.instance(x)
	case *cim.Class:
		sub.class(x)
	}
	sub.b.Flush()
	return sb.String()
}

// embeddedOf returns the EmbeddedObject attribute for a property: from its
// EmbeddedInstance or EmbeddedObject qualifier, else from its value.
func embeddedOf(p *cim.Property) string {
	if p.Type != cim.TypeString && p.Type != cim.TypeInvalid {
		return ""
	}
	for i := range p.Qualifiers {
		q := &p.Qualifiers[i]
		switch {
		case strings.EqualFold(q.Name, "EmbeddedInstance"):
			if q.Value != nil {
				return "instance"
			}
		case strings.EqualFold(q.Name, "EmbeddedObject"):
			if b, _ := q.Value.(bool); b {
				return "object"
			}
		}
	}
	return embeddedKind(p.Value, "")
}

// class writes CLASS as the request's flags say, from the cache when it can.
func (w *writer) class(c *cim.Class) {
	if w.propertyList != nil || !cacheable(c) {
		w.classElement(c)
		return
	}
	key := classKey{c: c, localOnly: w.localOnly, qualifiers: w.includeQualifiers, origin: w.includeClassOrigin}
	if b, ok := classCache.Load(key); ok {
		w.b.Write(b.([]byte))
		return
	}
	var buf bytes.Buffer
	cw := *w
	cw.b = bufio.NewWriterSize(&buf, 16<<10)
	cw.classElement(c)
	cw.b.Flush()
	b := buf.Bytes()
	if classCacheBytes.Add(int64(len(b))) > classCacheBudget {
		// Full: start again rather than keep old classes alive forever.
		classCache.Clear()
		classCacheBytes.Store(int64(len(b)))
	}
	classCache.Store(key, b)
	w.b.Write(b)
}

// classCache holds CLASS elements already written, by class and presentation flags.
// Classes are immutable (a modified class is a new *cim.Class), so an entry never
// goes stale; the cache is emptied when it outgrows classCacheBudget. It makes
// GetClass and EnumerateClasses of a large schema a copy of bytes.
var (
	classCache      sync.Map // classKey → []byte
	classCacheBytes atomic.Int64
)

const classCacheBudget = 64 << 20

type classKey struct {
	c                             *cim.Class
	localOnly, qualifiers, origin bool
}

// cacheable reports whether the CLASS element of c depends on nothing but c and the
// flags: a default value that is a reference or an embedded object would carry the
// host and namespace of the request.
func cacheable(c *cim.Class) bool {
	for i := range c.Properties {
		v := c.Properties[i].Value
		if a, ok := v.([]any); ok && len(a) > 0 {
			v = a[0] // an array holds one kind of value
		}
		switch v.(type) {
		case *cim.ObjectPath, *cim.Instance, *cim.Class:
			return false
		}
	}
	return true
}

func (w *writer) classElement(c *cim.Class) {
	w.str(`<CLASS NAME="`)
	w.escape(c.Name)
	w.str(`"`)
	if c.SuperClass != "" {
		w.attr("SUPERCLASS", c.SuperClass)
	}
	w.str(">")
	w.qualifiers(c.Qualifiers)
	for i := range c.Properties {
		p := &c.Properties[i]
		if w.localOnly && p.Propagated {
			continue
		}
		if w.propertyList != nil && !inList(w.propertyList, p.Name) {
			continue
		}
		w.property(p, true)
	}
	for i := range c.Methods {
		m := &c.Methods[i]
		if w.localOnly && m.Propagated {
			continue
		}
		w.method(m)
	}
	w.str("</CLASS>")
}

func inList(list cim.PropertyList, name string) bool {
	for _, n := range list {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// instance writes INSTANCE, never with qualifiers.
func (w *writer) instance(in *cim.Instance) {
	w.str(`<INSTANCE CLASSNAME="`)
	w.escape(in.ClassName)
	w.str(`">`)
	for i := range in.Properties {
		w.property(&in.Properties[i], false)
	}
	w.str("</INSTANCE>")
}

// property writes PROPERTY, PROPERTY.ARRAY or PROPERTY.REFERENCE.
func (w *writer) property(p *cim.Property, inClass bool) {
	t := p.Type
	if t == cim.TypeInvalid {
		t = typeOfValue(p.Value)
	}
	_, arr := p.Value.([]any)
	arr = arr || p.IsArray
	elem := "PROPERTY"
	switch {
	case t == cim.TypeReference:
		elem = "PROPERTY.REFERENCE"
	case arr:
		elem = "PROPERTY.ARRAY"
	}
	w.open(elem)
	w.attr("NAME", p.Name)
	if t != cim.TypeReference {
		if t == cim.TypeInvalid {
			t = cim.TypeString
		}
		w.str(` TYPE="`)
		w.str(t.String())
		w.str(`"`)
	} else if p.ReferenceClass != "" {
		w.attr("REFERENCECLASS", p.ReferenceClass)
	}
	if arr && p.ArraySize > 0 {
		w.str(` ARRAYSIZE="`)
		w.b.WriteString(strconv.Itoa(p.ArraySize))
		w.str(`"`)
	}
	if w.includeClassOrigin && p.ClassOrigin != "" {
		w.attr("CLASSORIGIN", p.ClassOrigin)
	}
	if inClass && p.Propagated {
		w.str(` PROPAGATED="true"`)
	}
	eo := ""
	if t == cim.TypeString {
		eo = embeddedOf(p)
		// wbemcli refuses EmbeddedObject on PROPERTY.ARRAY (cimxml.md §2.7), which
		// would make it fail on every class of the DMTF schema with such a
		// property: an array gets it only when it holds values to parse.
		if eo != "" && (!arr || p.Value != nil) {
			w.str(` EmbeddedObject="`)
			w.str(eo)
			w.str(`"`)
		}
	}
	w.str(">")
	if inClass {
		w.qualifiers(p.Qualifiers)
	}
	if p.Value != nil {
		w.value(t, arr, p.Value, eo)
	}
	w.end(elem)
}

// qualifiers writes the qualifiers of a class element as the flags say.
func (w *writer) qualifiers(qs cim.Qualifiers) {
	if !w.includeQualifiers {
		return
	}
	for i := range qs {
		q := &qs[i]
		if w.localOnly && q.Propagated {
			continue
		}
		w.qualifier(q)
	}
}

func (w *writer) flavorAttrs(f cim.Flavor) {
	if !f.Overridable() {
		w.str(` OVERRIDABLE="false"`)
	}
	if !f.ToSubclass() {
		w.str(` TOSUBCLASS="false"`)
	}
	if f&cim.ToInstance != 0 {
		w.str(` TOINSTANCE="true"`)
	}
	if f.IsTranslatable() {
		w.str(` TRANSLATABLE="true"`)
	}
}

func (w *writer) qualifier(q *cim.Qualifier) {
	t := q.Type
	if t == cim.TypeInvalid {
		t = typeOfValue(q.Value)
		if t == cim.TypeInvalid {
			t = cim.TypeString
		}
	}
	w.str(`<QUALIFIER NAME="`)
	w.escape(q.Name)
	w.str(`" TYPE="`)
	w.str(t.String())
	w.str(`"`)
	if q.Propagated {
		w.str(` PROPAGATED="true"`)
	}
	w.flavorAttrs(q.Flavor)
	w.str(">")
	if q.Value != nil {
		_, arr := q.Value.([]any)
		w.value(t, arr || q.IsArray, q.Value, "")
	}
	w.str("</QUALIFIER>")
}

var scopeAttrs = []struct {
	name  string
	scope cim.Scope
}{
	{"CLASS", cim.ScopeClass}, {"ASSOCIATION", cim.ScopeAssociation},
	{"REFERENCE", cim.ScopeReference}, {"PROPERTY", cim.ScopeProperty},
	{"METHOD", cim.ScopeMethod}, {"PARAMETER", cim.ScopeParameter},
	{"INDICATION", cim.ScopeIndication},
}

// qualifierType writes QUALIFIER.DECLARATION.
func (w *writer) qualifierType(qt *cim.QualifierType) {
	t := qt.Type
	if t == cim.TypeInvalid {
		t = cim.TypeString
	}
	w.str(`<QUALIFIER.DECLARATION NAME="`)
	w.escape(qt.Name)
	w.str(`" TYPE="`)
	w.str(t.String())
	w.str(`"`)
	if qt.IsArray {
		w.str(` ISARRAY="true"`)
		if qt.ArraySize > 0 {
			w.str(` ARRAYSIZE="`)
			w.b.WriteString(strconv.Itoa(qt.ArraySize))
			w.str(`"`)
		}
	} else {
		w.str(` ISARRAY="false"`)
	}
	w.flavorAttrs(qt.Flavor)
	w.str("><SCOPE")
	for _, s := range scopeAttrs {
		if qt.Scope&s.scope != 0 {
			w.str(" ")
			w.str(s.name)
			w.str(`="true"`)
		}
	}
	w.str("></SCOPE>")
	if qt.Default != nil {
		w.value(t, qt.IsArray, qt.Default, "")
	}
	w.str("</QUALIFIER.DECLARATION>")
}

// method writes METHOD with its parameters.
func (w *writer) method(m *cim.Method) {
	w.str(`<METHOD NAME="`)
	w.escape(m.Name)
	w.str(`"`)
	if m.ReturnType != cim.TypeInvalid {
		w.str(` TYPE="`)
		w.str(m.ReturnType.String())
		w.str(`"`)
	}
	if w.includeClassOrigin && m.ClassOrigin != "" {
		w.attr("CLASSORIGIN", m.ClassOrigin)
	}
	if m.Propagated {
		w.str(` PROPAGATED="true"`)
	}
	w.str(">")
	w.qualifiers(m.Qualifiers)
	for i := range m.Parameters {
		p := &m.Parameters[i]
		elem := "PARAMETER"
		switch {
		case p.Type == cim.TypeReference && p.IsArray:
			elem = "PARAMETER.REFARRAY"
		case p.Type == cim.TypeReference:
			elem = "PARAMETER.REFERENCE"
		case p.IsArray:
			elem = "PARAMETER.ARRAY"
		}
		w.open(elem)
		w.attr("NAME", p.Name)
		if p.Type == cim.TypeReference {
			if p.ReferenceClass != "" {
				w.attr("REFERENCECLASS", p.ReferenceClass)
			}
		} else {
			t := p.Type
			if t == cim.TypeInvalid {
				t = cim.TypeString
			}
			w.str(` TYPE="`)
			w.str(t.String())
			w.str(`"`)
		}
		if p.IsArray && p.ArraySize > 0 {
			w.str(` ARRAYSIZE="`)
			w.b.WriteString(strconv.Itoa(p.ArraySize))
			w.str(`"`)
		}
		w.str(">")
		w.qualifiers(p.Qualifiers)
		w.end(elem)
	}
	w.str("</METHOD>")
}
