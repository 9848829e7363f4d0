package interop

import (
	"errors"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// statusError is an error that knows its CIM status: the repository's errors are
// (it cannot be imported from here, style.md §3.2).
type statusError interface {
	error
	CIMStatus() cim.Status
}

// toCIMError translates an error of Namespaces into a *cim.Error: the status the
// error carries (CIMStatus), CIM_ERR_FAILED when it carries none. The repository
// reports an unknown namespace as CIM_ERR_INVALID_NAMESPACE; here the namespace is
// the object of the operation, not its target (interop, which exists), so that
// becomes CIM_ERR_NOT_FOUND.
func toCIMError(err error) error {
	if err == nil {
		return nil
	}
	if ce, ok := errors.AsType[*cim.Error](err); ok {
		return ce
	}
	code := cim.StatusFailed
	if se, ok := errors.AsType[statusError](err); ok {
		code = se.CIMStatus()
	}
	switch code {
	case cim.StatusOK:
		code = cim.StatusFailed
	case cim.StatusInvalidNamespace:
		code = cim.StatusNotFound
	}
	// The prefix names a package, which means nothing to a client.
	return &cim.Error{Code: code, Description: strings.TrimPrefix(err.Error(), "repository: "), Err: err}
}
