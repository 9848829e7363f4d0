package cimxml

import (
	"fmt"
	"net/http"
)

// The CIMError header values of DSP0200 §6.3 that a request body can cause.
const (
	ErrNotWellFormed              = "request-not-well-formed"       // 400: not well-formed XML (or not UTF-8)
	ErrNotValid                   = "request-not-valid"             // 400: well-formed, but violates the DTD or the value rules
	ErrUnsupportedCIMVersion      = "unsupported-cim-version"       // 501: CIMVERSION major is not 2
	ErrUnsupportedDTDVersion      = "unsupported-dtd-version"       // 501: DTDVERSION major is not 2
	ErrUnsupportedProtocolVersion = "unsupported-protocol-version"  // 501: PROTOCOLVERSION major is not 1
	ErrMultipleRequests           = "multiple-requests-unsupported" // 501: a MULTIREQ
)

// ProtocolError is a request the HTTP layer refuses (cimxml.md §1.5): it answers with
// Status and a CIMError header, and no body.
type ProtocolError struct {
	Status   int    // HTTP status: 400 or 501
	CIMError string // the CIMError header value, one of the Err… constants
	Msg      string // human text, with the line number when known
}

// Error returns the status, the CIMError value and the message.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("cimxml: %d %s: %s", e.Status, e.CIMError, e.Msg)
}

// StreamError is returned by WriteResponse when Result.Objects yielded an error after
// output had begun: the document was closed early and is incomplete. Err is the
// error the sequence yielded.
type StreamError struct{ Err error }

// Error describes the failure of the result sequence.
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
