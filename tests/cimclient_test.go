package tests

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// cimPost sends one CIM-XML request body to the server at addr and returns the HTTP
// response and its body. object is the CIMObject header (the namespace for an
// intrinsic call).
func cimPost(t *testing.T, addr, method, object, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+addr+"/cimom", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header["CIMOperation"] = []string{"MethodCall"}
	req.Header["CIMMethod"] = []string{method}
	req.Header["CIMObject"] = []string{url.PathEscape(object)}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// localNS is the LOCALNAMESPACEPATH of ns.
func localNS(ns string) string {
	var b strings.Builder
	b.WriteString("<LOCALNAMESPACEPATH>")
	for _, p := range strings.Split(ns, "/") {
		fmt.Fprintf(&b, `<NAMESPACE NAME="%s"/>`, p)
	}
	b.WriteString("</LOCALNAMESPACEPATH>")
	return b.String()
}

// imethod is the body of an intrinsic call with the given IPARAMVALUE elements.
func imethod(name, ns, params string) string {
	return `<?xml version="1.0" encoding="utf-8" ?>` +
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="77" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<IMETHODCALL NAME="` + name + `">` + localNS(ns) + params + `</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

// callOK runs an intrinsic method and fails the test unless it succeeded (HTTP 200,
// no ERROR element); it returns the response body.
func callOK(t *testing.T, addr, name, ns, params string) string {
	t.Helper()
	resp, body := cimPost(t, addr, name, ns, imethod(name, ns, params))
	if resp.StatusCode != 200 || strings.Contains(body, "<ERROR") {
		t.Fatalf("%s: HTTP %d\n%s", name, resp.StatusCode, body)
	}
	return body
}

// cimError runs an intrinsic method and returns the CODE of the ERROR it answered
// ("" if none).
func cimError(t *testing.T, addr, name, ns, params string) string {
	t.Helper()
	resp, body := cimPost(t, addr, name, ns, imethod(name, ns, params))
	if resp.StatusCode != 200 {
		t.Fatalf("%s: HTTP %d\n%s", name, resp.StatusCode, body)
	}
	i := strings.Index(body, `<ERROR CODE="`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(`<ERROR CODE="`):]
	return rest[:strings.IndexByte(rest, '"')]
}
