package repository

import (
	"errors"
	"slices"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The base layer: the schema compiled from MOF at every start. These three methods
// make the store a mof/compile Sink. They create the namespace when it does not
// exist yet, and never write to disk. Each publishes its change at once; Load puts
// many objects with one publication.

// PutQualifierType declares qt in namespace ns (base schema), replacing a
// declaration of the same name.
func (s *Store) PutQualifierType(ns string, qt *cim.QualifierType) error {
	return s.update(false, func(tx *txn) error { return tx.putQualifierType(ns, qt) })
}

// PutClass adds the resolved class c to namespace ns (base schema). It fails with
// ErrInvalidSuperclass when the superclass is not in ns, ErrAlreadyExists when a
// class of that name is.
func (s *Store) PutClass(ns string, c *cim.Class) error {
	return s.update(false, func(tx *txn) error { return tx.putClass(ns, c) })
}

// PutInstance adds the static instance inst to namespace ns (base schema). It fails
// as CreateInstance does.
func (s *Store) PutInstance(ns string, inst *cim.Instance) error {
	return s.update(false, func(tx *txn) error { return tx.putInstance(ns, inst) })
}

// Load runs fn, which puts objects of the base schema through the Loader, and
// publishes them all at once when fn returns nil; when it returns an error, Load
// returns it and the store is unchanged. Readers see the store as it was until
// then. Loading a whole schema this way is several times faster than through the
// Put methods of Store, which publish every object on its own:
//
//	err := s.Load(func(l *repository.Loader) error { return result.WriteTo(l) })
//
// Other writes wait until Load returns, so fn must not call the Store's write
// methods; its read methods show the store without what fn put so far.
func (s *Store) Load(fn func(l *Loader) error) error {
	return s.update(false, func(tx *txn) error {
		l := &Loader{tx: tx}
		defer func() { l.tx = nil }()
		return fn(l)
	})
}

// Loader puts objects of the base schema into a store within Store.Load; it is a
// mof/compile Sink. Its methods behave as the Store methods of the same names, and
// a call that fails changes nothing. It is not safe for concurrent use, and not
// usable after fn returned.
type Loader struct{ tx *txn }

var errLoaderDone = errors.New("repository: Loader used after Load returned")

// PutQualifierType is Store.PutQualifierType within Load.
func (l *Loader) PutQualifierType(ns string, qt *cim.QualifierType) error {
	if l.tx == nil {
		return errLoaderDone
	}
	return l.tx.putQualifierType(ns, qt)
}

// PutClass is Store.PutClass within Load.
func (l *Loader) PutClass(ns string, c *cim.Class) error {
	if l.tx == nil {
		return errLoaderDone
	}
	return l.tx.putClass(ns, c)
}

// PutInstance is Store.PutInstance within Load.
func (l *Loader) PutInstance(ns string, inst *cim.Instance) error {
	if l.tx == nil {
		return errLoaderDone
	}
	return l.tx.putInstance(ns, inst)
}

func (tx *txn) putQualifierType(ns string, qt *cim.QualifierType) error {
	return tx.inBaseNS(ns, func(n *namespace) error { return tx.setQualifierType(n, qt, fromBase) })
}

func (tx *txn) putClass(ns string, c *cim.Class) error {
	return tx.inBaseNS(ns, func(n *namespace) error { return tx.addClass(n, c, fromBase) })
}

func (tx *txn) putInstance(ns string, inst *cim.Instance) error {
	return tx.inBaseNS(ns, func(n *namespace) error {
		_, err := tx.addInstance(n, inst, false, create)
		return err
	})
}

// inBaseNS runs fn on namespace ns for writing, created if needed, and marks it as
// part of the base schema if fn succeeds. fn must change nothing when it fails.
func (tx *txn) inBaseNS(ns string, fn func(n *namespace) error) error {
	key := nsKey(ns)
	n := tx.ns(key)
	created := n == nil
	if created {
		if !validNamespace(ns) {
			return errorf(ErrInvalidParameter, "namespace name %q", ns)
		}
		n = &namespace{owner: tx, name: strings.Trim(ns, "/")}
		tx.setNS(key, n)
	}
	if err := fn(n); err != nil {
		if created {
			tx.setNS(key, nil)
		}
		return err
	}
	n.base = true
	return nil
}

// validNamespace reports whether ns, trimmed of '/', is a sequence of CIM
// identifiers separated by '/' ("root/cimv2").
func validNamespace(ns string) bool {
	ns = strings.Trim(ns, "/")
	if ns == "" {
		return false
	}
	for _, part := range strings.Split(ns, "/") {
		if !cim.IsIdentifier(part) {
			return false
		}
	}
	return true
}

// The client layer: changes made by CIM operations (DSP0200 §5.3.2). On a store
// opened on a directory each one is on disk when it returns without error.

// clientNS returns namespace ns for writing and marks its client layer changed.
func (tx *txn) clientNS(ns string) (*namespace, error) {
	key := nsKey(ns)
	n := tx.ns(key)
	if n == nil {
		return nil, errorf(ErrInvalidNamespace, "namespace %s", ns)
	}
	tx.dirty[key] = true
	return n, nil
}

// CreateNamespace creates the empty namespace ns. Namespace names are
// case-insensitive and compared without surrounding '/'; the spelling given is kept.
func (s *Store) CreateNamespace(ns string) error {
	return s.update(true, func(tx *txn) error { return tx.createNamespace(ns) })
}

func (tx *txn) createNamespace(ns string) error {
	key := nsKey(ns)
	if tx.st.nss[key] != nil {
		return errorf(ErrAlreadyExists, "namespace %s", ns)
	}
	if !validNamespace(ns) {
		return errorf(ErrInvalidParameter, "namespace name %q", ns)
	}
	tx.setNS(key, &namespace{owner: tx, name: strings.Trim(ns, "/"), created: true})
	tx.dirty[key] = true
	return nil
}

// DeleteNamespace deletes namespace ns, which must have been created by a client and
// hold no classes and no instances any more; its qualifier types go with it. A
// namespace of the base schema cannot be deleted (the base schema would bring it
// back at the next start): ErrNamespaceNotEmpty.
func (s *Store) DeleteNamespace(ns string) error {
	return s.update(true, func(tx *txn) error {
		n, err := tx.clientNS(ns)
		if err != nil {
			return err
		}
		switch {
		case n.base:
			return errorf(ErrNamespaceNotEmpty, "namespace %s belongs to the base schema", n.name)
		case n.classes.len() > 0 || n.insts.len() > 0:
			return errorf(ErrNamespaceNotEmpty, "namespace %s holds %d classes and %d instances",
				n.name, n.classes.len(), n.insts.len())
		}
		tx.setNS(nsKey(ns), nil)
		return nil
	})
}

// SetQualifierType creates qualifier type qt in namespace ns or replaces the one of
// the same name (DSP0200 SetQualifier). A qualifier type that classes or instances
// use may change its scope, flavor and default, not its type: ErrQualifierTypeInUse.
func (s *Store) SetQualifierType(ns string, qt *cim.QualifierType) error {
	return s.update(true, func(tx *txn) error { return tx.setClientQualifierType(ns, qt) })
}

func (tx *txn) setClientQualifierType(ns string, qt *cim.QualifierType) error {
	n, err := tx.clientNS(ns)
	if err != nil {
		return err
	}
	return tx.setQualifierType(n, qt, fromClient)
}

func (tx *txn) setQualifierType(n *namespace, qt *cim.QualifierType, o origin) error {
	if qt == nil || !cim.IsIdentifier(qt.Name) {
		return errorf(ErrInvalidParameter, "qualifier type name %q", qualName(qt))
	}
	if qt.Type == cim.TypeInvalid || qt.Type == cim.TypeReference {
		return errorf(ErrInvalidParameter, "qualifier type %s: type %s", qt.Name, qt.Type)
	}
	if err := cim.CheckValue(qt.Type, qt.IsArray, qt.Default); err != nil {
		return errorf(ErrInvalidParameter, "qualifier type %s: default value: %v", qt.Name, err)
	}
	key := nameKey(qt.Name)
	e := &qualEntry{qt: qt, origin: o}
	client := o != fromBase
	if old, ok := n.quals.get(key); ok {
		if client && (old.qt.Type != qt.Type || old.qt.IsArray != qt.IsArray) {
			if user := n.qualifierUser(key); user != "" {
				return errorf(ErrQualifierTypeInUse, "qualifier type %s cannot change its type: %s uses it",
					old.qt.Name, user)
			}
		}
		e.seq = old.seq
		if client && old.origin != fromClient {
			e.origin = modifiedBase
		}
	} else {
		e.seq = tx.nextSeq()
	}
	n.quals.set(tx, key, e)
	return nil
}

func qualName(qt *cim.QualifierType) string {
	if qt == nil {
		return ""
	}
	return qt.Name
}

// DeleteQualifierType deletes qualifier type name of namespace ns (DSP0200
// DeleteQualifier). It fails with ErrQualifierTypeInUse while a class or an
// instance uses it.
func (s *Store) DeleteQualifierType(ns, name string) error {
	return s.update(true, func(tx *txn) error {
		n, err := tx.clientNS(ns)
		if err != nil {
			return err
		}
		return tx.deleteQualifierType(n, name)
	})
}

func (tx *txn) deleteQualifierType(n *namespace, name string) error {
	key := nameKey(name)
	e, ok := n.quals.get(key)
	if !ok {
		return errorf(ErrNotFound, "qualifier type %s in namespace %s", name, n.name)
	}
	if user := n.qualifierUser(key); user != "" {
		return errorf(ErrQualifierTypeInUse, "qualifier type %s: %s uses it", e.qt.Name, user)
	}
	n.quals.del(tx, key)
	if e.origin != fromClient {
		n.goneQuals.set(tx, key, e.qt.Name)
	}
	return nil
}

// qualifierUser returns a description of an element of n that carries the
// qualifier with key k, or "". It looks at every class and instance: deleting a
// qualifier type is rare.
func (n *namespace) qualifierUser(k string) string {
	uses := func(qs cim.Qualifiers) bool {
		for i := range qs {
			if strings.EqualFold(qs[i].Name, k) {
				return true
			}
		}
		return false
	}
	for _, c := range n.order {
		if uses(c.Qualifiers) {
			return "class " + c.Name
		}
		for i := range c.Properties {
			if uses(c.Properties[i].Qualifiers) {
				return "property " + c.Name + "." + c.Properties[i].Name
			}
		}
		for i := range c.Methods {
			m := &c.Methods[i]
			if uses(m.Qualifiers) {
				return "method " + c.Name + "." + m.Name
			}
			for j := range m.Parameters {
				if uses(m.Parameters[j].Qualifiers) {
					return "parameter " + m.Parameters[j].Name + " of " + c.Name + "." + m.Name
				}
			}
		}
	}
	user := ""
	n.insts.each(func(_ string, e *instEntry) {
		if user != "" {
			return
		}
		if uses(e.inst.Qualifiers) {
			user = "instance " + e.path.String()
			return
		}
		for i := range e.inst.Properties {
			if uses(e.inst.Properties[i].Qualifiers) {
				user = "instance " + e.path.String()
				return
			}
		}
	})
	return user
}

// CreateClass adds the resolved class c to namespace ns (DSP0200 CreateClass). The
// caller resolved it (cim.Resolve) against this store; see Schema. It fails with
// ErrAlreadyExists when the class exists, ErrInvalidSuperclass when its superclass
// does not.
func (s *Store) CreateClass(ns string, c *cim.Class) error {
	return s.update(true, func(tx *txn) error { return tx.createClass(ns, c) })
}

func (tx *txn) createClass(ns string, c *cim.Class) error {
	n, err := tx.clientNS(ns)
	if err != nil {
		return err
	}
	return tx.addClass(n, c, fromClient)
}

func (tx *txn) addClass(n *namespace, c *cim.Class, o origin) error {
	if c == nil || !cim.IsIdentifier(c.Name) {
		return errorf(ErrInvalidParameter, "class name %q", className(c))
	}
	key := nameKey(c.Name)
	if _, ok := n.classes.get(key); ok {
		return errorf(ErrAlreadyExists, "class %s in namespace %s", c.Name, n.name)
	}
	e := &classEntry{class: c, key: key, seq: tx.nextSeq(), origin: o}
	if c.SuperClass != "" {
		pk := nameKey(c.SuperClass)
		p, ok := n.classes.get(pk)
		if !ok {
			return errorf(ErrInvalidSuperclass, "superclass %s of class %s is not in namespace %s",
				c.SuperClass, c.Name, n.name)
		}
		p2 := *p
		p2.children = append(p.children, key)
		n.classes.set(tx, pk, &p2)
	} else {
		n.top = append(n.top, key)
	}
	n.classes.set(tx, key, e)
	n.order = append(n.order, c)
	tx.indexRefs(n, c, key)
	return nil
}

func className(c *cim.Class) string {
	if c == nil {
		return ""
	}
	return c.Name
}

// refTargets returns the keys of the classes the references of association c
// point to, without duplicates.
func refTargets(c *cim.Class) []string {
	if !c.IsAssociation() {
		return nil
	}
	var out []string
	for i := range c.Properties {
		p := &c.Properties[i]
		if p.Type != cim.TypeReference || p.ReferenceClass == "" {
			continue
		}
		if k := nameKey(p.ReferenceClass); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func (tx *txn) indexRefs(n *namespace, c *cim.Class, key string) {
	for _, t := range refTargets(c) {
		assocs, _ := n.refs.get(t)
		n.refs.set(tx, t, append(assocs, key))
	}
}

func (tx *txn) unindexRefs(n *namespace, c *cim.Class, key string) {
	for _, t := range refTargets(c) {
		assocs, _ := n.refs.get(t)
		if rest := without(assocs, key); len(rest) > 0 {
			n.refs.set(tx, t, rest)
		} else {
			n.refs.del(tx, t)
		}
	}
}

// without returns a new slice holding the elements of s except k.
func without[E comparable](s []E, k E) []E {
	out := make([]E, 0, len(s))
	for _, e := range s {
		if e != k {
			out = append(out, e)
		}
	}
	return out
}

// ModifyClass replaces class c.Name of namespace ns by the resolved class c (DSP0200
// ModifyClass). The class keeps its place in definition order and may not change its
// superclass (ErrInvalidSuperclass). A class with subclasses (ErrClassHasChildren) or
// instances (ErrClassHasInstances) cannot be modified: they were built on the old
// definition.
func (s *Store) ModifyClass(ns string, c *cim.Class) error {
	return s.update(true, func(tx *txn) error {
		n, err := tx.clientNS(ns)
		if err != nil {
			return err
		}
		return tx.modifyClass(n, c)
	})
}

func (tx *txn) modifyClass(n *namespace, c *cim.Class) error {
	if c == nil || !cim.IsIdentifier(c.Name) {
		return errorf(ErrInvalidParameter, "class name %q", className(c))
	}
	key := nameKey(c.Name)
	e, ok := n.classes.get(key)
	switch {
	case !ok:
		return errorf(ErrNotFound, "class %s in namespace %s", c.Name, n.name)
	case !strings.EqualFold(c.SuperClass, e.class.SuperClass):
		return errorf(ErrInvalidSuperclass, "class %s: superclass %q cannot change to %q",
			c.Name, e.class.SuperClass, c.SuperClass)
	case len(e.children) > 0:
		return errorf(ErrClassHasChildren, "class %s in namespace %s", e.class.Name, n.name)
	case len(e.insts) > 0:
		return errorf(ErrClassHasInstances, "class %s in namespace %s", e.class.Name, n.name)
	}
	tx.unindexRefs(n, e.class, key)
	tx.indexRefs(n, c, key)
	e2 := *e
	e2.class = c
	if e.origin == fromBase {
		e2.origin = modifiedBase
	}
	n.classes.set(tx, key, &e2)
	i := slices.Index(n.order, e.class)
	n.order = slices.Clone(n.order)
	n.order[i] = c
	return nil
}

// DeleteClass deletes class name of namespace ns together with all its subclasses
// and the instances of all of them (DSP0200 DeleteClass). Associations that refer to
// a deleted class are left as they are.
func (s *Store) DeleteClass(ns, name string) error {
	return s.update(true, func(tx *txn) error {
		n, err := tx.clientNS(ns)
		if err != nil {
			return err
		}
		return tx.deleteClass(n, name)
	})
}

func (tx *txn) deleteClass(n *namespace, name string) error {
	key := nameKey(name)
	e, ok := n.classes.get(key)
	if !ok {
		return errorf(ErrNotFound, "class %s in namespace %s", name, n.name)
	}
	gone := map[*cim.Class]bool{}
	remove := func(ce *classEntry) {
		gone[ce.class] = true
		for _, ie := range ce.insts {
			n.insts.del(tx, ie.key)
		}
		tx.unindexRefs(n, ce.class, ce.key)
		n.classes.del(tx, ce.key)
		if ce.origin != fromClient {
			n.goneClasses.set(tx, ce.key, ce.class.Name)
		}
	}
	var subtree []*classEntry
	n.walk(e.children, true, func(ce *classEntry) { subtree = append(subtree, ce) })
	remove(e)
	for _, ce := range subtree {
		remove(ce)
	}
	if e.class.SuperClass != "" {
		pk := nameKey(e.class.SuperClass)
		if p, ok := n.classes.get(pk); ok {
			p2 := *p
			p2.children = without(p.children, key)
			n.classes.set(tx, pk, &p2)
		}
	} else {
		n.top = without(n.top, key)
	}
	n.order = slices.DeleteFunc(slices.Clone(n.order), func(c *cim.Class) bool { return gone[c] })
	return nil
}

// CreateInstance adds instance inst to namespace ns and returns its path (DSP0200
// CreateInstance). The class must exist (ErrInvalidClass) and not be abstract
// (ErrAbstractClass); the instance must fit it (ErrInvalidParameter): every property
// declared by the class, of its type, every key non-NULL. The store keeps the
// instance as given: the caller filled in defaults it wants stored.
func (s *Store) CreateInstance(ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	var path *cim.ObjectPath
	err := s.update(true, func(tx *txn) error {
		var err error
		path, err = tx.createInstance(ns, inst)
		return err
	})
	return path, err
}

func (tx *txn) createInstance(ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	n, err := tx.clientNS(ns)
	if err != nil {
		return nil, err
	}
	e, err := tx.addInstance(n, inst, true, create)
	if err != nil {
		return nil, err
	}
	return e.path, nil
}

// Batch runs several creations of the client layer as one change: fn's calls are
// checked as they come, and on success written to disk as one journal record and
// published together; if fn or the write fails nothing changes, and a crash during
// the write loses the whole batch. It makes loading many classes or instances (mofc
// load) cost one fsync instead of one per object.
func (s *Store) Batch(fn func(b *Batch) error) error {
	return s.update(true, func(tx *txn) error { return fn(&Batch{tx: tx}) })
}

// Batch collects changes for Store.Batch; it is valid only inside fn.
type Batch struct{ tx *txn }

// CreateNamespace is Store.CreateNamespace within the batch.
func (b *Batch) CreateNamespace(ns string) error { return b.tx.createNamespace(ns) }

// HasNamespace reports whether ns exists, counting the batch's own changes.
func (b *Batch) HasNamespace(ns string) bool { return b.tx.st.nss[nsKey(ns)] != nil }

// SetQualifierType is Store.SetQualifierType within the batch.
func (b *Batch) SetQualifierType(ns string, qt *cim.QualifierType) error {
	return b.tx.setClientQualifierType(ns, qt)
}

// CreateClass is Store.CreateClass within the batch.
func (b *Batch) CreateClass(ns string, c *cim.Class) error { return b.tx.createClass(ns, c) }

// CreateInstance is Store.CreateInstance within the batch.
func (b *Batch) CreateInstance(ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	return b.tx.createInstance(ns, inst)
}

// ModifyInstance replaces the instance of namespace ns that has the path of inst
// (its class and key values) by inst (DSP0200 ModifyInstance: the caller has merged
// the PropertyList). ErrNotFound when there is no such instance.
func (s *Store) ModifyInstance(ns string, inst *cim.Instance) error {
	return s.update(true, func(tx *txn) error {
		n, err := tx.clientNS(ns)
		if err != nil {
			return err
		}
		_, err = tx.addInstance(n, inst, true, modify)
		return err
	})
}

type putMode uint8

const (
	create putMode = iota // the instance must not exist
	modify                // the instance must exist
	upsert                // either
)

// addInstance adds or replaces an instance, for a client or for the base schema.
func (tx *txn) addInstance(n *namespace, inst *cim.Instance, client bool, mode putMode) (*instEntry, error) {
	if inst == nil {
		return nil, errorf(ErrInvalidParameter, "no instance")
	}
	ck := nameKey(inst.ClassName)
	ce, ok := n.classes.get(ck)
	if !ok {
		return nil, errorf(ErrInvalidClass, "class %s in namespace %s", inst.ClassName, n.name)
	}
	path, err := checkInstance(n.name, ce.class, inst)
	if err != nil {
		return nil, err
	}
	ie := &instEntry{inst: inst, path: path, key: instKey(n, ce, path)}
	old, exists := n.insts.get(ie.key)
	switch {
	case exists && mode == create:
		return nil, errorf(ErrAlreadyExists, "instance %s", path)
	case !exists && mode == modify:
		return nil, errorf(ErrNotFound, "instance %s", path)
	}
	ce2 := *ce
	if exists {
		ie.seq, ie.origin = old.seq, old.origin
		if client && old.origin == fromBase {
			ie.origin = modifiedBase
		}
		ce2.insts = slices.Clone(ce.insts)
		ce2.insts[slices.Index(ce.insts, old)] = ie
	} else {
		ie.seq, ie.origin = tx.nextSeq(), fromBase
		if client {
			ie.origin = fromClient
		}
		ce2.insts = append(ce.insts, ie)
	}
	n.insts.set(tx, ie.key, ie)
	n.classes.set(tx, ck, &ce2)
	return ie, nil
}

// checkInstance checks inst against its class c and returns its path in namespace
// ns.
func checkInstance(ns string, c *cim.Class, inst *cim.Instance) (*cim.ObjectPath, error) {
	if c.IsAbstract() {
		return nil, errorf(ErrAbstractClass, "class %s in namespace %s", c.Name, ns)
	}
	for i := range inst.Properties {
		p := &inst.Properties[i]
		for j := 0; j < i; j++ {
			if strings.EqualFold(inst.Properties[j].Name, p.Name) {
				return nil, errorf(ErrInvalidParameter, "instance of %s: property %s given twice", c.Name, p.Name)
			}
		}
		cp := c.Property(p.Name)
		if cp == nil {
			return nil, errorf(ErrInvalidParameter, "instance of %s: class has no property %s", c.Name, p.Name)
		}
		if p.Type != cim.TypeInvalid && (p.Type != cp.Type || p.IsArray != cp.IsArray) {
			return nil, errorf(ErrInvalidParameter, "instance of %s: property %s has type %s, the class says %s",
				c.Name, p.Name, typeText(p.Type, p.IsArray), typeText(cp.Type, cp.IsArray))
		}
		if err := cim.CheckValue(cp.Type, cp.IsArray, p.Value); err != nil {
			return nil, errorf(ErrInvalidParameter, "instance of %s: property %s: %v", c.Name, p.Name, err)
		}
	}
	path := inst.Path(ns, c)
	for _, k := range path.Keys {
		if k.Value == nil {
			return nil, errorf(ErrInvalidParameter, "instance of %s: key %s is NULL", c.Name, k.Name)
		}
	}
	return path, nil
}

func typeText(t cim.Type, isArray bool) string {
	if isArray {
		return t.String() + "[]"
	}
	return t.String()
}

// DeleteInstance deletes the instance of namespace ns named by path (DSP0200
// DeleteInstance; path is matched as Instance does). ErrInvalidClass when its class
// does not exist, ErrNotFound when the instance does not.
func (s *Store) DeleteInstance(ns string, path *cim.ObjectPath) error {
	return s.update(true, func(tx *txn) error {
		n, err := tx.clientNS(ns)
		if err != nil {
			return err
		}
		return tx.deleteInstance(n, path)
	})
}

func (tx *txn) deleteInstance(n *namespace, path *cim.ObjectPath) error {
	ie, err := n.instance(path)
	if err != nil {
		return err
	}
	ck := nameKey(ie.inst.ClassName)
	ce, _ := n.classes.get(ck)
	ce2 := *ce
	ce2.insts = without(ce.insts, ie)
	n.classes.set(tx, ck, &ce2)
	n.insts.del(tx, ie.key)
	if ie.origin != fromClient {
		n.goneInsts.set(tx, ie.key, ie.path)
	}
	return nil
}
