package secpolicy

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

type fakeAttestor struct {
	nonce []byte
	err   error
}

func (a *fakeAttestor) AttestPolicy(_ context.Context, nonce []byte) (PolicyEvidence, error) {
	a.nonce = nonce
	return PolicyEvidence{Quote: []byte{1, 2}, Signature: []byte{3}, AKPublicPEM: []byte("PEM"),
		PolicyHash: "ab", PCRValue: []byte{0xcd}, EventLog: []string{"01", "ab"}}, a.err
}

func TestAttestPolicy(t *testing.T) {
	ctx := context.Background()
	nonce := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	call := func(p *Provider, n string) (uint32, []cim.ParamValue, error) {
		ret, out, err := p.InvokeMethod(ctx, Namespace, p.ServicePath(), "AttestPolicy", []cim.ParamValue{pv("Nonce", n)})
		code, _ := ret.(uint32)
		return code, out, err
	}
	str := func(out []cim.ParamValue, name string) any {
		if p := providers.Param(out, name); p != nil {
			return p.Value
		}
		return nil
	}

	f := newFake(t)
	a := &fakeAttestor{}
	p := New(Options{Toolstack: f, HostName: testHost, Attestor: a})
	code, out, err := call(p, nonce)
	if err != nil || code != 0 {
		t.Fatalf("AttestPolicy: %d, %v", code, err)
	}
	if string(a.nonce) != "0123456789abcdef" {
		t.Errorf("the attestor got nonce %q", a.nonce)
	}
	for name, want := range map[string]any{"Quote": "AQI=", "Signature": "Aw==", "AKPublic": "PEM",
		"PolicyHash": "ab", "PCRValue": "cd", "Message": ""} {
		if got := str(out, name); got != want {
			t.Errorf("OUT %s = %#v, want %#v", name, got, want)
		}
	}
	if got, _ := str(out, "EventLog").([]any); len(got) != 2 || got[1] != "ab" {
		t.Errorf("OUT EventLog = %#v", str(out, "EventLog"))
	}

	for _, bad := range []string{"", "AAAA", "!!", base64.StdEncoding.EncodeToString(make([]byte, 65))} {
		if _, _, err := call(p, bad); cim.StatusOf(err) != cim.StatusInvalidParameter {
			t.Errorf("nonce %q: %v, want CIM_ERR_INVALID_PARAMETER", bad, err)
		}
	}

	a.err = errors.New("TPM gone")
	if code, out, err := call(p, nonce); err != nil || code != uint32(acm.XSErrGeneralFailure) || str(out, "Message") == "" {
		t.Errorf("failing attestor: %d %v %v", code, str(out, "Message"), err)
	}
	p = New(Options{Toolstack: f, HostName: testHost})
	if code, out, err := call(p, nonce); err != nil || code != uint32(acm.XSErrGeneralFailure) || str(out, "Message") == "" {
		t.Errorf("no attestor: %d %v %v", code, str(out, "Message"), err)
	}
}
