package cimxml

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func getClass(t *testing.T, c *cim.Class, op *cim.GetClass) string {
	t.Helper()
	var buf bytes.Buffer
	req := &Request{ID: "1", Method: "GetClass", Intrinsic: true, Namespace: "root/cimv2", Op: op}
	if err := WriteResponse(&buf, req, &cim.Result{Class: c}, nil, "h"); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestClassCache checks that cached CLASS elements follow the class and the flags.
func TestClassCache(t *testing.T) {
	mk := func(desc string) *cim.Class {
		return &cim.Class{Name: "T_C", Qualifiers: cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: desc}},
			Properties: []cim.Property{
				{Name: "A", Type: cim.TypeString, ClassOrigin: "T_Base", Propagated: true},
				{Name: "B", Type: cim.TypeUint8, ClassOrigin: "T_C", Value: uint8(3)},
			}}
	}
	c1 := mk("one")
	all := &cim.GetClass{ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}}
	first := getClass(t, c1, all)
	if again := getClass(t, c1, all); again != first {
		t.Errorf("the cached answer differs:\n%s\n%s", first, again)
	}
	if !strings.Contains(first, `CLASSORIGIN="T_Base"`) || !strings.Contains(first, "<VALUE>one</VALUE>") {
		t.Errorf("first answer:\n%s", first)
	}
	local := getClass(t, c1, &cim.GetClass{ClassFlags: cim.ClassFlags{LocalOnly: true}})
	if strings.Contains(local, `NAME="A"`) || strings.Contains(local, "QUALIFIER") || strings.Contains(local, "CLASSORIGIN") {
		t.Errorf("LocalOnly without qualifiers or origins served from the other flags' entry:\n%s", local)
	}
	// A modified class is a new object: its new text shows.
	if got := getClass(t, mk("two"), all); !strings.Contains(got, "<VALUE>two</VALUE>") {
		t.Errorf("a modified class answered from the cache:\n%s", got)
	}
	// A property list is never cached.
	withList := &cim.GetClass{ClassFlags: cim.ClassFlags{IncludeQualifiers: true}, PropertyList: cim.PropertyList{"B"}}
	if got := getClass(t, c1, withList); strings.Contains(got, `NAME="A"`) || !strings.Contains(got, `NAME="B"`) {
		t.Errorf("PropertyList B:\n%s", got)
	}
	// A default that is a reference depends on the request: not cached.
	ref := &cim.Class{Name: "T_R", Properties: []cim.Property{{Name: "R", Type: cim.TypeReference, ReferenceClass: "T_C",
		Value: &cim.ObjectPath{ClassName: "T_C", Keys: []cim.KeyBinding{{Name: "B", Value: uint8(3)}}}}}}
	if cacheable(ref) || !cacheable(c1) {
		t.Errorf("cacheable(ref) = %v, cacheable(c1) = %v", cacheable(ref), cacheable(c1))
	}
}
