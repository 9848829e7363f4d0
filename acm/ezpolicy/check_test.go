package ezpolicy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// This file checks generated policies independently of the generator: the element
// tree of the 3.2–3.4 schema (acm.md §1.1) and xend's extra checks (§1.2), read back
// with encoding/xml. Package acm's own loader is exercised in acm_test.go when present.

const ibmNS = "http://www.ibm.com"

type xPolicy struct {
	XMLName xml.Name `xml:"http://www.ibm.com SecurityPolicyDefinition"`
	Header  struct {
		PolicyName string  `xml:"http://www.ibm.com PolicyName"`
		PolicyURL  *string `xml:"http://www.ibm.com PolicyUrl"`
		Date       *string `xml:"http://www.ibm.com Date"`
		Version    string  `xml:"http://www.ibm.com Version"`
		From       *struct {
			PolicyName string `xml:"http://www.ibm.com PolicyName"`
			Version    string `xml:"http://www.ibm.com Version"`
		} `xml:"http://www.ibm.com FromPolicy"`
	} `xml:"http://www.ibm.com PolicyHeader"`
	STE *struct {
		Types []string `xml:"http://www.ibm.com SimpleTypeEnforcementTypes>Type"`
	} `xml:"http://www.ibm.com SimpleTypeEnforcement"`
	CW *struct {
		Priority  string   `xml:"priority,attr"`
		Types     []string `xml:"http://www.ibm.com ChineseWallTypes>Type"`
		Conflicts []struct {
			Name  *string  `xml:"name,attr"`
			Types []string `xml:"http://www.ibm.com Type"`
		} `xml:"http://www.ibm.com ConflictSets>Conflict"`
	} `xml:"http://www.ibm.com ChineseWall"`
	Labels struct {
		Subjects struct {
			Bootstrap *string `xml:"bootstrap,attr"`
			VMs       []struct {
				Name   string   `xml:"http://www.ibm.com Name"`
				STETyp []string `xml:"http://www.ibm.com SimpleTypeEnforcementTypes>Type"`
				CWTyp  []string `xml:"http://www.ibm.com ChineseWallTypes>Type"`
			} `xml:"http://www.ibm.com VirtualMachineLabel"`
		} `xml:"http://www.ibm.com SubjectLabels"`
		Objects struct {
			Resources []struct {
				Name  string   `xml:"http://www.ibm.com Name"`
				Types []string `xml:"http://www.ibm.com SimpleTypeEnforcementTypes>Type"`
			} `xml:"http://www.ibm.com ResourceLabel"`
		} `xml:"http://www.ibm.com ObjectLabels"`
	} `xml:"http://www.ibm.com SecurityLabelTemplate"`
}

// label is a VM label as checkPolicy reads it back.
type label struct{ ste, cw []string }

// readBack is what checkPolicy found in a policy.
type readBack struct {
	name, version string
	ste, cw       []string
	conflicts     [][]string
	conflictNames []string
	vms           map[string]label
	vmOrder       []string
	resources     map[string]string // label → its one STE type
	resOrder      []string
	bootstrap     string
}

var versionRE = regexp.MustCompile(`^[0-9]{1,8}.[0-9]{1,8}$`) // the schema's pattern, dot unescaped

// checkPolicy validates a policy as §1.1 and §1.2 describe and returns its contents.
func checkPolicy(doc []byte) (*readBack, error) {
	if err := checkOrder(doc); err != nil {
		return nil, err
	}
	var p xPolicy
	if err := xml.Unmarshal(doc, &p); err != nil {
		return nil, fmt.Errorf("not well-formed policy XML: %w", err)
	}
	h := p.Header
	switch {
	case h.PolicyName == "":
		return nil, errors.New("no PolicyName")
	case strings.Contains(h.PolicyName, ":"):
		return nil, errors.New("':' in PolicyName (XSERR_BAD_POLICY_NAME)")
	case !versionRE.MatchString(h.Version):
		return nil, fmt.Errorf("Version %q does not match the VersionFormat", h.Version)
	}
	if h.From != nil && (h.From.PolicyName == "" || !versionRE.MatchString(h.From.Version)) {
		return nil, fmt.Errorf("bad FromPolicy %+v", *h.From)
	}
	rb := &readBack{name: h.PolicyName, version: h.Version, vms: map[string]label{}, resources: map[string]string{}}
	if p.STE == nil || len(p.STE.Types) == 0 {
		return nil, errors.New("no SimpleTypeEnforcement types")
	}
	if p.CW == nil || len(p.CW.Types) == 0 {
		return nil, errors.New("no ChineseWall types")
	}
	if p.CW.Priority != "" && p.CW.Priority != "PrimaryPolicyComponent" {
		return nil, fmt.Errorf("ChineseWall priority %q", p.CW.Priority)
	}
	rb.ste, rb.cw = p.STE.Types, p.CW.Types
	steSet, err := uniqueSet("STE type", rb.ste)
	if err != nil {
		return nil, err
	}
	cwSet, err := uniqueSet("CHWALL type", rb.cw)
	if err != nil {
		return nil, err
	}
	cwUsed := map[string]bool{}
	sub := p.Labels.Subjects
	if sub.Bootstrap == nil {
		return nil, errors.New("SubjectLabels without bootstrap")
	}
	rb.bootstrap = *sub.Bootstrap
	if len(sub.VMs) == 0 {
		return nil, errors.New("no VirtualMachineLabel")
	}
	for _, vm := range sub.VMs {
		if err := checkLabelName(vm.Name); err != nil {
			return nil, err
		}
		if _, dup := rb.vms[vm.Name]; dup {
			return nil, fmt.Errorf("duplicate VM label %q (XSERR_POLICY_HAS_DUPLICATES)", vm.Name)
		}
		for _, t := range vm.STETyp {
			if !steSet[t] {
				return nil, fmt.Errorf("VM label %q: STE type %q not declared (XSERR_BAD_LABEL)", vm.Name, t)
			}
		}
		for _, t := range vm.CWTyp {
			if !cwSet[t] {
				return nil, fmt.Errorf("VM label %q: CHWALL type %q not declared (XSERR_BAD_LABEL)", vm.Name, t)
			}
			cwUsed[t] = true
		}
		rb.vms[vm.Name] = label{ste: vm.STETyp, cw: vm.CWTyp}
		rb.vmOrder = append(rb.vmOrder, vm.Name)
	}
	if _, ok := rb.vms[rb.bootstrap]; !ok {
		return nil, fmt.Errorf("bootstrap %q names no VM label (XSERR_POLICY_INCONSISTENT)", rb.bootstrap)
	}
	for _, r := range p.Labels.Objects.Resources {
		if err := checkLabelName(r.Name); err != nil {
			return nil, err
		}
		if _, dup := rb.resources[r.Name]; dup {
			return nil, fmt.Errorf("duplicate resource label %q (XSERR_POLICY_HAS_DUPLICATES)", r.Name)
		}
		if len(r.Types) != 1 {
			return nil, fmt.Errorf("resource label %q has %d STE types, want exactly one", r.Name, len(r.Types))
		}
		if !steSet[r.Types[0]] {
			return nil, fmt.Errorf("resource label %q: STE type %q not declared (XSERR_BAD_LABEL)", r.Name, r.Types[0])
		}
		rb.resources[r.Name] = r.Types[0]
		rb.resOrder = append(rb.resOrder, r.Name)
	}
	for _, c := range p.CW.Conflicts {
		if c.Name == nil || *c.Name == "" {
			return nil, errors.New("Conflict without a name (XSERR_BAD_CONFLICTSET)")
		}
		if len(c.Types) == 0 {
			return nil, fmt.Errorf("Conflict %q without types", *c.Name)
		}
		if _, err := uniqueSet("type in conflict set "+*c.Name, c.Types); err != nil {
			return nil, err
		}
		for _, t := range c.Types {
			if !cwSet[t] {
				return nil, fmt.Errorf("conflict set %q: type %q is no CHWALL type", *c.Name, t)
			}
			if !cwUsed[t] {
				return nil, fmt.Errorf("conflict set %q: type %q is the CHWALL type of no label", *c.Name, t)
			}
		}
		rb.conflicts = append(rb.conflicts, c.Types)
		rb.conflictNames = append(rb.conflictNames, *c.Name)
	}
	return rb, nil
}

func checkLabelName(name string) error {
	if name == "" || strings.Contains(name, ":") {
		return fmt.Errorf("label name %q empty or with ':' (XSERR_BAD_LABEL)", name)
	}
	return nil
}

func uniqueSet(what string, list []string) (map[string]bool, error) {
	set := make(map[string]bool, len(list))
	for _, s := range list {
		if s == "" {
			return nil, fmt.Errorf("empty %s", what)
		}
		if set[s] {
			return nil, fmt.Errorf("duplicate %s %q (XSERR_POLICY_HAS_DUPLICATES)", what, s)
		}
		set[s] = true
	}
	return set, nil
}

// schemaOrder lists, for the elements whose children form a sequence, the allowed
// children in order with their maximum count (0: unbounded), from acm.md §1.1.
var schemaOrder = map[string][]struct {
	name string
	min  int
	max  int
}{
	"SecurityPolicyDefinition":   {{"PolicyHeader", 1, 1}, {"SimpleTypeEnforcement", 0, 1}, {"ChineseWall", 0, 1}, {"SecurityLabelTemplate", 1, 1}},
	"PolicyHeader":               {{"PolicyName", 1, 1}, {"PolicyUrl", 0, 1}, {"Reference", 0, 1}, {"Date", 0, 1}, {"NameSpaceUrl", 0, 1}, {"Version", 1, 1}, {"FromPolicy", 0, 1}},
	"FromPolicy":                 {{"PolicyName", 1, 1}, {"Version", 1, 1}},
	"SimpleTypeEnforcement":      {{"SimpleTypeEnforcementTypes", 1, 1}},
	"ChineseWall":                {{"ChineseWallTypes", 1, 1}, {"ConflictSets", 0, 1}},
	"ConflictSets":               {{"Conflict", 1, 0}},
	"SecurityLabelTemplate":      {{"SubjectLabels", 0, 1}, {"ObjectLabels", 0, 1}},
	"SubjectLabels":              {{"VirtualMachineLabel", 1, 0}},
	"VirtualMachineLabel":        {{"Name", 1, 1}, {"SimpleTypeEnforcementTypes", 0, 1}, {"ChineseWallTypes", 0, 0}},
	"ObjectLabels":               {{"ResourceLabel", 1, 0}},
	"ResourceLabel":              {{"Name", 1, 1}, {"SimpleTypeEnforcementTypes", 1, 1}},
	"SimpleTypeEnforcementTypes": {{"Type", 1, 0}},
	"ChineseWallTypes":           {{"Type", 1, 0}},
	"Conflict":                   {{"Type", 1, 0}},
}

// checkOrder walks the token stream and checks every element's children against
// schemaOrder, and that every element is in the policy namespace.
func checkOrder(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		name     string
		children []string
	}
	var stack []*frame
	roots := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != ibmNS {
				return fmt.Errorf("element %s outside namespace %s", t.Name.Local, ibmNS)
			}
			if len(stack) == 0 {
				roots++
				if t.Name.Local != "SecurityPolicyDefinition" {
					return fmt.Errorf("root element %s", t.Name.Local)
				}
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, t.Name.Local)
			}
			stack = append(stack, &frame{name: t.Name.Local})
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if err := checkChildren(f.name, f.children); err != nil {
				return err
			}
		case xml.CharData:
			if len(stack) > 0 {
				if _, seq := schemaOrder[stack[len(stack)-1].name]; seq && len(bytes.TrimSpace(t)) > 0 {
					return fmt.Errorf("text inside %s", stack[len(stack)-1].name)
				}
			}
		}
	}
	if roots != 1 {
		return fmt.Errorf("%d root elements", roots)
	}
	return nil
}

func checkChildren(parent string, children []string) error {
	seq, ok := schemaOrder[parent]
	if !ok {
		if len(children) > 0 {
			return fmt.Errorf("%s has element children %v", parent, children)
		}
		return nil
	}
	i := 0
	for _, want := range seq {
		n := 0
		for i < len(children) && children[i] == want.name {
			i++
			n++
		}
		if n < want.min || (want.max > 0 && n > want.max) {
			return fmt.Errorf("%s: %d × %s, want %d..%d (children %v)", parent, n, want.name, want.min, want.max, children)
		}
	}
	if i != len(children) {
		return fmt.Errorf("%s: unexpected or misplaced %s (children %v)", parent, children[i], children)
	}
	return nil
}
