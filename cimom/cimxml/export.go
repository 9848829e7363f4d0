package cimxml

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// This file is the export side of the codec (DSP0200 §5.4, DSP0201 SIMPLEEXPREQ):
// the ExportIndication request a server sends to a listener, and the listener's
// answer. The HTTP headers that go with them (CIMExport, CIMExportMethod) are the
// sender's business.

// ExportIndication is the name of the export method that delivers an indication,
// and NewIndication that of its one parameter.
const (
	ExportIndication = "ExportIndication"
	NewIndication    = "NewIndication"
)

// EncodeExportIndication writes the export request that delivers ind as message id:
// CIM > MESSAGE > SIMPLEEXPREQ > EXPMETHODCALL NAME="ExportIndication" >
// EXPPARAMVALUE NAME="NewIndication" > INSTANCE. Embedded instances in properties
// (SourceInstance, PreviousInstance) are written as escaped VALUEs with
// EmbeddedObject="instance", as in responses. It returns an error only when ind is
// nil or w fails.
func EncodeExportIndication(w io.Writer, id string, ind *cim.Instance) error {
	if ind == nil {
		return errors.New("cimxml: no indication to export")
	}
	return writeExport(w, id, func(wr *writer) {
		wr.str(`<SIMPLEEXPREQ><EXPMETHODCALL NAME="` + ExportIndication + `"><EXPPARAMVALUE NAME="` + NewIndication + `">`)
		wr.instance(ind)
		wr.str(`</EXPPARAMVALUE></EXPMETHODCALL></SIMPLEEXPREQ>`)
	})
}

// EncodeExportResponse writes a listener's answer to the export request id: an
// empty EXPMETHODRESPONSE when err is nil (accepted), else one holding the ERROR
// of err (a non-*cim.Error as CIM_ERR_FAILED).
func EncodeExportResponse(w io.Writer, id string, err error) error {
	return writeExport(w, id, func(wr *writer) {
		wr.str(`<SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="` + ExportIndication + `">`)
		if err != nil {
			var ce *cim.Error
			if !errors.As(err, &ce) {
				ce = &cim.Error{Code: cim.StatusFailed, Description: err.Error()}
			}
			wr.open("ERROR")
			wr.str(fmt.Sprintf(` CODE="%d"`, int(ce.Code)))
			if ce.Description != "" {
				wr.attr("DESCRIPTION", ce.Description)
			}
			wr.str("></ERROR>")
		}
		wr.str(`</EXPMETHODRESPONSE></SIMPLEEXPRSP>`)
	})
}

func writeExport(w io.Writer, id string, body func(*writer)) error {
	ew := &errWriter{w: w}
	wr := &writer{b: bufio.NewWriterSize(ew, 4096), ew: ew, scratch: make([]byte, 0, 64), includeQualifiers: true}
	wr.str(`<?xml version="1.0" encoding="utf-8" ?>` + "\n")
	wr.str(`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE`)
	wr.attr("ID", id)
	wr.str(` PROTOCOLVERSION="1.0">`)
	body(wr)
	wr.str("</MESSAGE></CIM>\n")
	if err := wr.b.Flush(); err != nil {
		return err
	}
	return ew.err
}

// DecodeExportIndication parses an ExportIndication request (what a listener
// receives) and returns its message ID and the indication. A document that is not
// well-formed or not such a request is a *ProtocolError (a listener answers it
// with 400 and the CIMError header); another export method is a *ProtocolError too
// (CIMError unsupported-operation).
func DecodeExportIndication(body []byte) (id string, ind *cim.Instance, err error) {
	src := string(body)
	root, perr := parse(src)
	if perr != nil {
		return "", nil, perr
	}
	d := &decoder{src: src}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			id, ind, err = "", nil, b.err
		}
	}()
	msg := d.exportMessage(root)
	id = d.required(msg, "ID")
	req := d.only(msg)
	if req == nil || req.name != "SIMPLEEXPREQ" {
		d.invalid(msg, "<MESSAGE> holds no <SIMPLEEXPREQ>")
	}
	d.elementOnly(req)
	var call *node
	for c := req.first; c != nil; c = c.next {
		switch {
		case c.name == "CORRELATOR" && call == nil:
		case c.name == "EXPMETHODCALL" && call == nil:
			call = c
		default:
			d.unexpected(req, c)
		}
	}
	if call == nil {
		d.invalid(req, "<SIMPLEEXPREQ> holds no <EXPMETHODCALL>")
	}
	if name := d.required(call, "NAME"); !strings.EqualFold(name, ExportIndication) {
		return "", nil, &ProtocolError{Status: http.StatusBadRequest, CIMError: "unsupported-operation",
			Msg: fmt.Sprintf("export method %q is not supported", name)}
	}
	d.elementOnly(call)
	for c := call.first; c != nil; c = c.next {
		if c.name != "EXPPARAMVALUE" {
			d.unexpected(call, c)
		}
		if !strings.EqualFold(d.required(c, "NAME"), NewIndication) {
			continue
		}
		in := d.only(c)
		if in == nil || in.name != "INSTANCE" {
			d.invalid(c, "<EXPPARAMVALUE NAME=%q> holds no <INSTANCE>", NewIndication)
		}
		if ind != nil {
			d.invalid(c, "%s given twice", NewIndication)
		}
		ind = d.instance(in)
	}
	if ind == nil {
		d.invalid(call, "<EXPMETHODCALL> has no %s", NewIndication)
	}
	return id, ind, nil
}

// DecodeExportResponse parses a listener's answer to an ExportIndication request:
// nil when it accepted the indication, a *cim.Error for an ERROR element, a
// *ResponseError for a document that is no such answer.
func DecodeExportResponse(body []byte) (err error) {
	src := string(body)
	root, perr := parse(src)
	if perr != nil {
		return &ResponseError{Msg: perr.Msg}
	}
	d := &decoder{src: src}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = &ResponseError{Msg: b.err.Msg}
		}
	}()
	msg := d.exportMessage(root)
	rsp := d.only(msg)
	if rsp == nil || rsp.name != "SIMPLEEXPRSP" {
		d.invalid(msg, "<MESSAGE> holds no <SIMPLEEXPRSP>")
	}
	m := d.only(rsp)
	if m == nil || m.name != "EXPMETHODRESPONSE" {
		d.invalid(rsp, "<SIMPLEEXPRSP> holds no <EXPMETHODRESPONSE>")
	}
	d.required(m, "NAME")
	if e := d.only(m); e != nil && e.name == "ERROR" {
		return d.errorElem(e)
	}
	return nil
}

// exportMessage checks CIM > MESSAGE and returns the MESSAGE.
func (d *decoder) exportMessage(root *node) *node {
	if root.name != "CIM" {
		d.invalid(root, "the root element is <%s>, want <CIM>", root.name)
	}
	msg := d.only(root)
	if msg == nil || msg.name != "MESSAGE" {
		d.invalid(root, "<CIM> holds no <MESSAGE>")
	}
	return msg
}
