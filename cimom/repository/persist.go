package repository

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// fileFormat names the layout of a namespace file; a file of another format is
// rejected rather than misread.
const fileFormat = "shypecim-repository-namespace/1"

// tmpPrefix starts the names of the files being written; Open removes leftovers.
const tmpPrefix = ".tmp-"

// nsFile is the client layer of one namespace: what Replay must do on top of the
// base schema to rebuild the namespace as clients left it, in the order it does it.
type nsFile struct {
	path string // where it was read from; not stored

	Format    string `json:"format"`
	Namespace string `json:"namespace"`
	// Seq is the sequence number of the last journal record the file holds; records
	// up to it are skipped for this namespace. Files written before the journal
	// have none (0).
	Seq uint64 `json:"seq,omitempty"`
	// Created: a client created the namespace (CreateNamespace).
	Created bool `json:"created,omitempty"`
	// Objects of the base schema that clients deleted, by name or path.
	DeletedClasses        []string `json:"deletedClasses,omitempty"`
	DeletedInstances      []*jPath `json:"deletedInstances,omitempty"`
	DeletedQualifierTypes []string `json:"deletedQualifierTypes,omitempty"`
	// Objects that clients created or modified, each list in definition order.
	QualifierTypes []*jQualifierType `json:"qualifierTypes,omitempty"`
	Classes        []*jClassRecord   `json:"classes,omitempty"`
	Instances      []*jInstRecord    `json:"instances,omitempty"`
}

// jClassRecord is a class created by a client, or with Modified a class of the base
// schema that a client replaced.
type jClassRecord struct {
	Modified bool    `json:"modified,omitempty"`
	Class    *jClass `json:"class"`
}

// jInstRecord is an instance created by a client, or with Modified an instance of
// the base schema that a client replaced.
type jInstRecord struct {
	Modified bool `json:"modified,omitempty"`
	// Key is the index key of the instance (instKey), by which journal records
	// refer to it; files written before the journal have none.
	Key      string     `json:"key,omitempty"`
	Instance *jInstance `json:"instance"`
}

// fileName returns the name of the file of the namespace with key key:
// "root%2Fcimv2.json".
func fileName(key string) string { return url.PathEscape(key) + ".json" }

// Open returns a store whose client layer is kept in directory dir, created if
// needed. It reads and checks every namespace file there and the journal (a file
// that cannot be decoded gives a *FileError naming it, matching ErrCorrupt), folds
// the journal's records into the namespaces they changed, and removes the temporary
// files an interrupted write may have left.
//
// The store starts empty, like New: the caller loads the base schema (PutQualifierType,
// PutClass, PutInstance), then calls Replay to apply the client layer on top. Until
// then the client-layer methods fail with ErrNotReplayed.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("repository: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("repository: %w", err)
	}
	s := New()
	s.dir, s.replayed = dir, false
	s.fileSizes, s.touched = map[string]int64{}, map[string]bool{}
	files := map[string]*nsFile{}
	for _, de := range ents {
		name := de.Name()
		path := filepath.Join(dir, name)
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("repository: removing a leftover temporary file: %w", err)
			}
		case strings.HasSuffix(name, ".json") && de.Type().IsRegular():
			f, size, err := readFile(path)
			if err != nil {
				return nil, &FileError{Path: path, Err: err}
			}
			key := nsKey(f.Namespace)
			files[key], s.fileSizes[key] = f, size
			s.jseq = max(s.jseq, f.Seq)
		}
	}
	wal := s.walPath()
	data, err := readJournalFile(wal)
	if err != nil {
		return nil, &FileError{Path: wal, Err: err}
	}
	recs, _, err := readJournal(data)
	if err != nil {
		return nil, &FileError{Path: wal, Err: err}
	}
	// The records a namespace file does not hold yet, namespace by namespace: a
	// compaction interrupted by a crash leaves some files newer than the journal.
	folds := map[string]*folded{}
	for _, r := range recs {
		s.jseq = max(s.jseq, r.Seq)
		for _, d := range r.NS {
			key := nsKey(d.Namespace)
			f := files[key]
			if f != nil && f.Seq >= r.Seq {
				continue
			}
			fo := folds[key]
			if fo == nil {
				fo = newFolded(key, filepath.Join(dir, fileName(key)), f)
				folds[key] = fo
			}
			fo.apply(d)
		}
	}
	for key, fo := range folds {
		if f := fo.file(); f != nil {
			files[key] = f
		} else {
			delete(files, key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(files)) {
		s.pending = append(s.pending, files[key])
	}
	return s, nil
}

func (s *Store) walPath() string { return filepath.Join(s.dir, walFile) }

// readFile reads and checks the namespace file at path; it returns its size too.
func readFile(path string) (*nsFile, int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	f, err := decodeFile(path, data)
	return f, int64(len(data)), err
}

func decodeFile(path string, data []byte) (*nsFile, error) {
	var f nsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, corrupt(data, err)
	}
	f.path = path
	switch {
	case f.Format != fileFormat:
		return nil, fmt.Errorf("%w: format %q, want %q", ErrCorrupt, f.Format, fileFormat)
	case !validNamespace(f.Namespace):
		return nil, fmt.Errorf("%w: invalid namespace name %q", ErrCorrupt, f.Namespace)
	case fileName(nsKey(f.Namespace)) != filepath.Base(path):
		return nil, fmt.Errorf("%w: holds namespace %q, which belongs in %s", ErrCorrupt,
			f.Namespace, fileName(nsKey(f.Namespace)))
	}
	// Decode every object now, so that a bad value is reported by Open.
	if _, err := f.decode(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &f, nil
}

// corrupt describes a JSON error with the line and column where it happened.
func corrupt(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("%w: line %d, column %d: %v", ErrCorrupt, line, col, err)
}

// decoded is an nsFile turned into cim values.
type decoded struct {
	deletedInstances []*cim.ObjectPath
	qualifierTypes   []*cim.QualifierType
	classes          []*cim.Class
	instances        []*cim.Instance
}

func (f *nsFile) decode() (*decoded, error) {
	d := &decoded{}
	for _, jp := range f.DeletedInstances {
		if jp == nil {
			return nil, errors.New("deletedInstances: null path")
		}
		p, err := decodePath(jp)
		if err != nil {
			return nil, fmt.Errorf("deletedInstances: %w", err)
		}
		d.deletedInstances = append(d.deletedInstances, p)
	}
	for _, jq := range f.QualifierTypes {
		if jq == nil {
			return nil, errors.New("qualifierTypes: null entry")
		}
		qt, err := decodeQualifierType(jq)
		if err != nil {
			return nil, err
		}
		d.qualifierTypes = append(d.qualifierTypes, qt)
	}
	for _, r := range f.Classes {
		if r == nil || r.Class == nil {
			return nil, errors.New("classes: null entry")
		}
		c, err := decodeClass(r.Class)
		if err != nil {
			return nil, err
		}
		d.classes = append(d.classes, c)
	}
	for _, r := range f.Instances {
		if r == nil || r.Instance == nil {
			return nil, errors.New("instances: null entry")
		}
		in, err := decodeInstance(r.Instance)
		if err != nil {
			return nil, err
		}
		d.instances = append(d.instances, in)
	}
	return d, nil
}

// Replay applies the client layer read by Open on top of the base schema loaded
// since, so that the store is again as clients left it: namespaces they created,
// base objects they deleted or modified, qualifier types, classes and instances they
// created. Call it once, after the base schema and before serving; later calls do
// nothing. On a store made by New it does nothing.
//
// Replay is all or nothing. When the client layer no longer fits the base schema
// (a new schema version defines a class a client created, or dropped the superclass
// of one) it changes nothing and returns a *FileError naming the namespace file,
// which wraps the error of the failed step (ErrAlreadyExists, ErrInvalidSuperclass,
// ErrClassHasChildren, …; the file may not exist yet when the namespace's client
// layer is still in the journal). The base schema must then be fixed, or the file
// edited.
//
// On success Replay writes the replayed client layer to the namespace files and
// removes the journal (a compaction) before it publishes anything; if that fails it
// returns the error and the store stays unreplayed.
func (s *Store) Replay() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replayed {
		return nil
	}
	tx := s.begin()
	for _, f := range s.pending {
		if err := tx.apply(f); err != nil {
			return &FileError{Path: f.path, Err: err}
		}
	}
	if s.dir != "" {
		// Every namespace file is written anew from the replayed state and the
		// journal starts empty: the files then carry the instance keys of this
		// run, by which the records to come refer to instances (the keys depend on
		// the classes, which a new base schema may have changed), and the deletions
		// of objects the base schema no longer has are dropped.
		for key := range tx.st.nss {
			s.touched[key] = true
		}
		for key := range s.fileSizes {
			s.touched[key] = true
		}
		if err := s.compact(tx.st); err != nil {
			return err
		}
	}
	s.cur.Store(tx.st)
	s.pending, s.replayed = nil, true
	return nil
}

// apply applies one namespace file: deletions first, then creations, in the order
// that reproduces the state the file was written from.
func (tx *txn) apply(f *nsFile) error {
	d, err := f.decode()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	key := nsKey(f.Namespace)
	n := tx.ns(key)
	if n == nil {
		n = &namespace{owner: tx, name: strings.Trim(f.Namespace, "/")}
		tx.setNS(key, n)
		n.created = true // it exists only because of its client layer now
	}
	n.created = n.created || f.Created
	// The deletions record the objects as deleted again. An object the base schema
	// no longer has needs no deletion, and its record is dropped.
	for _, name := range f.DeletedClasses {
		if _, ok := n.classes.get(nameKey(name)); ok {
			if err := tx.deleteClass(n, name); err != nil {
				return err
			}
		}
	}
	for _, p := range d.deletedInstances {
		if _, err := n.instance(p); err == nil {
			if err := tx.deleteInstance(n, p); err != nil {
				return err
			}
		}
	}
	for _, name := range f.DeletedQualifierTypes {
		if _, ok := n.quals.get(nameKey(name)); ok {
			if err := tx.deleteQualifierType(n, name); err != nil {
				return err
			}
		}
	}
	for _, qt := range d.qualifierTypes {
		if err := tx.setQualifierType(n, qt, fromClient); err != nil {
			return err
		}
	}
	for i, c := range d.classes {
		var err error
		if _, exists := n.classes.get(nameKey(c.Name)); exists && f.Classes[i].Modified {
			err = tx.modifyClass(n, c)
		} else {
			// A class of the base schema that no longer has it lives on as
			// the client's.
			err = tx.addClass(n, c, fromClient)
		}
		if err != nil {
			return err
		}
	}
	for i, in := range d.instances {
		mode := create
		if f.Instances[i].Modified {
			mode = upsert
		}
		if _, err := tx.addInstance(n, in, true, mode); err != nil {
			return err
		}
	}
	return nil
}

// persist appends the change tx made to the client layer to the journal, as one
// record: it is on disk when persist returns. Without a usable journal (an earlier
// append failed, leaving its end unknown) it writes the namespace files instead. An
// error means that the change is not acknowledged (it may be on disk all the same).
func (s *Store) persist(tx *txn) error {
	if len(tx.dirty) == 0 {
		return nil
	}
	old := s.cur.Load()
	rec := &jRecord{Seq: s.jseq + 1}
	for _, key := range slices.Sorted(maps.Keys(tx.dirty)) {
		d, err := nsDelta(old.nss[key], tx.st.nss[key])
		if err != nil {
			return fmt.Errorf("repository: encoding namespace %s: %w", key, err)
		}
		if d != nil {
			rec.NS = append(rec.NS, d)
		}
	}
	if len(rec.NS) == 0 {
		return nil
	}
	buf, err := frame(rec)
	if err != nil {
		return err
	}
	for key := range tx.dirty {
		s.touched[key] = true
	}
	// Never reused: the record of a failed append may be on disk.
	s.jseq = rec.Seq
	if s.broken != nil {
		return s.compact(tx.st)
	}
	if err := appendFrame(s.walPath(), s.walSize, buf); err != nil {
		s.broken = err
		return err
	}
	s.walSize += int64(len(buf))
	return nil
}

// compactHook, when set by a test, runs before each step of a compaction ("file"
// before each namespace file, "journal" before the journal's removal); an error stops
// the compaction there, as a crash would.
var compactHook func(step string) error

// compact writes the namespace files of the namespaces changed since the last
// compaction from state st, each holding every record so far (its Seq), then
// removes the journal. Each file is replaced atomically; a crash between two steps
// leaves files that say which records they hold, and the journal with every record
// the other files lack. An error means that some file could not be written (st may
// then be on disk in part); a failure to empty the journal only makes the next
// change compact again.
func (s *Store) compact(st *state) error {
	for _, key := range slices.Sorted(maps.Keys(s.touched)) {
		if compactHook != nil {
			if err := compactHook("file"); err != nil {
				return err
			}
		}
		n := st.nss[key]
		path := filepath.Join(s.dir, fileName(key))
		f, err := n.file()
		if err != nil {
			return fmt.Errorf("repository: encoding namespace %s: %w", key, err)
		}
		if f == nil {
			if err := removeFile(path); err != nil {
				return err
			}
			delete(s.fileSizes, key)
			continue
		}
		f.Seq = s.jseq
		data, err := json.Marshal(f) // compact: the client layer may hold many instances
		if err != nil {
			return fmt.Errorf("repository: encoding namespace %s: %w", n.name, err)
		}
		if err := writeFile(path, append(data, '\n')); err != nil {
			return err
		}
		s.fileSizes[key] = int64(len(data) + 1)
	}
	clear(s.touched)
	s.snapSize = 0
	for _, size := range s.fileSizes {
		s.snapSize += size
	}
	if compactHook != nil {
		if err := compactHook("journal"); err != nil {
			s.broken = err
			return nil
		}
	}
	if err := removeFile(s.walPath()); err != nil {
		// The files hold everything; the journal must not be appended to.
		s.broken = err
		return nil
	}
	s.walSize, s.broken = 0, nil
	return nil
}

// compactDue reports whether the journal has outgrown the namespace files, so that
// rewriting them costs no more than the changes written since.
func (s *Store) compactDue() bool {
	return s.dir != "" && s.replayed && s.broken == nil && s.walSize > max(minCompact, s.snapSize)
}

// file returns the client layer of n, or nil when there is none (n is nil after
// DeleteNamespace, or clients changed nothing in it).
func (n *namespace) file() (*nsFile, error) {
	if n == nil {
		return nil, nil
	}
	f := &nsFile{Format: fileFormat, Namespace: n.name, Created: n.created}
	f.DeletedQualifierTypes = sortedValues(&n.goneQuals, func(s string) string { return s })
	f.DeletedClasses = sortedValues(&n.goneClasses, func(s string) string { return s })
	for _, p := range sortedValues(&n.goneInsts, func(p *cim.ObjectPath) string { return p.String() }) {
		jp, err := encodePath(p)
		if err != nil {
			return nil, err
		}
		f.DeletedInstances = append(f.DeletedInstances, jp)
	}

	var quals []*qualEntry
	n.quals.each(func(_ string, e *qualEntry) {
		if e.origin != fromBase {
			quals = append(quals, e)
		}
	})
	sort.Slice(quals, func(i, j int) bool { return quals[i].seq < quals[j].seq })
	for _, e := range quals {
		jq, err := encodeQualifierType(e.qt)
		if err != nil {
			return nil, err
		}
		f.QualifierTypes = append(f.QualifierTypes, jq)
	}

	var classes []*classEntry
	var insts []*instEntry
	n.classes.each(func(_ string, e *classEntry) {
		if e.origin != fromBase {
			classes = append(classes, e)
		}
		for _, ie := range e.insts {
			if ie.origin != fromBase {
				insts = append(insts, ie)
			}
		}
	})
	sort.Slice(classes, func(i, j int) bool { return classes[i].seq < classes[j].seq })
	sort.Slice(insts, func(i, j int) bool { return insts[i].seq < insts[j].seq })
	for _, e := range classes {
		jc, err := encodeClass(e.class)
		if err != nil {
			return nil, err
		}
		f.Classes = append(f.Classes, &jClassRecord{Modified: e.origin == modifiedBase, Class: jc})
	}
	for _, e := range insts {
		ji, err := encodeInstance(e.inst)
		if err != nil {
			return nil, err
		}
		f.Instances = append(f.Instances, &jInstRecord{Modified: e.origin == modifiedBase, Key: e.key, Instance: ji})
	}

	if f.empty() {
		return nil, nil
	}
	return f, nil
}

// sortedValues returns the values of m ordered by the text key gives them.
func sortedValues[V any](m *pmap[V], key func(V) string) []V {
	var out []V
	m.each(func(_ string, v V) { out = append(out, v) })
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// writeFile replaces the file at path with data atomically: it writes a temporary
// file in the same directory, syncs it, renames it over path and syncs the
// directory, so that after a crash path holds either the old or the new content.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tmpPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("repository: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("repository: writing %s: %w", path, err)
	}
	return syncDir(dir)
}

// removeFile removes the file at path, if any, and syncs its directory.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("repository: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("repository: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("repository: syncing directory %s: %w", dir, err)
	}
	return nil
}
