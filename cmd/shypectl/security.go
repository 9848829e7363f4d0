package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/acm/ezpolicy"
	"github.com/shypecim/shypecim/cimom/cim"
)

// defaultPolicyDir is where policy files are looked up after the working
// directory, unless $SHYPE_POLICY_DIR names another folder (acm.md §0).
const defaultPolicyDir = "/etc/shypecim/policies"

// Flags of SetPolicy and ActivatePolicy (Xen-API xs_instantiationflags).
const (
	flagBoot = 1
	flagLoad = 2
)

func securityCommands() []*command {
	const g = "Security commands"
	return []*command{
		{name: "labels", args: "[<policy>] [type=dom|res|any]", group: g,
			help: "List <type> labels for (active) policy.", run: (*app).cmdLabels},
		{name: "addlabel", args: "<label> dom <configfile> [<policy>]\n<label> mgt <domain> [<policy type>:<policy>]\n<label> res <resource> [[<policy type>:]<policy>]\n<label> vif-<idx> <domain> [<policy type>:<policy>]", group: g,
			help: "Add security label to domain, resource or VIF.", run: (*app).cmdAddLabel},
		{name: "rmlabel", args: "dom <configfile>\nres <resource>\nmgt <domain>\nvif-<idx> <domain>", group: g,
			help: "Remove a security label from domain, resource or VIF.", run: (*app).cmdRmLabel},
		{name: "getlabel", args: "dom <configfile>\nres <resource>\nmgt <domain>\nvif-<idx> <domain>", group: g,
			help: "Show security label for domain, resource or VIF.", run: (*app).cmdGetLabel},
		{name: "resources", args: "", group: g,
			help: "Show info for each labeled resource.", run: (*app).cmdResources},
		{name: "dry-run", args: "<ConfigFile>", group: g,
			help: "Test if a domain can access its resources.", run: (*app).cmdDryRun},
		{name: "setpolicy", args: "<policytype> <policyname>", group: g,
			help: "Set the policy of the system.", run: (*app).cmdSetPolicy},
		{name: "getpolicy", args: "[options]", group: g,
			help: "Get the policy of the system (--dumpxml: with its XML).", run: (*app).cmdGetPolicy},
		{name: "resetpolicy", args: "", group: g,
			help: "Set the policy of the system to the default policy.", run: (*app).cmdResetPolicy},
		{name: "dumppolicy", args: "", group: g,
			help: "Print hypervisor ACM state information.", run: (*app).cmdDumpPolicy},
		{name: "makepolicy", args: "<policy>", group: g,
			help: "Build policy and create .bin/.map files.", run: (*app).cmdMakePolicy},
		{name: "loadpolicy", args: "<policy>", group: g,
			help: "Load binary policy into hypervisor.", run: (*app).cmdLoadPolicy},
		{name: "cfgbootpolicy", args: "<policy>", group: g,
			help: "Add policy to boot configuration.", run: (*app).cmdCfgBootPolicy},
		{name: "ezpolicy", args: "[-o FILE] <description-file>", group: g,
			help: "Generate a workload protection policy from a simple description.", run: (*app).cmdEzPolicy},
	}
}

// policyInfo is the managed policy as GetPolicy and Xen_ACMPolicy report it.
type policyInfo struct {
	name, ref, version, xml string
	flags                   uint64
}

func (a *app) policyInfo() (*policyInfo, error) {
	code, out, err := a.secCall("GetPolicy")
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, &cliError{msg: xsMessage(code, out)}
	}
	pi := &policyInfo{version: out.str("Version"), flags: out.uint("Flags")}
	ref := out.path("PolicyRef")
	if ref == nil {
		return nil, errorf("No policy is installed.")
	}
	if ref.Namespace == "" {
		ref.Namespace = ns
	}
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	in, err := c.GetInstance(a.ctx, ref)
	if err != nil {
		return nil, err
	}
	pi.name = propString(in, "PolicyName")
	pi.xml = propString(in, "Repr")
	id := propString(in, "InstanceID")
	if id == "" {
		if v, ok := ref.Key("InstanceID"); ok {
			id = fmt.Sprint(v)
		}
	}
	pi.ref = strings.TrimPrefix(id, "Xen:ACMPolicy:")
	if pi.version == "" {
		pi.version = propString(in, "Version")
	}
	return pi, nil
}

// xsMessage is the text of a Xen_SecurityService refusal: the server's
// message, else xend's text for the code.
func xsMessage(code uint64, out outParams) string {
	if m := out.str("Message"); m != "" {
		return m
	}
	return acm.XSErr(code).Message()
}

// writePolicy prints getpolicy's lines (xm/getpolicy.py, Xen-API mode).
func (a *app) writePolicy(pi *policyInfo, dumpxml bool) {
	w := a.stdout
	fmt.Fprintf(w, "Supported security subsystems   : ACM \n\n")
	fmt.Fprintf(w, "Policy name           : %s\n", pi.name)
	fmt.Fprintf(w, "Policy type           : ACM\n")
	if pi.ref != "" {
		fmt.Fprintf(w, "Reference             : %s\n", pi.ref)
	}
	fmt.Fprintf(w, "Version of XML policy : %s\n", pi.version)
	var state []string
	if pi.flags&flagLoad != 0 {
		state = append(state, "loaded")
	}
	if pi.flags&flagBoot != 0 {
		state = append(state, "activated for boot")
	}
	fmt.Fprintf(w, "Policy configuration  : %s\n", strings.Join(state, ", "))
	if dumpxml && pi.xml != "" {
		fmt.Fprint(w, pi.xml)
		if !strings.HasSuffix(pi.xml, "\n") {
			fmt.Fprintln(w)
		}
	}
}

func (a *app) cmdGetPolicy(args []string) error {
	dumpxml := false
	for _, arg := range args {
		if arg != "--dumpxml" {
			return &usageError{cmd: "getpolicy", msg: fmt.Sprintf("option %s not recognized", arg)}
		}
		dumpxml = true
	}
	pi, err := a.policyInfo()
	if err != nil {
		return err
	}
	a.writePolicy(pi, dumpxml)
	return nil
}

// policyDir is $SHYPE_POLICY_DIR or the default folder.
func (a *app) policyDir() string {
	if d := a.getenv("SHYPE_POLICY_DIR"); d != "" {
		return d
	}
	return defaultPolicyDir
}

// findPolicyFile looks the policy file of name up in the working directory,
// then in the policy folder (acm.md §0); it returns the file and its root.
func (a *app) findPolicyFile(name string) (path, root string, err error) {
	dir := a.policyDir()
	for _, root := range []string{a.wd, dir} {
		p := acm.PolicyXMLPath(root, name)
		if isFile(p) {
			return p, root, nil
		}
	}
	return "", "", errorf("Could not read policy file from current directory or '%s'.", dir)
}

func (a *app) readPolicyFile(name string) ([]byte, error) {
	p, _, err := a.findPolicyFile(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, errorf("Could not read policy file: %s", p)
	}
	return data, nil
}

// setPolicy sends a policy with SetPolicy and reports a refusal as xm did.
func (a *app) setPolicy(xml []byte, flags uint32) error {
	code, out, err := a.secCall("SetPolicy",
		strParam("Policy", string(xml)), uint32Param("Flags", flags), boolParam("Overwrite", true))
	if err != nil {
		return err
	}
	if code != 0 {
		txt := fmt.Sprintf("An error occurred trying to set the policy: %s.", acm.XSErr(code).Message())
		if errs := out.uints("Errors"); len(errs) >= 2 {
			txt += " " + hvErrorMessage(errs)
		}
		return &cliError{msg: txt}
	}
	return nil
}

// hvErrorMessage is xm's build_hv_error_message over (code, data) pairs.
func hvErrorMessage(pairs []uint64) string {
	var b strings.Builder
	b.WriteString("Hypervisor reported errors:")
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == 0 {
			break
		}
		b.WriteString(acm.ErrorTuple{Code: uint32(pairs[i]), Data: uint32(pairs[i+1])}.String())
	}
	return b.String()
}

func (a *app) cmdSetPolicy(args []string) error {
	if len(args) != 2 {
		return &usageError{cmd: "setpolicy", msg: "Need at least 3 arguments."}
	}
	if strings.ToUpper(args[0]) != "ACM" {
		return &usageError{cmd: "setpolicy", msg: fmt.Sprintf("Unsupported policytype '%s'.", args[0])}
	}
	xml, err := a.readPolicyFile(args[1])
	if err != nil {
		return err
	}
	if err := a.setPolicy(xml, flagLoad|flagBoot); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "Successfully set the new policy.")
	pi, err := a.policyInfo()
	if err != nil {
		return err
	}
	a.writePolicy(pi, false)
	return nil
}

func (a *app) cmdResetPolicy(args []string) error {
	if len(args) != 0 {
		return &usageError{cmd: "resetpolicy", msg: "'shypectl resetpolicy' takes no arguments."}
	}
	code, _, err := a.secCall("ResetPolicy")
	if err != nil {
		return err
	}
	if code != 0 {
		return errorf("Could not reset the system's policy. Try to halt all guests.")
	}
	fmt.Fprintln(a.stdout, "Successfully reset the system's policy.")
	return nil
}

func (a *app) cmdDumpPolicy(args []string) error {
	if len(args) != 0 {
		return &usageError{cmd: "dumppolicy", msg: "'shypectl dumppolicy' takes no arguments."}
	}
	code, out, err := a.secCall("DumpPolicy")
	if err != nil {
		return err
	}
	if code != 0 {
		return &cliError{msg: xsMessage(code, out)}
	}
	text := out.str("Text")
	fmt.Fprint(a.stdout, text)
	if text != "" && !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(a.stdout)
	}
	return nil
}

// cmdMakePolicy compiles a policy locally, writing the .map and .bin files
// beside its XML (acm.md §0); it prints nothing on success.
func (a *app) cmdMakePolicy(args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: "makepolicy", msg: "'shypectl makepolicy' requires 1 argument."}
	}
	p, root, err := a.findPolicyFile(args[0])
	if err != nil {
		return err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return errorf("Could not read policy file: %s", p)
	}
	pol, err := acm.Parse(data)
	if err != nil {
		return acmError(err)
	}
	c, err := acm.Compile(pol)
	if err != nil {
		return acmError(err)
	}
	name := args[0]
	if err := os.WriteFile(acm.PolicyFilePath(root, name, ".map"), []byte(c.Map(root)), 0o644); err != nil {
		return errorf("%v", err)
	}
	if err := os.WriteFile(acm.PolicyFilePath(root, name, ".bin"), c.Binary(), 0o644); err != nil {
		return errorf("%v", err)
	}
	return nil
}

func acmError(err error) error {
	var ae *acm.Error
	if errors.As(err, &ae) {
		return errorf("%s", ae.Msg)
	}
	return errorf("%v", err)
}

// cmdLoadPolicy loads a policy into the hypervisor (SetPolicy with the load
// flag).
func (a *app) cmdLoadPolicy(args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: "loadpolicy", msg: "'shypectl loadpolicy' requires 1 argument."}
	}
	xml, err := a.readPolicyFile(args[0])
	if err != nil {
		return err
	}
	return a.setPolicy(xml, flagLoad)
}

// cmdCfgBootPolicy makes a policy the boot policy: the managed one is
// activated for boot, another is installed with the boot flag.
func (a *app) cmdCfgBootPolicy(args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: "cfgbootpolicy", msg: "'shypectl cfgbootpolicy' requires 1 argument."}
	}
	name := args[0]
	pi, err := a.policyInfo()
	if err != nil {
		return err
	}
	if pi.name == name {
		ref := &cim.ObjectPath{Namespace: ns, ClassName: "Xen_ACMPolicy", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:ACMPolicy:" + pi.ref}}}
		code, out, err := a.secCall("ActivatePolicy", refParam("Policy", ref), uint32Param("Flags", flagBoot))
		if err != nil {
			return err
		}
		if code != 0 {
			return &cliError{msg: xsMessage(code, out)}
		}
	} else {
		xml, err := a.readPolicyFile(name)
		if err != nil {
			return err
		}
		if err := a.setPolicy(xml, flagBoot); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "Policy '%s' will be enforced after the next host boot.\n", name)
	return nil
}

func (a *app) cmdEzPolicy(args []string) error {
	var outFile, in string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-o" && i+1 < len(args):
			outFile = args[i+1]
			i++
		case strings.HasPrefix(args[i], "-"):
			return &usageError{cmd: "ezpolicy", msg: fmt.Sprintf("option %s not recognized", args[i])}
		case in == "":
			in = args[i]
		default:
			return &usageError{cmd: "ezpolicy", msg: "'shypectl ezpolicy' requires 1 argument."}
		}
	}
	if in == "" {
		return &usageError{cmd: "ezpolicy", msg: "'shypectl ezpolicy' requires 1 argument."}
	}
	p := in
	if !filepath.IsAbs(p) {
		p = filepath.Join(a.wd, p)
	}
	f, err := os.Open(p)
	if err != nil {
		return errorf("Could not read description file '%s'.", in)
	}
	defer f.Close()
	d, err := ezpolicy.Parse(f)
	if err != nil {
		var list ezpolicy.ErrorList
		if errors.As(err, &list) {
			lines := make([]string, len(list))
			for i, e := range list {
				lines[i] = in + ":" + e.Error()
			}
			return &cliError{msg: strings.Join(lines, "\nError: ")}
		}
		return errorf("%v", err)
	}
	xml, err := ezpolicy.Generate(d)
	if err != nil {
		return errorf("%v", err)
	}
	if outFile == "" {
		_, err := a.stdout.Write(xml)
		return err
	}
	if !filepath.IsAbs(outFile) {
		outFile = filepath.Join(a.wd, outFile)
	}
	if err := os.MkdirAll(filepath.Dir(outFile), 0o755); err != nil {
		return errorf("%v", err)
	}
	if err := os.WriteFile(outFile, xml, 0o644); err != nil {
		return errorf("%v", err)
	}
	return nil
}

// labelNames returns the sorted label names of the enforced policy of the
// given kind ("dom", "res" or "any").
func (a *app) labelNames(kind string) ([]string, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	objs, err := c.EnumerateInstances(a.ctx, ns, classLabel)
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	for _, o := range objs {
		t, _ := propUint(o.Instance, "LabelType")
		if kind == "dom" && t != 2 || kind == "res" && t != 3 {
			continue
		}
		n := propString(o.Instance, "ElementName")
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (a *app) cmdLabels(args []string) error {
	kind, policy := "dom", ""
	for _, arg := range args {
		if t, ok := strings.CutPrefix(arg, "type="); ok {
			switch t {
			case "dom", "res", "any":
				kind = t
			default:
				return &usageError{cmd: "labels", msg: "Unrecognised type argument: " + t}
			}
		} else if policy == "" {
			policy = arg
		} else {
			return &usageError{cmd: "labels", msg: "Too many arguments."}
		}
	}
	active, err := a.activePolicy()
	if err != nil {
		return err
	}
	if policy != "" && policy != active {
		fmt.Fprintf(a.stdout, "Warning: '%s' is not the currently loaded policy.\n", policy)
		return nil
	}
	names, err := a.labelNames(kind)
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintln(a.stdout, n)
	}
	return nil
}

// labelTarget splits addlabel/rmlabel/getlabel's object argument.
func vifIndex(kind string) (int, bool, error) {
	rest, ok := strings.CutPrefix(strings.ToLower(kind), "vif-")
	if !ok {
		return 0, false, nil
	}
	var n int
	if _, err := fmt.Sscanf(rest, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != rest {
		return 0, true, errorf("Bad VIF device index.")
	}
	return n, true, nil
}

func (a *app) cmdAddLabel(args []string) error {
	if len(args) != 3 && len(args) != 4 {
		return &usageError{cmd: "addlabel", msg: "Needs either 2 or 3 arguments"}
	}
	label, kind, target := args[0], args[1], args[2]
	policy, ptype := "", ""
	if len(args) == 4 {
		policy = args[3]
	} else {
		active, err := a.activePolicy()
		if err != nil {
			return err
		}
		policy, ptype = active, "ACM"
	}
	split := func(bare bool) error {
		if ptype != "" {
			return nil
		}
		parts := strings.Split(policy, ":")
		switch {
		case len(parts) == 1 && bare:
			ptype = "ACM"
		case len(parts) == 2:
			ptype, policy = parts[0], parts[1]
		default:
			return errorf("Policy name in wrong format.")
		}
		return nil
	}
	switch strings.ToLower(kind) {
	case "dom":
		return a.addDomLabel(label, target, policy)
	case "mgt":
		if err := split(false); err != nil {
			return err
		}
		return a.addMgtLabel(label, target, ptype+":"+policy+":"+label)
	case "res":
		if err := split(true); err != nil {
			return err
		}
		return a.addResLabel(target, ptype+":"+policy+":"+label)
	}
	idx, isVIF, err := vifIndex(kind)
	if err != nil {
		return err
	}
	if !isVIF {
		return &usageError{cmd: "addlabel", msg: `Need to specify either "dom", "mgt" or "res" as object to add label to.`}
	}
	if err := split(false); err != nil {
		return err
	}
	return a.setVIFLabel(target, idx, ptype+":"+policy+":"+label, true)
}

// accessControlRe matches the line xm addlabel refuses to label again.
var accessControlRe = regexp.MustCompile(`^\s*access_control\s*=`)

// configLooksValid is xm's validate_config_file: the file must execute and set
// at least three of kernel, bootloader, memory and name.
func configLooksValid(path string, data []byte) bool {
	if _, err := parseConfigBytes(path, data); err != nil {
		return false
	}
	set := map[string]bool{}
	re := regexp.MustCompile(`(?m)^(kernel|bootloader|memory|name)\s*=`)
	for _, m := range re.FindAllSubmatch(data, -1) {
		set[string(m[1])] = true
	}
	return len(set) >= 3
}

func (a *app) addDomLabel(label, cfgFile, policy string) error {
	names, err := a.labelNamesOf(policy)
	if err != nil {
		return err
	}
	found := false
	for _, n := range names {
		found = found || n == label
	}
	if !found {
		return errorf("Label '%s' not found.", label)
	}
	p, data, err := a.readConfigFile(cfgFile)
	if err != nil {
		return err
	}
	return addLabelToFile(a, p, data, acm.AccessControl{Policy: policy, Label: label})
}

// addLabelToFile appends the access_control line to a config file that has none.
func addLabelToFile(a *app, p string, data []byte, ac acm.AccessControl) error {
	if !configLooksValid(p, data) {
		fmt.Fprintln(a.stdout, "Invalid configuration file.")
		return errorf("Invalid config file")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if accessControlRe.MatchString(line) {
			return errorf("Config file '%s' is already labeled.", p)
		}
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, ac.ConfigLine()...)
	if !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	return writeFileKeepMode(p, data)
}

func writeFileKeepMode(p string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(p); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		return errorf("%v", err)
	}
	return nil
}

// labelNamesOf returns the VM label names of policy. The server knows only
// the enforced policy; another one is looked up, as xend's label2ssidref did,
// in the map file that makepolicy wrote beside its XML (acm.md §0, §6).
func (a *app) labelNamesOf(policy string) ([]string, error) {
	active, err := a.activePolicy()
	if err != nil {
		return nil, err
	}
	if policy == active {
		return a.labelNames("dom")
	}
	if p, root, err := a.findPolicyFile(policy); err == nil && p != "" {
		if data, err := os.ReadFile(acm.PolicyFilePath(root, policy, ".map")); err == nil {
			return mapVMLabels(data), nil
		}
	}
	return nil, errorf("Policy '%s' is not the currently loaded policy '%s'.", policy, active)
}

// mapVMLabels returns the labels a domain may carry according to a map file:
// the LABEL->SSID lines of class VM or ANY, without __NULL_LABEL__.
func mapVMLabels(data []byte) []string {
	var names []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "LABEL->SSID" || (f[1] != "VM" && f[1] != "ANY") || f[3] == "__NULL_LABEL__" || seen[f[3]] {
			continue
		}
		seen[f[3]] = true
		names = append(names, f[3])
	}
	sort.Strings(names)
	return names
}

func (a *app) addMgtLabel(label, ref, seclabel string) error {
	d, err := a.findDomain(ref)
	if err != nil {
		return err
	}
	code, out, err := a.secCall("GetSecurityLabel", refParam("Element", d.Path))
	if err != nil {
		return err
	}
	old := ""
	if code == 0 {
		old = out.str("Label")
	}
	code, out, err = a.secCall("SetSecurityLabel", refParam("Element", d.Path), strParam("Label", seclabel), strParam("OldLabel", old))
	if err != nil {
		return err
	}
	if code != 0 {
		return errorf("Could not label the domain: %s", xsMessage(code, out))
	}
	if out.uint("SSIDRef") != 0 {
		fmt.Fprintf(a.stdout, "Successfully set the label of domain '%s' to '%s'.\n\n", ref, label)
	} else {
		fmt.Fprintf(a.stdout, "Successfully set the label of the dormant domain '%s' to '%s'.\n", ref, label)
	}
	return nil
}

// resourceLabel returns the label of a resource, "" when it has none.
func (a *app) resourceLabel(res string) (string, error) {
	code, out, err := a.secCall("GetResourceLabel", strParam("Resource", res))
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", &cliError{msg: xsMessage(code, out)}
	}
	return out.str("Label"), nil
}

func (a *app) addResLabel(res, seclabel string) error {
	abs := absResource(res, a.wd)
	old, err := a.resourceLabel(abs)
	if err != nil {
		return err
	}
	if old != "" {
		return errorf("'%s' is already labeled with '%s'.", res, old)
	}
	code, out, err := a.secCall("SetResourceLabel", strParam("Resource", abs), strParam("Label", seclabel), strParam("OldLabel", ""))
	if err != nil {
		return err
	}
	if code != 0 {
		return errorf("An error occurred labeling the resource: %s", acm.XSErr(code).Message())
	}
	_ = out
	return nil
}

// vifSettings returns the path and instance of a domain's VIF idx.
func (a *app) vifSettings(ref string, idx int) (*domain, *cim.ObjectPath, *cim.Instance, error) {
	d, err := a.findDomain(ref)
	if err != nil {
		return nil, nil, nil, err
	}
	objs, err := a.rasds(d.UUID)
	if err != nil {
		return nil, nil, nil, err
	}
	want := fmt.Sprintf("Xen:%s/vif%d", d.UUID, idx)
	for _, o := range objs {
		if propString(o.Instance, "InstanceID") == want {
			return d, o.Path, o.Instance, nil
		}
	}
	return nil, nil, nil, errorf("Bad VIF index.")
}

// setVIFLabel labels (or, with label "", unlabels) a VIF through
// ModifyResourceSettings, printing xm's Xen-API messages.
func (a *app) setVIFLabel(ref string, idx int, label string, add bool) error {
	_, _, in, err := a.vifSettings(ref, idx)
	if err != nil {
		return err
	}
	if !add && propString(in, "SecurityLabel") == "" {
		return errorf("Could not remove the label from the VIF: VIF is not labeled.")
	}
	next := &cim.Instance{ClassName: classNet, Properties: []cim.Property{
		stringProp("InstanceID", propString(in, "InstanceID")),
		stringProp("Address", propString(in, "Address")),
		stringProp("Bridge", propString(in, "Bridge")),
		stringProp("SecurityLabel", label),
	}}
	if _, err := a.vsmsCall("ModifyResourceSettings", instsParam("ResourceSettings", []*cim.Instance{next})); err != nil {
		if add {
			fmt.Fprintf(a.stdout, "Could not label the VIF: %s\n", message(err))
			return nil
		}
		return errorf("Could not remove the label from the VIF: %s", message(err))
	}
	if add {
		fmt.Fprintln(a.stdout, "Successfully labeled the VIF.")
	} else {
		fmt.Fprintln(a.stdout, "Successfully removed the label from the VIF.")
	}
	return nil
}

// acEntryRe and acExitRe are rmlabel dom's patterns: from the access_control
// line through the line that closes its list.
var (
	acEntryRe = regexp.MustCompile(`(?i)^access_control\s*=`)
	acExitRe  = regexp.MustCompile(`'\]`)
)

// removeLabelFromFile comments out the access_control entry as xm rmlabel
// dom did; false when there was none.
func removeLabelFromFile(data []byte) ([]byte, bool) {
	lines := strings.SplitAfter(string(data), "\n")
	var b strings.Builder
	comment, removed := false, false
	for _, line := range lines {
		if acEntryRe.MatchString(line) {
			comment = true
		}
		if comment {
			removed = true
			line = "#" + line
		}
		if comment && acExitRe.MatchString(line) {
			comment = false
		}
		b.WriteString(line)
	}
	return []byte(b.String()), removed
}

// domLabelOfFile is getlabel dom: the text between [' and '] of the first
// access_control line.
func domLabelOfFile(data []byte) (string, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		if !acEntryRe.MatchString(line) {
			continue
		}
		i := strings.Index(line, "['")
		j := strings.Index(line, "']")
		if i >= 0 && j > i {
			return line[i+2 : j], true
		}
	}
	return "", false
}

func (a *app) cmdRmLabel(args []string) error {
	if len(args) != 2 {
		return &usageError{cmd: "rmlabel", msg: "Requires 2 arguments"}
	}
	kind, target := args[0], args[1]
	switch strings.ToLower(kind) {
	case "dom":
		p, data, err := a.readConfigFile(target)
		if err != nil {
			return err
		}
		next, removed := removeLabelFromFile(data)
		if !removed {
			return errorf("%s", acm.PyRepr("Domain not labeled"))
		}
		return writeFileKeepMode(p, next)
	case "res":
		abs := absResource(target, a.wd)
		old, err := a.resourceLabel(abs)
		if err != nil {
			return err
		}
		if old == "" {
			return errorf("%s", acm.PyRepr("Resource not labeled"))
		}
		code, _, err := a.secCall("SetResourceLabel", strParam("Resource", abs), strParam("Label", ""), strParam("OldLabel", old))
		if err != nil {
			return err
		}
		if code != 0 {
			return errorf("An error occurred removing the label: %s", acm.XSErr(code).Message())
		}
		return nil
	case "mgt":
		d, err := a.findDomain(target)
		if err != nil {
			return err
		}
		code, out, err := a.secCall("GetSecurityLabel", refParam("Element", d.Path))
		if err != nil {
			return err
		}
		old := out.str("Label")
		// An unlabeled domain reads as __UNLABELED__ (xend's effective label).
		if code != 0 || old == "" || strings.HasSuffix(old, ":"+acm.LabelUnlabeled) {
			return errorf("Could not remove label from domain: %s", acm.PyRepr("Domain was not labeled."))
		}
		code, out, err = a.secCall("SetSecurityLabel", refParam("Element", d.Path), strParam("Label", ""), strParam("OldLabel", old))
		if err != nil {
			return err
		}
		if code != 0 {
			return errorf("Could not remove label from domain: %s", xsMessage(code, out))
		}
		return nil
	}
	idx, isVIF, err := vifIndex(kind)
	if err != nil {
		return err
	}
	if !isVIF {
		return &usageError{cmd: "rmlabel", msg: "Unrecognised type argument: " + kind}
	}
	return a.setVIFLabel(target, idx, "", false)
}

func (a *app) cmdGetLabel(args []string) error {
	if len(args) != 2 {
		return &usageError{cmd: "getlabel", msg: "Requires 2 arguments"}
	}
	kind, target := args[0], args[1]
	switch strings.ToLower(kind) {
	case "dom":
		_, data, err := a.readConfigFile(target)
		if err != nil {
			return err
		}
		l, ok := domLabelOfFile(data)
		if !ok {
			return errorf("%s", acm.PyRepr("Domain not labeled"))
		}
		fmt.Fprintf(a.stdout, "policytype=ACM,%s\n", l)
		return nil
	case "res":
		l, err := a.resourceLabel(absResource(target, a.wd))
		if err != nil {
			return err
		}
		if l == "" {
			return errorf("%s", acm.PyRepr("Resource not labeled"))
		}
		fmt.Fprintln(a.stdout, l)
		return nil
	case "mgt":
		d, err := a.findDomain(target)
		if err != nil {
			return err
		}
		code, out, err := a.secCall("GetSecurityLabel", refParam("Element", d.Path))
		if err != nil {
			return err
		}
		if code != 0 {
			return &cliError{msg: xsMessage(code, out)}
		}
		fmt.Fprintln(a.stdout, out.str("Label"))
		return nil
	}
	idx, isVIF, err := vifIndex(kind)
	if err != nil {
		return err
	}
	if !isVIF {
		return &usageError{cmd: "getlabel", msg: "Unrecognised type argument: " + kind}
	}
	_, _, in, err := a.vifSettings(target, idx)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, propString(in, "SecurityLabel"))
	return nil
}

func (a *app) cmdResources(args []string) error {
	if len(args) != 0 {
		return &usageError{cmd: "resources", msg: "'shypectl resources' takes no arguments."}
	}
	code, out, err := a.secCall("GetLabeledResources")
	if err != nil {
		return err
	}
	if code != 0 {
		return &cliError{msg: xsMessage(code, out)}
	}
	res, labels := out.strings("Resources"), out.strings("Labels")
	for i, r := range res {
		l := ""
		if i < len(labels) {
			l = labels[i]
		}
		writeResource(a, r, l)
	}
	return nil
}

func writeResource(a *app, res, label string) {
	parts := strings.SplitN(label, ":", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	fmt.Fprintln(a.stdout, res)
	fmt.Fprintf(a.stdout, "      type: %s\n", parts[0])
	fmt.Fprintf(a.stdout, "    policy: %s\n", parts[1])
	fmt.Fprintf(a.stdout, "    label:  %s\n", parts[2])
}

// cmdDryRun is xm dry-run: the server's report, exit status 255 when FAILED.
func (a *app) cmdDryRun(args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: "dry-run", msg: "'shypectl dry-run' requires 1 argument."}
	}
	cfg, err := a.loadConfig(args[0])
	if err != nil {
		return err
	}
	vssd, rasds := configInstances(cfg, "")
	code, out, err := a.secCall("DryRun", instParam("SystemSettings", vssd), instsParam("ResourceSettings", rasds))
	if err != nil {
		return err
	}
	if code != 0 {
		return &cliError{msg: xsMessage(code, out)}
	}
	report := out.str("Report")
	fmt.Fprint(a.stdout, report)
	if report != "" && !strings.HasSuffix(report, "\n") {
		fmt.Fprintln(a.stdout)
	}
	permitted, _ := out["permitted"].(bool)
	if !permitted {
		return exitStatus(exitDryRun)
	}
	return nil
}
