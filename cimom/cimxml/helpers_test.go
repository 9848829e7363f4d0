package cimxml

import (
	"bufio"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// capturesDir holds the raw HTTP requests of the real clients (outside the project).
const capturesDir = "../../../shared/clients/wbemcli-captures"

// readCapture returns the body of a raw HTTP request file.
func readCapture(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading capture: %v", err)
	}
	s := string(b)
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		return s[i+4:]
	}
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[i+2:]
	}
	t.Fatalf("%s: no end of headers", path)
	return ""
}

// call wraps IPARAMVALUEs into a whole IMETHODCALL request for root/cimv2.
func call(method, params string) string {
	return `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="7" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<IMETHODCALL NAME="` + method + `"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>` +
		params + `</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

// mcall wraps a target path and PARAMVALUEs into a METHODCALL request.
func mcall(method, target, params string) string {
	return `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="8" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<METHODCALL NAME="` + method + `">` + target + params + `</METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

func ip(name, content string) string {
	return `<IPARAMVALUE NAME="` + name + `">` + content + `</IPARAMVALUE>`
}

func val(s string) string { return "<VALUE>" + s + "</VALUE>" }

func cn(name string) string { return `<CLASSNAME NAME="` + name + `"/>` }

const aliceName = `<INSTANCENAME CLASSNAME="TST_Person"><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">Alice</KEYVALUE></KEYBINDING></INSTANCENAME>`

const ns = "root/cimv2"

var base = cim.Base{Namespace: ns}

func alice() *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: ns, ClassName: "TST_Person", Keys: []cim.KeyBinding{{Name: "Name", Value: "Alice"}}}
}

func personClass() *cim.ObjectPath { return &cim.ObjectPath{Namespace: ns, ClassName: "TST_Person"} }

func u32(v uint32) *uint32 { return &v }

// mustDecode decodes body and fails on a protocol error.
func mustDecode(t *testing.T, body string) *Request {
	t.Helper()
	req, err := Decode(strings.NewReader(body))
	if err != nil {
		t.Fatalf("Decode = %v, want no error", err)
	}
	return req
}

// protoErr decodes body and returns its *ProtocolError, failing when there is none.
func protoErr(t *testing.T, body string) *ProtocolError {
	t.Helper()
	_, err := Decode(strings.NewReader(body))
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("Decode = %v, want a *ProtocolError", err)
	}
	return pe
}

func checkOp(t *testing.T, got, want cim.Op) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Op =\n%#v\nwant\n%#v", got, want)
	}
}

func deepEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

func newBuf(w io.Writer) *bufio.Writer { return bufio.NewWriter(w) }
