package ezpolicy

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names the generator gives a meaning to.
const (
	// SystemManagement is the label and type of Domain-0: the bootstrap label, holding
	// every STE type and its own Chinese Wall type (acm.md §1.5).
	SystemManagement = "SystemManagement"
	// Unlabeled is the label that unlabeled domains and resources are treated as
	// carrying when a policy defines it (acm.md §1.5). ezPolicy of Xen 3.3 started
	// every new description with an organisation of this name; here it is an
	// organisation like the others, except that it has no departments.
	Unlabeled = "__UNLABELED__"
	// DefaultConflictName is the name ezPolicy gave a conflict set left unnamed; the
	// 3.2+ schema requires a name, and names carry no meaning.
	DefaultConflictName = "RER"
	// DefaultVersion is the policy version written when the description gives none.
	DefaultVersion = "1.0"
)

// Limits that keep a generated policy compilable and a description readable.
const (
	// MaxWorkloads bounds the number of organisations plus departments: a compiled
	// policy numbers STE ssids (1 + VM labels + resource labels, about twice the
	// workloads) with 16 bits.
	MaxWorkloads = 32000
	// MaxNameLen bounds every name, in bytes.
	MaxNameLen = 255
)

// reserved are the labels an organisation may not be named after: SystemManagement is
// generated, the other two have a fixed meaning in the ACM (acm.md §1.5).
var reserved = []string{SystemManagement, "__NULL_LABEL__", "__INACCESSIBLE__"}

// Description is the input of Generate: a policy header, the organisations with
// their departments, and the conflict sets (ezPolicy's "run-time exclusion rules").
// The Line fields say where a part came from in a parsed text, for error messages;
// they are 0 in a description built in code.
type Description struct {
	// Policy is the PolicyName, dotted (example.chwall_ste.test-wld); each dot-separated
	// part is a name (letters, digits, '_' and '-').
	Policy string
	// Version is the policy Version, "M.m" with 1 to 8 digits each; empty means
	// DefaultVersion.
	Version string
	// Date is written as the header's free-text Date when not empty. ezPolicy wrote
	// the time of generation; here the caller decides, so output stays reproducible.
	Date string
	// URL is written as the header's PolicyUrl when not empty.
	URL string
	// From, when set, is written as the header's FromPolicy, which makes the policy an
	// update of the one in force (acm.md §1.4).
	From *From
	// Orgs are the organisations, in the order their types and labels are written.
	Orgs []Org
	// Conflicts are the conflict sets, in the order they are written.
	Conflicts []Conflict

	lines headerLines
}

// headerLines are the lines of the single-valued statements of a parsed description.
type headerLines struct{ policy, version, date, url int }

// From names the policy that a generated policy updates.
type From struct {
	Policy  string // PolicyName of the policy in force
	Version string // its Version
	Line    int
}

// Org is an organisation and its departments. Each becomes a type and a VM label:
// the organisation as Name, a department as Name.Department.
type Org struct {
	Name        string
	Departments []string
	Line        int
}

// Conflict is a conflict set: of the workloads it lists, only one may run on the host
// at a time. A member is an organisation ("PepsiCo", covering its departments too) or
// one department ("CocaCola.Payroll").
type Conflict struct {
	// Name is the name of the set; empty means DefaultConflictName. Names need not be
	// unique.
	Name    string
	Members []string
	Line    int
}

// model is a validated description, resolved into what the policy holds.
type model struct {
	d         *Description
	version   string
	types     []string // workload types in description order, without SystemManagement
	conflicts []resolvedConflict
}

type resolvedConflict struct {
	name    string
	members []string // sorted, at least two
}

// Validate checks the description as Generate would, returning nil or an ErrorList
// of every problem found.
func (d *Description) Validate() error {
	_, err := d.resolve()
	return err
}

// resolve validates d and computes the types and conflict sets of the policy.
func (d *Description) resolve() (*model, error) {
	if d == nil {
		return nil, ErrorList{{Msg: "no description", Err: ErrMissing}}
	}
	var e errs
	m := &model{d: d, version: d.Version}
	if m.version == "" {
		m.version = DefaultVersion
	}

	switch {
	case d.Policy == "":
		e.add(0, ErrMissing, "no policy name: a description needs a 'policy NAME' statement")
	case !validPolicyName(d.Policy):
		e.add(d.lines.policy, ErrName, "invalid policy name %q: dot-separated names of letters, digits, '_' and '-'", d.Policy)
	}
	if d.Version != "" && !validVersion(d.Version) {
		e.add(d.lines.version, ErrName, "invalid version %q: want M.m, 1 to 8 digits each", d.Version)
	}
	if d.Date != "" && !validText(d.Date) {
		e.add(d.lines.date, ErrSyntax, "invalid date %q: free text on one line, without control characters", d.Date)
	}
	if d.URL != "" && !validText(d.URL) {
		e.add(d.lines.url, ErrSyntax, "invalid url %q: free text on one line, without control characters", d.URL)
	}
	if f := d.From; f != nil {
		if !validPolicyName(f.Policy) {
			e.add(f.Line, ErrName, "invalid policy name %q in from", f.Policy)
		}
		if !validVersion(f.Version) {
			e.add(f.Line, ErrName, "invalid version %q in from: want M.m, 1 to 8 digits each", f.Version)
		}
	}

	if len(d.Orgs) == 0 {
		e.add(0, ErrEmpty, "no organisation: a description needs at least one 'org NAME' statement")
	}
	// known maps each workload (org or org.dept) to its org, for the conflict sets.
	known := make(map[string]string)
	orgLine := make(map[string]int)
	workloads := 0
	for _, o := range d.Orgs {
		workloads += 1 + len(o.Departments)
		switch {
		case !validName(o.Name):
			e.add(o.Line, ErrName, "invalid organisation name %q: letters, digits, '_' and '-' only", o.Name)
			continue
		case isReserved(o.Name):
			e.add(o.Line, ErrReserved, "organisation name %q is reserved", o.Name)
			continue
		}
		if first, dup := orgLine[o.Name]; dup {
			e.add(o.Line, ErrDuplicate, "duplicate organisation %q%s", o.Name, firstOn(first))
			continue
		}
		orgLine[o.Name] = o.Line
		if o.Name == Unlabeled && len(o.Departments) > 0 {
			e.add(o.Line, ErrReserved, "organisation %s cannot have departments", Unlabeled)
		}
		known[o.Name] = o.Name
		m.types = append(m.types, o.Name)
		for _, dep := range o.Departments {
			if !validName(dep) {
				e.add(o.Line, ErrName, "invalid department name %q in organisation %s: letters, digits, '_' and '-' only", dep, o.Name)
				continue
			}
			t := o.Name + "." + dep
			if _, dup := known[t]; dup {
				e.add(o.Line, ErrDuplicate, "duplicate department %q in organisation %s", dep, o.Name)
				continue
			}
			known[t] = o.Name
			m.types = append(m.types, t)
		}
	}
	if workloads > MaxWorkloads {
		e.add(0, ErrTooLarge, "%d organisations and departments: at most %d fit in a policy", workloads, MaxWorkloads)
	}

	for _, c := range d.Conflicts {
		name := c.Name
		if name == "" {
			name = DefaultConflictName
		} else if !validName(name) {
			e.add(c.Line, ErrName, "invalid conflict set name %q: letters, digits, '_' and '-' only", name)
		}
		ok := true
		seen := make(map[string]bool, len(c.Members))
		orgs := make(map[string]string) // org → the member that named it or one of its departments
		for _, mem := range c.Members {
			org, found := known[mem]
			if !found {
				ok = false
				e.add(c.Line, ErrUnknown, "conflict set %s names %s, which is not declared", name, describeMember(mem))
				continue
			}
			if seen[mem] {
				ok = false
				e.add(c.Line, ErrDuplicate, "conflict set %s names %s twice", name, mem)
				continue
			}
			seen[mem] = true
			// An org and one of its departments in one set: the org already covers
			// the department, and ezPolicy refused the selection.
			if other, dup := orgs[org]; dup && (mem == org || other == org) {
				ok = false
				e.add(c.Line, ErrConflictSet, "conflict set %s names both %s and %s: an organisation covers its departments already", name, other, mem)
				continue
			}
			orgs[org] = mem
		}
		if !ok || len(c.Members) < 2 {
			// ezPolicy dropped sets of fewer than two types: they constrain nothing.
			continue
		}
		members := append([]string(nil), c.Members...)
		slices.Sort(members) // byte order, as xend sorts names
		m.conflicts = append(m.conflicts, resolvedConflict{name: name, members: members})
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return m, nil
}

func firstOn(line int) string {
	if line > 0 {
		return " (first on line " + strconv.Itoa(line) + ")"
	}
	return ""
}

func describeMember(mem string) string {
	if org, dep, ok := strings.Cut(mem, "."); ok {
		return "department " + dep + " of organisation " + org
	}
	return "organisation " + mem
}

func isReserved(name string) bool {
	for _, r := range reserved {
		if name == r {
			return true
		}
	}
	return false
}

// validName: the names of organisations, departments and conflict sets. Dots separate
// organisation and department, ':' and ',' separate the parts of label strings
// (ACM:policy:label, policy=p,label=l), and XML markup characters would need escaping
// in tools that do not escape; so only letters, digits, '_' and '-' are allowed.
func validName(s string) bool {
	if s == "" || len(s) > MaxNameLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// validPolicyName: dot-separated names; the dots become folders of the policy file
// path (acm.md §1.3), so no part may be empty.
func validPolicyName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if !validName(part) {
			return false
		}
	}
	return true
}

// validVersion: the schema's VersionFormat, with the dot taken literally (acm.md
// §1.1 and §10 item 13: xend int()-parses both halves).
func validVersion(s string) bool {
	major, minor, ok := strings.Cut(s, ".")
	return ok && digits(major) && digits(minor)
}

func digits(s string) bool {
	if len(s) < 1 || len(s) > 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validText: free text for Date and PolicyUrl.
func validText(s string) bool {
	if strings.TrimSpace(s) == "" || len(s) > 4*MaxNameLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
