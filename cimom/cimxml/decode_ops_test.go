package cimxml

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// TestDecodeIntrinsic covers the operations the captures do not, and the defaults.
func TestDecodeIntrinsic(t *testing.T) {
	person := `<CLASS NAME="TST_Person" SUPERCLASS="CIM_ManagedElement">` +
		`<QUALIFIER NAME="Description" TYPE="string" TRANSLATABLE="true"><VALUE>A person</VALUE></QUALIFIER>` +
		`<QUALIFIER NAME="Version" TYPE="string" PROPAGATED="true"><VALUE>1</VALUE></QUALIFIER>` +
		`<PROPERTY NAME="Name" TYPE="string"><QUALIFIER NAME="Key" TYPE="boolean" OVERRIDABLE="false"><VALUE>TRUE</VALUE></QUALIFIER></PROPERTY>` +
		`<PROPERTY NAME="Caption" TYPE="string" PROPAGATED="true" CLASSORIGIN="CIM_ManagedElement"></PROPERTY>` +
		`<PROPERTY.ARRAY NAME="Nick" TYPE="string" ARRAYSIZE="4"><VALUE.ARRAY><VALUE>x</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>` +
		`<PROPERTY.REFERENCE NAME="Boss" REFERENCECLASS="TST_Person"></PROPERTY.REFERENCE>` +
		`<METHOD NAME="Ping" TYPE="uint32"><QUALIFIER NAME="Static" TYPE="boolean" TOSUBCLASS="false"><VALUE>true</VALUE></QUALIFIER>` +
		`<PARAMETER NAME="Count" TYPE="uint32"><QUALIFIER NAME="In" TYPE="boolean"><VALUE>TRUE</VALUE></QUALIFIER></PARAMETER>` +
		`<PARAMETER.REFERENCE NAME="Who" REFERENCECLASS="TST_Person"></PARAMETER.REFERENCE>` +
		`<PARAMETER.ARRAY NAME="Msgs" TYPE="string" ARRAYSIZE="2"></PARAMETER.ARRAY>` +
		`<PARAMETER.REFARRAY NAME="Them" REFERENCECLASS="TST_Person"></PARAMETER.REFARRAY></METHOD>` +
		`<METHOD NAME="Old" TYPE="uint32" PROPAGATED="true"></METHOD></CLASS>`
	wantClass := &cim.Class{Name: "TST_Person", SuperClass: "CIM_ManagedElement",
		Qualifiers: cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: "A person", Flavor: cim.Translatable}},
		Properties: []cim.Property{
			{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride}}},
			{Name: "Nick", Type: cim.TypeString, IsArray: true, ArraySize: 4, Value: []any{"x"}},
			{Name: "Boss", Type: cim.TypeReference, ReferenceClass: "TST_Person"},
		},
		Methods: []cim.Method{{Name: "Ping", ReturnType: cim.TypeUint32,
			Qualifiers: cim.Qualifiers{{Name: "Static", Type: cim.TypeBoolean, Value: true, Flavor: cim.Restricted}},
			Parameters: []cim.Parameter{
				{Name: "Count", Type: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "In", Type: cim.TypeBoolean, Value: true}}},
				{Name: "Who", Type: cim.TypeReference, ReferenceClass: "TST_Person"},
				{Name: "Msgs", Type: cim.TypeString, IsArray: true, ArraySize: 2},
				{Name: "Them", Type: cim.TypeReference, IsArray: true, ReferenceClass: "TST_Person"},
			}}},
	}
	qdecl := `<QUALIFIER.DECLARATION NAME="ValueMap" TYPE="string" ISARRAY="true" TOSUBCLASS="false">` +
		`<SCOPE PROPERTY="true" METHOD="true" PARAMETER="true"/><VALUE.ARRAY><VALUE>a</VALUE><VALUE.NULL/></VALUE.ARRAY></QUALIFIER.DECLARATION>`
	ctx := ip("EnumerationContext", val("ctx-1"))
	tests := []struct {
		name string
		body string
		want cim.Op
	}{
		{"GetClass defaults", call("GetClass", ip("ClassName", cn("A"))),
			&cim.GetClass{Base: base, ClassName: "A", ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: true}}},
		{"GetClass empty PropertyList", call("GetClass", ip("ClassName", cn("A"))+ip("PropertyList", "<VALUE.ARRAY></VALUE.ARRAY>")),
			&cim.GetClass{Base: base, ClassName: "A", ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: true}, PropertyList: cim.PropertyList{}}},
		{"GetClass NULL PropertyList", call("GetClass", ip("ClassName", cn("A"))+ip("PropertyList", "")),
			&cim.GetClass{Base: base, ClassName: "A", ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: true}}},
		{"names and booleans any case", call("getclass", ip("classname", cn("A"))+ip("LOCALONLY", val(" false "))+ip("includeQualifiers", val("False"))),
			&cim.GetClass{Base: base, ClassName: "A"}},
		{"EnumerateClasses defaults", call("EnumerateClasses", ""),
			&cim.EnumerateClasses{Base: base, ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: true}}},
		{"EnumerateInstances defaults", call("EnumerateInstances", ip("ClassName", cn("A"))),
			&cim.EnumerateInstances{Base: base, ClassName: "A", DeepInheritance: true, InstanceFlags: cim.InstanceFlags{LocalOnly: true}}},
		{"GetInstance defaults", call("GetInstance", ip("InstanceName", aliceName)),
			&cim.GetInstance{Base: base, InstanceName: alice(), InstanceFlags: cim.InstanceFlags{LocalOnly: true}}},
		{"CreateClass", call("CreateClass", ip("NewClass", person)), &cim.CreateClass{Base: base, NewClass: wantClass}},
		{"ModifyClass", call("ModifyClass", ip("ModifiedClass", person)), &cim.ModifyClass{Base: base, ModifiedClass: wantClass}},
		{"GetQualifier", call("GetQualifier", ip("QualifierName", val("Key"))), &cim.GetQualifier{Base: base, QualifierName: "Key"}},
		{"DeleteQualifier", call("DeleteQualifier", ip("QualifierName", val("Key"))), &cim.DeleteQualifier{Base: base, QualifierName: "Key"}},
		{"SetQualifier", call("SetQualifier", ip("QualifierDeclaration", qdecl)), &cim.SetQualifier{Base: base,
			QualifierDeclaration: &cim.QualifierType{Name: "ValueMap", Type: cim.TypeString, IsArray: true, Flavor: cim.Restricted,
				Scope: cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter, Default: []any{"a", nil}}}},
		{"EnumerateQualifiers", call("EnumerateQualifiers", ""), &cim.EnumerateQualifiers{Base: base}},
		{"ExecQuery", call("ExecQuery", ip("QueryLanguage", val("WQL"))+ip("Query", val("SELECT * FROM A WHERE x &lt; 3"))),
			&cim.ExecQuery{Base: base, QueryLanguage: "WQL", Query: "SELECT * FROM A WHERE x < 3"}},
		{"SetProperty array and NULL", call("SetProperty", ip("InstanceName", aliceName)+ip("PropertyName", val("Nick"))+
			ip("NewValue", "<VALUE.ARRAY><VALUE>a</VALUE><VALUE.NULL/></VALUE.ARRAY>")),
			&cim.SetProperty{Base: base, InstanceName: alice(), PropertyName: "Nick", NewValue: []any{"a", nil}}},
		{"SetProperty NULL", call("SetProperty", ip("InstanceName", aliceName)+ip("PropertyName", val("Age"))),
			&cim.SetProperty{Base: base, InstanceName: alice(), PropertyName: "Age"}},
		{"OpenEnumerateInstancePaths", call("OpenEnumerateInstancePaths", ip("ClassName", cn("A"))+
			ip("OperationTimeout", val("30"))+ip("ContinueOnError", val("TRUE"))+ip("FilterQueryLanguage", val("DMTF:FQL"))+
			ip("FilterQuery", val("a=1"))),
			&cim.OpenEnumerateInstancePaths{Base: base, ClassName: "A", PullOptions: cim.PullOptions{FilterQueryLanguage: "DMTF:FQL",
				FilterQuery: "a=1", OperationTimeout: u32(30), ContinueOnError: true}}},
		{"OpenEnumerateInstances defaults", call("OpenEnumerateInstances", ip("ClassName", cn("A"))),
			&cim.OpenEnumerateInstances{Base: base, ClassName: "A", DeepInheritance: true}},
		{"OpenAssociatorInstances", call("OpenAssociatorInstances", ip("InstanceName", aliceName)+ip("AssocClass", cn("F"))+
			ip("ResultClass", cn("P"))+ip("Role", val("L"))+ip("ResultRole", val("R"))+ip("IncludeClassOrigin", val("true"))+
			ip("PropertyList", "<VALUE.ARRAY><VALUE>Name</VALUE></VALUE.ARRAY>")+ip("MaxObjectCount", val("5"))),
			&cim.OpenAssociatorInstances{Base: base, InstanceName: alice(), AssocClass: "F", ResultClass: "P", Role: "L", ResultRole: "R",
				IncludeClassOrigin: true, PropertyList: cim.PropertyList{"Name"}, PullOptions: cim.PullOptions{MaxObjectCount: 5}}},
		{"OpenAssociatorInstancePaths", call("OpenAssociatorInstancePaths", ip("InstanceName", aliceName)+ip("ResultRole", val("R"))),
			&cim.OpenAssociatorInstancePaths{Base: base, InstanceName: alice(), ResultRole: "R"}},
		{"OpenReferenceInstancePaths", call("OpenReferenceInstancePaths", ip("InstanceName", aliceName)+ip("Role", val("L"))),
			&cim.OpenReferenceInstancePaths{Base: base, InstanceName: alice(), Role: "L"}},
		{"OpenQueryInstances", call("OpenQueryInstances", ip("FilterQuery", val("SELECT * FROM A"))+ip("FilterQueryLanguage", val("DMTF:CQL"))+
			ip("ReturnQueryResultClass", val("TRUE"))),
			&cim.OpenQueryInstances{Base: base, ReturnQueryResultClass: true, PullOptions: cim.PullOptions{FilterQuery: "SELECT * FROM A",
				FilterQueryLanguage: "DMTF:CQL"}}},
		{"PullInstancesWithPath", call("PullInstancesWithPath", ctx+ip("MaxObjectCount", val("100"))),
			&cim.PullInstancesWithPath{Base: base, EnumerationContext: "ctx-1", MaxObjectCount: 100}},
		{"PullInstancePaths", call("PullInstancePaths", ctx+ip("MaxObjectCount", val("0"))),
			&cim.PullInstancePaths{Base: base, EnumerationContext: "ctx-1"}},
		{"PullInstances", call("PullInstances", ctx+ip("MaxObjectCount", val("4294967295"))),
			&cim.PullInstances{Base: base, EnumerationContext: "ctx-1", MaxObjectCount: math.MaxUint32}},
		{"CloseEnumeration", call("CloseEnumeration", ctx), &cim.CloseEnumeration{Base: base, EnumerationContext: "ctx-1"}},
		{"EnumerationCount", call("EnumerationCount", ctx), &cim.EnumerationCount{Base: base, EnumerationContext: "ctx-1"}},
		{"CORRELATOR ignored", strings.Replace(call("DeleteClass", ip("ClassName", cn("A"))), "<SIMPLEREQ>",
			`<SIMPLEREQ><CORRELATOR NAME="c" TYPE="string"><VALUE>x</VALUE></CORRELATOR>`, 1),
			&cim.DeleteClass{Base: base, ClassName: "A"}},
		{"comments, CDATA and PIs", strings.Replace(call("DeleteClass", "<!-- c -->"+ip("ClassName", cn("A"))), `<?xml version="1.0" encoding="utf-8" ?>`,
			`<?xml version='1.0'?><?pi x?>`, 1), &cim.DeleteClass{Base: base, ClassName: "A"}},
		{"ModifyInstance PropertyList", call("ModifyInstance", ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+aliceName+
			`<INSTANCE CLASSNAME="TST_Person"><PROPERTY NAME="Age" TYPE="uint8"><VALUE><![CDATA[ 9 ]]></VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`)+
			ip("PropertyList", "<VALUE.ARRAY><VALUE>Age</VALUE></VALUE.ARRAY>")+ip("IncludeQualifiers", val("false"))),
			&cim.ModifyInstance{Base: base, InstanceName: alice(), PropertyList: cim.PropertyList{"Age"},
				ModifiedInstance: &cim.Instance{ClassName: "TST_Person", Properties: []cim.Property{{Name: "Age", Type: cim.TypeUint8, Value: uint8(9)}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustDecode(t, tt.body)
			if req.Err != nil {
				t.Fatalf("Err = %v, want none", req.Err)
			}
			if req.Method == "" || !req.Intrinsic || req.Namespace != ns {
				t.Errorf("Request = {Method %q Intrinsic %v Namespace %q}", req.Method, req.Intrinsic, req.Namespace)
			}
			checkOp(t, req.Op, tt.want)
		})
	}
}

// TestDecodeOpErrors: problems of the operation are Request.Err, not protocol errors.
func TestDecodeOpErrors(t *testing.T) {
	gc := ip("ClassName", cn("A"))
	tests := []struct {
		name string
		body string
		code cim.Status
		desc string
	}{
		{"unknown method", call("GetClasses", gc), cim.StatusNotSupported, "Unrecognized intrinsic method"},
		{"unknown parameter", call("GetClass", gc+ip("Foo", val("1"))), cim.StatusNotSupported, "Foo"},
		{"duplicate parameter", call("GetClass", gc+ip("classname", cn("B"))), cim.StatusInvalidParameter, "twice"},
		{"missing required", call("GetClass", ip("LocalOnly", val("TRUE"))), cim.StatusInvalidParameter, "ClassName"},
		{"required NULL", call("GetClass", ip("ClassName", "")), cim.StatusInvalidParameter, "NULL"},
		{"bad boolean", call("GetClass", gc+ip("LocalOnly", val("yes"))), cim.StatusInvalidParameter, "LocalOnly"},
		{"bad uint32", call("PullInstances", ip("EnumerationContext", val("c"))+ip("MaxObjectCount", val("-1"))), cim.StatusInvalidParameter, "MaxObjectCount"},
		{"uint32 overflow", call("PullInstances", ip("EnumerationContext", val("c"))+ip("MaxObjectCount", val("4294967296"))), cim.StatusInvalidParameter, "MaxObjectCount"},
		{"wrong element", call("GetClass", ip("ClassName", val("A"))), cim.StatusInvalidParameter, "CLASSNAME"},
		{"NULL in PropertyList", call("GetClass", gc+ip("PropertyList", "<VALUE.ARRAY><VALUE.NULL/></VALUE.ARRAY>")), cim.StatusInvalidParameter, "PropertyList"},
		{"missing MaxObjectCount", call("PullInstancesWithPath", ip("EnumerationContext", val("c"))), cim.StatusInvalidParameter, "MaxObjectCount"},
		{"OpenQueryInstances without query", call("OpenQueryInstances", ip("FilterQueryLanguage", val("WQL"))), cim.StatusInvalidParameter, "FilterQuery"},
		{"duplicate PARAMVALUE", mcall("Ping", `<LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH>`+cn("A")+`</LOCALCLASSPATH>`,
			`<PARAMVALUE NAME="x"/><PARAMVALUE NAME="X"/>`), cim.StatusInvalidParameter, "twice"},
		{"method without type", call("CreateClass", ip("NewClass", `<CLASS NAME="A"><METHOD NAME="M"></METHOD></CLASS>`)), cim.StatusInvalidParameter, "return type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustDecode(t, tt.body)
			if req.Err == nil {
				t.Fatalf("Err = nil, want %v", tt.code)
			}
			if req.Op != nil {
				t.Errorf("Op = %#v, want nil with Err", req.Op)
			}
			if req.Err.Code != tt.code || !strings.Contains(req.Err.Description, tt.desc) {
				t.Errorf("Err = %v, want code %v with %q", req.Err, tt.code, tt.desc)
			}
		})
	}
}

// createWith decodes a CreateInstance of one property and returns it.
func createWith(t *testing.T, prop string) (*cim.Property, *ProtocolError) {
	t.Helper()
	body := call("CreateInstance", ip("NewInstance", `<INSTANCE CLASSNAME="A">`+prop+`</INSTANCE>`))
	req, err := Decode(strings.NewReader(body))
	if err != nil {
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			t.Fatalf("Decode = %v, want a *ProtocolError", err)
		}
		return nil, pe
	}
	if req.Err != nil {
		t.Fatalf("Err = %v", req.Err)
	}
	in := req.Op.(*cim.CreateInstance).NewInstance
	if len(in.Properties) != 1 {
		t.Fatalf("%d properties, want 1", len(in.Properties))
	}
	return &in.Properties[0], nil
}

func prop(typ, text string) string {
	return `<PROPERTY NAME="P" TYPE="` + typ + `"><VALUE>` + text + `</VALUE></PROPERTY>`
}

// TestDecodeValues checks the value text rules of cimxml.md §2.6.
func TestDecodeValues(t *testing.T) {
	tests := []struct {
		name string
		prop string
		want any // nil with bad: a request-not-valid error
		bad  bool
	}{
		{"boolean", prop("boolean", " true "), true, false},
		{"boolean bad", prop("boolean", "yes"), nil, true},
		{"uint8 max", prop("uint8", "255"), uint8(255), false},
		{"uint8 over", prop("uint8", "256"), nil, true},
		{"uint8 negative", prop("uint8", "-1"), nil, true},
		{"sint8 min", prop("sint8", "-128"), int8(-128), false},
		{"sint8 over", prop("sint8", "128"), nil, true},
		{"uint16", prop("uint16", "+65535"), uint16(65535), false},
		{"sint16", prop("sint16", "-32768"), int16(-32768), false},
		{"uint32 hex", prop("uint32", "0x10"), uint32(16), false},
		{"sint32", prop("sint32", " -7\n"), int32(-7), false},
		{"uint64 max", prop("uint64", "18446744073709551615"), uint64(math.MaxUint64), false},
		{"sint64 min", prop("sint64", "-9223372036854775808"), int64(math.MinInt64), false},
		{"sint64 over", prop("sint64", "9223372036854775808"), nil, true},
		{"integer text", prop("uint32", "12a"), nil, true},
		{"integer empty", prop("uint32", ""), nil, true},
		{"real32", prop("real32", "1.5"), float32(1.5), false},
		{"real32 over", prop("real32", "1e39"), nil, true},
		{"real64 exp", prop("real64", "-2.5E-3"), -2.5e-3, false},
		{"real64 INF", prop("real64", "INF"), math.Inf(1), false},
		{"real64 -INF", prop("real64", "-INF"), math.Inf(-1), false},
		{"real bad", prop("real64", "1.2.3"), nil, true},
		{"char16", prop("char16", "é"), cim.Char16('é'), false},
		{"char16 two", prop("char16", "ab"), nil, true},
		{"char16 U+FFFD", prop("char16", "\uFFFD"), cim.Char16(0xFFFD), false},
		{"char16 outside BMP", prop("char16", "😀"), nil, true},
		{"char16 empty", prop("char16", ""), nil, true},
		{"datetime", prop("datetime", "20240131235959.123456+060"), cim.Datetime("20240131235959.123456+060"), false},
		{"datetime interval", prop("datetime", "00000001020304.000000:000"), cim.Datetime("00000001020304.000000:000"), false},
		{"datetime bad", prop("datetime", "2024"), nil, true},
		{"string keeps spaces", prop("string", " a\tb "), " a\tb ", false},
		{"string entities", prop("string", "&lt;&amp;&gt;&quot;&apos;&#65;&#x42;"), `<&>"'AB`, false},
		{"string CDATA", prop("string", "<![CDATA[<x>&]]>"), "<x>&", false},
		{"string CRLF", prop("string", "a\r\nb\rc"), "a\nb\nc", false},
		{"string empty VALUE", `<PROPERTY NAME="P" TYPE="string"><VALUE></VALUE></PROPERTY>`, "", false},
		{"NULL", `<PROPERTY NAME="P" TYPE="uint32"></PROPERTY>`, nil, false},
		{"array with NULL", `<PROPERTY.ARRAY NAME="P" TYPE="sint8"><VALUE.ARRAY><VALUE>1</VALUE><VALUE.NULL/><VALUE>-2</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>`,
			[]any{int8(1), nil, int8(-2)}, false},
		{"empty array", `<PROPERTY.ARRAY NAME="P" TYPE="string"><VALUE.ARRAY/></PROPERTY.ARRAY>`, []any{}, false},
		{"bad array element", `<PROPERTY.ARRAY NAME="P" TYPE="uint8"><VALUE.ARRAY><VALUE>x</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>`, nil, true},
		{"reference", `<PROPERTY.REFERENCE NAME="P"><VALUE.REFERENCE>` + aliceName + `</VALUE.REFERENCE></PROPERTY.REFERENCE>`, alice(), false},
		{"reference LOCALINSTANCEPATH", `<PROPERTY.REFERENCE NAME="P"><VALUE.REFERENCE><LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="x"/></LOCALNAMESPACEPATH>` +
			aliceName + `</LOCALINSTANCEPATH></VALUE.REFERENCE></PROPERTY.REFERENCE>`,
			&cim.ObjectPath{Namespace: "x", ClassName: "TST_Person", Keys: []cim.KeyBinding{{Name: "Name", Value: "Alice"}}}, false},
		{"reference CLASSPATH", `<PROPERTY.REFERENCE NAME="P"><VALUE.REFERENCE><CLASSPATH><NAMESPACEPATH><HOST>h:1</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="x"/></LOCALNAMESPACEPATH></NAMESPACEPATH>` +
			cn("C") + `</CLASSPATH></VALUE.REFERENCE></PROPERTY.REFERENCE>`, &cim.ObjectPath{Host: "h:1", Namespace: "x", ClassName: "C"}, false},
		{"embedded instance", `<PROPERTY NAME="P" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME=&quot;E&quot;&gt;` +
			`&lt;PROPERTY NAME=&quot;X&quot; TYPE=&quot;uint8&quot;&gt;&lt;VALUE&gt;1&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;</VALUE></PROPERTY>`,
			&cim.Instance{ClassName: "E", Properties: []cim.Property{{Name: "X", Type: cim.TypeUint8, Value: uint8(1)}}}, false},
		{"embedded not XML", `<PROPERTY NAME="P" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE</VALUE></PROPERTY>`, nil, true},
		{"string looking embedded stays", prop("string", "&lt;INSTANCE CLASSNAME=&quot;E&quot;/&gt;"), `<INSTANCE CLASSNAME="E"/>`, false},
		{"invalid TYPE", prop("reference", "x"), nil, true},
		{"bad char reference", prop("string", "&#1;"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, pe := createWith(t, tt.prop)
			if tt.bad {
				if pe == nil {
					t.Fatalf("value = %#v, want a protocol error", p.Value)
				}
				if pe.Status != 400 {
					t.Errorf("Status = %d, want 400", pe.Status)
				}
				return
			}
			if pe != nil {
				t.Fatalf("Decode = %v, want no error", pe)
			}
			if !valuesEqual(p.Value, tt.want) {
				t.Errorf("value = %#v, want %#v", p.Value, tt.want)
			}
		})
	}
}

func valuesEqual(a, b any) bool {
	switch x := a.(type) {
	case *cim.Instance:
		y, ok := b.(*cim.Instance)
		return ok && deepEqual(x, y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case []any:
		y, ok := b.([]any)
		return ok && x != nil && deepEqual(x, y)
	}
	return deepEqual(a, b)
}

func TestDecodeNaN(t *testing.T) {
	p, pe := createWith(t, prop("real32", "NaN"))
	if pe != nil {
		t.Fatal(pe)
	}
	if f, ok := p.Value.(float32); !ok || !math.IsNaN(float64(f)) {
		t.Errorf("value = %#v, want float32 NaN", p.Value)
	}
}

// TestDecodeKeys checks KEYVALUE typing and INSTANCENAME forms.
func TestDecodeKeys(t *testing.T) {
	kv := func(attrs, text string) string {
		return `<INSTANCENAME CLASSNAME="A"><KEYBINDING NAME="K"><KEYVALUE` + attrs + `>` + text + `</KEYVALUE></KEYBINDING></INSTANCENAME>`
	}
	tests := []struct {
		name string
		in   string
		want any
		bad  bool
	}{
		{"no VALUETYPE", kv("", "x"), "x", false},
		{"string", kv(` VALUETYPE="string"`, " 5 "), " 5 ", false},
		{"boolean", kv(` VALUETYPE="boolean"`, "TRUE"), true, false},
		{"boolean bad", kv(` VALUETYPE="boolean"`, "1"), nil, true},
		{"numeric int", kv(` VALUETYPE="numeric"`, "-5"), int64(-5), false},
		{"numeric uint", kv(` VALUETYPE="numeric"`, "18446744073709551615"), uint64(math.MaxUint64), false},
		{"numeric real", kv(` VALUETYPE="numeric"`, "1.5"), 1.5, false},
		{"numeric bad", kv(` VALUETYPE="numeric"`, "abc"), nil, true},
		{"TYPE wins", kv(` VALUETYPE="numeric" TYPE="uint16"`, "7"), uint16(7), false},
		{"TYPE empty", kv(` VALUETYPE="numeric" TYPE=""`, "7"), int64(7), false},
		{"TYPE bad text", kv(` VALUETYPE="string" TYPE="datetime"`, "x"), nil, true},
		{"unknown VALUETYPE", kv(` VALUETYPE="other"`, "x"), nil, true},
		{"unnamed KEYVALUE", `<INSTANCENAME CLASSNAME="A"><KEYVALUE>x</KEYVALUE></INSTANCENAME>`, "x", false},
		{"duplicate key", `<INSTANCENAME CLASSNAME="A"><KEYBINDING NAME="K"><KEYVALUE>1</KEYVALUE></KEYBINDING><KEYBINDING NAME="k"><KEYVALUE>2</KEYVALUE></KEYBINDING></INSTANCENAME>`, nil, true},
		{"empty KEYBINDING", `<INSTANCENAME CLASSNAME="A"><KEYBINDING NAME="K"></KEYBINDING></INSTANCENAME>`, nil, true},
		{"too many keys", `<INSTANCENAME CLASSNAME="A">` + manyKeys(1001) + `</INSTANCENAME>`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := call("GetInstance", ip("InstanceName", tt.in))
			req, err := Decode(strings.NewReader(body))
			if tt.bad {
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.CIMError != ErrNotValid {
					t.Fatalf("Decode = %v, want request-not-valid", err)
				}
				return
			}
			if err != nil || req.Err != nil {
				t.Fatalf("Decode = %v, %v", err, req.Err)
			}
			keys := req.Op.(*cim.GetInstance).InstanceName.Keys
			if len(keys) != 1 || !deepEqual(keys[0].Value, tt.want) {
				t.Errorf("keys = %#v, want one with %#v", keys, tt.want)
			}
		})
	}
	// 1000 keys are fine.
	req := mustDecode(t, call("GetInstance", ip("InstanceName", `<INSTANCENAME CLASSNAME="A">`+manyKeys(1000)+`</INSTANCENAME>`)))
	if n := len(req.Op.(*cim.GetInstance).InstanceName.Keys); n != 1000 {
		t.Errorf("%d keys, want 1000", n)
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(`<KEYBINDING NAME="K`)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`"><KEYVALUE>1</KEYVALUE></KEYBINDING>`)
	}
	return b.String()
}

// TestDecodeInvokeMethod checks PARAMVALUE typing.
func TestDecodeInvokeMethod(t *testing.T) {
	target := `<LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>` + aliceName + `</LOCALINSTANCEPATH>`
	emb := `&lt;INSTANCE CLASSNAME=&quot;E&quot;&gt;&lt;PROPERTY NAME=&quot;S&quot; TYPE=&quot;string&quot;&gt;&lt;VALUE&gt;v&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;`
	embInst := &cim.Instance{ClassName: "E", Properties: []cim.Property{{Name: "S", Type: cim.TypeString, Value: "v"}}}
	pv := func(attrs, content string) string {
		return `<PARAMVALUE NAME="P"` + attrs + `>` + content + `</PARAMVALUE>`
	}
	tests := []struct {
		name  string
		param string
		want  cim.ParamValue
		bad   bool
	}{
		{"untyped", pv("", val("3")), cim.ParamValue{Name: "P", Value: "3"}, false},
		{"untyped NULL", pv("", ""), cim.ParamValue{Name: "P"}, false},
		{"untyped array", pv("", "<VALUE.ARRAY><VALUE>a</VALUE><VALUE.NULL/></VALUE.ARRAY>"), cim.ParamValue{Name: "P", IsArray: true, Value: []any{"a", nil}}, false},
		{"typed", pv(` PARAMTYPE="sint16"`, val("-3")), cim.ParamValue{Name: "P", Type: cim.TypeSint16, Value: int16(-3)}, false},
		{"TYPE attribute", pv(` TYPE="uint8"`, val("3")), cim.ParamValue{Name: "P", Type: cim.TypeUint8, Value: uint8(3)}, false},
		{"typed bad", pv(` PARAMTYPE="uint8"`, val("300")), cim.ParamValue{}, true},
		{"typed array", pv(` PARAMTYPE="boolean"`, "<VALUE.ARRAY><VALUE>TRUE</VALUE></VALUE.ARRAY>"), cim.ParamValue{Name: "P", Type: cim.TypeBoolean, IsArray: true, Value: []any{true}}, false},
		{"reference", pv(` PARAMTYPE="reference"`, "<VALUE.REFERENCE>"+aliceName+"</VALUE.REFERENCE>"), cim.ParamValue{Name: "P", Type: cim.TypeReference, Value: alice()}, false},
		{"untyped reference", pv("", "<VALUE.REFERENCE>"+aliceName+"</VALUE.REFERENCE>"), cim.ParamValue{Name: "P", Value: alice()}, false},
		{"refarray", pv("", "<VALUE.REFARRAY><VALUE.REFERENCE>"+aliceName+"</VALUE.REFERENCE><VALUE.NULL/></VALUE.REFARRAY>"),
			cim.ParamValue{Name: "P", IsArray: true, Value: []any{alice(), nil}}, false},
		{"reference typed as uint8", pv(` PARAMTYPE="uint8"`, "<VALUE.REFERENCE>"+aliceName+"</VALUE.REFERENCE>"), cim.ParamValue{}, true},
		{"embedded by attribute", pv(` PARAMTYPE="string" EmbeddedObject="instance"`, val(emb)),
			cim.ParamValue{Name: "P", Type: cim.TypeString, Value: embInst, EmbeddedObject: "instance"}, false},
		{"embedded by PARAMTYPE", pv(` PARAMTYPE="instance"`, val(emb)),
			cim.ParamValue{Name: "P", Type: cim.TypeString, Value: embInst, EmbeddedObject: "instance"}, false},
		{"embedded untyped, plainly", pv("", val(emb)),
			cim.ParamValue{Name: "P", Value: embInst, EmbeddedObject: "instance"}, false},
		{"embedded class untyped", pv("", val(`&lt;CLASS NAME=&quot;C&quot;/&gt;`)),
			cim.ParamValue{Name: "P", Value: &cim.Class{Name: "C"}, EmbeddedObject: "object"}, false},
		{"looks embedded but is not", pv("", val("&lt;INSTANCE oops")), cim.ParamValue{Name: "P", Value: "<INSTANCE oops"}, false},
		{"INSTANCE element", pv("", `<INSTANCE CLASSNAME="E"><PROPERTY NAME="S" TYPE="string"><VALUE>v</VALUE></PROPERTY></INSTANCE>`),
			cim.ParamValue{Name: "P", Value: embInst, EmbeddedObject: "instance"}, false},
		{"INSTANCE element typed instance", pv(` PARAMTYPE="instance"`, `<INSTANCE CLASSNAME="E"><PROPERTY NAME="S" TYPE="string"><VALUE>v</VALUE></PROPERTY></INSTANCE>`),
			cim.ParamValue{Name: "P", Type: cim.TypeString, Value: embInst, EmbeddedObject: "instance"}, false},
		{"CLASSNAME as reference", pv(` PARAMTYPE="reference"`, cn("TST_Person")),
			cim.ParamValue{Name: "P", Type: cim.TypeReference, Value: personClass()}, false},
		{"unknown PARAMTYPE", pv(` PARAMTYPE="int"`, val("1")), cim.ParamValue{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Decode(strings.NewReader(mcall("Ping", target, tt.param)))
			if tt.bad {
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("Decode = %v, want a *ProtocolError", err)
				}
				return
			}
			if err != nil || req.Err != nil {
				t.Fatalf("Decode = %v, %v", err, req.Err)
			}
			if req.Intrinsic || req.Method != "Ping" || req.Namespace != ns {
				t.Errorf("Request = {Intrinsic %v Method %q Namespace %q}", req.Intrinsic, req.Method, req.Namespace)
			}
			op := req.Op.(*cim.InvokeMethod)
			if !op.Target.Equal(alice()) || len(op.Params) != 1 {
				t.Fatalf("op = %#v", op)
			}
			if !deepEqual(op.Params[0], tt.want) {
				t.Errorf("param = %#v, want %#v", op.Params[0], tt.want)
			}
		})
	}
}

// TestDecodeEmbeddedDepth: embedded objects nest, up to a limit.
func TestDecodeEmbeddedDepth(t *testing.T) {
	inner := `<INSTANCE CLASSNAME="E0"></INSTANCE>`
	for i := 1; i <= maxEmbedDepth+1; i++ {
		inner = `<INSTANCE CLASSNAME="E` + strconv.Itoa(i) + `"><PROPERTY NAME="P" TYPE="string" EmbeddedObject="instance"><VALUE>` +
			escapeForTest(inner) + `</VALUE></PROPERTY></INSTANCE>`
	}
	body := call("CreateInstance", ip("NewInstance", inner))
	pe := protoErr(t, body)
	if pe.CIMError != ErrNotValid || !strings.Contains(pe.Msg, "deeper") {
		t.Errorf("error = %v, want request-not-valid about depth", pe)
	}
	// One level less decodes, all the way down.
	inner = `<INSTANCE CLASSNAME="E0"></INSTANCE>`
	for i := 1; i <= maxEmbedDepth; i++ {
		inner = `<INSTANCE CLASSNAME="E` + strconv.Itoa(i) + `"><PROPERTY NAME="P" TYPE="string" EmbeddedObject="instance"><VALUE>` +
			escapeForTest(inner) + `</VALUE></PROPERTY></INSTANCE>`
	}
	req := mustDecode(t, call("CreateInstance", ip("NewInstance", inner)))
	in := req.Op.(*cim.CreateInstance).NewInstance
	for i := maxEmbedDepth; i > 0; i-- {
		if in.ClassName != "E"+strconv.Itoa(i) || len(in.Properties) != 1 {
			t.Fatalf("level %d: %#v", i, in)
		}
		next, ok := in.Properties[0].Value.(*cim.Instance)
		if !ok {
			t.Fatalf("level %d: value %#v, want an instance", i, in.Properties[0].Value)
		}
		in = next
	}
	if in.ClassName != "E0" || in.Properties != nil {
		t.Errorf("innermost = %#v, want E0 without properties", in)
	}
}

func escapeForTest(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
