package cimom

import (
	"testing"
	"time"
)

func TestParseMan(t *testing.T) {
	tests := []struct {
		in    []string
		ns    string
		found bool
	}{
		{[]string{"http://www.dmtf.org/cim/mapping/http/v1.0;ns=73"}, "73", true},
		{[]string{`"http://www.dmtf.org/cim/mapping/http/v1.0" ; ns=08`}, "08", true},
		{[]string{`"http://example.com/x"; ns=10, "http://www.dmtf.org/cim/mapping/http/v1.0"; ns=11`}, "11", true},
		{[]string{"HTTP://WWW.DMTF.ORG/cim/mapping/http/v1.0; NS=5"}, "5", true},
		{[]string{"http://www.dmtf.org/cim/mapping/http/v1.0"}, "", false},
		{[]string{"http://www.dmtf.org/cim/mapping/http/v1.0;ns=7a"}, "", false},
		{[]string{"http://example.com/x;ns=10"}, "", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		ns, found := parseMan(tt.in)
		if ns != tt.ns || found != tt.found {
			t.Errorf("parseMan(%q) = %q, %v; want %q, %v", tt.in, ns, found, tt.ns, tt.found)
		}
	}
}

func TestCheckContentType(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`application/xml; charset="utf-8"`, true},
		{`application/xml; charset=utf-8`, true},
		{`Application/XML; Charset="UTF-8"`, true},
		{`text/xml`, true},
		{`text/xml;charset=utf-8`, true},
		{`application/xml; charset="utf-16"`, false},
		{`text/plain; charset=utf-8`, false},
		{`application/soap+xml`, false},
		{`application/xml; charset=`, false},
		{``, false},
	}
	for _, tt := range tests {
		if err := checkContentType(tt.in); (err == nil) != tt.ok {
			t.Errorf("checkContentType(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestAcceptsTrailers(t *testing.T) {
	tests := []struct {
		in   []string
		want bool
	}{
		{[]string{"trailers"}, true},
		{[]string{"deflate;q=0.5, Trailers"}, true},
		{[]string{"chunked"}, true},
		{[]string{"gzip", "trailers"}, true},
		{[]string{"gzip"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := acceptsTrailers(tt.in); got != tt.want {
			t.Errorf("acceptsTrailers(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestBodyTimeout: a client that stops sending its body is answered once the
// deadline passes. The clock is set an hour back, so the deadline has passed already
// and the test waits for nothing.
func TestBodyTimeout(t *testing.T) {
	s := newServer(t, defaultDoer(0), Options{
		BodyTimeout: time.Minute,
		Now:         func() time.Time { return time.Now().Add(-time.Hour) },
	})
	c := dial(t, s.addr())
	rq := cimRequest("GetClass", "root%2Fcimv2", "<?xml", "Content-Length: 1000")
	rq.noLength = true
	// Guards against a hang only: the answer comes at once.
	if err := c.c.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if resp := c.do(rq); resp.StatusCode != 400 {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}
