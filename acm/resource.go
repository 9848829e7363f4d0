package acm

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// NormalizeResource returns a resource name as acm.md §0 and §5.4 normalise
// it (xend's unify_resname, textually): "phy:X" becomes "phy:/dev/X" when X
// is relative; the path of "file:X" and "tap:<sub>:X" is made absolute
// against wd and cleaned; "vlan:N" needs 1 ≤ N ≤ 4095 and is written in
// decimal. Other types are kept as given. Symlinks are not resolved and
// nothing must exist. A name without a type, with an empty path, a relative
// path with a wd that is not absolute, or a bad VLAN number is
// XSErrBadResourceFormat.
func NormalizeResource(res, wd string) (string, error) {
	typ, rest, found := strings.Cut(res, ":")
	if !found || typ == "" {
		return "", &Error{Code: XSErrBadResourceFormat, Msg: fmt.Sprintf("Resource '%s' has no type", res)}
	}
	bad := func(why string) (string, error) {
		return "", &Error{Code: XSErrBadResourceFormat, Msg: fmt.Sprintf("Resource '%s': %s", res, why)}
	}
	abs := func(p string) (string, bool) {
		if p == "" {
			return "", false
		}
		if !path.IsAbs(p) {
			if !path.IsAbs(wd) {
				return "", false
			}
			p = path.Join(wd, p)
		}
		return path.Clean(p), true
	}
	switch typ {
	case "phy":
		if rest == "" {
			return bad("empty device")
		}
		if !strings.HasPrefix(rest, "/") {
			rest = "/dev/" + rest
		}
		return "phy:" + rest, nil
	case "file":
		p, ok := abs(rest)
		if !ok {
			return bad("no absolute path")
		}
		return "file:" + p, nil
	case "tap":
		sub, p, found := strings.Cut(rest, ":")
		if !found || sub == "" {
			return bad("no tap type")
		}
		p, ok := abs(p)
		if !ok {
			return bad("no absolute path")
		}
		return "tap:" + sub + ":" + p, nil
	case "vlan":
		n, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil || n < 1 || n > 4095 {
			return bad("VLAN number must be 1..4095")
		}
		return "vlan:" + strconv.Itoa(n), nil
	}
	return res, nil
}

// ResourceLabel is the label of a resource as xend's resource_labels file
// stores it: (type, policy, label), type LabelTypeACM or LabelTypeInvalid.
type ResourceLabel struct {
	Type, Policy, Label string
}

// String returns the label as `xm getlabel res` prints it: type:policy:label.
func (r ResourceLabel) String() string { return r.Type + ":" + r.Policy + ":" + r.Label }

// RelabelResources computes the resource labels after next replaces the
// enforced policy old (acm.md §3.4, §5.4, §5.5): entries of type ACM naming
// old are renamed via next's `from` attributes, keep their name when next
// has a resource label of that name, and otherwise become INV_ACM with the
// old policy's name. Entries of other policies, INV_ACM entries and
// __INACCESSIBLE__ stay as they are. It is pure: m is not modified, so the
// policy administration can write the result together with the policy.
func RelabelResources(m map[string]ResourceLabel, old, next *Compiled) map[string]ResourceLabel {
	renamed := renames(next.policy.ResourceLabels)
	out := make(map[string]ResourceLabel, len(m))
	for res, l := range m {
		if l.Type == LabelTypeACM && l.Policy == old.Name() && l.Label != LabelInaccessible {
			name := l.Label
			if to, ok := renamed[name]; ok {
				name = to
			}
			if _, ok := next.policy.ResourceLabel(name); ok {
				l = ResourceLabel{Type: LabelTypeACM, Policy: next.Name(), Label: name}
			} else {
				l = ResourceLabel{Type: LabelTypeInvalid, Policy: old.Name(), Label: l.Label}
			}
		}
		out[res] = l
	}
	return out
}

// ResourceLabelChange is a request to label (Label set) or unlabel (Label
// empty) a resource: Xen-API's set_resource_label(resource, label,
// old_label), `xm addlabel … res` and `xm rmlabel res`.
type ResourceLabelChange struct {
	// Resource is the normalised resource name.
	Resource string
	// Label is the new label "ACM:<policy>:<label>"; empty removes.
	Label string
	// Old is the label the caller believes the resource has; empty skips
	// the check, except for a removal, which needs it.
	Old string
	// InUse reports that a running domain uses the resource (a VBD uname).
	InUse bool
}

// CheckResourceLabelChange validates a resource label change under the
// enforced policy c against the current entries (acm.md §5.4, §7) and
// returns the entry to store (zero for a removal):
//
//   - a new label must have three parts (XSErrBadLabelFormat), type ACM
//     (XSErrWrongPolicyType), name c (XSErrBadLabel) and be one of c's
//     resource labels (XSErrBadLabel);
//   - a removal needs Old as a three-part label (XSErrBadLabelFormat) and
//     a labeled resource (XSErrResourceNotLabeled);
//   - the resource must not be in use (XSErrResourceInUse); a VLAN counts
//     as in use while it carries a valid label of c;
//   - a label may be assigned to one VLAN only (XSErrBadLabel);
//   - Old, when given, must have three parts and its label part must be the
//     stored one (XSErrBadLabel).
func CheckResourceLabelChange(c *Compiled, current map[string]ResourceLabel, ch ResourceLabelChange) (ResourceLabel, error) {
	var next ResourceLabel
	if ch.Label != "" {
		l, err := ParseLabel(ch.Label)
		if err != nil {
			return ResourceLabel{}, err
		}
		switch {
		case l.Type != LabelTypeACM:
			return ResourceLabel{}, &Error{Code: XSErrWrongPolicyType, Msg: fmt.Sprintf("Unsupported policy type '%s'", l.Type)}
		case l.Policy != c.Name():
			return ResourceLabel{}, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("policy '%s' is not the enforced policy '%s'", l.Policy, c.Name())}
		}
		if _, ok := c.policy.ResourceLabel(l.Label); !ok {
			return ResourceLabel{}, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("Label '%s' not found.", l.Label)}
		}
		next = ResourceLabel{Type: l.Type, Policy: l.Policy, Label: l.Label}
	} else if _, err := ParseLabel(ch.Old); err != nil {
		return ResourceLabel{}, err
	}
	cur, labeled := current[ch.Resource]
	if ch.Label == "" && !labeled {
		return ResourceLabel{}, &Error{Code: XSErrResourceNotLabeled, Msg: "Resource not labeled"}
	}
	vlan := strings.HasPrefix(ch.Resource, "vlan:")
	if ch.InUse || vlan && labeled && validFor(c, cur) {
		return ResourceLabel{}, &Error{Code: XSErrResourceInUse, Msg: fmt.Sprintf("Resource '%s' is in use", ch.Resource)}
	}
	if vlan && next.Label != "" {
		for res, l := range current {
			if res != ch.Resource && strings.HasPrefix(res, "vlan:") && l == next {
				return ResourceLabel{}, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("Label '%s' is already assigned to %s", next.Label, res)}
			}
		}
	}
	if ch.Old != "" {
		ol, err := ParseLabel(ch.Old)
		if err != nil {
			return ResourceLabel{}, err
		}
		if !labeled || cur.Label != ol.Label {
			return ResourceLabel{}, &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("old label '%s' does not match the label of resource '%s'", ch.Old, ch.Resource)}
		}
	}
	return next, nil
}

// validFor reports whether l is a valid label of c.
func validFor(c *Compiled, l ResourceLabel) bool {
	if l.Type != LabelTypeACM || l.Policy != c.Name() {
		return false
	}
	_, ok := c.policy.ResourceLabel(l.Label)
	return ok
}
