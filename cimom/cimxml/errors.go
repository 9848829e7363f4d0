package cimxml

import (
	"fmt"
	"net/http"
)

// The CIMError header values of DSP0200 §6.3 that a request body can cause.
const (
	ErrNotWellFormed              = "request-not-well-formed"
	ErrNotValid                   = "request-not-valid"
	ErrUnsupportedCIMVersion      = "unsupported-cim-version"
	ErrUnsupportedDTDVersion      = "unsupported-dtd-version"
	ErrUnsupportedProtocolVersion = "unsupported-protocol-version"
	ErrMultipleRequests           = "multiple-requests-unsupported"
)

// ProtocolError is a request the HTTP layer refuses (cimxml.md §1.5): it answers with
// Status and a CIMError header, and no body.
type ProtocolError struct {
	Status   int    // HTTP status: 400 or 501
	CIMError string // the CIMError header value, one of the Err… constants
	Msg      string // human text, with the line number when known
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("cimxml: %d %s: %s", e.Status, e.CIMError, e.Msg)
}

// StreamError is returned by WriteResponse when Result.Objects yielded an error after
// output had begun: the document was closed early and is incomplete. Err is the
// error the sequence yielded.
type StreamError struct{ Err error }

func (e *StreamError) Error() string { return "cimxml: result stream failed: " + e.Err.Error() }

// Unwrap returns the error the sequence yielded.
func (e *StreamError) Unwrap() error { return e.Err }

// bailout carries a *ProtocolError from deep in the decoder to Decode, which recovers
// it (as go/parser does); it never leaves the package.
type bailout struct{ err *ProtocolError }

func notWellFormed(line int, format string, args ...any) *ProtocolError {
	return &ProtocolError{Status: http.StatusBadRequest, CIMError: ErrNotWellFormed, Msg: withLine(line, format, args...)}
}

func notValid(line int, format string, args ...any) *ProtocolError {
	return &ProtocolError{Status: http.StatusBadRequest, CIMError: ErrNotValid, Msg: withLine(line, format, args...)}
}

func withLine(line int, format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return fmt.Sprintf("line %d: %s", line, msg)
	}
	return msg
}
