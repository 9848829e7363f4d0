package system

import (
	"errors"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// toCIMError translates an error of the toolstack into a *cim.Error, the one place
// that does (cim-model.md §0). The description is what xm would print
// (toolstack.Message): Xen's message verbatim for a refusal of the access control
// and for a request the domain's state or name forbids, which clients such as
// shypectl print as they are.
//
//   - a *cim.Error: as it is;
//   - an *acm.Error (a refusal, errors.As), ErrDenied, ErrBadState, ErrExists,
//     ErrDomain0: CIM_ERR_FAILED;
//   - ErrNoDomain, ErrNoDevice: CIM_ERR_NOT_FOUND;
//   - ErrInvalid: CIM_ERR_INVALID_PARAMETER;
//   - ErrNotSupported: CIM_ERR_NOT_SUPPORTED;
//   - anything else: CIM_ERR_FAILED.
func toCIMError(err error) error {
	if err == nil {
		return nil
	}
	if ce, ok := errors.AsType[*cim.Error](err); ok {
		return ce
	}
	code := cim.StatusFailed
	if _, ok := errors.AsType[*acm.Error](err); !ok {
		switch {
		case errors.Is(err, hypervisor.ErrNoDomain), errors.Is(err, hypervisor.ErrNoDevice):
			code = cim.StatusNotFound
		case errors.Is(err, hypervisor.ErrInvalid):
			code = cim.StatusInvalidParameter
		case errors.Is(err, hypervisor.ErrNotSupported):
			code = cim.StatusNotSupported
		}
	}
	return &cim.Error{Code: code, Description: toolstack.Message(err), Err: err}
}
