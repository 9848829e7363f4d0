package cimxml_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimxml"
)

func exportSample() *cim.Instance {
	policy := &cim.Instance{ClassName: "Xen_ACMPolicy", Properties: []cim.Property{
		{Name: "InstanceID", Type: cim.TypeString, Value: "Xen:ACMPolicy:1"},
		{Name: "PolicyName", Type: cim.TypeString, Value: `acme <&"'>`},
		{Name: "STETypes", Type: cim.TypeString, IsArray: true, Value: []any{"a", "b"}},
	}}
	old := &cim.Instance{ClassName: "Xen_ACMPolicy", Properties: []cim.Property{
		{Name: "PolicyName", Type: cim.TypeString, Value: "DEFAULT"},
	}}
	return &cim.Instance{ClassName: "Xen_PolicyChangeIndication", Properties: []cim.Property{
		{Name: "IndicationIdentifier", Type: cim.TypeString, Value: "shypecim:1"},
		{Name: "IndicationTime", Type: cim.TypeDatetime, Value: cim.Datetime("20261123154500.000000+000")},
		{Name: "SourceInstance", Type: cim.TypeString, Value: policy},
		{Name: "PreviousInstance", Type: cim.TypeString, Value: old},
		{Name: "SourceInstanceModelPath", Type: cim.TypeString, Value: `root/cimv2:Xen_ACMPolicy.InstanceID="Xen:ACMPolicy:1"`},
		{Name: "PerceivedSeverity", Type: cim.TypeUint16, Value: uint16(2)},
		{Name: "CorrelatedIndications", Type: cim.TypeString, IsArray: true},
	}}
}

func TestExportIndicationRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := cimxml.EncodeExportIndication(&buf, "1001", exportSample()); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	for _, want := range []string{
		`<SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication"><INSTANCE CLASSNAME="Xen_PolicyChangeIndication">`,
		`<PROPERTY NAME="SourceInstance" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME=&quot;Xen_ACMPolicy&quot;&gt;`,
		`<MESSAGE ID="1001" PROTOCOLVERSION="1.0">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("export request lacks %s:\n%s", want, body)
		}
	}
	id, ind, err := cimxml.DecodeExportIndication(buf.Bytes())
	if err != nil {
		t.Fatalf("decoding: %v\n%s", err, body)
	}
	if id != "1001" || ind.ClassName != "Xen_PolicyChangeIndication" {
		t.Fatalf("got id %q class %q", id, ind.ClassName)
	}
	src, ok := ind.Property("SourceInstance").Value.(*cim.Instance)
	if !ok {
		t.Fatalf("SourceInstance is %T, want an embedded instance", ind.Property("SourceInstance").Value)
	}
	if got := src.Property("PolicyName").Value; got != `acme <&"'>` {
		t.Errorf("SourceInstance.PolicyName = %q", got)
	}
	if got := src.Property("STETypes").Value; !cim.EqualValues(got, []any{"a", "b"}) {
		t.Errorf("SourceInstance.STETypes = %v", got)
	}
	prev, ok := ind.Property("PreviousInstance").Value.(*cim.Instance)
	if !ok || prev.Property("PolicyName").Value != "DEFAULT" {
		t.Errorf("PreviousInstance = %#v", ind.Property("PreviousInstance").Value)
	}
	if got := ind.Property("IndicationTime").Value; got != cim.Datetime("20261123154500.000000+000") {
		t.Errorf("IndicationTime = %#v", got)
	}
	if got := ind.Property("PerceivedSeverity").Value; got != uint16(2) {
		t.Errorf("PerceivedSeverity = %#v", got)
	}
}

func TestExportIndicationNil(t *testing.T) {
	if err := cimxml.EncodeExportIndication(&bytes.Buffer{}, "1", nil); err == nil {
		t.Fatal("a nil indication was encoded")
	}
}

func TestDecodeExportIndicationErrors(t *testing.T) {
	const head = `<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="7" PROTOCOLVERSION="1.0">`
	const tail = `</MESSAGE></CIM>`
	tests := []struct {
		name, body, cimError string
	}{
		{"not well-formed", head + "<SIMPLEEXPREQ>" + tail, cimxml.ErrNotWellFormed},
		{"operation request", head + `<SIMPLEREQ></SIMPLEREQ>` + tail, cimxml.ErrNotValid},
		{"no indication", head + `<SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication"></EXPMETHODCALL></SIMPLEEXPREQ>` + tail, cimxml.ErrNotValid},
		{"empty param", head + `<SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication"></EXPPARAMVALUE></EXPMETHODCALL></SIMPLEEXPREQ>` + tail, cimxml.ErrNotValid},
		{"other method", head + `<SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportFoo"></EXPMETHODCALL></SIMPLEEXPREQ>` + tail, "unsupported-operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := cimxml.DecodeExportIndication([]byte(tt.body))
			var pe *cimxml.ProtocolError
			if !errors.As(err, &pe) || pe.CIMError != tt.cimError {
				t.Fatalf("err = %v, want a ProtocolError %s", err, tt.cimError)
			}
		})
	}
}

func TestExportResponseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code cim.Status
	}{
		{"accepted", nil, 0},
		{"cim error", cim.Errorf(cim.StatusAccessDenied, "go away"), cim.StatusAccessDenied},
		{"other error", errors.New("boom"), cim.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := cimxml.EncodeExportResponse(&buf, "9", tt.err); err != nil {
				t.Fatal(err)
			}
			err := cimxml.DecodeExportResponse(buf.Bytes())
			if tt.err == nil {
				if err != nil {
					t.Fatalf("accepted response decoded as %v", err)
				}
				return
			}
			if cim.StatusOf(err) != tt.code {
				t.Fatalf("err = %v, want code %d", err, tt.code)
			}
		})
	}
	var re *cimxml.ResponseError
	if err := cimxml.DecodeExportResponse([]byte("<CIM><MESSAGE ID=\"1\"></MESSAGE></CIM>")); !errors.As(err, &re) {
		t.Errorf("a message without SIMPLEEXPRSP gave %v", err)
	}
}
