package acm

import "strings"

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// check runs xend's checks after the schema (acm.md §1.2) in xend's order.
func (p *Policy) check(ps *parser) error {
	if err := checkPolicyName(p.Name); err != nil {
		err.Line = ps.nameLine
		return err
	}
	for i, l := range p.ResourceLabels {
		if strings.Contains(l.Name, ":") {
			return errf(XSErrBadLabel, ps.resLines[i], "resource label name %q contains ':'", l.Name)
		}
	}
	for i, l := range p.VMLabels {
		if strings.Contains(l.Name, ":") {
			return errf(XSErrBadLabel, ps.vmLines[i], "VM label name %q contains ':'", l.Name)
		}
	}
	if _, ok := p.VMLabel(p.Bootstrap); !ok {
		return errf(XSErrPolicyInconsistent, ps.bootLine, "bootstrap label %q is not a VirtualMachineLabel", p.Bootstrap)
	}
	if err := p.checkDuplicates(ps); err != nil {
		return err
	}
	for i, c := range p.ConflictSets {
		// Only a 3.0/3.1 policy (no Version) may omit the name; the schema
		// already refused a missing one elsewhere.
		if c.Name == "" && p.Version != "" {
			return errf(XSErrBadConflictSet, ps.cfsLines[i], "conflict set without a name")
		}
	}
	return p.checkTypes(ps)
}

// checkPolicyName applies xend's ':' rule, plus the rules that keep a name
// usable as a path below a policy folder (README, decision 4).
func checkPolicyName(n string) *Error {
	switch {
	case strings.Contains(n, ":"):
		return errf(XSErrBadPolicyName, 0, "policy name %q contains ':'", n)
	case n == "":
		return errf(XSErrBadPolicyName, 0, "empty policy name")
	case strings.ContainsAny(n, "/\\\x00"):
		return errf(XSErrBadPolicyName, 0, "policy name %q contains '/', '\\' or NUL", n)
	case strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") || strings.Contains(n, ".."):
		return errf(XSErrBadPolicyName, 0, "policy name %q has an empty dotted component", n)
	}
	return nil
}

// checkDuplicates mirrors xend's list arithmetic: the sorted VM list (with
// __UNLABELED__ added when missing) and the resource names without the first
// __UNLABELED__.
func (p *Policy) checkDuplicates(ps *parser) error {
	dup := func(names []string) (string, int) {
		seen := make(map[string]int, len(names))
		for i, n := range names {
			if _, ok := seen[n]; ok {
				return n, i
			}
			seen[n] = i
		}
		return "", -1
	}
	vm := make([]string, len(p.VMLabels))
	for i, l := range p.VMLabels {
		vm[i] = l.Name
	}
	if n, i := dup(vm); i >= 0 {
		return errf(XSErrPolicyHasDuplicates, ps.vmLines[i], "duplicate VM label %q", n)
	}
	res := make([]string, 0, len(p.ResourceLabels))
	lines := make([]int, 0, len(p.ResourceLabels))
	skipped := false
	for i, l := range p.ResourceLabels {
		if l.Name == LabelUnlabeled && !skipped {
			skipped = true
			continue
		}
		res = append(res, l.Name)
		lines = append(lines, ps.resLines[i])
	}
	if n, i := dup(res); i >= 0 {
		return errf(XSErrPolicyHasDuplicates, lines[i], "duplicate resource label %q", n)
	}
	if n, i := dup(p.STETypes); i >= 0 {
		return errf(XSErrPolicyHasDuplicates, 0, "duplicate STE type %q", n)
	}
	if n, i := dup(p.CHWallTypes); i >= 0 {
		return errf(XSErrPolicyHasDuplicates, 0, "duplicate Chinese Wall type %q", n)
	}
	return nil
}

// checkTypes reports label types missing from the type lists. As in xend,
// the check of a component runs only when it declares types, and conflict
// sets are not checked (undeclared types in them are ignored).
func (p *Policy) checkTypes(ps *parser) error {
	chw, ste := toSet(p.CHWallTypes), toSet(p.STETypes)
	if len(p.CHWallTypes) > 0 {
		for i, l := range p.VMLabels {
			for _, t := range l.CHWall {
				if !chw[t] {
					return errf(XSErrBadLabel, ps.vmLines[i], "VM label %q uses undeclared Chinese Wall type %q", l.Name, t)
				}
			}
		}
	}
	if len(p.STETypes) > 0 {
		for i, l := range p.VMLabels {
			for _, t := range l.STE {
				if !ste[t] {
					return errf(XSErrBadLabel, ps.vmLines[i], "VM label %q uses undeclared STE type %q", l.Name, t)
				}
			}
		}
		skipped := false
		for i, l := range p.ResourceLabels {
			if l.Name == LabelUnlabeled && !skipped {
				skipped = true // not a row of the binary: xend never looks at its types
				continue
			}
			for _, t := range l.STE {
				if !ste[t] {
					return errf(XSErrBadLabel, ps.resLines[i], "resource label %q uses undeclared STE type %q", l.Name, t)
				}
			}
		}
	}
	return nil
}
