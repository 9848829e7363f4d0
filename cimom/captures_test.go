package cimom

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// captures holds the raw HTTP requests of the real clients (wbemcli 1.6.3,
// pywbemcli), recorded by the project outside this repository.
const captures = "../../shared/clients/wbemcli-captures"

// TestClientCaptures replays every recorded client request byte for byte: each one
// must pass the HTTP checks (headers, CIMObject against the XML target, Basic
// credentials) and be answered with 200 and a response for its method. The fake
// dispatcher answers CIM_ERR_NOT_FOUND to everything, so only the HTTP layer (and the
// decoder) is under test.
func TestClientCaptures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(captures, "*.raw"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(captures, "pywbemcli", "*.raw"))
	files = append(files, more...)
	if len(files) < 40 {
		t.Fatalf("only %d captures in %s", len(files), captures)
	}
	var ops []cim.Op
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		ops = append(ops, op)
		return nil, cim.Errorf(cim.StatusNotFound, "nothing here")
	})
	auth := AuthenticatorFunc(func(r *http.Request) (string, bool) {
		u, p, ok := r.BasicAuth()
		if !ok {
			return "", true // the other captures carry no credentials
		}
		return u, u == "user" && p == "pw"
	})
	s := newServer(t, d, Options{Authenticator: auth})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
			var method string
			for _, line := range strings.Split(head, "\r\n") {
				if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, "CIMMethod") {
					method = v
				}
			}
			ops = nil
			c := dial(t, s.addr())
			if _, err := c.c.Write(raw); err != nil {
				t.Fatal(err)
			}
			resp := c.read()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d, CIMError %q", resp.StatusCode, resp.Header.Get("CIMError"))
			}
			if resp.Header.Get("CIMOperation") != "MethodResponse" {
				t.Errorf("CIMOperation %q", resp.Header.Get("CIMOperation"))
			}
			if !strings.Contains(resp.body, `RESPONSE NAME="`+method+`">`) {
				t.Errorf("no response for %s: %s", method, resp.body)
			}
			if len(ops) != 1 {
				t.Fatalf("%d operations dispatched, want 1", len(ops))
			}
			if code := errorCode(resp.body); code != "6" {
				t.Errorf("ERROR CODE %q, want the dispatcher's 6", code)
			}
		})
	}
}
