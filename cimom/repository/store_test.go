package repository

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestSubclassNames(t *testing.T) {
	st, _ := loaded(t)
	tests := []struct {
		class string
		deep  bool
		want  []string
		err   error
	}{
		{"", false, []string{"Base", "Other", "Assoc", "AssocA"}, nil},
		{"", true, []string{"Base", "A", "A1", "A11", "A2", "B", "Other", "Assoc", "SubAssoc", "AssocA"}, nil},
		{"Base", false, []string{"A", "B"}, nil},
		{"Base", true, []string{"A", "A1", "A11", "A2", "B"}, nil},
		{"a", true, []string{"A1", "A11", "A2"}, nil},
		{"A1", false, []string{"A11"}, nil},
		{"A11", true, nil, nil},
		{"Assoc", true, []string{"SubAssoc"}, nil},
		{"Nope", false, nil, ErrInvalidClass},
	}
	for _, tc := range tests {
		got, err := st.SubclassNames(ns, tc.class, tc.deep)
		wantErr(t, "SubclassNames("+tc.class+")", err, tc.err)
		if !equalStrings(got, tc.want) {
			t.Errorf("SubclassNames(%q, deep=%v) = %v, want %v", tc.class, tc.deep, got, tc.want)
		}
		cs, err := st.Subclasses(ns, tc.class, tc.deep)
		wantErr(t, "Subclasses("+tc.class+")", err, tc.err)
		if !equalStrings(classNames(cs), tc.want) {
			t.Errorf("Subclasses(%q, deep=%v) = %v, want %v", tc.class, tc.deep, classNames(cs), tc.want)
		}
	}
	if _, err := st.SubclassNames("root/none", "", true); !errors.Is(err, ErrInvalidNamespace) {
		t.Errorf("SubclassNames(root/none) = %v, want ErrInvalidNamespace", err)
	}
}

func TestClassesDefinitionOrder(t *testing.T) {
	st, sc := loaded(t)
	got, err := st.Classes(ns)
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(classNames(got), classNames(sc.classes)) {
		t.Errorf("Classes() = %v, want %v", classNames(got), classNames(sc.classes))
	}
	for i := range got {
		if got[i] != sc.classes[i] {
			t.Errorf("Classes()[%d] is not the stored pointer", i)
		}
	}
	// The returned slice is clipped: what the caller appends to it and what the
	// store appends later do not meet.
	intruder := &cim.Class{Name: "Intruder"}
	grown := append(got, intruder)
	if err := st.PutClass(ns, &cim.Class{Name: "Later"}); err != nil {
		t.Fatal(err)
	}
	again, _ := st.Classes(ns)
	if n := len(again); n != len(sc.classes)+1 || again[n-1].Name != "Later" {
		t.Errorf("Classes() after PutClass(Later) = %v", classNames(again))
	}
	if grown[len(got)] != intruder {
		t.Errorf("the store wrote into a slice the caller grew: %v", classNames(grown))
	}
}

func TestSuperclassesAndIsSubclass(t *testing.T) {
	st, _ := loaded(t)
	chains := []struct {
		class string
		want  []string
		err   error
	}{
		{"A11", []string{"A1", "A", "Base"}, nil},
		{"base", nil, nil},
		{"SubAssoc", []string{"Assoc"}, nil},
		{"Nope", nil, ErrInvalidClass},
	}
	for _, tc := range chains {
		got, err := st.Superclasses(ns, tc.class)
		wantErr(t, "Superclasses("+tc.class+")", err, tc.err)
		if !equalStrings(got, tc.want) {
			t.Errorf("Superclasses(%s) = %v, want %v", tc.class, got, tc.want)
		}
	}
	subs := []struct {
		sub, super string
		want       bool
	}{
		{"A11", "Base", true},
		{"a11", "BASE", true},
		{"A11", "A11", true},
		{"A2", "A1", false},
		{"Base", "A", false},
		{"Other", "Base", false},
		{"Nope", "Base", false},
		{"A", "Nope", false},
	}
	for _, tc := range subs {
		if got := st.IsSubclass(ns, tc.sub, tc.super); got != tc.want {
			t.Errorf("IsSubclass(%s, %s) = %v, want %v", tc.sub, tc.super, got, tc.want)
		}
	}
	if st.IsSubclass("root/none", "A", "A") {
		t.Error("IsSubclass in a missing namespace = true")
	}
}

func TestReferencingClasses(t *testing.T) {
	st, _ := loaded(t)
	tests := []struct {
		class string
		want  []string
		err   error
	}{
		// Assoc refers to Base, SubAssoc inherits that reference; AssocA refers to A.
		{"Base", []string{"Assoc", "SubAssoc"}, nil},
		{"A", []string{"Assoc", "SubAssoc", "AssocA"}, nil},
		{"A1", []string{"Assoc", "SubAssoc", "AssocA"}, nil},
		{"A11", []string{"Assoc", "SubAssoc", "AssocA"}, nil},
		{"B", []string{"Assoc", "SubAssoc"}, nil},
		{"other", []string{"Assoc", "SubAssoc"}, nil},
		{"Assoc", nil, nil},
		{"Nope", nil, ErrInvalidClass},
	}
	for _, tc := range tests {
		got, err := st.ReferencingClasses(ns, tc.class)
		wantErr(t, "ReferencingClasses("+tc.class+")", err, tc.err)
		if !equalStrings(got, tc.want) {
			t.Errorf("ReferencingClasses(%s) = %v, want %v", tc.class, got, tc.want)
		}
	}
	// Deleting an association drops it from the index; SubAssoc goes with it.
	if err := st.DeleteClass(ns, "assoc"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.ReferencingClasses(ns, "A1"); !equalStrings(got, []string{"AssocA"}) {
		t.Errorf("ReferencingClasses(A1) after DeleteClass(Assoc) = %v, want [AssocA]", got)
	}
}

func TestInstancesDeep(t *testing.T) {
	st, _ := loaded(t)
	tests := []struct {
		class string
		deep  bool
		want  []string
		err   error
	}{
		{"Base", false, nil, nil},
		{"Base", true, []string{"a", "a1", "a11", "b"}, nil},
		{"A", false, []string{"a"}, nil},
		{"A", true, []string{"a", "a1", "a11"}, nil},
		{"a1", true, []string{"a1", "a11"}, nil},
		{"A2", true, nil, nil},
		{"Other", true, []string{"o"}, nil},
		{"Nope", true, nil, ErrInvalidClass},
	}
	for _, tc := range tests {
		got, err := st.Instances(ns, tc.class, tc.deep)
		wantErr(t, "Instances("+tc.class+")", err, tc.err)
		if !equalStrings(instIDs(got), tc.want) {
			t.Errorf("Instances(%s, deep=%v) = %v, want %v", tc.class, tc.deep, instIDs(got), tc.want)
		}
		names, err := st.InstanceNames(ns, tc.class, tc.deep)
		wantErr(t, "InstanceNames("+tc.class+")", err, tc.err)
		if len(names) != len(tc.want) {
			t.Errorf("InstanceNames(%s, deep=%v) = %v, want %d paths", tc.class, tc.deep, names, len(tc.want))
		}
		for i, p := range names {
			if v, _ := p.Key("Id"); v != tc.want[i] && tc.class != "Other" {
				t.Errorf("InstanceNames(%s)[%d] = %v, want key Id=%q", tc.class, i, p, tc.want[i])
			}
			if p.Namespace != ns {
				t.Errorf("InstanceNames(%s)[%d].Namespace = %q, want %q", tc.class, i, p.Namespace, ns)
			}
		}
	}
}

func TestInstanceLookup(t *testing.T) {
	st := New()
	keyed := class("K", nil, nil,
		prop("S", cim.TypeString, keyQ), prop("N", cim.TypeUint16, keyQ),
		prop("D", cim.TypeDatetime, keyQ), prop("C", cim.TypeChar16, keyQ),
		prop("Data", cim.TypeString))
	assoc := class("L", nil, cim.Qualifiers{boolQ("Association")}, ref("To", "K", keyQ))
	for _, c := range []*cim.Class{keyed, assoc} {
		if err := st.PutClass(ns, c); err != nil {
			t.Fatal(err)
		}
	}
	const dt = cim.Datetime("20240102030405.000000+060")
	k := inst("K", val("S", cim.TypeString, "x"), val("N", cim.TypeUint16, uint16(5)),
		val("D", cim.TypeDatetime, dt), val("C", cim.TypeChar16, cim.Char16('q')),
		val("Data", cim.TypeString, "payload"))
	kPath, err := st.CreateInstance(ns, k)
	if err != nil {
		t.Fatal(err)
	}
	refPath := &cim.ObjectPath{Namespace: ns, ClassName: "K", Keys: kPath.Keys}
	l := inst("L", val("To", cim.TypeReference, refPath))
	if _, err := st.CreateInstance(ns, l); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		path *cim.ObjectPath
		want *cim.Instance
		err  error
	}{
		{"as created", kPath, k, nil},
		{"case and order of names", path("k", "n", uint16(5), "c", cim.Char16('q'), "d", dt, "s", "x"), k, nil},
		{"number of another Go type", path("K", "S", "x", "N", int64(5), "D", dt, "C", cim.Char16('q')), k, nil},
		{"keys parsed from text", path("K", "S", "x", "N", int64(5), "D", string(dt), "C", "q"), k, nil},
		{"other host and namespace", &cim.ObjectPath{Host: "h", Namespace: "elsewhere", ClassName: "K", Keys: kPath.Keys}, k, nil},
		{"other value", path("K", "S", "y", "N", uint16(5), "D", dt, "C", cim.Char16('q')), nil, ErrNotFound},
		{"string is not a number", path("K", "S", "x", "N", "5", "D", dt, "C", cim.Char16('q')), nil, ErrNotFound},
		{"key missing", path("K", "S", "x", "N", uint16(5), "D", dt), nil, ErrNotFound},
		{"key too many", path("K", "S", "x", "N", uint16(5), "D", dt, "C", cim.Char16('q'), "Data", "payload"), nil, ErrNotFound},
		{"unknown class", path("Nope", "S", "x"), nil, ErrInvalidClass},
		{"reference key", path("L", "To", refPath), l, nil},
		{"reference key as text", path("L", "To", refPath.String()), l, nil},
		{"reference key with other namespace", path("L", "To", &cim.ObjectPath{Namespace: "x", ClassName: "K", Keys: kPath.Keys}), nil, ErrNotFound},
	}
	for _, tc := range tests {
		got, err := st.Instance(ns, tc.path)
		wantErr(t, "Instance("+tc.name+")", err, tc.err)
		if got != tc.want {
			t.Errorf("Instance(%s: %v) = %v, want %v", tc.name, tc.path, got, tc.want)
		}
	}
	if _, err := st.Instance("root/none", kPath); !errors.Is(err, ErrInvalidNamespace) {
		t.Errorf("Instance(root/none) = %v, want ErrInvalidNamespace", err)
	}
	// The same instance once more, with the key values in other Go types.
	dup := inst("k", val("s", cim.TypeString, "x"), val("N", cim.TypeUint16, uint16(5)),
		val("D", cim.TypeDatetime, dt), val("C", cim.TypeChar16, cim.Char16('q')))
	if _, err := st.CreateInstance(ns, dup); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("CreateInstance(duplicate) = %v, want ErrAlreadyExists", err)
	}
}

func TestCaseInsensitiveNames(t *testing.T) {
	st := New()
	if err := st.PutQualifierType("/Root/CIMv2/", &cim.QualifierType{Name: "Key", Type: cim.TypeBoolean, Scope: cim.ScopeProperty}); err != nil {
		t.Fatal(err)
	}
	c := class("CIM_Thing", nil, nil, prop("Name", cim.TypeString, keyQ))
	if err := st.PutClass("root/cimv2", c); err != nil {
		t.Fatal(err)
	}
	if got := st.Namespaces(); !equalStrings(got, []string{"Root/CIMv2"}) {
		t.Errorf("Namespaces() = %v, want [Root/CIMv2] (first spelling, trimmed)", got)
	}
	for _, n := range []string{"root/cimv2", "ROOT/CIMV2", "/root/cimv2/", "Root/CIMv2"} {
		if !st.HasNamespace(n) {
			t.Errorf("HasNamespace(%q) = false", n)
		}
		for _, name := range []string{"CIM_Thing", "cim_thing", "CIM_THING"} {
			if got := st.Class(n, name); got != c {
				t.Errorf("Class(%q, %q) = %v, want the stored class", n, name, got)
			}
		}
		if qt := st.QualifierType(n, "KEY"); qt == nil || qt.Name != "Key" {
			t.Errorf("QualifierType(%q, KEY) = %v, want Key", n, qt)
		}
	}
	if st.HasNamespace("root") || st.HasNamespace("root/cimv") {
		t.Error("HasNamespace matches a prefix")
	}
	if err := st.PutClass("ROOT/cimv2", class("cim_THING", nil, nil)); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("PutClass(cim_THING) = %v, want ErrAlreadyExists", err)
	}
	// Non-ASCII names take the slow path of the lookup.
	u := class("Ünïcode_Clâss", nil, nil)
	if err := st.PutClass("root/cimv2", u); err != nil {
		t.Fatal(err)
	}
	if got := st.Class("root/cimv2", "üNÏCODE_CLÂSS"); got != u {
		t.Errorf("Class(üNÏCODE_CLÂSS) = %v, want %v", got, u)
	}
	if got := st.Class("root/cimv2", "Nope"); got != nil {
		t.Errorf("Class(Nope) = %v, want nil", got)
	}
	if got := st.Class("root/none", "CIM_Thing"); got != nil {
		t.Errorf("Class in a missing namespace = %v, want nil", got)
	}
}

func TestBaseLayerErrors(t *testing.T) {
	st, sc := loaded(t)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"PutClass existing", st.PutClass(ns, class("a1", nil, nil)), ErrAlreadyExists},
		{"PutClass missing superclass", st.PutClass(ns, class("X", &cim.Class{Name: "Missing"}, nil)), ErrInvalidSuperclass},
		{"PutClass bad name", st.PutClass(ns, &cim.Class{Name: "1bad"}), ErrInvalidParameter},
		{"PutClass nil", st.PutClass(ns, nil), ErrInvalidParameter},
		{"PutClass bad namespace", st.PutClass("root//x", &cim.Class{Name: "X"}), ErrInvalidParameter},
		{"PutInstance existing", st.PutInstance(ns, inst("A", val("Id", cim.TypeString, "a"))), ErrAlreadyExists},
		{"PutInstance abstract", st.PutInstance(ns, inst("Base", val("Id", cim.TypeString, "z"))), ErrAbstractClass},
		{"PutInstance no class", st.PutInstance(ns, inst("Nope")), ErrInvalidClass},
		{"PutInstance unknown property", st.PutInstance(ns, inst("A", val("Id", cim.TypeString, "z"), val("Nope", cim.TypeString, "v"))), ErrInvalidParameter},
		{"PutInstance wrong type", st.PutInstance(ns, inst("A", val("Id", cim.TypeString, "z"), val("PA", cim.TypeString, "7"))), ErrInvalidParameter},
		{"PutInstance wrong value", st.PutInstance(ns, inst("A", val("Id", cim.TypeString, "z"), val("PA", cim.TypeUint32, int64(7)))), ErrInvalidParameter},
		{"PutInstance property twice", st.PutInstance(ns, inst("A", val("Id", cim.TypeString, "z"), val("id", cim.TypeString, "z"))), ErrInvalidParameter},
		{"PutInstance NULL key", st.PutInstance(ns, inst("A", val("PA", cim.TypeUint32, uint32(1)))), ErrInvalidParameter},
		{"PutQualifierType bad type", st.PutQualifierType(ns, &cim.QualifierType{Name: "Q"}), ErrInvalidParameter},
		{"PutQualifierType bad default", st.PutQualifierType(ns, &cim.QualifierType{Name: "Q", Type: cim.TypeUint8, Default: "x"}), ErrInvalidParameter},
	}
	for _, tc := range tests {
		wantErr(t, tc.name, tc.err, tc.want)
	}
	// None of the failed calls changed anything.
	got, _ := st.Classes(ns)
	if !equalStrings(classNames(got), classNames(sc.classes)) {
		t.Errorf("Classes() after failed puts = %v", classNames(got))
	}
	if all, _ := st.Instances(ns, "Base", true); len(all) != 4 {
		t.Errorf("Instances(Base, deep) after failed puts = %v", instIDs(all))
	}
	if st.HasNamespace("root//x") || len(st.Namespaces()) != 1 {
		t.Errorf("Namespaces() after failed puts = %v", st.Namespaces())
	}
	// A qualifier type put again is replaced.
	d := &cim.QualifierType{Name: "description", Type: cim.TypeString, Scope: cim.ScopeClass}
	if err := st.PutQualifierType(ns, d); err != nil {
		t.Fatal(err)
	}
	if got := st.QualifierType(ns, "Description"); got != d {
		t.Errorf("QualifierType(Description) = %v, want the replacement", got)
	}
}

func TestClientLayerErrors(t *testing.T) {
	st, _ := loaded(t)
	other := "root/other"
	if err := st.CreateNamespace(other); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"CreateNamespace existing", func() error { return st.CreateNamespace("/ROOT/Test") }, ErrAlreadyExists},
		{"CreateNamespace bad name", func() error { return st.CreateNamespace("root/ x") }, ErrInvalidParameter},
		{"CreateNamespace empty", func() error { return st.CreateNamespace("/") }, ErrInvalidParameter},
		{"DeleteNamespace missing", func() error { return st.DeleteNamespace("root/none") }, ErrInvalidNamespace},
		{"DeleteNamespace base", func() error { return st.DeleteNamespace(ns) }, ErrNamespaceNotEmpty},
		{"SetQualifierType no namespace", func() error {
			return st.SetQualifierType("root/none", &cim.QualifierType{Name: "Q", Type: cim.TypeBoolean})
		}, ErrInvalidNamespace},
		{"SetQualifierType changes type in use", func() error {
			return st.SetQualifierType(ns, &cim.QualifierType{Name: "key", Type: cim.TypeString})
		}, ErrQualifierTypeInUse},
		{"DeleteQualifierType in use by a property", func() error { return st.DeleteQualifierType(ns, "KEY") }, ErrQualifierTypeInUse},
		{"DeleteQualifierType in use by a class", func() error { return st.DeleteQualifierType(ns, "Abstract") }, ErrQualifierTypeInUse},
		{"DeleteQualifierType missing", func() error { return st.DeleteQualifierType(ns, "Nope") }, ErrNotFound},
		{"CreateClass no namespace", func() error { return st.CreateClass("root/none", class("X", nil, nil)) }, ErrInvalidNamespace},
		{"CreateClass existing", func() error { return st.CreateClass(ns, class("A", nil, nil)) }, ErrAlreadyExists},
		{"CreateClass missing superclass", func() error {
			return st.CreateClass(ns, class("X", &cim.Class{Name: "Missing"}, nil))
		}, ErrInvalidSuperclass},
		{"CreateClass superclass in another namespace", func() error { return st.CreateClass(other, class("X", newTestSchema().A, nil)) }, ErrInvalidSuperclass},
		{"ModifyClass missing", func() error { return st.ModifyClass(ns, class("Nope", nil, nil)) }, ErrNotFound},
		{"ModifyClass with children", func() error { return st.ModifyClass(ns, class("A1", newTestSchema().A, nil)) }, ErrClassHasChildren},
		{"ModifyClass with instances", func() error { return st.ModifyClass(ns, class("A11", newTestSchema().A1, nil)) }, ErrClassHasInstances},
		{"ModifyClass new superclass", func() error { return st.ModifyClass(ns, class("A2", newTestSchema().B, nil)) }, ErrInvalidSuperclass},
		{"DeleteClass missing", func() error { return st.DeleteClass(ns, "Nope") }, ErrNotFound},
		{"DeleteClass no namespace", func() error { return st.DeleteClass("root/none", "A") }, ErrInvalidNamespace},
		{"CreateInstance no class", func() error { _, err := st.CreateInstance(ns, inst("Nope")); return err }, ErrInvalidClass},
		{"CreateInstance abstract", func() error {
			_, err := st.CreateInstance(ns, inst("Base", val("Id", cim.TypeString, "n")))
			return err
		}, ErrAbstractClass},
		{"CreateInstance existing", func() error {
			_, err := st.CreateInstance(ns, inst("A1", val("Id", cim.TypeString, "a1")))
			return err
		}, ErrAlreadyExists},
		{"ModifyInstance missing", func() error { return st.ModifyInstance(ns, inst("A1", val("Id", cim.TypeString, "zz"))) }, ErrNotFound},
		{"ModifyInstance no class", func() error { return st.ModifyInstance(ns, inst("Nope")) }, ErrInvalidClass},
		{"DeleteInstance missing", func() error { return st.DeleteInstance(ns, path("A", "Id", "zz")) }, ErrNotFound},
		{"DeleteInstance no class", func() error { return st.DeleteInstance(ns, path("Nope", "Id", "a")) }, ErrInvalidClass},
		{"DeleteInstance wrong class", func() error { return st.DeleteInstance(ns, path("A1", "Id", "a")) }, ErrNotFound},
		{"DeleteInstance nil path", func() error { return st.DeleteInstance(ns, nil) }, ErrInvalidParameter},
	}
	for _, tc := range tests {
		wantErr(t, tc.name, tc.op(), tc.want)
	}
}

func TestDeleteClass(t *testing.T) {
	st, sc := loaded(t)
	if err := st.DeleteClass(ns, "a"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"A", "A1", "A11", "A2"} {
		if st.Class(ns, name) != nil {
			t.Errorf("Class(%s) still there after DeleteClass(A)", name)
		}
	}
	cs, _ := st.Classes(ns)
	if want := []string{"Base", "B", "Other", "Assoc", "SubAssoc", "AssocA"}; !equalStrings(classNames(cs), want) {
		t.Errorf("Classes() = %v, want %v", classNames(cs), want)
	}
	if got, _ := st.SubclassNames(ns, "Base", true); !equalStrings(got, []string{"B"}) {
		t.Errorf("SubclassNames(Base, deep) = %v, want [B]", got)
	}
	if got, _ := st.Instances(ns, "Base", true); !equalStrings(instIDs(got), []string{"b"}) {
		t.Errorf("Instances(Base, deep) = %v, want [b]", instIDs(got))
	}
	if _, err := st.Instance(ns, path("A1", "Id", "a1")); !errors.Is(err, ErrInvalidClass) {
		t.Errorf("Instance(A1.Id=a1) = %v, want ErrInvalidClass", err)
	}
	// AssocA still refers to the deleted A; the association stays (its instances
	// would only dangle).
	if got, _ := st.ReferencingClasses(ns, "B"); !equalStrings(got, []string{"Assoc", "SubAssoc"}) {
		t.Errorf("ReferencingClasses(B) = %v", got)
	}
	// A class of the same name can be created again, with new instances.
	a := class("A", sc.Base, nil)
	if err := st.CreateClass(ns, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Instances(ns, "A", true); len(got) != 0 {
		t.Errorf("Instances(new A) = %v, want none", instIDs(got))
	}
	if got, _ := st.ReferencingClasses(ns, "A"); !equalStrings(got, []string{"Assoc", "SubAssoc", "AssocA"}) {
		t.Errorf("ReferencingClasses(new A) = %v, want [Assoc SubAssoc AssocA]", got)
	}
	if got, _ := st.SubclassNames(ns, "", true); !equalStrings(got, []string{"Base", "B", "A", "Other", "Assoc", "SubAssoc", "AssocA"}) {
		t.Errorf("SubclassNames(root, deep) = %v", got)
	}
	// A root class: it leaves the top level.
	if err := st.DeleteClass(ns, "Other"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.SubclassNames(ns, "", false); !equalStrings(got, []string{"Base", "Assoc", "AssocA"}) {
		t.Errorf("SubclassNames(root) = %v, want [Base Assoc AssocA]", got)
	}
}

func TestModifyClass(t *testing.T) {
	st, sc := loaded(t)
	a2 := class("a2", sc.A, cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: "new"}})
	if err := st.ModifyClass(ns, a2); err != nil {
		t.Fatal(err)
	}
	if got := st.Class(ns, "A2"); got != a2 {
		t.Errorf("Class(A2) = %v, want the new definition", got)
	}
	cs, _ := st.Classes(ns)
	if i := slices.Index(cs, a2); i != 4 {
		t.Errorf("Classes() has A2 at %d, want 4 (its place in definition order)", i)
	}
	if got, _ := st.SubclassNames(ns, "A", false); !equalStrings(got, []string{"A1", "a2"}) {
		t.Errorf("SubclassNames(A) = %v, want [A1 a2]", got)
	}
	// An association that changes its reference is reindexed.
	assocA := class("AssocA", nil, cim.Qualifiers{boolQ("Association")}, ref("R", "Other", keyQ))
	if err := st.ModifyClass(ns, assocA); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.ReferencingClasses(ns, "A"); !equalStrings(got, []string{"Assoc", "SubAssoc"}) {
		t.Errorf("ReferencingClasses(A) = %v, want [Assoc SubAssoc]", got)
	}
	if got, _ := st.ReferencingClasses(ns, "Other"); !equalStrings(got, []string{"Assoc", "SubAssoc", "AssocA"}) {
		t.Errorf("ReferencingClasses(Other) = %v, want [Assoc SubAssoc AssocA]", got)
	}
}

func TestInstanceLifecycle(t *testing.T) {
	st, _ := loaded(t)
	p, err := st.CreateInstance(ns, inst("A2", val("Id", cim.TypeString, "n1")))
	if err != nil {
		t.Fatal(err)
	}
	if want := path("A2", "Id", "n1"); !p.Equal(&cim.ObjectPath{Namespace: ns, ClassName: want.ClassName, Keys: want.Keys}) || p.Namespace != ns {
		t.Errorf("CreateInstance() = %v, want %s:A2.Id=\"n1\"", p, ns)
	}
	if got, _ := st.Instances(ns, "A", true); !equalStrings(instIDs(got), []string{"a", "a1", "a11", "n1"}) {
		t.Errorf("Instances(A, deep) = %v", instIDs(got))
	}
	mod := inst("A", val("Id", cim.TypeString, "a"), val("PA", cim.TypeUint32, uint32(8)))
	if err := st.ModifyInstance(ns, mod); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Instance(ns, path("A", "Id", "a")); got != mod {
		t.Errorf("Instance(A.Id=a) after ModifyInstance = %v, want the new instance", got)
	}
	if got, _ := st.Instances(ns, "A", false); len(got) != 1 || got[0] != mod {
		t.Errorf("Instances(A) = %v, want only the modified instance", got)
	}
	if err := st.DeleteInstance(ns, path("a", "ID", "a")); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Instances(ns, "A", true); !equalStrings(instIDs(got), []string{"a1", "a11", "n1"}) {
		t.Errorf("Instances(A, deep) after delete = %v", instIDs(got))
	}
	if _, err := st.Instance(ns, path("A", "Id", "a")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Instance(A.Id=a) after delete = %v, want ErrNotFound", err)
	}
}

func TestQualifierTypes(t *testing.T) {
	st, sc := loaded(t)
	got, err := st.QualifierTypes(ns)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sc.quals) {
		t.Errorf("QualifierTypes() = %v, want %v", got, sc.quals)
	}
	// Scope and flavor of a used qualifier type may change, its type not.
	key2 := &cim.QualifierType{Name: "Key", Type: cim.TypeBoolean, Scope: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.DisableOverride}
	if err := st.SetQualifierType(ns, key2); err != nil {
		t.Fatal(err)
	}
	n := &cim.QualifierType{Name: "Units", Type: cim.TypeString, Scope: cim.ScopeProperty}
	if err := st.SetQualifierType(ns, n); err != nil {
		t.Fatal(err)
	}
	got, _ = st.QualifierTypes(ns)
	if want := []*cim.QualifierType{key2, sc.quals[1], sc.quals[2], sc.quals[3], n}; !reflect.DeepEqual(got, want) {
		t.Errorf("QualifierTypes() = %v, want %v", got, want)
	}
	// Unused qualifier types can be deleted, and change type.
	if err := st.SetQualifierType(ns, &cim.QualifierType{Name: "Units", Type: cim.TypeUint8}); err != nil {
		t.Errorf("SetQualifierType(Units uint8) = %v", err)
	}
	if err := st.DeleteQualifierType(ns, "units"); err != nil {
		t.Fatal(err)
	}
	if st.QualifierType(ns, "Units") != nil {
		t.Error("QualifierType(Units) after delete != nil")
	}
	// Once no class uses Abstract any more, it can go.
	if err := st.DeleteClass(ns, "Base"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteQualifierType(ns, "Abstract"); err != nil {
		t.Errorf("DeleteQualifierType(Abstract) with Base deleted = %v", err)
	}
	// An instance qualifier counts as a use.
	if err := st.PutInstance(ns, &cim.Instance{ClassName: "Other", Qualifiers: cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: "x"}},
		Properties: []cim.Property{val("Name", cim.TypeString, "q")}}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteQualifierType(ns, "Description"); !errors.Is(err, ErrQualifierTypeInUse) {
		t.Errorf("DeleteQualifierType(Description) used by an instance = %v, want ErrQualifierTypeInUse", err)
	}
	if _, err := st.QualifierTypes("root/none"); !errors.Is(err, ErrInvalidNamespace) {
		t.Errorf("QualifierTypes(root/none) = %v, want ErrInvalidNamespace", err)
	}
}

func TestNamespaces(t *testing.T) {
	st, sc := loaded(t)
	for _, n := range []string{"root/b", "/root/A/", "interop"} {
		if err := st.CreateNamespace(n); err != nil {
			t.Fatalf("CreateNamespace(%s): %v", n, err)
		}
	}
	if got, want := st.Namespaces(), []string{"interop", "root/A", "root/b", ns}; !equalStrings(got, want) {
		t.Errorf("Namespaces() = %v, want %v", got, want)
	}
	if err := st.SetQualifierType("root/a", sc.quals[0]); err != nil {
		t.Fatal(err)
	}
	c := class("C", nil, nil, prop("Id", cim.TypeString, keyQ))
	if err := st.CreateClass("root/a", c); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteNamespace("root/a"); !errors.Is(err, ErrNamespaceNotEmpty) {
		t.Errorf("DeleteNamespace(root/a) with a class = %v, want ErrNamespaceNotEmpty", err)
	}
	if err := st.DeleteClass("root/a", "C"); err != nil {
		t.Fatal(err)
	}
	// Qualifier types go with the namespace.
	if err := st.DeleteNamespace("ROOT/A"); err != nil {
		t.Errorf("DeleteNamespace(ROOT/A) = %v", err)
	}
	if st.HasNamespace("root/a") || st.QualifierType("root/a", "Key") != nil {
		t.Error("root/a still there after DeleteNamespace")
	}
	if got, want := st.Namespaces(), []string{"interop", "root/b", ns}; !equalStrings(got, want) {
		t.Errorf("Namespaces() = %v, want %v", got, want)
	}
	// A namespace of the base schema never goes, not even empty.
	if err := st.DeleteClass(ns, "Base"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"Other", "Assoc", "AssocA"} {
		if err := st.DeleteClass(ns, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.DeleteNamespace(ns); !errors.Is(err, ErrNamespaceNotEmpty) {
		t.Errorf("DeleteNamespace(base namespace) = %v, want ErrNamespaceNotEmpty", err)
	}
}

// TestSnapshots checks that readers keep the state they started from.
func TestSnapshots(t *testing.T) {
	st, sc := loaded(t)
	view, err := st.Schema(ns)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := st.SubclassNames(ns, "A", true)
	if err := st.DeleteClass(ns, "A"); err != nil {
		t.Fatal(err)
	}
	if err := st.PutClass(ns, class("A", sc.Base, nil)); err != nil {
		t.Fatal(err)
	}
	if got := view.Class("A1"); got != sc.A1 {
		t.Errorf("Schema view Class(A1) = %v, want the class as it was", got)
	}
	if got := view.Class("a"); got != sc.A {
		t.Errorf("Schema view Class(A) = %v, want the old A", got)
	}
	if got := view.QualifierType("key"); got != sc.quals[0] {
		t.Errorf("Schema view QualifierType(key) = %v", got)
	}
	if !equalStrings(before, []string{"A1", "A11", "A2"}) {
		t.Errorf("SubclassNames(A) taken before = %v", before)
	}
	if got, _ := st.SubclassNames(ns, "A", true); len(got) != 0 {
		t.Errorf("SubclassNames(new A) = %v, want none", got)
	}
	if _, err := st.Schema("root/none"); !errors.Is(err, ErrInvalidNamespace) {
		t.Errorf("Schema(root/none) = %v, want ErrInvalidNamespace", err)
	}
}

// TestResolveAgainstSchema resolves a class from its local definition against
// the store, as the dispatcher does for CreateClass.
func TestResolveAgainstSchema(t *testing.T) {
	st, _ := loaded(t)
	view, _ := st.Schema(ns)
	local := &cim.Class{Name: "A3", SuperClass: "a", Properties: []cim.Property{prop("P3", cim.TypeSint8)}}
	rc, errs := cim.Resolve(local, view)
	if errs != nil {
		t.Fatalf("Resolve(A3) = %v", errs)
	}
	if err := st.CreateClass(ns, rc); err != nil {
		t.Fatal(err)
	}
	got := st.Class(ns, "A3")
	if got == nil || got.Property("PA") == nil || !got.Property("PA").Propagated || got.SuperClass != "A" {
		t.Errorf("Class(A3) = %+v, want PA inherited from A", got)
	}
}

// TestPmap exercises the copy-on-write map directly: old versions keep their
// content whatever later transactions do.
func TestPmap(t *testing.T) {
	var versions []pmap[int]
	var cur pmap[int]
	const n = 2000
	for i := 0; i < n; i++ {
		tx := &txn{}
		cur.set(tx, itoa(i), i)
		if i%3 == 0 && i > 0 {
			cur.del(tx, itoa(i-1))
		}
		versions = append(versions, cur)
	}
	for v, pm := range versions {
		want := 0
		for i := 0; i <= v; i++ {
			deleted := i < v && (i+1)%3 == 0 && i+1 <= v
			got, ok := pm.get(itoa(i))
			if ok == deleted || ok && got != i {
				t.Fatalf("version %d: get(%d) = %d, %v; want present=%v", v, i, got, ok, !deleted)
			}
			if ok {
				want++
			}
		}
		count := 0
		pm.each(func(string, int) { count++ })
		if pm.len() != want || count != want {
			t.Fatalf("version %d: len() = %d, each() saw %d, want %d", v, pm.len(), count, want)
		}
	}
	// A transaction changes its own copies in place.
	tx := &txn{}
	cur.set(tx, "x", 1)
	b := cur.buckets
	cur.set(tx, "y", 2)
	if cur.buckets != b {
		t.Error("a second set in the same transaction copied the bucket array")
	}
}

func itoa(i int) string {
	return string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
}

// fingerprint describes everything in snapshot st, objects by identity, so that a
// change made in place to a published snapshot shows.
func fingerprint(st *state) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(st.nss)) {
		n := st.nss[k]
		fmt.Fprintf(&b, "ns %s %s base=%v created=%v top=%v\n", k, n.name, n.base, n.created, n.top)
		for _, c := range n.order {
			fmt.Fprintf(&b, " order %s %p\n", c.Name, c)
		}
		dumpPmap(&b, "class", &n.classes, func(e *classEntry) string {
			s := fmt.Sprintf("%p %s %d %d %v", e.class, e.key, e.seq, e.origin, e.children)
			for _, ie := range e.insts {
				s += fmt.Sprintf(" %p", ie)
			}
			return s
		})
		dumpPmap(&b, "qual", &n.quals, func(e *qualEntry) string { return fmt.Sprintf("%p %d %d", e.qt, e.seq, e.origin) })
		dumpPmap(&b, "refs", &n.refs, func(v []string) string { return fmt.Sprint(v) })
		dumpPmap(&b, "inst", &n.insts, func(e *instEntry) string { return fmt.Sprintf("%p %p %d %d", e.inst, e.path, e.seq, e.origin) })
		dumpPmap(&b, "goneQual", &n.goneQuals, func(v string) string { return v })
		dumpPmap(&b, "goneClass", &n.goneClasses, func(v string) string { return v })
		dumpPmap(&b, "goneInst", &n.goneInsts, func(v *cim.ObjectPath) string { return v.String() })
	}
	return b.String()
}

func dumpPmap[V any](b *strings.Builder, what string, m *pmap[V], str func(V) string) {
	var lines []string
	m.each(func(k string, v V) { lines = append(lines, fmt.Sprintf(" %s %s: %s\n", what, k, str(v))) })
	slices.Sort(lines)
	fmt.Fprintf(b, " %s len=%d\n", what, m.len())
	for _, l := range lines {
		b.WriteString(l)
	}
}

// TestPublishedSnapshotsNeverChange runs every kind of write and checks after
// each that no snapshot published before it changed.
func TestPublishedSnapshotsNeverChange(t *testing.T) {
	st, sc := loaded(t)
	type snap struct {
		st   *state
		want string
	}
	var snaps []snap
	take := func() {
		s := st.cur.Load()
		snaps = append(snaps, snap{s, fingerprint(s)})
	}
	take()
	steps := []func() error{
		func() error { return st.PutClass(ns, class("A3", sc.A, nil)) },
		func() error { return st.PutClass(ns, class("A4", sc.A, nil)) },
		func() error { return st.PutInstance(ns, inst("A3", val("Id", cim.TypeString, "x3"))) },
		func() error { return st.PutInstance(ns, inst("A3", val("Id", cim.TypeString, "y3"))) },
		func() error {
			return st.ModifyInstance(ns, inst("A3", val("Id", cim.TypeString, "x3"), val("PA", cim.TypeUint32, uint32(1))))
		},
		func() error { return st.DeleteInstance(ns, path("A", "Id", "a")) },
		func() error { return st.ModifyClass(ns, class("A4", sc.A, nil, prop("P4", cim.TypeUint8))) },
		func() error {
			return st.ModifyClass(ns, class("AssocA", nil, cim.Qualifiers{boolQ("Association")}, ref("R", "B", keyQ)))
		},
		func() error {
			return st.PutClass(ns, class("AssocB", nil, cim.Qualifiers{boolQ("Association")}, ref("R", "B")))
		},
		func() error { return st.SetQualifierType(ns, &cim.QualifierType{Name: "Units", Type: cim.TypeString}) },
		func() error { return st.SetQualifierType(ns, &cim.QualifierType{Name: "Key", Type: cim.TypeBoolean}) },
		func() error { return st.DeleteQualifierType(ns, "Units") },
		func() error { return st.DeleteClass(ns, "A1") },
		func() error { return st.DeleteClass(ns, "Assoc") },
		func() error { return st.CreateNamespace("root/other") },
		func() error { return st.PutClass("root/other", class("O", nil, nil)) },
		func() error { return st.DeleteClass(ns, "Base") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for j, s := range snaps {
			if got := fingerprint(s.st); got != s.want {
				t.Fatalf("step %d changed snapshot %d:\n got %s\nwant %s", i, j, got, s.want)
			}
		}
		take()
	}
}

func TestLoad(t *testing.T) {
	st := New()
	sc := newTestSchema()
	var during []string
	err := st.Load(func(l *Loader) error {
		for _, q := range sc.quals {
			if err := l.PutQualifierType(ns, q); err != nil {
				return err
			}
		}
		for _, c := range sc.classes {
			if err := l.PutClass(ns, c); err != nil {
				return err
			}
		}
		// Failed calls change nothing, not even by creating a namespace.
		if err := l.PutClass("root/new", class("X", sc.A, nil)); !errors.Is(err, ErrInvalidSuperclass) {
			t.Errorf("Loader.PutClass(missing superclass) = %v, want ErrInvalidSuperclass", err)
		}
		if err := l.PutClass(ns, class("A", nil, nil)); !errors.Is(err, ErrAlreadyExists) {
			t.Errorf("Loader.PutClass(existing) = %v, want ErrAlreadyExists", err)
		}
		for _, in := range sc.instances {
			if err := l.PutInstance(ns, in); err != nil {
				return err
			}
		}
		during = st.Namespaces()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(during) != 0 {
		t.Errorf("Namespaces() during Load = %v, want none yet", during)
	}
	// The result is the same as putting one by one.
	ref, _ := loaded(t)
	if got, want := dump(t, st), dump(t, ref); !reflect.DeepEqual(got, want) {
		t.Errorf("after Load:\n got %+v\nwant %+v", got, want)
	}

	// An error from fn leaves the store as it was.
	boom := errors.New("boom")
	err = st.Load(func(l *Loader) error {
		if err := l.PutClass(ns, class("Extra", nil, nil)); err != nil {
			return err
		}
		if err := l.PutQualifierType("root/more", sc.quals[0]); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Load() = %v, want boom", err)
	}
	if st.Class(ns, "Extra") != nil || st.HasNamespace("root/more") {
		t.Error("a failed Load changed the store")
	}
	// The Loader is dead after Load.
	var kept *Loader
	_ = st.Load(func(l *Loader) error { kept = l; return nil })
	if err := kept.PutClass(ns, class("Late", nil, nil)); err == nil || st.Class(ns, "Late") != nil {
		t.Errorf("Loader.PutClass after Load = %v, want an error", err)
	}
}

// TestSubclassNamesMemo checks that memoised deep answers follow every change.
func TestSubclassNamesMemo(t *testing.T) {
	st, _ := loaded(t)
	first, err := st.SubclassNames(ns, "", true)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := st.SubclassNames(ns, "", true)
	if !equalStrings(first, again) {
		t.Fatalf("memoised answer differs: %v, %v", first, again)
	}
	if err := st.CreateClass(ns, class("Memo_New", nil, nil, prop("Id", cim.TypeString, boolQ("Key")))); err != nil {
		t.Fatal(err)
	}
	after, _ := st.SubclassNames(ns, "", true)
	if len(after) != len(first)+1 || after[len(after)-1] != "Memo_New" {
		t.Errorf("after CreateClass: %v, want %v plus Memo_New", after, first)
	}
	if err := st.DeleteClass(ns, "Memo_New"); err != nil {
		t.Fatal(err)
	}
	if final, _ := st.SubclassNames(ns, "", true); !equalStrings(final, first) {
		t.Errorf("after DeleteClass: %v, want %v", final, first)
	}
}
