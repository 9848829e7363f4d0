package cimxml

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unsafe"

	"github.com/shypecim/shypecim/cimom/cim"
)

// This file is the client side of the codec: requests out (EncodeRequest), responses
// in (DecodeResponse), reusing the server's scanner, object decoders and writers.

// ResponseError is a response document that is not well-formed or not the CIM-XML
// answer to the request sent.
type ResponseError struct {
	Msg string // with the line number when known
}

// Error describes what is wrong with the response.
func (e *ResponseError) Error() string { return "cimxml: bad response: " + e.Msg }

// DecodeResponse parses a CIM-XML response document (SIMPLERSP) to the operation
// named method ("" accepts any name). An ERROR element is returned as a *cim.Error with its code and
// description; a malformed document as a *ResponseError; an error reading r wrapped.
// Paths without a namespace of their own (INSTANCENAME, CLASSNAME) are returned
// without one: the caller knows the request's namespace.
func DecodeResponse(r io.Reader, method string) (*cim.Result, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cimxml: reading the response: %w", err)
	}
	var src string
	if len(body) > 0 {
		// The buffer is ours and never written again: the decoded strings share it.
		src = unsafe.String(&body[0], len(body))
	}
	return decodeResponse(src, method)
}

func decodeResponse(src, method string) (res *cim.Result, err error) {
	root, perr := parse(src)
	if perr != nil {
		return nil, &ResponseError{Msg: perr.Msg}
	}
	d := &decoder{src: src, propagated: true}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			res, err = nil, &ResponseError{Msg: b.err.Msg}
		}
	}()
	rsp := d.responseBody(root, method)
	if e := rsp.first; e != nil && e.name == "ERROR" {
		if e.next != nil {
			d.unexpected(rsp, e.next)
		}
		return nil, d.errorElem(e)
	}
	res = &cim.Result{}
	if rsp.name == "IMETHODRESPONSE" {
		d.iresponse(rsp, method, res)
	} else {
		d.mresponse(rsp, res)
	}
	if d.err != nil {
		return nil, &ResponseError{Msg: d.err.Description}
	}
	return res, nil
}

// responseBody checks CIM > MESSAGE > SIMPLERSP and returns the IMETHODRESPONSE or
// METHODRESPONSE, which must name method.
func (d *decoder) responseBody(root *node, method string) *node {
	if root.name != "CIM" {
		d.invalid(root, "the root element is <%s>, want <CIM>", root.name)
	}
	msg := d.only(root)
	if msg == nil || msg.name != "MESSAGE" {
		d.invalid(root, "<CIM> holds no <MESSAGE>")
	}
	sr := d.only(msg)
	if sr == nil || sr.name != "SIMPLERSP" {
		d.invalid(msg, "<MESSAGE> holds no <SIMPLERSP>")
	}
	rsp := d.only(sr)
	if rsp == nil || (rsp.name != "IMETHODRESPONSE" && rsp.name != "METHODRESPONSE") {
		d.invalid(sr, "<SIMPLERSP> holds no <IMETHODRESPONSE> or <METHODRESPONSE>")
	}
	if name := d.required(rsp, "NAME"); method != "" && !strings.EqualFold(name, method) {
		d.invalid(rsp, "the response is for %q, the request called %q", name, method)
	}
	d.elementOnly(rsp)
	return rsp
}

// errorElem decodes ERROR into a *cim.Error.
func (d *decoder) errorElem(n *node) *cim.Error {
	code, err := strconv.Atoi(strings.TrimSpace(d.required(n, "CODE")))
	if err != nil || code <= 0 {
		d.invalid(n, "<ERROR> has an invalid CODE")
	}
	desc, _ := n.attr("DESCRIPTION")
	return &cim.Error{Code: cim.Status(code), Description: desc}
}

// iresponse decodes the IRETURNVALUE and output PARAMVALUEs of an intrinsic call.
func (d *decoder) iresponse(rsp *node, method string, res *cim.Result) {
	var objs []cim.Object
	for c := rsp.first; c != nil; c = c.next {
		switch c.name {
		case "IRETURNVALUE":
			d.elementOnly(c)
			for e := c.first; e != nil; e = e.next {
				if o, ok := d.ireturnItem(e, method, res); ok {
					objs = append(objs, o)
				}
			}
		case "PARAMVALUE":
			d.pullParam(c, res)
		default:
			d.unexpected(rsp, c)
		}
	}
	if objs != nil || isListOp(method) {
		res.Objects = cim.Objects(objs)
	}
}

// isListOp reports whether method answers with a list of objects in Result.Objects.
func isListOp(method string) bool {
	switch canonicalIntrinsic(method) {
	case "EnumerateInstances", "EnumerateInstanceNames", "Associators", "AssociatorNames",
		"References", "ReferenceNames", "ExecQuery":
		return true
	}
	return strings.HasPrefix(method, "Open") || strings.HasPrefix(method, "Pull")
}

// ireturnItem decodes one element of IRETURNVALUE: it either fills a single-valued
// field of res, or returns an item of the list.
func (d *decoder) ireturnItem(e *node, method string, res *cim.Result) (cim.Object, bool) {
	switch e.name {
	case "CLASS":
		c := d.fullClass(e)
		if strings.EqualFold(method, "GetClass") {
			res.Class = c
			return cim.Object{}, false
		}
		res.Classes = append(res.Classes, c)
		return cim.Object{Class: c}, true
	case "INSTANCE":
		in := d.instance(e)
		if strings.EqualFold(method, "GetInstance") {
			res.Instance = in
			return cim.Object{}, false
		}
		return cim.Object{Instance: in}, true
	case "VALUE.NAMEDINSTANCE":
		p, in := d.namedInstance(e)
		return cim.Object{Path: p, Instance: in}, true
	case "INSTANCENAME":
		p := d.instanceName(e, "", "")
		if strings.EqualFold(method, "CreateInstance") {
			res.Path = p
			return cim.Object{}, false
		}
		return cim.Object{Path: p}, true
	case "INSTANCEPATH", "CLASSPATH":
		return cim.Object{Path: d.fullPath(e)}, true
	case "OBJECTPATH":
		c := d.only(e)
		if c == nil || (c.name != "INSTANCEPATH" && c.name != "CLASSPATH") {
			d.invalid(e, "<OBJECTPATH> must hold <INSTANCEPATH> or <CLASSPATH>")
		}
		return cim.Object{Path: d.fullPath(c)}, true
	case "VALUE.OBJECTWITHPATH", "VALUE.INSTANCEWITHPATH":
		d.elementOnly(e)
		p := e.first
		if p == nil || p.next == nil || p.next.next != nil {
			d.invalid(e, "<%s> must hold a path and an object", e.name)
		}
		o := cim.Object{Path: d.fullPath(p)}
		switch p.next.name {
		case "INSTANCE":
			o.Instance = d.instance(p.next)
		case "CLASS":
			o.Class = d.fullClass(p.next)
		default:
			d.unexpected(e, p.next)
		}
		return o, true
	case "VALUE.OBJECT", "VALUE.OBJECTWITHLOCALPATH":
		d.elementOnly(e)
		var o cim.Object
		for c := e.first; c != nil; c = c.next {
			switch c.name {
			case "INSTANCE":
				o.Instance = d.instance(c)
			case "CLASS":
				o.Class = d.fullClass(c)
			case "LOCALINSTANCEPATH", "LOCALCLASSPATH":
				o.Path = d.localPath(c)
			default:
				d.unexpected(e, c)
			}
		}
		return o, true
	case "CLASSNAME":
		name := d.className(e)
		res.ClassNames = append(res.ClassNames, name)
		return cim.Object{}, false
	case "QUALIFIER.DECLARATION":
		qt := d.qualifierDecl(e)
		if strings.EqualFold(method, "GetQualifier") {
			res.QualifierType = qt
		} else {
			res.QualifierTypes = append(res.QualifierTypes, qt)
		}
		return cim.Object{}, false
	case "VALUE":
		// GetProperty and EnumerationCount carry no type: the text is returned.
		res.Value, res.ValueType = d.value(e, cim.TypeInvalid, ""), cim.TypeString
		if strings.EqualFold(method, "EnumerationCount") {
			if n, err := strconv.ParseUint(strings.TrimSpace(e.text), 10, 64); err == nil {
				res.Value, res.ValueType = n, cim.TypeUint64
			}
		}
		return cim.Object{}, false
	case "VALUE.ARRAY":
		res.Value, res.ValueType, res.IsArray = d.valueArray(e, cim.TypeInvalid, ""), cim.TypeString, true
		return cim.Object{}, false
	case "VALUE.REFERENCE":
		res.Value, res.ValueType = d.reference(e), cim.TypeReference
		return cim.Object{}, false
	case "VALUE.REFARRAY":
		res.Value, res.ValueType, res.IsArray = d.refArray(e), cim.TypeReference, true
		return cim.Object{}, false
	}
	d.invalid(e, "<%s> is not allowed in <IRETURNVALUE>", e.name)
	return cim.Object{}, false
}

// fullPath decodes INSTANCEPATH or CLASSPATH (NAMESPACEPATH and name).
func (d *decoder) fullPath(n *node) *cim.ObjectPath {
	if n.name != "INSTANCEPATH" && n.name != "CLASSPATH" {
		d.invalid(n, "<%s> is not an INSTANCEPATH or CLASSPATH", n.name)
	}
	d.elementOnly(n)
	nsp := n.first
	if nsp == nil || nsp.name != "NAMESPACEPATH" {
		d.invalid(n, "<%s> must begin with <NAMESPACEPATH>", n.name)
	}
	host, ns := d.namespacePath(nsp)
	return d.pathTail(n, nsp, host, ns)
}

// pullParam decodes the output PARAMVALUEs of the pull operations.
func (d *decoder) pullParam(n *node, res *cim.Result) {
	name := d.required(n, "NAME")
	switch {
	case strings.EqualFold(name, "QueryResultClass"):
		if c := d.only(n); c != nil {
			if c.name != "CLASS" {
				d.unexpected(n, c)
			}
			res.QueryResultClass = d.fullClass(c)
		}
		return
	}
	pv := d.paramValue(n)
	switch {
	case strings.EqualFold(name, "EndOfSequence"):
		switch v := pv.Value.(type) {
		case bool:
			res.EndOfSequence = v
		case string:
			res.EndOfSequence = strings.EqualFold(strings.TrimSpace(v), "true")
		}
	case strings.EqualFold(name, "EnumerationContext"):
		res.EnumerationContext, _ = pv.Value.(string)
	}
}

// mresponse decodes RETURNVALUE and the output PARAMVALUEs of an extrinsic call.
func (d *decoder) mresponse(rsp *node, res *cim.Result) {
	for c := rsp.first; c != nil; c = c.next {
		switch c.name {
		case "RETURNVALUE":
			if c != rsp.first {
				d.invalid(c, "<RETURNVALUE> after a <PARAMVALUE>")
			}
			// RETURNVALUE has PARAMVALUE's shape without a NAME.
			c.attrs = append(c.attrs, attr{name: "NAME", value: "ReturnValue"})
			pv := d.paramValue(c)
			res.ReturnValue, res.ReturnType, res.ReturnEmbeddedObject = pv.Value, pv.Type, pv.EmbeddedObject
		case "PARAMVALUE":
			res.OutParams = append(res.OutParams, d.paramValue(c))
		default:
			d.unexpected(rsp, c)
		}
	}
}

// fullClass decodes CLASS keeping the propagated elements, marked Propagated: a
// client wants the class as the server presented it (the server-side class decoder
// drops them for the dispatcher to resolve).
func (d *decoder) fullClass(n *node) *cim.Class {
	c := &cim.Class{Name: d.required(n, "NAME")}
	c.SuperClass, _ = n.attr("SUPERCLASS")
	d.elementOnly(n)
	for e := n.first; e != nil; e = e.next {
		switch e.name {
		case "QUALIFIER":
			q, prop := d.qualifier(e)
			q.Propagated = prop
			c.Qualifiers = append(c.Qualifiers, q)
		case "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE":
			p, prop := d.property(e, true)
			p.Propagated = prop
			p.ClassOrigin, _ = e.attr("CLASSORIGIN")
			c.Properties = append(c.Properties, p)
		case "METHOD":
			m, prop := d.method(e)
			m.Propagated = prop
			m.ClassOrigin, _ = e.attr("CLASSORIGIN")
			c.Methods = append(c.Methods, m)
		default:
			d.unexpected(n, e)
		}
	}
	return c
}

// EncodeRequest writes the request document for op as message id: IMETHODCALL for
// the intrinsic operations, METHODCALL for *cim.InvokeMethod, as pywbem writes them
// (KEYVALUE with VALUETYPE and TYPE, PARAMVALUE with PARAMTYPE). Flags are always
// sent with the values op holds. It returns an error when op is nil or lacks a
// required object, or when w fails.
func EncodeRequest(w io.Writer, id string, op cim.Op) error {
	if op == nil {
		return errors.New("cimxml: no operation to encode")
	}
	ew := &errWriter{w: w}
	wr := &writer{b: bufio.NewWriterSize(ew, 4096), ew: ew, ns: op.NamespaceName(), scratch: make([]byte, 0, 64),
		includeQualifiers: true}
	wr.str(`<?xml version="1.0" encoding="utf-8" ?>` + "\n")
	wr.str(`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE`)
	wr.attr("ID", id)
	wr.str(` PROTOCOLVERSION="1.0"><SIMPLEREQ>`)
	var err error
	if im, ok := op.(*cim.InvokeMethod); ok {
		err = wr.methodCall(im)
	} else {
		wr.open("IMETHODCALL")
		wr.attr("NAME", op.OpName())
		wr.str(">")
		wr.localNamespace(op.NamespaceName())
		err = wr.iparams(op)
		wr.end("IMETHODCALL")
	}
	if err != nil {
		return err
	}
	wr.str("</SIMPLEREQ></MESSAGE></CIM>\n")
	if ferr := wr.b.Flush(); ferr != nil {
		return ferr
	}
	return ew.err
}

// methodCall writes METHODCALL with the local path of the target and the parameters.
func (w *writer) methodCall(m *cim.InvokeMethod) error {
	if m.Target == nil {
		return errors.New("cimxml: InvokeMethod without a target")
	}
	w.open("METHODCALL")
	w.attr("NAME", m.MethodName)
	w.str(">")
	ns := m.Target.Namespace
	if ns == "" {
		ns = m.Namespace
	}
	if m.Target.IsClass() {
		w.str("<LOCALCLASSPATH>")
		w.localNamespace(ns)
		w.className(m.Target.ClassName)
		w.str("</LOCALCLASSPATH>")
	} else {
		w.str("<LOCALINSTANCEPATH>")
		w.localNamespace(ns)
		w.instanceName(m.Target)
		w.str("</LOCALINSTANCEPATH>")
	}
	for i := range m.Params {
		w.paramValue(&m.Params[i])
	}
	w.end("METHODCALL")
	return nil
}

// iparam writes one IPARAMVALUE whose content body writes.
func (w *writer) iparam(name string, body func()) {
	w.open("IPARAMVALUE")
	w.attr("NAME", name)
	w.str(">")
	body()
	w.end("IPARAMVALUE")
}

func (w *writer) boolParam(name string, v bool) {
	w.iparam(name, func() {
		if v {
			w.str("<VALUE>TRUE</VALUE>")
		} else {
			w.str("<VALUE>FALSE</VALUE>")
		}
	})
}

// stringParam writes a string IPARAMVALUE, or nothing when s is "".
func (w *writer) stringParam(name, s string) {
	if s == "" {
		return
	}
	w.iparam(name, func() { w.scalar(s) })
}

// classNameParam writes a CLASSNAME IPARAMVALUE, or nothing when name is "".
func (w *writer) classNameParam(name, class string) {
	if class == "" {
		return
	}
	w.iparam(name, func() { w.className(class) })
}

func (w *writer) uint32Param(name string, v uint32) {
	w.iparam(name, func() { w.scalar(v) })
}

// propertyListParam writes PropertyList, or nothing when pl is nil (all properties).
func (w *writer) propertyListParam(pl cim.PropertyList) {
	if pl == nil {
		return
	}
	w.iparam("PropertyList", func() {
		w.str("<VALUE.ARRAY>")
		for _, p := range pl {
			w.scalar(p)
		}
		w.str("</VALUE.ARRAY>")
	})
}

// objectNameParam writes ObjectName/InstanceName: an INSTANCENAME, or a CLASSNAME
// for a path without keys when classOK.
func (w *writer) objectNameParam(name string, p *cim.ObjectPath, classOK bool) error {
	if p == nil {
		return fmt.Errorf("cimxml: %s is missing", name)
	}
	w.iparam(name, func() {
		if classOK && p.IsClass() {
			w.className(p.ClassName)
		} else {
			w.instanceName(p)
		}
	})
	return nil
}

func (w *writer) pullOptions(o *cim.PullOptions) {
	w.stringParam("FilterQueryLanguage", o.FilterQueryLanguage)
	w.stringParam("FilterQuery", o.FilterQuery)
	if o.OperationTimeout != nil {
		w.uint32Param("OperationTimeout", *o.OperationTimeout)
	}
	w.boolParam("ContinueOnError", o.ContinueOnError)
	w.uint32Param("MaxObjectCount", o.MaxObjectCount)
}

// iparams writes the IPARAMVALUEs of an intrinsic operation.
func (w *writer) iparams(op cim.Op) error {
	switch o := op.(type) {
	case *cim.GetClass:
		w.classNameParam("ClassName", o.ClassName)
		w.boolParam("LocalOnly", o.LocalOnly)
		w.boolParam("IncludeQualifiers", o.IncludeQualifiers)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
	case *cim.EnumerateClasses:
		w.classNameParam("ClassName", o.ClassName)
		w.boolParam("DeepInheritance", o.DeepInheritance)
		w.boolParam("LocalOnly", o.LocalOnly)
		w.boolParam("IncludeQualifiers", o.IncludeQualifiers)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
	case *cim.EnumerateClassNames:
		w.classNameParam("ClassName", o.ClassName)
		w.boolParam("DeepInheritance", o.DeepInheritance)
	case *cim.CreateClass:
		if o.NewClass == nil {
			return errors.New("cimxml: NewClass is missing")
		}
		w.iparam("NewClass", func() { w.classElement(o.NewClass) })
	case *cim.ModifyClass:
		if o.ModifiedClass == nil {
			return errors.New("cimxml: ModifiedClass is missing")
		}
		w.iparam("ModifiedClass", func() { w.classElement(o.ModifiedClass) })
	case *cim.DeleteClass:
		w.classNameParam("ClassName", o.ClassName)
	case *cim.GetQualifier:
		w.stringParam("QualifierName", o.QualifierName)
	case *cim.SetQualifier:
		if o.QualifierDeclaration == nil {
			return errors.New("cimxml: QualifierDeclaration is missing")
		}
		w.iparam("QualifierDeclaration", func() { w.qualifierType(o.QualifierDeclaration) })
	case *cim.DeleteQualifier:
		w.stringParam("QualifierName", o.QualifierName)
	case *cim.EnumerateQualifiers:
	case *cim.GetInstance:
		if err := w.objectNameParam("InstanceName", o.InstanceName, false); err != nil {
			return err
		}
		w.boolParam("LocalOnly", o.LocalOnly)
		w.boolParam("IncludeQualifiers", o.IncludeQualifiers)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
	case *cim.EnumerateInstances:
		w.classNameParam("ClassName", o.ClassName)
		w.boolParam("LocalOnly", o.LocalOnly)
		w.boolParam("DeepInheritance", o.DeepInheritance)
		w.boolParam("IncludeQualifiers", o.IncludeQualifiers)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
	case *cim.EnumerateInstanceNames:
		w.classNameParam("ClassName", o.ClassName)
	case *cim.CreateInstance:
		if o.NewInstance == nil {
			return errors.New("cimxml: NewInstance is missing")
		}
		w.iparam("NewInstance", func() { w.instance(o.NewInstance) })
	case *cim.ModifyInstance:
		if o.ModifiedInstance == nil || o.InstanceName == nil {
			return errors.New("cimxml: ModifiedInstance or its InstanceName is missing")
		}
		w.iparam("ModifiedInstance", func() {
			w.str("<VALUE.NAMEDINSTANCE>")
			w.instanceName(o.InstanceName)
			w.instance(o.ModifiedInstance)
			w.str("</VALUE.NAMEDINSTANCE>")
		})
		w.boolParam("IncludeQualifiers", o.IncludeQualifiers)
		w.propertyListParam(o.PropertyList)
	case *cim.DeleteInstance:
		return w.objectNameParam("InstanceName", o.InstanceName, false)
	case *cim.GetProperty:
		if err := w.objectNameParam("InstanceName", o.InstanceName, false); err != nil {
			return err
		}
		w.stringParam("PropertyName", o.PropertyName)
	case *cim.SetProperty:
		if err := w.objectNameParam("InstanceName", o.InstanceName, false); err != nil {
			return err
		}
		w.stringParam("PropertyName", o.PropertyName)
		if o.NewValue != nil {
			_, arr := o.NewValue.([]any)
			w.iparam("NewValue", func() { w.value(typeOfValue(o.NewValue), arr, o.NewValue, embeddedKind(o.NewValue, "")) })
		}
	case *cim.Associators:
		if err := w.objectNameParam("ObjectName", o.ObjectName, true); err != nil {
			return err
		}
		w.classNameParam("AssocClass", o.AssocClass)
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
		w.stringParam("ResultRole", o.ResultRole)
		w.boolParam("IncludeQualifiers", o.IncludeQualifiers)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
	case *cim.AssociatorNames:
		if err := w.objectNameParam("ObjectName", o.ObjectName, true); err != nil {
			return err
		}
		w.classNameParam("AssocClass", o.AssocClass)
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
		w.stringParam("ResultRole", o.ResultRole)
	case *cim.References:
		if err := w.objectNameParam("ObjectName", o.ObjectName, true); err != nil {
			return err
		}
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
		w.boolParam("IncludeQualifiers", o.IncludeQualifiers)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
	case *cim.ReferenceNames:
		if err := w.objectNameParam("ObjectName", o.ObjectName, true); err != nil {
			return err
		}
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
	case *cim.ExecQuery:
		w.stringParam("QueryLanguage", o.QueryLanguage)
		w.stringParam("Query", o.Query)
	case *cim.OpenEnumerateInstances:
		w.classNameParam("ClassName", o.ClassName)
		w.boolParam("DeepInheritance", o.DeepInheritance)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
		w.pullOptions(&o.PullOptions)
	case *cim.OpenEnumerateInstancePaths:
		w.classNameParam("ClassName", o.ClassName)
		w.pullOptions(&o.PullOptions)
	case *cim.OpenAssociatorInstances:
		if err := w.objectNameParam("InstanceName", o.InstanceName, false); err != nil {
			return err
		}
		w.classNameParam("AssocClass", o.AssocClass)
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
		w.stringParam("ResultRole", o.ResultRole)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
		w.pullOptions(&o.PullOptions)
	case *cim.OpenAssociatorInstancePaths:
		if err := w.objectNameParam("InstanceName", o.InstanceName, false); err != nil {
			return err
		}
		w.classNameParam("AssocClass", o.AssocClass)
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
		w.stringParam("ResultRole", o.ResultRole)
		w.pullOptions(&o.PullOptions)
	case *cim.OpenReferenceInstances:
		if err := w.objectNameParam("InstanceName", o.InstanceName, false); err != nil {
			return err
		}
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
		w.boolParam("IncludeClassOrigin", o.IncludeClassOrigin)
		w.propertyListParam(o.PropertyList)
		w.pullOptions(&o.PullOptions)
	case *cim.OpenReferenceInstancePaths:
		if err := w.objectNameParam("InstanceName", o.InstanceName, false); err != nil {
			return err
		}
		w.classNameParam("ResultClass", o.ResultClass)
		w.stringParam("Role", o.Role)
		w.pullOptions(&o.PullOptions)
	case *cim.OpenQueryInstances:
		w.stringParam("FilterQueryLanguage", o.FilterQueryLanguage)
		w.stringParam("FilterQuery", o.FilterQuery)
		w.boolParam("ReturnQueryResultClass", o.ReturnQueryResultClass)
		if o.OperationTimeout != nil {
			w.uint32Param("OperationTimeout", *o.OperationTimeout)
		}
		w.boolParam("ContinueOnError", o.ContinueOnError)
		w.uint32Param("MaxObjectCount", o.MaxObjectCount)
	case *cim.PullInstancesWithPath:
		w.stringParam("EnumerationContext", o.EnumerationContext)
		w.uint32Param("MaxObjectCount", o.MaxObjectCount)
	case *cim.PullInstancePaths:
		w.stringParam("EnumerationContext", o.EnumerationContext)
		w.uint32Param("MaxObjectCount", o.MaxObjectCount)
	case *cim.PullInstances:
		w.stringParam("EnumerationContext", o.EnumerationContext)
		w.uint32Param("MaxObjectCount", o.MaxObjectCount)
	case *cim.CloseEnumeration:
		w.stringParam("EnumerationContext", o.EnumerationContext)
	case *cim.EnumerationCount:
		w.stringParam("EnumerationContext", o.EnumerationContext)
	default:
		return fmt.Errorf("cimxml: cannot encode operation %T", op)
	}
	return nil
}
