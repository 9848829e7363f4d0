package acm

import (
	"fmt"
	"strings"
)

// Types of a security label string (acm.md §5.1).
const (
	// LabelTypeACM is the type of a label valid under the named policy.
	LabelTypeACM = "ACM"
	// LabelTypeInvalid marks a label a policy update deleted: the policy
	// part keeps the old policy's name.
	LabelTypeInvalid = "INV_ACM"
)

// Messages of the domain config's access_control entry (acm.md §5.1).
const (
	MsgMultipleAccessControl = "Multiple access_control definitions."
	msgTooManyElements       = "Too many elements in access_control specifier: "
	msgInvalidSpecifier      = "Invalid access_control specifier: "
)

// SecLabel is a security label in its string form
// "<type>:<policy>:<label>" (Xen-API, managed domains, resources): Type is
// LabelTypeACM, or LabelTypeInvalid for a label a policy update deleted.
type SecLabel struct {
	Type, Policy, Label string
}

// NewLabel returns the label ACM:policy:label.
func NewLabel(policy, label string) SecLabel {
	return SecLabel{Type: LabelTypeACM, Policy: policy, Label: label}
}

// ParseLabel parses "<type>:<policy>:<label>". Anything but exactly three
// colon-separated parts is XSErrBadLabelFormat, as in xend; the parts
// themselves are not checked here (callers check type and policy with
// their own messages).
func ParseLabel(s string) (SecLabel, error) {
	typ, rest, ok1 := strings.Cut(s, ":")
	pol, lab, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || strings.Contains(lab, ":") {
		return SecLabel{}, &Error{Code: XSErrBadLabelFormat, Msg: fmt.Sprintf("label '%s' is not of the form <type>:<policy>:<label>", s)}
	}
	return SecLabel{Type: typ, Policy: pol, Label: lab}, nil
}

// String returns the label as "<type>:<policy>:<label>".
func (l SecLabel) String() string { return l.Type + ":" + l.Policy + ":" + l.Label }

// IsZero reports whether l is the zero label (no label).
func (l SecLabel) IsZero() bool { return l == SecLabel{} }

// ParsePolicyRef parses the policy argument of `xm addlabel`: "ACM:<policy>"
// or, where xm allowed it (bare true, the resource form), "<policy>" alone.
// Another type is XSErrWrongPolicyType; an empty policy or more parts is
// XSErrBadLabelFormat.
func ParsePolicyRef(s string, bare bool) (policy string, err error) {
	typ, name, found := strings.Cut(s, ":")
	if !found {
		if !bare {
			return "", &Error{Code: XSErrBadLabelFormat, Msg: fmt.Sprintf("policy '%s' must be given as ACM:<policy>", s)}
		}
		typ, name = LabelTypeACM, s
	}
	switch {
	case typ != LabelTypeACM:
		return "", &Error{Code: XSErrWrongPolicyType, Msg: fmt.Sprintf("Unsupported policy type '%s'", typ)}
	case name == "" || strings.Contains(name, ":"):
		return "", &Error{Code: XSErrBadLabelFormat, Msg: fmt.Sprintf("policy '%s' is not valid", s)}
	}
	return name, nil
}

// AccessControl is a domain config's label:
// access_control = ['policy=<policy>,label=<label>'].
type AccessControl struct {
	Policy, Label string
}

// ParseAccessControl reads the elements of a config's access_control list
// as xm's preprocess_access_control did (acm.md §5.1): no element is no
// label (ok false); more than one is MsgMultipleAccessControl; one is
// parsed by ParseAccessControlEntry. Errors are XSErrBadLabelFormat.
func ParseAccessControl(entries []string) (ac AccessControl, ok bool, err error) {
	switch len(entries) {
	case 0:
		return AccessControl{}, false, nil
	case 1:
		ac, err = ParseAccessControlEntry(entries[0])
		return ac, err == nil, err
	}
	return AccessControl{}, false, &Error{Code: XSErrBadLabelFormat, Msg: MsgMultipleAccessControl}
}

// ParseAccessControlEntry parses one access_control element: at most two
// comma-separated key=value pairs, keys policy and label in any order, keys
// and values stripped of white space. More than two pairs is "Too many
// elements in access_control specifier: <entry>"; a pair without '=', an
// unknown key, or a missing policy or label is "Invalid access_control
// specifier: <entry>" (xm crashed on the first and the last; see README).
// Errors are XSErrBadLabelFormat.
func ParseAccessControlEntry(s string) (AccessControl, error) {
	pairs := strings.Split(s, ",")
	if len(pairs) > 2 {
		return AccessControl{}, &Error{Code: XSErrBadLabelFormat, Msg: msgTooManyElements + s}
	}
	invalid := &Error{Code: XSErrBadLabelFormat, Msg: msgInvalidSpecifier + s}
	var ac AccessControl
	var havePolicy, haveLabel bool
	for _, p := range pairs {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found {
			return AccessControl{}, invalid
		}
		switch strings.TrimSpace(k) {
		case "policy":
			ac.Policy, havePolicy = strings.TrimSpace(v), true
		case "label":
			ac.Label, haveLabel = strings.TrimSpace(v), true
		default:
			return AccessControl{}, invalid
		}
	}
	if !havePolicy || !haveLabel {
		return AccessControl{}, invalid
	}
	return ac, nil
}

// String returns the entry as xm addlabel writes it: "policy=<p>,label=<l>".
func (a AccessControl) String() string { return "policy=" + a.Policy + ",label=" + a.Label }

// ConfigLine returns the config file line xm addlabel appends.
func (a AccessControl) ConfigLine() string { return "access_control = ['" + a.String() + "']" }

// SecLabel returns the managed form ACM:<policy>:<label>.
func (a AccessControl) SecLabel() SecLabel { return NewLabel(a.Policy, a.Label) }

// CheckPolicy is xm create's check of the config's policy against the
// enforced one: "Security policy (<p>) incompatible with enforced policy
// (<active>)." (XSErrBadPolicyName).
func (a AccessControl) CheckPolicy(active string) error {
	if a.Policy != active {
		return &Error{Code: XSErrBadPolicyName, Msg: fmt.Sprintf("Security policy (%s) incompatible with enforced policy (%s).", a.Policy, active)}
	}
	return nil
}

// DomainLabel returns the label a domain carries under the active policy:
// its stored label, or ACM:<active>:__UNLABELED__ when it has none (xend's
// XendConfig and get_security_label).
func DomainLabel(stored, active string) string {
	if stored == "" {
		return NewLabel(active, LabelUnlabeled).String()
	}
	return stored
}
