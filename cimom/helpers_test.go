package cimom

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/shypecim/shypecim/cimom/cim"
)

// doerFunc is a fake dispatcher.
type doerFunc func(ctx context.Context, op cim.Op) (*cim.Result, error)

func (f doerFunc) Do(ctx context.Context, op cim.Op) (*cim.Result, error) { return f(ctx, op) }

// testClass is the class the default fake dispatcher returns for GetClass.
func testClass(name string, props int) *cim.Class {
	c := &cim.Class{
		Name: name,
		Qualifiers: cim.Qualifiers{
			{Name: "Description", Type: cim.TypeString, Value: "A class for the tests of the HTTP layer."},
		},
	}
	for i := 0; i < props; i++ {
		c.Properties = append(c.Properties, cim.Property{
			Name:        fmt.Sprintf("Property%03d", i),
			Type:        cim.TypeString,
			Value:       fmt.Sprintf("default value of property %d", i),
			ClassOrigin: name,
			Qualifiers: cim.Qualifiers{
				{Name: "Description", Type: cim.TypeString, Value: fmt.Sprintf("Property %d of %s, described at some length so that the class is big.", i, name)},
			},
		})
	}
	c.Properties = append(c.Properties, cim.Property{
		Name: "Id", Type: cim.TypeString, ClassOrigin: name,
		Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true}},
	})
	return c
}

// testInstance returns instance i of TST_Person with a padding property, about
// 300 bytes on the wire.
func testInstance(i int) cim.Object {
	id := fmt.Sprintf("person-%06d", i)
	return cim.Object{
		Path: &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "TST_Person",
			Keys: []cim.KeyBinding{{Name: "Name", Value: id}}},
		Instance: &cim.Instance{ClassName: "TST_Person", Properties: []cim.Property{
			{Name: "Name", Type: cim.TypeString, Value: id},
			{Name: "Note", Type: cim.TypeString, Value: strings.Repeat("x", 200)},
		}},
	}
}

// instances yields n instances, then err if it is not nil.
func instances(n int, err error) func(yield func(cim.Object, error) bool) {
	return func(yield func(cim.Object, error) bool) {
		for i := 0; i < n; i++ {
			if !yield(testInstance(i), nil) {
				return
			}
		}
		if err != nil {
			yield(cim.Object{}, err)
		}
	}
}

// defaultDoer answers GetClass with a small class, EnumerateInstances with n
// instances, InvokeMethod with 0, anything else with an empty result.
func defaultDoer(n int) doerFunc {
	return func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		switch o := op.(type) {
		case *cim.GetClass:
			return &cim.Result{Class: testClass(o.ClassName, 2)}, nil
		case *cim.EnumerateInstances:
			return &cim.Result{Objects: instances(n, nil)}, nil
		case *cim.InvokeMethod:
			return &cim.Result{ReturnValue: uint32(0), ReturnType: cim.TypeUint32}, nil
		}
		return &cim.Result{}, nil
	}
}

// getClassBody is a GetClass request as wbemcli sends it.
func getClassBody(ns, class string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0">
<MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="GetClass">
<LOCALNAMESPACEPATH>`)
	for _, seg := range strings.Split(ns, "/") {
		fmt.Fprintf(&b, `<NAMESPACE NAME="%s"/>`, seg)
	}
	fmt.Fprintf(&b, `</LOCALNAMESPACEPATH>
<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="%s"/></IPARAMVALUE>
<IPARAMVALUE NAME="LocalOnly"><VALUE>FALSE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="IncludeQualifiers"><VALUE>TRUE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="IncludeClassOrigin"><VALUE>TRUE</VALUE></IPARAMVALUE>
</IMETHODCALL></SIMPLEREQ>
</MESSAGE></CIM>`, class)
	return b.String()
}

// intrinsicBody is an intrinsic call of method with one ClassName parameter.
func intrinsicBody(method, class string) string {
	return strings.ReplaceAll(getClassBody("root/cimv2", class), `NAME="GetClass"`, `NAME="`+method+`"`)
}

// invokeBody is wbemcli's `cm` of Ping on TST_Person.Name="Alice" (keys as
// KEYBINDINGs, or a class path when keys is empty).
func invokeBody(keys string) string {
	target := `<LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH><CLASSNAME NAME="TST_Person"/></LOCALCLASSPATH>`
	if keys != "" {
		target = `<LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH><INSTANCENAME CLASSNAME="TST_Person">` +
			keys + `</INSTANCENAME></LOCALINSTANCEPATH>`
	}
	return `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0">
<MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="Ping">` + target +
		`<PARAMVALUE NAME="Count"><VALUE>3</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ>
</MESSAGE></CIM>`
}

const aliceKey = `<KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">Alice</KEYVALUE></KEYBINDING>`

// request is a raw HTTP request.
type request struct {
	method, path, proto string   // defaults: POST, /cimom, HTTP/1.1
	header              []string // "Name: value" lines, exactly as sent
	noLength            bool     // do not add Content-Length
	body                string
}

// cimRequest is a POST of body with the headers wbemcli sends for a call of method
// on object, followed by extra.
func cimRequest(method, object, body string, extra ...string) request {
	h := []string{
		"Host: localhost",
		`Content-Type: application/xml; charset="utf-8"`,
		"CIMProtocolVersion: 1.0",
		"CIMOperation: MethodCall",
		"CIMMethod: " + method,
		"CIMObject: " + object,
	}
	return request{header: append(h, extra...), body: body}
}

func (rq request) bytes() []byte {
	var b bytes.Buffer
	method, path, proto := rq.method, rq.path, rq.proto
	if method == "" {
		method = "POST"
	}
	if path == "" {
		path = "/cimom"
	}
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(&b, "%s %s %s\r\n", method, path, proto)
	for _, h := range rq.header {
		b.WriteString(h + "\r\n")
	}
	if !rq.noLength {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(rq.body))
	}
	b.WriteString("\r\n" + rq.body)
	return b.Bytes()
}

// response is a response as read from the wire.
type response struct {
	*http.Response
	body    string
	raw     string // everything read from the connection for it
	bodyErr error  // the error reading the body ended with, if any
}

// conn is a client connection to a test server.
type conn struct {
	t   *testing.T
	c   net.Conn
	raw bytes.Buffer
	br  *bufio.Reader
}

func dial(t *testing.T, addr string) *conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cn := &conn{t: t, c: c}
	cn.br = bufio.NewReader(io.TeeReader(c, &cn.raw))
	return cn
}

// do sends rq and reads the response to it.
func (cn *conn) do(rq request) *response {
	cn.t.Helper()
	if _, err := cn.c.Write(rq.bytes()); err != nil {
		cn.t.Fatal(err)
	}
	return cn.read()
}

func (cn *conn) read() *response {
	cn.t.Helper()
	resp, err := readResponse(cn)
	if err != nil {
		cn.t.Fatalf("reading the response: %v", err)
	}
	return resp
}

// readResponse reads a response to a POST; unlike conn.read it may run outside the
// test's goroutine.
func readResponse(cn *conn) (*response, error) {
	cn.raw.Reset()
	resp, err := http.ReadResponse(cn.br, &http.Request{Method: "POST"})
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return &response{Response: resp, body: string(body), raw: cn.raw.String(), bodyErr: err}, nil
}

// testServer is a handler on a loopback listener, with its log captured.
type testServer struct {
	*httptest.Server
	hook *logtest.Hook
}

func newServer(t *testing.T, d Doer, opts Options) *testServer {
	t.Helper()
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	if opts.Logger == nil {
		opts.Logger = logrus.NewEntry(log)
	}
	s := httptest.NewServer(New(d, opts))
	t.Cleanup(s.Close)
	return &testServer{Server: s, hook: hook}
}

func (s *testServer) addr() string { return strings.TrimPrefix(s.URL, "http://") }

// roundTrip sends rq on a new connection.
func (s *testServer) roundTrip(t *testing.T, rq request) *response {
	t.Helper()
	return dial(t, s.addr()).do(rq)
}

// requestLogs returns the info/error lines of requests.
func (s *testServer) requestLogs() []*logrus.Entry {
	var out []*logrus.Entry
	for _, e := range s.hook.AllEntries() {
		if e.Level <= logrus.InfoLevel {
			out = append(out, e)
		}
	}
	return out
}

// errorCode returns the CODE of the ERROR element of a response body, or "".
func errorCode(body string) string {
	i := strings.Index(body, `<ERROR CODE="`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(`<ERROR CODE="`):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// atoi is strconv.Atoi that fails the test.
func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
