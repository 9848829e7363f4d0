package xmconfig

import (
	"errors"
	"fmt"
)

// Sentinel causes of an *Error, for errors.Is.
var (
	// ErrSyntax marks source that is not the Python subset of config
	// files (Python's SyntaxError and IndentationError).
	ErrSyntax = errors.New("xmconfig: syntax error")
	// ErrEval marks a failure while executing the file: an undefined
	// name or an operation on the wrong types (Python's NameError and
	// TypeError).
	ErrEval = errors.New("xmconfig: evaluation error")
	// ErrValue marks a setting xm or xend rejected: a bad disk or vif
	// specifier, a memory value that is not an integer. Errors of the
	// access_control entry wrap the *acm.Error instead.
	ErrValue = errors.New("xmconfig: invalid value")
)

// Position is a place in a config file: 1-based line and byte column.
type Position struct {
	File      string
	Line, Col int
}

// String returns "file:line:col".
func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a rejected config file: where, xm's message (or a clear one
// where xm only had a Python traceback) and the cause: ErrSyntax, ErrEval,
// ErrValue or an *acm.Error for access_control.
type Error struct {
	Pos Position
	Msg string
	Err error
}

// Error returns "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the cause, so errors.Is(err, ErrSyntax) and
// errors.Is(err, acm.XSErrBadLabelFormat) work.
func (e *Error) Unwrap() error { return e.Err }
