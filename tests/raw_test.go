package tests

import (
	"regexp"
	"strings"
	"testing"
)

// Operations wbemcli cannot send, driven with raw CIM-XML over HTTP.

func setupPeople(t *testing.T, addr string) {
	t.Helper()
	for _, c := range []string{personClass, employeeClass, friendClass} {
		callOK(t, addr, "CreateClass", "root/cimv2", c)
	}
	for _, in := range []string{personInstance("Alice", 42), personInstance("Bob", 7), friendInstance("Alice", "Bob")} {
		callOK(t, addr, "CreateInstance", "root/cimv2", in)
	}
}

func TestRestartKeepsClientObjects(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, "--data", data)
	setupPeople(t, s.addr)
	callOK(t, s.addr, "DeleteInstance", "root/cimv2", `<IPARAMVALUE NAME="InstanceName">`+
		`<INSTANCENAME CLASSNAME="TST_Person"><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">Bob</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`)
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	s = startServer(t, "--data", data)
	body := callOK(t, s.addr, "GetClass", "root/cimv2", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TST_Employee"/></IPARAMVALUE>`)
	if !strings.Contains(body, `<CLASS NAME="TST_Employee" SUPERCLASS="TST_Person">`) {
		t.Errorf("TST_Employee after a restart:\n%s", body)
	}
	body = callOK(t, s.addr, "EnumerateInstanceNames", "root/cimv2", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TST_Person"/></IPARAMVALUE>`)
	if !strings.Contains(body, ">Alice<") || strings.Contains(body, ">Bob<") {
		t.Errorf("instances after a restart: want Alice and not the deleted Bob:\n%s", body)
	}
	s.stop(t)
}

func TestClassLevelAssociations(t *testing.T) {
	s := startServer(t)
	setupPeople(t, s.addr)
	obj := `<IPARAMVALUE NAME="ObjectName"><CLASSNAME NAME="TST_Person"/></IPARAMVALUE>`
	body := callOK(t, s.addr, "AssociatorNames", "root/cimv2", obj)
	if !regexp.MustCompile(`<OBJECTPATH><CLASSPATH><NAMESPACEPATH><HOST>[^<]+</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="cimv2"></NAMESPACE></LOCALNAMESPACEPATH></NAMESPACEPATH><CLASSNAME NAME="TST_Person"></CLASSNAME></CLASSPATH></OBJECTPATH>`).MatchString(body) &&
		!strings.Contains(body, `<CLASSNAME NAME="TST_Person"`) {
		t.Errorf("AssociatorNames of the class:\n%s", body)
	}
	body = callOK(t, s.addr, "References", "root/cimv2", obj)
	if !strings.Contains(body, `<CLASS NAME="TST_Friend"`) || strings.Contains(body, "<INSTANCE") {
		t.Errorf("References of the class should be the class TST_Friend:\n%s", body)
	}
	body = callOK(t, s.addr, "ReferenceNames", "root/cimv2", obj+`<IPARAMVALUE NAME="Role"><VALUE>Nobody</VALUE></IPARAMVALUE>`)
	if strings.Contains(body, "CLASSPATH") {
		t.Errorf("ReferenceNames with an unknown role should be empty:\n%s", body)
	}
	if code := cimError(t, s.addr, "Associators", "root/cimv2", obj+`<IPARAMVALUE NAME="AssocClass"><CLASSNAME NAME="TST_Nope"/></IPARAMVALUE>`); code != "4" {
		t.Errorf("unknown AssocClass: error %q, want 4", code)
	}
}

func TestQualifierOperations(t *testing.T) {
	s := startServer(t)
	decl := `<IPARAMVALUE NAME="QualifierDeclaration"><QUALIFIER.DECLARATION NAME="Colour" TYPE="string">` +
		`<SCOPE CLASS="true" PROPERTY="true"></SCOPE><VALUE>blue</VALUE></QUALIFIER.DECLARATION></IPARAMVALUE>`
	callOK(t, s.addr, "SetQualifier", "root/cimv2", decl)
	body := callOK(t, s.addr, "GetQualifier", "root/cimv2", `<IPARAMVALUE NAME="QualifierName"><VALUE>colour</VALUE></IPARAMVALUE>`)
	if !strings.Contains(body, `<QUALIFIER.DECLARATION NAME="Colour" TYPE="string"`) || !strings.Contains(body, "<VALUE>blue</VALUE>") {
		t.Errorf("GetQualifier:\n%s", body)
	}
	body = callOK(t, s.addr, "EnumerateQualifiers", "root/cimv2", "")
	if n := strings.Count(body, "<QUALIFIER.DECLARATION "); n != 71 {
		t.Errorf("EnumerateQualifiers returned %d declarations, want the 70 of DSP0004 and Colour", n)
	}
	callOK(t, s.addr, "DeleteQualifier", "root/cimv2", `<IPARAMVALUE NAME="QualifierName"><VALUE>Colour</VALUE></IPARAMVALUE>`)
	if code := cimError(t, s.addr, "GetQualifier", "root/cimv2", `<IPARAMVALUE NAME="QualifierName"><VALUE>Colour</VALUE></IPARAMVALUE>`); code != "6" {
		t.Errorf("GetQualifier after delete: error %q, want 6", code)
	}
	if code := cimError(t, s.addr, "GetQualifier", "root/nowhere", `<IPARAMVALUE NAME="QualifierName"><VALUE>Key</VALUE></IPARAMVALUE>`); code != "3" {
		t.Errorf("GetQualifier in an unknown namespace: error %q, want 3", code)
	}
}

func query(lang, q string) string {
	return `<IPARAMVALUE NAME="QueryLanguage"><VALUE>` + lang + `</VALUE></IPARAMVALUE>` +
		`<IPARAMVALUE NAME="Query"><VALUE>` + q + `</VALUE></IPARAMVALUE>`
}

func TestExecQuery(t *testing.T) {
	s := startServer(t)
	setupPeople(t, s.addr)
	body := callOK(t, s.addr, "ExecQuery", "root/cimv2", query("WQL", "SELECT Name FROM TST_Person WHERE Age &gt; 10"))
	if !strings.Contains(body, "<VALUE>Alice</VALUE>") || strings.Contains(body, "<VALUE>Bob</VALUE>") || strings.Contains(body, `NAME="Age"`) {
		t.Errorf("WQL query: want Alice's Name only:\n%s", body)
	}
	body = callOK(t, s.addr, "ExecQuery", "root/cimv2", query("DMTF:CQL", "SELECT * FROM TST_Person WHERE Name = 'Bob'"))
	if !strings.Contains(body, "<VALUE>Bob</VALUE>") || strings.Contains(body, "<VALUE>Alice</VALUE>") {
		t.Errorf("CQL query: want Bob:\n%s", body)
	}
	for _, tc := range []struct{ lang, q, code string }{
		{"XPath", "//x", "14"},
		{"WQL", "SELECT FROM", "15"},
		{"WQL", "SELECT * FROM TST_Nothing", "15"},
	} {
		if code := cimError(t, s.addr, "ExecQuery", "root/cimv2", query(tc.lang, tc.q)); code != tc.code {
			t.Errorf("ExecQuery %s %q: error %q, want %s", tc.lang, tc.q, code, tc.code)
		}
	}
}

var contextRx = regexp.MustCompile(`<PARAMVALUE NAME="EnumerationContext"[^>]*><VALUE>([^<]*)</VALUE>`)
var eosRx = regexp.MustCompile(`<PARAMVALUE NAME="EndOfSequence"[^>]*><VALUE>(TRUE|FALSE)</VALUE>`)

func TestPullOperations(t *testing.T) {
	s := startServer(t)
	setupPeople(t, s.addr)
	body := callOK(t, s.addr, "OpenEnumerateInstances", "root/cimv2",
		`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TST_Person"/></IPARAMVALUE><IPARAMVALUE NAME="MaxObjectCount"><VALUE>1</VALUE></IPARAMVALUE>`)
	if n := strings.Count(body, "<VALUE.INSTANCEWITHPATH>"); n != 1 {
		t.Fatalf("Open with MaxObjectCount 1 returned %d instances:\n%s", n, body)
	}
	m, e := contextRx.FindStringSubmatch(body), eosRx.FindStringSubmatch(body)
	if m == nil || e == nil || e[1] != "FALSE" || m[1] == "" {
		t.Fatalf("Open: want EndOfSequence FALSE and a context:\n%s", body)
	}
	pull := `<IPARAMVALUE NAME="EnumerationContext"><VALUE>` + m[1] + `</VALUE></IPARAMVALUE><IPARAMVALUE NAME="MaxObjectCount"><VALUE>10</VALUE></IPARAMVALUE>`
	if code := cimError(t, s.addr, "PullInstancePaths", "root/cimv2", pull); code != "21" {
		t.Errorf("PullInstancePaths on an instance enumeration: error %q, want 21", code)
	}
	body = callOK(t, s.addr, "PullInstancesWithPath", "root/cimv2", pull)
	if n := strings.Count(body, "<VALUE.INSTANCEWITHPATH>"); n != 1 {
		t.Errorf("Pull returned %d instances, want the remaining 1:\n%s", n, body)
	}
	if e := eosRx.FindStringSubmatch(body); e == nil || e[1] != "TRUE" {
		t.Errorf("Pull: want EndOfSequence TRUE:\n%s", body)
	}
	if code := cimError(t, s.addr, "PullInstancesWithPath", "root/cimv2", pull); code != "21" {
		t.Errorf("Pull after the end: error %q, want 21", code)
	}

	// Paths, filtered with FQL, then closed before the end.
	body = callOK(t, s.addr, "OpenEnumerateInstancePaths", "root/cimv2",
		`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TST_Person"/></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="FilterQueryLanguage"><VALUE>DMTF:FQL</VALUE></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="FilterQuery"><VALUE>Age &lt; 10</VALUE></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="MaxObjectCount"><VALUE>0</VALUE></IPARAMVALUE>`)
	m = contextRx.FindStringSubmatch(body)
	if m == nil || m[1] == "" || strings.Contains(body, "<INSTANCEPATH>") {
		t.Fatalf("Open with MaxObjectCount 0: want no paths and a context:\n%s", body)
	}
	body = callOK(t, s.addr, "PullInstancePaths", "root/cimv2",
		`<IPARAMVALUE NAME="EnumerationContext"><VALUE>`+m[1]+`</VALUE></IPARAMVALUE><IPARAMVALUE NAME="MaxObjectCount"><VALUE>5</VALUE></IPARAMVALUE>`)
	if !strings.Contains(body, ">Bob<") || strings.Contains(body, ">Alice<") {
		t.Errorf("FQL filter Age < 10: want Bob only:\n%s", body)
	}
	if code := cimError(t, s.addr, "CloseEnumeration", "root/cimv2", `<IPARAMVALUE NAME="EnumerationContext"><VALUE>no-such-context</VALUE></IPARAMVALUE>`); code != "21" {
		t.Errorf("CloseEnumeration of an unknown context: error %q, want 21", code)
	}
	if code := cimError(t, s.addr, "OpenEnumerateInstances", "root/cimv2",
		`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TST_Person"/></IPARAMVALUE><IPARAMVALUE NAME="ContinueOnError"><VALUE>TRUE</VALUE></IPARAMVALUE>`); code != "26" {
		t.Errorf("ContinueOnError: error %q, want 26", code)
	}
}

func TestGetCentralInstances(t *testing.T) {
	s := startServer(t)
	body := `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="9" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<METHODCALL NAME="GetCentralInstances"><LOCALINSTANCEPATH>` + localNS("interop") +
		`<INSTANCENAME CLASSNAME="CIM_RegisteredProfile"><KEYBINDING NAME="InstanceID"><KEYVALUE VALUETYPE="string" TYPE="string">DMTF+Profile Registration+1.0.0</KEYVALUE></KEYBINDING></INSTANCENAME>` +
		`</LOCALINSTANCEPATH></METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
	resp, rbody := cimPost(t, s.addr, "GetCentralInstances", `interop:CIM_RegisteredProfile.InstanceID="DMTF+Profile Registration+1.0.0"`, body)
	if resp.StatusCode != 200 || !strings.Contains(rbody, `<RETURNVALUE PARAMTYPE="uint8"><VALUE>0</VALUE></RETURNVALUE>`) ||
		!strings.Contains(rbody, `<PARAMVALUE NAME="CentralInstances" PARAMTYPE="reference">`) || !strings.Contains(rbody, `CLASSNAME="CIM_ObjectManager"`) {
		t.Errorf("GetCentralInstances: HTTP %d\n%s", resp.StatusCode, rbody)
	}
}
