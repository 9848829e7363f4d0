package cim

import (
	"errors"
	"fmt"
)

// Status is a CIM status code (DSP0200 status code table, DSP0201 ERROR CODE).
type Status int

// The CIM status codes. 18 and 19 were removed from DSP0200 and are never sent.
const (
	StatusOK                              Status = 0
	StatusFailed                          Status = 1
	StatusAccessDenied                    Status = 2
	StatusInvalidNamespace                Status = 3
	StatusInvalidParameter                Status = 4
	StatusInvalidClass                    Status = 5
	StatusNotFound                        Status = 6
	StatusNotSupported                    Status = 7
	StatusClassHasChildren                Status = 8
	StatusClassHasInstances               Status = 9
	StatusInvalidSuperclass               Status = 10
	StatusAlreadyExists                   Status = 11
	StatusNoSuchProperty                  Status = 12
	StatusTypeMismatch                    Status = 13
	StatusQueryLanguageNotSupported       Status = 14
	StatusInvalidQuery                    Status = 15
	StatusMethodNotAvailable              Status = 16
	StatusMethodNotFound                  Status = 17
	StatusNamespaceNotEmpty               Status = 20
	StatusInvalidEnumerationContext       Status = 21
	StatusInvalidOperationTimeout         Status = 22
	StatusPullHasBeenAbandoned            Status = 23
	StatusPullCannotBeAbandoned           Status = 24
	StatusFilteredEnumerationNotSupported Status = 25
	StatusContinuationOnErrorNotSupported Status = 26
	StatusServerLimitsExceeded            Status = 27
	StatusServerIsShuttingDown            Status = 28
)

var statusNames = map[Status]string{
	StatusOK:                              "CIM_ERR_OK",
	StatusFailed:                          "CIM_ERR_FAILED",
	StatusAccessDenied:                    "CIM_ERR_ACCESS_DENIED",
	StatusInvalidNamespace:                "CIM_ERR_INVALID_NAMESPACE",
	StatusInvalidParameter:                "CIM_ERR_INVALID_PARAMETER",
	StatusInvalidClass:                    "CIM_ERR_INVALID_CLASS",
	StatusNotFound:                        "CIM_ERR_NOT_FOUND",
	StatusNotSupported:                    "CIM_ERR_NOT_SUPPORTED",
	StatusClassHasChildren:                "CIM_ERR_CLASS_HAS_CHILDREN",
	StatusClassHasInstances:               "CIM_ERR_CLASS_HAS_INSTANCES",
	StatusInvalidSuperclass:               "CIM_ERR_INVALID_SUPERCLASS",
	StatusAlreadyExists:                   "CIM_ERR_ALREADY_EXISTS",
	StatusNoSuchProperty:                  "CIM_ERR_NO_SUCH_PROPERTY",
	StatusTypeMismatch:                    "CIM_ERR_TYPE_MISMATCH",
	StatusQueryLanguageNotSupported:       "CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED",
	StatusInvalidQuery:                    "CIM_ERR_INVALID_QUERY",
	StatusMethodNotAvailable:              "CIM_ERR_METHOD_NOT_AVAILABLE",
	StatusMethodNotFound:                  "CIM_ERR_METHOD_NOT_FOUND",
	StatusNamespaceNotEmpty:               "CIM_ERR_NAMESPACE_NOT_EMPTY",
	StatusInvalidEnumerationContext:       "CIM_ERR_INVALID_ENUMERATION_CONTEXT",
	StatusInvalidOperationTimeout:         "CIM_ERR_INVALID_OPERATION_TIMEOUT",
	StatusPullHasBeenAbandoned:            "CIM_ERR_PULL_HAS_BEEN_ABANDONED",
	StatusPullCannotBeAbandoned:           "CIM_ERR_PULL_CANNOT_BE_ABANDONED",
	StatusFilteredEnumerationNotSupported: "CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED",
	StatusContinuationOnErrorNotSupported: "CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED",
	StatusServerLimitsExceeded:            "CIM_ERR_SERVER_LIMITS_EXCEEDED",
	StatusServerIsShuttingDown:            "CIM_ERR_SERVER_IS_SHUTTING_DOWN",
}

// String returns the DSP0200 name of the status, such as "CIM_ERR_NOT_FOUND".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("CIM_ERR_%d", int(s))
}

// Error is a CIM error: a status code, a description for the client, and the cause
// for the server's log. Only Code and Description go on the wire.
type Error struct {
	Code        Status
	Description string
	Err         error // the cause, may be nil
}

// Errorf returns an *Error with a formatted description.
func Errorf(code Status, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code.String()
	}
	return e.Code.String() + ": " + e.Description
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &cim.Error{Code: c}) true for any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Description == "" && t.Err == nil && t.Code == e.Code
}

// StatusOf returns the status of err: the code of the *Error it wraps, StatusOK for
// nil, else StatusFailed.
func StatusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return StatusFailed
}
