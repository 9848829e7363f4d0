package cimxml

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/shypecim/shypecim/cimom/cim"
)

// errWriter remembers the first error of the underlying writer, so that a long
// enumeration stops as soon as the client is gone.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// writer is the state of one response.
type writer struct {
	b       *bufio.Writer
	ew      *errWriter
	host    string
	ns      string // the request's namespace, for result paths without one
	cur     string // the namespace of the object being written, for its references
	scratch []byte

	// Presentation of classes (and ClassOrigin of instances), from the request.
	localOnly          bool
	includeQualifiers  bool
	includeClassOrigin bool
	propertyList       cim.PropertyList // classes only; nil: all
}

// WriteResponse writes the whole response document for req (XML declaration, CIM,
// MESSAGE with req.ID, SIMPLERSP, IMETHODRESPONSE/METHODRESPONSE named req.Method)
// holding the result res, or the ERROR for err when err != nil (a non-*cim.Error
// becomes CIM_ERR_FAILED with a generic description). host (host[:port] the client
// connected to) goes into the HOST of NAMESPACEPATHs.
//
// It streams res.Objects as it consumes them; if the sequence yields an error after
// output began, it stops, closes the open elements and returns a *StreamError
// wrapping that error (an error before the first object is answered as an ERROR
// element instead). It returns other errors only when w fails.
func WriteResponse(w io.Writer, req *Request, res *cim.Result, err error, host string) error {
	ew := &errWriter{w: w}
	if req == nil {
		req = &Request{Intrinsic: true}
	}
	bw := bufPool.Get().(*bufio.Writer)
	bw.Reset(ew)
	defer func() {
		bw.Reset(nil) // drop the reference to the client's writer
		bufPool.Put(bw)
	}()
	wr := &writer{b: bw, ew: ew, host: host, ns: req.Namespace, scratch: make([]byte, 0, 64)}
	if err == nil && res == nil {
		res = &cim.Result{}
	}
	wr.flags(req.Op)
	serr := wr.response(req, res, err)
	if ferr := wr.b.Flush(); ferr != nil {
		return ferr
	}
	if ew.err != nil {
		return ew.err
	}
	return serr
}

// bufPool recycles the 16 KiB output buffers of WriteResponse.
var bufPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16<<10) }}

// flags takes the presentation flags of the operation.
func (w *writer) flags(op cim.Op) {
	w.includeQualifiers = true
	switch o := op.(type) {
	case *cim.GetClass:
		w.localOnly, w.includeQualifiers, w.includeClassOrigin = o.LocalOnly, o.IncludeQualifiers, o.IncludeClassOrigin
		w.propertyList = o.PropertyList
	case *cim.EnumerateClasses:
		w.localOnly, w.includeQualifiers, w.includeClassOrigin = o.LocalOnly, o.IncludeQualifiers, o.IncludeClassOrigin
	case *cim.Associators:
		w.includeQualifiers, w.includeClassOrigin = o.IncludeQualifiers, o.IncludeClassOrigin
		w.propertyList = o.PropertyList
	case *cim.References:
		w.includeQualifiers, w.includeClassOrigin = o.IncludeQualifiers, o.IncludeClassOrigin
		w.propertyList = o.PropertyList
	case *cim.GetInstance:
		w.includeClassOrigin = o.IncludeClassOrigin
	case *cim.EnumerateInstances:
		w.includeClassOrigin = o.IncludeClassOrigin
	case *cim.OpenEnumerateInstances:
		w.includeClassOrigin = o.IncludeClassOrigin
	case *cim.OpenAssociatorInstances:
		w.includeClassOrigin = o.IncludeClassOrigin
	case *cim.OpenReferenceInstances:
		w.includeClassOrigin = o.IncludeClassOrigin
	}
}

func (w *writer) str(s string) { w.b.WriteString(s) }

// open writes <name; attributes follow with attr, then w.str(">").
func (w *writer) open(name string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
}

func (w *writer) attr(name, value string) {
	w.b.WriteByte(' ')
	w.b.WriteString(name)
	w.b.WriteString(`="`)
	w.escape(value)
	w.b.WriteByte('"')
}

func (w *writer) end(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// escape writes s as XML text: the five named entities only, TAB, LF and CR
// literal, characters XML 1.0 forbids and invalid UTF-8 as U+FFFD.
func (w *writer) escape(s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		var rep string
		size := 1
		switch c {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&apos;"
		case '\t', '\n', '\r':
			i++
			continue
		default:
			if c < 0x20 {
				rep = "\uFFFD"
				break
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			size = n
			if (r == utf8.RuneError && n == 1) || r == 0xFFFE || r == 0xFFFF {
				rep = "\uFFFD"
				break
			}
			i += n
			continue
		}
		w.b.WriteString(s[last:i])
		w.b.WriteString(rep)
		i += size
		last = i
	}
	w.b.WriteString(s[last:])
}

// plain marks the bytes escape copies as they are: printable ASCII but the five
// markup characters. One table load per byte keeps long descriptions cheap.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range "&<>\"'" {
		t[c] = false
	}
	return t
}()

// response writes the document.
func (w *writer) response(req *Request, res *cim.Result, err error) error {
	w.str(`<?xml version="1.0" encoding="utf-8" ?>` + "\n")
	w.str(`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE`)
	w.attr("ID", req.ID)
	w.str(` PROTOCOLVERSION="1.0"><SIMPLERSP>`)
	rsp := "IMETHODRESPONSE"
	if !req.Intrinsic {
		rsp = "METHODRESPONSE"
	}
	w.open(rsp)
	w.attr("NAME", req.Method)
	w.str(">")
	var serr error
	if err != nil {
		w.error(err)
	} else if req.Intrinsic {
		serr = w.intrinsic(req, res)
	} else {
		w.methodResult(res)
	}
	w.end(rsp)
	w.str("</SIMPLERSP></MESSAGE></CIM>\n")
	return serr
}

// error writes ERROR CODE DESCRIPTION.
func (w *writer) error(err error) {
	var ce *cim.Error
	code, desc := cim.StatusFailed, "internal server error"
	if errors.As(err, &ce) {
		code, desc = ce.Code, ce.Description
		if code == cim.StatusOK {
			code = cim.StatusFailed
		}
	}
	w.open("ERROR")
	w.attr("CODE", strconv.Itoa(int(code)))
	if desc != "" {
		w.attr("DESCRIPTION", desc)
	}
	w.str("></ERROR>")
}

// opName is the canonical name of the request's operation.
func opName(req *Request) string {
	if req.Op != nil {
		return req.Op.OpName()
	}
	return canonicalIntrinsic(req.Method)
}

// intrinsic writes IRETURNVALUE (and the output PARAMVALUEs of the pull operations).
// The caller has written the IMETHODRESPONSE start tag; an error of res.Objects
// before the first object replaces the whole body with an ERROR.
func (w *writer) intrinsic(req *Request, res *cim.Result) error {
	name := opName(req)
	switch name {
	case "CreateClass", "ModifyClass", "DeleteClass", "ModifyInstance", "DeleteInstance",
		"SetProperty", "SetQualifier", "DeleteQualifier", "CloseEnumeration":
		return nil
	}
	const irv = "<IRETURNVALUE>"
	switch name {
	case "GetClass":
		w.str(irv)
		if res.Class != nil {
			w.class(res.Class)
		}
	case "EnumerateClasses":
		w.str(irv)
		for _, c := range res.Classes {
			w.class(c)
		}
		if res.Classes == nil && res.Objects != nil {
			return w.objects(res, name, true)
		}
	case "EnumerateClassNames":
		w.str(irv)
		for _, n := range res.ClassNames {
			w.className(n)
		}
		if res.ClassNames == nil && res.Objects != nil {
			return w.objects(res, name, true)
		}
	case "GetInstance":
		w.str(irv)
		if res.Instance != nil {
			w.instance(res.Instance)
		}
	case "CreateInstance":
		w.str(irv)
		if res.Path != nil {
			w.instanceName(res.Path)
		}
	case "GetQualifier":
		w.str(irv)
		if res.QualifierType != nil {
			w.qualifierType(res.QualifierType)
		}
	case "EnumerateQualifiers":
		w.str(irv)
		for _, q := range res.QualifierTypes {
			w.qualifierType(q)
		}
	case "GetProperty", "EnumerationCount":
		w.str(irv)
		if res.Value != nil {
			w.value(res.ValueType, res.IsArray, res.Value, "")
		}
	default:
		return w.objects(res, name, false)
	}
	w.str("</IRETURNVALUE>")
	return nil
}

// objects writes the items of res.Objects, then the pull PARAMVALUEs; headerDone says
// whether <IRETURNVALUE> is already out.
func (w *writer) objects(res *cim.Result, name string, headerDone bool) error {
	started := headerDone
	var serr error
	if res.Objects != nil {
		for obj, err := range res.Objects {
			if err != nil {
				if !started {
					w.error(err)
					return nil
				}
				serr = &StreamError{Err: err}
				break
			}
			if !started {
				w.str("<IRETURNVALUE>")
				started = true
			}
			w.object(name, obj)
			if w.ew.err != nil {
				return w.ew.err
			}
		}
	}
	if !started {
		w.str("<IRETURNVALUE>")
	}
	w.str("</IRETURNVALUE>")
	if serr != nil {
		return serr
	}
	if strings.HasPrefix(name, "Open") || strings.HasPrefix(name, "Pull") {
		w.pullParams(res)
	}
	return nil
}

// pullParams writes EndOfSequence, EnumerationContext and QueryResultClass.
func (w *writer) pullParams(res *cim.Result) {
	w.str(`<PARAMVALUE NAME="EndOfSequence" PARAMTYPE="boolean"><VALUE>`)
	if res.EndOfSequence {
		w.str("TRUE")
	} else {
		w.str("FALSE")
	}
	w.str(`</VALUE></PARAMVALUE><PARAMVALUE NAME="EnumerationContext" PARAMTYPE="string"><VALUE>`)
	w.escape(res.EnumerationContext)
	w.str(`</VALUE></PARAMVALUE>`)
	if res.QueryResultClass != nil {
		w.str(`<PARAMVALUE NAME="QueryResultClass" PARAMTYPE="object">`)
		w.class(res.QueryResultClass)
		w.str(`</PARAMVALUE>`)
	}
}

// object writes one item in the wrapper element of operation name.
func (w *writer) object(name string, o cim.Object) {
	w.cur = ""
	if o.Path != nil {
		w.cur = o.Path.Namespace
	}
	switch name {
	case "EnumerateClasses":
		if o.Class != nil {
			w.class(o.Class)
		}
	case "EnumerateClassNames":
		if o.Path != nil {
			w.className(o.Path.ClassName)
		} else if o.Class != nil {
			w.className(o.Class.Name)
		}
	case "EnumerateInstances":
		if o.Path == nil || o.Instance == nil {
			return
		}
		w.str("<VALUE.NAMEDINSTANCE>")
		w.instanceName(o.Path)
		w.instance(o.Instance)
		w.str("</VALUE.NAMEDINSTANCE>")
	case "EnumerateInstanceNames":
		if o.Path != nil {
			w.instanceName(o.Path)
		}
	case "AssociatorNames", "ReferenceNames":
		if o.Path == nil {
			return
		}
		w.str("<OBJECTPATH>")
		if o.Class != nil || o.Path.IsClass() {
			w.classPath(o.Path)
		} else {
			w.instancePath(o.Path)
		}
		w.str("</OBJECTPATH>")
	case "OpenEnumerateInstancePaths", "OpenAssociatorInstancePaths",
		"OpenReferenceInstancePaths", "PullInstancePaths":
		if o.Path != nil {
			w.instancePath(o.Path)
		}
	case "OpenQueryInstances", "PullInstances":
		if o.Instance != nil {
			w.instance(o.Instance)
		}
	case "OpenEnumerateInstances", "OpenAssociatorInstances", "OpenReferenceInstances",
		"PullInstancesWithPath":
		if o.Path == nil || o.Instance == nil {
			return
		}
		w.str("<VALUE.INSTANCEWITHPATH>")
		w.instancePath(o.Path)
		w.instance(o.Instance)
		w.str("</VALUE.INSTANCEWITHPATH>")
	default: // Associators, References, ExecQuery
		switch {
		case o.Class != nil && o.Path != nil:
			w.str("<VALUE.OBJECTWITHPATH>")
			w.classPath(o.Path)
			w.class(o.Class)
			w.str("</VALUE.OBJECTWITHPATH>")
		case o.Instance != nil && o.Path != nil:
			w.str("<VALUE.OBJECTWITHPATH>")
			w.instancePath(o.Path)
			w.instance(o.Instance)
			w.str("</VALUE.OBJECTWITHPATH>")
		case o.Instance != nil:
			// A query result without a path.
			w.str("<VALUE.OBJECT>")
			w.instance(o.Instance)
			w.str("</VALUE.OBJECT>")
		case o.Class != nil:
			w.str("<VALUE.OBJECT>")
			w.class(o.Class)
			w.str("</VALUE.OBJECT>")
		}
	}
}

// methodResult writes RETURNVALUE and the output PARAMVALUEs of an extrinsic call.
func (w *writer) methodResult(res *cim.Result) {
	rt := res.ReturnType
	if rt == cim.TypeInvalid {
		rt = typeOfValue(res.ReturnValue)
	}
	if rt != cim.TypeInvalid || res.ReturnValue != nil {
		eo := res.ReturnEmbeddedObject
		if eo == "" {
			eo = embeddedKind(res.ReturnValue, "")
		}
		if rt == cim.TypeInvalid {
			rt = cim.TypeString
		}
		w.open("RETURNVALUE")
		w.attr("PARAMTYPE", paramType(rt))
		if eo != "" {
			w.attr("EmbeddedObject", eo)
		}
		w.str(">")
		if res.ReturnValue != nil {
			w.value(rt, false, res.ReturnValue, eo)
		}
		w.end("RETURNVALUE")
	}
	for i := range res.OutParams {
		w.paramValue(&res.OutParams[i])
	}
}

// paramType is the PARAMTYPE of a value of type t.
func paramType(t cim.Type) string {
	if t == cim.TypeInvalid {
		return "string"
	}
	return t.String()
}

// typeOfValue returns the CIM type of a value, looking into arrays and embedded
// objects (string).
func typeOfValue(v any) cim.Type {
	switch x := v.(type) {
	case nil:
		return cim.TypeInvalid
	case []any:
		for _, e := range x {
			if t := typeOfValue(e); t != cim.TypeInvalid {
				return t
			}
		}
		return cim.TypeInvalid
	case *cim.Instance, *cim.Class:
		return cim.TypeString
	case int:
		return cim.TypeSint64
	}
	return cim.TypeOf(v)
}

func (w *writer) paramValue(p *cim.ParamValue) {
	t := p.Type
	if t == cim.TypeInvalid {
		t = typeOfValue(p.Value)
	}
	_, isArr := p.Value.([]any)
	isArr = isArr || p.IsArray
	eo := p.EmbeddedObject
	if eo == "" {
		eo = embeddedKind(p.Value, "")
	}
	w.open("PARAMVALUE")
	w.attr("NAME", p.Name)
	w.attr("PARAMTYPE", paramType(t))
	if eo != "" {
		w.attr("EmbeddedObject", eo)
	}
	w.str(">")
	if p.Value != nil {
		w.value(t, isArr, p.Value, eo)
	}
	w.end("PARAMVALUE")
}
