package dispatch

import (
	"context"
	"iter"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

// Association traversal (cimxml.md §3.4), at instance level (ObjectName has keys)
// and at class level (ObjectName is a class path, or a key-less instance name).

// assocQuery is the checked parameters of one traversal.
type assocQuery struct {
	ns         string
	src        *cim.ObjectPath // typed, with namespace; class-level: no keys
	srcClass   *cim.Class
	assocClass string // Associators: AssocClass; References: ResultClass
	resultCls  string // Associators only
	role       string
	resultRole string
	pl         cim.PropertyList
	filter     compiledFilter
}

// assocParams checks ObjectName and the class filters: each unknown class is
// CIM_ERR_INVALID_PARAMETER. classLevel reports a class path; with instanceOnly
// (the Open… operations) a class path is CIM_ERR_INVALID_PARAMETER instead.
func (d *Dispatcher) assocParams(ns string, name *cim.ObjectPath, classFilters []string, instanceOnly bool) (q assocQuery, classLevel bool, err error) {
	q.ns = ns
	if name == nil {
		return q, false, cim.Errorf(cim.StatusInvalidParameter, "ObjectName is required")
	}
	if name.Namespace != "" && nsKey(name.Namespace) != nsKey(ns) {
		return q, false, cim.Errorf(cim.StatusInvalidParameter, "ObjectName %s is in another namespace than %s", name, ns)
	}
	c := d.s.Class(ns, name.ClassName)
	if c == nil {
		return q, false, cim.Errorf(cim.StatusInvalidParameter, "class %s of ObjectName does not exist", name.ClassName)
	}
	q.srcClass = c
	for _, f := range classFilters {
		if f != "" && d.s.Class(ns, f) == nil {
			return q, false, cim.Errorf(cim.StatusInvalidParameter, "class %s does not exist", f)
		}
	}
	if name.IsClass() && !instanceOnly {
		q.src = &cim.ObjectPath{Namespace: ns, ClassName: c.Name}
		return q, true, nil
	}
	q.src, err = d.typedPath(ns, c, name)
	return q, false, err
}

// assocHit is an association instance that refers to the source through the
// reference properties srcProps.
type assocHit struct {
	inst     *cim.Instance
	class    *cim.Class
	srcProps []string
}

// candidateRefs returns, for association class a, the reference properties that
// may point to an instance of class src and pass the role filter.
func (d *Dispatcher) candidateRefs(ns string, a *cim.Class, src, role string) []*cim.Property {
	var out []*cim.Property
	for _, r := range a.References() {
		if role != "" && !strings.EqualFold(r.Name, role) {
			continue
		}
		if r.ReferenceClass != "" && !d.s.IsSubclass(ns, src, r.ReferenceClass) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// assocClasses returns the association classes that may refer to q.src's class
// (the repository's index), kept by the assocClass filter, each with its
// candidate reference properties.
func (d *Dispatcher) assocClasses(q *assocQuery) ([]*cim.Class, [][]*cim.Property, error) {
	names, err := d.s.ReferencingClasses(q.ns, q.srcClass.Name)
	if err != nil {
		return nil, nil, err
	}
	var classes []*cim.Class
	var refs [][]*cim.Property
	for _, n := range names {
		if q.assocClass != "" && !d.s.IsSubclass(q.ns, n, q.assocClass) {
			continue
		}
		a := d.s.Class(q.ns, n)
		if a == nil {
			continue
		}
		rs := d.candidateRefs(q.ns, a, q.srcClass.Name, q.role)
		if len(rs) == 0 {
			continue
		}
		classes = append(classes, a)
		refs = append(refs, rs)
	}
	return classes, refs, nil
}

// hits streams the association instances that refer to q.src.
func (d *Dispatcher) hits(ctx context.Context, q *assocQuery) (iter.Seq2[assocHit, error], error) {
	classes, refs, err := d.assocClasses(q)
	if err != nil {
		return nil, err
	}
	return func(yield func(assocHit, error) bool) {
		for i, a := range classes {
			var insts iter.Seq2[*cim.Instance, error]
			if ap, ok := d.provider(q.ns, a.Name).(providers.AssociationProvider); ok {
				insts = ap.ReferencesTo(ctx, q.ns, a.Name, q.src, q.role)
			} else {
				insts = d.instancesOf(ctx, q.ns, a)
			}
			for inst, err := range insts {
				if err != nil {
					yield(assocHit{}, toCIMError(err))
					return
				}
				if inst == nil {
					continue
				}
				var props []string
				for _, r := range refs[i] {
					p := inst.Property(r.Name)
					if p == nil {
						continue
					}
					if ref, ok := p.Value.(*cim.ObjectPath); ok && refMatches(ref, q.src, q.ns) {
						props = append(props, r.Name)
					}
				}
				if len(props) == 0 {
					continue
				}
				if !yield(assocHit{inst: inst, class: a, srcProps: props}, nil) {
					return
				}
			}
		}
	}, nil
}

// instReferences streams the association instances (References, ReferenceNames
// and their Open… forms).
func (d *Dispatcher) instReferences(ctx context.Context, q *assocQuery, withInstance bool) (iter.Seq2[cim.Object, error], error) {
	hits, err := d.hits(ctx, q)
	if err != nil {
		return nil, err
	}
	return func(yield func(cim.Object, error) bool) {
		for h, err := range hits {
			if err != nil {
				yield(cim.Object{}, err)
				return
			}
			if q.filter != nil {
				ok, err := q.filter.Match(h.inst)
				if err != nil {
					yield(cim.Object{}, queryError(err))
					return
				}
				if !ok {
					continue
				}
			}
			o := cim.Object{Path: pathOf(q.ns, h.class, h.inst)}
			if withInstance {
				o.Instance = filterInstance(h.inst, nil, q.pl)
			}
			if !yield(o, nil) {
				return
			}
		}
	}, nil
}

// instAssociators streams the instances at the other ends of the associations
// (Associators, AssociatorNames and their Open… forms), each once.
func (d *Dispatcher) instAssociators(ctx context.Context, q *assocQuery, withInstance bool) (iter.Seq2[cim.Object, error], error) {
	hits, err := d.hits(ctx, q)
	if err != nil {
		return nil, err
	}
	needInstance := withInstance || q.filter != nil
	return func(yield func(cim.Object, error) bool) {
		seen := map[string]bool{}
		for h, err := range hits {
			if err != nil {
				yield(cim.Object{}, err)
				return
			}
			for _, sp := range h.srcProps {
				for _, r := range h.class.References() {
					if strings.EqualFold(r.Name, sp) || (q.resultRole != "" && !strings.EqualFold(r.Name, q.resultRole)) {
						continue
					}
					p := h.inst.Property(r.Name)
					if p == nil {
						continue
					}
					target, ok := p.Value.(*cim.ObjectPath)
					if !ok || target == nil {
						continue
					}
					o, ok, err := d.associated(ctx, q, target, needInstance, seen)
					if err != nil {
						yield(cim.Object{}, toCIMError(err))
						return
					}
					if !ok {
						continue
					}
					if q.filter != nil {
						match, err := q.filter.Match(o.Instance)
						if err != nil {
							yield(cim.Object{}, queryError(err))
							return
						}
						if !match {
							continue
						}
					}
					if withInstance {
						o.Instance = filterInstance(o.Instance, nil, q.pl)
					} else {
						o.Instance = nil
					}
					if !yield(o, nil) {
						return
					}
				}
			}
		}
	}, nil
}

// associated resolves one reference found in an association: its class in its
// namespace, the ResultClass filter, duplicates, and (with needInstance) the
// instance, which may have gone (ok false).
func (d *Dispatcher) associated(ctx context.Context, q *assocQuery, target *cim.ObjectPath, needInstance bool, seen map[string]bool) (cim.Object, bool, error) {
	tns := q.ns
	if target.Namespace != "" {
		tns = strings.Trim(target.Namespace, "/")
	}
	c := d.s.Class(tns, target.ClassName)
	if c == nil {
		return cim.Object{}, false, nil // dangling reference
	}
	if q.resultCls != "" && !d.s.IsSubclass(tns, c.Name, q.resultCls) {
		return cim.Object{}, false, nil
	}
	tp, err := d.typedPath(tns, c, target)
	if err != nil {
		return cim.Object{}, false, nil // a reference that names no instance
	}
	key := nsKey(tns) + ":" + strings.ToLower(tp.String())
	if seen[key] {
		return cim.Object{}, false, nil
	}
	seen[key] = true
	o := cim.Object{Path: tp}
	if needInstance {
		inst, err := d.fetch(ctx, tns, c, tp)
		switch cim.StatusOf(toCIMError(err)) {
		case cim.StatusOK:
			o.Instance = inst
		case cim.StatusNotFound:
			return cim.Object{}, false, nil
		default:
			return cim.Object{}, false, err
		}
	}
	return o, true, nil
}

// classReferences returns the association classes that refer to q.src's class
// (class-level References and ReferenceNames).
func (d *Dispatcher) classReferences(q *assocQuery, withClass bool) ([]cim.Object, error) {
	classes, _, err := d.assocClasses(q)
	if err != nil {
		return nil, err
	}
	out := make([]cim.Object, 0, len(classes))
	for _, a := range classes {
		o := cim.Object{Path: &cim.ObjectPath{Namespace: q.ns, ClassName: a.Name}}
		if withClass {
			o.Class = a
		}
		out = append(out, o)
	}
	return out, nil
}

// classAssociators returns the classes at the other ends of the associations that
// refer to q.src's class (class-level Associators and AssociatorNames).
func (d *Dispatcher) classAssociators(q *assocQuery, withClass bool) ([]cim.Object, error) {
	classes, refs, err := d.assocClasses(q)
	if err != nil {
		return nil, err
	}
	var out []cim.Object
	seen := map[string]bool{}
	for i, a := range classes {
		for _, sp := range refs[i] {
			for _, r := range a.References() {
				if r == sp || strings.EqualFold(r.Name, sp.Name) ||
					(q.resultRole != "" && !strings.EqualFold(r.Name, q.resultRole)) {
					continue
				}
				rc := d.s.Class(q.ns, r.ReferenceClass)
				if rc == nil || seen[strings.ToLower(rc.Name)] {
					continue
				}
				if q.resultCls != "" && !d.s.IsSubclass(q.ns, rc.Name, q.resultCls) {
					continue
				}
				seen[strings.ToLower(rc.Name)] = true
				o := cim.Object{Path: &cim.ObjectPath{Namespace: q.ns, ClassName: rc.Name}}
				if withClass {
					o.Class = rc
				}
				out = append(out, o)
			}
		}
	}
	return out, nil
}

func (d *Dispatcher) associators(ctx context.Context, ns string, o *cim.Associators) (*cim.Result, error) {
	q, classLevel, err := d.assocParams(ns, o.ObjectName, []string{o.AssocClass, o.ResultClass}, false)
	if err != nil {
		return nil, err
	}
	q.assocClass, q.resultCls, q.role, q.resultRole, q.pl = o.AssocClass, o.ResultClass, o.Role, o.ResultRole, o.PropertyList
	if classLevel {
		objs, err := d.classAssociators(&q, true)
		if err != nil {
			return nil, err
		}
		return &cim.Result{Objects: cim.Objects(objs)}, nil
	}
	seq, err := d.instAssociators(ctx, &q, true)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Objects: seq}, nil
}

func (d *Dispatcher) associatorNames(ctx context.Context, ns string, o *cim.AssociatorNames) (*cim.Result, error) {
	q, classLevel, err := d.assocParams(ns, o.ObjectName, []string{o.AssocClass, o.ResultClass}, false)
	if err != nil {
		return nil, err
	}
	q.assocClass, q.resultCls, q.role, q.resultRole = o.AssocClass, o.ResultClass, o.Role, o.ResultRole
	if classLevel {
		objs, err := d.classAssociators(&q, false)
		if err != nil {
			return nil, err
		}
		return &cim.Result{Objects: cim.Objects(objs)}, nil
	}
	seq, err := d.instAssociators(ctx, &q, false)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Objects: seq}, nil
}

func (d *Dispatcher) references(ctx context.Context, ns string, o *cim.References) (*cim.Result, error) {
	q, classLevel, err := d.assocParams(ns, o.ObjectName, []string{o.ResultClass}, false)
	if err != nil {
		return nil, err
	}
	q.assocClass, q.role, q.pl = o.ResultClass, o.Role, o.PropertyList
	if classLevel {
		objs, err := d.classReferences(&q, true)
		if err != nil {
			return nil, err
		}
		return &cim.Result{Objects: cim.Objects(objs)}, nil
	}
	seq, err := d.instReferences(ctx, &q, true)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Objects: seq}, nil
}

func (d *Dispatcher) referenceNames(ctx context.Context, ns string, o *cim.ReferenceNames) (*cim.Result, error) {
	q, classLevel, err := d.assocParams(ns, o.ObjectName, []string{o.ResultClass}, false)
	if err != nil {
		return nil, err
	}
	q.assocClass, q.role = o.ResultClass, o.Role
	if classLevel {
		objs, err := d.classReferences(&q, false)
		if err != nil {
			return nil, err
		}
		return &cim.Result{Objects: cim.Objects(objs)}, nil
	}
	seq, err := d.instReferences(ctx, &q, false)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Objects: seq}, nil
}
