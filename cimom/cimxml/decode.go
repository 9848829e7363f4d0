package cimxml

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unsafe"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Request is a decoded CIM-XML request message (DSP0201 SIMPLEREQ).
type Request struct {
	ID              string // MESSAGE ID, echoed verbatim in the response
	ProtocolVersion string // MESSAGE PROTOCOLVERSION
	Method          string // NAME of IMETHODCALL or METHODCALL
	Intrinsic       bool   // IMETHODCALL
	// Namespace is LOCALNAMESPACEPATH joined with '/', or the namespace of the
	// METHODCALL target.
	Namespace string
	// Op is the decoded operation (a *cim.GetClass …, or *cim.InvokeMethod); nil when
	// Err is set.
	Op cim.Op
	// Err is an operation-level failure found while decoding, answered with HTTP 200
	// and an ERROR element: an unknown intrinsic method (CIM_ERR_NOT_SUPPORTED,
	// "Unrecognized intrinsic method"), an unknown IPARAMVALUE (CIM_ERR_NOT_SUPPORTED),
	// a duplicate or ill-typed or missing required IPARAMVALUE
	// (CIM_ERR_INVALID_PARAMETER).
	Err *cim.Error
}

// maxKeyBindings is the most keybindings an INSTANCENAME may have (cimxml.md §1.5).
const maxKeyBindings = 1000

// maxEmbedDepth bounds embedded objects inside embedded objects.
const maxEmbedDepth = 4

// Decode reads one request body. A protocol-level failure is a *ProtocolError; an
// error reading r is returned wrapped.
func Decode(r io.Reader) (*Request, error) {
	body, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("cimxml: reading the request: %w", err)
	}
	var src string
	if len(body) > 0 {
		// The buffer is ours and never written again: share it with the strings
		// of the request instead of copying it.
		src = unsafe.String(&body[0], len(body))
	}
	req, perr := decode(src)
	if perr != nil {
		return nil, perr
	}
	return req, nil
}

// readAll reads r to the end into a buffer sized for typical requests (or for r's
// length when it tells it), which saves io.ReadAll's regrowth.
func readAll(r io.Reader) ([]byte, error) {
	size := 2048
	if l, ok := r.(interface{ Len() int }); ok && l.Len() >= 0 {
		size = l.Len() + 1
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

type decoder struct {
	src   string
	ns    string // the request's namespace, for paths without one
	err   *cim.Error
	depth int // of embedded objects
	// propagated keeps the propagated qualifiers of class properties, marked
	// Propagated: a response's class is whole, a request's is local only.
	propagated bool
}

// decode decodes a whole request document.
func decode(src string) (req *Request, perr *ProtocolError) {
	root, perr := parse(src)
	if perr != nil {
		return nil, perr
	}
	d := &decoder{src: src}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			req, perr = nil, b.err
		}
	}()
	req = d.message(root)
	if perr := checkVersions(root, req); perr != nil {
		return nil, perr
	}
	if d.err != nil {
		req.Err, req.Op = d.err, nil
	}
	return req, nil
}

// invalid stops decoding with a request-not-valid error about n.
func (d *decoder) invalid(n *node, format string, args ...any) {
	l := 0
	if n != nil && d.depth == 0 {
		l = line(d.src, n.off)
	}
	msg := fmt.Sprintf(format, args...)
	if d.depth > 0 {
		msg = "embedded object: " + msg
	}
	panic(bailout{notValid(l, "%s", msg)})
}

// opError records the first operation-level error; decoding goes on so that a later
// protocol error still wins.
func (d *decoder) opError(code cim.Status, format string, args ...any) {
	if d.err == nil {
		d.err = cim.Errorf(code, format, args...)
	}
}

// required returns attribute a of n or fails.
func (d *decoder) required(n *node, a string) string {
	v, ok := n.attr(a)
	if !ok {
		d.invalid(n, "<%s> lacks the required %s attribute", n.name, a)
	}
	return v
}

// elementOnly fails if n holds character data other than white space.
func (d *decoder) elementOnly(n *node) {
	if n.nonWS || (n.first == nil && !isWS(n.text)) {
		d.invalid(n, "character data is not allowed in <%s>", n.name)
	}
}

// empty fails if n has content.
func (d *decoder) empty(n *node) {
	if n.first != nil {
		d.invalid(n.first, "<%s> must be empty, has <%s>", n.name, n.first.name)
	}
	d.elementOnly(n)
}

// textOnly fails if n has child elements.
func (d *decoder) textOnly(n *node) {
	if n.first != nil {
		d.invalid(n.first, "<%s> may hold only text, has <%s>", n.name, n.first.name)
	}
}

// only returns the single child of n, nil when n is empty; it fails on more.
func (d *decoder) only(n *node) *node {
	d.elementOnly(n)
	if n.first != nil && n.first.next != nil {
		d.invalid(n.first.next, "<%s> may hold one element, has another <%s>", n.name, n.first.next.name)
	}
	return n.first
}

func (d *decoder) unexpected(parent, child *node) {
	d.invalid(child, "<%s> is not allowed in <%s>", child.name, parent.name)
}

// message decodes CIM > MESSAGE > SIMPLEREQ.
func (d *decoder) message(root *node) *Request {
	if root.name != "CIM" {
		d.invalid(root, "the root element is <%s>, want <CIM>", root.name)
	}
	d.required(root, "CIMVERSION")
	d.required(root, "DTDVERSION")
	msg := d.only(root)
	if msg == nil {
		d.invalid(root, "<CIM> holds no MESSAGE")
	}
	if msg.name != "MESSAGE" {
		d.invalid(msg, "<CIM> holds <%s>, want <MESSAGE>", msg.name)
	}
	req := &Request{ID: d.required(msg, "ID"), ProtocolVersion: d.required(msg, "PROTOCOLVERSION")}
	sr := d.only(msg)
	if sr == nil {
		d.invalid(msg, "<MESSAGE> is empty")
	}
	switch sr.name {
	case "SIMPLEREQ":
	case "MULTIREQ":
		panic(bailout{&ProtocolError{Status: http.StatusNotImplemented, CIMError: ErrMultipleRequests,
			Msg: withLine(line(d.src, sr.off), "multiple requests are not supported")}})
	default:
		d.invalid(sr, "<MESSAGE> holds <%s>, want <SIMPLEREQ>", sr.name)
	}
	d.elementOnly(sr)
	var call *node
	for c := sr.first; c != nil; c = c.next {
		switch {
		case c.name == "CORRELATOR" && call == nil:
			// DSP0201 2.4: accepted and ignored.
			d.required(c, "NAME")
			d.required(c, "TYPE")
		case (c.name == "IMETHODCALL" || c.name == "METHODCALL") && call == nil:
			call = c
		default:
			d.unexpected(sr, c)
		}
	}
	if call == nil {
		d.invalid(sr, "<SIMPLEREQ> holds no IMETHODCALL or METHODCALL")
	}
	req.Method = d.required(call, "NAME")
	if call.name == "IMETHODCALL" {
		req.Intrinsic = true
		d.elementOnly(call)
		nsp := call.first
		if nsp == nil || nsp.name != "LOCALNAMESPACEPATH" {
			d.invalid(call, "<IMETHODCALL> must begin with <LOCALNAMESPACEPATH>")
		}
		req.Namespace = d.localNamespace(nsp)
		d.ns = req.Namespace
		for c := nsp.next; c != nil; c = c.next {
			if c.name != "IPARAMVALUE" {
				d.unexpected(call, c)
			}
		}
		req.Op = d.intrinsic(req.Method, nsp.next)
	} else {
		req.Op = d.methodCall(call)
		req.Namespace = d.ns
	}
	return req
}

// checkVersions checks CIMVERSION, DTDVERSION and PROTOCOLVERSION (cimxml.md §1.5).
func checkVersions(root *node, req *Request) *ProtocolError {
	cv, _ := root.attr("CIMVERSION")
	dv, _ := root.attr("DTDVERSION")
	switch {
	case !versionMajor(cv, "2"):
		return &ProtocolError{Status: http.StatusNotImplemented, CIMError: ErrUnsupportedCIMVersion,
			Msg: fmt.Sprintf("CIMVERSION %q is not supported, want 2.x", cv)}
	case !versionMajor(dv, "2"):
		return &ProtocolError{Status: http.StatusNotImplemented, CIMError: ErrUnsupportedDTDVersion,
			Msg: fmt.Sprintf("DTDVERSION %q is not supported, want 2.x", dv)}
	case !versionMajor(req.ProtocolVersion, "1"):
		return &ProtocolError{Status: http.StatusNotImplemented, CIMError: ErrUnsupportedProtocolVersion,
			Msg: fmt.Sprintf("PROTOCOLVERSION %q is not supported, want 1.x", req.ProtocolVersion)}
	}
	return nil
}

// versionMajor reports whether v is a well-formed version "M.m[.p…]" of major want.
func versionMajor(v, want string) bool {
	v = strings.TrimSpace(v)
	major, parts, digits := "", 0, 0
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' {
			if digits == 0 {
				return false
			}
			if parts == 0 {
				major = strings.TrimLeft(v[start:i], "0")
			}
			parts++
			digits, start = 0, i+1
			continue
		}
		if v[i] < '0' || v[i] > '9' {
			return false
		}
		digits++
	}
	return parts >= 2 && major == want
}

// localNamespace decodes LOCALNAMESPACEPATH: its NAMESPACE names joined with '/'.
func (d *decoder) localNamespace(n *node) string {
	d.elementOnly(n)
	if n.first == nil {
		d.invalid(n, "<LOCALNAMESPACEPATH> holds no NAMESPACE")
	}
	var ns string
	for c := n.first; c != nil; c = c.next {
		if c.name != "NAMESPACE" {
			d.unexpected(n, c)
		}
		d.empty(c)
		name := d.required(c, "NAME")
		if c == n.first {
			ns = name
		} else {
			ns += "/" + name
		}
	}
	return ns
}

// methodCall decodes METHODCALL into an InvokeMethod.
func (d *decoder) methodCall(call *node) cim.Op {
	d.elementOnly(call)
	t := call.first
	op := &cim.InvokeMethod{MethodName: d.required(call, "NAME")}
	if t == nil {
		d.invalid(call, "<METHODCALL> holds no LOCALCLASSPATH or LOCALINSTANCEPATH")
	}
	switch t.name {
	case "LOCALCLASSPATH", "LOCALINSTANCEPATH":
		op.Target = d.localPath(t)
	default:
		d.invalid(t, "<METHODCALL> must begin with <LOCALCLASSPATH> or <LOCALINSTANCEPATH>, not <%s>", t.name)
	}
	op.Namespace = op.Target.Namespace
	d.ns = op.Namespace
	var names nameSet
	for c := t.next; c != nil; c = c.next {
		if c.name != "PARAMVALUE" {
			d.unexpected(call, c)
		}
		pv := d.paramValue(c)
		if !names.add(pv.Name) {
			d.opError(cim.StatusInvalidParameter, "parameter %s given twice", pv.Name)
		}
		op.Params = append(op.Params, pv)
	}
	return op
}

// paramValue decodes a PARAMVALUE of an extrinsic call. Without PARAMTYPE the value
// stays untyped (cim.TypeInvalid) whatever it holds: text, []any of text, a
// *cim.ObjectPath, or an embedded *cim.Instance or *cim.Class with EmbeddedObject set;
// the dispatcher types it from the method's declaration.
func (d *decoder) paramValue(n *node) cim.ParamValue {
	pv := cim.ParamValue{Name: d.required(n, "NAME")}
	pt, typed := n.attr("PARAMTYPE")
	if !typed {
		pt, typed = n.attr("TYPE") // some servers' clients send TYPE
	}
	pt = strings.TrimSpace(pt)
	typed = typed && pt != ""
	eo := embeddedAttr(n)
	var t cim.Type
	if typed {
		switch pt {
		case "object", "instance":
			t, eo = cim.TypeString, pt
		default:
			t = cim.ParseType(pt)
			if t == cim.TypeInvalid {
				d.invalid(n, "PARAMVALUE %s: unknown PARAMTYPE %q", pv.Name, pt)
			}
		}
	}
	pv.Type, pv.EmbeddedObject = t, eo
	v := d.only(n)
	if v == nil {
		return pv
	}
	isRef := t == cim.TypeReference
	switch v.name {
	case "VALUE":
		if isRef {
			d.invalid(v, "PARAMVALUE %s of type reference holds <VALUE>", pv.Name)
		}
		pv.Value = d.value(v, t, eo)
		if t == cim.TypeString || t == cim.TypeInvalid {
			pv.EmbeddedObject = embeddedKind(pv.Value, eo)
		}
	case "VALUE.ARRAY":
		if isRef {
			d.invalid(v, "PARAMVALUE %s of type reference holds <VALUE.ARRAY>", pv.Name)
		}
		pv.IsArray = true
		pv.Value = d.valueArray(v, t, eo)
	case "VALUE.REFERENCE", "CLASSNAME", "INSTANCENAME":
		if typed && !isRef {
			d.invalid(v, "PARAMVALUE %s of type %s holds <%s>", pv.Name, pt, v.name)
		}
		if v.name == "VALUE.REFERENCE" {
			pv.Value = d.reference(v)
		} else {
			pv.Value = d.objectName(v)
		}
	case "VALUE.REFARRAY":
		if typed && !isRef {
			d.invalid(v, "PARAMVALUE %s of type %s holds <VALUE.REFARRAY>", pv.Name, pt)
		}
		pv.IsArray = true
		pv.Value = d.refArray(v)
	case "INSTANCE", "CLASS", "VALUE.NAMEDINSTANCE":
		if typed && t != cim.TypeString {
			d.invalid(v, "PARAMVALUE %s of type %s holds <%s>", pv.Name, pt, v.name)
		}
		switch v.name {
		case "INSTANCE":
			pv.Value = d.instance(v)
		case "CLASS":
			pv.Value = d.class(v)
		default:
			_, pv.Value = d.namedInstance(v)
		}
		pv.EmbeddedObject = embeddedKind(pv.Value, eo)
	default:
		d.unexpected(n, v)
	}
	return pv
}

// embeddedAttr returns the EmbeddedObject attribute of n ("object", "instance" or "").
func embeddedAttr(n *node) string {
	v, ok := n.attr("EmbeddedObject")
	if !ok {
		v, _ = n.attr("EMBEDDEDOBJECT")
	}
	switch v {
	case "object", "instance":
		return v
	}
	return ""
}

// embeddedKind returns the EmbeddedObject kind of a decoded value: attr when given,
// else "instance" for an instance and "object" for a class.
func embeddedKind(v any, attr string) string {
	if attr != "" {
		return attr
	}
	switch x := v.(type) {
	case *cim.Instance:
		return "instance"
	case *cim.Class:
		return "object"
	case []any:
		for _, e := range x {
			if k := embeddedKind(e, ""); k != "" {
				return k
			}
		}
	}
	return ""
}
