package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
)

// The scenarios of Xen's own ACM test suite (tools/xm-test/tests/security-acm in
// xen-project/xen, files 01 to 10), ported to shypectl (our xm) and, for the
// Xen-API scenarios 07 to 09, to the Xen_SecurityService of the CIM model. Each
// scenario gets a fresh shyped; where an xm-test file relied on the state an
// earlier file left behind (the xm-test policy loaded by acm_utils, a resource
// labelled by 06), the scenario sets that state up itself and says so.
//
// The policies in testdata/xmtest are written for these tests from what the
// scenarios need. One deliberate difference from Xen's files: xm-test carries
// Version 1.0, because xm-test-update (and 07's updates) name xm-test 1.0 as
// FromPolicy and acm.md §0 refuses updates from a policy without a version.

// xmPolicyDir copies testdata/xmtest into a fresh folder, so that makepolicy's
// .map and .bin do not land in the source tree.
func xmPolicyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("testdata/xmtest")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata/xmtest", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// xmHost is one scenario's server, shypectl runner and CIM client.
type xmHost struct {
	s      *server
	c      *shypectl
	cl     *cimclient.Client
	polDir string
}

func newXMHost(t *testing.T) *xmHost {
	t.Helper()
	s := startServer(t)
	dir := xmPolicyDir(t)
	h := &xmHost{s: s, c: newShypectl(t, s, dir), cl: cimClient(t, s), polDir: dir}
	if _, errOut, code := h.c.run("getpolicy"); code != 0 {
		t.Skipf("shyped does not serve the access control classes yet: %s", errOut)
	}
	return h
}

// loadXMTest does what acm_utils.py does before every scenario from 02 on:
// make xm-test the enforced policy.
func (h *xmHost) loadXMTest(t *testing.T) {
	t.Helper()
	out, errOut, code := h.c.run("setpolicy", "ACM", "xm-test")
	if code != 0 || !strings.HasPrefix(out, "Successfully set the new policy.\n") {
		t.Fatalf("setpolicy ACM xm-test: exit %d\n%s%s", code, out, errOut)
	}
}

// domainCfg writes the config XmTestDomain would write for name: a kernel, a
// ramdisk, memory, plus the scenario's extra lines (access_control, disk).
func (h *xmHost) domainCfg(name string, extra ...string) string {
	cfg := "name = \"" + name + "\"\nkernel = \"/boot/vmlinuz-2.6.18-xen\"\nramdisk = \"/boot/initrd-xm-test.img\"\nmemory = 64\n"
	for _, e := range extra {
		cfg += e + "\n"
	}
	return h.c.write(name+".cfg", cfg)
}

func accessControl(policy, label string) string {
	return "access_control = ['policy=" + policy + ",label=" + label + "']"
}

// mustRun runs shypectl and fails unless it exits 0; it returns stdout.
func (h *xmHost) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := h.c.run(args...)
	if code != 0 {
		t.Fatalf("shypectl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// mustFail runs shypectl and fails the test unless it fails with exit status 1
// and the message want on stderr. xm-test checks only the status; the
// message pins that it failed for the reason the scenario is about.
func (h *xmHost) mustFail(t *testing.T, want string, args ...string) {
	t.Helper()
	out, errOut, code := h.c.run(args...)
	if code != 1 || errOut != "Error: "+want+"\n" {
		t.Errorf("shypectl %s: exit %d, want 1 with %q\n%s%s", strings.Join(args, " "), code, want, out, errOut)
	}
}

// dom0Label is the last column of Domain-0's row in `list Domain-0 --label`,
// split at the colons as 10_security-acm_pol_update.py's checkLabel does.
func (h *xmHost) dom0Label(t *testing.T) string {
	t.Helper()
	out := h.mustRun(t, "list", "Domain-0", "--label")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Domain-0") {
			f := strings.Fields(line)
			if len(strings.Split(f[len(f)-1], ":")) != 3 {
				t.Fatalf("label of Domain-0 is bad: %q", f[len(f)-1])
			}
			return f[len(f)-1]
		}
	}
	t.Fatalf("no Domain-0 row in\n%s", out)
	return ""
}

var policyNameRx = regexp.MustCompile(`(?m)^Policy name\s*:\s*(\S+)$`)

func (h *xmHost) policyName(t *testing.T) string {
	t.Helper()
	m := policyNameRx.FindStringSubmatch(h.mustRun(t, "getpolicy"))
	if m == nil {
		t.Fatal("getpolicy shows no policy name")
	}
	return m[1]
}

// --- the CIM side, for the Xen-API scenarios ---

func (h *xmHost) secService(t *testing.T) *cim.ObjectPath {
	svc, _ := benchPaths(t)
	return svc
}

// call invokes a Xen_SecurityService method and returns its code and OUT
// parameters by name.
func (h *xmHost) call(t *testing.T, method string, in ...cim.ParamValue) (uint32, map[string]any) {
	t.Helper()
	ret, out, err := h.cl.InvokeMethod(context.Background(), h.secService(t), method, in)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	var code uint32
	if _, err := fmt.Sscan(fmt.Sprint(ret), &code); err != nil {
		t.Fatalf("%s returned %v", method, ret)
	}
	m := map[string]any{}
	for _, p := range out {
		m[p.Name] = p.Value
	}
	return code, m
}

func str(n, v string) cim.ParamValue { return cim.ParamValue{Name: n, Type: cim.TypeString, Value: v} }
func ref(n string, p *cim.ObjectPath) cim.ParamValue {
	return cim.ParamValue{Name: n, Type: cim.TypeReference, Value: p}
}

// system returns the path of the Xen_ComputerSystem named name.
func (h *xmHost) system(t *testing.T, name string) *cim.ObjectPath {
	t.Helper()
	objs, err := h.cl.EnumerateInstances(context.Background(), "root/cimv2", "Xen_ComputerSystem")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if p := o.Instance.Property("ElementName"); p != nil && p.Value == name {
			return o.Path
		}
	}
	t.Fatalf("no Xen_ComputerSystem %q", name)
	return nil
}

// vmLabel is VM.get_security_label.
func (h *xmHost) vmLabel(t *testing.T, sys *cim.ObjectPath) string {
	t.Helper()
	code, out := h.call(t, "GetSecurityLabel", ref("Element", sys))
	if code != 0 {
		t.Fatalf("GetSecurityLabel = %d %v", code, out["Message"])
	}
	return fmt.Sprint(out["Label"])
}

// setVMLabel is VM.set_security_label: the code (0 or an XSERR value) and the
// ssidref it returned.
func (h *xmHost) setVMLabel(t *testing.T, sys *cim.ObjectPath, label, old string) (uint32, uint32) {
	t.Helper()
	code, out := h.call(t, "SetSecurityLabel", ref("Element", sys), str("Label", label), str("OldLabel", old))
	var ssid uint32
	if v, ok := out["SSIDRef"]; ok && v != nil {
		fmt.Sscan(fmt.Sprint(v), &ssid)
	}
	return code, ssid
}

func (h *xmHost) resLabel(t *testing.T, res string) string {
	t.Helper()
	code, out := h.call(t, "GetResourceLabel", str("Resource", res))
	if code != 0 {
		t.Fatalf("GetResourceLabel %s = %d %v", res, code, out["Message"])
	}
	return fmt.Sprint(out["Label"])
}

func (h *xmHost) setResLabel(t *testing.T, res, label, old string) uint32 {
	t.Helper()
	code, _ := h.call(t, "SetResourceLabel", str("Resource", res), str("Label", label), str("OldLabel", old))
	return code
}

// setPolicy is XSPolicy.set_xspolicy: the code and the hypervisor's error
// words, printed as a list.
func (h *xmHost) setPolicy(t *testing.T, xml string, flags uint32) (uint32, string) {
	t.Helper()
	code, out := h.call(t, "SetPolicy", str("Policy", xml),
		cim.ParamValue{Name: "Flags", Type: cim.TypeUint32, Value: flags},
		cim.ParamValue{Name: "Overwrite", Type: cim.TypeBoolean, Value: true})
	var words []string
	if v := reflect.ValueOf(out["Errors"]); v.IsValid() && v.Kind() == reflect.Slice {
		for i := range v.Len() {
			words = append(words, fmt.Sprint(v.Index(i).Interface()))
		}
	}
	return code, strings.Join(words, " ")
}

// state asks for a state change (2 start/resume/unpause, 3 destroy, 4 shutdown,
// 6 suspend, 9 pause) and returns the CIM error, if any.
func (h *xmHost) state(sys *cim.ObjectPath, s uint16) error {
	_, _, err := h.cl.InvokeMethod(context.Background(), sys, "RequestStateChange", stateParam(s))
	return err
}

// defineVM is VM.create of XmTestAPIDomain: a halted domain with a label.
func (h *xmHost) defineVM(t *testing.T, name, label string) *cim.ObjectPath {
	t.Helper()
	_, vsms := benchPaths(t)
	return define(t, h.cl, vsms, name, label, "")
}

// conflict is xend's refusal of a start by the Chinese Wall.
const conflict = "Domain in conflict set with running domain?"

const (
	labelSys   = "ACM:xm-test:SystemManagement"
	labelRed   = "ACM:xm-test:red"
	labelGreen = "ACM:xm-test:green"
	labelBlue  = "ACM:xm-test:blue"
)

func TestXmTestACM(t *testing.T) {
	// 01_security-acm_basic: makepolicy, labels, add/get/rmlabel on a config and
	// on a resource, resources.
	t.Run("01_basic", func(t *testing.T) {
		h := newXMHost(t)
		// 01 does not load xm-test itself, but in the suite the files before it
		// (every XmTestDomain start) have: addlabel then checks the label
		// against the policy in force.
		h.loadXMTest(t)
		h.mustRun(t, "makepolicy", "xm-test")
		h.mustRun(t, "labels", "xm-test")
		cfg := h.domainCfg("xm-test")
		h.c.run("rmlabel", "dom", cfg) // whatever label it might have
		h.mustRun(t, "addlabel", "blue", "dom", cfg, "xm-test")
		h.c.ok("policytype=ACM,policy=xm-test,label=blue\n", "getlabel", "dom", cfg)
		h.c.ok("", "rmlabel", "dom", cfg)
		h.c.fails("Error: 'Domain not labeled'\n", "getlabel", "dom", cfg)

		// xm-test ignores the status of the first rmlabel res (the resource may be
		// unlabeled); acm.md §6 says that fails on an unlabeled resource.
		h.c.run("rmlabel", "res", "phy:ram0")
		h.mustRun(t, "addlabel", "blue", "res", "phy:ram0", "xm-test")
		h.c.ok("ACM:xm-test:blue\n", "getlabel", "res", "phy:ram0")
		if out := h.mustRun(t, "resources"); !strings.Contains(out, "phy:/dev/ram0") {
			t.Errorf("resources does not show phy:/dev/ram0:\n%s", out)
		}
		h.c.ok("", "rmlabel", "res", "phy:ram0")
		h.c.fails("Error: 'Resource not labeled'\n", "getlabel", "res", "phy:ram0")
	})

	// 02_security-acm_dom_start: labels and dumppolicy of xm-test; green and red
	// start side by side.
	t.Run("02_dom_start", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		out := h.mustRun(t, "labels")
		for _, l := range []string{"SystemManagement", "blue", "red", "green"} {
			if !strings.Contains(out, l) {
				t.Errorf("label %s not in labels:\n%s", l, out)
			}
		}
		out = h.mustRun(t, "dumppolicy")
		for _, l := range []string{"ssidref 0:  00 00 00 00", "ssidref 1:  01 00 00 00",
			"ssidref 2:  00 01 00 00", "ssidref 3:  00 00 01 00", "ssidref 4:  00 00 00 01"} {
			if !strings.Contains(out, l) {
				t.Errorf("%q not in dumppolicy:\n%s", l, out)
			}
		}
		h.mustRun(t, "create", h.domainCfg("domain-green", accessControl("xm-test", "green")))
		h.mustRun(t, "create", h.domainCfg("domain-red", accessControl("xm-test", "red")))
		h.mustRun(t, "destroy", "domain-red")
		h.mustRun(t, "destroy", "domain-green")
	})

	// 03_security-acm_dom_conflict: red may not start while blue runs; dry-run
	// (which ignores the Chinese Wall) permits both.
	t.Run("03_dom_conflict", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		blue := h.domainCfg("domain-blue", accessControl("xm-test", "blue"))
		h.mustRun(t, "create", blue)
		if out := h.mustRun(t, "dry-run", blue); !strings.Contains(out, "PERMITTED") {
			t.Errorf("dry-run blue:\n%s", out)
		}
		red := h.domainCfg("domain-red", accessControl("xm-test", "red"))
		h.mustFail(t, conflict, "create", red)
		if out := h.mustRun(t, "dry-run", red); !strings.Contains(out, "PERMITTED") {
			t.Errorf("dry-run red:\n%s", out)
		}
		h.mustRun(t, "destroy", "domain-blue")
	})

	// 04_security-acm_dom_res: green and red domains each with a disk of their
	// own label start.
	t.Run("04_dom_res", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		green := h.domainCfg("domain-green", accessControl("xm-test", "green"), "disk = ['phy:ram0,hda1,w']")
		h.c.run("rmlabel", "res", "phy:ram0") // ACMLabelResource
		h.mustRun(t, "addlabel", "green", "res", "phy:ram0")
		h.mustRun(t, "create", green)
		if out := h.mustRun(t, "dry-run", green); !strings.Contains(out, "phy:ram0: PERMITTED") {
			t.Errorf("dry-run green:\n%s", out)
		}
		red := h.domainCfg("domain-red", accessControl("xm-test", "red"), "disk = ['phy:/dev/ram1,hda1,w']")
		h.c.run("rmlabel", "res", "phy:/dev/ram1")
		h.mustRun(t, "addlabel", "red", "res", "phy:/dev/ram1")
		h.mustRun(t, "create", red)
		if out := h.mustRun(t, "dry-run", red); !strings.Contains(out, "phy:/dev/ram1: PERMITTED") {
			t.Errorf("dry-run red:\n%s", out)
		}
		h.mustRun(t, "destroy", "domain-red")
		h.mustRun(t, "destroy", "domain-green")
	})

	// 05_security-acm_dom_res_conf: a blue domain may not use a red disk.
	t.Run("05_dom_res_conf", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		blue := h.domainCfg("domain-blue", accessControl("xm-test", "blue"), "disk = ['phy:ram0,hda1,w']")
		h.c.run("rmlabel", "res", "phy:ram0")
		h.mustRun(t, "addlabel", "red", "res", "phy:ram0")
		h.mustFail(t, "VM's access to block device 'phy:ram0' denied", "create", blue)
		// xm-test pipes dry-run through grep and checks only the text.
		out, _, _ := h.c.run("dry-run", blue)
		if !strings.Contains(out, "phy:ram0: DENIED") {
			t.Errorf("dry-run blue:\n%s", out)
		}
	})

	// 06_security-acm_dom_block_attach: a blue disk attaches to a running blue
	// domain, a red one does not; the guest's /proc/partitions becomes the
	// domain's disk settings.
	t.Run("06_dom_block_attach", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		h.mustRun(t, "create", h.domainCfg("domain-blue", accessControl("xm-test", "blue")))
		h.c.run("rmlabel", "res", "phy:ram1")
		h.mustRun(t, "addlabel", "blue", "res", "phy:ram1")
		h.mustRun(t, "block-attach", "domain-blue", "phy:ram1", "xvda1", "w")
		run1 := h.disks(t, "domain-blue")
		h.c.run("rmlabel", "res", "phy:/dev/ram0")
		h.mustRun(t, "addlabel", "red", "res", "phy:/dev/ram0")
		h.c.run("block-attach", "domain-blue", "phy:/dev/ram0", "xvda2", "w") // may legally fail
		run2 := h.disks(t, "domain-blue")
		h.mustRun(t, "shutdown", "domain-blue")
		if !strings.Contains(run1, "xvda1") {
			t.Errorf("labeled device xvda1 is not connected: %q", run1)
		}
		if !strings.Contains(run2, "xvda1") {
			t.Errorf("labeled device xvda1 has disappeared: %q", run2)
		}
		if strings.Contains(run2, "xvda2") {
			t.Errorf("device xvda2 is connected but should not be: %q", run2)
		}
	})

	// 07_security-acm_pol_update: Xen-API relabels of Domain-0 and of a guest
	// across updates of xm-test, over Xen_SecurityService.
	t.Run("07_pol_update", func(t *testing.T) {
		h := newXMHost(t)
		// In the suite, earlier files left xm-test loaded; get_xspolicy then has a
		// type, and 07 does not load it itself.
		h.loadXMTest(t)
		dom0 := h.system(t, "Domain-0")
		old := h.vmLabel(t, dom0)
		if code, ssid := h.setVMLabel(t, dom0, labelSys, old); code != 0 || ssid != 0x00010001 {
			t.Fatalf("(0) Domain-0 label %s: code %d ssidref %#x", labelSys, code, ssid)
		}
		code, out := h.call(t, "GetPolicy")
		polRef, ok := out["PolicyRef"].(*cim.ObjectPath)
		if code != 0 || !ok {
			t.Fatalf("GetPolicy = %d %v", code, out)
		}
		// activate_xspolicy(LOAD|BOOT) returns the flags; xm-test then checks
		// /boot/xm-test.bin, which here is the policy's boot flag.
		code, out = h.call(t, "ActivatePolicy", ref("Policy", polRef), cim.ParamValue{Name: "Flags", Type: cim.TypeUint32, Value: uint32(3)})
		if code != 0 || fmt.Sprint(out["ActiveFlags"]) != "3" {
			t.Fatalf("ActivatePolicy = %d %v", code, out)
		}
		if code, out = h.call(t, "GetPolicy"); code != 0 || fmt.Sprint(out["Flags"]) != "3" {
			t.Errorf("flags after activation: %v", out)
		}

		// update_frompolicy: xm-test-new as 1.1 from xm-test 1.0, then xm-test
		// again as 1.2 from 1.1.
		newXML := h.policyFile(t, "xm-test-new")
		if code, errs := h.setPolicy(t, newXML, 3); code != 0 {
			t.Errorf("update to xm-test-new: %d (errors %s)", code, errs)
		}
		back := fromPolicy(h.policyFile(t, "xm-test"), "1.2", "xm-test", "1.1")
		if code, errs := h.setPolicy(t, back, 3); code != 0 {
			t.Errorf("update back to xm-test: %d (errors %s)", code, errs)
		}

		dom0Lab := h.vmLabel(t, dom0)
		if code, ssid := h.setVMLabel(t, dom0, labelSys, dom0Lab); code != 0 || ssid != 0x00010001 {
			t.Errorf("(1) Domain-0 label %s: code %d ssidref %#x", labelSys, code, ssid)
		}
		// The label xm-test tries is literally "%s:xm-test:black".
		if code, _ := h.setVMLabel(t, dom0, "%s:xm-test:black", labelSys); code != 4116 {
			t.Errorf("could set a label that is not in the policy")
		}
		if code, ssid := h.setVMLabel(t, dom0, labelRed, labelSys); code != 0 || ssid == 0 {
			t.Errorf("(2) Domain-0 label %s: code %d ssidref %#x", labelRed, code, ssid)
		}
		if l := h.vmLabel(t, dom0); l != labelRed {
			t.Errorf("Domain-0 label %q, want %q", l, labelRed)
		}
		if code, ssid := h.setVMLabel(t, dom0, labelSys, labelRed); code != 0 || ssid != 0x00010001 {
			t.Errorf("(3) Domain-0 label %s: code %d ssidref %#x", labelSys, code, ssid)
		}
		if l := h.vmLabel(t, dom0); l != labelSys {
			t.Errorf("Domain-0 label %q, want %q", l, labelSys)
		}

		// get_header of the policy (xs_ref stays the same across updates).
		pol, err := h.cl.GetInstance(context.Background(), polRef)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"PolicyName": "xm-test", "Date": "Fri Sep 29 14:44:38 2006"} {
			if p := pol.Property(name); p == nil || fmt.Sprint(p.Value) != want {
				t.Errorf("header %s = %v, want %q", name, p, want)
			}
		}
		if p := pol.Property("PolicyURL"); p != nil && p.Value != nil && p.Value != "" {
			t.Errorf("header PolicyURL = %v, want none", p.Value)
		}

		vm := h.defineVM(t, "xm-test-07", labelBlue)
		if l := h.vmLabel(t, vm); l != labelBlue {
			t.Errorf("VM label %q, want %q", l, labelBlue)
		}
		if err := h.state(vm, 2); err != nil {
			t.Fatalf("could not start the VM: %v", err)
		}
		if code, ssid := h.setVMLabel(t, vm, labelRed, labelBlue); code != 0 || ssid == 0 {
			t.Errorf("could not relabel the running domain red: %d %#x", code, ssid)
		}
		if code, ssid := h.setVMLabel(t, dom0, labelRed, labelSys); code != 0 || ssid == 0 {
			t.Errorf("could not label Domain-0 red: %d %#x", code, ssid)
		}
		// The hypervisor's relabel re-check refuses it (HV_OP_FAILED).
		if code, _ := h.setVMLabel(t, vm, labelBlue, labelRed); code != 4120 {
			t.Errorf("could label the guest blue beside a red Domain-0")
		}
		if l := h.vmLabel(t, vm); l != labelRed {
			t.Errorf("guest label %q, want %q", l, labelRed)
		}
		if l := h.vmLabel(t, dom0); l != labelRed {
			t.Errorf("Domain-0 label %q, want %q", l, labelRed)
		}
		if code, _ := h.setVMLabel(t, dom0, labelSys, labelRed); code != 0 {
			t.Errorf("could not set Domain-0 back to %s: %d", labelSys, code)
		}
		if err := h.state(vm, 9); err != nil {
			t.Fatalf("pause: %v", err)
		}
		if code, ssid := h.setVMLabel(t, vm, labelBlue, labelRed); code != 0 || ssid == 0 {
			t.Errorf("could not label the paused guest blue: %d %#x", code, ssid)
		}
		if l := h.vmLabel(t, vm); l != labelBlue {
			t.Errorf("guest label %q, want %q", l, labelBlue)
		}
		if err := h.state(vm, 2); err != nil {
			t.Fatalf("unpause: %v", err)
		}
		if err := h.state(vm, 6); err != nil {
			t.Fatalf("suspend: %v", err)
		}
		if code, _ := h.setVMLabel(t, vm, labelGreen, labelBlue); code != 0 {
			t.Errorf("could not label the suspended guest green: %d", code)
		}
		if l := h.vmLabel(t, vm); l != labelGreen {
			t.Errorf("guest label %q, want %q", l, labelGreen)
		}
		if err := h.state(vm, 2); err != nil {
			t.Errorf("resume: %v", err)
		}
		if l := h.vmLabel(t, vm); l != labelGreen {
			t.Errorf("guest label after resume %q, want %q", l, labelGreen)
		}
	})

	// 08_security-acm_xapi: a labeled VM with a labeled VDI through start,
	// relabels, suspend and resume.
	t.Run("08_xapi", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		const vdi = "phy:/dev/ram0"
		// 06 left phy:/dev/ram0 labelled red; 08 removes "whatever label" it has
		// with that old label, which set_resource_label requires.
		h.mustRun(t, "addlabel", "red", "res", vdi)

		vm := h.defineVM(t, "xm-test-08", labelRed)
		if code, _ := h.call(t, "GetLabeledResources"); code != 0 {
			t.Errorf("GetLabeledResources = %d", code)
		}
		old := h.resLabel(t, vdi)
		if code := h.setResLabel(t, vdi, "", old); code != 0 {
			t.Fatalf("removing the label %q of %s: %d", old, vdi, code)
		}
		if code := h.setResLabel(t, vdi, labelGreen, ""); code != 0 {
			t.Fatalf("labelling %s green: %d", vdi, code)
		}
		if l := h.resLabel(t, vdi); l != labelGreen {
			t.Errorf("(1) resource label %q, want %q", l, labelGreen)
		}

		if l := h.vmLabel(t, vm); l != labelRed {
			t.Errorf("VM label %q, want %q", l, labelRed)
		}
		h.setVMLabel(t, vm, labelGreen, labelRed)
		if l := h.vmLabel(t, vm); l != labelGreen {
			t.Errorf("VM label %q, want %q", l, labelGreen)
		}
		if code, ssid := h.setVMLabel(t, vm, "", labelGreen); code != 0 || ssid != 0 {
			t.Errorf("unlabelling the halted VM: %d %d", code, ssid)
		}
		unl := h.vmLabel(t, vm)
		if unl != "ACM:xm-test:__UNLABELED__" {
			t.Errorf("VM label after removal %q", unl)
		}
		if code, ssid := h.setVMLabel(t, vm, labelRed, unl); code != 0 || ssid != 0 {
			t.Errorf("labelling the halted VM red: %d %d", code, ssid)
		}
		if l := h.vmLabel(t, vm); l != labelRed {
			t.Errorf("VM label %q, want %q", l, labelRed)
		}

		// VDI.create + VBD.create: the VM gets the disk as xvda1.
		h.addDisk(t, vm, vdi, "xvda1")
		if code := h.setResLabel(t, vdi, "", h.resLabel(t, vdi)); code != 0 {
			t.Errorf("removing the VDI's label: %d", code)
		}
		if err := h.state(vm, 2); err == nil {
			t.Fatal("could start the VM with a VBD it may not access")
		}

		// VDI.set_security_label works on the label of the VDI's location.
		if code := h.setResLabel(t, vdi, labelRed, ""); code != 0 {
			t.Fatalf("labelling the VDI red: %d", code)
		}
		if l := h.resLabel(t, vdi); l != labelRed {
			t.Errorf("VDI label %q", l)
		}
		if code := h.setResLabel(t, vdi, "", labelRed); code != 0 {
			t.Errorf("unlabelling the VDI: %d", code)
		}
		if code := h.setResLabel(t, vdi, labelRed, ""); code != 0 {
			t.Errorf("labelling the VDI red again: %d", code)
		}
		if l := h.resLabel(t, vdi); l != labelRed {
			t.Errorf("(2) resource label %q, want %q", l, labelRed)
		}
		if err := h.state(vm, 2); err != nil {
			t.Fatalf("start: %v", err)
		}

		// Relabelling the running VM green would cut it off its red disk.
		if code, _ := h.setVMLabel(t, vm, labelGreen, labelRed); code != 4116 {
			t.Errorf("relabelling the running VM green: %d, want 4116 (bad label)", code)
		}
		if l := h.vmLabel(t, vm); l == labelGreen {
			t.Errorf("could relabel the running VM green")
		}

		h.mustRun(t, "suspend", "xm-test-08")
		if code, _ := h.setVMLabel(t, vm, labelGreen, labelRed); code != 0 {
			t.Errorf("relabelling the suspended VM green: %d", code)
		}
		if l := h.vmLabel(t, vm); l != labelGreen {
			t.Errorf("suspended VM label %q, want %q", l, labelGreen)
		}
		h.mustRun(t, "list")
		h.mustFail(t, "VM's access to block device 'phy:/dev/ram0' denied", "resume", "xm-test-08")

		if code, _ := h.setVMLabel(t, vm, labelRed, labelGreen); code != 0 {
			t.Errorf("relabelling the VM red: %d", code)
		}
		if l := h.vmLabel(t, vm); l != labelRed {
			t.Errorf("suspended VM label %q, want %q", l, labelRed)
		}
		if code := h.setResLabel(t, vdi, labelGreen, ""); code != 0 {
			t.Errorf("labelling the VDI green while its VM is suspended: %d", code)
		}
		h.mustFail(t, "VM's access to block device 'phy:/dev/ram0' denied", "resume", "xm-test-08")
		h.mustRun(t, "list")
		if code := h.setResLabel(t, vdi, labelRed, labelGreen); code != 0 {
			t.Errorf("labelling the VDI red: %d", code)
		}
		if l := h.resLabel(t, vdi); l != labelRed {
			t.Errorf("resource label %q, want %q", l, labelRed)
		}
		h.mustRun(t, "resume", "xm-test-08")
		h.mustRun(t, "list")
		h.mustRun(t, "shutdown", "xm-test-08")
	})

	// 09_security-acm_pol_update: policy updates that would break running
	// domains are refused, harmless ones accepted.
	t.Run("09_pol_update", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		code, out := h.call(t, "GetPolicy")
		if code != 0 {
			t.Fatal(code)
		}
		major, minor := 0, 0
		fmt.Sscanf(fmt.Sprint(out["Version"]), "%d.%d", &major, &minor)
		p := genPolicy{
			version: fmt.Sprintf("%d.%d", major, minor+1), from: "xm-test", fromVersion: fmt.Sprintf("%d.%d", major, minor),
			stes: []string{"SystemManagement", "red", "green", "blue"}, conflict: []string{"red", "blue"},
			vms: []string{"SystemManagement", "red", "green", "blue"}, ress: []string{"red", "green", "blue"},
		}
		good := p
		if code, _ := h.setPolicy(t, p.xml(), 2); code != 0 {
			t.Fatalf("setting the generated policy: %d", code)
		}

		red := h.defineVM(t, "xm-test-09-red", labelRed)
		if err := h.state(red, 2); err != nil {
			t.Fatalf("could not start domain1: %v", err)
		}
		green := h.defineVM(t, "xm-test-09-green", labelGreen)
		if err := h.state(green, 2); err != nil {
			t.Fatalf("could not start domain2: %v", err)
		}

		p.bump()
		q := p
		q.conflict = []string{"red", "green"}
		// xm-test wants a refusal with one (code, data) pair from the
		// hypervisor: here 0x103 Chinese Wall conflict on type 3 (red).
		if code, errs := h.setPolicy(t, q.xml(), 2); code != 4120 || errs != "259 3" {
			t.Errorf("(1) policy putting red and green into conflict: %d, errors %q", code, errs)
		}

		q = p
		q.stes = []string{"SystemManagement", "green", "blue"}
		if code, _ := h.setPolicy(t, q.xml(), 2); code == 0 {
			t.Errorf("(2) could set a policy with STE type red missing")
		}
		q = p
		q.vms = []string{"SystemManagement", "green", "blue"}
		// 0x104: ssid 4 (red) is in use.
		if code, errs := h.setPolicy(t, q.xml(), 2); code != 4120 || errs != "260 4" {
			t.Errorf("(3) policy without the VM label red in use: %d, errors %q", code, errs)
		}
		q = p
		q.vms = []string{"SystemManagement", "red", "green"}
		if code, _ := h.setPolicy(t, q.xml(), 2); code != 0 {
			t.Errorf("(4) could not set a policy without the unused VM label blue: %d", code)
		}

		// Rename green to blue: the running green domain would join red's
		// conflict set.
		p.bump()
		q = p
		q.vms = []string{"SystemManagement", "red", "blue"}
		q.vmFrom = map[string]string{"blue": "green"}
		if code, errs := h.setPolicy(t, q.xml(), 2); code != 4120 || errs != "259 3" {
			t.Errorf("(5) renaming green to blue beside a running red: %d, errors %q", code, errs)
		}
		q = p
		q.vms = []string{"SystemManagement", "red", "green", "blue:x"}
		q.vmTypes = map[string]string{"blue:x": "blue"}
		if code, _ := h.setPolicy(t, q.xml(), 2); code == 0 {
			t.Errorf("(6) could set a policy with the VM label blue:x")
		}

		// Back to the first policy, as an update of the one in force (4).
		good.version, good.fromVersion = p.version, p.fromVersion
		if code, _ := h.setPolicy(t, good.xml(), 2); code != 0 {
			t.Errorf("(END) could not set the initial policy again: %d", code)
		}
		for _, d := range []*cim.ObjectPath{red, green} {
			if err := h.state(d, 4); err != nil {
				t.Error(err)
			}
		}
	})

	// 10_security-acm_pol_update: xm resetpolicy/setpolicy with domains and
	// labeled resources, Domain-0 relabels (the later version of the file: a
	// running unlabeled domain does not block a reset, as acm.md §3.4 says).
	t.Run("10_pol_update", func(t *testing.T) {
		h := newXMHost(t)
		h.loadXMTest(t)
		h.mustRun(t, "resetpolicy")
		out := h.mustRun(t, "resources")
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "phy:") || strings.HasPrefix(line, "file:") || strings.HasPrefix(line, "vlan:") {
				h.c.run("rmlabel", "res", line)
			}
		}
		// XmTestDomain.start loads xm-test (ACMPrepareSystem) when it is not
		// enforced: after the reset, that is now.
		h.loadXMTest(t)
		ul := h.domainCfg("domain-unlabeled")
		h.mustFail(t, "Label '__UNLABELED__' not found.", "create", ul)
		h.c.run("delete", "domain-unlabeled")

		blue := h.domainCfg("domain-blue", accessControl("xm-test", "blue"))
		green := h.domainCfg("domain-green", accessControl("xm-test", "green"))
		h.mustRun(t, "create", blue)
		if l := h.dom0Label(t); l != labelSys {
			t.Errorf("Domain-0 label %q, want %q", l, labelSys)
		}
		h.mustRun(t, "addlabel", "blue", "mgt", "Domain-0")
		if l := h.dom0Label(t); l != labelBlue {
			t.Errorf("Domain-0 label %q, want %q", l, labelBlue)
		}
		h.mustFail(t, "Could not label the domain: Operation failed in hypervisor", "addlabel", "red", "mgt", "Domain-0")
		if l := h.dom0Label(t); l != labelBlue {
			t.Errorf("Domain-0 label %q, want %q", l, labelBlue)
		}
		h.mustRun(t, "addlabel", "SystemManagement", "mgt", "Domain-0")
		if l := h.dom0Label(t); l != labelSys {
			t.Errorf("Domain-0 label %q, want %q", l, labelSys)
		}

		for _, c := range []string{"green", "red", "blue"} {
			h.mustRun(t, "addlabel", c, "res", "file:/tmp/"+c)
		}
		h.mustRun(t, "create", green)

		h.mustFail(t, "An error occurred trying to set the policy: Operation failed in hypervisor. Hypervisor reported errors:A domain used SSIDREF 2", "setpolicy", "ACM", "xm-test-update")
		if n := h.policyName(t); n != "xm-test" {
			t.Errorf("policy %q, want xm-test", n)
		}
		for _, c := range []string{"green", "red", "blue"} {
			h.c.ok("ACM:xm-test:"+c+"\n", "getlabel", "res", "file:/tmp/"+c)
		}

		h.mustRun(t, "destroy", "domain-blue")
		h.mustRun(t, "setpolicy", "ACM", "xm-test-update")
		if n := h.policyName(t); n != "xm-test-update" {
			t.Errorf("policy %q, want xm-test-update", n)
		}
		h.c.ok("ACM:xm-test-update:GREEN\n", "getlabel", "res", "file:/tmp/green")
		h.c.ok("ACM:xm-test-update:RED\n", "getlabel", "res", "file:/tmp/red")
		h.c.ok("INV_ACM:xm-test:blue\n", "getlabel", "res", "file:/tmp/blue")

		red := h.domainCfg("domain-red", accessControl("xm-test-update", "red"))
		h.mustFail(t, conflict, "create", red)
		h.c.run("delete", "domain-red") // delete if xend-managed
		h.mustRun(t, "destroy", "domain-green")
		h.mustRun(t, "create", red)
		h.mustRun(t, "destroy", "domain-red")

		h.mustRun(t, "addlabel", "GREEN", "mgt", "Domain-0")
		if l := h.dom0Label(t); l != "ACM:xm-test-update:GREEN" {
			t.Errorf("Domain-0 label %q", l)
		}
		h.mustFail(t, "VM is not authorized to run.", "create", red)
		h.mustRun(t, "addlabel", "SystemManagement", "mgt", "Domain-0")
		h.mustRun(t, "create", ul)
		h.c.run("destroy", "domain-red")
		h.mustRun(t, "destroy", "domain-unlabeled")

		h.mustRun(t, "addlabel", "red", "mgt", "Domain-0")
		if l := h.dom0Label(t); l != "ACM:xm-test-update:red" {
			t.Errorf("Domain-0 label %q", l)
		}
		h.mustRun(t, "resetpolicy")
		h.c.ok("INV_ACM:xm-test-update:GREEN\n", "getlabel", "res", "file:/tmp/green")
		h.c.ok("INV_ACM:xm-test-update:RED\n", "getlabel", "res", "file:/tmp/red")
		h.c.ok("INV_ACM:xm-test:blue\n", "getlabel", "res", "file:/tmp/blue")
	})
}

// policyFile reads a policy of the scenario's policy folder.
func (h *xmHost) policyFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.polDir, name+"-security_policy.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var headerRx = regexp.MustCompile(`(?s)<Version>[^<]*</Version>\s*(<FromPolicy>.*?</FromPolicy>)?`)

// fromPolicy sets a policy's Version and FromPolicy, as xm-test's
// update_frompolicy does.
func fromPolicy(xml, version, fromName, fromVersion string) string {
	return headerRx.ReplaceAllLiteralString(xml, "<Version>"+version+"</Version><FromPolicy><PolicyName>"+
		fromName+"</PolicyName><Version>"+fromVersion+"</Version></FromPolicy>")
}

// disks lists the virtual devices of a domain's disks (what the guest would
// see in /proc/partitions).
func (h *xmHost) disks(t *testing.T, name string) string {
	t.Helper()
	sys := h.system(t, name)
	uuid, _ := sys.Key("Name")
	objs, err := h.cl.EnumerateInstances(context.Background(), "root/cimv2", "Xen_DiskSettingData")
	if err != nil {
		t.Fatal(err)
	}
	var devs []string
	for _, o := range objs {
		id := o.Instance.Property("InstanceID")
		if id != nil && strings.HasPrefix(strings.ToLower(fmt.Sprint(id.Value)), strings.ToLower("Xen:"+fmt.Sprint(uuid)+"/")) {
			devs = append(devs, fmt.Sprint(o.Instance.Property("VirtualDevice").Value))
		}
	}
	return strings.Join(devs, " ")
}

// addDisk is VDI.create + VBD.create: AddResourceSettings of a disk on the
// domain's settings.
func (h *xmHost) addDisk(t *testing.T, sys *cim.ObjectPath, address, vdev string) {
	t.Helper()
	uuid, _ := sys.Key("Name")
	_, vsms := benchPaths(t)
	vssd := &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_VirtualSystemSettingData",
		Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:" + fmt.Sprint(uuid)}}}
	disk := &cim.Instance{ClassName: "Xen_DiskSettingData", Properties: []cim.Property{
		strProp("Address", address), strProp("VirtualDevice", vdev), strProp("Mode", "w")}}
	invokeOK(t, h.cl, vsms, "AddResourceSettings", []cim.ParamValue{
		ref("AffectedConfiguration", vssd),
		{Name: "ResourceSettings", Type: cim.TypeString, IsArray: true, Value: []any{disk}, EmbeddedObject: "instance"},
	})
}

// genPolicy is 09's policy generator: every VM label has the STE and Chinese
// Wall type of its name (SystemManagement: all STE types), every resource label
// the STE type of its name; one conflict set CFS1.
type genPolicy struct {
	version, from, fromVersion string
	stes, conflict, vms, ress  []string
	vmFrom                     map[string]string // new name → old name
	vmTypes                    map[string]string // label → its type, when not its name
}

// bump is update_hdr: the next version, from the current one.
func (p *genPolicy) bump() {
	p.fromVersion = p.version
	var major, minor int
	fmt.Sscanf(p.version, "%d.%d", &major, &minor)
	p.version = fmt.Sprintf("%d.%d", major, minor+1)
}

func (p genPolicy) xml() string {
	types := func(ts []string) string {
		var b strings.Builder
		for _, x := range ts {
			b.WriteString("<Type>" + x + "</Type>")
		}
		return b.String()
	}
	chws := []string{"SystemManagement", "red", "green", "blue"}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<SecurityPolicyDefinition xmlns="http://www.ibm.com">` + "\n")
	b.WriteString("<PolicyHeader><PolicyName>xm-test</PolicyName><Version>" + p.version + "</Version>")
	b.WriteString("<FromPolicy><PolicyName>" + p.from + "</PolicyName><Version>" + p.fromVersion + "</Version></FromPolicy></PolicyHeader>\n")
	b.WriteString("<SimpleTypeEnforcement><SimpleTypeEnforcementTypes>" + types(p.stes) + "</SimpleTypeEnforcementTypes></SimpleTypeEnforcement>\n")
	b.WriteString("<ChineseWall><ChineseWallTypes>" + types(chws) + "</ChineseWallTypes>")
	b.WriteString(`<ConflictSets><Conflict name="CFS1">` + types(p.conflict) + "</Conflict></ConflictSets></ChineseWall>\n")
	b.WriteString(`<SecurityLabelTemplate><SubjectLabels bootstrap="SystemManagement">` + "\n")
	for _, v := range p.vms {
		typ := v
		if x, ok := p.vmTypes[v]; ok {
			typ = x
		}
		ste, chw := []string{typ}, []string{typ}
		if v == "SystemManagement" {
			ste = []string{"SystemManagement", "red", "green", "blue"}
		}
		name := "<Name>" + v + "</Name>"
		if old, ok := p.vmFrom[v]; ok {
			name = `<Name from="` + old + `">` + v + "</Name>"
		}
		b.WriteString("<VirtualMachineLabel>" + name + "<SimpleTypeEnforcementTypes>" + types(ste) +
			"</SimpleTypeEnforcementTypes><ChineseWallTypes>" + types(chw) + "</ChineseWallTypes></VirtualMachineLabel>\n")
	}
	b.WriteString("</SubjectLabels><ObjectLabels>\n")
	for _, r := range p.ress {
		b.WriteString("<ResourceLabel><Name>" + r + "</Name><SimpleTypeEnforcementTypes><Type>" + r + "</Type></SimpleTypeEnforcementTypes></ResourceLabel>\n")
	}
	b.WriteString("</ObjectLabels></SecurityLabelTemplate></SecurityPolicyDefinition>\n")
	return b.String()
}
