package cimom

import (
	"context"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// enumBody is wbemcli's `ei` of TST_Person.
func enumBody() string { return intrinsicBody("EnumerateInstances", "TST_Person") }

// enumRequest is an EnumerateInstances request, with TE: trailers when te.
func enumRequest(te bool) request {
	var extra []string
	if te {
		extra = append(extra, "TE: trailers")
	}
	return cimRequest("EnumerateInstances", "root%2Fcimv2", enumBody(), extra...)
}

// big is a number of instances whose response is well over the 64 KiB buffer.
const big = 1000

func TestStreaming(t *testing.T) {
	broken := cim.Errorf(cim.StatusFailed, "provider died")
	tests := []struct {
		name  string
		n     int   // instances before the end or the error
		err   error // what the sequence yields last
		te    bool
		proto string
		// what the response must show
		chunked     bool
		trailerCode string // "": no CIMStatusCode trailer
		trailerDesc string
		errorCode   string // the ERROR element's CODE, "" for none
		logged      bool   // the failure is in the log line
	}{
		{name: "small, TE trailers", n: 3, te: true},
		{name: "big, TE trailers", n: big, te: true, chunked: true, trailerCode: "0"},
		{name: "big, no TE", n: big, chunked: true},
		{name: "big, HTTP/1.0", n: big, proto: "HTTP/1.0"},
		{name: "error within the buffer", n: 3, err: broken, te: true, errorCode: "1", logged: true},
		{name: "error after 64 KiB, TE trailers", n: big, err: broken, te: true, chunked: true,
			trailerCode: "1", trailerDesc: "CIM_ERR_FAILED: provider died", logged: true},
		{name: "error after 64 KiB, no TE", n: big, err: broken, chunked: true, logged: true},
		{name: "error, HTTP/1.0", n: big, err: broken, proto: "HTTP/1.0", errorCode: "1", logged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
				return &cim.Result{Objects: instances(tt.n, tt.err)}, nil
			})
			s := newServer(t, d, Options{})
			rq := enumRequest(tt.te)
			rq.proto = tt.proto
			resp := s.roundTrip(t, rq)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if resp.bodyErr != nil {
				t.Fatalf("reading the body: %v", resp.bodyErr)
			}
			isChunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
			if isChunked != tt.chunked {
				t.Errorf("chunked %v, want %v (Transfer-Encoding %v)", isChunked, tt.chunked, resp.TransferEncoding)
			}
			if !tt.chunked && resp.ContentLength != int64(len(resp.body)) {
				t.Errorf("Content-Length %d for a body of %d bytes", resp.ContentLength, len(resp.body))
			}
			if got := resp.Trailer.Get("CIMStatusCode"); got != tt.trailerCode {
				t.Errorf("trailer CIMStatusCode %q, want %q", got, tt.trailerCode)
			}
			if got := resp.Trailer.Get("CIMStatusCodeDescription"); got != tt.trailerDesc {
				t.Errorf("trailer CIMStatusCodeDescription %q, want %q", got, tt.trailerDesc)
			}
			if tt.trailerCode != "" {
				head, _, _ := strings.Cut(resp.raw, "\r\n\r\n")
				if !strings.Contains(head, "\r\nTrailer: CIMStatusCode, CIMStatusCodeDescription\r\n") {
					t.Errorf("no Trailer declaration in the header:\n%s", head)
				}
				if !strings.Contains(resp.raw, "\r\nCIMStatusCode: "+tt.trailerCode+"\r\n") {
					t.Errorf("no CIMStatusCode trailer spelled as DSP0200 does in the raw response tail %q",
						resp.raw[max(0, len(resp.raw)-200):])
				}
			}
			if got := errorCode(resp.body); got != tt.errorCode {
				t.Errorf("ERROR CODE %q, want %q", got, tt.errorCode)
			}
			if tt.errorCode != "" && strings.Contains(resp.body, "VALUE.NAMEDINSTANCE") {
				t.Error("an ERROR response holds instances")
			}
			if tt.err == nil && strings.Count(resp.body, "<VALUE.NAMEDINSTANCE>") != tt.n {
				t.Errorf("%d instances in the body, want %d", strings.Count(resp.body, "<VALUE.NAMEDINSTANCE>"), tt.n)
			}
			if !strings.HasSuffix(strings.TrimSpace(resp.body), "</CIM>") {
				t.Errorf("the document is not closed: ...%q", resp.body[max(0, len(resp.body)-100):])
			}
			logs := s.requestLogs()
			if len(logs) != 1 {
				t.Fatalf("%d request log lines", len(logs))
			}
			_, hasErr := logs[0].Data["error"]
			if hasErr != tt.logged {
				t.Errorf("error logged %v, want %v: %v", hasErr, tt.logged, logs[0].Data)
			}
			if tt.logged && logs[0].Data["cim_status"] != 1 {
				t.Errorf("logged cim_status %v", logs[0].Data["cim_status"])
			}
		})
	}
}

// TestStreamPanic: a panic of the result sequence after the 200 went out cuts the
// connection, or, with TE: trailers, ends with CIMStatusCode 1.
func TestStreamPanic(t *testing.T) {
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		return &cim.Result{Objects: func(yield func(cim.Object, error) bool) {
			instances(big, nil)(yield)
			panic("iterator bug")
		}}, nil
	})
	s := newServer(t, d, Options{})
	resp := s.roundTrip(t, enumRequest(false))
	if resp.bodyErr == nil {
		t.Error("without trailers, the connection was not cut")
	}
	resp = s.roundTrip(t, enumRequest(true))
	if resp.bodyErr != nil || resp.Trailer.Get("CIMStatusCode") != "1" {
		t.Errorf("with trailers: body error %v, CIMStatusCode %q", resp.bodyErr, resp.Trailer.Get("CIMStatusCode"))
	}
	// Before any output, a panic is a 500.
	d2 := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		return &cim.Result{Objects: func(yield func(cim.Object, error) bool) { panic("early") }}, nil
	})
	s2 := newServer(t, d2, Options{})
	if resp := s2.roundTrip(t, enumRequest(true)); resp.StatusCode != 500 {
		t.Errorf("early panic: status %d, want 500", resp.StatusCode)
	}
}

// TestStreamKeepAlive: a streamed response leaves the connection usable.
func TestStreamKeepAlive(t *testing.T) {
	s := newServer(t, defaultDoer(big), Options{})
	c := dial(t, s.addr())
	for i := 0; i < 2; i++ {
		resp := c.do(enumRequest(true))
		if resp.StatusCode != 200 || resp.Trailer.Get("CIMStatusCode") != "0" || resp.Close {
			t.Fatalf("request %d: status %d, CIMStatusCode %q, close %v", i+1, resp.StatusCode, resp.Trailer.Get("CIMStatusCode"), resp.Close)
		}
	}
}
