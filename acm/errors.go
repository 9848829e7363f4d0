package acm

import (
	"errors"
	"fmt"
)

// XSErr is a Xen security error code as xend's xsconstants.py numbers them:
// XSERR_BASE (0x1000) plus the error's index. Xen-API faults and
// xs_policystate carry the negated value; XSErr is always positive.
// XSErr implements error, so errors.Is(err, acm.XSErrBadLabel) works on any
// error this package returns.
type XSErr int

// The XSERR codes of xsconstants.py@3.4.0-rc3 (acm.md §7). libxen numbers
// 16–22 differently; xend, the server, is authoritative (acm.md §10.1).
const (
	XSErrSuccess                XSErr = 0
	XSErrGeneralFailure         XSErr = 0x1000 + 1
	XSErrBadXML                 XSErr = 0x1000 + 2
	XSErrXMLProcessing          XSErr = 0x1000 + 3
	XSErrPolicyInconsistent     XSErr = 0x1000 + 4
	XSErrFileError              XSErr = 0x1000 + 5
	XSErrBadResourceFormat      XSErr = 0x1000 + 6
	XSErrBadLabelFormat         XSErr = 0x1000 + 7
	XSErrResourceNotLabeled     XSErr = 0x1000 + 8
	XSErrResourceAlreadyLabeled XSErr = 0x1000 + 9
	XSErrWrongPolicyType        XSErr = 0x1000 + 10
	XSErrBootPolicyInstalled    XSErr = 0x1000 + 11
	XSErrNoDefaultBootTitle     XSErr = 0x1000 + 12
	XSErrPolicyLoadFailed       XSErr = 0x1000 + 13
	XSErrPolicyLoaded           XSErr = 0x1000 + 14
	XSErrPolicyTypeUnsupported  XSErr = 0x1000 + 15
	XSErrBadConflictSet         XSErr = 0x1000 + 16
	XSErrResourceInUse          XSErr = 0x1000 + 17
	XSErrBadPolicyName          XSErr = 0x1000 + 18
	XSErrVersionPreventsUpdate  XSErr = 0x1000 + 19
	XSErrBadLabel               XSErr = 0x1000 + 20
	XSErrVMWrongState           XSErr = 0x1000 + 21
	XSErrPolicyNotLoaded        XSErr = 0x1000 + 22
	XSErrResourceAccess         XSErr = 0x1000 + 23
	XSErrHVOpFailed             XSErr = 0x1000 + 24
	XSErrBootPolicyInstallError XSErr = 0x1000 + 25
	XSErrVMNotAuthorized        XSErr = 0x1000 + 26
	XSErrVMInConflict           XSErr = 0x1000 + 27
	XSErrPolicyHasDuplicates    XSErr = 0x1000 + 28
)

// xserrNames holds, per index, the constant name and xserr2string's message
// (verbatim, typos included).
var xserrNames = [...]struct{ name, msg string }{
	{"SUCCESS", "Success"},
	{"GENERAL_FAILURE", "General Failure"},
	{"BAD_XML", "XML is malformed"},
	{"XML_PROCESSING", "Error while processing XML"},
	{"POLICY_INCONSISTENT", "Policy has inconsistencies"},
	{"FILE_ERROR", "A file access error occurred"},
	{"BAD_RESOURCE_FORMAT", "The resource format is not valid"},
	{"BAD_LABEL_FORMAT", "The label format is not valid"},
	{"RESOURCE_NOT_LABELED", "The resource is not labeld"},
	{"RESOURCE_ALREADY_LABELED", "The resource is already labeld"},
	{"WRONG_POLICY_TYPE", "The policy type is wrong"},
	{"BOOTPOLICY_INSTALLED", "The system boot policy is installed"},
	{"NO_DEFAULT_BOOT_TITLE", "Could not find the default boot title"},
	{"POLICY_LOAD_FAILED", "Loading of the policy failed"},
	{"POLICY_LOADED", "The policy is loaded"},
	{"POLICY_TYPE_UNSUPPORTED", "The policy type is unsupported"},
	{"BAD_CONFLICTSET", "There is a bad conflict set"},
	{"RESOURCE_IN_USE", "The resource is in use"},
	{"BAD_POLICY_NAME", "The policy has an invalid name"},
	{"VERSION_PREVENTS_UPDATE", "The version of the policy prevents an update"},
	{"BAD_LABEL", "The label is bad"},
	{"VM_WRONG_STATE", "Operation not premittend - the VM is in the wrong state"},
	{"POLICY_NOT_LOADED", "The policy is not loaded"},
	{"RESOURCE_ACCESS", "Error accessing resource"},
	{"HV_OP_FAILED", "Operation failed in hypervisor"},
	{"BOOTPOLICY_INSTALL_ERROR", "Boot policy installation error"},
	{"VM_NOT_AUTHORIZED", "VM is not authorized to run"},
	{"VM_IN_CONFLICT", "VM label conflicts with another VM"},
	{"POLICY_HAS_DUPLICATES", "Duplicate labels or types in policy"},
}

func (c XSErr) index() (int, bool) {
	if c == XSErrSuccess {
		return 0, true
	}
	i := int(c) - 0x1000
	if i < 1 || i >= len(xserrNames) {
		return 0, false
	}
	return i, true
}

// Message returns xend's xserr2string text for the code, or
// "Unknown XSERR code '<hex>'." for a code xend does not know. Negative codes
// (as Xen-API carries them) are read as their absolute value.
func (c XSErr) Message() string {
	if c < 0 {
		c = -c
	}
	if i, ok := c.index(); ok {
		return xserrNames[i].msg
	}
	return fmt.Sprintf("Unknown XSERR code '%s'.", pyHex(int(c)))
}

// pyHex formats n as Python's hex() does.
func pyHex(n int) string {
	if n < 0 {
		return "-0x" + fmt.Sprintf("%x", -n)
	}
	return fmt.Sprintf("0x%x", n)
}

// String returns the xsconstants name without its prefix, e.g. "BAD_LABEL".
func (c XSErr) String() string {
	if i, ok := c.index(); ok {
		return xserrNames[i].name
	}
	return fmt.Sprintf("XSERR(%d)", int(c))
}

// Error makes a bare code usable as an error and as an errors.Is target.
func (c XSErr) Error() string { return "acm: " + c.Message() }

// Error is a failure of this package: the XSERR code xend would return, a
// message naming what was wrong and, for policy XML, the 1-based line of the
// offending element (0 when unknown). errors.Is(err, code) matches the code.
type Error struct {
	Code XSErr
	Msg  string
	Line int
}

// Error formats the error as "acm: line N: <msg> (<code message>)".
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("acm: line %d: %s (%s)", e.Line, e.Msg, e.Code.Message())
	}
	return fmt.Sprintf("acm: %s (%s)", e.Msg, e.Code.Message())
}

// Is reports whether target is the same XSERR code, or an *Error with it.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case XSErr:
		return t == e.Code
	case *Error:
		return t.Code == e.Code
	}
	return false
}

// CodeOf returns the XSERR code carried by err: XSErrSuccess for nil,
// XSErrGeneralFailure for an error of another origin.
func CodeOf(err error) XSErr {
	if err == nil {
		return XSErrSuccess
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c XSErr
	if errors.As(err, &c) {
		return c
	}
	return XSErrGeneralFailure
}

func errf(code XSErr, line int, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Line: line}
}
