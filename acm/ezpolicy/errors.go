package ezpolicy

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Kinds of description errors. Every *Error wraps exactly one of them, so callers
// tell them apart with errors.Is.
var (
	// ErrSyntax: a line that is not a statement of the format (unknown keyword,
	// missing or extra words, a line too long, bytes that are not UTF-8).
	ErrSyntax = errors.New("ezpolicy: syntax error")
	// ErrName: a policy, organisation, department or conflict-set name with
	// characters the policy cannot carry, or a malformed version.
	ErrName = errors.New("ezpolicy: invalid name")
	// ErrDuplicate: a statement or a name given twice where only one may be.
	ErrDuplicate = errors.New("ezpolicy: duplicate")
	// ErrReserved: an organisation named after a label the generator or the ACM
	// reserves (SystemManagement, __NULL_LABEL__, __INACCESSIBLE__), or departments
	// under __UNLABELED__.
	ErrReserved = errors.New("ezpolicy: reserved name")
	// ErrUnknown: a conflict set naming an organisation or department that the
	// description does not declare.
	ErrUnknown = errors.New("ezpolicy: unknown organisation or department")
	// ErrConflictSet: a conflict set holding both an organisation and one of its own
	// departments (the organisation already covers them; ezPolicy refused it).
	ErrConflictSet = errors.New("ezpolicy: invalid conflict set")
	// ErrMissing: no policy statement.
	ErrMissing = errors.New("ezpolicy: missing statement")
	// ErrEmpty: a description without any organisation (nothing to protect).
	ErrEmpty = errors.New("ezpolicy: empty description")
	// ErrTooLarge: more workload types than the 16-bit ssid indices of a compiled
	// policy can number (see MaxWorkloads).
	ErrTooLarge = errors.New("ezpolicy: description too large")
)

// Error is one problem in a description. Line is the 1-based line of the description
// text it was found on, 0 when the description was built in code or the problem
// concerns the whole text (a missing statement).
type Error struct {
	Line int
	Msg  string
	Err  error // one of the Err* kinds above
}

// Error returns "line N: message", or the bare message when Line is 0.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Unwrap returns the kind of the error.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in one description, in line order. Parse and
// Validate return it (never an empty one) so that a user fixes all lines in one go.
type ErrorList []*Error

// Error returns the first problem, followed by the number of others, as go/scanner's
// ErrorList does; each line is in the list itself.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Unwrap returns the errors of the list, so that errors.Is and errors.As see each.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Detail returns every problem, one a line.
func (l ErrorList) Detail() string {
	var b strings.Builder
	for _, e := range l {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

// errs collects problems; err returns nil or an ErrorList sorted by line (stable, so
// problems of one line keep the order they were found in).
type errs struct{ list ErrorList }

func (e *errs) add(line int, kind error, format string, args ...any) {
	e.list = append(e.list, &Error{Line: line, Msg: fmt.Sprintf(format, args...), Err: kind})
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	l := e.list
	slices.SortStableFunc(l, func(a, b *Error) int { return cmp.Compare(lineKey(a), lineKey(b)) })
	return l
}

// lineKey sorts whole-text problems (line 0) after the numbered ones.
func lineKey(e *Error) int {
	if e.Line == 0 {
		return math.MaxInt32
	}
	return e.Line
}
