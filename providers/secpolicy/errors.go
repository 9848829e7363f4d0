package secpolicy

import (
	"context"
	"errors"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// refusal reports whether err is a decision of the access control (an *acm.Error
// or a bare acm.XSErr), and its XSERR code and Xen's message: the Msg of the
// *acm.Error, else the code's xserr2string text.
func refusal(err error) (code acm.XSErr, msg string, ok bool) {
	if err == nil || errors.Is(err, hypervisor.ErrNoDomain) {
		return 0, "", false
	}
	if ae, isACM := errors.AsType[*acm.Error](err); isACM {
		msg = ae.Msg
		if msg == "" {
			msg = ae.Code.Message()
		}
		return ae.Code, msg, true
	}
	if x, isCode := errors.AsType[acm.XSErr](err); isCode && x != acm.XSErrSuccess {
		return x, x.Message(), true
	}
	return 0, "", false
}

// toCIMError translates an error of the toolstack into a *cim.Error; it is the one
// place that does. A refusal of the access control is CIM_ERR_FAILED with Xen's
// message verbatim (cim-model.md §0: CreateInstance and DeleteInstance have no
// return value to carry the code); an unknown domain is CIM_ERR_NOT_FOUND; the
// other hypervisor sentinels map to their nearest status; anything else is
// CIM_ERR_FAILED with the text toolstack.Message gives.
func toCIMError(err error) error {
	if err == nil {
		return nil
	}
	if ce, ok := errors.AsType[*cim.Error](err); ok {
		return ce
	}
	if _, msg, ok := refusal(err); ok {
		return &cim.Error{Code: cim.StatusFailed, Description: msg, Err: err}
	}
	code := cim.StatusFailed
	switch {
	case errors.Is(err, hypervisor.ErrNoDomain):
		code = cim.StatusNotFound
	case errors.Is(err, hypervisor.ErrExists):
		code = cim.StatusAlreadyExists
	case errors.Is(err, hypervisor.ErrInvalid):
		code = cim.StatusInvalidParameter
	case errors.Is(err, hypervisor.ErrNotSupported):
		code = cim.StatusNotSupported
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &cim.Error{Code: cim.StatusFailed, Description: "the request was cancelled or timed out", Err: err}
	}
	return &cim.Error{Code: code, Description: toolstack.Message(err), Err: err}
}

// outcome classifies the error of an operation behind a Xen_SecurityService
// method (cim-model.md §0): a refusal becomes the returned XSERR code with Xen's
// message and no CIM error; any other failure a CIM error (toCIMError).
func outcome(err error) (code uint32, msg string, cerr error) {
	if err == nil {
		return 0, "", nil
	}
	if c, _, ok := refusal(err); ok {
		// Xen-API's SECURITY_ERROR carried xserr2string of the code, whatever
		// xend's exception said: the service's Message is that text.
		return uint32(c), c.Message(), nil
	}
	return 0, "", toCIMError(err)
}
