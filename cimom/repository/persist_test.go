package repository

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// openLoaded opens a store on dir, loads the test schema as base schema and
// replays the client layer.
func openLoaded(t *testing.T, dir string) (*Store, *testSchema) {
	t.Helper()
	st, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	sc := newTestSchema()
	sc.load(t, st)
	if err := st.Replay(); err != nil {
		t.Fatalf("Replay(): %v", err)
	}
	return st, sc
}

// nsDump is everything a namespace holds, as the read methods show it.
type nsDump struct {
	Name           string
	QualifierTypes []*cim.QualifierType
	Classes        []*cim.Class
	Tree           []string
	Referencing    map[string][]string
	Instances      map[string][]*cim.Instance
	Paths          map[string][]string
}

func dump(t *testing.T, st *Store) []nsDump {
	t.Helper()
	var out []nsDump
	for _, n := range st.Namespaces() {
		d := nsDump{Name: n, Referencing: map[string][]string{}, Instances: map[string][]*cim.Instance{}, Paths: map[string][]string{}}
		d.QualifierTypes, _ = st.QualifierTypes(n)
		d.Classes, _ = st.Classes(n)
		d.Tree, _ = st.SubclassNames(n, "", true)
		for _, c := range d.Classes {
			d.Referencing[c.Name], _ = st.ReferencingClasses(n, c.Name)
			d.Instances[c.Name], _ = st.Instances(n, c.Name, false)
			paths, _ := st.InstanceNames(n, c.Name, false)
			for _, p := range paths {
				d.Paths[c.Name] = append(d.Paths[c.Name], p.String())
			}
		}
		out = append(out, d)
	}
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// everyValue is a class with a property of every type, and an instance of it
// whose values are the edge cases of each.
func everyValue() (*cim.Class, *cim.Instance) {
	target := &cim.ObjectPath{Namespace: "root/client", ClassName: "Thing",
		Keys: []cim.KeyBinding{{Name: "Id", Value: "t\"1\\"}}}
	embedded := &cim.Instance{ClassName: "Emb", Properties: []cim.Property{
		{Name: "When", Type: cim.TypeDatetime, Value: cim.Datetime("00000001020304.000005:000")},
		{Name: "Ref", Type: cim.TypeReference, Value: target},
		{Name: "Nums", Type: cim.TypeSint16, IsArray: true, Value: []any{int16(-1), nil}},
	}}
	embClass := &cim.Class{Name: "Emb", Properties: []cim.Property{{Name: "X", Type: cim.TypeUint8, Value: uint8(3)}}}
	props := []cim.Property{
		{Name: "Id", Type: cim.TypeString, Value: "every"},
		{Name: "Bool", Type: cim.TypeBoolean, Value: false},
		{Name: "U8", Type: cim.TypeUint8, Value: uint8(math.MaxUint8)},
		{Name: "S8", Type: cim.TypeSint8, Value: int8(math.MinInt8)},
		{Name: "U16", Type: cim.TypeUint16, Value: uint16(math.MaxUint16)},
		{Name: "S16", Type: cim.TypeSint16, Value: int16(math.MinInt16)},
		{Name: "U32", Type: cim.TypeUint32, Value: uint32(math.MaxUint32)},
		{Name: "S32", Type: cim.TypeSint32, Value: int32(math.MinInt32)},
		{Name: "U64", Type: cim.TypeUint64, Value: uint64(math.MaxUint64)},
		{Name: "S64", Type: cim.TypeSint64, Value: int64(math.MinInt64)},
		{Name: "R32", Type: cim.TypeReal32, Value: float32(0.1)},
		{Name: "R64", Type: cim.TypeReal64, Value: math.SmallestNonzeroFloat64},
		{Name: "R64Inf", Type: cim.TypeReal64, Value: math.Inf(-1)},
		{Name: "C16", Type: cim.TypeChar16, Value: cim.Char16(0xFFFF)},
		{Name: "Str", Type: cim.TypeString, Value: "ünï\"code\n\x00 \u2028"},
		{Name: "NotUTF8", Type: cim.TypeString, Value: "\xff\xfe bytes"},
		{Name: "Empty", Type: cim.TypeString, Value: ""},
		{Name: "When", Type: cim.TypeDatetime, Value: cim.Datetime("20240229235960.123456-090")},
		{Name: "Pattern", Type: cim.TypeDatetime, Value: cim.Datetime("2024**********.******+000")},
		{Name: "Ref", Type: cim.TypeReference, Value: target},
		{Name: "Null", Type: cim.TypeUint32, Value: nil},
		{Name: "NullArray", Type: cim.TypeUint32, IsArray: true, Value: nil},
		{Name: "EmptyArray", Type: cim.TypeUint32, IsArray: true, Value: []any{}},
		{Name: "Array", Type: cim.TypeUint64, IsArray: true, Value: []any{nil, uint64(1), nil, uint64(math.MaxUint64), nil}},
		{Name: "Strings", Type: cim.TypeString, IsArray: true, Value: []any{"a", nil, ""}},
		{Name: "Refs", Type: cim.TypeReference, IsArray: true, Value: []any{target, nil}},
		{Name: "Times", Type: cim.TypeDatetime, IsArray: true, Value: []any{cim.Datetime("20000101000000.000000+000"), nil}},
		{Name: "Emb", Type: cim.TypeString, Value: embedded},
		{Name: "EmbClass", Type: cim.TypeString, Value: embClass},
		{Name: "Embs", Type: cim.TypeString, IsArray: true, Value: []any{embedded, nil, "plain"}},
	}
	qual := func(name string, t cim.Type, v any) cim.Qualifier {
		return cim.Qualifier{Name: name, Type: t, Value: v}
	}
	c := &cim.Class{Name: "Every", Qualifiers: cim.Qualifiers{qual("Description", cim.TypeString, "all types")}}
	for _, p := range props {
		cp := p
		cp.Value = nil
		cp.ClassOrigin = "Every"
		if p.Name == "Id" {
			cp.Qualifiers = cim.Qualifiers{keyQ}
		}
		if p.Type == cim.TypeReference {
			cp.ReferenceClass = "Thing"
		}
		c.Properties = append(c.Properties, cp)
	}
	c.Properties[2].Value = uint8(9) // a default value
	c.Properties[2].Qualifiers = cim.Qualifiers{{Name: "Values", Type: cim.TypeString, IsArray: true,
		Value: []any{"a", nil}, Flavor: cim.Translatable | cim.Restricted | cim.DisableOverride | cim.ToInstance}}
	c.Methods = []cim.Method{{Name: "Do", ReturnType: cim.TypeUint32, ClassOrigin: "Every",
		Qualifiers: cim.Qualifiers{qual("Description", cim.TypeString, "does")},
		Parameters: []cim.Parameter{
			{Name: "In", Type: cim.TypeReference, ReferenceClass: "Thing", Qualifiers: cim.Qualifiers{boolQ("In")}},
			{Name: "Out", Type: cim.TypeString, IsArray: true, ArraySize: 4, Qualifiers: cim.Qualifiers{}},
		}}}
	return c, &cim.Instance{ClassName: "Every", Properties: props}
}

func TestPersistRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st, sc := openLoaded(t, dir)
	every, everyInst := everyValue()
	thing := class("Thing", nil, nil, prop("Id", cim.TypeString, keyQ))
	steps := []struct {
		name string
		op   func() error
	}{
		// A namespace of the client's with all kinds of objects.
		{"CreateNamespace", func() error { return st.CreateNamespace("Root/Client") }},
		{"SetQualifierType Key", func() error { return st.SetQualifierType("root/client", sc.quals[0]) }},
		{"SetQualifierType Values", func() error {
			return st.SetQualifierType("root/client", &cim.QualifierType{Name: "Values", Type: cim.TypeString, IsArray: true,
				ArraySize: 3, Default: []any{"x", nil}, Scope: cim.ScopeProperty | cim.ScopeMethod, Flavor: cim.Translatable | cim.ToInstance})
		}},
		{"CreateClass Thing", func() error { return st.CreateClass("root/client", thing) }},
		{"CreateClass Every", func() error { return st.CreateClass("root/client", every) }},
		{"CreateInstance Every", func() error { _, err := st.CreateInstance("root/client", everyInst); return err }},
		// The base namespace, changed by the client.
		{"CreateClass A3", func() error { return st.CreateClass(ns, class("A3", sc.A, nil, prop("P3", cim.TypeBoolean))) }},
		{"CreateInstance A3", func() error {
			_, err := st.CreateInstance(ns, inst("A3", val("Id", cim.TypeString, "a3"), val("P3", cim.TypeBoolean, true)))
			return err
		}},
		{"ModifyClass A2", func() error { return st.ModifyClass(ns, class("A2", sc.A, nil, prop("P2", cim.TypeReal32))) }},
		{"DeleteClass B", func() error { return st.DeleteClass(ns, "B") }},
		{"ModifyInstance A", func() error {
			return st.ModifyInstance(ns, inst("A", val("Id", cim.TypeString, "a"), val("PA", cim.TypeUint32, uint32(99))))
		}},
		{"DeleteInstance Other", func() error { return st.DeleteInstance(ns, path("Other", "Name", "o")) }},
		{"DeleteInstance A1 (re-created below)", func() error { return st.DeleteInstance(ns, path("A1", "Id", "a1")) }},
		{"CreateInstance A1", func() error {
			_, err := st.CreateInstance(ns, inst("A1", val("Id", cim.TypeString, "a1"), val("PA1", cim.TypeString, "again")))
			return err
		}},
		{"DeleteQualifierType Description", func() error { return st.DeleteQualifierType(ns, "Description") }},
		{"SetQualifierType Key (base, new flavor)", func() error {
			return st.SetQualifierType(ns, &cim.QualifierType{Name: "Key", Type: cim.TypeBoolean, Scope: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.DisableOverride})
		}},
		{"SetQualifierType Units", func() error {
			return st.SetQualifierType(ns, &cim.QualifierType{Name: "Units", Type: cim.TypeString, Scope: cim.ScopeProperty})
		}},
		{"DeleteClass AssocA (re-created below)", func() error { return st.DeleteClass(ns, "AssocA") }},
		{"CreateClass AssocA", func() error {
			return st.CreateClass(ns, class("AssocA", nil, cim.Qualifiers{boolQ("Association")}, ref("R", "Other", keyQ)))
		}},
		{"CreateClass Temp", func() error { return st.CreateClass(ns, class("Temp", nil, nil)) }},
		{"DeleteClass Temp", func() error { return st.DeleteClass(ns, "Temp") }},
		{"CreateNamespace Gone", func() error { return st.CreateNamespace("root/gone") }},
		{"DeleteNamespace Gone", func() error { return st.DeleteNamespace("root/gone") }},
	}
	for _, s := range steps {
		if err := s.op(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	want := dump(t, st)

	st2, _ := openLoaded(t, dir)
	got := dump(t, st2)
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("namespace %s after reopening:\n got %+v\nwant %+v", want[i].Name, got[i], want[i])
			}
		}
		if len(got) != len(want) {
			t.Errorf("after reopening: %d namespaces, want %d", len(got), len(want))
		}
	}

	// Spot checks, in case both dumps went wrong the same way.
	if st2.Class(ns, "B") != nil || st2.Class(ns, "Temp") != nil {
		t.Error("deleted classes B or Temp came back")
	}
	if c := st2.Class(ns, "A2"); c == nil || c.Property("P2") == nil {
		t.Errorf("Class(A2) = %v, want the modified class with P2", c)
	}
	if got, _ := st2.Instance(ns, path("A", "Id", "a")); got == nil || got.Property("PA").Value != uint32(99) {
		t.Errorf("Instance(A.Id=a) = %v, want PA=99", got)
	}
	if got, _ := st2.Instance(ns, path("A1", "Id", "a1")); got == nil || got.Property("PA1") == nil {
		t.Errorf("Instance(A1.Id=a1) = %v, want the re-created instance", got)
	}
	if st2.QualifierType(ns, "Description") != nil || st2.QualifierType(ns, "Units") == nil {
		t.Error("qualifier types Description (deleted) or Units (set) wrong after reopening")
	}
	if got, _ := st2.ReferencingClasses(ns, "A"); !equalStrings(got, []string{"Assoc", "SubAssoc"}) {
		t.Errorf("ReferencingClasses(A) = %v, want [Assoc SubAssoc] (AssocA now refers to Other)", got)
	}
	if st2.HasNamespace("root/gone") {
		t.Error("deleted namespace root/gone came back")
	}
	if got, want := dirNames(t, dir), []string{"root%2Fclient.json", "root%2Ftest.json"}; !equalStrings(got, want) {
		t.Errorf("files in the directory = %v, want %v", got, want)
	}

	// The instance with every value, exactly.
	in, err := st2.Instance("root/client", path("Every", "Id", "every"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, everyInst) {
		for i, p := range in.Properties {
			if !reflect.DeepEqual(p, everyInst.Properties[i]) {
				t.Errorf("property %s after reopening = %#v, want %#v", p.Name, p, everyInst.Properties[i])
			}
		}
	}
	if got := st2.Class("root/client", "Every"); !reflect.DeepEqual(got, every) {
		t.Errorf("Class(Every) after reopening = %+v, want %+v", got, every)
	}

	// A third generation: a client change survives several restarts.
	st3, _ := openLoaded(t, dir)
	if st3.Class(ns, "A3") == nil {
		t.Error("class A3 lost at the second restart")
	}
}

func TestNegativeZeroAndNaN(t *testing.T) {
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	c := class("F", nil, nil, prop("Id", cim.TypeString, keyQ), prop("Z", cim.TypeReal64),
		prop("N", cim.TypeReal32), cim.Property{Name: "A", Type: cim.TypeReal64, IsArray: true})
	if err := st.CreateClass(ns, c); err != nil {
		t.Fatal(err)
	}
	in := inst("F", val("Id", cim.TypeString, "f"), val("Z", cim.TypeReal64, math.Copysign(0, -1)),
		val("N", cim.TypeReal32, float32(math.NaN())), cim.Property{Name: "A", Type: cim.TypeReal64, IsArray: true, Value: []any{math.Inf(1), math.NaN()}})
	if _, err := st.CreateInstance(ns, in); err != nil {
		t.Fatal(err)
	}
	st2, _ := openLoaded(t, dir)
	got, err := st2.Instance(ns, path("F", "Id", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if z, ok := got.Property("Z").Value.(float64); !ok || z != 0 || !math.Signbit(z) {
		t.Errorf("Z = %v, want -0", got.Property("Z").Value)
	}
	if n, ok := got.Property("N").Value.(float32); !ok || !math.IsNaN(float64(n)) {
		t.Errorf("N = %#v, want float32 NaN", got.Property("N").Value)
	}
	if a, ok := got.Property("A").Value.([]any); !ok || len(a) != 2 || !math.IsInf(a[0].(float64), 1) || !math.IsNaN(a[1].(float64)) {
		t.Errorf("A = %#v, want [+Inf NaN]", got.Property("A").Value)
	}
}

func TestNotReplayed(t *testing.T) {
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	if err := st.CreateClass(ns, class("Mine", nil, nil)); err != nil {
		t.Fatal(err)
	}
	st2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	newTestSchema().load(t, st2)
	ops := map[string]func() error{
		"CreateNamespace":  func() error { return st2.CreateNamespace("root/x") },
		"CreateClass":      func() error { return st2.CreateClass(ns, class("Other2", nil, nil)) },
		"DeleteClass":      func() error { return st2.DeleteClass(ns, "A") },
		"SetQualifierType": func() error { return st2.SetQualifierType(ns, &cim.QualifierType{Name: "Q", Type: cim.TypeBoolean}) },
		"DeleteInstance":   func() error { return st2.DeleteInstance(ns, path("A", "Id", "a")) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, ErrNotReplayed) {
			t.Errorf("%s before Replay = %v, want ErrNotReplayed", name, err)
		}
	}
	if st2.Class(ns, "Mine") != nil {
		t.Error("Class(Mine) before Replay != nil")
	}
	if err := st2.Replay(); err != nil {
		t.Fatal(err)
	}
	if st2.Class(ns, "Mine") == nil {
		t.Error("Class(Mine) after Replay = nil")
	}
	if err := st2.Replay(); err != nil {
		t.Errorf("second Replay() = %v, want nil", err)
	}
	if err := st2.CreateNamespace("root/x"); err != nil {
		t.Errorf("CreateNamespace after Replay = %v", err)
	}
	if err := New().Replay(); err != nil {
		t.Errorf("New().Replay() = %v", err)
	}
}

func TestReplayConflicts(t *testing.T) {
	tests := []struct {
		name string
		// change is made by a client on the test schema; base is the next
		// start's base schema, which must conflict with it.
		change func(*Store, *testSchema) error
		base   func(*testSchema)
		want   error
	}{
		{"created class now in the base schema",
			func(st *Store, sc *testSchema) error { return st.CreateClass(ns, class("New", sc.A, nil)) },
			func(sc *testSchema) { sc.classes = append(sc.classes, class("New", nil, nil)) },
			ErrAlreadyExists},
		{"superclass no longer in the base schema",
			func(st *Store, sc *testSchema) error { return st.CreateClass(ns, class("New", sc.A2, nil)) },
			func(sc *testSchema) {
				sc.classes = slices.DeleteFunc(sc.classes, func(c *cim.Class) bool { return c.Name == "A2" })
			},
			ErrInvalidSuperclass},
		{"modified class has new subclasses",
			func(st *Store, sc *testSchema) error { return st.ModifyClass(ns, class("A2", sc.A, nil)) },
			func(sc *testSchema) { sc.classes = append(sc.classes, class("A21", sc.A2, nil)) },
			ErrClassHasChildren},
		{"created instance now in the base schema",
			func(st *Store, sc *testSchema) error {
				_, err := st.CreateInstance(ns, inst("A2", val("Id", cim.TypeString, "n")))
				return err
			},
			func(sc *testSchema) { sc.instances = append(sc.instances, inst("A2", val("Id", cim.TypeString, "n"))) },
			ErrAlreadyExists},
		{"deleted qualifier type now in use",
			func(st *Store, sc *testSchema) error { return st.DeleteQualifierType(ns, "Description") },
			func(sc *testSchema) {
				sc.classes = append(sc.classes, class("D", nil, cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: "d"}}))
			},
			ErrQualifierTypeInUse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, sc := openLoaded(t, dir)
			if err := tc.change(st, sc); err != nil {
				t.Fatal(err)
			}
			st2, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			sc2 := newTestSchema()
			tc.base(sc2)
			sc2.load(t, st2)
			before := dump(t, st2)
			err = st2.Replay()
			var fe *FileError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Path != filepath.Join(dir, "root%2Ftest.json") {
				t.Fatalf("Replay() = %v, want a *FileError for root%%2Ftest.json matching %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), fe.Path) {
				t.Errorf("Replay() error %q does not name the file", err)
			}
			// All or nothing: the store is as the base schema left it, and the
			// client layer cannot overwrite the file.
			if after := dump(t, st2); !reflect.DeepEqual(after, before) {
				t.Error("a failed Replay changed the store")
			}
			if err := st2.CreateClass(ns, class("Z", nil, nil)); !errors.Is(err, ErrNotReplayed) {
				t.Errorf("CreateClass after a failed Replay = %v, want ErrNotReplayed", err)
			}
		})
	}
}

func TestTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	// A leftover of a crash during a write.
	leftover := filepath.Join(dir, tmpPrefix+"root%2Ftest.json-12345")
	if err := os.WriteFile(leftover, []byte(`{"half`), 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := openLoaded(t, dir)
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open left the temporary file %s: %v", leftover, err)
	}
	for i := range 20 {
		if err := st.CreateClass(ns, class("T"+itoa(i), nil, nil)); err != nil {
			t.Fatal(err)
		}
	}
	// The changes are in the journal; Replay writes the namespace file.
	if got := dirNames(t, dir); !equalStrings(got, []string{walFile}) {
		t.Errorf("files after 20 writes = %v, want only the journal", got)
	}
	st, _ = openLoaded(t, dir)
	if got := dirNames(t, dir); !equalStrings(got, []string{"root%2Ftest.json"}) {
		t.Errorf("files after reopening = %v, want only root%%2Ftest.json", got)
	}
	// Undoing the client layer of a namespace removes its file.
	for i := range 20 {
		if err := st.DeleteClass(ns, "T"+itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	openLoaded(t, dir)
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("files after undoing every change = %v, want none", got)
	}
}

// TestFailedWrite makes the append fail (the journal's name is taken by a
// directory): the change is not published, and the next change, which cannot trust
// the journal, writes the namespace file instead.
func TestFailedWrite(t *testing.T) {
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	wal := filepath.Join(dir, walFile)
	if err := os.Mkdir(wal, 0o700); err != nil {
		t.Fatal(err)
	}
	err := st.CreateClass(ns, class("Lost", nil, nil))
	if err == nil || !strings.Contains(err.Error(), walFile) {
		t.Fatalf("CreateClass with an unwritable journal = %v, want an error naming the journal", err)
	}
	if st.Class(ns, "Lost") != nil {
		t.Error("a change that could not be written was published")
	}
	if err := st.CreateClass(ns, class("Kept", nil, nil)); err != nil {
		t.Fatalf("CreateClass after a failed append = %v, want it written to the namespace file", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "root%2Ftest.json")); err != nil {
		t.Errorf("the change after a failed append is not in the namespace file: %v", err)
	}
	if err := os.RemoveAll(wal); err != nil {
		t.Fatal(err)
	}
	st2, _ := openLoaded(t, dir)
	if st2.Class(ns, "Kept") == nil || st2.Class(ns, "Lost") != nil {
		t.Errorf("after reopening: Kept %v, Lost %v; want Kept only", st2.Class(ns, "Kept"), st2.Class(ns, "Lost"))
	}
}

func TestCorruptFiles(t *testing.T) {
	good := func(body string) string {
		return `{"format": "` + fileFormat + `", "namespace": "root/x",` + body + `}`
	}
	inst := func(prop string) string {
		return good(`"instances": [{"instance": {"className": "C", "qualifiers": null, "properties": [` + prop + `]}}]`)
	}
	tests := []struct {
		name, file, content, want string
	}{
		{"syntax", "root%2Fx.json", "{\n\"format\": \"" + fileFormat + "\",\n oops}", "line 3"},
		{"truncated", "root%2Fx.json", good(`"created": true`)[:40], "unexpected end"},
		{"wrong JSON type", "root%2Fx.json", good(`"created": "yes"`), "created"},
		{"format", "root%2Fx.json", `{"format": "other/9", "namespace": "root/x"}`, "format"},
		{"namespace name", "root%2Fx.json", `{"format": "` + fileFormat + `", "namespace": "root//x"}`, "namespace name"},
		{"file name", "root%2Fy.json", good(``)[:len(good(``))-2] + `}`, "belongs in root%2Fx.json"},
		{"value type", "root%2Fx.json", inst(`{"name": "P", "type": "uint8", "value": {"t": "uint9", "v": "1"}, "qualifiers": null}`), `unknown value type "uint9"`},
		{"overflow", "root%2Fx.json", inst(`{"name": "P", "type": "uint8", "value": {"t": "uint8", "v": "256"}, "qualifiers": null}`), "out of range"},
		{"number not a string", "root%2Fx.json", inst(`{"name": "P", "type": "uint8", "value": {"t": "uint8", "v": 1}, "qualifiers": null}`), "want a JSON string"},
		{"property type", "root%2Fx.json", inst(`{"name": "P", "type": "uint128", "value": null, "qualifiers": null}`), `unknown type "uint128"`},
		{"missing value", "root%2Fx.json", inst(`{"name": "P", "type": "boolean", "value": {"t": "boolean"}, "qualifiers": null}`), `missing "v"`},
		{"nested array", "root%2Fx.json", inst(`{"name": "P", "type": "uint8", "isArray": true, "value": {"t": "array", "a": [{"t": "array"}]}, "qualifiers": null}`), "is an array"},
		{"flavor", "root%2Fx.json", good(`"qualifierTypes": [{"name": "Q", "type": "boolean", "default": null, "scope": ["class"], "flavor": ["Sticky"]}]`), `unknown flavor "Sticky"`},
		{"null class", "root%2Fx.json", good(`"classes": [{"class": null}]`), "null entry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, tc.file)
			if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := Open(dir)
			var fe *FileError
			switch {
			case st != nil:
				t.Errorf("Open() returned a store despite the corrupt file")
			case !errors.Is(err, ErrCorrupt) || !errors.As(err, &fe):
				t.Errorf("Open() = %v, want a *FileError matching ErrCorrupt", err)
			case fe.Path != file || !strings.Contains(err.Error(), file):
				t.Errorf("Open() = %v, want it to name %s", err, file)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("Open() = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestFileContent checks the format promised in doc.go on one written file.
func TestFileContent(t *testing.T) {
	dir := t.TempDir()
	st, _ := openLoaded(t, dir)
	if err := st.DeleteClass(ns, "B"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateInstance(ns, inst("A2", val("Id", cim.TypeString, "x"))); err != nil {
		t.Fatal(err)
	}
	openLoaded(t, dir) // Replay writes the namespace files from the journal
	data, err := os.ReadFile(filepath.Join(dir, "root%2Ftest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"format":"` + fileFormat + `"`,
		`"namespace":"root/test"`,
		`"deletedClasses":["B"]`,
		`"t":"string"`,
		`"v":"x"`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("file content lacks %s:\n%s", want, data)
		}
	}
}

func TestBatchPersistsOnceAndAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	s, _ := openLoaded(t, dir)
	// A failing batch changes nothing.
	err := s.Batch(func(b *Batch) error {
		if err := b.CreateNamespace("batch/ns"); err != nil {
			return err
		}
		return b.CreateNamespace("batch/ns")
	})
	if !errors.Is(err, ErrAlreadyExists) || s.HasNamespace("batch/ns") {
		t.Fatalf("failing batch: err %v, namespace exists %v", err, s.HasNamespace("batch/ns"))
	}
	err = s.Batch(func(b *Batch) error {
		if b.HasNamespace("batch/ns") {
			t.Error("the failed batch left its namespace")
		}
		if err := b.CreateNamespace("batch/ns"); err != nil {
			return err
		}
		if !b.HasNamespace("batch/ns") {
			t.Error("HasNamespace does not see the batch's own change")
		}
		return b.CreateNamespace("batch/other")
	})
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := openLoaded(t, dir)
	if !s2.HasNamespace("batch/ns") || !s2.HasNamespace("batch/other") {
		t.Errorf("namespaces of the batch after reopening: %v", s2.Namespaces())
	}
}
