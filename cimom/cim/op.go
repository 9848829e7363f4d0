package cim

import "iter"

// Op is one CIM operation (DSP0200 §5.3): an intrinsic method, one struct each below,
// or InvokeMethod for an extrinsic one. The CIM-XML decoder produces them, the
// dispatcher runs them.
type Op interface {
	// OpName is the method name on the wire: "GetClass", "OpenEnumerateInstances",
	// or for InvokeMethod the extrinsic method's name.
	OpName() string
	// NamespaceName is the target namespace, as the request named it.
	NamespaceName() string
}

// Flags of the read operations (DSP0200 §5.3.2; cimxml.md §3.2). Each field holds the
// value the request gave, or the operation's default when it gave none.
type ClassFlags struct {
	LocalOnly          bool // default true
	IncludeQualifiers  bool // default true
	IncludeClassOrigin bool // default false
}

// InstanceFlags are the flags of instance operations. LocalOnly and
// IncludeQualifiers are deprecated for instances and ignored by the server.
type InstanceFlags struct {
	LocalOnly          bool // default true; ignored
	IncludeQualifiers  bool // default false; ignored
	IncludeClassOrigin bool // default false
}

// PropertyList is the PropertyList parameter: nil means all properties, an empty
// non-nil slice none.
type PropertyList []string

// PullOptions are the parameters every Open… operation shares (DSP0200 §5.3.2.x).
type PullOptions struct {
	FilterQueryLanguage string  // "" when absent
	FilterQuery         string  // "" when absent
	OperationTimeout    *uint32 // seconds; nil: the server's default
	ContinueOnError     bool
	MaxObjectCount      uint32
}

// Base holds what every operation has: the namespace.
type Base struct{ Namespace string }

// NamespaceName returns the target namespace.
func (b Base) NamespaceName() string { return b.Namespace }

type (
	GetClass struct {
		Base
		ClassName string
		ClassFlags
		PropertyList PropertyList
	}
	EnumerateClasses struct {
		Base
		ClassName       string // "": the root classes
		DeepInheritance bool   // default false
		ClassFlags
	}
	EnumerateClassNames struct {
		Base
		ClassName       string
		DeepInheritance bool
	}
	CreateClass struct {
		Base
		NewClass *Class
	}
	ModifyClass struct {
		Base
		ModifiedClass *Class
	}
	DeleteClass struct {
		Base
		ClassName string
	}
	GetQualifier struct {
		Base
		QualifierName string
	}
	SetQualifier struct {
		Base
		QualifierDeclaration *QualifierType
	}
	DeleteQualifier struct {
		Base
		QualifierName string
	}
	EnumerateQualifiers struct{ Base }

	GetInstance struct {
		Base
		InstanceName *ObjectPath
		InstanceFlags
		PropertyList PropertyList
	}
	EnumerateInstances struct {
		Base
		ClassName       string
		DeepInheritance bool // default true
		InstanceFlags
		PropertyList PropertyList
	}
	EnumerateInstanceNames struct {
		Base
		ClassName string
	}
	CreateInstance struct {
		Base
		NewInstance *Instance
	}
	ModifyInstance struct {
		Base
		ModifiedInstance  *Instance
		InstanceName      *ObjectPath // the path of VALUE.NAMEDINSTANCE
		IncludeQualifiers bool        // deprecated, ignored
		PropertyList      PropertyList
	}
	DeleteInstance struct {
		Base
		InstanceName *ObjectPath
	}
	GetProperty struct {
		Base
		InstanceName *ObjectPath
		PropertyName string
	}
	SetProperty struct {
		Base
		InstanceName *ObjectPath
		PropertyName string
		// NewValue is the value as sent: typed when the request said the type, else
		// a string (or []any of strings) for the dispatcher to type from the class.
		NewValue any
	}

	// Associators, AssociatorNames, References and ReferenceNames take an instance
	// path or a class path (no keys) as ObjectName; see IsClass.
	Associators struct {
		Base
		ObjectName              *ObjectPath
		AssocClass, ResultClass string
		Role, ResultRole        string
		IncludeQualifiers       bool
		IncludeClassOrigin      bool
		PropertyList            PropertyList
	}
	AssociatorNames struct {
		Base
		ObjectName              *ObjectPath
		AssocClass, ResultClass string
		Role, ResultRole        string
	}
	References struct {
		Base
		ObjectName         *ObjectPath
		ResultClass, Role  string
		IncludeQualifiers  bool
		IncludeClassOrigin bool
		PropertyList       PropertyList
	}
	ReferenceNames struct {
		Base
		ObjectName        *ObjectPath
		ResultClass, Role string
	}
	ExecQuery struct {
		Base
		QueryLanguage, Query string
	}

	OpenEnumerateInstances struct {
		Base
		ClassName          string
		DeepInheritance    bool // default true
		IncludeClassOrigin bool
		PropertyList       PropertyList
		PullOptions
	}
	OpenEnumerateInstancePaths struct {
		Base
		ClassName string
		PullOptions
	}
	OpenAssociatorInstances struct {
		Base
		InstanceName            *ObjectPath
		AssocClass, ResultClass string
		Role, ResultRole        string
		IncludeClassOrigin      bool
		PropertyList            PropertyList
		PullOptions
	}
	OpenAssociatorInstancePaths struct {
		Base
		InstanceName            *ObjectPath
		AssocClass, ResultClass string
		Role, ResultRole        string
		PullOptions
	}
	OpenReferenceInstances struct {
		Base
		InstanceName       *ObjectPath
		ResultClass, Role  string
		IncludeClassOrigin bool
		PropertyList       PropertyList
		PullOptions
	}
	OpenReferenceInstancePaths struct {
		Base
		InstanceName      *ObjectPath
		ResultClass, Role string
		PullOptions
	}
	OpenQueryInstances struct {
		Base
		ReturnQueryResultClass bool
		PullOptions            // FilterQuery and FilterQueryLanguage are required here
	}
	PullInstancesWithPath struct {
		Base
		EnumerationContext string
		MaxObjectCount     uint32
	}
	PullInstancePaths struct {
		Base
		EnumerationContext string
		MaxObjectCount     uint32
	}
	PullInstances struct {
		Base
		EnumerationContext string
		MaxObjectCount     uint32
	}
	CloseEnumeration struct {
		Base
		EnumerationContext string
	}
	EnumerationCount struct {
		Base
		EnumerationContext string
	}

	// InvokeMethod calls an extrinsic method on an instance (Target has keys) or a
	// static method on a class (Target has none).
	InvokeMethod struct {
		Base
		Target     *ObjectPath
		MethodName string
		Params     []ParamValue
	}
)

// ParamValue is a method parameter as sent or returned. Value is typed when Type is
// known (TypeInvalid: untyped text from the wire, a string or []any of strings, that
// the dispatcher types from the method's declaration). Embedded instances are
// *Instance values.
type ParamValue struct {
	Name    string
	Type    Type
	IsArray bool
	Value   any
	// EmbeddedObject is "instance" or "object" for embedded values, else "".
	EmbeddedObject string
}

func (*GetClass) OpName() string                    { return "GetClass" }
func (*EnumerateClasses) OpName() string            { return "EnumerateClasses" }
func (*EnumerateClassNames) OpName() string         { return "EnumerateClassNames" }
func (*CreateClass) OpName() string                 { return "CreateClass" }
func (*ModifyClass) OpName() string                 { return "ModifyClass" }
func (*DeleteClass) OpName() string                 { return "DeleteClass" }
func (*GetQualifier) OpName() string                { return "GetQualifier" }
func (*SetQualifier) OpName() string                { return "SetQualifier" }
func (*DeleteQualifier) OpName() string             { return "DeleteQualifier" }
func (*EnumerateQualifiers) OpName() string         { return "EnumerateQualifiers" }
func (*GetInstance) OpName() string                 { return "GetInstance" }
func (*EnumerateInstances) OpName() string          { return "EnumerateInstances" }
func (*EnumerateInstanceNames) OpName() string      { return "EnumerateInstanceNames" }
func (*CreateInstance) OpName() string              { return "CreateInstance" }
func (*ModifyInstance) OpName() string              { return "ModifyInstance" }
func (*DeleteInstance) OpName() string              { return "DeleteInstance" }
func (*GetProperty) OpName() string                 { return "GetProperty" }
func (*SetProperty) OpName() string                 { return "SetProperty" }
func (*Associators) OpName() string                 { return "Associators" }
func (*AssociatorNames) OpName() string             { return "AssociatorNames" }
func (*References) OpName() string                  { return "References" }
func (*ReferenceNames) OpName() string              { return "ReferenceNames" }
func (*ExecQuery) OpName() string                   { return "ExecQuery" }
func (*OpenEnumerateInstances) OpName() string      { return "OpenEnumerateInstances" }
func (*OpenEnumerateInstancePaths) OpName() string  { return "OpenEnumerateInstancePaths" }
func (*OpenAssociatorInstances) OpName() string     { return "OpenAssociatorInstances" }
func (*OpenAssociatorInstancePaths) OpName() string { return "OpenAssociatorInstancePaths" }
func (*OpenReferenceInstances) OpName() string      { return "OpenReferenceInstances" }
func (*OpenReferenceInstancePaths) OpName() string  { return "OpenReferenceInstancePaths" }
func (*OpenQueryInstances) OpName() string          { return "OpenQueryInstances" }
func (*PullInstancesWithPath) OpName() string       { return "PullInstancesWithPath" }
func (*PullInstancePaths) OpName() string           { return "PullInstancePaths" }
func (*PullInstances) OpName() string               { return "PullInstances" }
func (*CloseEnumeration) OpName() string            { return "CloseEnumeration" }
func (*EnumerationCount) OpName() string            { return "EnumerationCount" }
func (m *InvokeMethod) OpName() string              { return m.MethodName }

// IsClass reports whether p names a class rather than an instance: it has no keys.
func (p *ObjectPath) IsClass() bool { return len(p.Keys) == 0 }

// Object is one item of a result list: a class or an instance, with its path
// (namespace, and host where the encoder adds it) or without one, as the operation
// returns them. Exactly one of Class and Instance is set, or neither for a bare path
// (the …Names operations and the Open…Paths family).
type Object struct {
	Path     *ObjectPath
	Class    *Class
	Instance *Instance
}

// Result is what an operation returns; which fields are set depends on the
// operation (cimxml.md §3.3, §3.6, §3.7). A void operation returns an empty Result.
type Result struct {
	Class          *Class           // GetClass
	Classes        []*Class         // EnumerateClasses
	ClassNames     []string         // EnumerateClassNames
	Instance       *Instance        // GetInstance
	Path           *ObjectPath      // CreateInstance
	QualifierType  *QualifierType   // GetQualifier
	QualifierTypes []*QualifierType // EnumerateQualifiers

	// Objects streams the items of the enumerations, associations, queries and pull
	// operations. The encoder stops at the first error it yields; the sequence is
	// consumed once.
	Objects iter.Seq2[Object, error]

	// GetProperty, EnumerationCount: a typed value (nil: NULL).
	Value     any
	ValueType Type
	IsArray   bool

	// The pull operations.
	EndOfSequence      bool
	EnumerationContext string
	QueryResultClass   *Class // OpenQueryInstances with ReturnQueryResultClass

	// InvokeMethod.
	ReturnValue          any
	ReturnType           Type
	ReturnEmbeddedObject string // "instance", "object" or ""
	OutParams            []ParamValue
}

// Objects returns a sequence over a slice, for results computed up front.
func Objects(objs []Object) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}
