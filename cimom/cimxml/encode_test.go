package cimxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

var keyValueRE = regexp.MustCompile(`<KEYVALUE VALUETYPE="(string|boolean|numeric)" TYPE="[a-z0-9]+">`)

var update = flag.Bool("update", false, "rewrite the golden files of the encoder tests")

const host = "srv:5988"

func ireq(op cim.Op) *Request {
	return &Request{ID: "1001", ProtocolVersion: "1.0", Method: op.OpName(), Intrinsic: true, Namespace: ns, Op: op}
}

// encode writes a response and checks that it is well-formed XML.
func encode(t *testing.T, req *Request, res *cim.Result, err error) string {
	t.Helper()
	var b bytes.Buffer
	if werr := WriteResponse(&b, req, res, err, host); werr != nil {
		t.Fatalf("WriteResponse = %v", werr)
	}
	checkWellFormed(t, b.String())
	return b.String()
}

// checkWellFormed parses doc with this package's strict scanner and encoding/xml.
func checkWellFormed(t *testing.T, doc string) {
	t.Helper()
	if _, perr := parse(doc); perr != nil {
		t.Fatalf("response is not well-formed: %v\n%s", perr, doc)
	}
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("encoding/xml: %v\n%s", err, doc)
		}
	}
}

// TestEncodeGolden compares whole responses with testdata/*.golden (go test -update
// rewrites them).
func TestEncodeGolden(t *testing.T) {
	alicePath := personPath("Alice")
	inst := testInstance()
	tests := []struct {
		name string
		req  *Request
		res  *cim.Result
		err  error
	}{
		{"getclass_defaults", ireq(&cim.GetClass{Base: base, ClassName: "TST_Person",
			ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: true}}), &cim.Result{Class: testClass()}, nil},
		{"getclass_all", ireq(&cim.GetClass{Base: base, ClassName: "TST_Person",
			ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}}), &cim.Result{Class: testClass()}, nil},
		{"getclass_noqualifiers_propertylist", ireq(&cim.GetClass{Base: base, ClassName: "TST_Person",
			PropertyList: cim.PropertyList{"name", "CARD"}}), &cim.Result{Class: testClass()}, nil},
		{"enumerateclasses", ireq(&cim.EnumerateClasses{Base: base, ClassFlags: cim.ClassFlags{LocalOnly: true}}),
			&cim.Result{Classes: []*cim.Class{{Name: "A"}, {Name: "B", SuperClass: "A"}}}, nil},
		{"enumerateclassnames", ireq(&cim.EnumerateClassNames{Base: base}), &cim.Result{ClassNames: []string{"A", "B"}}, nil},
		{"enumerateclassnames_empty", ireq(&cim.EnumerateClassNames{Base: base}), &cim.Result{}, nil},
		{"getinstance", ireq(&cim.GetInstance{Base: base, InstanceName: alicePath, InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true}}),
			&cim.Result{Instance: inst}, nil},
		{"enumerateinstances", ireq(&cim.EnumerateInstances{Base: base, ClassName: "TST_Person"}), &cim.Result{Objects: cim.Objects([]cim.Object{
			{Path: alicePath, Instance: inst},
			{Path: &cim.ObjectPath{Namespace: ns, ClassName: "TST_Key", Keys: []cim.KeyBinding{
				{Name: "B", Value: true}, {Name: "N", Value: uint16(7)}, {Name: "R", Value: -1.5}, {Name: "D", Value: cim.Datetime("20240101000000.000000+000")},
				{Name: "C", Value: cim.Char16('&')}, {Name: "S", Value: `q"x`}, {Name: "Ref", Value: alicePath}}},
				Instance: &cim.Instance{ClassName: "TST_Key"}},
		})}, nil},
		{"enumerateinstances_empty", ireq(&cim.EnumerateInstances{Base: base, ClassName: "TST_Person"}), &cim.Result{Objects: cim.Objects(nil)}, nil},
		{"enumerateinstancenames", ireq(&cim.EnumerateInstanceNames{Base: base, ClassName: "TST_Person"}),
			&cim.Result{Objects: cim.Objects([]cim.Object{{Path: alicePath}, {Path: personPath("Bob")}})}, nil},
		{"associators", ireq(&cim.Associators{Base: base, ObjectName: alicePath, IncludeClassOrigin: true}),
			&cim.Result{Objects: cim.Objects([]cim.Object{{Path: &cim.ObjectPath{Host: "other:5989", Namespace: "root/interop", ClassName: "TST_Person",
				Keys: []cim.KeyBinding{{Name: "Name", Value: "Bob"}}}, Instance: &cim.Instance{ClassName: "TST_Person",
				Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: "Bob", ClassOrigin: "TST_Person"}}}}})}, nil},
		{"associators_classes", ireq(&cim.Associators{Base: base, ObjectName: &cim.ObjectPath{Namespace: ns, ClassName: "TST_Person"},
			IncludeQualifiers: true, PropertyList: cim.PropertyList{"Name"}}),
			&cim.Result{Objects: cim.Objects([]cim.Object{{Path: &cim.ObjectPath{Namespace: ns, ClassName: "TST_Person"}, Class: testClass()}})}, nil},
		{"associatornames", ireq(&cim.AssociatorNames{Base: base, ObjectName: alicePath}), &cim.Result{Objects: cim.Objects([]cim.Object{
			{Path: personPath("Bob")}, {Path: &cim.ObjectPath{Namespace: ns, ClassName: "TST_Group"}}})}, nil},
		{"openenumerateinstances", ireq(&cim.OpenEnumerateInstances{Base: base, ClassName: "TST_Person"}),
			&cim.Result{Objects: cim.Objects([]cim.Object{{Path: alicePath, Instance: &cim.Instance{ClassName: "TST_Person",
				Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: "Alice"}}}}}), EnumerationContext: "ctx-42"}, nil},
		{"pullinstancepaths_end", ireq(&cim.PullInstancePaths{Base: base, EnumerationContext: "ctx-42", MaxObjectCount: 10}),
			&cim.Result{Objects: cim.Objects([]cim.Object{{Path: personPath("Bob")}}), EndOfSequence: true}, nil},
		{"openqueryinstances", ireq(&cim.OpenQueryInstances{Base: base, ReturnQueryResultClass: true}),
			&cim.Result{Objects: cim.Objects([]cim.Object{{Instance: &cim.Instance{ClassName: "CIM_Result"}}}), EndOfSequence: true,
				QueryResultClass: &cim.Class{Name: "CIM_Result"}}, nil},
		{"createinstance", ireq(&cim.CreateInstance{Base: base}), &cim.Result{Path: personPath("Dave")}, nil},
		{"deleteinstance", ireq(&cim.DeleteInstance{Base: base, InstanceName: alicePath}), &cim.Result{}, nil},
		{"modifyclass_void", ireq(&cim.ModifyClass{Base: base}), nil, nil},
		{"getproperty", ireq(&cim.GetProperty{Base: base, InstanceName: alicePath, PropertyName: "Nick"}),
			&cim.Result{Value: []any{"a", nil}, ValueType: cim.TypeString, IsArray: true}, nil},
		{"getproperty_null", ireq(&cim.GetProperty{Base: base, InstanceName: alicePath, PropertyName: "Age"}),
			&cim.Result{ValueType: cim.TypeUint32}, nil},
		{"getqualifier", ireq(&cim.GetQualifier{Base: base, QualifierName: "ValueMap"}), &cim.Result{QualifierType: &cim.QualifierType{
			Name: "ValueMap", Type: cim.TypeString, IsArray: true, Scope: cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter,
			Default: []any{"x"}, Flavor: cim.DisableOverride}}, nil},
		{"enumeratequalifiers", ireq(&cim.EnumerateQualifiers{Base: base}), &cim.Result{QualifierTypes: []*cim.QualifierType{
			{Name: "Key", Type: cim.TypeBoolean, Scope: cim.ScopeProperty | cim.ScopeReference, Default: false, Flavor: cim.DisableOverride},
			{Name: "Description", Type: cim.TypeString, Scope: cim.ScopeAny, Flavor: cim.Translatable}}}, nil},
		{"invokemethod", &Request{ID: "8", Method: "Ping", Namespace: ns, Op: &cim.InvokeMethod{Base: base, Target: alicePath, MethodName: "Ping"}},
			&cim.Result{ReturnValue: uint32(4096), ReturnType: cim.TypeUint32, OutParams: []cim.ParamValue{
				{Name: "Job", Type: cim.TypeReference, Value: personPath("Job1")},
				{Name: "Card", Type: cim.TypeString, Value: card(), EmbeddedObject: "instance"},
				{Name: "Msgs", Type: cim.TypeString, IsArray: true, Value: []any{"a", "b"}},
				{Name: "Refs", Type: cim.TypeReference, IsArray: true, Value: []any{personPath("X"), nil}},
				{Name: "Nothing", Type: cim.TypeSint32},
				{Name: "Untyped", Value: "text"},
			}}, nil},
		{"invokemethod_embedded_return", &Request{ID: "8", Method: "Make", Namespace: ns},
			&cim.Result{ReturnValue: card()}, nil},
		{"error", ireq(&cim.GetInstance{Base: base, InstanceName: alicePath}), nil,
			fmt.Errorf("provider: %w", &cim.Error{Code: cim.StatusNotFound, Description: `no "Alice" here`})},
		{"error_generic", ireq(&cim.GetInstance{Base: base, InstanceName: alicePath}), nil, errors.New("disk on fire: /secret/path")},
		{"error_method", &Request{ID: "8", Method: "Ping", Namespace: ns}, nil, cim.Errorf(cim.StatusMethodNotFound, "no Ping")},
		{"error_unknown_method", &Request{ID: "9", Method: "GetClasses", Intrinsic: true, Namespace: ns}, nil,
			&cim.Error{Code: cim.StatusNotSupported, Description: "Unrecognized intrinsic method"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(t, tt.req, tt.res, tt.err)
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("response differs from %s:\n got: %s\nwant: %s", path, got, want)
			}
		})
	}
}

// TestEncodeRules checks the whitelist rules of cimxml.md §2.8 on every golden.
func TestEncodeRules(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.golden")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, bad := range []string{"xml:lang", "<!--", "EMBEDDEDOBJECT", "/>", "&#"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", f, bad)
			}
		}
		if !strings.HasPrefix(s, `<?xml version="1.0" encoding="utf-8" ?>`) {
			t.Errorf("%s does not start with the XML declaration", f)
		}
		if strings.Count(s, "<KEYVALUE") != len(keyValueRE.FindAllString(s, -1)) {
			t.Errorf("%s: KEYVALUE without VALUETYPE and TYPE", f)
		}
		if strings.Count(s, "<RETURNVALUE") != strings.Count(s, "<RETURNVALUE PARAMTYPE=") {
			t.Errorf("%s: RETURNVALUE without PARAMTYPE", f)
		}
		if strings.Count(s, "<PARAMVALUE ") != strings.Count(s, " PARAMTYPE=\"")-strings.Count(s, "<RETURNVALUE PARAMTYPE=") {
			t.Errorf("%s: PARAMVALUE without PARAMTYPE", f)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`<a href="x">&'`, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"},
		{"tab\tlf\ncr\r", "tab\tlf\ncr\r"},
		{"nul\x00bell\x07", "nul\uFFFDbell\uFFFD"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"nonchar\uFFFE", "nonchar\uFFFD"},
		{"émoji 😀", "émoji 😀"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		w := &writer{}
		w.b = newBuf(&b)
		w.escape(tt.in)
		w.b.Flush()
		if b.String() != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

// TestEncodeStreamError: an error after the first object closes the document and is
// returned as a *StreamError; an error before it becomes an ERROR element.
func TestEncodeStreamError(t *testing.T) {
	boom := errors.New("provider died")
	seq := func(n int) func(func(cim.Object, error) bool) {
		return func(yield func(cim.Object, error) bool) {
			for i := 0; i < n; i++ {
				if !yield(cim.Object{Path: personPath(fmt.Sprint(i))}, nil) {
					return
				}
			}
			yield(cim.Object{}, boom)
		}
	}
	req := ireq(&cim.EnumerateInstanceNames{Base: base, ClassName: "TST_Person"})
	var b bytes.Buffer
	err := WriteResponse(&b, req, &cim.Result{Objects: seq(2)}, nil, host)
	var se *StreamError
	if !errors.As(err, &se) || !errors.Is(err, boom) {
		t.Fatalf("WriteResponse = %v, want a *StreamError wrapping the cause", err)
	}
	checkWellFormed(t, b.String())
	if n := strings.Count(b.String(), "<INSTANCENAME "); n != 2 {
		t.Errorf("%d instance names before the error, want 2", n)
	}
	if se.Error() == "" || se.Unwrap() != boom {
		t.Errorf("StreamError = %q, %v", se.Error(), se.Unwrap())
	}

	b.Reset()
	err = WriteResponse(&b, req, &cim.Result{Objects: seq(0)}, nil, host)
	if err != nil {
		t.Fatalf("WriteResponse = %v, want nil: the error goes into the document", err)
	}
	checkWellFormed(t, b.String())
	if !strings.Contains(b.String(), `<ERROR CODE="1" DESCRIPTION="internal server error">`) || strings.Contains(b.String(), "IRETURNVALUE") {
		t.Errorf("response = %s, want an ERROR and no IRETURNVALUE", b.String())
	}
}

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	f.n--
	return len(p), nil
}

// TestEncodeWriterFails: a failing writer stops the enumeration.
func TestEncodeWriterFails(t *testing.T) {
	gone := errors.New("client gone")
	pulled := 0
	seq := func(yield func(cim.Object, error) bool) {
		for i := 0; i < 1_000_000; i++ {
			pulled++
			if !yield(cim.Object{Path: personPath("x"), Instance: testInstance()}, nil) {
				return
			}
		}
	}
	req := ireq(&cim.EnumerateInstances{Base: base, ClassName: "TST_Person"})
	err := WriteResponse(&failAfter{n: 2, err: gone}, req, &cim.Result{Objects: seq}, nil, host)
	if !errors.Is(err, gone) {
		t.Fatalf("WriteResponse = %v, want the writer's error", err)
	}
	if pulled > 1000 {
		t.Errorf("%d objects pulled after the writer failed", pulled)
	}
}

// TestEncodePathNamespace: a result path without a namespace gets the request's.
func TestEncodePathNamespace(t *testing.T) {
	req := ireq(&cim.OpenEnumerateInstancePaths{Base: base, ClassName: "A"})
	doc := encode(t, req, &cim.Result{Objects: cim.Objects([]cim.Object{{Path: &cim.ObjectPath{ClassName: "A",
		Keys: []cim.KeyBinding{{Name: "K", Value: uint8(1)}}}}})}, nil)
	want := `<INSTANCEPATH><NAMESPACEPATH><HOST>srv:5988</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE>` +
		`<NAMESPACE NAME="cimv2"></NAMESPACE></LOCALNAMESPACEPATH></NAMESPACEPATH><INSTANCENAME CLASSNAME="A"><KEYBINDING NAME="K">` +
		`<KEYVALUE VALUETYPE="numeric" TYPE="uint8">1</KEYVALUE></KEYBINDING></INSTANCENAME></INSTANCEPATH>`
	if !strings.Contains(doc, want) {
		t.Errorf("response = %s\nwant it to contain %s", doc, want)
	}
}

// TestEncodeRelativeReference: a reference without a namespace is written as a full
// INSTANCEPATH in the namespace of the object that holds it (wbemcli ri/rin show it).
func TestEncodeRelativeReference(t *testing.T) {
	assoc := &cim.Instance{ClassName: "TST_Friend", Properties: []cim.Property{
		{Name: "Left", Type: cim.TypeReference, Value: &cim.ObjectPath{ClassName: "TST_Person", Keys: []cim.KeyBinding{{Name: "Name", Value: "Alice"}}}},
	}}
	path := &cim.ObjectPath{Namespace: "root/interop", ClassName: "TST_Friend", Keys: []cim.KeyBinding{{Name: "Left", Value: assoc.Properties[0].Value}}}
	doc := encode(t, ireq(&cim.References{Base: base, ObjectName: alice()}),
		&cim.Result{Objects: cim.Objects([]cim.Object{{Path: path, Instance: assoc}})}, nil)
	ref := `<VALUE.REFERENCE><INSTANCEPATH><NAMESPACEPATH><HOST>srv:5988</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE>` +
		`<NAMESPACE NAME="interop"></NAMESPACE></LOCALNAMESPACEPATH></NAMESPACEPATH><INSTANCENAME CLASSNAME="TST_Person">`
	if n := strings.Count(doc, ref); n != 2 {
		t.Errorf("%d full references in the object's namespace, want 2 (key and property):\n%s", n, doc)
	}
}

// TestEncodeEmbeddedArrayAttribute: PROPERTY.ARRAY carries EmbeddedObject only when
// it has values, since wbemcli refuses the attribute there.
func TestEncodeEmbeddedArrayAttribute(t *testing.T) {
	q := cim.Qualifiers{{Name: "EmbeddedInstance", Type: cim.TypeString, Value: "TST_Card"}}
	class := &cim.Class{Name: "A", Properties: []cim.Property{{Name: "Cards", Type: cim.TypeString, IsArray: true, Qualifiers: q}}}
	doc := encode(t, ireq(&cim.GetClass{Base: base, ClassName: "A"}), &cim.Result{Class: class}, nil)
	if strings.Contains(doc, "EmbeddedObject") {
		t.Errorf("class: EmbeddedObject on a PROPERTY.ARRAY without values:\n%s", doc)
	}
	in := &cim.Instance{ClassName: "A", Properties: []cim.Property{{Name: "Cards", Type: cim.TypeString, IsArray: true, Value: []any{card()}}}}
	doc = encode(t, ireq(&cim.GetInstance{Base: base, InstanceName: alice()}), &cim.Result{Instance: in}, nil)
	if !strings.Contains(doc, `<PROPERTY.ARRAY NAME="Cards" TYPE="string" EmbeddedObject="instance"><VALUE.ARRAY><VALUE>&lt;INSTANCE`) {
		t.Errorf("instance: want EmbeddedObject on the array of embedded instances:\n%s", doc)
	}
}

// TestEncodeInstanceClassOrigin: CLASSORIGIN on instance properties follows the
// IncludeClassOrigin of each instance operation; qualifiers never appear.
func TestEncodeInstanceClassOrigin(t *testing.T) {
	in := &cim.Instance{ClassName: "A", Qualifiers: cim.Qualifiers{{Name: "Q", Type: cim.TypeBoolean, Value: true}},
		Properties: []cim.Property{{Name: "P", Type: cim.TypeString, Value: "v", ClassOrigin: "A",
			Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true}}}}}
	p := &cim.ObjectPath{Namespace: ns, ClassName: "A", Keys: []cim.KeyBinding{{Name: "P", Value: "v"}}}
	objs := cim.Objects([]cim.Object{{Path: p, Instance: in}})
	tests := []struct {
		op   cim.Op
		res  *cim.Result
		want bool
	}{
		{&cim.GetInstance{Base: base, InstanceName: p, InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true, IncludeQualifiers: true}}, &cim.Result{Instance: in}, true},
		{&cim.GetInstance{Base: base, InstanceName: p}, &cim.Result{Instance: in}, false},
		{&cim.EnumerateInstances{Base: base, ClassName: "A", InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true}}, &cim.Result{Objects: objs}, true},
		{&cim.EnumerateInstances{Base: base, ClassName: "A"}, &cim.Result{Objects: objs}, false},
		{&cim.Associators{Base: base, ObjectName: p, IncludeClassOrigin: true, IncludeQualifiers: true}, &cim.Result{Objects: objs}, true},
		{&cim.References{Base: base, ObjectName: p, IncludeClassOrigin: true}, &cim.Result{Objects: objs}, true},
		{&cim.References{Base: base, ObjectName: p}, &cim.Result{Objects: objs}, false},
		{&cim.OpenEnumerateInstances{Base: base, ClassName: "A", IncludeClassOrigin: true}, &cim.Result{Objects: objs}, true},
		{&cim.OpenAssociatorInstances{Base: base, InstanceName: p, IncludeClassOrigin: true}, &cim.Result{Objects: objs}, true},
		{&cim.OpenReferenceInstances{Base: base, InstanceName: p, IncludeClassOrigin: true}, &cim.Result{Objects: objs}, true},
		{&cim.OpenReferenceInstances{Base: base, InstanceName: p}, &cim.Result{Objects: objs}, false},
		{&cim.PullInstancesWithPath{Base: base}, &cim.Result{Objects: objs}, false},
	}
	for _, tt := range tests {
		doc := encode(t, ireq(tt.op), tt.res, nil)
		if got := strings.Contains(doc, `CLASSORIGIN="A"`); got != tt.want {
			t.Errorf("%s: CLASSORIGIN present = %v, want %v\n%s", tt.op.OpName(), got, tt.want, doc)
		}
		if strings.Contains(doc, "<QUALIFIER") || !strings.Contains(doc, `<INSTANCE CLASSNAME="A">`) {
			t.Errorf("%s: want the instance without qualifiers\n%s", tt.op.OpName(), doc)
		}
	}
}
