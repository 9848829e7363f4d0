package repository

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Store holds namespaces, qualifier types, classes and static instances; make one
// with New or Open. It is safe for concurrent use: reads never wait for anything
// (each works on the snapshot that was current when it started), writes are
// serialised among themselves.
//
// The store shares the objects it is given with every reader and never copies them:
// callers must not modify an object after handing it to the store, nor any object,
// slice or map the store returns.
type Store struct {
	cur atomic.Pointer[state]

	mu       sync.Mutex // serialises writers; guards the fields below
	seq      uint64     // definition order of every object
	dir      string     // "" for a store in memory
	pending  []*nsFile  // files read by Open, applied by Replay
	replayed bool

	// The files of dir (see persist.go and journal.go).
	jseq      uint64           // sequence number of the last journal record written or read
	walSize   int64            // length of the journal's valid records
	fileSizes map[string]int64 // namespace key → size of its file
	snapSize  int64            // sum of fileSizes at the last compaction
	touched   map[string]bool  // namespaces whose file lacks records of the journal
	broken    error            // not nil: the journal's end is unknown; the next change compacts
}

// New returns an empty store that keeps everything in memory.
func New() *Store {
	s := &Store{replayed: true}
	s.cur.Store(&state{nss: map[string]*namespace{}})
	return s
}

// state is one immutable snapshot of the whole store.
type state struct {
	nss map[string]*namespace // by nsKey
}

// origin says which layer an object belongs to.
type origin uint8

const (
	fromBase     origin = iota // put by the base schema, never persisted
	fromClient                 // created by a client
	modifiedBase               // of the base schema, then replaced by a client
)

// namespace is the content of one namespace in a snapshot. Once published it is
// never changed; a writer changes a copy it owns (owner == its txn).
type namespace struct {
	owner   *txn
	name    string // spelling of the first definition, trimmed of '/'
	base    bool   // holds (or held) objects of the base schema
	created bool   // created by a client with CreateNamespace

	quals   pmap[*qualEntry]
	classes pmap[*classEntry]
	order   []*cim.Class     // all classes in definition order
	top     []string         // keys of the classes without superclass, in definition order
	refs    pmap[[]string]   // class key → keys of the associations referring to it
	insts   pmap[*instEntry] // instance key (instKey) → entry

	// deep memoises SubclassNames(…, deep) of this published namespace: class key
	// ("" for the root) → names. A namespace never changes once published, so the
	// answers never go stale; every new or copied namespace gets a fresh memo.
	deep *sync.Map

	// Objects of the base schema deleted by clients, by key, kept so that Replay
	// can delete them again after the base schema is reloaded.
	goneQuals   pmap[string]          // → spelling
	goneClasses pmap[string]          // → spelling
	goneInsts   pmap[*cim.ObjectPath] // → path
}

// Slices in the entries and in namespace are shared between snapshots and only ever
// appended to by the writer (which writes beyond the length any published snapshot
// sees); every other change makes a new slice.

type qualEntry struct {
	qt     *cim.QualifierType
	seq    uint64
	origin origin
}

type classEntry struct {
	class    *cim.Class
	key      string
	seq      uint64
	origin   origin
	children []string     // keys of the direct subclasses, in definition order
	insts    []*instEntry // instances of exactly this class, in definition order
}

type instEntry struct {
	inst   *cim.Instance
	path   *cim.ObjectPath
	key    string
	seq    uint64
	origin origin
}

// txn is a writer's transaction: a draft state built by copying on first write
// whatever it changes. Committing publishes the draft as the new snapshot.
type txn struct {
	s        *Store
	st       *state
	nssOwned bool
	dirty    map[string]bool // namespaces (by key) whose client layer changed
}

// begin starts a transaction on the current snapshot; s.mu must be held.
func (s *Store) begin() *txn {
	return &txn{s: s, st: &state{nss: s.cur.Load().nss}, dirty: map[string]bool{}}
}

func (tx *txn) nextSeq() uint64 {
	tx.s.seq++
	return tx.s.seq
}

// ns returns the namespace for writing (a copy owned by tx), or nil.
func (tx *txn) ns(key string) *namespace {
	n := tx.st.nss[key]
	if n == nil || n.owner == tx {
		return n
	}
	c := *n
	c.owner = tx
	tx.setNS(key, &c)
	return &c
}

func (tx *txn) setNS(key string, n *namespace) {
	if !tx.nssOwned {
		tx.st.nss = maps.Clone(tx.st.nss)
		tx.nssOwned = true
	}
	if n == nil {
		delete(tx.st.nss, key)
	} else {
		n.deep = new(sync.Map)
		tx.st.nss[key] = n
	}
}

// update runs fn in a transaction and publishes the result, after writing the
// changed namespaces to disk, if fn and the writes succeed.
func (s *Store) update(client bool, fn func(tx *txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if client && !s.replayed {
		return ErrNotReplayed
	}
	tx := s.begin()
	if err := fn(tx); err != nil {
		return err
	}
	if s.dir != "" {
		if err := s.persist(tx); err != nil {
			return err
		}
	}
	s.cur.Store(tx.st)
	if s.compactDue() {
		// The change is durable already; a failed compaction is retried by the
		// next change.
		_ = s.compact(tx.st)
	}
	return nil
}

// snapshot helpers for readers.

func (s *Store) namespace(ns string) *namespace {
	return s.cur.Load().nss[nsKey(ns)]
}

func (s *Store) readNS(ns string) (*namespace, error) {
	n := s.namespace(ns)
	if n == nil {
		return nil, errorf(ErrInvalidNamespace, "namespace %s", ns)
	}
	return n, nil
}

func (n *namespace) class(name string) (*classEntry, error) {
	e, ok := n.classes.lookup(name)
	if !ok {
		return nil, errorf(ErrInvalidClass, "class %s in namespace %s", name, n.name)
	}
	return e, nil
}

// Namespaces returns the names of all namespaces, sorted case-insensitively.
func (s *Store) Namespaces() []string {
	st := s.cur.Load()
	keys := slices.Sorted(maps.Keys(st.nss))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = st.nss[k].name
	}
	return out
}

// HasNamespace reports whether namespace ns exists (case-insensitive, surrounding
// '/' ignored).
func (s *Store) HasNamespace(ns string) bool { return s.namespace(ns) != nil }

// QualifierType returns the qualifier type name of namespace ns, or nil when the
// namespace or the qualifier type does not exist. Names are case-insensitive.
func (s *Store) QualifierType(ns, name string) *cim.QualifierType {
	n := s.namespace(ns)
	if n == nil {
		return nil
	}
	if e, ok := n.quals.lookup(name); ok {
		return e.qt
	}
	return nil
}

// QualifierTypes returns the qualifier types of namespace ns in definition order.
func (s *Store) QualifierTypes(ns string) ([]*cim.QualifierType, error) {
	n, err := s.readNS(ns)
	if err != nil {
		return nil, err
	}
	es := make([]*qualEntry, 0, n.quals.len())
	n.quals.each(func(_ string, e *qualEntry) { es = append(es, e) })
	sort.Slice(es, func(i, j int) bool { return es[i].seq < es[j].seq })
	out := make([]*cim.QualifierType, len(es))
	for i, e := range es {
		out[i] = e.qt
	}
	return out, nil
}

// Class returns the class name of namespace ns, or nil when the namespace or the
// class does not exist (GetClass answers CIM_ERR_INVALID_NAMESPACE or
// CIM_ERR_NOT_FOUND; HasNamespace tells which). Names are case-insensitive. The
// class is resolved: it holds its inherited elements too. Class and QualifierType
// have the shape of the Lookup of mof/compile, so that MOF can be compiled on top
// of a store.
func (s *Store) Class(ns, name string) *cim.Class {
	n := s.namespace(ns)
	if n == nil {
		return nil
	}
	if e, ok := n.classes.lookup(name); ok {
		return e.class
	}
	return nil
}

// Classes returns all classes of namespace ns in definition order (every class
// after its superclass).
func (s *Store) Classes(ns string) ([]*cim.Class, error) {
	n, err := s.readNS(ns)
	if err != nil {
		return nil, err
	}
	return slices.Clip(n.order), nil
}

// SubclassNames returns the names of the subclasses of class name in namespace ns:
// the direct subclasses, or with deep all descendants, depth first with siblings in
// definition order (each class before its subclasses). The name "" stands for the
// root of the hierarchy: its direct subclasses are the classes without superclass,
// its descendants all classes. An unknown class gives ErrInvalidClass.
//
// Deep answers are memoised per published snapshot (EnumerateClassNames of a whole
// schema is then a lookup); the returned slice is shared and must not be modified.
func (s *Store) SubclassNames(ns, name string, deep bool) ([]string, error) {
	n, err := s.readNS(ns)
	if err != nil {
		return nil, err
	}
	if deep {
		if v, ok := n.deep.Load(nameKey(name)); ok {
			return v.([]string), nil
		}
	}
	var out []string
	err = n.walkFrom(name, deep, func(e *classEntry) { out = append(out, e.class.Name) })
	if err == nil && deep {
		out = slices.Clip(out)
		n.deep.Store(nameKey(name), out)
	}
	return out, err
}

// Subclasses is SubclassNames returning the classes rather than their names.
func (s *Store) Subclasses(ns, name string, deep bool) ([]*cim.Class, error) {
	var out []*cim.Class
	err := s.walkSubclasses(ns, name, deep, func(e *classEntry) { out = append(out, e.class) })
	return out, err
}

func (s *Store) walkSubclasses(ns, name string, deep bool, fn func(*classEntry)) error {
	n, err := s.readNS(ns)
	if err != nil {
		return err
	}
	return n.walkFrom(name, deep, fn)
}

// walkFrom walks the subclasses of class name ("" the root) of this namespace.
func (n *namespace) walkFrom(name string, deep bool, fn func(*classEntry)) error {
	start := n.top
	if name != "" {
		e, err := n.class(name)
		if err != nil {
			return err
		}
		start = e.children
	}
	n.walk(start, deep, fn)
	return nil
}

// walk calls fn for the classes keys, and with deep for their descendants, depth
// first in definition order.
func (n *namespace) walk(keys []string, deep bool, fn func(*classEntry)) {
	for _, k := range keys {
		e, _ := n.classes.get(k)
		fn(e)
		if deep {
			n.walk(e.children, true, fn)
		}
	}
}

// Superclasses returns the superclass chain of class name in namespace ns: its
// superclass first, the root class last; empty for a root class.
func (s *Store) Superclasses(ns, name string) ([]string, error) {
	n, err := s.readNS(ns)
	if err != nil {
		return nil, err
	}
	e, err := n.class(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for c := e.class; c.SuperClass != ""; {
		p, ok := n.classes.lookup(c.SuperClass)
		if !ok {
			break
		}
		c = p.class
		out = append(out, c.Name)
	}
	return out, nil
}

// IsSubclass reports whether class sub of namespace ns is class super or derives
// from it. It is false when either class does not exist.
func (s *Store) IsSubclass(ns, sub, super string) bool {
	n := s.namespace(ns)
	if n == nil {
		return false
	}
	if _, ok := n.classes.lookup(super); !ok {
		return false
	}
	e, ok := n.classes.lookup(sub)
	for ok {
		if strings.EqualFold(e.class.Name, super) {
			return true
		}
		if e.class.SuperClass == "" {
			return false
		}
		e, ok = n.classes.lookup(e.class.SuperClass)
	}
	return false
}

// ReferencingClasses returns the names of the association classes of namespace ns
// that have a reference property (own or inherited) whose class is name or one of
// its superclasses, that is, the associations whose instances may refer to an
// instance of class name. They come in definition order. Subclasses of such an
// association are listed too, as they inherit the reference.
func (s *Store) ReferencingClasses(ns, name string) ([]string, error) {
	n, err := s.readNS(ns)
	if err != nil {
		return nil, err
	}
	e, err := n.class(name)
	if err != nil {
		return nil, err
	}
	var found []*classEntry
	seen := map[string]bool{}
	for {
		assocs, _ := n.refs.get(e.key)
		for _, k := range assocs {
			if !seen[k] {
				seen[k] = true
				a, _ := n.classes.get(k)
				found = append(found, a)
			}
		}
		if e.class.SuperClass == "" {
			break
		}
		var ok bool
		if e, ok = n.classes.lookup(e.class.SuperClass); !ok {
			break
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].seq < found[j].seq })
	out := make([]string, len(found))
	for i, a := range found {
		out[i] = a.class.Name
	}
	return out, nil
}

// Instance returns the instance of namespace ns named by path, compared as
// cim.ObjectPath.Equal does: class and key names case-insensitively, key values by
// value. The path's Host and Namespace are ignored; key values parsed from text
// (strings for datetime, char16 and reference keys) are typed against the class.
// An unknown class gives ErrInvalidClass, an unknown instance ErrNotFound.
func (s *Store) Instance(ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	n, err := s.readNS(ns)
	if err != nil {
		return nil, err
	}
	e, err := n.instance(path)
	if err != nil {
		return nil, err
	}
	return e.inst, nil
}

func (n *namespace) instance(path *cim.ObjectPath) (*instEntry, error) {
	if path == nil {
		return nil, errorf(ErrInvalidParameter, "no instance path")
	}
	ce, err := n.class(path.ClassName)
	if err != nil {
		return nil, err
	}
	e, ok := n.insts.get(instKey(n, ce, path))
	if !ok {
		return nil, errorf(ErrNotFound, "instance %s in namespace %s", path, n.name)
	}
	return e, nil
}

// Instances returns the instances of class name in namespace ns, with deep those of
// its subclasses too (class by class, in the order of SubclassNames), each class's
// instances in definition order. An unknown class gives ErrInvalidClass.
func (s *Store) Instances(ns, class string, deep bool) ([]*cim.Instance, error) {
	var out []*cim.Instance
	err := s.walkInstances(ns, class, deep, func(e *instEntry) { out = append(out, e.inst) })
	return out, err
}

// InstanceNames is Instances returning the instance paths, which name namespace ns.
func (s *Store) InstanceNames(ns, class string, deep bool) ([]*cim.ObjectPath, error) {
	var out []*cim.ObjectPath
	err := s.walkInstances(ns, class, deep, func(e *instEntry) { out = append(out, e.path) })
	return out, err
}

func (s *Store) walkInstances(ns, class string, deep bool, fn func(*instEntry)) error {
	n, err := s.readNS(ns)
	if err != nil {
		return err
	}
	e, err := n.class(class)
	if err != nil {
		return err
	}
	each := func(ce *classEntry) {
		for _, ie := range ce.insts {
			fn(ie)
		}
	}
	each(e)
	if deep {
		n.walk(e.children, true, each)
	}
	return nil
}

// Schema returns namespace ns as a cim.Schema, for cim.Resolve: a view of the
// snapshot current at the call, unaffected by later changes.
func (s *Store) Schema(ns string) (cim.Schema, error) {
	n, err := s.readNS(ns)
	if err != nil {
		return nil, err
	}
	return schemaView{n}, nil
}

type schemaView struct{ n *namespace }

var _ cim.Schema = schemaView{}

func (v schemaView) QualifierType(name string) *cim.QualifierType {
	if e, ok := v.n.quals.lookup(name); ok {
		return e.qt
	}
	return nil
}

func (v schemaView) Class(name string) *cim.Class {
	if e, ok := v.n.classes.lookup(name); ok {
		return e.class
	}
	return nil
}
