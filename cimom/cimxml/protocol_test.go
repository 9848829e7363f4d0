package cimxml

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestProtocolErrors covers the rows of cimxml.md §1.5 that are about the body.
func TestProtocolErrors(t *testing.T) {
	good := call("DeleteClass", ip("ClassName", cn("A")))
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("%q not in the request", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := []struct {
		name     string
		body     string
		status   int
		cimError string
		msg      string
	}{
		// Not well-formed.
		{"empty", "", 400, ErrNotWellFormed, "root"},
		{"not XML", "hello", 400, ErrNotWellFormed, ""},
		{"tag mismatch", replace("</SIMPLEREQ>", "</SIMPLEREQ2>"), 400, ErrNotWellFormed, "line 2"},
		{"unclosed", strings.TrimSuffix(good, "</CIM>"), 400, ErrNotWellFormed, "not closed"},
		{"bad entity", replace(`NAME="A"`, `NAME="&foo;"`), 400, ErrNotWellFormed, "entity"},
		{"bare ampersand", replace(`NAME="A"`, `NAME="a & b"`), 400, ErrNotWellFormed, ""},
		{"lt in attribute", replace(`NAME="A"`, `NAME="a<b"`), 400, ErrNotWellFormed, ""},
		{"unquoted attribute", replace(`NAME="A"`, `NAME=A`), 400, ErrNotWellFormed, ""},
		{"duplicate attribute", replace(`NAME="A"`, `NAME="A" NAME="B"`), 400, ErrNotWellFormed, "twice"},
		{"non-UTF-8", replace(`NAME="A"`, "NAME=\"\xff\""), 400, ErrNotWellFormed, "UTF-8"},
		{"control character", replace(`NAME="A"`, "NAME=\"\x01\""), 400, ErrNotWellFormed, ""},
		{"bad char reference", replace(`NAME="A"`, `NAME="&#0;"`), 400, ErrNotWellFormed, ""},
		{"two roots", good + "<CIM/>", 400, ErrNotWellFormed, "root"},
		{"text after root", good + "x", 400, ErrNotWellFormed, ""},
		{"late XML declaration", "\n" + good, 400, ErrNotWellFormed, ""},
		{"bad comment", replace("<SIMPLEREQ>", "<SIMPLEREQ><!-- a -- b -->"), 400, ErrNotWellFormed, ""},
		{"unterminated CDATA", replace("<SIMPLEREQ>", "<SIMPLEREQ><![CDATA[x"), 400, ErrNotWellFormed, ""},
		// Well-formed, not valid.
		{"wrong root", `<?xml version="1.0"?><MESSAGE ID="1" PROTOCOLVERSION="1.0"/>`, 400, ErrNotValid, "root"},
		{"DOCTYPE", replace("<CIM ", `<!DOCTYPE CIM SYSTEM "cim.dtd"><CIM `), 400, ErrNotValid, "DOCTYPE"},
		{"missing CIMVERSION", replace(`CIMVERSION="2.0" `, ""), 400, ErrNotValid, "CIMVERSION"},
		{"missing MESSAGE ID", replace(`ID="7" `, ""), 400, ErrNotValid, "ID"},
		{"missing method NAME", replace(`<IMETHODCALL NAME="DeleteClass">`, `<IMETHODCALL>`), 400, ErrNotValid, "NAME"},
		{"missing CLASSNAME NAME", replace(`<CLASSNAME NAME="A"/>`, `<CLASSNAME/>`), 400, ErrNotValid, "NAME"},
		{"missing IPARAMVALUE NAME", replace(`<IPARAMVALUE NAME="ClassName">`, `<IPARAMVALUE>`), 400, ErrNotValid, "NAME"},
		{"unknown element", replace(`<CLASSNAME NAME="A"/>`, `<FOO/>`), 400, ErrNotValid, "FOO"},
		{"unknown element in SIMPLEREQ", replace("<SIMPLEREQ>", "<SIMPLEREQ><FOO/>"), 400, ErrNotValid, "FOO"},
		{"text in element content", replace("<SIMPLEREQ>", "<SIMPLEREQ>x"), 400, ErrNotValid, "character data"},
		{"two values", replace(`<CLASSNAME NAME="A"/>`, `<CLASSNAME NAME="A"/><CLASSNAME NAME="B"/>`), 400, ErrNotValid, ""},
		{"no namespace", replace(`<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>`, ""), 400, ErrNotValid, "LOCALNAMESPACEPATH"},
		{"response instead of request", `<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP/></MESSAGE></CIM>`, 400, ErrNotValid, "SIMPLERSP"},
		{"encoding", replace(`encoding="utf-8"`, `encoding="utf-16"`), 400, ErrNotValid, "encoding"},
		{"too deep", replace("<SIMPLEREQ>", "<SIMPLEREQ>"+strings.Repeat("<a>", 70)+strings.Repeat("</a>", 70)), 400, ErrNotValid, "deeper"},
		{"MULTIREQ", `<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><MULTIREQ>` +
			`<SIMPLEREQ/><SIMPLEREQ/></MULTIREQ></MESSAGE></CIM>`, 501, ErrMultipleRequests, ""},
		// Versions.
		{"CIMVERSION 3", replace(`CIMVERSION="2.0"`, `CIMVERSION="3.0"`), 501, ErrUnsupportedCIMVersion, "3.0"},
		{"DTDVERSION 1", replace(`DTDVERSION="2.0"`, `DTDVERSION="1.1"`), 501, ErrUnsupportedDTDVersion, ""},
		{"DTDVERSION malformed", replace(`DTDVERSION="2.0"`, `DTDVERSION="2."`), 501, ErrUnsupportedDTDVersion, ""},
		{"PROTOCOLVERSION 2", replace(`PROTOCOLVERSION="1.0"`, `PROTOCOLVERSION="2.0"`), 501, ErrUnsupportedProtocolVersion, ""},
		{"well-formedness before version", replace(`CIMVERSION="2.0"`, `CIMVERSION="3.0"`) + "<x/>", 400, ErrNotWellFormed, ""},
		{"validity before version", strings.Replace(replace(`CIMVERSION="2.0"`, `CIMVERSION="3.0"`), "<SIMPLEREQ>", "<SIMPLEREQ><FOO/>", 1),
			400, ErrNotValid, "FOO"},
		{"protocol error wins over operation error", strings.Replace(call("NoSuchMethod", ""), `DTDVERSION="2.0"`, `DTDVERSION="3.0"`, 1),
			501, ErrUnsupportedDTDVersion, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := protoErr(t, tt.body)
			if pe.Status != tt.status || pe.CIMError != tt.cimError || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("error = %v, want %d %s with %q", pe, tt.status, tt.cimError, tt.msg)
			}
			if pe.Error() == "" {
				t.Error("empty Error()")
			}
		})
	}
}

// TestDecodeAcceptsVariants: spellings of the versions and documents that are valid.
func TestDecodeAcceptsVariants(t *testing.T) {
	good := call("DeleteClass", ip("ClassName", cn("A")))
	for _, body := range []string{
		strings.Replace(good, `CIMVERSION="2.0"`, `CIMVERSION="2.6"`, 1),
		strings.Replace(good, `PROTOCOLVERSION="1.0"`, `PROTOCOLVERSION="1.4"`, 1),
		strings.Replace(good, `<?xml version="1.0" encoding="utf-8" ?>`, "", 1),
		"\uFEFF" + good,
		strings.ReplaceAll(good, "><", ">\r\n  <"),
	} {
		req := mustDecode(t, body)
		if req.Err != nil || req.Op == nil || req.Op.OpName() != "DeleteClass" {
			t.Errorf("Decode(%q) = %+v", body, req)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestDecodeReadError(t *testing.T) {
	_, err := Decode(io.MultiReader(strings.NewReader("<CIM"), failingReader{}))
	var pe *ProtocolError
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Decode = %v, want the read error", err)
	}
}
