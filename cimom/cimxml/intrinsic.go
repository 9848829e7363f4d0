package cimxml

import (
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The kinds of IPARAMVALUE content (DSP0200 §5.3.2).
type pkind uint8

const (
	kClassName pkind = iota // CLASSNAME → *string
	kString                 // VALUE → *string
	kBool                   // VALUE TRUE/FALSE → *bool
	kUint32                 // VALUE → *uint32
	kUint32Ptr              // VALUE → **uint32
	kPropList               // VALUE.ARRAY of VALUE → *cim.PropertyList
	kInstName               // INSTANCENAME → **cim.ObjectPath
	kObjName                // INSTANCENAME or CLASSNAME → **cim.ObjectPath
	kInstance               // INSTANCE → **cim.Instance
	kNamedInst              // VALUE.NAMEDINSTANCE → *cim.ModifyInstance
	kClass                  // CLASS → **cim.Class
	kQualDecl               // QUALIFIER.DECLARATION → **cim.QualifierType
	kAny                    // VALUE, VALUE.ARRAY, VALUE.REFERENCE → *any (untyped)
)

type pspec struct {
	name string
	kind pkind
	req  bool
	ptr  any
}

// params is the parameter list of one intrinsic method; a fixed array so that
// building it does not allocate.
type params struct {
	specs [14]pspec
	n     int
}

func (ps *params) add(name string, kind pkind, req bool, ptr any) {
	ps.specs[ps.n] = pspec{name, kind, req, ptr}
	ps.n++
}

// intrinsicNames are the intrinsic methods of DSP0200 the server decodes.
var intrinsicNames = []string{
	"GetClass", "GetInstance", "EnumerateInstances", "EnumerateInstanceNames",
	"EnumerateClasses", "EnumerateClassNames", "Associators", "AssociatorNames",
	"References", "ReferenceNames", "GetProperty", "SetProperty", "CreateInstance",
	"ModifyInstance", "DeleteInstance", "CreateClass", "ModifyClass", "DeleteClass",
	"GetQualifier", "SetQualifier", "DeleteQualifier", "EnumerateQualifiers", "ExecQuery",
	"OpenEnumerateInstances", "OpenEnumerateInstancePaths", "OpenAssociatorInstances",
	"OpenAssociatorInstancePaths", "OpenReferenceInstances", "OpenReferenceInstancePaths",
	"OpenQueryInstances", "PullInstancesWithPath", "PullInstancePaths", "PullInstances",
	"CloseEnumeration", "EnumerationCount",
}

func canonicalIntrinsic(name string) string {
	for _, n := range intrinsicNames {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return ""
}

func classFlags(ps *params, f *cim.ClassFlags) {
	ps.add("LocalOnly", kBool, false, &f.LocalOnly)
	ps.add("IncludeQualifiers", kBool, false, &f.IncludeQualifiers)
	ps.add("IncludeClassOrigin", kBool, false, &f.IncludeClassOrigin)
}

func instanceFlags(ps *params, f *cim.InstanceFlags) {
	ps.add("LocalOnly", kBool, false, &f.LocalOnly)
	ps.add("IncludeQualifiers", kBool, false, &f.IncludeQualifiers)
	ps.add("IncludeClassOrigin", kBool, false, &f.IncludeClassOrigin)
}

func pullOptions(ps *params, o *cim.PullOptions) {
	ps.add("FilterQueryLanguage", kString, false, &o.FilterQueryLanguage)
	ps.add("FilterQuery", kString, false, &o.FilterQuery)
	ps.add("OperationTimeout", kUint32Ptr, false, &o.OperationTimeout)
	ps.add("ContinueOnError", kBool, false, &o.ContinueOnError)
	ps.add("MaxObjectCount", kUint32, false, &o.MaxObjectCount)
}

// intrinsic decodes the IPARAMVALUEs starting at first for method name.
func (d *decoder) intrinsic(name string, first *node) cim.Op {
	b := cim.Base{Namespace: d.ns}
	var ps params
	var op cim.Op
	switch canonicalIntrinsic(name) {
	case "GetClass":
		o := &cim.GetClass{Base: b, ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: true}}
		ps.add("ClassName", kClassName, true, &o.ClassName)
		classFlags(&ps, &o.ClassFlags)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		op = o
	case "EnumerateClasses":
		o := &cim.EnumerateClasses{Base: b, ClassFlags: cim.ClassFlags{LocalOnly: true, IncludeQualifiers: true}}
		ps.add("ClassName", kClassName, false, &o.ClassName)
		ps.add("DeepInheritance", kBool, false, &o.DeepInheritance)
		classFlags(&ps, &o.ClassFlags)
		op = o
	case "EnumerateClassNames":
		o := &cim.EnumerateClassNames{Base: b}
		ps.add("ClassName", kClassName, false, &o.ClassName)
		ps.add("DeepInheritance", kBool, false, &o.DeepInheritance)
		op = o
	case "CreateClass":
		o := &cim.CreateClass{Base: b}
		ps.add("NewClass", kClass, true, &o.NewClass)
		op = o
	case "ModifyClass":
		o := &cim.ModifyClass{Base: b}
		ps.add("ModifiedClass", kClass, true, &o.ModifiedClass)
		op = o
	case "DeleteClass":
		o := &cim.DeleteClass{Base: b}
		ps.add("ClassName", kClassName, true, &o.ClassName)
		op = o
	case "GetQualifier":
		o := &cim.GetQualifier{Base: b}
		ps.add("QualifierName", kString, true, &o.QualifierName)
		op = o
	case "SetQualifier":
		o := &cim.SetQualifier{Base: b}
		ps.add("QualifierDeclaration", kQualDecl, true, &o.QualifierDeclaration)
		op = o
	case "DeleteQualifier":
		o := &cim.DeleteQualifier{Base: b}
		ps.add("QualifierName", kString, true, &o.QualifierName)
		op = o
	case "EnumerateQualifiers":
		op = &cim.EnumerateQualifiers{Base: b}
	case "GetInstance":
		o := &cim.GetInstance{Base: b, InstanceFlags: cim.InstanceFlags{LocalOnly: true}}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		instanceFlags(&ps, &o.InstanceFlags)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		op = o
	case "EnumerateInstances":
		o := &cim.EnumerateInstances{Base: b, DeepInheritance: true, InstanceFlags: cim.InstanceFlags{LocalOnly: true}}
		ps.add("ClassName", kClassName, true, &o.ClassName)
		ps.add("DeepInheritance", kBool, false, &o.DeepInheritance)
		instanceFlags(&ps, &o.InstanceFlags)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		op = o
	case "EnumerateInstanceNames":
		o := &cim.EnumerateInstanceNames{Base: b}
		ps.add("ClassName", kClassName, true, &o.ClassName)
		op = o
	case "CreateInstance":
		o := &cim.CreateInstance{Base: b}
		ps.add("NewInstance", kInstance, true, &o.NewInstance)
		op = o
	case "ModifyInstance":
		o := &cim.ModifyInstance{Base: b, IncludeQualifiers: true}
		ps.add("ModifiedInstance", kNamedInst, true, o)
		ps.add("IncludeQualifiers", kBool, false, &o.IncludeQualifiers)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		op = o
	case "DeleteInstance":
		o := &cim.DeleteInstance{Base: b}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		op = o
	case "GetProperty":
		o := &cim.GetProperty{Base: b}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		ps.add("PropertyName", kString, true, &o.PropertyName)
		op = o
	case "SetProperty":
		o := &cim.SetProperty{Base: b}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		ps.add("PropertyName", kString, true, &o.PropertyName)
		ps.add("NewValue", kAny, false, &o.NewValue)
		op = o
	case "Associators":
		o := &cim.Associators{Base: b}
		ps.add("ObjectName", kObjName, true, &o.ObjectName)
		ps.add("AssocClass", kClassName, false, &o.AssocClass)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		ps.add("ResultRole", kString, false, &o.ResultRole)
		ps.add("IncludeQualifiers", kBool, false, &o.IncludeQualifiers)
		ps.add("IncludeClassOrigin", kBool, false, &o.IncludeClassOrigin)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		op = o
	case "AssociatorNames":
		o := &cim.AssociatorNames{Base: b}
		ps.add("ObjectName", kObjName, true, &o.ObjectName)
		ps.add("AssocClass", kClassName, false, &o.AssocClass)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		ps.add("ResultRole", kString, false, &o.ResultRole)
		op = o
	case "References":
		o := &cim.References{Base: b}
		ps.add("ObjectName", kObjName, true, &o.ObjectName)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		ps.add("IncludeQualifiers", kBool, false, &o.IncludeQualifiers)
		ps.add("IncludeClassOrigin", kBool, false, &o.IncludeClassOrigin)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		op = o
	case "ReferenceNames":
		o := &cim.ReferenceNames{Base: b}
		ps.add("ObjectName", kObjName, true, &o.ObjectName)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		op = o
	case "ExecQuery":
		o := &cim.ExecQuery{Base: b}
		ps.add("QueryLanguage", kString, true, &o.QueryLanguage)
		ps.add("Query", kString, true, &o.Query)
		op = o
	case "OpenEnumerateInstances":
		o := &cim.OpenEnumerateInstances{Base: b, DeepInheritance: true}
		ps.add("ClassName", kClassName, true, &o.ClassName)
		ps.add("DeepInheritance", kBool, false, &o.DeepInheritance)
		ps.add("IncludeClassOrigin", kBool, false, &o.IncludeClassOrigin)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		pullOptions(&ps, &o.PullOptions)
		op = o
	case "OpenEnumerateInstancePaths":
		o := &cim.OpenEnumerateInstancePaths{Base: b}
		ps.add("ClassName", kClassName, true, &o.ClassName)
		pullOptions(&ps, &o.PullOptions)
		op = o
	case "OpenAssociatorInstances":
		o := &cim.OpenAssociatorInstances{Base: b}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		ps.add("AssocClass", kClassName, false, &o.AssocClass)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		ps.add("ResultRole", kString, false, &o.ResultRole)
		ps.add("IncludeClassOrigin", kBool, false, &o.IncludeClassOrigin)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		pullOptions(&ps, &o.PullOptions)
		op = o
	case "OpenAssociatorInstancePaths":
		o := &cim.OpenAssociatorInstancePaths{Base: b}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		ps.add("AssocClass", kClassName, false, &o.AssocClass)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		ps.add("ResultRole", kString, false, &o.ResultRole)
		pullOptions(&ps, &o.PullOptions)
		op = o
	case "OpenReferenceInstances":
		o := &cim.OpenReferenceInstances{Base: b}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		ps.add("IncludeClassOrigin", kBool, false, &o.IncludeClassOrigin)
		ps.add("PropertyList", kPropList, false, &o.PropertyList)
		pullOptions(&ps, &o.PullOptions)
		op = o
	case "OpenReferenceInstancePaths":
		o := &cim.OpenReferenceInstancePaths{Base: b}
		ps.add("InstanceName", kInstName, true, &o.InstanceName)
		ps.add("ResultClass", kClassName, false, &o.ResultClass)
		ps.add("Role", kString, false, &o.Role)
		pullOptions(&ps, &o.PullOptions)
		op = o
	case "OpenQueryInstances":
		o := &cim.OpenQueryInstances{Base: b}
		pullOptions(&ps, &o.PullOptions)
		// Required here (DSP0200 OpenQueryInstances).
		ps.specs[0].req, ps.specs[1].req = true, true
		ps.add("ReturnQueryResultClass", kBool, false, &o.ReturnQueryResultClass)
		op = o
	case "PullInstancesWithPath":
		o := &cim.PullInstancesWithPath{Base: b}
		ps.add("EnumerationContext", kString, true, &o.EnumerationContext)
		ps.add("MaxObjectCount", kUint32, true, &o.MaxObjectCount)
		op = o
	case "PullInstancePaths":
		o := &cim.PullInstancePaths{Base: b}
		ps.add("EnumerationContext", kString, true, &o.EnumerationContext)
		ps.add("MaxObjectCount", kUint32, true, &o.MaxObjectCount)
		op = o
	case "PullInstances":
		o := &cim.PullInstances{Base: b}
		ps.add("EnumerationContext", kString, true, &o.EnumerationContext)
		ps.add("MaxObjectCount", kUint32, true, &o.MaxObjectCount)
		op = o
	case "CloseEnumeration":
		o := &cim.CloseEnumeration{Base: b}
		ps.add("EnumerationContext", kString, true, &o.EnumerationContext)
		op = o
	case "EnumerationCount":
		o := &cim.EnumerationCount{Base: b}
		ps.add("EnumerationContext", kString, true, &o.EnumerationContext)
		op = o
	default:
		d.opError(cim.StatusNotSupported, "Unrecognized intrinsic method")
		for c := first; c != nil; c = c.next {
			d.required(c, "NAME")
		}
		return nil
	}
	d.params(&ps, first)
	return op
}

// params decodes the IPARAMVALUEs starting at first against ps.
func (d *decoder) params(ps *params, first *node) {
	var seen uint32
	for c := first; c != nil; c = c.next {
		name := d.required(c, "NAME")
		v := d.only(c)
		if v != nil {
			switch v.name {
			case "VALUE", "VALUE.ARRAY", "VALUE.REFERENCE", "CLASSNAME", "INSTANCENAME",
				"QUALIFIER.DECLARATION", "CLASS", "INSTANCE", "VALUE.NAMEDINSTANCE":
			default:
				d.unexpected(c, v)
			}
		}
		i := 0
		for ; i < ps.n; i++ {
			if strings.EqualFold(ps.specs[i].name, name) {
				break
			}
		}
		if i == ps.n {
			d.opError(cim.StatusNotSupported, "Unrecognized or invalid request input parameter %s", name)
			d.skimParam(v)
			continue
		}
		if seen&(1<<i) != 0 {
			d.opError(cim.StatusInvalidParameter, "parameter %s given twice", ps.specs[i].name)
			d.skimParam(v)
			continue
		}
		seen |= 1 << i
		d.param(&ps.specs[i], v)
	}
	for i := 0; i < ps.n; i++ {
		if ps.specs[i].req && seen&(1<<i) == 0 {
			d.opError(cim.StatusInvalidParameter, "missing required parameter %s", ps.specs[i].name)
		}
	}
}

// skimParam validates the content of a parameter that is not used.
func (d *decoder) skimParam(v *node) {
	if v == nil {
		return
	}
	switch v.name {
	case "VALUE":
		d.textOnly(v)
	case "VALUE.ARRAY":
		d.valueArray(v, cim.TypeInvalid, "")
	case "VALUE.REFERENCE":
		d.reference(v)
	case "CLASSNAME", "INSTANCENAME":
		d.objectName(v)
	case "QUALIFIER.DECLARATION":
		d.qualifierDecl(v)
	case "CLASS":
		d.class(v)
	case "INSTANCE":
		d.instance(v)
	case "VALUE.NAMEDINSTANCE":
		d.namedInstance(v)
	}
}

// param decodes the content v (nil: NULL) of one IPARAMVALUE.
func (d *decoder) param(s *pspec, v *node) {
	if v == nil {
		if s.req {
			d.opError(cim.StatusInvalidParameter, "parameter %s must not be NULL", s.name)
		}
		if s.kind == kPropList {
			*s.ptr.(*cim.PropertyList) = nil
		}
		return
	}
	want := ""
	switch s.kind {
	case kClassName:
		if v.name == "CLASSNAME" {
			*s.ptr.(*string) = d.className(v)
			return
		}
		want = "CLASSNAME"
	case kString, kBool, kUint32, kUint32Ptr:
		if v.name != "VALUE" {
			want = "VALUE"
			break
		}
		d.textOnly(v)
		switch p := s.ptr.(type) {
		case *string:
			*p = v.text
			return
		case *bool:
			if b, err := parseScalar(cim.TypeBoolean, v.text); err == nil {
				*p = b.(bool)
				return
			}
			d.opError(cim.StatusInvalidParameter, "parameter %s: %q is not a boolean", s.name, v.text)
			return
		case *uint32:
			if u, err := parseInteger(cim.TypeUint32, strings.TrimSpace(v.text)); err == nil {
				*p = u.(uint32)
				return
			}
		case **uint32:
			if u, err := parseInteger(cim.TypeUint32, strings.TrimSpace(v.text)); err == nil {
				x := u.(uint32)
				*p = &x
				return
			}
		}
		d.opError(cim.StatusInvalidParameter, "parameter %s: %q is not a uint32", s.name, v.text)
		return
	case kPropList:
		if v.name != "VALUE.ARRAY" {
			want = "VALUE.ARRAY"
			break
		}
		d.elementOnly(v)
		list := cim.PropertyList{}
		for c := v.first; c != nil; c = c.next {
			switch c.name {
			case "VALUE":
				d.textOnly(c)
				list = append(list, strings.TrimSpace(c.text))
			case "VALUE.NULL":
				d.empty(c)
				d.opError(cim.StatusInvalidParameter, "parameter %s: NULL property name", s.name)
			default:
				d.unexpected(v, c)
			}
		}
		*s.ptr.(*cim.PropertyList) = list
		return
	case kInstName:
		if v.name == "INSTANCENAME" {
			*s.ptr.(**cim.ObjectPath) = d.instanceName(v, "", d.ns)
			return
		}
		want = "INSTANCENAME"
	case kObjName:
		if v.name == "INSTANCENAME" || v.name == "CLASSNAME" {
			*s.ptr.(**cim.ObjectPath) = d.objectName(v)
			return
		}
		want = "INSTANCENAME or CLASSNAME"
	case kInstance:
		if v.name == "INSTANCE" {
			*s.ptr.(**cim.Instance) = d.instance(v)
			return
		}
		want = "INSTANCE"
	case kNamedInst:
		if v.name == "VALUE.NAMEDINSTANCE" {
			o := s.ptr.(*cim.ModifyInstance)
			o.InstanceName, o.ModifiedInstance = d.namedInstance(v)
			return
		}
		want = "VALUE.NAMEDINSTANCE"
	case kClass:
		if v.name == "CLASS" {
			*s.ptr.(**cim.Class) = d.class(v)
			return
		}
		want = "CLASS"
	case kQualDecl:
		if v.name == "QUALIFIER.DECLARATION" {
			*s.ptr.(**cim.QualifierType) = d.qualifierDecl(v)
			return
		}
		want = "QUALIFIER.DECLARATION"
	case kAny:
		p := s.ptr.(*any)
		switch v.name {
		case "VALUE":
			*p = d.value(v, cim.TypeInvalid, "")
			return
		case "VALUE.ARRAY":
			*p = d.valueArray(v, cim.TypeInvalid, "")
			return
		case "VALUE.REFERENCE":
			*p = d.reference(v)
			return
		}
		want = "VALUE, VALUE.ARRAY or VALUE.REFERENCE"
	}
	d.skimParam(v)
	d.opError(cim.StatusInvalidParameter, "parameter %s: want %s, have %s", s.name, want, v.name)
}
