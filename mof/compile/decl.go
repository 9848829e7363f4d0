package compile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/mof"
)

type alias struct {
	path *cim.ObjectPath
	inst *cim.Instance
}

// schema is the view of one namespace that cim.Resolve and the instance checks use:
// this compilation's declarations first, then the base schema.
type schema struct {
	c  *Compiler
	ns *Namespace
}

func (s schema) QualifierType(name string) *cim.QualifierType {
	if qt := s.ns.QualifierType(name); qt != nil {
		return qt
	}
	if s.c.opts.Base != nil {
		return s.c.opts.Base.QualifierType(s.ns.Name, name)
	}
	return nil
}

func (s schema) Class(name string) *cim.Class {
	if cl := s.ns.Class(name); cl != nil {
		return cl
	}
	if s.c.opts.Base != nil {
		if cl := s.c.opts.Base.Class(s.ns.Name, name); cl != nil {
			return cl
		}
	}
	if s.c.failed[failKey(s.ns.Name, name)] {
		// A class left out for its own errors still exists as far as references to it
		// go, so that one mistake is reported once.
		return &cim.Class{Name: name}
	}
	return nil
}

func failKey(ns, class string) string { return nsKey(ns) + "\x00" + strings.ToLower(class) }

func (c *Compiler) qualifierDecl(nsName string, d *mof.QualifierDecl) {
	n := c.result.namespace(nsName)
	sch := schema{c, n}
	qt := &cim.QualifierType{Name: d.Name, IsArray: d.IsArray, ArraySize: d.ArraySize}
	ok := true
	qt.Type = cim.ParseType(d.Type)
	if qt.Type == cim.TypeInvalid || qt.Type == cim.TypeReference {
		c.errorf(d.TypePos, "unknown data type %s", d.Type)
		ok = false
	}
	if !cim.IsIdentifier(d.Name) {
		c.errorf(d.NamePos, "invalid qualifier name %q", d.Name)
		ok = false
	}
	if d.Default != nil && ok {
		v, vok := c.value(d.Default, qt.Type, qt.IsArray, "qualifier "+d.Name)
		qt.Default = v
		ok = ok && vok
	}
	for _, s := range d.Scopes {
		sc := cim.ParseScope(s.Name)
		if sc == 0 {
			c.errorf(s.Pos, "unknown scope %s (want class, association, indication, property, reference, method, parameter or any)", s.Name)
			ok = false
		}
		qt.Scope |= sc
	}
	f, fok := c.flavors(0, d.Flavors)
	qt.Flavor = f
	ok = ok && fok
	if !ok {
		return
	}
	if old := sch.QualifierType(d.Name); old != nil {
		if sameQualifierType(old, qt) {
			return // an identical declaration again is harmless
		}
		c.errorf(d.NamePos, "qualifier %s is already declared differently in namespace %s", d.Name, n.Name)
		return
	}
	n.qualifiers[strings.ToLower(qt.Name)] = qt
	n.QualifierTypes = append(n.QualifierTypes, qt)
}

func sameQualifierType(a, b *cim.QualifierType) bool {
	return strings.EqualFold(a.Name, b.Name) && a.Type == b.Type && a.IsArray == b.IsArray &&
		a.ArraySize == b.ArraySize && a.Scope == b.Scope && a.Flavor == b.Flavor &&
		cim.EqualValues(a.Default, b.Default)
}

// flavors applies the flavor keywords fs to f, reporting contradictions.
func (c *Compiler) flavors(f cim.Flavor, fs []mof.Ident) (cim.Flavor, bool) {
	ok := true
	var seen cim.Flavor // which of the pairs were given explicitly
	const (
		override  = 1 << 0
		propagate = 1 << 1
	)
	var overrideSet, propagateSet cim.Flavor
	for _, id := range fs {
		var bit, val cim.Flavor
		switch strings.ToLower(id.Name) {
		case "enableoverride":
			bit, val = override, 0
		case "disableoverride":
			bit, val = override, cim.DisableOverride
		case "tosubclass":
			bit, val = propagate, 0
		case "restricted":
			bit, val = propagate, cim.Restricted
		case "translatable":
			f |= cim.Translatable
			continue
		case "toinstance":
			f |= cim.ToInstance
			continue
		default:
			c.errorf(id.Pos, "unknown flavor %s", id.Name)
			ok = false
			continue
		}
		if bit == override {
			if seen&override != 0 && overrideSet != val {
				c.errorf(id.Pos, "flavors EnableOverride and DisableOverride contradict each other")
				ok = false
			}
			seen |= override
			overrideSet = val
			f = f&^cim.DisableOverride | val
		} else {
			if seen&propagate != 0 && propagateSet != val {
				c.errorf(id.Pos, "flavors ToSubclass and Restricted contradict each other")
				ok = false
			}
			seen |= propagate
			propagateSet = val
			f = f&^cim.Restricted | val
		}
	}
	return f, ok
}

// qualifiers converts a qualifier list, typing each value by its declaration.
// Qualifiers that are undeclared or mistyped are reported and left out.
func (c *Compiler) qualifiers(sch schema, qs []mof.Qualifier) cim.Qualifiers {
	if len(qs) == 0 {
		return nil
	}
	out := make(cim.Qualifiers, 0, len(qs))
	for i := range qs {
		q := &qs[i]
		qt := sch.QualifierType(q.Name)
		if qt == nil {
			c.errorf(q.NamePos, "qualifier %s is not declared", q.Name)
			continue
		}
		cq := cim.Qualifier{Name: qt.Name, Type: qt.Type, IsArray: qt.IsArray}
		if q.Name != qt.Name && strings.EqualFold(q.Name, qt.Name) {
			cq.Name = qt.Name // the declared spelling
		}
		switch {
		case q.Value != nil:
			v, ok := c.value(q.Value, qt.Type, qt.IsArray, "qualifier "+qt.Name)
			if !ok {
				continue
			}
			cq.Value = v
		case qt.Type == cim.TypeBoolean && !qt.IsArray:
			cq.Value = true
		default:
			cq.Value = qt.Default
		}
		f, ok := c.flavors(qt.Flavor, q.Flavors)
		if !ok {
			continue
		}
		cq.Flavor = f
		out = append(out, cq)
	}
	return out
}

// dataType returns the CIM type named by a declaration ("" for a reference).
func (c *Compiler) dataType(sch schema, name string, pos mof.Pos, refClass string) (cim.Type, bool) {
	if refClass != "" {
		return cim.TypeReference, true
	}
	t := cim.ParseType(name)
	if t == cim.TypeInvalid || t == cim.TypeReference {
		if sch.Class(name) != nil {
			c.errorf(pos, "unknown data type %s (a reference to class %s is written %s REF)", name, name, name)
		} else {
			c.errorf(pos, "unknown data type %s", name)
		}
		return t, false
	}
	return t, true
}

func (c *Compiler) classDecl(nsName string, d *mof.ClassDecl) {
	n := c.result.namespace(nsName)
	sch := schema{c, n}
	if prev := n.Class(d.Name); prev != nil {
		c.errorf(d.NamePos, "class %s is already defined (at %s)", d.Name, c.fset.Position(c.classPos[failKey(n.Name, d.Name)]))
		return
	}
	if c.opts.Base != nil && c.opts.Base.Class(n.Name, d.Name) != nil {
		c.errorf(d.NamePos, "class %s already exists in namespace %s", d.Name, n.Name)
		return
	}
	key := failKey(n.Name, d.Name)
	if d.SuperClass != "" && c.failed[failKey(n.Name, d.SuperClass)] {
		c.failed[key] = true // its superclass had errors, already reported
		return
	}
	errsBefore := len(c.errs)
	local := &cim.Class{Name: d.Name, SuperClass: d.SuperClass}
	local.Qualifiers = c.qualifiers(sch, d.Qualifiers)
	local.Properties = make([]cim.Property, 0, len(d.Properties))
	for _, pd := range d.Properties {
		t, ok := c.dataType(sch, pd.Type, pd.TypePos, pd.RefClass)
		if !ok {
			continue
		}
		p := cim.Property{Name: pd.Name, Type: t, IsArray: pd.IsArray, ArraySize: pd.ArraySize, ReferenceClass: pd.RefClass}
		p.Qualifiers = c.qualifiers(sch, pd.Qualifiers)
		if pd.Default != nil {
			v, _ := c.value(pd.Default, t, pd.IsArray, "property "+pd.Name)
			p.Value = v
		}
		local.Properties = append(local.Properties, p)
	}
	for _, md := range d.Methods {
		rt, ok := c.dataType(sch, md.ReturnType, md.TypePos, "")
		if !ok {
			continue
		}
		m := cim.Method{Name: md.Name, ReturnType: rt, Qualifiers: c.qualifiers(sch, md.Qualifiers)}
		m.Parameters = make([]cim.Parameter, 0, len(md.Params))
		for _, pd := range md.Params {
			t, ok := c.dataType(sch, pd.Type, pd.TypePos, pd.RefClass)
			if !ok {
				continue
			}
			m.Parameters = append(m.Parameters, cim.Parameter{
				Name: pd.Name, Type: t, IsArray: pd.IsArray, ArraySize: pd.ArraySize,
				ReferenceClass: pd.RefClass, Qualifiers: c.qualifiers(sch, pd.Qualifiers),
			})
		}
		local.Methods = append(local.Methods, m)
	}
	resolved, errs := cim.Resolve(local, sch)
	for _, e := range errs {
		c.errorf(schemaErrorPos(d, e), "%s", e.Msg)
	}
	if resolved == nil || len(c.errs) > errsBefore {
		c.failed[key] = true
		return
	}
	c.noteEmbedded(n.Name, d)
	n.classes[strings.ToLower(resolved.Name)] = resolved
	n.Classes = append(n.Classes, resolved)
	c.classPos[key] = d.NamePos
}

// schemaErrorPos finds where in the declaration a cim.SchemaError belongs.
func schemaErrorPos(d *mof.ClassDecl, e *cim.SchemaError) mof.Pos {
	switch {
	case e.Property != "":
		var pd *mof.PropertyDecl
		for _, p := range d.Properties {
			if strings.EqualFold(p.Name, e.Property) {
				pd = p // the last one: a duplicate is reported where it is repeated
			}
		}
		if pd == nil {
			break
		}
		if e.Part == "type" {
			return pd.TypePos
		}
		return qualifierPos(pd.Qualifiers, e.Qualifier, pd.NamePos)
	case e.Method != "":
		var md *mof.MethodDecl
		for _, m := range d.Methods {
			if strings.EqualFold(m.Name, e.Method) && (e.Parameter == "" || hasParam(m, e.Parameter)) {
				md = m
			}
		}
		if md == nil {
			break
		}
		if e.Parameter != "" {
			var pd *mof.ParamDecl
			for _, p := range md.Params {
				if strings.EqualFold(p.Name, e.Parameter) {
					pd = p
				}
			}
			if pd != nil {
				if e.Part == "type" {
					return pd.TypePos
				}
				return qualifierPos(pd.Qualifiers, e.Qualifier, pd.NamePos)
			}
		}
		return qualifierPos(md.Qualifiers, e.Qualifier, md.NamePos)
	case e.Part == "superclass" && d.SuperPos.IsValid():
		return d.SuperPos
	}
	return qualifierPos(d.Qualifiers, e.Qualifier, d.NamePos)
}

func hasParam(m *mof.MethodDecl, name string) bool {
	for _, p := range m.Params {
		if strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}

func qualifierPos(qs []mof.Qualifier, name string, def mof.Pos) mof.Pos {
	if name == "" {
		return def
	}
	pos := def
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			pos = q.NamePos
		}
	}
	return pos
}

// noteEmbedded records the EmbeddedInstance qualifiers of a class; the classes they
// name are checked when the compilation ends, since they may be defined later.
func (c *Compiler) noteEmbedded(ns string, d *mof.ClassDecl) {
	add := func(qs []mof.Qualifier) {
		for _, q := range qs {
			if strings.EqualFold(q.Name, "EmbeddedInstance") && q.Value != nil && q.Value.Kind == mof.StringValue {
				c.embedded = append(c.embedded, embeddedRef{ns: ns, class: q.Value.Str, pos: q.Value.Pos})
			}
		}
	}
	for _, p := range d.Properties {
		add(p.Qualifiers)
	}
	for _, m := range d.Methods {
		add(m.Qualifiers)
		for _, p := range m.Params {
			add(p.Qualifiers)
		}
	}
}

func (c *Compiler) checkEmbedded() {
	for _, e := range c.embedded {
		sch := schema{c, c.result.namespace(e.ns)}
		if sch.Class(e.class) == nil {
			c.errorf(e.pos, "EmbeddedInstance(%q): class %s is not defined", e.class, e.class)
		}
	}
	c.embedded = c.embedded[:0]
}

func (c *Compiler) instanceDecl(nsName string, d *mof.InstanceDecl) {
	n := c.result.namespace(nsName)
	sch := schema{c, n}
	cls := sch.Class(d.ClassName)
	if cls == nil {
		c.errorf(d.ClassPos, "class %s is not defined", d.ClassName)
		return
	}
	if c.failed[failKey(n.Name, d.ClassName)] {
		return
	}
	ok := true
	if cls.IsAbstract() {
		c.errorf(d.ClassPos, "class %s is abstract: it cannot have instances", cls.Name)
		ok = false
	}
	inst := &cim.Instance{ClassName: cls.Name, Qualifiers: c.qualifiers(sch, d.Qualifiers)}
	given := make(map[string]any, len(d.Properties))
	for _, pv := range d.Properties {
		p := cls.Property(pv.Name)
		if p == nil {
			c.errorf(pv.NamePos, "class %s has no property %s", cls.Name, pv.Name)
			ok = false
			continue
		}
		k := strings.ToLower(p.Name)
		if _, dup := given[k]; dup {
			c.errorf(pv.NamePos, "property %s is given twice", pv.Name)
			ok = false
			continue
		}
		c.qualifiers(sch, pv.Qualifiers)
		v, vok := c.value(&pv.Value, p.Type, p.IsArray, "property "+p.Name)
		if !vok {
			ok = false
			continue
		}
		given[k] = v
	}
	inst.Properties = make([]cim.Property, len(cls.Properties))
	for i := range cls.Properties {
		cp := &cls.Properties[i]
		ip := cim.Property{Name: cp.Name, Type: cp.Type, IsArray: cp.IsArray, ArraySize: cp.ArraySize,
			ReferenceClass: cp.ReferenceClass, ClassOrigin: cp.ClassOrigin, Propagated: cp.Propagated, Value: cp.Value}
		if v, found := given[strings.ToLower(cp.Name)]; found {
			ip.Value = v
		}
		if ok && cp.IsKey() && ip.Value == nil && !c.opts.Embedded {
			c.errorf(d.ClassPos, "key property %s of the instance of %s is NULL", cp.Name, cls.Name)
			ok = false
		}
		inst.Properties[i] = ip
	}
	if !ok {
		return
	}
	path := inst.Path(n.Name, cls)
	key := instanceKey(path)
	if n.instances[key] {
		c.errorf(d.Start, "instance %s is already defined", path)
		return
	}
	if d.Alias != "" {
		ak := strings.ToLower(d.Alias)
		if c.aliases[ak] != nil {
			c.errorf(d.AliasPos, "alias $%s is already defined", d.Alias)
			return
		}
		c.aliases[ak] = &alias{path: path, inst: inst}
	}
	n.instances[key] = true
	n.Instances = append(n.Instances, inst)
}

// instanceKey is an instance's identity: names lower-cased, keys sorted.
func instanceKey(p *cim.ObjectPath) string {
	keys := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		v := k.Value
		if r, ok := v.(*cim.ObjectPath); ok {
			v = instanceKey(r)
		}
		keys[i] = strings.ToLower(k.Name) + "=" + fmt.Sprintf("%T:%v", v, v)
	}
	sort.Strings(keys)
	return nsKey(p.Namespace) + ":" + strings.ToLower(p.ClassName) + "." + strings.Join(keys, ",")
}
