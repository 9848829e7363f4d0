package tpm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/toolstack"
	"github.com/shypecim/shypecim/vtpm"
)

// The return codes of the Xen_VTPMManagementService methods (cim-model.md §3,
// xen.mof ValueMap).
const (
	codeOK              uint32 = 0
	codeNotSupported    uint32 = 1
	codeFailed          uint32 = 2
	codeInvalidParam    uint32 = 4
	codeInvalidState    uint32 = 5
	codeDomainHasVTPM   uint32 = 32768
	codeNotFound        uint32 = 32769
	codeSwtpmNotPresent uint32 = 32770
)

// installHint ends the message of code 32770: the fix, in one line an operator can
// paste.
const installHint = "install it with: apt-get install -y swtpm swtpm-tools"

// The provider's own failures, classified by result like the manager's.
var (
	// errInvalid marks a parameter the provider refuses (code 4).
	errInvalid = errors.New("invalid parameter")
	// errState marks a domain or vTPM in the wrong state for the request (code 5).
	errState = errors.New("invalid state")
	// errNotFound marks a vTPM or domain a parameter names that does not exist
	// (code 32769).
	errNotFound = errors.New("not found")
	// errNotSupported marks a request this server cannot serve (code 1).
	errNotSupported = errors.New("not supported")
	// errNoManager stands for the missing manager: swtpm was not available when
	// the server started (code 32770).
	errNoManager = fmt.Errorf("swtpm is not available: %w", vtpm.ErrBackendMissing)
)

// invalidf returns an error of code 4 whose text is the message.
func invalidf(format string, args ...any) error {
	return &codeError{kind: errInvalid, msg: fmt.Sprintf(format, args...)}
}

// statef returns an error of code 5 whose text is the message.
func statef(format string, args ...any) error {
	return &codeError{kind: errState, msg: fmt.Sprintf(format, args...)}
}

// notFoundf returns an error of code 32769 whose text is the message.
func notFoundf(format string, args ...any) error {
	return &codeError{kind: errNotFound, msg: fmt.Sprintf(format, args...)}
}

// codeError is a refusal of the provider itself: its text is exactly the message
// the client reads, and it matches its kind with errors.Is.
type codeError struct {
	kind error
	msg  string
}

func (e *codeError) Error() string { return e.msg }
func (e *codeError) Unwrap() error { return e.kind }

// result maps the error of the operation behind a service method onto the
// method's return code and OUT Message (cim-model.md §0, §3); it is the one place
// that does. A nil error is 0 and "". The message is the error's text, the
// toolstack's user text for a toolstack error; for a missing swtpm it says how to
// install it.
//
//   - a non-zero code of the destination of MigrateVTPM (*remoteError): that code;
//   - errInvalid, vtpm.ErrInvalid, vtpm.ErrMigrationID (an unknown, reused or
//     aborted migration id), hypervisor.ErrInvalid: 4;
//   - errState, vtpm.ErrBadState, vtpm.ErrRunning, vtpm.ErrNoState,
//     vtpm.ErrLocked, hypervisor.ErrBadState: 5;
//   - vtpm.ErrDomainHasVTPM: 32768;
//   - errNotFound, vtpm.ErrNotFound, hypervisor.ErrNoDomain: 32769;
//   - vtpm.ErrBackendMissing: 32770;
//   - errNotSupported, hypervisor.ErrNotSupported: 1;
//   - anything else (a cancelled request included): 2.
func result(err error) (uint32, string) {
	if err == nil {
		return codeOK, ""
	}
	msg := err.Error()
	if re, ok := errors.AsType[*remoteError](err); ok {
		return re.code, msg
	}
	if _, ok := errors.AsType[*codeError](err); !ok {
		// The manager's errors name their package at every level of wrapping;
		// a console shows the sentence without it.
		msg = strings.ReplaceAll(toolstack.Message(err), "vtpm: ", "")
	}
	switch {
	case errors.Is(err, vtpm.ErrBackendMissing):
		return codeSwtpmNotPresent, msg + "; " + installHint
	case errors.Is(err, errInvalid), errors.Is(err, vtpm.ErrInvalid),
		errors.Is(err, vtpm.ErrMigrationID), errors.Is(err, hypervisor.ErrInvalid):
		return codeInvalidParam, msg
	case errors.Is(err, errState), errors.Is(err, vtpm.ErrBadState), errors.Is(err, vtpm.ErrRunning),
		errors.Is(err, vtpm.ErrNoState), errors.Is(err, vtpm.ErrLocked), errors.Is(err, hypervisor.ErrBadState):
		return codeInvalidState, msg
	case errors.Is(err, vtpm.ErrDomainHasVTPM):
		return codeDomainHasVTPM, "Domain already has a vTPM."

	case errors.Is(err, errNotFound), errors.Is(err, vtpm.ErrNotFound), errors.Is(err, hypervisor.ErrNoDomain):
		return codeNotFound, msg
	case errors.Is(err, errNotSupported), errors.Is(err, hypervisor.ErrNotSupported):
		return codeNotSupported, msg
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return codeFailed, "the request was cancelled or timed out: " + msg
	}
	return codeFailed, msg
}

// toCIMError translates an error met while serving instances into a *cim.Error; it
// is the one place that does. Methods never call it for a domain-level refusal
// (those are codes, see result).
//
//   - a *cim.Error: as it is;
//   - errNotFound, vtpm.ErrNotFound, hypervisor.ErrNoDomain, and the missing
//     manager (vtpm.ErrBackendMissing): CIM_ERR_NOT_FOUND;
//   - errInvalid (a path whose keys cannot name a vTPM): CIM_ERR_INVALID_PARAMETER;
//   - anything else: CIM_ERR_FAILED.
func toCIMError(err error) error {
	if err == nil {
		return nil
	}
	if ce, ok := errors.AsType[*cim.Error](err); ok {
		return ce
	}
	code := cim.StatusFailed
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, vtpm.ErrNotFound), errors.Is(err, hypervisor.ErrNoDomain),
		errors.Is(err, vtpm.ErrBackendMissing):
		// Without swtpm there are no vTPMs: any path names nothing.
		code = cim.StatusNotFound
	case errors.Is(err, errInvalid):
		code = cim.StatusInvalidParameter
	}
	return &cim.Error{Code: code, Description: err.Error(), Err: err}
}
