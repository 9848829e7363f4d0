package cimxml

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// TestEncodeRequestRoundTrip encodes operations as a client and decodes them as the
// server does: the operation comes back unchanged.
func TestEncodeRequestRoundTrip(t *testing.T) {
	hostRef := &cim.ObjectPath{Host: "localhost", Namespace: ns, ClassName: "TST_Person",
		Keys: []cim.KeyBinding{{Name: "Name", Value: "Carol"}}}
	tests := []cim.Op{
		&cim.GetClass{Base: base, ClassName: "TST_Person", ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: false, IncludeClassOrigin: true},
			PropertyList: cim.PropertyList{"Name", "Age"}},
		&cim.EnumerateClassNames{Base: base, ClassName: "CIM_ManagedElement", DeepInheritance: true},
		&cim.EnumerateClasses{Base: base, ClassFlags: cim.ClassFlags{IncludeQualifiers: true}},
		&cim.GetInstance{Base: base, InstanceName: alice(), PropertyList: cim.PropertyList{}},
		&cim.EnumerateInstances{Base: base, ClassName: "TST_Person", DeepInheritance: true, InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true}},
		&cim.EnumerateInstanceNames{Base: base, ClassName: "TST_Person"},
		&cim.DeleteInstance{Base: base, InstanceName: &cim.ObjectPath{Namespace: ns, ClassName: "T", Keys: []cim.KeyBinding{
			{Name: "N", Value: uint16(7)}, {Name: "B", Value: true}, {Name: "D", Value: cim.Datetime("20240101000000.000000+000")},
			{Name: "R", Value: hostRef}}}},
		&cim.GetProperty{Base: base, InstanceName: alice(), PropertyName: "Age"},
		&cim.Associators{Base: base, ObjectName: personClass(), AssocClass: "TST_Link", Role: "Left", IncludeQualifiers: true},
		&cim.ReferenceNames{Base: base, ObjectName: alice(), ResultClass: "TST_Link"},
		&cim.ExecQuery{Base: base, QueryLanguage: "WQL", Query: "SELECT * FROM TST_Person WHERE Age > 3"},
		&cim.OpenEnumerateInstances{Base: base, ClassName: "TST_Person", DeepInheritance: true,
			PullOptions: cim.PullOptions{OperationTimeout: u32(30), MaxObjectCount: 5}},
		&cim.OpenQueryInstances{Base: base, ReturnQueryResultClass: true,
			PullOptions: cim.PullOptions{FilterQueryLanguage: "DMTF:CQL", FilterQuery: "SELECT * FROM TST_Person"}},
		&cim.PullInstancesWithPath{Base: base, EnumerationContext: "ctx-1", MaxObjectCount: 10},
		&cim.CloseEnumeration{Base: base, EnumerationContext: "ctx-1"},
		&cim.GetQualifier{Base: base, QualifierName: "Key"},
		&cim.EnumerateQualifiers{Base: base},
		&cim.InvokeMethod{Base: base, Target: alice(), MethodName: "Ping", Params: []cim.ParamValue{
			{Name: "Count", Type: cim.TypeUint32, Value: uint32(3)},
			{Name: "Msgs", Type: cim.TypeString, IsArray: true, Value: []any{"a", "b<"}},
			{Name: "Who", Type: cim.TypeReference, Value: hostRef},
			{Name: "Card", Type: cim.TypeString, Value: card(), EmbeddedObject: "instance"},
		}},
		&cim.InvokeMethod{Base: base, Target: personClass(), MethodName: "Create"},
		&cim.CreateClass{Base: base, NewClass: simpleClass()},
		&cim.ModifyClass{Base: base, ModifiedClass: simpleClass()},
		&cim.DeleteClass{Base: base, ClassName: "TST_Simple"},
		&cim.SetQualifier{Base: base, QualifierDeclaration: &cim.QualifierType{Name: "Q", Type: cim.TypeString, IsArray: true,
			Default: []any{"a"}, Scope: cim.ScopeClass | cim.ScopeProperty, Flavor: cim.Translatable}},
		&cim.DeleteQualifier{Base: base, QualifierName: "Q"},
		&cim.CreateInstance{Base: base, NewInstance: simpleInstance()},
		&cim.ModifyInstance{Base: base, ModifiedInstance: simpleInstance(), InstanceName: alice(), IncludeQualifiers: true,
			PropertyList: cim.PropertyList{"Age"}},
		&cim.SetProperty{Base: base, InstanceName: alice(), PropertyName: "Age", NewValue: "7"},
		&cim.AssociatorNames{Base: base, ObjectName: alice(), AssocClass: "A", ResultClass: "B", Role: "R", ResultRole: "S"},
		&cim.References{Base: base, ObjectName: alice(), ResultClass: "A", Role: "R", IncludeClassOrigin: true, PropertyList: cim.PropertyList{"X"}},
		&cim.OpenEnumerateInstancePaths{Base: base, ClassName: "TST_Person", PullOptions: cim.PullOptions{ContinueOnError: true}},
		&cim.OpenAssociatorInstances{Base: base, InstanceName: alice(), AssocClass: "A", Role: "R", PropertyList: cim.PropertyList{}},
		&cim.OpenAssociatorInstancePaths{Base: base, InstanceName: alice(), ResultClass: "B", ResultRole: "S"},
		&cim.OpenReferenceInstances{Base: base, InstanceName: alice(), ResultClass: "A", IncludeClassOrigin: true},
		&cim.OpenReferenceInstancePaths{Base: base, InstanceName: alice(), Role: "R",
			PullOptions: cim.PullOptions{FilterQueryLanguage: "DMTF:FQL", FilterQuery: "Age > 3", MaxObjectCount: 2}},
		&cim.PullInstancePaths{Base: base, EnumerationContext: "c", MaxObjectCount: 1},
		&cim.PullInstances{Base: base, EnumerationContext: "c", MaxObjectCount: 1},
		&cim.EnumerationCount{Base: base, EnumerationContext: "c"},
	}
	for _, op := range tests {
		t.Run(op.OpName(), func(t *testing.T) {
			var b bytes.Buffer
			if err := EncodeRequest(&b, "42", op); err != nil {
				t.Fatalf("EncodeRequest = %v", err)
			}
			req := mustDecode(t, b.String())
			if req.Err != nil {
				t.Fatalf("decoded with error %v:\n%s", req.Err, b.String())
			}
			if req.ID != "42" || req.Method != op.OpName() || req.Namespace != ns {
				t.Errorf("ID, Method, Namespace = %q, %q, %q", req.ID, req.Method, req.Namespace)
			}
			checkOp(t, req.Op, op)
		})
	}
}

// simpleClass is a class of local elements only, as a client creates one.
func simpleClass() *cim.Class {
	return &cim.Class{Name: "TST_Simple", SuperClass: "TST_Base",
		Qualifiers: cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: "s", Flavor: cim.Translatable}},
		Properties: []cim.Property{
			{Name: "Id", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride}}},
			{Name: "N", Type: cim.TypeUint16, IsArray: true, Value: []any{uint16(1), nil}},
			{Name: "R", Type: cim.TypeReference, ReferenceClass: "TST_Simple"},
		},
		Methods: []cim.Method{{Name: "M", ReturnType: cim.TypeUint32,
			Parameters: []cim.Parameter{{Name: "P", Type: cim.TypeString, IsArray: true}}}},
	}
}

func simpleInstance() *cim.Instance {
	return &cim.Instance{ClassName: "TST_Person", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Value: "Alice"},
		{Name: "Age", Type: cim.TypeUint32, Value: uint32(7)},
		{Name: "Nick", Type: cim.TypeString, IsArray: true, Value: []any{"a", nil}},
	}}
}

// TestEncodeRequestMissing: an operation without its required object is refused.
func TestEncodeRequestMissing(t *testing.T) {
	for _, op := range []cim.Op{nil, &cim.GetInstance{Base: base}, &cim.CreateInstance{Base: base},
		&cim.InvokeMethod{Base: base, MethodName: "M"}} {
		if err := EncodeRequest(&bytes.Buffer{}, "1", op); err == nil {
			t.Errorf("EncodeRequest(%T) = nil, want an error", op)
		}
	}
}

// respond writes the server's response to op with res and decodes it as a client.
func respond(t *testing.T, op cim.Op, res *cim.Result, err error) (*cim.Result, error) {
	t.Helper()
	req := ireq(op)
	if im, ok := op.(*cim.InvokeMethod); ok {
		req.Intrinsic, req.Method = false, im.MethodName
	}
	doc := encode(t, req, res, err)
	return DecodeResponse(strings.NewReader(doc), req.Method)
}

func collect(t *testing.T, res *cim.Result) []cim.Object {
	t.Helper()
	var objs []cim.Object
	for o, err := range res.Objects {
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	return objs
}

// TestDecodeResponseInstances: instances of every value type come back equal, in
// the wrapper element of each operation.
func TestDecodeResponseInstances(t *testing.T) {
	in := testInstance()
	in.Properties[0].Value = "Alice & Bob's\t<x>" // \x01 is replaced on the wire
	in.Properties[0].ClassOrigin = ""
	// NaN never equals itself: drop it.
	in.Properties[7].Value = []any{0.1, 3.0, 1e300}
	// References come back with the host the server wrote.
	in.Properties[11].Value.(*cim.ObjectPath).Host = host
	path := alice()
	hostPath := *path
	hostPath.Host = host

	got, err := respond(t, &cim.GetInstance{Base: base, InstanceName: path}, &cim.Result{Instance: in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !deepEqual(got.Instance, in) {
		t.Errorf("GetInstance =\n%#v\nwant\n%#v", got.Instance, in)
	}

	tests := []struct {
		op       cim.Op
		wantPath *cim.ObjectPath
		wantInst bool
	}{
		{&cim.EnumerateInstances{Base: base, ClassName: "TST_Person"}, &cim.ObjectPath{ClassName: "TST_Person", Keys: path.Keys}, true},
		{&cim.EnumerateInstanceNames{Base: base, ClassName: "TST_Person"}, &cim.ObjectPath{ClassName: "TST_Person", Keys: path.Keys}, false},
		{&cim.Associators{Base: base, ObjectName: path}, &hostPath, true},
		{&cim.AssociatorNames{Base: base, ObjectName: path}, &hostPath, false},
		{&cim.OpenEnumerateInstances{Base: base, ClassName: "TST_Person"}, &hostPath, true},
		{&cim.PullInstancePaths{Base: base}, &hostPath, false},
		{&cim.PullInstances{Base: base}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.op.OpName(), func(t *testing.T) {
			res := &cim.Result{Objects: cim.Objects([]cim.Object{{Path: path, Instance: in}}),
				EnumerationContext: "c1", EndOfSequence: true}
			got, err := respond(t, tt.op, res, nil)
			if err != nil {
				t.Fatal(err)
			}
			objs := collect(t, got)
			if len(objs) != 1 {
				t.Fatalf("%d objects, want 1", len(objs))
			}
			if !deepEqual(objs[0].Path, tt.wantPath) {
				t.Errorf("path = %#v, want %#v", objs[0].Path, tt.wantPath)
			}
			if tt.wantInst != (objs[0].Instance != nil) || tt.wantInst && !deepEqual(objs[0].Instance, in) {
				t.Errorf("instance = %#v, want one: %v", objs[0].Instance, tt.wantInst)
			}
			pull := strings.HasPrefix(tt.op.OpName(), "Open") || strings.HasPrefix(tt.op.OpName(), "Pull")
			if pull && (got.EnumerationContext != "c1" || !got.EndOfSequence) {
				t.Errorf("pull params = %q, %v", got.EnumerationContext, got.EndOfSequence)
			}
		})
	}
}

// TestDecodeResponseOther covers classes, names, qualifier types, values, method
// results and errors.
func TestDecodeResponseOther(t *testing.T) {
	cls := testClass()
	got, err := respond(t, &cim.GetClass{Base: base, ClassName: "TST_Person",
		ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}}, &cim.Result{Class: cls}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A response's class comes back whole: propagated elements and qualifiers marked.
	if !deepEqual(got.Class, cls) {
		t.Errorf("GetClass =\n%#v\nwant\n%#v", got.Class, cls)
	}

	got, err = respond(t, &cim.EnumerateClassNames{Base: base}, &cim.Result{ClassNames: []string{"A", "B"}}, nil)
	if err != nil || !deepEqual(got.ClassNames, []string{"A", "B"}) {
		t.Errorf("EnumerateClassNames = %v, %v", got, err)
	}

	qt := &cim.QualifierType{Name: "Key", Type: cim.TypeBoolean, Default: false, Scope: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.DisableOverride}
	got, err = respond(t, &cim.GetQualifier{Base: base, QualifierName: "Key"}, &cim.Result{QualifierType: qt}, nil)
	if err != nil || !deepEqual(got.QualifierType, qt) {
		t.Errorf("GetQualifier = %#v, %v; want %#v", got.QualifierType, err, qt)
	}

	got, err = respond(t, &cim.GetProperty{Base: base, InstanceName: alice(), PropertyName: "Nick"},
		&cim.Result{Value: []any{"a", nil}, ValueType: cim.TypeString, IsArray: true}, nil)
	if err != nil || !deepEqual(got.Value, []any{"a", nil}) || !got.IsArray {
		t.Errorf("GetProperty = %#v, %v", got.Value, err)
	}

	refs := []any{personPath("Ann"), personPath("Bo")}
	for _, r := range refs {
		r.(*cim.ObjectPath).Host = host
	}
	res := &cim.Result{ReturnValue: uint32(0), ReturnType: cim.TypeUint32, OutParams: []cim.ParamValue{
		{Name: "Profiles", Type: cim.TypeReference, IsArray: true, Value: refs},
		{Name: "Card", Type: cim.TypeString, Value: card(), EmbeddedObject: "instance"},
		{Name: "Count", Type: cim.TypeSint16, Value: int16(-2)},
	}}
	got, err = respond(t, &cim.InvokeMethod{Base: base, Target: alice(), MethodName: "Ping"}, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReturnValue != uint32(0) || got.ReturnType != cim.TypeUint32 || !deepEqual(got.OutParams, res.OutParams) {
		t.Errorf("InvokeMethod = %#v\nwant %#v", got, res)
	}

	for _, op := range []cim.Op{&cim.GetClass{Base: base}, &cim.InvokeMethod{Base: base, Target: alice(), MethodName: "Ping"}} {
		_, err = respond(t, op, nil, cim.Errorf(cim.StatusNotFound, "no such thing"))
		var ce *cim.Error
		if !errors.As(err, &ce) || ce.Code != cim.StatusNotFound || ce.Description != "no such thing" {
			t.Errorf("%s error = %v, want CIM_ERR_NOT_FOUND: no such thing", op.OpName(), err)
		}
	}

	got, err = respond(t, &cim.EnumerateClasses{Base: base, ClassFlags: cim.ClassFlags{IncludeQualifiers: true}},
		&cim.Result{Classes: []*cim.Class{{Name: "A"}, {Name: "B", SuperClass: "A"}}}, nil)
	if err != nil || len(got.Classes) != 2 || got.Classes[1].SuperClass != "A" {
		t.Errorf("EnumerateClasses = %#v, %v", got, err)
	}

	got, err = respond(t, &cim.EnumerateQualifiers{Base: base}, &cim.Result{QualifierTypes: []*cim.QualifierType{qt, qt}}, nil)
	if err != nil || len(got.QualifierTypes) != 2 || !deepEqual(got.QualifierTypes[1], qt) {
		t.Errorf("EnumerateQualifiers = %#v, %v", got, err)
	}

	ref := personPath("Ann")
	ref.Host = host
	got, err = respond(t, &cim.GetProperty{Base: base, InstanceName: alice(), PropertyName: "Boss"},
		&cim.Result{Value: ref, ValueType: cim.TypeReference}, nil)
	if err != nil || !deepEqual(got.Value, ref) || got.ValueType != cim.TypeReference {
		t.Errorf("GetProperty reference = %#v, %v", got.Value, err)
	}

	got, err = respond(t, &cim.ExecQuery{Base: base, QueryLanguage: "WQL", Query: "q"},
		&cim.Result{Objects: cim.Objects([]cim.Object{{Instance: card()}, {Path: personClass(), Class: &cim.Class{Name: "TST_Person"}}})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	objs := collect(t, got)
	if len(objs) != 2 || !deepEqual(objs[0].Instance, card()) || objs[1].Class == nil || objs[1].Path.ClassName != "TST_Person" {
		t.Errorf("ExecQuery = %#v", objs)
	}

	got, err = respond(t, &cim.OpenQueryInstances{Base: base, ReturnQueryResultClass: true},
		&cim.Result{Objects: cim.Objects(nil), EndOfSequence: true, QueryResultClass: &cim.Class{Name: "CIM_QueryResult"}}, nil)
	if err != nil || got.QueryResultClass == nil || got.QueryResultClass.Name != "CIM_QueryResult" || !got.EndOfSequence || len(collect(t, got)) != 0 {
		t.Errorf("OpenQueryInstances = %#v, %v", got, err)
	}

	got, err = respond(t, &cim.DeleteInstance{Base: base, InstanceName: alice()}, nil, nil)
	if err != nil || got.Objects != nil || got.Instance != nil {
		t.Errorf("DeleteInstance = %#v, %v; want an empty result", got, err)
	}
}

// TestDecodeResponseBad: malformed or mismatched documents are *ResponseErrors.
func TestDecodeResponseBad(t *testing.T) {
	good := encode(t, ireq(&cim.GetClass{Base: base}), &cim.Result{Class: &cim.Class{Name: "A"}}, nil)
	for name, doc := range map[string]string{
		"empty":         "",
		"not xml":       "<CIM",
		"wrong method":  strings.Replace(good, `NAME="GetClass"`, `NAME="GetInstance"`, 1),
		"no message":    `<CIM CIMVERSION="2.0" DTDVERSION="2.0"></CIM>`,
		"bad code":      strings.Replace(good, "<IRETURNVALUE>", `<ERROR CODE="x"></ERROR><IRETURNVALUE>`, 1),
		"bad item":      strings.Replace(good, "<IRETURNVALUE>", `<IRETURNVALUE><FOO></FOO>`, 1),
		"bad value":     strings.Replace(good, "<CLASS NAME=\"A\">", `<CLASS NAME="A"><PROPERTY NAME="x" TYPE="uint8"><VALUE>300</VALUE></PROPERTY>`, 1),
		"request sent":  call("GetClass", ip("ClassName", cn("A"))),
		"bad embedding": strings.Replace(good, "IRETURNVALUE", "RETURNVALUE", 2),
	} {
		_, err := DecodeResponse(strings.NewReader(doc), "GetClass")
		var re *ResponseError
		if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "cimxml: bad response: ") {
			t.Errorf("%s: DecodeResponse = %v, want a *ResponseError", name, err)
		}
	}
}

// FuzzDecodeResponse: DecodeResponse never panics, and returns a result, a
// *cim.Error or a *ResponseError.
func FuzzDecodeResponse(f *testing.F) {
	goldens, _ := filepath.Glob("testdata/*.golden")
	for _, g := range goldens {
		if b, err := os.ReadFile(g); err == nil {
			f.Add(string(b), "") // "": any response name
		}
	}
	f.Add(`<CIM><MESSAGE><SIMPLERSP><METHODRESPONSE NAME="M"><RETURNVALUE PARAMTYPE="uint8"><VALUE>1</VALUE></RETURNVALUE></METHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`, "M")
	f.Fuzz(func(t *testing.T, doc, method string) {
		res, err := DecodeResponse(strings.NewReader(doc), method)
		if err == nil {
			if res == nil {
				t.Fatal("no result and no error")
			}
			if res.Objects != nil {
				for range res.Objects {
				}
			}
			return
		}
		var ce *cim.Error
		var re *ResponseError
		if !errors.As(err, &ce) && !errors.As(err, &re) {
			t.Fatalf("DecodeResponse = %v (%T)", err, err)
		}
	})
}

// BenchmarkDecodeResponseEnumerate decodes an EnumerateInstances response of 100
// instances of every value type.
func BenchmarkDecodeResponseEnumerate(b *testing.B) {
	objs := make([]cim.Object, 100)
	for i := range objs {
		objs[i] = cim.Object{Path: personPath(strconv.Itoa(i)), Instance: testInstance()}
	}
	var buf bytes.Buffer
	if err := WriteResponse(&buf, ireq(&cim.EnumerateInstances{Base: base, ClassName: "TST_Person"}),
		&cim.Result{Objects: cim.Objects(objs)}, nil, host); err != nil {
		b.Fatal(err)
	}
	doc := buf.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(bytes.NewReader(doc), "EnumerateInstances"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeRequest writes a GetInstance request.
func BenchmarkEncodeRequest(b *testing.B) {
	op := &cim.GetInstance{Base: base, InstanceName: alice(), PropertyList: cim.PropertyList{"Name", "Age"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeRequest(io.Discard, "1", op); err != nil {
			b.Fatal(err)
		}
	}
}
