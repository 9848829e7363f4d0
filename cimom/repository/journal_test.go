package repository

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// aInst is a client instance of class A of the test schema.
func aInst(id string, pa uint32) *cim.Instance {
	return inst("A", val("Id", cim.TypeString, id), val("PA", cim.TypeUint32, pa))
}

// frameEnds returns the offsets at which the frames of the journal of dir end.
func frameEnds(t *testing.T, dir string) []int64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, walFile))
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for off := 0; off+frameHeader <= len(data); {
		off += frameHeader + int(binary.LittleEndian.Uint32(data[off:]))
		ends = append(ends, int64(off))
	}
	if len(ends) == 0 || ends[len(ends)-1] != int64(len(data)) {
		t.Fatalf("journal of %d bytes does not end with a frame: %v", len(data), ends)
	}
	return ends
}

func sameDump(t *testing.T, what string, got, want *Store) {
	t.Helper()
	g, w := dump(t, got), dump(t, want)
	for _, d := range [][]nsDump{g, w} {
		for i := range d {
			if len(d[i].Classes) == 0 {
				d[i].Classes = nil // a namespace whose classes all went has an empty list
			}
		}
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: the store differs from the one written:\n got %s\nwant %s", what, jsonOf(g), jsonOf(w))
	}
}

// TestJournalAppends checks that a change is one record appended to the journal,
// of a size that does not grow with the number of instances.
func TestJournalAppends(t *testing.T) {
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	var sizes []int64
	for i := range 300 {
		if _, err := st.CreateInstance(ns, aInst(fmt.Sprintf("x%03d", i), 1)); err != nil {
			t.Fatal(err)
		}
		if i == 0 || i == 299 {
			ends := frameEnds(t, dir)
			if len(ends) != i+1 {
				t.Fatalf("journal after %d changes holds %d records", i+1, len(ends))
			}
			last := ends[len(ends)-1]
			if len(ends) > 1 {
				last -= ends[len(ends)-2]
			}
			sizes = append(sizes, last)
		}
	}
	if sizes[1] > sizes[0]+8 { // the sequence number has more digits
		t.Errorf("record of the 300th creation is %d bytes, of the first %d: want about the same", sizes[1], sizes[0])
	}
	if _, err := os.Stat(filepath.Join(dir, "root%2Ftest.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the namespace file was written before any compaction: %v", err)
	}
}

// TestJournalCompacts lowers the compaction threshold so that the journal is
// compacted between the changes, and checks that the store survives a restart,
// after every change or at the end.
func TestJournalCompacts(t *testing.T) {
	defer func(v int64) { minCompact = v }(minCompact)
	minCompact = 0
	for _, reopenEach := range []bool{false, true} {
		t.Run(fmt.Sprintf("reopen each step=%v", reopenEach), func(t *testing.T) {
			dir := t.TempDir()
			st, sc := openLoaded(t, dir)
			ops := []func() error{
				func() error { return st.CreateNamespace("root/other") },
				func() error { _, err := st.CreateInstance(ns, aInst("c1", 1)); return err },
				func() error { _, err := st.CreateInstance(ns, aInst("c2", 2)); return err },
				func() error { return st.ModifyInstance(ns, aInst("c1", 11)) },
				func() error { return st.ModifyInstance(ns, aInst("a", 77)) }, // of the base schema
				func() error { return st.DeleteInstance(ns, path("A1", "Id", "a1")) },
				func() error {
					return st.CreateClass("root/other", class("O", nil, nil, prop("K", cim.TypeString, keyQ)))
				},
				func() error { return st.DeleteInstance(ns, path("A", "Id", "c2")) },
				func() error { return st.DeleteClass(ns, "B") },
				func() error { return st.CreateClass(ns, class("A3", sc.A, nil)) },
				func() error {
					_, err := st.CreateInstance(ns, inst("A3", val("Id", cim.TypeString, "three")))
					return err
				},
				func() error { return st.ModifyInstance(ns, inst("A3", val("Id", cim.TypeString, "three"))) },
				func() error { return st.DeleteClass("root/other", "O") },
				func() error { return st.DeleteNamespace("root/other") },
				func() error { return st.CreateNamespace("root/other") },
				func() error { return st.DeleteQualifierType(ns, "Description") },
			}
			for i, op := range ops {
				if err := op(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if reopenEach {
					st2, _ := openLoaded(t, dir)
					sameDump(t, fmt.Sprintf("after step %d", i), st2, st)
					st = st2 // continue on the reopened store, as a restarted server does
				}
			}
			st2, _ := openLoaded(t, dir)
			sameDump(t, "at the end", st2, st)
		})
	}
}

// TestJournalTornTail cuts or garbles the last record, as a crash during its
// append does: Open ignores it, the change is lost, the ones before are not, and
// the store appends again after the valid records.
func TestJournalTornTail(t *testing.T) {
	tests := []struct {
		name string
		tear func(data []byte, lastStart int) []byte
	}{
		{"header cut", func(d []byte, s int) []byte { return d[:s+3] }},
		{"payload cut", func(d []byte, s int) []byte { return d[:len(d)-5] }},
		{"one byte missing", func(d []byte, s int) []byte { return d[:len(d)-1] }},
		{"payload garbled", func(d []byte, s int) []byte { d[len(d)-3] ^= 0x40; return d }},
		{"zeros after the records", func(d []byte, s int) []byte { return append(d[:s], make([]byte, 100)...) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, _ := openLoaded(t, dir)
			if _, err := st.CreateInstance(ns, aInst("kept", 1)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateInstance(ns, aInst("torn", 2)); err != nil {
				t.Fatal(err)
			}
			ends := frameEnds(t, dir)
			wal := filepath.Join(dir, walFile)
			data, _ := os.ReadFile(wal)
			if err := os.WriteFile(wal, tc.tear(data, int(ends[0])), 0o600); err != nil {
				t.Fatal(err)
			}
			st2, _ := openLoaded(t, dir)
			if _, err := st2.Instance(ns, path("A", "Id", "kept")); err != nil {
				t.Errorf("the record before the torn one is lost: %v", err)
			}
			if _, err := st2.Instance(ns, path("A", "Id", "torn")); !errors.Is(err, ErrNotFound) {
				t.Errorf("Instance(torn) = %v, want ErrNotFound", err)
			}
			if _, err := st2.CreateInstance(ns, aInst("after", 3)); err != nil {
				t.Fatal(err)
			}
			st3, _ := openLoaded(t, dir)
			sameDump(t, "after a change on top of the torn journal", st3, st2)
		})
	}
}

// TestJournalCorruptMiddle damages a record that other records follow: no crash
// does that, and Open reports the journal as corrupt.
func TestJournalCorruptMiddle(t *testing.T) {
	tests := []struct {
		name, want string
		damage     func(d []byte)
	}{
		{"checksum", "checksum mismatch at offset 0", func(d []byte) { d[frameHeader+2] ^= 0x01 }},
		{"length", "bad frame length", func(d []byte) { binary.LittleEndian.PutUint32(d, 0) }},
		{"record", "record at offset 0", func(d []byte) {
			// A well-framed record whose content is not a record.
			n := binary.LittleEndian.Uint32(d)
			payload := []byte(strings.Repeat(" ", int(n)-2) + "[]")
			copy(d[frameHeader:], payload)
			binary.LittleEndian.PutUint32(d[4:], crcOf(payload))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, _ := openLoaded(t, dir)
			for _, id := range []string{"one", "two"} {
				if _, err := st.CreateInstance(ns, aInst(id, 1)); err != nil {
					t.Fatal(err)
				}
			}
			wal := filepath.Join(dir, walFile)
			data, _ := os.ReadFile(wal)
			tc.damage(data)
			if err := os.WriteFile(wal, data, 0o600); err != nil {
				t.Fatal(err)
			}
			st2, err := Open(dir)
			var fe *FileError
			switch {
			case st2 != nil:
				t.Error("Open returned a store despite the corrupt journal")
			case !errors.Is(err, ErrCorrupt) || !errors.As(err, &fe) || fe.Path != wal:
				t.Errorf("Open() = %v, want a *FileError for %s matching ErrCorrupt", err, wal)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("Open() = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestJournalBatchTorn tears the record of a batch in its middle: the whole batch
// is lost, in every namespace it touched.
func TestJournalBatchTorn(t *testing.T) {
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	if _, err := st.CreateInstance(ns, aInst("before", 1)); err != nil {
		t.Fatal(err)
	}
	err := st.Batch(func(b *Batch) error {
		if err := b.CreateNamespace("root/batch"); err != nil {
			return err
		}
		if err := b.CreateClass("root/batch", class("C", nil, nil, prop("K", cim.TypeString, keyQ))); err != nil {
			return err
		}
		for i := range 50 {
			if _, err := b.CreateInstance(ns, aInst(fmt.Sprintf("b%02d", i), uint32(i))); err != nil {
				return err
			}
			if _, err := b.CreateInstance("root/batch", inst("C", val("K", cim.TypeString, fmt.Sprint(i)))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ends := frameEnds(t, dir)
	if len(ends) != 2 {
		t.Fatalf("journal holds %d records, want 2 (the batch is one)", len(ends))
	}
	wal := filepath.Join(dir, walFile)
	if err := os.Truncate(wal, (ends[0]+ends[1])/2); err != nil {
		t.Fatal(err)
	}
	st2, _ := openLoaded(t, dir)
	if _, err := st2.Instance(ns, path("A", "Id", "before")); err != nil {
		t.Errorf("the change before the batch is lost: %v", err)
	}
	if st2.HasNamespace("root/batch") {
		t.Error("namespace root/batch of the torn batch exists")
	}
	if got, _ := st2.Instances(ns, "A", false); len(got) != 2 { // a of the base schema, before
		t.Errorf("instances of A after the torn batch: %v, want a and before", instIDs(got))
	}
}

// TestCompactionCrash stops a compaction before each of its steps, as a crash
// would, and checks that the directory then holds the store as it was.
func TestCompactionCrash(t *testing.T) {
	defer func() { compactHook = nil }()
	// build makes changes in three namespaces, with a compaction in their middle so
	// that the files are not all of the same age, and one namespace whose client
	// layer is emptied (its file goes).
	build := func(t *testing.T, dir string) *Store {
		st, _ := openLoaded(t, dir)
		for _, n := range []string{"root/x", "root/y", "root/z"} {
			if err := st.CreateNamespace(n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.CreateInstance(ns, aInst("early", 1)); err != nil {
			t.Fatal(err)
		}
		st.mu.Lock()
		err := st.compact(st.cur.Load())
		st.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		steps := []func() error{
			func() error { return st.ModifyInstance(ns, aInst("early", 2)) },
			func() error { return st.DeleteNamespace("root/y") },
			func() error { return st.CreateClass("root/z", class("Z", nil, nil)) },
			func() error { return st.DeleteInstance(ns, path("A", "Id", "a")) },
			func() error { return st.CreateNamespace("root/w") },
		}
		for i, s := range steps {
			if err := s(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		return st
	}
	for stop := 1; ; stop++ {
		dir := t.TempDir()
		st := build(t, dir)
		calls := 0
		compactHook = func(step string) error {
			if calls++; calls == stop {
				return fmt.Errorf("crash before %s", step)
			}
			return nil
		}
		st.mu.Lock()
		st.compact(st.cur.Load())
		st.mu.Unlock()
		compactHook = nil
		st2, _ := openLoaded(t, dir)
		sameDump(t, fmt.Sprintf("crash at step %d", stop), st2, st)
		// The reopened store goes on, and a second restart finds its change.
		if err := st2.ModifyInstance(ns, aInst("early", 3)); err != nil {
			t.Fatal(err)
		}
		st3, _ := openLoaded(t, dir)
		sameDump(t, fmt.Sprintf("crash at step %d, then a change", stop), st3, st2)
		if calls < stop {
			break // the compaction ran to its end: every step was tried
		}
	}
}

// TestReplayCompactionCrash stops the compaction of Replay: Replay fails and
// leaves the store unreplayed, and the next Open finds the client layer whole.
func TestReplayCompactionCrash(t *testing.T) {
	defer func() { compactHook = nil }()
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	for _, n := range []string{"root/x", "root/y"} {
		if err := st.CreateNamespace(n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateInstance(ns, aInst("c", 1)); err != nil {
		t.Fatal(err)
	}
	calls := 0
	compactHook = func(string) error {
		if calls++; calls == 3 {
			return errors.New("crash")
		}
		return nil
	}
	st2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	newTestSchema().load(t, st2)
	if err := st2.Replay(); err == nil {
		t.Fatal("Replay succeeded despite the failed compaction")
	}
	if err := st2.CreateNamespace("root/z"); !errors.Is(err, ErrNotReplayed) {
		t.Errorf("CreateNamespace after a failed Replay = %v, want ErrNotReplayed", err)
	}
	compactHook = nil
	st3, _ := openLoaded(t, dir)
	sameDump(t, "after a failed Replay", st3, st)
}

// TestOldFormatDirectory opens a directory written before the journal (namespace
// files without sequence numbers or instance keys) and changes what it holds.
func TestOldFormatDirectory(t *testing.T) {
	dir := t.TempDir()
	old := `{"format":"` + fileFormat + `","namespace":"root/test","deletedClasses":["B"],` +
		`"instances":[{"instance":{"className":"A2","properties":[{"name":"Id","type":"string","value":{"t":"string","v":"old"}}]}},` +
		`{"modified":true,"instance":{"className":"A","properties":[{"name":"Id","type":"string","value":{"t":"string","v":"a"}},` +
		`{"name":"PA","type":"uint32","value":{"t":"uint32","v":"5"}}]}}]}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "root%2Ftest.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "root%2Fmine.json"),
		[]byte(`{"format":"`+fileFormat+`","namespace":"Root/Mine","created":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := openLoaded(t, dir)
	if st.Class(ns, "B") != nil || !st.HasNamespace("root/mine") {
		t.Error("the old files were not applied: class B exists or root/mine does not")
	}
	if in, err := st.Instance(ns, path("A", "Id", "a")); err != nil || in.Property("PA").Value != uint32(5) {
		t.Errorf("Instance(A.Id=a) = %v, %v, want PA=5", in, err)
	}
	// The instances of the old file change and go, across restarts.
	if err := st.ModifyInstance(ns, inst("A2", val("Id", cim.TypeString, "old"))); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteInstance(ns, path("A", "Id", "a")); err != nil {
		t.Fatal(err)
	}
	st2, _ := openLoaded(t, dir)
	sameDump(t, "after changing the old files' objects", st2, st)
	if _, err := st2.Instance(ns, path("A", "Id", "a")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Instance(A.Id=a) after its deletion = %v, want ErrNotFound", err)
	}
	if got, _ := st2.Instances(ns, "A2", false); len(got) != 1 {
		t.Errorf("instances of A2 = %v, want one", instIDs(got))
	}
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func jsonOf(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// TestJournalSkipsRecordsInFiles checks the sequence numbers directly: a record
// that a namespace file says it holds is not applied to that namespace again (here
// the file contradicts the record, to tell), and is applied to another namespace
// whose file is older.
func TestJournalSkipsRecordsInFiles(t *testing.T) {
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	err := st.Batch(func(b *Batch) error {
		if err := b.CreateNamespace("root/other"); err != nil {
			return err
		}
		_, err := b.CreateInstance(ns, aInst("x", 1))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := frameEnds(t, dir); len(got) != 1 {
		t.Fatalf("journal holds %d records, want 1", len(got))
	}
	// A file that holds record 1, without the instance.
	file := `{"format":"` + fileFormat + `","namespace":"root/test","seq":1,"deletedClasses":["B"]}`
	if err := os.WriteFile(filepath.Join(dir, "root%2Ftest.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	st2, _ := openLoaded(t, dir)
	if _, err := st2.Instance(ns, path("A", "Id", "x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Instance(x) = %v: the record the file holds was applied again", err)
	}
	if st2.Class(ns, "B") != nil || !st2.HasNamespace("root/other") {
		t.Errorf("class B exists (%v) or root/other does not (%v): want the file and the rest of the record applied",
			st2.Class(ns, "B") != nil, st2.HasNamespace("root/other"))
	}
}
