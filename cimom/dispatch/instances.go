package dispatch

import (
	"context"
	"iter"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

// Instance operations (cimxml.md §3.3): each instance comes from the provider
// registered for its class, else from the repository.

// useClass returns class name of ns for an operation that uses it:
// CIM_ERR_INVALID_CLASS when it does not exist.
func (d *Dispatcher) useClass(ns, name string) (*cim.Class, error) {
	if name == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "a class name is required")
	}
	c := d.s.Class(ns, name)
	if c == nil {
		return nil, cim.Errorf(cim.StatusInvalidClass, "class %s does not exist", name)
	}
	return c, nil
}

// instancePath checks an instance path parameter and returns its class and the path
// typed against it (see typedPath).
func (d *Dispatcher) instancePath(ns, param string, path *cim.ObjectPath) (*cim.Class, *cim.ObjectPath, error) {
	if path == nil {
		return nil, nil, cim.Errorf(cim.StatusInvalidParameter, "%s is required", param)
	}
	if path.Namespace != "" && nsKey(path.Namespace) != nsKey(ns) {
		return nil, nil, cim.Errorf(cim.StatusInvalidParameter, "%s %s is in another namespace than %s", param, path, ns)
	}
	if !cim.IsIdentifier(path.ClassName) {
		return nil, nil, cim.Errorf(cim.StatusInvalidParameter, "%s: invalid class name %q", param, path.ClassName)
	}
	c, err := d.useClass(ns, path.ClassName)
	if err != nil {
		return nil, nil, err
	}
	tp, err := d.typedPath(ns, c, path)
	if err != nil {
		return nil, nil, err
	}
	return c, tp, nil
}

// fetch returns the instance at the typed path tp of class c.
func (d *Dispatcher) fetch(ctx context.Context, ns string, c *cim.Class, tp *cim.ObjectPath) (*cim.Instance, error) {
	if p := d.provider(ns, c.Name); p != nil {
		inst, err := p.GetInstance(ctx, ns, tp)
		if err != nil {
			return nil, err
		}
		if inst == nil {
			return nil, cim.Errorf(cim.StatusNotFound, "instance %s does not exist", tp)
		}
		return inst, nil
	}
	inst, err := d.s.Instance(ns, tp)
	if err != nil && cim.StatusOf(toCIMError(err)) == cim.StatusNotFound {
		if l := localized(tp, ns); l != nil {
			if inst, err2 := d.s.Instance(ns, l); err2 == nil {
				return inst, nil
			}
		}
	}
	return inst, err
}

// classAndSubclasses returns class c and all its subclasses, each before its own.
func (d *Dispatcher) classAndSubclasses(ns string, c *cim.Class) ([]*cim.Class, error) {
	names, err := d.s.SubclassNames(ns, c.Name, true)
	if err != nil {
		return nil, err
	}
	out := make([]*cim.Class, 0, 1+len(names))
	out = append(out, c)
	for _, n := range names {
		if sc := d.s.Class(ns, n); sc != nil {
			out = append(out, sc)
		}
	}
	return out, nil
}

// instancesOf yields the instances whose creation class is exactly c.
func (d *Dispatcher) instancesOf(ctx context.Context, ns string, c *cim.Class) iter.Seq2[*cim.Instance, error] {
	p := d.provider(ns, c.Name)
	if p == nil {
		return func(yield func(*cim.Instance, error) bool) {
			insts, err := d.s.Instances(ns, c.Name, false)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, in := range insts {
				if !yield(in, nil) {
					return
				}
			}
		}
	}
	if e, ok := p.(providers.InstanceEnumerator); ok {
		return e.EnumerateInstances(ctx, ns, c.Name)
	}
	return func(yield func(*cim.Instance, error) bool) {
		names, err := p.EnumerateInstanceNames(ctx, ns, c.Name)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, n := range names {
			inst, err := p.GetInstance(ctx, ns, n)
			if cim.StatusOf(err) == cim.StatusNotFound {
				continue // gone since it was listed
			}
			if !yield(inst, err) || err != nil {
				return
			}
		}
	}
}

// pathsOf yields the paths of the instances whose creation class is exactly c.
func (d *Dispatcher) pathsOf(ctx context.Context, ns string, c *cim.Class) iter.Seq2[*cim.ObjectPath, error] {
	return func(yield func(*cim.ObjectPath, error) bool) {
		var names []*cim.ObjectPath
		var err error
		if p := d.provider(ns, c.Name); p != nil {
			names, err = p.EnumerateInstanceNames(ctx, ns, c.Name)
		} else {
			names, err = d.s.InstanceNames(ns, c.Name, false)
		}
		if err != nil {
			yield(nil, err)
			return
		}
		for _, n := range names {
			if n.Namespace == "" {
				cp := *n
				cp.Namespace = ns
				n = &cp
			}
			if !yield(n, nil) {
				return
			}
		}
	}
}

// pathOf returns the path of inst, an instance of c, in ns.
func pathOf(ns string, c *cim.Class, inst *cim.Instance) *cim.ObjectPath {
	return newPathBuilder(ns, c, 1).build(inst)
}

// pathBuilder makes the paths of many instances of one class: it finds the key
// properties once, and allocates paths and key bindings in chunks, which halves the
// time of a large enumeration (paths are built for every instance, and the
// repository's own cannot be read in the same snapshot as its instances).
type pathBuilder struct {
	ns, class string
	keys      []string // the key properties, in class order
	chunk     int
	paths     []cim.ObjectPath
	bindings  []cim.KeyBinding
}

func newPathBuilder(ns string, c *cim.Class, chunk int) *pathBuilder {
	b := &pathBuilder{ns: ns, class: c.Name, chunk: chunk}
	for i := range c.Properties {
		if c.Properties[i].IsKey() {
			b.keys = append(b.keys, c.Properties[i].Name)
		}
	}
	return b
}

func (b *pathBuilder) build(inst *cim.Instance) *cim.ObjectPath {
	if len(b.paths) == 0 {
		b.paths = make([]cim.ObjectPath, b.chunk)
		b.bindings = make([]cim.KeyBinding, b.chunk*len(b.keys))
	}
	p := &b.paths[0]
	b.paths = b.paths[1:]
	n := len(b.keys)
	kb := b.bindings[:n:n]
	b.bindings = b.bindings[n:]
	for i, k := range b.keys {
		var v any
		if ip := inst.Property(k); ip != nil {
			v = ip.Value
		}
		kb[i] = cim.KeyBinding{Name: k, Value: v}
	}
	*p = cim.ObjectPath{Namespace: b.ns, ClassName: b.class, Keys: kb}
	if n == 0 {
		p.Keys = nil
	}
	return p
}

// instanceFilter selects and trims the instances of an enumeration.
type instanceFilter struct {
	narrow *cim.Class // DeepInheritance=false: the properties of this class only
	pl     cim.PropertyList
	filter compiledFilter // FQL filter of an Open…, or nil
}

// enumerate streams the instances of classes, each with its path, filtered and
// trimmed by f. withInstance false yields paths only (but the filter still needs
// the instances).
func (d *Dispatcher) enumerate(ctx context.Context, ns string, classes []*cim.Class, f instanceFilter, withInstance bool) iter.Seq2[cim.Object, error] {
	if !withInstance && f.filter == nil {
		return func(yield func(cim.Object, error) bool) {
			for _, c := range classes {
				for p, err := range d.pathsOf(ctx, ns, c) {
					if err != nil {
						yield(cim.Object{}, toCIMError(err))
						return
					}
					if !yield(cim.Object{Path: p}, nil) {
						return
					}
				}
			}
		}
	}
	return func(yield func(cim.Object, error) bool) {
		for _, c := range classes {
			pb := newPathBuilder(ns, c, 64)
			for inst, err := range d.instancesOf(ctx, ns, c) {
				if err != nil {
					yield(cim.Object{}, toCIMError(err))
					return
				}
				if inst == nil {
					continue
				}
				if f.filter != nil {
					ok, err := f.filter.Match(inst)
					if err != nil {
						yield(cim.Object{}, toCIMError(err))
						return
					}
					if !ok {
						continue
					}
				}
				o := cim.Object{Path: pb.build(inst)}
				if withInstance {
					o.Instance = filterInstance(inst, f.narrow, f.pl)
				}
				if !yield(o, nil) {
					return
				}
			}
		}
	}
}

func (d *Dispatcher) getInstance(ctx context.Context, ns string, o *cim.GetInstance) (*cim.Result, error) {
	c, tp, err := d.instancePath(ns, "InstanceName", o.InstanceName)
	if err != nil {
		return nil, err
	}
	inst, err := d.fetch(ctx, ns, c, tp)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Instance: filterInstance(inst, nil, o.PropertyList)}, nil
}

// enumerationClasses checks the class of an instance enumeration and returns the
// classes to walk and the class to narrow to (DeepInheritance=false).
func (d *Dispatcher) enumerationClasses(ns, class string, deep bool) ([]*cim.Class, *cim.Class, error) {
	if class == "" {
		return nil, nil, cim.Errorf(cim.StatusInvalidParameter, "ClassName is required")
	}
	c, err := d.useClass(ns, class)
	if err != nil {
		return nil, nil, err
	}
	classes, err := d.classAndSubclasses(ns, c)
	if err != nil {
		return nil, nil, err
	}
	var narrow *cim.Class
	if !deep {
		narrow = c
	}
	return classes, narrow, nil
}

func (d *Dispatcher) enumerateInstances(ctx context.Context, ns string, o *cim.EnumerateInstances) (*cim.Result, error) {
	classes, narrow, err := d.enumerationClasses(ns, o.ClassName, o.DeepInheritance)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Objects: d.enumerate(ctx, ns, classes, instanceFilter{narrow: narrow, pl: o.PropertyList}, true)}, nil
}

func (d *Dispatcher) enumerateInstanceNames(ctx context.Context, ns string, o *cim.EnumerateInstanceNames) (*cim.Result, error) {
	classes, _, err := d.enumerationClasses(ns, o.ClassName, true)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Objects: d.enumerate(ctx, ns, classes, instanceFilter{}, false)}, nil
}

// typedInstance checks the properties of inst, sent by a client, against class c
// and returns them typed, in a new instance without qualifiers. With full, the
// properties inst lacks are added with the class defaults.
func typedInstance(c *cim.Class, inst *cim.Instance, full bool) (*cim.Instance, error) {
	out := &cim.Instance{ClassName: c.Name}
	given := make([]bool, len(c.Properties))
	typed := make([]cim.Property, len(c.Properties))
	for i := range inst.Properties {
		p := &inst.Properties[i]
		k := -1
		for j := range c.Properties {
			if strings.EqualFold(c.Properties[j].Name, p.Name) {
				k = j
				break
			}
		}
		if k < 0 {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "class %s has no property %s", c.Name, p.Name)
		}
		if given[k] {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "property %s is given twice", p.Name)
		}
		cp := &c.Properties[k]
		if p.Type != cim.TypeInvalid && (p.Type != cp.Type || p.IsArray != cp.IsArray) {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "property %s has type %s, the class declares %s",
				p.Name, typeText(p.Type, p.IsArray), typeText(cp.Type, cp.IsArray))
		}
		v, err := convert(cp.Type, cp.IsArray, p.Value)
		if err == nil {
			err = cim.CheckValue(cp.Type, cp.IsArray, v)
		}
		if err != nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "property %s: %v", cp.Name, err)
		}
		given[k] = true
		typed[k] = instanceProperty(cp, v)
	}
	for k := range c.Properties {
		switch {
		case given[k]:
			out.Properties = append(out.Properties, typed[k])
		case full:
			out.Properties = append(out.Properties, instanceProperty(&c.Properties[k], c.Properties[k].Value))
		}
	}
	return out, nil
}

// instanceProperty returns the property of an instance for class property cp.
func instanceProperty(cp *cim.Property, v any) cim.Property {
	return cim.Property{Name: cp.Name, Type: cp.Type, IsArray: cp.IsArray, ArraySize: cp.ArraySize,
		ReferenceClass: cp.ReferenceClass, Value: v, ClassOrigin: cp.ClassOrigin, Propagated: cp.Propagated}
}

func typeText(t cim.Type, isArray bool) string {
	if isArray {
		return t.String() + "[]"
	}
	return t.String()
}

// writer returns the InstanceWriter of provider p, or CIM_ERR_NOT_SUPPORTED.
func writer(p providers.InstanceProvider, class string) (providers.InstanceWriter, error) {
	if w, ok := p.(providers.InstanceWriter); ok {
		return w, nil
	}
	return nil, cim.Errorf(cim.StatusNotSupported, "the provider of class %s does not support changing instances", class)
}

func (d *Dispatcher) createInstance(ctx context.Context, ns string, o *cim.CreateInstance) (*cim.Result, error) {
	if o.NewInstance == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "NewInstance is required")
	}
	c, err := d.useClass(ns, o.NewInstance.ClassName)
	if err != nil {
		return nil, err
	}
	if c.IsAbstract() {
		return nil, cim.Errorf(cim.StatusInvalidClass, "class %s is abstract and cannot have instances", c.Name)
	}
	var w providers.InstanceWriter
	if p := d.provider(ns, c.Name); p != nil {
		if w, err = writer(p, c.Name); err != nil {
			return nil, err
		}
	}
	inst, err := typedInstance(c, o.NewInstance, true)
	if err != nil {
		return nil, err
	}
	if w != nil {
		path, err := w.CreateInstance(ctx, ns, inst)
		if err != nil {
			return nil, err
		}
		if path == nil {
			path = pathOf(ns, c, inst)
		} else if path.Namespace == "" {
			cp := *path
			cp.Namespace = ns
			path = &cp
		}
		return &cim.Result{Path: path}, nil
	}
	for _, k := range pathOf(ns, c, inst).Keys {
		if k.Value == nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "key property %s is NULL", k.Name)
		}
	}
	if err := d.checkRefs(ctx, ns, inst.Properties); err != nil {
		return nil, err
	}
	if err := d.validate(ns, c, inst); err != nil {
		return nil, err
	}
	path, err := d.s.CreateInstance(ns, inst)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Path: path}, nil
}

func (d *Dispatcher) modifyInstance(ctx context.Context, ns string, o *cim.ModifyInstance) (*cim.Result, error) {
	if o.ModifiedInstance == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "ModifiedInstance is required")
	}
	name := o.InstanceName
	if name == nil {
		c, err := d.useClass(ns, o.ModifiedInstance.ClassName)
		if err != nil {
			return nil, err
		}
		name = pathOf(ns, c, o.ModifiedInstance)
	}
	c, tp, err := d.instancePath(ns, "ModifiedInstance", name)
	if err != nil {
		return nil, err
	}
	if o.ModifiedInstance.ClassName != "" && !strings.EqualFold(o.ModifiedInstance.ClassName, c.Name) {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "the instance is of class %s, its path names %s",
			o.ModifiedInstance.ClassName, c.Name)
	}
	for _, n := range o.PropertyList {
		if c.Property(n) == nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "PropertyList: class %s has no property %s", c.Name, n)
		}
	}
	given, err := typedInstance(c, o.ModifiedInstance, false)
	if err != nil {
		return nil, err
	}
	// The properties to change: those given, or those listed (a listed property
	// the instance lacks gets the class default).
	var updates []cim.Property
	if o.PropertyList == nil {
		updates = given.Properties
	} else {
		for _, n := range o.PropertyList {
			if p := given.Property(n); p != nil {
				updates = append(updates, *p)
			} else {
				cp := c.Property(n)
				updates = append(updates, instanceProperty(cp, cp.Value))
			}
		}
	}
	var w providers.InstanceWriter
	p := d.provider(ns, c.Name)
	if p != nil {
		if w, err = writer(p, c.Name); err != nil {
			return nil, err
		}
	}
	old, err := d.fetch(ctx, ns, c, tp)
	if err != nil {
		return nil, err
	}
	for i := range updates {
		u := &updates[i]
		if !c.Property(u.Name).IsKey() {
			continue
		}
		k, _ := tp.Key(u.Name)
		if !keyMatches(u.Value, k, ns) {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "key property %s cannot change", u.Name)
		}
	}
	if len(updates) == 0 {
		return &cim.Result{}, nil
	}
	return d.update(ctx, ns, w, tp, c, old, updates)
}

// update stores the changed properties updates of the instance at tp (old, of class
// c): through the provider's writer w when the class has a provider, else in the
// repository, whose references are checked first.
func (d *Dispatcher) update(ctx context.Context, ns string, w providers.InstanceWriter, tp *cim.ObjectPath, c *cim.Class, old *cim.Instance, updates []cim.Property) (*cim.Result, error) {
	if w != nil {
		names := make([]string, len(updates))
		for i := range updates {
			names[i] = updates[i].Name
		}
		if err := w.ModifyInstance(ctx, ns, tp, &cim.Instance{ClassName: c.Name, Properties: updates}, names); err != nil {
			return nil, err
		}
		return &cim.Result{}, nil
	}
	if err := d.checkRefs(ctx, ns, updates); err != nil {
		return nil, err
	}
	next := merged(c, old, updates)
	if err := d.validate(ns, c, next); err != nil {
		return nil, err
	}
	if err := d.s.ModifyInstance(ns, next); err != nil {
		return nil, err
	}
	return &cim.Result{}, nil
}

// merged returns a new instance of c: old with the properties of updates replaced
// or added, in the class's property order. Keys keep old's values (the caller
// checked that they do not change), in the form the repository stored them.
func merged(c *cim.Class, old *cim.Instance, updates []cim.Property) *cim.Instance {
	out := &cim.Instance{ClassName: c.Name, Properties: make([]cim.Property, 0, len(c.Properties))}
	for i := range c.Properties {
		cp := &c.Properties[i]
		var p *cim.Property
		if cp.IsKey() {
			p = old.Property(cp.Name)
		}
		for j := 0; p == nil && j < len(updates); j++ {
			if strings.EqualFold(updates[j].Name, cp.Name) {
				p = &updates[j]
			}
		}
		if p == nil {
			p = old.Property(cp.Name)
		}
		if p != nil {
			out.Properties = append(out.Properties, instanceProperty(cp, p.Value))
		}
	}
	return out
}

func (d *Dispatcher) deleteInstance(ctx context.Context, ns string, o *cim.DeleteInstance) (*cim.Result, error) {
	c, tp, err := d.instancePath(ns, "InstanceName", o.InstanceName)
	if err != nil {
		return nil, err
	}
	if p := d.provider(ns, c.Name); p != nil {
		w, err := writer(p, c.Name)
		if err != nil {
			return nil, err
		}
		if err := w.DeleteInstance(ctx, ns, tp); err != nil {
			return nil, err
		}
		return &cim.Result{}, nil
	}
	err = d.s.DeleteInstance(ns, tp)
	if err != nil && cim.StatusOf(toCIMError(err)) == cim.StatusNotFound {
		if l := localized(tp, ns); l != nil && d.s.DeleteInstance(ns, l) == nil {
			err = nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &cim.Result{}, nil
}

func (d *Dispatcher) getProperty(ctx context.Context, ns string, o *cim.GetProperty) (*cim.Result, error) {
	if o.PropertyName == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "PropertyName is required")
	}
	c, tp, err := d.instancePath(ns, "InstanceName", o.InstanceName)
	if err != nil {
		return nil, err
	}
	inst, err := d.fetch(ctx, ns, c, tp)
	if err != nil {
		return nil, err
	}
	cp := c.Property(o.PropertyName)
	if cp == nil {
		return nil, cim.Errorf(cim.StatusNoSuchProperty, "class %s has no property %s", c.Name, o.PropertyName)
	}
	res := &cim.Result{ValueType: cp.Type, IsArray: cp.IsArray}
	if p := inst.Property(cp.Name); p != nil {
		res.Value = p.Value
	}
	return res, nil
}

func (d *Dispatcher) setProperty(ctx context.Context, ns string, o *cim.SetProperty) (*cim.Result, error) {
	if o.PropertyName == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "PropertyName is required")
	}
	c, tp, err := d.instancePath(ns, "InstanceName", o.InstanceName)
	if err != nil {
		return nil, err
	}
	var w providers.InstanceWriter
	if p := d.provider(ns, c.Name); p != nil {
		if w, err = writer(p, c.Name); err != nil {
			return nil, err
		}
	}
	old, err := d.fetch(ctx, ns, c, tp)
	if err != nil {
		return nil, err
	}
	cp := c.Property(o.PropertyName)
	if cp == nil {
		return nil, cim.Errorf(cim.StatusNoSuchProperty, "class %s has no property %s", c.Name, o.PropertyName)
	}
	v, err := convert(cp.Type, cp.IsArray, o.NewValue)
	if err == nil {
		err = cim.CheckValue(cp.Type, cp.IsArray, v)
	}
	if err != nil {
		return nil, cim.Errorf(cim.StatusTypeMismatch, "property %s: %v", cp.Name, err)
	}
	if cp.IsKey() {
		k, _ := tp.Key(cp.Name)
		if !keyMatches(v, k, ns) {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "key property %s cannot change", cp.Name)
		}
	}
	return d.update(ctx, ns, w, tp, c, old, []cim.Property{instanceProperty(cp, v)})
}

// checkRefs checks that the references among props (typed) name existing
// instances, and types their keys, before they are stored in the repository
// (cimxml.md §3.3: a missing endpoint is CIM_ERR_INVALID_PARAMETER). Providers
// check their own. References are stored with their namespace (see localized).
func (d *Dispatcher) checkRefs(ctx context.Context, ns string, props []cim.Property) error {
	for i := range props {
		p := &props[i]
		ref, ok := p.Value.(*cim.ObjectPath)
		if !ok || ref == nil || p.IsArray {
			continue
		}
		rns := ns
		if ref.Namespace != "" {
			rns = strings.Trim(ref.Namespace, "/")
		}
		if !d.s.HasNamespace(rns) {
			return cim.Errorf(cim.StatusInvalidParameter, "reference %s: namespace %s does not exist", p.Name, rns)
		}
		c := d.s.Class(rns, ref.ClassName)
		if c == nil {
			return cim.Errorf(cim.StatusInvalidParameter, "reference %s: class %s does not exist", p.Name, ref.ClassName)
		}
		if nsKey(rns) == nsKey(ns) && p.ReferenceClass != "" && !d.s.IsSubclass(ns, c.Name, p.ReferenceClass) {
			return cim.Errorf(cim.StatusInvalidParameter, "reference %s must name a %s, not a %s", p.Name, p.ReferenceClass, c.Name)
		}
		tp, err := d.typedPath(rns, c, ref)
		if err != nil {
			return cim.Errorf(cim.StatusInvalidParameter, "reference %s: %v", p.Name, err)
		}
		if _, err := d.fetch(ctx, rns, c, tp); err != nil {
			if cim.StatusOf(toCIMError(err)) == cim.StatusNotFound {
				return cim.Errorf(cim.StatusInvalidParameter, "reference %s: instance %s does not exist", p.Name, ref)
			}
			return err
		}
		p.Value = tp // typed, with its namespace, without host
	}
	return nil
}

// validate runs Options.Validate on a static instance about to be stored.
func (d *Dispatcher) validate(ns string, c *cim.Class, inst *cim.Instance) error {
	if d.opts.Validate == nil {
		return nil
	}
	return d.opts.Validate(ns, c, inst)
}
