package repository

import (
	"fmt"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The errors of the store. Methods return them wrapped with what they concern
// ("repository: not found: class CIM_Foo in namespace root/cimv2"); test them with
// errors.Is. The CIM status each one stands for (DSP0200 §5.3.3, Table 5 … Table 46)
// is given in its comment, so that the dispatcher can translate them in one table.
var (
	// ErrInvalidNamespace: the namespace does not exist.
	// CIM_ERR_INVALID_NAMESPACE (3).
	ErrInvalidNamespace = newError("repository: invalid namespace", cim.StatusInvalidNamespace)

	// ErrInvalidParameter: a name is not a valid CIM identifier or namespace name, or
	// an instance does not fit its class (undeclared property, value of the wrong type,
	// NULL key). CIM_ERR_INVALID_PARAMETER (4).
	ErrInvalidParameter = newError("repository: invalid parameter", cim.StatusInvalidParameter)

	// ErrInvalidClass: the class an instance operation or an enumeration starts from
	// does not exist. CIM_ERR_INVALID_CLASS (5).
	ErrInvalidClass = newError("repository: invalid class", cim.StatusInvalidClass)

	// ErrNotFound: the class, qualifier type or instance the operation is about does
	// not exist (GetClass, ModifyClass, DeleteClass, DeleteQualifier, GetInstance,
	// ModifyInstance, DeleteInstance). CIM_ERR_NOT_FOUND (6).
	ErrNotFound = newError("repository: not found", cim.StatusNotFound)

	// ErrClassHasChildren: ModifyClass on a class that has subclasses.
	// CIM_ERR_CLASS_HAS_CHILDREN (8).
	ErrClassHasChildren = newError("repository: class has subclasses", cim.StatusClassHasChildren)

	// ErrClassHasInstances: ModifyClass on a class that has instances.
	// CIM_ERR_CLASS_HAS_INSTANCES (9).
	ErrClassHasInstances = newError("repository: class has instances", cim.StatusClassHasInstances)

	// ErrInvalidSuperclass: the superclass of a new class does not exist, or
	// ModifyClass would change the superclass. CIM_ERR_INVALID_SUPERCLASS (10).
	ErrInvalidSuperclass = newError("repository: invalid superclass", cim.StatusInvalidSuperclass)

	// ErrAlreadyExists: the namespace, class or instance to create exists already.
	// CIM_ERR_ALREADY_EXISTS (11).
	ErrAlreadyExists = newError("repository: already exists", cim.StatusAlreadyExists)

	// ErrAbstractClass: CreateInstance of an abstract class (DSP0004 §5.1.2.1).
	// DSP0200 has no code of its own for it: CIM_ERR_FAILED (1).
	ErrAbstractClass = newError("repository: class is abstract", cim.StatusFailed)

	// ErrQualifierTypeInUse: DeleteQualifier of a qualifier type that a class or an
	// instance uses, or SetQualifier that would change the type of one in use.
	// CIM_ERR_FAILED (1).
	ErrQualifierTypeInUse = newError("repository: qualifier type in use", cim.StatusFailed)

	// ErrNamespaceNotEmpty: DeleteNamespace of a namespace that still holds classes
	// or instances, or that belongs to the base schema. CIM_ERR_FAILED (1).
	ErrNamespaceNotEmpty = newError("repository: namespace not empty", cim.StatusFailed)

	// ErrNotReplayed: a client-layer change to a store opened on a directory before
	// Replay was called; it would overwrite what is on disk. A programming error:
	// CIM_ERR_FAILED (1).
	ErrNotReplayed = newError("repository: client layer not replayed yet", cim.StatusFailed)

	// ErrCorrupt: a file of the data directory cannot be decoded. It comes wrapped
	// in a *FileError that names the file. CIM_ERR_FAILED (1); it is reported by
	// Open, before the server serves anything.
	ErrCorrupt = newError("repository: corrupt file", cim.StatusFailed)
)

// FileError reports a file of the data directory that cannot be read, decoded
// (Err wraps ErrCorrupt) or applied on top of the base schema by Replay (Err wraps
// the error of the failed operation, such as ErrInvalidSuperclass).
type FileError struct {
	Path string
	Err  error
}

// Error returns "repository: <path>: <what is wrong>".
func (e *FileError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, prefix) {
		return prefix + e.Path + ": " + msg[len(prefix):]
	}
	return prefix + e.Path + ": " + msg
}

const prefix = "repository: "

// Unwrap returns e.Err.
func (e *FileError) Unwrap() error { return e.Err }

// errorf returns an error that matches kind and says what it concerns.
func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}

// statusError is the type of the Err variables: an error that names the CIM status
// it stands for, so that the dispatcher translates every one of them in one place
// (errors.As on interface{ CIMStatus() cim.Status }) without importing this package.
type statusError struct {
	msg    string
	status cim.Status
}

func newError(msg string, status cim.Status) error { return &statusError{msg, status} }

func (e *statusError) Error() string { return e.msg }

// CIMStatus returns the CIM status code (DSP0200) the error stands for.
func (e *statusError) CIMStatus() cim.Status { return e.status }
