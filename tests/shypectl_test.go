package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
)

// shypectl runs the built shypectl in one working directory against one server.
type shypectl struct {
	t   *testing.T
	dir string
	env []string
}

func newShypectl(t *testing.T, s *server, policyDir string) *shypectl {
	dir := t.TempDir()
	env := []string{"SHYPE_URL=http://" + s.addr, "SHYPE_POLICY_DIR=" + policyDir}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SHYPE_") {
			env = append(env, kv)
		}
	}
	return &shypectl{t: t, dir: dir, env: env}
}

func (c *shypectl) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "shypectl"), args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		c.t.Fatalf("shypectl %q: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// expect runs shypectl and checks its whole output and exit status.
func (c *shypectl) expect(wantOut, wantErr string, wantCode int, args ...string) {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if out != wantOut || errOut != wantErr || code != wantCode {
		c.t.Errorf("shypectl %s: exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
			strings.Join(args, " "), code, wantCode, out, wantOut, errOut, wantErr)
	}
}

// ok runs shypectl and expects exit status 0 with nothing on stderr.
func (c *shypectl) ok(wantOut string, args ...string) {
	c.t.Helper()
	c.expect(wantOut, "", 0, args...)
}

func (c *shypectl) fails(wantErr string, args ...string) {
	c.t.Helper()
	c.expect("", wantErr, 1, args...)
}

func (c *shypectl) write(name, data string) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *shypectl) read(name string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// testWLD is acm.md §8's ezPolicy description.
const testWLD = `policy example.chwall_ste.test-wld
org Avis
org Hertz
org CocaCola: Intranet Extranet HumanResources Payroll
org PepsiCo: Intranet Extranet
conflict RER: PepsiCo CocaCola
conflict RER: CocaCola.Extranet CocaCola.Payroll
`

const wld = "example.chwall_ste.test-wld"

func getpolicyOut(name, ref, version string) string {
	return "Supported security subsystems   : ACM \n\n" +
		"Policy name           : " + name + "\n" +
		"Policy type           : ACM\n" +
		"Reference             : " + ref + "\n" +
		"Version of XML policy : " + version + "\n" +
		"Policy configuration  : loaded, activated for boot\n"
}

// listOut builds `shypectl list` output from rows "name|id|mem|vcpus|state|label".
func listOut(label bool, rows ...string) string {
	var b strings.Builder
	if label {
		b.WriteString("Name                                        ID   Mem VCPUs      State   Time(s) Label     \n")
	} else {
		b.WriteString("Name                                        ID   Mem VCPUs      State   Time(s)\n")
	}
	for _, r := range rows {
		f := strings.Split(r, "|")
		line := pad(f[0], 40) + " " + lpad(f[1], 5) + " " + lpad(f[2], 5) + " " + lpad(f[3], 5) + " " + lpad(f[4], 10) + " " + lpad("0.0", 8)
		if label {
			line += " " + lpad(f[5], 10)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func pad(s string, n int) string  { return s + strings.Repeat(" ", max(0, n-len(s))) }
func lpad(s string, n int) string { return strings.Repeat(" ", max(0, n-len(s))) + s }

// TestShypectlScenario drives a whole sHype session through shypectl against
// shyped: policies, labels, domains that may and may not run together,
// devices, relabels, policy updates and reset.
func TestShypectlScenario(t *testing.T) {
	s := startServer(t)
	polDir := t.TempDir()
	c := newShypectl(t, s, polDir)

	// DEFAULT is enforced on a fresh server.
	out, errOut, code := c.run("getpolicy")
	if code != 0 && (strings.Contains(errOut, "The server has no Xen_SecurityService.") || strings.Contains(errOut, "CIM_ERR_NOT_SUPPORTED") || strings.Contains(errOut, "CIM_ERR_INVALID_CLASS")) {
		t.Skipf("shyped does not serve the access control classes yet: %s", errOut)
	}
	m := regexp.MustCompile(`(?m)^Reference             : ([0-9a-f-]{36})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("getpolicy: exit %d\n%s%s", code, out, errOut)
	}
	ref := m[1]
	c.ok(getpolicyOut("DEFAULT", ref, "1.0"), "getpolicy")

	// ezpolicy writes the policy where setpolicy finds it ($SHYPE_POLICY_DIR).
	c.write("wld.ez", testWLD)
	xml, _, code := c.run("ezpolicy", "wld.ez")
	if code != 0 || !strings.Contains(xml, "<PolicyName>"+wld+"</PolicyName>") {
		t.Fatalf("ezpolicy: exit %d\n%s", code, xml)
	}
	polFile := acm.PolicyXMLPath(polDir, wld)
	c.ok("", "ezpolicy", "-o", polFile, "wld.ez")
	if b, err := os.ReadFile(polFile); err != nil || string(b) != xml {
		t.Fatalf("ezpolicy -o wrote %q (%v)", b, err)
	}
	c.fails("Error: Could not read policy file from current directory or '"+polDir+"'.\n", "setpolicy", "ACM", "no.such")
	c.ok("Successfully set the new policy.\n"+getpolicyOut(wld, ref, "1.0"), "setpolicy", "ACM", wld)

	c.ok("Policy '"+wld+"' will be enforced after the next host boot.\n", "cfgbootpolicy", wld)
	c.ok(getpolicyOut(wld, ref, "1.0"), "getpolicy")

	// Labels of the policy, sorted.
	pol, err := acm.Parse([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	c.ok("Avis\nCocaCola\nCocaCola.Extranet\nCocaCola.HumanResources\nCocaCola.Intranet\nCocaCola.Payroll\nHertz\nPepsiCo\nPepsiCo.Extranet\nPepsiCo.Intranet\nSystemManagement\n", "labels")
	if len(pol.VMLabels) != 11 {
		t.Errorf("policy has %d VM labels", len(pol.VMLabels))
	}
	if out, _, _ := c.run("labels", "type=res"); !strings.HasPrefix(out, "Avis\nCocaCola\n") {
		t.Errorf("labels type=res:\n%s", out)
	}

	// Label the configs.
	for _, n := range []string{"coke", "pepsi", "avis", "hertz"} {
		c.write(n+".cfg", "kernel = \"/boot/vmlinuz\"\nmemory = 64\nname = \""+n+"\"\n")
	}
	c.write("coke.cfg", c.read("coke.cfg")+"disk = ['phy:sdb1,xvda1,w']\n")
	c.ok("", "addlabel", "CocaCola", "dom", "coke.cfg")
	c.ok("", "addlabel", "PepsiCo", "dom", "pepsi.cfg")
	c.ok("", "addlabel", "Avis", "dom", "avis.cfg")
	c.ok("", "addlabel", "Hertz", "dom", "hertz.cfg")
	if got := c.read("coke.cfg"); got != "kernel = \"/boot/vmlinuz\"\nmemory = 64\nname = \"coke\"\ndisk = ['phy:sdb1,xvda1,w']\naccess_control = ['policy="+wld+",label=CocaCola']\n" {
		t.Errorf("coke.cfg after addlabel:\n%s", got)
	}
	c.ok("policytype=ACM,policy="+wld+",label=Hertz\n", "getlabel", "dom", "hertz.cfg")
	c.fails("Error: Label 'Nobody' not found.\n", "addlabel", "Nobody", "dom", "pepsi.cfg")

	// A Domain-0 labelled Avis authorizes no Hertz workload.
	c.ok("Successfully set the label of domain 'Domain-0' to 'Avis'.\n\n", "addlabel", "Avis", "mgt", "Domain-0")
	c.fails("Error: VM is not authorized to run.\n", "create", "hertz.cfg")
	c.ok("Successfully set the label of domain '0' to 'SystemManagement'.\n\n", "addlabel", "SystemManagement", "mgt", "0")
	c.ok(listOut(false, "Domain-0|0|1024|2|r-----"), "list", "--all")

	// An unlabeled disk is denied under a policy without __UNLABELED__.
	failed := "Checking domain:\n   coke: PERMITTED\nChecking resources:\n   phy:sdb1: DENIED\n"
	out, errOut, code = c.run("dry-run", "coke.cfg")
	if code != 255 || errOut != "" || !strings.HasPrefix(out, failed) || !strings.HasSuffix(out, "Dry Run: FAILED\n") {
		t.Errorf("dry-run FAILED: exit %d\n%s%s", code, out, errOut)
	}
	c.fails("Error: VM's access to block device 'phy:sdb1' denied\n", "create", "coke.cfg")
	c.ok("", "addlabel", "CocaCola", "res", "phy:sdb1")
	c.fails("Error: 'phy:sdb1' is already labeled with 'ACM:"+wld+":CocaCola'.\n", "addlabel", "PepsiCo", "res", "phy:sdb1")
	c.ok("ACM:"+wld+":CocaCola\n", "getlabel", "res", "phy:/dev/sdb1")
	c.ok("Checking domain:\n   coke: PERMITTED\nChecking resources:\n   phy:sdb1: PERMITTED\nDry Run: PASSED\n", "dry-run", "coke.cfg")
	c.ok("Started domain coke\n", "create", "coke.cfg")

	// Chinese Wall: PepsiCo may not run beside CocaCola; the refused domain is gone.
	c.fails("Error: Domain in conflict set with running domain?\n", "create", "pepsi.cfg")
	c.fails("Error: Domain 'pepsi' does not exist.\n", "list", "pepsi")

	// Devices: a CocaCola disk attaches, a PepsiCo one is denied and coke runs on.
	c.ok("", "addlabel", "CocaCola", "res", "phy:sdc")
	c.ok("", "block-attach", "coke", "phy:sdc", "xvdb", "w")
	c.ok("", "addlabel", "PepsiCo", "res", "file:pepsi.img")
	pepsiImg := "file:" + filepath.Join(c.dir, "pepsi.img")
	c.fails("Error: VM's access to block device '"+pepsiImg+"' denied\n", "block-attach", "coke", "file:pepsi.img", "xvdc", "r")
	c.ok("ACM:"+wld+":PepsiCo\n", "getlabel", "res", pepsiImg)
	c.ok("", "block-detach", "coke", "xvdb")
	c.ok(pepsiImg+"\n      type: ACM\n    policy: "+wld+"\n    label:  PepsiCo\n"+
		"phy:/dev/sdb1\n      type: ACM\n    policy: "+wld+"\n    label:  CocaCola\n"+
		"phy:/dev/sdc\n      type: ACM\n    policy: "+wld+"\n    label:  CocaCola\n", "resources")
	c.ok("", "rmlabel", "res", "phy:sdc")
	c.fails("Error: 'Resource not labeled'\n", "getlabel", "res", "phy:sdc")

	// Relabel domains: running, suspended, halted.
	c.ok("Started domain avis\n", "create", "avis.cfg")
	c.ok("Successfully set the label of domain 'avis' to 'Hertz'.\n\n", "addlabel", "Hertz", "mgt", "avis")
	c.ok("", "suspend", "avis")
	c.ok("Successfully set the label of the dormant domain 'avis' to 'Avis'.\n", "addlabel", "Avis", "mgt", "avis")
	c.ok("ACM:"+wld+":Avis\n", "getlabel", "mgt", "avis")
	c.ok("", "resume", "avis")
	c.fails("Error: Could not label the domain: The label is bad\n", "addlabel", "CocaCola.Intranet", "mgt", "coke")
	c.ok("Successfully set the label of domain 'avis' to 'Hertz'.\n\n", "addlabel", "Hertz", "mgt", "avis")
	c.ok("Started domain hertz\n", "create", "hertz.cfg")
	c.ok("", "pause", "hertz")
	c.ok(listOut(true,
		"coke|1|64|1|r-----|ACM:"+wld+":CocaCola",
		"avis|3|64|1|r-----|ACM:"+wld+":Hertz",
		"hertz|4|64|1|--p---|ACM:"+wld+":Hertz",
		"Domain-0|0|1024|2|r-----|ACM:"+wld+":SystemManagement"), "list", "--label")
	c.ok("", "unpause", "hertz")
	c.ok("", "destroy", "hertz")
	c.ok("Successfully set the label of the dormant domain 'hertz' to 'Avis'.\n", "addlabel", "Avis", "mgt", "hertz")
	c.ok(listOut(false, "Domain-0|0|1024|2|r-----", "avis|3|64|1|r-----", "coke|1|64|1|r-----"), "list")

	// A policy update renames Hertz to Rental: the running avis follows.
	c.write("upd.ez", testWLD+"version 1.1\nfrom "+wld+" 1.0\n")
	upd, _, code := c.run("ezpolicy", "upd.ez")
	if code != 0 || !strings.Contains(upd, "<Name>Hertz</Name>") {
		t.Fatalf("ezpolicy update: exit %d", code)
	}
	c.write("upd-security_policy.xml", strings.Replace(upd, "<Name>Hertz</Name>", `<Name from="Hertz">Rental</Name>`, 1))
	c.ok("Successfully set the new policy.\n"+getpolicyOut(wld, ref, "1.1"), "setpolicy", "ACM", "upd")
	c.ok("ACM:"+wld+":Rental\n", "getlabel", "mgt", "avis")
	c.ok(listOut(true,
		"hertz||64|1|------|ACM:"+wld+":Avis",
		"coke|1|64|1|r-----|ACM:"+wld+":CocaCola",
		"avis|3|64|1|r-----|ACM:"+wld+":Rental",
		"Domain-0|0|1024|2|r-----|ACM:"+wld+":SystemManagement"), "list", "--all", "--label")

	// Re-creating the halted hertz from a config whose label the update renamed is
	// refused, and hertz keeps its former settings and label.
	c.write("hertz.cfg", strings.Replace(c.read("hertz.cfg"), "memory = 64", "memory = 96", 1)+"disk = ['phy:sdd,xvda,r']\n")
	out, errOut, code = c.run("create", "hertz.cfg")
	if code != 1 || out != "" || errOut != "Error: Label 'Hertz' not found.\n" {
		t.Errorf("create over halted hertz: exit %d\n%s%s", code, out, errOut)
	}
	c.ok("ACM:"+wld+":Avis\n", "getlabel", "mgt", "hertz")
	c.ok(listOut(false, "hertz||64|1|------"), "list", "hertz")

	// An update deleting the label avis runs on is refused and changes nothing.
	c.ok("", "destroy", "coke")
	c.write("bad.ez", strings.Replace(testWLD, "org Hertz\n", "", 1)+"version 1.2\nfrom "+wld+" 1.1\n")
	bad, _, _ := c.run("ezpolicy", "bad.ez")
	c.write("bad-security_policy.xml", bad)
	before, _, _ := c.run("getpolicy", "--dumpxml")
	out, errOut, code = c.run("setpolicy", "ACM", "bad")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: An error occurred trying to set the policy: Operation failed in hypervisor. Hypervisor reported errors:A domain used SSIDREF ") {
		t.Errorf("refused update: exit %d\n%s%s", code, out, errOut)
	}
	c.ok(before, "getpolicy", "--dumpxml")

	// dumppolicy prints the enforced binary.
	out, _, code = c.run("dumppolicy")
	if code != 0 || !strings.HasPrefix(out, "\nPolicy dump:\n============\nPOLICY REFERENCE = "+wld+".\n") || !strings.Contains(out, " <-- Domain-0") {
		t.Errorf("dumppolicy: exit %d\n%s", code, out)
	}

	// Reset needs the labeled guests halted.
	c.fails("Error: Could not reset the system's policy. Try to halt all guests.\n", "resetpolicy")
	c.ok("", "shutdown", "avis")
	c.ok("Successfully reset the system's policy.\n", "resetpolicy")
	c.ok(getpolicyOut("DEFAULT", ref, "1.0"), "getpolicy")
	c.ok("", "delete", "hertz")
	c.ok("INV_ACM:"+wld+":Rental\n", "getlabel", "mgt", "avis")
	c.ok("", "rmlabel", "mgt", "avis")
	c.fails("Error: Could not remove label from domain: 'Domain was not labeled.'\n", "rmlabel", "mgt", "avis")
	c.ok(listOut(true,
		"avis||64|1|------|ACM:DEFAULT:__UNLABELED__",
		"Domain-0|0|1024|2|r-----|ACM:DEFAULT:SystemManagement",
		"coke||64|1|------|INV_ACM:"+wld+":CocaCola"), "list", "--all", "--label")
}
