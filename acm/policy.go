package acm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// Namespace is the target namespace of the policy schema.
const Namespace = "http://www.ibm.com"

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// Special label names (acm.md §1.5).
const (
	// LabelUnlabeled is ACM_LABEL_UNLABELED: when a policy defines it, unlabeled
	// domains and resources are treated as carrying it. Its ssid index is 0.
	LabelUnlabeled = "__UNLABELED__"
	// LabelUnlabeledDisplay is how xm shows LabelUnlabeled.
	LabelUnlabeledDisplay = "unlabeled"
	// LabelNull names ssid 0 in the map file of a policy without LabelUnlabeled.
	LabelNull = "__NULL_LABEL__"
	// LabelInaccessible is XS_INACCESSIBLE_LABEL: a resource carrying it is
	// denied to every VM.
	LabelInaccessible = "__INACCESSIBLE__"
	// LabelSystemManagement is the conventional bootstrap (Domain-0) label.
	LabelSystemManagement = "SystemManagement"
)

// maxPolicyBytes bounds the XML read by Load; real policies are a few KB.
const maxPolicyBytes = 16 << 20

// Policy is a parsed and validated policy XML document. It is immutable once
// returned: callers must not modify its slices.
//
// Lists keep document order; names and types are exact strings (xend strips
// no whitespace). Elements xend ignores are left out: labels with an empty
// <Name>, empty <Type/> entries, every <ChineseWallTypes> of a VM label after
// the first.
type Policy struct {
	Name         string      // PolicyHeader/PolicyName
	URL          string      // PolicyHeader/PolicyUrl
	Reference    string      // PolicyHeader/Reference
	Date         string      // PolicyHeader/Date
	NameSpaceURL string      // PolicyHeader/NameSpaceUrl
	Version      string      // PolicyHeader/Version; "" for a 3.0/3.1 policy without one
	From         *FromPolicy // PolicyHeader/FromPolicy, nil when absent

	STETypes     []string      // SimpleTypeEnforcement/SimpleTypeEnforcementTypes
	CHWallTypes  []string      // ChineseWall/ChineseWallTypes
	ConflictSets []ConflictSet // ChineseWall/ConflictSets

	Bootstrap      string  // SubjectLabels/@bootstrap: Domain-0's label
	VMLabels       []Label // SubjectLabels/VirtualMachineLabel
	ResourceLabels []Label // ObjectLabels/ResourceLabel (CHWall always empty)

	// Warnings lists what loaded but deserves a log line (a missing Version).
	Warnings []string

	xml []byte
}

// FromPolicy names the policy a run-time update replaces (acm.md §1.4).
type FromPolicy struct {
	Name    string
	Version string
}

// ConflictSet is a Chinese Wall conflict set: types that may not run at the
// same time. The name carries no semantics and may repeat.
type ConflictSet struct {
	Name  string
	Types []string
}

// Label is a VM or resource label with its types and the old name it
// renames (Name/@from), if any.
type Label struct {
	Name   string
	From   string
	STE    []string
	CHWall []string
}

// XML returns the policy document exactly as it was received; the binary
// policy's SHA-1 is taken over these bytes.
func (p *Policy) XML() []byte { return bytes.Clone(p.xml) }

// VersionTuple returns the Version as xend's (major, minor); (0, 0) when the
// policy has no Version (or, for a Policy built in code, an unparsable one).
func (p *Policy) VersionTuple() (major, minor uint32) {
	major, minor, _ = parseVersion(p.Version)
	return major, minor
}

// IsDefault reports whether p is "the DEFAULT policy" in xend's sense
// (is_default_policy): name DEFAULT with exactly the built-in labels and
// types. Updates from or to such a policy skip the version check.
func (p *Policy) IsDefault() bool {
	vmNames := make([]string, len(p.VMLabels))
	for i, l := range p.VMLabels {
		vmNames[i] = l.Name
	}
	resNames := make([]string, len(p.ResourceLabels))
	for i, l := range p.ResourceLabels {
		resNames[i] = l.Name
	}
	def := []string{LabelSystemManagement, LabelUnlabeled}
	return p.Name == DefaultPolicyName &&
		slices.Equal(vmNames, def) &&
		p.Bootstrap == LabelSystemManagement &&
		slices.Equal(p.STETypes, def) &&
		slices.Equal(p.VMLabels[0].STE, def) &&
		slices.Equal(p.VMLabels[1].STE, def[1:]) &&
		slices.Equal(resNames, def[1:]) &&
		slices.Equal(p.CHWallTypes, def[:1])
}

// VMLabel returns the VM label called name.
func (p *Policy) VMLabel(name string) (Label, bool) { return findLabel(p.VMLabels, name) }

// ResourceLabel returns the resource label called name.
func (p *Policy) ResourceLabel(name string) (Label, bool) {
	return findLabel(p.ResourceLabels, name)
}

func findLabel(ls []Label, name string) (Label, bool) {
	for _, l := range ls {
		if l.Name == name {
			return l, true
		}
	}
	return Label{}, false
}

// Load reads a policy XML document and validates it as Parse does.
func Load(r io.Reader) (*Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPolicyBytes+1))
	if err != nil {
		return nil, &Error{Code: XSErrXMLProcessing, Msg: fmt.Sprintf("reading policy: %v", err)}
	}
	if len(data) > maxPolicyBytes {
		return nil, errf(XSErrXMLProcessing, 0, "policy larger than %d bytes", maxPolicyBytes)
	}
	return Parse(data)
}

// Parse parses and validates a policy XML document in xend's order
// (ACMPolicy.validate, then policy_create_map_and_bin), so the first failure
// carries the code xend 3.4 returned for a fresh policy:
//
//   - not well-formed XML: XSErrXMLProcessing
//   - not valid against the 3.2–3.4 schema (acm.md §1.1): XSErrBadXML
//   - ':' in the policy name: XSErrBadPolicyName
//   - ':' in a resource, then a VM label name: XSErrBadLabel
//   - bootstrap naming no VM label: XSErrPolicyInconsistent
//   - duplicate VM labels, resource labels, STE or CHWALL types:
//     XSErrPolicyHasDuplicates
//   - a conflict set with an empty name: XSErrBadConflictSet
//   - a label using an undeclared type: XSErrBadLabel
//
// A document without <Version> is read as a 3.0.3–3.1 policy: it loads with a
// warning, and its conflict sets may omit their name. The returned error is an
// *Error; errors.Is(err, code) matches its code. Parse never panics.
func Parse(data []byte) (pol *Policy, err error) {
	defer func() {
		// The parser has no known panics; this keeps one from crossing the API.
		if r := recover(); r != nil {
			pol, err = nil, errf(XSErrXMLProcessing, 0, "internal error parsing policy: %v", r)
		}
	}()
	lines, err := scanLines(data)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, errf(XSErrXMLProcessing, 0, "%v", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, errf(XSErrXMLProcessing, 0, "no root element")
	}
	ps := &parser{lines: map[*etree.Element]int{}}
	ps.number(root, lines)
	p, err := ps.policy(root)
	if err != nil {
		return nil, err
	}
	p.xml = bytes.Clone(data)
	if err := p.check(ps); err != nil {
		return nil, err
	}
	return p, nil
}

// scanLines checks well-formedness with encoding/xml (etree is lenient) and
// returns the line of every start element in document order.
func scanLines(data []byte) ([]int, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var lines []int
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			return nil, errf(XSErrXMLProcessing, line, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					line, _ := d.InputPos()
					return nil, errf(XSErrXMLProcessing, line, "junk after document element")
				}
			}
			depth++
			line, _ := d.InputPos()
			lines = append(lines, line)
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				line, _ := d.InputPos()
				return nil, errf(XSErrXMLProcessing, line, "text outside the document element")
			}
		}
	}
	if roots == 0 {
		return nil, errf(XSErrXMLProcessing, 0, "no element found")
	}
	return lines, nil
}

type parser struct {
	lines    map[*etree.Element]int
	nameLine int   // PolicyHeader/PolicyName
	bootLine int   // SubjectLabels
	vmLines  []int // per Policy.VMLabels entry, its <Name>
	resLines []int // per Policy.ResourceLabels entry, its <Name>
	cfsLines []int // per Policy.ConflictSets entry
}

// number maps etree's elements to the lines encoding/xml saw; both walk the
// same elements in document order.
func (ps *parser) number(root *etree.Element, lines []int) {
	i := 0
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if i < len(lines) {
			ps.lines[e] = lines[i]
		}
		i++
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
}

func (ps *parser) bad(e *etree.Element, format string, args ...any) *Error {
	return errf(XSErrBadXML, ps.lines[e], format, args...)
}

// occ is one particle of an xsd:sequence of elements.
type occ struct {
	name     string
	min, max int // max < 0: unbounded
}

// seq matches the child elements of e against a sequence, checking namespace,
// order and cardinality, and that e holds no text (element-only content).
func (ps *parser) seq(e *etree.Element, spec ...occ) (map[string][]*etree.Element, error) {
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			return nil, ps.bad(e, "element <%s> must not contain text", e.Tag)
		}
	}
	kids := e.ChildElements()
	for _, k := range kids {
		if k.NamespaceURI() != Namespace {
			return nil, ps.bad(k, "element <%s> is not in namespace %s", k.FullTag(), Namespace)
		}
	}
	out := make(map[string][]*etree.Element, len(spec))
	i := 0
	for _, s := range spec {
		n := 0
		for i < len(kids) && kids[i].Tag == s.name && (s.max < 0 || n < s.max) {
			out[s.name] = append(out[s.name], kids[i])
			i++
			n++
		}
		if n < s.min {
			if i < len(kids) {
				return nil, ps.bad(kids[i], "element <%s> in <%s>: expected <%s>", kids[i].Tag, e.Tag, s.name)
			}
			return nil, ps.bad(e, "element <%s> lacks <%s>", e.Tag, s.name)
		}
	}
	if i < len(kids) {
		return nil, ps.bad(kids[i], "element <%s> not expected in <%s>", kids[i].Tag, e.Tag)
	}
	return out, nil
}

// attrs checks that e carries only the named unqualified attributes, besides
// namespace declarations and xsi:* attributes.
func (ps *parser) attrs(e *etree.Element, allowed ...string) error {
	for _, a := range e.Attr {
		switch {
		case a.Space == "" && a.Key == "xmlns", a.Space == "xmlns":
			continue
		case a.Space == "" && slices.Contains(allowed, a.Key):
			continue
		case a.Space != "" && resolvePrefix(e, a.Space) == xsiNamespace:
			continue
		}
		return ps.bad(e, "attribute %q not allowed on <%s>", a.FullKey(), e.Tag)
	}
	return nil
}

func resolvePrefix(e *etree.Element, prefix string) string {
	for ; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// simple returns the text of an xsd:string element, which may hold comments
// but no elements.
func (ps *parser) simple(e *etree.Element, attrs ...string) (string, error) {
	if err := ps.attrs(e, attrs...); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Element:
			return "", ps.bad(t, "element <%s> not allowed in <%s>", t.Tag, e.Tag)
		case *etree.CharData:
			b.WriteString(t.Data)
		}
	}
	return b.String(), nil
}

// versionPattern is the schema's VersionFormat, its '.' unescaped as in Xen.
var versionPattern = regexp.MustCompile(`^[0-9]{1,8}.[0-9]{1,8}$`)

func (ps *parser) version(e *etree.Element) (string, error) {
	v, err := ps.simple(e)
	if err != nil {
		return "", err
	}
	if !versionPattern.MatchString(v) {
		return "", ps.bad(e, "version %q does not match [0-9]{1,8}.[0-9]{1,8}", v)
	}
	return v, nil
}

// types reads a list of <Type> elements, dropping empty ones as xend does.
func (ps *parser) types(e *etree.Element, min, max int) ([]string, error) {
	if err := ps.attrs(e); err != nil {
		return nil, err
	}
	kids, err := ps.seq(e, occ{"Type", min, max})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range kids["Type"] {
		s, err := ps.simple(k)
		if err != nil {
			return nil, err
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

func (ps *parser) policy(root *etree.Element) (*Policy, error) {
	if root.Tag != "SecurityPolicyDefinition" || root.NamespaceURI() != Namespace {
		return nil, ps.bad(root, "root element is <%s>, want <SecurityPolicyDefinition> in namespace %s", root.FullTag(), Namespace)
	}
	if err := ps.attrs(root); err != nil {
		return nil, err
	}
	top, err := ps.seq(root,
		occ{"PolicyHeader", 1, 1},
		occ{"SimpleTypeEnforcement", 0, 1},
		occ{"ChineseWall", 0, 1},
		occ{"SecurityLabelTemplate", 1, 1})
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	legacy, err := ps.header(p, top["PolicyHeader"][0])
	if err != nil {
		return nil, err
	}
	if ste := top["SimpleTypeEnforcement"]; ste != nil {
		if err := ps.priority(ste[0]); err != nil {
			return nil, err
		}
		k, err := ps.seq(ste[0], occ{"SimpleTypeEnforcementTypes", 1, 1})
		if err != nil {
			return nil, err
		}
		if p.STETypes, err = ps.types(k["SimpleTypeEnforcementTypes"][0], 1, -1); err != nil {
			return nil, err
		}
	}
	if cw := top["ChineseWall"]; cw != nil {
		if err := ps.chineseWall(p, cw[0], legacy); err != nil {
			return nil, err
		}
	}
	if err := ps.labels(p, top["SecurityLabelTemplate"][0], legacy); err != nil {
		return nil, err
	}
	return p, nil
}

func (ps *parser) priority(e *etree.Element) error {
	if err := ps.attrs(e, "priority"); err != nil {
		return err
	}
	if a := e.SelectAttr("priority"); a != nil && a.Space == "" && a.Value != "PrimaryPolicyComponent" {
		return ps.bad(e, "priority %q is not PrimaryPolicyComponent", a.Value)
	}
	return nil
}

// header reads PolicyHeader; it reports whether the policy is a 3.0/3.1 one
// (no Version).
func (ps *parser) header(p *Policy, h *etree.Element) (legacy bool, err error) {
	if err := ps.attrs(h); err != nil {
		return false, err
	}
	// Version is 1..1 in the 3.2+ schema; accepting 0..1 here is the
	// 3.0.3–3.1 import path (acm.md §0).
	k, err := ps.seq(h,
		occ{"PolicyName", 1, 1},
		occ{"PolicyUrl", 0, 1},
		occ{"Reference", 0, 1},
		occ{"Date", 0, 1},
		occ{"NameSpaceUrl", 0, 1},
		occ{"Version", 0, 1},
		occ{"FromPolicy", 0, 1})
	if err != nil {
		return false, err
	}
	fields := []struct {
		tag string
		dst *string
	}{{"PolicyName", &p.Name}, {"PolicyUrl", &p.URL}, {"Reference", &p.Reference}, {"Date", &p.Date}, {"NameSpaceUrl", &p.NameSpaceURL}}
	ps.nameLine = ps.lines[k["PolicyName"][0]]
	for _, f := range fields {
		if e := k[f.tag]; e != nil {
			if *f.dst, err = ps.simple(e[0]); err != nil {
				return false, err
			}
		}
	}
	if v := k["Version"]; v != nil {
		if p.Version, err = ps.version(v[0]); err != nil {
			return false, err
		}
		if _, _, err = parseVersion(p.Version); err != nil {
			// xend's int() parse of "M.m" fails on any other separator; we
			// refuse such a policy at load time (README, decision 3).
			return false, ps.bad(v[0], "%v", err)
		}
	} else {
		legacy = true
		p.Warnings = append(p.Warnings, "policy has no <Version>: loaded as a 3.0/3.1 policy with version 0.0")
	}
	if f := k["FromPolicy"]; f != nil {
		if err := ps.attrs(f[0]); err != nil {
			return false, err
		}
		fk, err := ps.seq(f[0], occ{"PolicyName", 1, 1}, occ{"Version", 1, 1})
		if err != nil {
			return false, err
		}
		p.From = &FromPolicy{}
		if p.From.Name, err = ps.simple(fk["PolicyName"][0]); err != nil {
			return false, err
		}
		if p.From.Version, err = ps.version(fk["Version"][0]); err != nil {
			return false, err
		}
	}
	return legacy, nil
}

func (ps *parser) chineseWall(p *Policy, cw *etree.Element, legacy bool) error {
	if err := ps.priority(cw); err != nil {
		return err
	}
	k, err := ps.seq(cw, occ{"ChineseWallTypes", 1, 1}, occ{"ConflictSets", 0, 1})
	if err != nil {
		return err
	}
	if p.CHWallTypes, err = ps.types(k["ChineseWallTypes"][0], 1, -1); err != nil {
		return err
	}
	cs := k["ConflictSets"]
	if cs == nil {
		return nil
	}
	if err := ps.attrs(cs[0]); err != nil {
		return err
	}
	ck, err := ps.seq(cs[0], occ{"Conflict", 1, -1})
	if err != nil {
		return err
	}
	for _, c := range ck["Conflict"] {
		if err := ps.attrs(c, "name"); err != nil {
			return err
		}
		a := c.SelectAttr("name")
		if a == nil || a.Space != "" {
			if !legacy {
				return ps.bad(c, "<Conflict> lacks the required attribute name")
			}
		}
		set := ConflictSet{}
		if a != nil {
			set.Name = a.Value
		}
		kids, err := ps.seq(c, occ{"Type", 1, -1})
		if err != nil {
			return err
		}
		for _, t := range kids["Type"] {
			s, err := ps.simple(t)
			if err != nil {
				return err
			}
			if s != "" {
				set.Types = append(set.Types, s)
			}
		}
		p.ConflictSets = append(p.ConflictSets, set)
		ps.cfsLines = append(ps.cfsLines, ps.lines[c])
	}
	return nil
}

func (ps *parser) labels(p *Policy, t *etree.Element, legacy bool) error {
	if err := ps.attrs(t); err != nil {
		return err
	}
	k, err := ps.seq(t, occ{"SubjectLabels", 0, 1}, occ{"ObjectLabels", 0, 1})
	if err != nil {
		return err
	}
	if s := k["SubjectLabels"]; s != nil {
		if err := ps.attrs(s[0], "bootstrap"); err != nil {
			return err
		}
		a := s[0].SelectAttr("bootstrap")
		if a == nil || a.Space != "" {
			return ps.bad(s[0], "<SubjectLabels> lacks the required attribute bootstrap")
		}
		p.Bootstrap = a.Value
		ps.bootLine = ps.lines[s[0]]
		vk, err := ps.seq(s[0], occ{"VirtualMachineLabel", 1, -1})
		if err != nil {
			return err
		}
		for _, v := range vk["VirtualMachineLabel"] {
			if err := ps.attrs(v); err != nil {
				return err
			}
			lk, err := ps.seq(v,
				occ{"Name", 1, 1},
				occ{"SimpleTypeEnforcementTypes", 0, 1},
				occ{"ChineseWallTypes", 0, -1})
			if err != nil {
				return err
			}
			l, err := ps.name(lk["Name"][0])
			if err != nil {
				return err
			}
			if e := lk["SimpleTypeEnforcementTypes"]; e != nil {
				if l.STE, err = ps.types(e[0], 1, -1); err != nil {
					return err
				}
			}
			for i, e := range lk["ChineseWallTypes"] {
				ts, err := ps.types(e, 1, -1)
				if err != nil {
					return err
				}
				if i == 0 { // xend reads only the first element
					l.CHWall = ts
				}
			}
			if l.Name != "" { // xend skips labels without a name
				p.VMLabels = append(p.VMLabels, l)
				ps.vmLines = append(ps.vmLines, ps.lines[lk["Name"][0]])
			}
		}
	}
	if o := k["ObjectLabels"]; o != nil {
		if err := ps.attrs(o[0]); err != nil {
			return err
		}
		rk, err := ps.seq(o[0], occ{"ResourceLabel", 1, -1})
		if err != nil {
			return err
		}
		for _, r := range rk["ResourceLabel"] {
			if err := ps.attrs(r); err != nil {
				return err
			}
			lk, err := ps.seq(r, occ{"Name", 1, 1}, occ{"SimpleTypeEnforcementTypes", 1, 1})
			if err != nil {
				return err
			}
			l, err := ps.name(lk["Name"][0])
			if err != nil {
				return err
			}
			// SingleSimpleTypeEnforcementType: exactly one Type in 3.2+;
			// 3.0.3–3.1 resource labels may carry several.
			max := 1
			if legacy {
				max = -1
			}
			if l.STE, err = ps.types(lk["SimpleTypeEnforcementTypes"][0], 1, max); err != nil {
				return err
			}
			if l.Name != "" {
				p.ResourceLabels = append(p.ResourceLabels, l)
				ps.resLines = append(ps.resLines, ps.lines[lk["Name"][0]])
			}
		}
	}
	return nil
}

func (ps *parser) name(e *etree.Element) (Label, error) {
	n, err := ps.simple(e, "from")
	if err != nil {
		return Label{}, err
	}
	l := Label{Name: n}
	if a := e.SelectAttr("from"); a != nil && a.Space == "" {
		l.From = a.Value
	}
	return l, nil
}

// parseVersion converts "M.m" to numbers as xend's __convVersionToTuple does.
func parseVersion(v string) (major, minor uint32, err error) {
	if v == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, fmt.Errorf("version %q is not of the form major.minor", v)
	}
	ma, err1 := strconv.ParseUint(a, 10, 32)
	mi, err2 := strconv.ParseUint(b, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("version %q is not of the form major.minor", v)
	}
	return uint32(ma), uint32(mi), nil
}
