package repository

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The journal holds the changes committed since the snapshot files were written,
// one frame per change (one per Store method call, a Batch included):
//
//	length uint32 LE | crc32c(payload) uint32 LE | payload (a JSON jRecord)
//
// Each append is written at the known end of the file and fsync'd before the change
// is published. A crash mid-append leaves an incomplete or garbled last frame: a
// torn tail, which Open ignores, so that the change is lost whole. A bad frame
// followed by more data cannot come from a crash and is reported as ErrCorrupt.
const (
	walFile     = "journal"
	frameHeader = 8
	// maxRecord bounds a frame's length so that a garbled header is not taken for a
	// huge allocation.
	maxRecord = 1 << 30
)

// minCompact is the journal size below which no compaction happens; above it the
// journal is compacted once it outgrows the snapshot files, which keeps the total
// work linear in the number of changes. Tests lower it.
var minCompact int64 = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// jRecord is one committed change: the new client layer of every object it touched,
// namespace by namespace. It states results, not operations (a DeleteClass lists
// every instance it took along), so that applying it needs no schema and applying
// it twice changes nothing more.
type jRecord struct {
	Seq uint64      `json:"seq"`
	NS  []*jNSDelta `json:"ns"`
}

// jNSDelta is the change of one namespace's client layer. Objects that became part
// of it carry their new value; objects that left it (deleted, or no longer the
// client's) carry none. Each list is in definition order.
type jNSDelta struct {
	Namespace string `json:"namespace"`
	// Deleted: DeleteNamespace; the namespace's client layer goes with it.
	Deleted bool `json:"deleted,omitempty"`
	Created bool `json:"created,omitempty"`
	// Objects of the base schema deleted by this change (those lists only grow).
	DeletedClasses        []string `json:"deletedClasses,omitempty"`
	DeletedInstances      []*jPath `json:"deletedInstances,omitempty"`
	DeletedQualifierTypes []string `json:"deletedQualifierTypes,omitempty"`

	QualifierTypes []*jQualDelta  `json:"qualifierTypes,omitempty"`
	Classes        []*jClassDelta `json:"classes,omitempty"`
	Instances      []*jInstDelta  `json:"instances,omitempty"`
}

type jQualDelta struct {
	Name          string          `json:"name"`
	QualifierType *jQualifierType `json:"qualifierType,omitempty"` // nil: left the client layer
}

type jClassDelta struct {
	Name     string  `json:"name"`
	Modified bool    `json:"modified,omitempty"`
	Class    *jClass `json:"class,omitempty"` // nil: left the client layer
}

type jInstDelta struct {
	// Key is the instance's index key (instKey) when the record was written; the
	// snapshot files carry it too, which is how a record finds the instance it
	// replaces without the classes of the base schema.
	Key      string     `json:"key"`
	Modified bool       `json:"modified,omitempty"`
	Instance *jInstance `json:"instance,omitempty"` // nil: left the client layer
}

// check decodes every object of r, so that a bad value is reported by Open.
func (r *jRecord) check() error {
	for _, d := range r.NS {
		if d == nil || !validNamespace(d.Namespace) {
			return errors.New("invalid namespace")
		}
		for _, p := range d.DeletedInstances {
			if p == nil {
				return errors.New("deletedInstances: null path")
			}
			if _, err := decodePath(p); err != nil {
				return err
			}
		}
		for _, q := range d.QualifierTypes {
			if q == nil || q.Name == "" {
				return errors.New("qualifierTypes: null entry")
			}
			if q.QualifierType != nil {
				if _, err := decodeQualifierType(q.QualifierType); err != nil {
					return err
				}
			}
		}
		for _, c := range d.Classes {
			if c == nil || c.Name == "" {
				return errors.New("classes: null entry")
			}
			if c.Class != nil {
				if _, err := decodeClass(c.Class); err != nil {
					return err
				}
			}
		}
		for _, in := range d.Instances {
			if in == nil || in.Key == "" {
				return errors.New("instances: null entry")
			}
			if in.Instance != nil {
				if _, err := decodeInstance(in.Instance); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// frame encodes rec as one journal frame.
func frame(rec *jRecord) ([]byte, error) {
	payload, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("repository: encoding a journal record: %w", err)
	}
	buf := make([]byte, frameHeader, frameHeader+len(payload))
	binary.LittleEndian.PutUint32(buf[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[4:], crc32.Checksum(payload, castagnoli))
	return append(buf, payload...), nil
}

// readJournal decodes the frames of data. It returns the records and the length of
// the valid prefix; a torn tail ends the records silently.
func readJournal(data []byte) ([]*jRecord, int64, error) {
	var recs []*jRecord
	off := 0
	for off < len(data) {
		rest := data[off:]
		if len(rest) < frameHeader {
			break // torn header
		}
		n := binary.LittleEndian.Uint32(rest[0:])
		sum := binary.LittleEndian.Uint32(rest[4:])
		if n == 0 || n > maxRecord {
			if allZero(rest) {
				break // space the file system allocated for a write it never finished
			}
			return nil, 0, fmt.Errorf("%w: bad frame length %d at offset %d", ErrCorrupt, n, off)
		}
		end := frameHeader + int(n)
		if end > len(rest) {
			break // torn payload
		}
		payload := rest[frameHeader:end]
		if crc32.Checksum(payload, castagnoli) != sum {
			if end == len(rest) || allZero(rest[end:]) {
				break // the last frame, garbled by the crash
			}
			return nil, 0, fmt.Errorf("%w: checksum mismatch at offset %d", ErrCorrupt, off)
		}
		rec := new(jRecord)
		if err := json.Unmarshal(payload, rec); err != nil {
			return nil, 0, fmt.Errorf("%w: record at offset %d: %v", ErrCorrupt, off, err)
		}
		if err := rec.check(); err != nil {
			return nil, 0, fmt.Errorf("%w: record at offset %d: %v", ErrCorrupt, off, err)
		}
		if len(recs) > 0 && rec.Seq <= recs[len(recs)-1].Seq {
			return nil, 0, fmt.Errorf("%w: record at offset %d: sequence %d after %d", ErrCorrupt, off,
				rec.Seq, recs[len(recs)-1].Seq)
		}
		recs = append(recs, rec)
		off = off + end
	}
	return recs, int64(off), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// appendFrame writes buf at offset size of the journal and syncs it. On failure it
// tries to cut the journal back to size, so that a change reported as failed is not
// found by a later Open; the caller compacts at the next change anyway.
func appendFrame(path string, size int64, buf []byte) error {
	// The journal exists only while it holds records: the first append creates it
	// (and syncs the folder, so that the file is found after a crash). A journal
	// that should exist but does not is an error, not replaced by one that lacks the
	// records before.
	flag := os.O_WRONLY
	if size == 0 {
		flag |= os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return fmt.Errorf("repository: journal: %w", err)
	}
	_, err = f.WriteAt(buf, size)
	if err == nil {
		err = f.Sync()
	}
	if err == nil && size == 0 {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		if f.Truncate(size) == nil {
			f.Sync()
		}
		f.Close()
		return fmt.Errorf("repository: appending to %s: %w", path, err)
	}
	// Synced: the record is durable whatever Close reports.
	f.Close()
	return nil
}

// readJournalFile returns the journal's content, nil if it does not exist.
func readJournalFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// Building records: the difference between the snapshot before a transaction and
// the draft it made, for the namespaces it marked dirty. The maps are compared
// bucket by bucket, and a bucket the transaction did not copy is the same pointer
// in both, so the work is that of the buckets the change touched.

// diffPmap calls fn for every key whose value is not the same in old and cur.
func diffPmap[V comparable](old, cur *pmap[V], fn func(k string, ov V, ook bool, nv V, nok bool)) {
	if old.buckets == cur.buckets {
		return
	}
	for i := range nBuckets {
		var ob, nb *bucket[V]
		if old.buckets != nil {
			ob = old.buckets[i]
		}
		if cur.buckets != nil {
			nb = cur.buckets[i]
		}
		if ob == nb {
			continue
		}
		var om, nm map[string]V
		if ob != nil {
			om = ob.m
		}
		if nb != nil {
			nm = nb.m
		}
		for k, nv := range nm {
			if ov, ok := om[k]; !ok || ov != nv {
				fn(k, ov, ok, nv, true)
			}
		}
		for k, ov := range om {
			if _, ok := nm[k]; !ok {
				var zero V
				fn(k, ov, true, zero, false)
			}
		}
	}
}

// nsDelta returns the change of the client layer from old to cur (either nil when
// the namespace did not exist), or nil when there is none.
func nsDelta(old, cur *namespace) (*jNSDelta, error) {
	if cur == nil {
		if old == nil {
			return nil, nil
		}
		return &jNSDelta{Namespace: old.name, Deleted: true}, nil
	}
	if old == nil {
		old = &namespace{}
	}
	d := &jNSDelta{Namespace: cur.name, Created: cur.created}
	changed := old.created != cur.created || old.name != cur.name

	type seqd[T any] struct {
		seq uint64
		v   T
	}
	var quals []seqd[*jQualDelta]
	var err error
	diffPmap(&old.quals, &cur.quals, func(k string, ov *qualEntry, ook bool, nv *qualEntry, nok bool) {
		wasClient, isClient := ook && ov.origin != fromBase, nok && nv.origin != fromBase
		switch {
		case isClient && (!wasClient || ov.qt != nv.qt || ov.origin != nv.origin):
			jq, e := encodeQualifierType(nv.qt)
			err = cmp.Or(err, e)
			quals = append(quals, seqd[*jQualDelta]{nv.seq, &jQualDelta{Name: nv.qt.Name, QualifierType: jq}})
		case wasClient && !isClient:
			quals = append(quals, seqd[*jQualDelta]{ov.seq, &jQualDelta{Name: ov.qt.Name}})
		}
	})
	var classes []seqd[*jClassDelta]
	diffPmap(&old.classes, &cur.classes, func(k string, ov *classEntry, ook bool, nv *classEntry, nok bool) {
		wasClient, isClient := ook && ov.origin != fromBase, nok && nv.origin != fromBase
		switch {
		case isClient && (!wasClient || ov.class != nv.class || ov.origin != nv.origin):
			jc, e := encodeClass(nv.class)
			err = cmp.Or(err, e)
			classes = append(classes, seqd[*jClassDelta]{nv.seq,
				&jClassDelta{Name: nv.class.Name, Modified: nv.origin == modifiedBase, Class: jc}})
		case wasClient && !isClient:
			classes = append(classes, seqd[*jClassDelta]{ov.seq, &jClassDelta{Name: ov.class.Name}})
		}
	})
	var insts []seqd[*jInstDelta]
	diffPmap(&old.insts, &cur.insts, func(k string, ov *instEntry, ook bool, nv *instEntry, nok bool) {
		wasClient, isClient := ook && ov.origin != fromBase, nok && nv.origin != fromBase
		switch {
		case isClient && (!wasClient || ov.inst != nv.inst || ov.origin != nv.origin):
			ji, e := encodeInstance(nv.inst)
			err = cmp.Or(err, e)
			insts = append(insts, seqd[*jInstDelta]{nv.seq,
				&jInstDelta{Key: k, Modified: nv.origin == modifiedBase, Instance: ji}})
		case wasClient && !isClient:
			insts = append(insts, seqd[*jInstDelta]{ov.seq, &jInstDelta{Key: k}})
		}
	})
	// The sets of deleted base objects only grow while the namespace lives.
	diffPmap(&old.goneQuals, &cur.goneQuals, func(_ string, _ string, _ bool, nv string, nok bool) {
		if nok {
			d.DeletedQualifierTypes = append(d.DeletedQualifierTypes, nv)
		}
	})
	diffPmap(&old.goneClasses, &cur.goneClasses, func(_ string, _ string, _ bool, nv string, nok bool) {
		if nok {
			d.DeletedClasses = append(d.DeletedClasses, nv)
		}
	})
	var gone []*cim.ObjectPath
	diffPmap(&old.goneInsts, &cur.goneInsts, func(_ string, _ *cim.ObjectPath, _ bool, nv *cim.ObjectPath, nok bool) {
		if nok {
			gone = append(gone, nv)
		}
	})
	slices.SortFunc(gone, func(a, b *cim.ObjectPath) int { return strings.Compare(a.String(), b.String()) })
	for _, p := range gone {
		jp, e := encodePath(p)
		err = cmp.Or(err, e)
		d.DeletedInstances = append(d.DeletedInstances, jp)
	}
	if err != nil {
		return nil, err
	}
	slices.Sort(d.DeletedQualifierTypes)
	slices.Sort(d.DeletedClasses)
	bySeq := func(a, b uint64) int { return cmp.Compare(a, b) }
	slices.SortFunc(quals, func(a, b seqd[*jQualDelta]) int { return bySeq(a.seq, b.seq) })
	slices.SortFunc(classes, func(a, b seqd[*jClassDelta]) int { return bySeq(a.seq, b.seq) })
	slices.SortFunc(insts, func(a, b seqd[*jInstDelta]) int { return bySeq(a.seq, b.seq) })
	for _, q := range quals {
		d.QualifierTypes = append(d.QualifierTypes, q.v)
	}
	for _, c := range classes {
		d.Classes = append(d.Classes, c.v)
	}
	for _, in := range insts {
		d.Instances = append(d.Instances, in.v)
	}
	if !changed && len(d.QualifierTypes)+len(d.Classes)+len(d.Instances)+len(d.DeletedQualifierTypes)+
		len(d.DeletedClasses)+len(d.DeletedInstances) == 0 {
		return nil, nil
	}
	return d, nil
}

// Folding records into the namespace files (Open): the result is the file that
// the namespace would have if it had been written after the last record, so that
// Replay applies files only.

// ordered is a list of values with an index by key: set replaces in place or
// appends, del leaves a hole.
type ordered[V any] struct {
	idx  map[string]int
	vals []*V
}

func (o *ordered[V]) set(k string, v *V) {
	if o.idx == nil {
		o.idx = map[string]int{}
	}
	if i, ok := o.idx[k]; ok {
		o.vals[i] = v
		return
	}
	o.idx[k] = len(o.vals)
	o.vals = append(o.vals, v)
}

func (o *ordered[V]) del(k string) {
	if i, ok := o.idx[k]; ok {
		o.vals[i] = nil
		delete(o.idx, k)
	}
}

func (o *ordered[V]) list() []*V {
	var out []*V
	for _, v := range o.vals {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// folded is the client layer of one namespace while records are applied to it.
type folded struct {
	name, path            string
	created               bool
	goneQuals, goneClasss ordered[string]
	goneInsts             []*jPath
	quals                 ordered[jQualifierType]
	classes               ordered[jClassRecord]
	insts                 ordered[jInstRecord]
}

// newFolded starts from file f, nil for none.
func newFolded(key, path string, f *nsFile) *folded {
	fo := &folded{path: path}
	if f == nil {
		return fo
	}
	fo.name, fo.created = f.Namespace, f.Created
	for _, n := range f.DeletedQualifierTypes {
		fo.goneQuals.set(nameKey(n), &n)
	}
	for _, n := range f.DeletedClasses {
		fo.goneClasss.set(nameKey(n), &n)
	}
	fo.goneInsts = f.DeletedInstances
	for _, q := range f.QualifierTypes {
		fo.quals.set(nameKey(q.Name), q)
	}
	for _, c := range f.Classes {
		fo.classes.set(nameKey(c.Class.Name), c)
	}
	for i, in := range f.Instances {
		k := in.Key
		if k == "" {
			// A file written before the journal: no record refers to its
			// instances (Replay rewrote the file before any was written).
			k = fmt.Sprintf("\x00%d", i)
		}
		fo.insts.set(k, in)
	}
	return fo
}

func (fo *folded) apply(d *jNSDelta) {
	if d.Deleted {
		*fo = folded{path: fo.path}
		return
	}
	fo.name, fo.created = d.Namespace, d.Created
	for _, n := range d.DeletedQualifierTypes {
		fo.goneQuals.set(nameKey(n), &n)
	}
	for _, n := range d.DeletedClasses {
		fo.goneClasss.set(nameKey(n), &n)
	}
	fo.goneInsts = append(fo.goneInsts, d.DeletedInstances...)
	for _, q := range d.QualifierTypes {
		if q.QualifierType == nil {
			fo.quals.del(nameKey(q.Name))
		} else {
			fo.quals.set(nameKey(q.Name), q.QualifierType)
		}
	}
	for _, c := range d.Classes {
		if c.Class == nil {
			fo.classes.del(nameKey(c.Name))
		} else {
			fo.classes.set(nameKey(c.Name), &jClassRecord{Modified: c.Modified, Class: c.Class})
		}
	}
	for _, in := range d.Instances {
		if in.Instance == nil {
			fo.insts.del(in.Key)
		} else {
			fo.insts.set(in.Key, &jInstRecord{Modified: in.Modified, Key: in.Key, Instance: in.Instance})
		}
	}
}

// file returns the namespace file of the folded client layer, nil when it is empty.
func (fo *folded) file() *nsFile {
	f := &nsFile{path: fo.path, Format: fileFormat, Namespace: fo.name, Created: fo.created,
		DeletedInstances: fo.goneInsts, QualifierTypes: fo.quals.list(),
		Classes: fo.classes.list(), Instances: fo.insts.list()}
	for _, n := range fo.goneQuals.list() {
		f.DeletedQualifierTypes = append(f.DeletedQualifierTypes, *n)
	}
	for _, n := range fo.goneClasss.list() {
		f.DeletedClasses = append(f.DeletedClasses, *n)
	}
	if f.empty() {
		return nil
	}
	return f
}

func (f *nsFile) empty() bool {
	return !f.Created && len(f.DeletedQualifierTypes)+len(f.DeletedClasses)+len(f.DeletedInstances)+
		len(f.QualifierTypes)+len(f.Classes)+len(f.Instances) == 0
}
