package cimom

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// TestStatusTable runs every row of the status table of cimxml.md §1.5, in its order,
// with raw requests.
func TestStatusTable(t *testing.T) {
	gc := getClassBody("root/cimv2", "TST_Person")
	okHeaders := cimRequest("GetClass", "root%2Fcimv2", gc).header
	without := func(name string) []string {
		var out []string
		for _, h := range okHeaders {
			if !strings.HasPrefix(strings.ToLower(h), strings.ToLower(name)+":") {
				out = append(out, h)
			}
		}
		return out
	}
	with := func(name, value string) []string {
		return append(without(name), name+": "+value)
	}
	tests := []struct {
		name     string
		rq       request
		status   int
		cimError string // "-": must be absent
		header   map[string]string
	}{
		{name: "GET", rq: request{method: "GET", header: []string{"Host: x"}, noLength: true},
			status: 405, cimError: "-", header: map[string]string{"Allow": "POST, M-POST"}},
		{name: "PUT on /", rq: request{method: "PUT", path: "/", header: okHeaders, body: gc},
			status: 405, header: map[string]string{"Allow": "POST, M-POST"}},
		{name: "other path", rq: request{path: "/other", header: okHeaders, body: gc}, status: 404},
		{name: "M-POST on HTTP/1.0", rq: request{method: "M-POST", proto: "HTTP/1.0",
			header: append(okHeaders, "Man: http://www.dmtf.org/cim/mapping/http/v1.0;ns=73"), body: gc}, status: 400},
		{name: "M-POST without Man", rq: request{method: "M-POST", header: okHeaders, body: gc}, status: 400},
		{name: "M-POST of another extension", rq: request{method: "M-POST",
			header: append(okHeaders, `Man: "http://example.com/ext"; ns=12`), body: gc}, status: 510},
		{name: "HTTP/1.1 without Host", rq: request{header: without("Host"), body: gc}, status: 400},
		{name: "HTTP/1.0 without Host", rq: request{proto: "HTTP/1.0", header: without("Host"), body: gc}, status: 200},
		{name: "differing Content-Length", rq: request{header: append(okHeaders, "Content-Length: 3"), body: gc}, status: 400},
		// net/http collapses repeated identical values (RFC 9110 §8.6) before the
		// handler sees them, and answers a repeated Transfer-Encoding with 501.
		{name: "identical Content-Length twice", rq: request{header: append(okHeaders, "Content-Length: "+strconv.Itoa(len(gc))), body: gc}, status: 200},
		{name: "Transfer-Encoding twice", rq: request{header: append(okHeaders, "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
			noLength: true, body: "0\r\n\r\n"}, status: 501},
		{name: "bad Content-Length", rq: request{header: append(okHeaders, "Content-Length: ten"), noLength: true, body: gc}, status: 400},
		{name: "no Content-Length", rq: request{header: okHeaders, noLength: true}, status: 411},
		{name: "unknown Transfer-Encoding", rq: request{header: append(okHeaders, "Transfer-Encoding: gzip"), noLength: true, body: gc}, status: 501},
		{name: "CIMOperation MethodResponse", rq: request{header: with("CIMOperation", "MethodResponse"), body: gc},
			status: 400, cimError: "unsupported-operation"},
		{name: "CIMOperation any case", rq: request{header: with("CIMOperation", "methodcall"), body: gc}, status: 200},
		{name: "CIMOperation twice", rq: request{header: append(okHeaders, "CIMOperation: MethodCall"), body: gc},
			status: 400, cimError: "unsupported-operation"},
		{name: "no CIMOperation", rq: request{header: without("CIMOperation"), body: gc}, status: 400, cimError: "-"},
		{name: "CIMBatch", rq: request{header: append(okHeaders, "CIMBatch: CIMBatch"), body: gc},
			status: 501, cimError: "multiple-requests-unsupported"},
		{name: "Content-Type text/plain", rq: request{header: with("Content-Type", "text/plain"), body: gc}, status: 400, cimError: "-"},
		{name: "Content-Type latin-1", rq: request{header: with("Content-Type", "application/xml; charset=iso-8859-1"), body: gc}, status: 400},
		{name: "no Content-Type", rq: request{header: without("Content-Type"), body: gc}, status: 400},
		{name: "Content-Type text/xml", rq: request{header: with("Content-Type", "text/xml; charset=UTF-8"), body: gc}, status: 200},
		{name: "Content-Type without charset", rq: request{header: with("Content-Type", "application/xml"), body: gc}, status: 200},
		{name: "body not UTF-8", rq: request{header: okHeaders, body: strings.Replace(gc, "TST_Person", "TST_P\xe9rson", 1)},
			status: 400, cimError: "request-not-valid"},
		{name: "not well-formed", rq: request{header: okHeaders, body: strings.Replace(gc, "</SIMPLEREQ>", "</SIMPLEREQX>", 1)},
			status: 400, cimError: "request-not-well-formed"},
		{name: "not valid", rq: request{header: okHeaders, body: strings.Replace(gc, `<CLASSNAME NAME="TST_Person"/>`, `<CLASSNAME/>`, 1)},
			status: 400, cimError: "request-not-valid"},
		{name: "CIMVERSION 3.0", rq: request{header: okHeaders, body: strings.Replace(gc, `CIMVERSION="2.0"`, `CIMVERSION="3.0"`, 1)},
			status: 501, cimError: "unsupported-cim-version"},
		{name: "DTDVERSION 3.0", rq: request{header: okHeaders, body: strings.Replace(gc, `DTDVERSION="2.0"`, `DTDVERSION="3.0"`, 1)},
			status: 501, cimError: "unsupported-dtd-version"},
		{name: "PROTOCOLVERSION 2.0", rq: request{header: without("CIMProtocolVersion"), body: strings.Replace(gc, `PROTOCOLVERSION="1.0"`, `PROTOCOLVERSION="2.0"`, 1)},
			status: 501, cimError: "unsupported-protocol-version"},
		{name: "CIMProtocolVersion 2.0", rq: request{header: with("CIMProtocolVersion", "2.0"), body: gc},
			status: 501, cimError: "unsupported-protocol-version"},
		{name: "CIMProtocolVersion 1.1 against 1.0", rq: request{header: with("CIMProtocolVersion", "1.1"), body: gc},
			status: 400, cimError: "header-mismatch"},
		{name: "no CIMProtocolVersion", rq: request{header: without("CIMProtocolVersion"), body: gc}, status: 200},
		{name: "CIMMethod differs", rq: request{header: with("CIMMethod", "GetInstance"), body: gc},
			status: 400, cimError: "header-mismatch"},
		{name: "no CIMMethod", rq: request{header: without("CIMMethod"), body: gc}, status: 400, cimError: "header-mismatch"},
		{name: "CIMObject differs", rq: request{header: with("CIMObject", "root%2Finterop"), body: gc},
			status: 400, cimError: "header-mismatch"},
		{name: "no CIMObject", rq: request{header: without("CIMObject"), body: gc}, status: 400, cimError: "header-mismatch"},
		{name: "success", rq: request{header: okHeaders, body: gc}, status: 200, cimError: "-",
			header: map[string]string{"Content-Type": `application/xml; charset="utf-8"`, "CIMOperation": "MethodResponse"}},
		{name: "success on /", rq: request{path: "/", header: okHeaders, body: gc}, status: 200},
	}
	s := newServer(t, defaultDoer(1), Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.roundTrip(t, tt.rq)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tt.status, resp.body)
			}
			got := resp.Header.Get("CIMError")
			switch tt.cimError {
			case "":
			case "-":
				if got != "" {
					t.Errorf("CIMError %q, want none", got)
				}
			default:
				if got != tt.cimError {
					t.Errorf("CIMError %q, want %q", got, tt.cimError)
				}
			}
			for k, v := range tt.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if tt.status == 200 && !strings.Contains(resp.body, `<IMETHODRESPONSE NAME="GetClass">`) {
				t.Errorf("no GetClass response in %q", resp.body)
			}
		})
	}
}

// TestExactHeaderSpelling checks the CIM header names go out as DSP0200 spells them
// (cimxml.md §1.8), and the 64 KiB buffer gives small answers a Content-Length.
func TestExactHeaderSpelling(t *testing.T) {
	s := newServer(t, defaultDoer(1), Options{})
	resp := s.roundTrip(t, cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "TST_Person")))
	head, _, _ := strings.Cut(resp.raw, "\r\n\r\n")
	for _, want := range []string{"\r\nCIMOperation: MethodResponse\r\n", "\r\nContent-Length: "} {
		if !strings.Contains(head, want) {
			t.Errorf("no %q in the response header:\n%s", want, head)
		}
	}
	if resp.ContentLength != int64(len(resp.body)) {
		t.Errorf("Content-Length %d, body of %d bytes", resp.ContentLength, len(resp.body))
	}
	if !strings.HasPrefix(resp.body, "<?xml") {
		t.Errorf("body does not start with the XML declaration: %q", resp.body)
	}
}

func TestMPost(t *testing.T) {
	var gotOp cim.Op
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		gotOp = op
		return defaultDoer(0)(ctx, op)
	})
	s := newServer(t, d, Options{})
	body := getClassBody("root/cimv2", "TST_Person")
	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"prefixed", []string{
			"Host: localhost",
			`Content-Type: application/xml; charset="utf-8"`,
			"Man: http://www.dmtf.org/cim/mapping/http/v1.0 ; ns=73",
			"73-CIMProtocolVersion: 1.0",
			"73-CIMOperation: MethodCall",
			"73-CIMMethod: GetClass",
			"73-CIMObject: root%2Fcimv2",
		}, 200},
		{"quoted URI, plain names", []string{
			"Host: localhost",
			`Content-Type: application/xml; charset="utf-8"`,
			`Man: "http://www.dmtf.org/cim/mapping/http/v1.0"; ns=11`,
			"CIMOperation: MethodCall",
			"CIMMethod: GetClass",
			"CIMObject: root%2Fcimv2",
		}, 200},
		{"prefixed mismatch", []string{
			"Host: localhost",
			`Content-Type: application/xml; charset="utf-8"`,
			"Man: http://www.dmtf.org/cim/mapping/http/v1.0;ns=73",
			"73-CIMOperation: MethodCall",
			"73-CIMMethod: DeleteClass",
			"CIMMethod: GetClass",
			"73-CIMObject: root%2Fcimv2",
		}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotOp = nil
			resp := s.roundTrip(t, request{method: "M-POST", header: tt.header, body: body})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			ns := "73"
			if tt.name != "prefixed" {
				ns = "11"
			}
			head, _, _ := strings.Cut(resp.raw, "\r\n\r\n")
			for _, want := range []string{"\r\nExt: \r\n", "\r\n" + ns + "-CIMOperation: MethodResponse\r\n",
				"\r\nMan: http://www.dmtf.org/cim/mapping/http/v1.0;ns=" + ns + "\r\n"} {
				if !strings.Contains(head, want) {
					t.Errorf("no %q in the response header:\n%s", want, head)
				}
			}
			if gc, ok := gotOp.(*cim.GetClass); !ok || gc.ClassName != "TST_Person" {
				t.Errorf("dispatcher got %#v", gotOp)
			}
		})
	}
}

func TestHeaderMismatch(t *testing.T) {
	s := newServer(t, defaultDoer(0), Options{})
	const numericKey = `<KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">42</KEYVALUE></KEYBINDING>`
	tests := []struct {
		name, method, object, body string
		ok                         bool
	}{
		{"intrinsic", "GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "C"), true},
		{"intrinsic unencoded", "GetClass", "root/cimv2", getClassBody("root/cimv2", "C"), true},
		{"intrinsic case and slashes", "GetClass", "/ROOT%2FCimV2/", getClassBody("root/cimv2", "C"), true},
		{"intrinsic other namespace", "GetClass", "root%2Fcimv3", getClassBody("root/cimv2", "C"), false},
		{"intrinsic bad escape", "GetClass", "root%2Gcimv2", getClassBody("root/cimv2", "C"), false},
		{"method case", "getclass", "root%2Fcimv2", getClassBody("root/cimv2", "C"), true},
		{"method percent-encoded", "Get%43lass", "root%2Fcimv2", getClassBody("root/cimv2", "C"), true},
		{"method bad escape", "GetClass%", "root%2Fcimv2", getClassBody("root/cimv2", "C"), false},
		{"instance as wbemcli", "Ping", `root%2Fcimv2%3ATST_Person.Name="Alice"`, invokeBody(aliceKey), true},
		{"instance all encoded", "Ping", `root%2Fcimv2%3ATST_Person.Name%3D%22Alice%22`, invokeBody(aliceKey), true},
		{"instance class case", "Ping", `root/cimv2:tst_person.name="Alice"`, invokeBody(aliceKey), true},
		{"instance other key value", "Ping", `root%2Fcimv2%3ATST_Person.Name="Bob"`, invokeBody(aliceKey), false},
		{"instance key value case", "Ping", `root%2Fcimv2%3ATST_Person.Name="alice"`, invokeBody(aliceKey), false},
		{"instance other namespace", "Ping", `root%2Finterop%3ATST_Person.Name="Alice"`, invokeBody(aliceKey), false},
		{"instance no namespace", "Ping", `TST_Person.Name="Alice"`, invokeBody(aliceKey), false},
		{"instance as class", "Ping", `root%2Fcimv2%3ATST_Person`, invokeBody(aliceKey), false},
		{"instance two keys, order", "Ping", `root%2Fcimv2%3ATST_Person.Id=42,Name="Alice"`, invokeBody(aliceKey + numericKey), true},
		{"instance missing key", "Ping", `root%2Fcimv2%3ATST_Person.Name="Alice"`, invokeBody(aliceKey + numericKey), false},
		{"instance numeric key quoted", "Ping", `root%2Fcimv2%3ATST_Person.Id="42"`, invokeBody(numericKey), true},
		{"class", "Ping", `root%2Fcimv2%3ATST_Person`, invokeBody(""), true},
		{"class other", "Ping", `root%2Fcimv2%3ATST_Animal`, invokeBody(""), false},
		{"class not a path", "Ping", `root%2Fcimv2%3A`, invokeBody(""), false},
		{"extrinsic method differs", "Pong", `root%2Fcimv2%3ATST_Person`, invokeBody(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.roundTrip(t, cimRequest(tt.method, tt.object, tt.body))
			want, wantErr := 200, ""
			if !tt.ok {
				want, wantErr = 400, "header-mismatch"
			}
			if resp.StatusCode != want || resp.Header.Get("CIMError") != wantErr {
				t.Errorf("status %d CIMError %q, want %d %q", resp.StatusCode, resp.Header.Get("CIMError"), want, wantErr)
			}
		})
	}
}

func TestBasicAuth(t *testing.T) {
	var gotUser string
	type userKey struct{}
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		gotUser, _ = ctx.Value(userKey{}).(string)
		return defaultDoer(0)(ctx, op)
	})
	auth := AuthenticatorFunc(func(r *http.Request) (string, bool) {
		u, p, ok := r.BasicAuth()
		return u, ok && u == "user" && p == "pw"
	})
	s := newServer(t, d, Options{
		Authenticator: auth,
		WithUser: func(ctx context.Context, user string) context.Context {
			return context.WithValue(ctx, userKey{}, user)
		},
	})
	basic := func(up string) string { return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(up)) }
	tests := []struct {
		name   string
		extra  []string
		status int
	}{
		{"no credentials", nil, 401},
		{"wrong password", []string{basic("user:nope")}, 401},
		{"not basic", []string{"Authorization: Digest x"}, 401},
		{"valid", []string{basic("user:pw")}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotUser = ""
			s.hook.Reset()
			resp := s.roundTrip(t, cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "C"), tt.extra...))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 401 {
				if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="shypecim"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
				if gotUser != "" {
					t.Errorf("dispatcher called for an unauthenticated request")
				}
				return
			}
			if gotUser != "user" {
				t.Errorf("dispatcher saw user %q, want user", gotUser)
			}
			for _, e := range s.hook.AllEntries() {
				s, _ := e.String()
				if strings.Contains(s, "dXNlcjpwdw") || strings.Contains(strings.ToLower(s), "authorization") {
					t.Errorf("the log shows the credentials: %s", s)
				}
			}
		})
	}
}

// TestBodyLimit: 413 from Content-Length before reading, and from the body itself
// when it comes in chunks.
func TestBodyLimit(t *testing.T) {
	called := false
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		called = true
		return &cim.Result{}, nil
	})
	body := getClassBody("root/cimv2", "TST_Person")
	s := newServer(t, d, Options{MaxRequestBytes: int64(len(body) - 1)})
	resp := s.roundTrip(t, cimRequest("GetClass", "root%2Fcimv2", body))
	if resp.StatusCode != 413 {
		t.Errorf("Content-Length over the limit: status %d, want 413", resp.StatusCode)
	}
	chunked := cimRequest("GetClass", "root%2Fcimv2", "", "Transfer-Encoding: chunked")
	chunked.noLength = true
	chunked.body = strings.Join([]string{"100", body[:0x100], "1000", body[0x100:] + strings.Repeat(" ", 0x1000-len(body)+0x100), "0", "", ""}, "\r\n")
	resp = s.roundTrip(t, chunked)
	if resp.StatusCode != 413 {
		t.Errorf("chunked body over the limit: status %d, want 413", resp.StatusCode)
	}
	if called {
		t.Error("the dispatcher ran for a refused request")
	}
	// Within the limit, a chunked body is served.
	s2 := newServer(t, defaultDoer(0), Options{})
	chunked.body = strings.Join([]string{"100", body[:0x100], "1000", body[0x100:] + strings.Repeat(" ", 0x1000-len(body)+0x100), "0", "", ""}, "\r\n")
	if resp := s2.roundTrip(t, chunked); resp.StatusCode != 200 {
		t.Errorf("chunked body within the limit: status %d, want 200", resp.StatusCode)
	}
}

// TestOperationErrors: failures of the operation are 200 with an ERROR element.
func TestOperationErrors(t *testing.T) {
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		switch o := op.(type) {
		case *cim.GetClass:
			if o.ClassName == "Missing" {
				return nil, cim.Errorf(cim.StatusNotFound, "no class %s", o.ClassName)
			}
			return nil, errors.New("disk on fire")
		}
		return &cim.Result{}, nil
	})
	s := newServer(t, d, Options{})
	tests := []struct {
		name, method, body, code string
		notIn                    string
	}{
		{"unknown intrinsic method", "FrobnicateClass", intrinsicBody("FrobnicateClass", "C"), "7", ""},
		{"CIM error", "GetClass", getClassBody("root/cimv2", "Missing"), "6", ""},
		{"other error", "GetClass", getClassBody("root/cimv2", "Other"), "1", "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.hook.Reset()
			resp := s.roundTrip(t, cimRequest(tt.method, "root%2Fcimv2", tt.body))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			if got := errorCode(resp.body); got != tt.code {
				t.Errorf("ERROR CODE %q, want %q; body %s", got, tt.code, resp.body)
			}
			if !strings.Contains(resp.body, `<IMETHODRESPONSE NAME="`+tt.method+`">`) {
				t.Errorf("response does not name the method: %s", resp.body)
			}
			if tt.notIn != "" && strings.Contains(resp.body, tt.notIn) {
				t.Errorf("the cause %q went on the wire: %s", tt.notIn, resp.body)
			}
			logs := s.requestLogs()
			if len(logs) != 1 {
				t.Fatalf("%d request log lines, want 1", len(logs))
			}
			if got := logs[0].Data["cim_status"]; got != atoi(t, tt.code) {
				t.Errorf("logged cim_status %v, want %s", got, tt.code)
			}
		})
	}
}

func TestKeepAlive(t *testing.T) {
	calls := 0
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		calls++
		return defaultDoer(0)(ctx, op)
	})
	s := newServer(t, d, Options{})
	c := dial(t, s.addr())
	for i, class := range []string{"TST_A", "TST_B"} {
		resp := c.do(cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", class)))
		if resp.StatusCode != 200 || !strings.Contains(resp.body, `NAME="`+class+`"`) {
			t.Fatalf("request %d on the connection: status %d, body %q", i+1, resp.StatusCode, resp.body)
		}
		if resp.Close {
			t.Fatalf("request %d: the server closes the connection", i+1)
		}
	}
	// An HTTP-level refusal keeps the connection too.
	rq := cimRequest("GetClass", "root%2Fcimv3", getClassBody("root/cimv2", "TST_C"))
	if resp := c.do(rq); resp.StatusCode != 400 || resp.Close {
		t.Fatalf("mismatch: status %d close %v", resp.StatusCode, resp.Close)
	}
	if resp := c.do(cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "TST_D"))); resp.StatusCode != 200 {
		t.Fatalf("after a refusal: status %d", resp.StatusCode)
	}
	if calls != 3 {
		t.Errorf("%d dispatcher calls, want 3", calls)
	}
}

func TestDispatcherPanic(t *testing.T) {
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		if op.(*cim.GetClass).ClassName == "Bad" {
			panic("provider bug")
		}
		return defaultDoer(0)(ctx, op)
	})
	s := newServer(t, d, Options{})
	c := dial(t, s.addr())
	resp := c.do(cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "Bad")))
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if resp.Header.Get("CIMOperation") != "" {
		t.Errorf("a 500 carries CIMOperation %q", resp.Header.Get("CIMOperation"))
	}
	logs := s.requestLogs()
	if len(logs) != 1 || !strings.Contains(logs[0].Data["error"].(error).Error(), "provider bug") {
		t.Errorf("log: %v", logs)
	}
	// The server, and the connection, go on.
	if resp := c.do(cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "Good"))); resp.StatusCode != 200 {
		t.Errorf("after the panic: status %d", resp.StatusCode)
	}
}

func TestInvokeMethod(t *testing.T) {
	var got *cim.InvokeMethod
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		got, _ = op.(*cim.InvokeMethod)
		return &cim.Result{ReturnValue: uint32(0), ReturnType: cim.TypeUint32}, nil
	})
	s := newServer(t, d, Options{})
	resp := s.roundTrip(t, cimRequest("Ping", `root%2Fcimv2%3ATST_Person.Name="Alice"`, invokeBody(aliceKey)))
	if resp.StatusCode != 200 || !strings.Contains(resp.body, `<METHODRESPONSE NAME="Ping">`) {
		t.Fatalf("status %d body %s", resp.StatusCode, resp.body)
	}
	if got == nil || got.MethodName != "Ping" || got.Target == nil || got.Target.ClassName != "TST_Person" {
		t.Errorf("dispatcher got %#v", got)
	}
}

func TestLogLine(t *testing.T) {
	s := newServer(t, defaultDoer(0), Options{})
	s.roundTrip(t, cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "TST_Person")))
	logs := s.requestLogs()
	if len(logs) != 1 {
		t.Fatalf("%d info lines, want 1", len(logs))
	}
	for k, want := range map[string]any{"method": "POST", "cim_method": "GetClass", "namespace": "root/cimv2", "status": 200, "cim_status": 0} {
		if got := logs[0].Data[k]; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	for _, k := range []string{"duration", "bytes"} {
		if _, ok := logs[0].Data[k]; !ok {
			t.Errorf("no %s in the log line", k)
		}
	}
	if n, _ := logs[0].Data["bytes"].(int64); n < 100 {
		t.Errorf("bytes = %v", logs[0].Data["bytes"])
	}
}
