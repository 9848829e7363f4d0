package tests

import (
	"html"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// End-to-end tests of the access control (cim-model.md §2) and virtual-system (§1)
// classes with the real wbemcli. wbemcli cannot send what needs markup in a value:
// it writes a string parameter into <VALUE> without escaping it, so a policy's XML
// makes the request malformed (TestSecWbemcliPolicyAndDomains shows it), and it has
// no syntax for embedded instances. Those two, SetPolicy and DefineSystem, go as raw
// CIM-XML; everything else goes through wbemcli and is checked on its printed output.

// secServer starts shyped with a fresh data directory.
func secServer(t *testing.T) *server {
	t.Helper()
	return startServer(t)
}

// hostName is the Name of the Xen_HostSystem and the SystemName of the services.
func hostName(t testing.TB) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// secPaths are the paths of one server's singletons, as wbemcli takes them (U…) and
// prints them (P…).
type secPaths struct {
	U, P       string // http://addr/root/cimv2 and addr/root/cimv2
	host       string // Xen_HostSystem key part, as printed
	svc, vsms  string // the two services' key parts, as printed
	svcKeys    [][2]string
	vsmsKeys   [][2]string
	interopURL string
}

func newSecPaths(t *testing.T, addr string) secPaths {
	h := hostName(t)
	p := secPaths{
		U:          "http://" + addr + "/root/cimv2",
		P:          addr + "/root/cimv2",
		host:       `Xen_HostSystem.CreationClassName="Xen_HostSystem",Name="` + h + `"`,
		interopURL: "http://" + addr + "/interop",
		svcKeys: [][2]string{{"CreationClassName", "Xen_SecurityService"}, {"Name", "Xen Security Service"},
			{"SystemCreationClassName", "Xen_HostSystem"}, {"SystemName", h}},
		vsmsKeys: [][2]string{{"SystemCreationClassName", "Xen_HostSystem"}, {"SystemName", h},
			{"CreationClassName", "Xen_VirtualSystemManagementService"}, {"Name", "Xen Virtual System Management Service"}},
	}
	p.svc = "Xen_SecurityService." + keyText(p.svcKeys)
	p.vsms = "Xen_VirtualSystemManagementService." + keyText(p.vsmsKeys)
	return p
}

// keyText writes keys as wbemcli prints and reads them: k="v",k="v".
func keyText(keys [][2]string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k[0] + `="` + k[1] + `"`
	}
	return strings.Join(parts, ",")
}

// domPath is a domain's Xen_ComputerSystem path without namespace.
func domPath(uuid string) string {
	return `Xen_ComputerSystem.Name="` + uuid + `",CreationClassName="Xen_ComputerSystem"`
}

// methodCall is the body of an extrinsic call on the instance class.keys.
func methodCall(method, class string, keys [][2]string, params string) string {
	var kb strings.Builder
	for _, k := range keys {
		kb.WriteString(`<KEYBINDING NAME="` + k[0] + `"><KEYVALUE VALUETYPE="string">` + html.EscapeString(k[1]) + `</KEYVALUE></KEYBINDING>`)
	}
	return `<?xml version="1.0" encoding="utf-8" ?>` +
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="88" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<METHODCALL NAME="` + method + `"><LOCALINSTANCEPATH>` + localNS("root/cimv2") +
		`<INSTANCENAME CLASSNAME="` + class + `">` + kb.String() + `</INSTANCENAME></LOCALINSTANCEPATH>` +
		params + `</METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

// invokeRaw runs an extrinsic method with raw CIM-XML and returns the response body;
// it fails the test on an HTTP error or an ERROR element.
func invokeRaw(t *testing.T, addr, class string, keys [][2]string, method, params string) string {
	t.Helper()
	resp, body := cimPost(t, addr, method, "root/cimv2:"+class+"."+keyText(keys), methodCall(method, class, keys, params))
	if resp.StatusCode != 200 || strings.Contains(body, "<ERROR") {
		t.Fatalf("%s.%s: HTTP %d\n%s", class, method, resp.StatusCode, body)
	}
	return body
}

var returnRx = regexp.MustCompile(`<RETURNVALUE PARAMTYPE="uint32"><VALUE>(\d+)</VALUE></RETURNVALUE>`)

// returnValue is the uint32 RETURNVALUE of a method response.
func returnValue(t *testing.T, body string) string {
	t.Helper()
	m := returnRx.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no uint32 RETURNVALUE in\n%s", body)
	}
	return m[1]
}

// outParam is the text of the scalar OUT parameter name of a method response.
func outParam(body, name string) (string, bool) {
	m := regexp.MustCompile(`<PARAMVALUE NAME="` + name + `"[^>]*><VALUE>([^<]*)</VALUE></PARAMVALUE>`).FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// setPolicyRaw loads the policy file with SetPolicy (flags 2, load) as raw CIM-XML.
func setPolicyRaw(t *testing.T, addr string, keys [][2]string, file string) string {
	t.Helper()
	xml, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return invokeRaw(t, addr, "Xen_SecurityService", keys, "SetPolicy",
		`<PARAMVALUE NAME="Policy"><VALUE>`+html.EscapeString(string(xml))+`</VALUE></PARAMVALUE>`+
			`<PARAMVALUE NAME="Flags"><VALUE>2</VALUE></PARAMVALUE>`+
			`<PARAMVALUE NAME="Overwrite"><VALUE>FALSE</VALUE></PARAMVALUE>`)
}

// embedded is an INSTANCE of class with string-typed or typed properties, as the
// text of an EmbeddedObject="instance" value (escaped once more by the caller).
func embedded(class string, props ...[3]string) string {
	var b strings.Builder
	b.WriteString(`<INSTANCE CLASSNAME="` + class + `">`)
	for _, p := range props {
		b.WriteString(`<PROPERTY NAME="` + p[0] + `" TYPE="` + p[1] + `"><VALUE>` + html.EscapeString(p[2]) + `</VALUE></PROPERTY>`)
	}
	b.WriteString(`</INSTANCE>`)
	return b.String()
}

// testDomain is a domain the tests define: a name, a fixed UUID (so that paths are
// known in advance), a label, and at most one disk; every domain gets one VIF.
type testDomain struct {
	name, uuid, label, disk string
}

// defineRaw defines d through Xen_VirtualSystemManagementService.DefineSystem with
// embedded instances as escaped INSTANCE text, and checks ResultingSystem.
func defineRaw(t *testing.T, addr string, vsms [][2]string, d testDomain) {
	t.Helper()
	vssd := embedded("Xen_VirtualSystemSettingData",
		[3]string{"ElementName", "string", d.name},
		[3]string{"VirtualSystemIdentifier", "string", d.uuid},
		[3]string{"SecurityLabel", "string", d.label},
		[3]string{"Kernel", "string", "/boot/vmlinuz-2.6.18-xen"},
		[3]string{"Memory", "uint64", "128"},
		[3]string{"VCPUs", "uint32", "1"})
	rasds := []string{embedded("Xen_NetworkPortSettingData", [3]string{"Bridge", "string", "xenbr0"})}
	if d.disk != "" {
		rasds = append([]string{embedded("Xen_DiskSettingData",
			[3]string{"Address", "string", d.disk},
			[3]string{"VirtualDevice", "string", "xvda1"},
			[3]string{"Mode", "string", "w"})}, rasds...)
	}
	var arr strings.Builder
	for _, r := range rasds {
		arr.WriteString("<VALUE>" + html.EscapeString(r) + "</VALUE>")
	}
	body := invokeRaw(t, addr, "Xen_VirtualSystemManagementService", vsms, "DefineSystem",
		`<PARAMVALUE NAME="SystemSettings" PARAMTYPE="string" EmbeddedObject="instance"><VALUE>`+html.EscapeString(vssd)+`</VALUE></PARAMVALUE>`+
			`<PARAMVALUE NAME="ResourceSettings" PARAMTYPE="string" EmbeddedObject="instance"><VALUE.ARRAY>`+arr.String()+`</VALUE.ARRAY></PARAMVALUE>`)
	if rc := returnValue(t, body); rc != "0" {
		t.Fatalf("DefineSystem %s returned %s\n%s", d.name, rc, body)
	}
	if !strings.Contains(body, `<KEYVALUE VALUETYPE="string" TYPE="string">`+d.uuid+`</KEYVALUE>`) &&
		!strings.Contains(body, `>`+d.uuid+`</KEYVALUE>`) {
		t.Errorf("DefineSystem %s: ResultingSystem does not name %s\n%s", d.name, d.uuid, body)
	}
}

// pathKeysRx matches the keys of an object path as wbemcli prints it (":Class.k="v",…").
var pathKeysRx = regexp.MustCompile(`:\w+\.((?:\w+="[^"]*",)*\w+="[^"]*")`)

// normKeys sorts the keys of every object path in s: the order of keys in a path
// carries no meaning (DSP0004), and the server writes them in different orders in
// different places, so the comparisons ignore it.
func normKeys(s string) string {
	return pathKeysRx.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.IndexByte(m, '.')
		keys := regexp.MustCompile(`\w+="[^"]*"`).FindAllString(m[i+1:], -1)
		slices.Sort(keys)
		return m[:i+1] + strings.Join(keys, ",")
	})
}

// wantOut runs wbemcli and compares its whole output with want, keys of paths in any
// order.
func wantOut(t *testing.T, want string, args ...string) {
	t.Helper()
	if got := wbemOK(t, args...); normKeys(got) != normKeys(want) {
		t.Errorf("wbemcli %s:\n got: %q\nwant: %q", strings.Join(args, " "), got, want)
	}
}

// wantLines runs wbemcli and compares its output's lines, in any order, with want.
func wantLines(t *testing.T, want []string, args ...string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(wbemOK(t, args...), "\n"), "\n")
	if len(got) == 1 && got[0] == "" {
		got = nil
	}
	if !sameLines(got, want) {
		t.Errorf("wbemcli %s:\n got: %q\nwant (any order): %q", strings.Join(args, " "), got, want)
	}
}

// wantSomeLines runs wbemcli and checks that every line of want is among its output's
// lines (keys of paths in any order).
func wantSomeLines(t *testing.T, want []string, args ...string) {
	t.Helper()
	got := map[string]bool{}
	out := wbemOK(t, args...)
	for _, l := range strings.Split(out, "\n") {
		got[normKeys(l)] = true
	}
	for _, w := range want {
		if !got[normKeys(w)] {
			t.Errorf("wbemcli %s: no line %q in\n%s", strings.Join(args, " "), w, out)
		}
	}
}

func sameLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[normKeys(s)]++
	}
	for _, s := range b {
		count[normKeys(s)]--
		if count[normKeys(s)] < 0 {
			return false
		}
	}
	return true
}

// wantFail runs wbemcli, expects exit 16 and every one of wants in its stderr.
func wantFail(t *testing.T, wants []string, args ...string) {
	t.Helper()
	out, errs, code := wbemcli(t, args...)
	ok := code == 16
	for _, w := range wants {
		ok = ok && strings.Contains(errs, w)
	}
	if !ok {
		t.Errorf("wbemcli %s: exit %d, stdout %q, stderr %q; want exit 16 and %q", strings.Join(args, " "), code, out, errs, wants)
	}
}

const dom0UUID = "00000000-0000-0000-0000-000000000000"

// TestSecWbemcliFreshHost reads a fresh server: Domain-0 under the DEFAULT policy,
// the host, the two services, the policy and its labels.
func TestSecWbemcliFreshHost(t *testing.T) {
	s := secServer(t)
	p := newSecPaths(t, s.addr)
	U, P := p.U, p.P

	wantOut(t, P+":"+domPath(dom0UUID)+"\n", "ein", U+":Xen_ComputerSystem")
	wantOut(t, P+":"+domPath(dom0UUID)+"\n"+
		`-ElementName="Domain-0"`+"\n-EnabledState=2\n-DomainID=0\n"+`-SecurityLabel="ACM:DEFAULT:SystemManagement"`+"\n\n",
		"ei", "-nl", U+":Xen_ComputerSystem", "ElementName,SecurityLabel,EnabledState,DomainID")
	out := wbemOK(t, "ei", U+":Xen_ComputerSystem")
	for _, w := range []string{`ElementName="Domain-0"`, `,EnabledState=2,`, `,DomainID=0,`, `,SecurityLabel="ACM:DEFAULT:SystemManagement",`, `,SSIDRef=65537`} {
		if !strings.Contains(out, w) || strings.Count(out, "\n") != 1 {
			t.Errorf("ei Xen_ComputerSystem: no %s in one line:\n%s", w, out)
		}
	}
	wantOut(t, P+":"+p.host+"\n", "ein", U+":Xen_HostSystem")
	wantOut(t, P+":"+p.host+` ElementName="`+hostName(t)+`",EnabledState=2`+"\n", "ei", U+":Xen_HostSystem", "ElementName,EnabledState")
	wantOut(t, P+":"+p.vsms+"\n", "ein", U+":Xen_VirtualSystemManagementService")
	wantOut(t, P+":"+p.svc+"\n", "ein", U+":Xen_SecurityService")
	// CIM_Service reaches both services (and the vTPM service, not checked here), and CIM_ComputerSystem the host and the domain.
	wantSomeLines(t, []string{P + ":" + p.vsms, P + ":" + p.svc}, "ein", U+":CIM_Service")
	wantLines(t, []string{P + ":" + p.host, P + ":" + domPath(dom0UUID)}, "ein", U+":CIM_ComputerSystem")

	out = wbemOK(t, "ei", "-nl", U+":Xen_ACMPolicy", "PolicyName,Version,Flags,BootstrapLabel")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(P) + `:Xen_ACMPolicy\.InstanceID="Xen:ACMPolicy:[0-9a-f-]{36}"\n` +
		`-PolicyName="DEFAULT"\n-Version="1\.0"\n-Flags=3\n-BootstrapLabel="SystemManagement"\n\n$`).MatchString(out) {
		t.Errorf("ei Xen_ACMPolicy:\n%s", out)
	}
	wantLines(t, []string{
		P + `:Xen_SecurityLabel.InstanceID="Xen:DEFAULT:VM:__UNLABELED__"`,
		P + `:Xen_SecurityLabel.InstanceID="Xen:DEFAULT:VM:SystemManagement"`,
		P + `:Xen_SecurityLabel.InstanceID="Xen:DEFAULT:RES:__UNLABELED__"`,
	}, "ein", U+":Xen_SecurityLabel")
	wantOut(t, P+`:Xen_SecurityLabel.InstanceID="Xen:DEFAULT:VM:SystemManagement" SecurityLevel="ACM:DEFAULT:SystemManagement",LabelType=2,PolicyName="DEFAULT",STETypes="SystemManagement","__UNLABELED__",SSIDRef=65537,IsBootstrap=TRUE`+"\n",
		"gi", U+`:Xen_SecurityLabel.InstanceID="Xen:DEFAULT:VM:SystemManagement"`, "SecurityLevel,LabelType,PolicyName,STETypes,SSIDRef,IsBootstrap")
	wantOut(t, "", "ein", U+":Xen_ConflictSet")
	wantOut(t, "", "ein", U+":Xen_LabeledResource")
}

// The domains of TestSecWbemcliPolicyAndDomains under the e2e policy (testdata/sec):
// acme and globex are in one conflict set; outsider's STE type is not Domain-0's.
var (
	acme1    = testDomain{"acme1", "a0000000-0000-4000-8000-000000000001", "ACM:e2e:acme", "phy:sdb1"}
	acme2    = testDomain{"acme2", "a0000000-0000-4000-8000-000000000002", "ACM:e2e:acme", ""}
	globex1  = testDomain{"globex1", "b0000000-0000-4000-8000-000000000001", "ACM:e2e:globex", "phy:sdb2"}
	outsider = testDomain{"outsider1", "c0000000-0000-4000-8000-000000000001", "ACM:e2e:outsider", ""}
)

// TestSecWbemcliPolicyAndDomains loads a workload policy, labels resources, defines
// and starts domains, and asks for decisions, checking each step with wbemcli.
func TestSecWbemcliPolicyAndDomains(t *testing.T) {
	s := secServer(t)
	p := newSecPaths(t, s.addr)
	U, P := p.U, p.P
	svc := U + ":" + p.svc
	cmLine := func(method, rest string) string { return P + ":" + p.svc + " " + method + ": " + rest + "\n" }

	// wbemcli cannot carry a policy: it does not escape the XML it puts in <VALUE>,
	// so the server rightly refuses the request as not well-formed.
	policy, err := os.ReadFile("testdata/sec/e2e-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	wantFail(t, []string{"Http Exception"}, "cm", svc, `SetPolicy.Policy="`+string(policy)+`",Flags=2,Overwrite=false`)
	body := setPolicyRaw(t, s.addr, p.svcKeys, "testdata/sec/e2e-security_policy.xml")
	if rc := returnValue(t, body); rc != "0" {
		t.Fatalf("SetPolicy e2e returned %s\n%s", rc, body)
	}
	if msg, ok := outParam(body, "Message"); !ok || msg != "" {
		t.Errorf("SetPolicy Message %q (present %v), want empty", msg, ok)
	}

	// The policy and its labels.
	polOut := wbemOK(t, "ei", "-nl", U+":Xen_ACMPolicy", "PolicyName,Version,Flags,STETypes,ChineseWallTypes,BootstrapLabel")
	polRx := regexp.MustCompile(`^` + regexp.QuoteMeta(P) + `:Xen_ACMPolicy\.InstanceID="(Xen:ACMPolicy:[0-9a-f-]{36})"\n` +
		`-PolicyName="e2e"\n-Version="1\.0"\n-Flags=2\n-STETypes="SystemManagement","Acme","Globex","Outsider"\n` +
		`-ChineseWallTypes="SystemManagement","Acme","Globex"\n-BootstrapLabel="SystemManagement"\n\n$`)
	m := polRx.FindStringSubmatch(polOut)
	if m == nil {
		t.Fatalf("ei Xen_ACMPolicy after SetPolicy:\n%s", polOut)
	}
	policyPath := `Xen_ACMPolicy.InstanceID="` + m[1] + `"`
	label := func(kind, name string) string {
		return `Xen_SecurityLabel.InstanceID="Xen:e2e:` + kind + `:` + name + `"`
	}
	allLabels := []string{label("VM", "SystemManagement"), label("VM", "acme"), label("VM", "globex"), label("VM", "outsider"),
		label("RES", "acme-disk"), label("RES", "globex-disk")}
	var want []string
	for _, l := range allLabels {
		want = append(want, P+":"+l)
	}
	wantLines(t, want, "ein", U+":Xen_SecurityLabel")
	wantLines(t, []string{
		P + ":" + label("VM", "SystemManagement") + ` SecurityLevel="ACM:e2e:SystemManagement",LabelType=2,IsBootstrap=TRUE`,
		P + ":" + label("VM", "acme") + ` SecurityLevel="ACM:e2e:acme",LabelType=2,IsBootstrap=FALSE`,
		P + ":" + label("VM", "globex") + ` SecurityLevel="ACM:e2e:globex",LabelType=2,IsBootstrap=FALSE`,
		P + ":" + label("VM", "outsider") + ` SecurityLevel="ACM:e2e:outsider",LabelType=2,IsBootstrap=FALSE`,
		P + ":" + label("RES", "acme-disk") + ` SecurityLevel="ACM:e2e:acme-disk",LabelType=3,IsBootstrap=FALSE`,
		P + ":" + label("RES", "globex-disk") + ` SecurityLevel="ACM:e2e:globex-disk",LabelType=3,IsBootstrap=FALSE`,
	}, "ei", U+":Xen_SecurityLabel", "SecurityLevel,LabelType,IsBootstrap")
	wantOut(t, P+`:Xen_ConflictSet.InstanceID="Xen:e2e:CS:1" InstanceID="Xen:e2e:CS:1",Caption=,Description=,ElementName="rivals",Generation=,ChangeableType=,ConfigurationName=,ComponentSetting=,SoID=,SoOrgID=,Types="Acme","Globex"`+"\n",
		"ei", U+":Xen_ConflictSet")
	wantOut(t, P+":"+label("VM", "acme")+` InstanceID="Xen:e2e:VM:acme",Caption=,Description=,ElementName="acme",Generation=,SecurityLevel="ACM:e2e:acme",LabelType=2,PolicyName="e2e",STETypes="Acme",ChineseWallTypes="Acme",SSIDRef=131074,IsBootstrap=FALSE`+"\n",
		"gi", U+":"+label("VM", "acme"))
	wantOut(t, P+":"+label("RES", "globex-disk")+` LabelType=3,STETypes="Globex",ChineseWallTypes=,SSIDRef=393216`+"\n",
		"gi", U+":"+label("RES", "globex-disk"), "LabelType,STETypes,ChineseWallTypes,SSIDRef")
	wantOut(t, P+":"+domPath(dom0UUID)+` SecurityLabel="ACM:e2e:SystemManagement"`+"\n", "ei", U+":Xen_ComputerSystem", "SecurityLabel")

	// Resource labels, before the domains that use the resources exist.
	wantOut(t, cmLine("SetResourceLabel", "0, Message (string): "), "cm", svc, `SetResourceLabel.Resource="phy:sdb1",Label="ACM:e2e:acme-disk",OldLabel=""`)
	wantOut(t, cmLine("SetResourceLabel", "0, Message (string): "), "cm", svc, `SetResourceLabel.Resource="phy:sdb2",Label="ACM:e2e:globex-disk"`)
	wantOut(t, cmLine("SetResourceLabel", "4116, Message (string): The label is bad"), "cm", svc, `SetResourceLabel.Resource="phy:sdb3",Label="ACM:e2e:nosuch"`)
	wantOut(t, cmLine("GetResourceLabel", "0, Label (string): ACM:e2e:acme-disk, Message (string): "), "cm", svc, `GetResourceLabel.Resource="phy:/dev/sdb1"`)
	wantOut(t, cmLine("GetResourceLabel", "0, Label (string): , Message (string): "), "cm", svc, `GetResourceLabel.Resource="phy:sdb9"`)
	wantOut(t, cmLine("GetLabeledResources", "0, Resources (string): phy:/dev/sdb1,phy:/dev/sdb2, Labels (string): ACM:e2e:acme-disk,ACM:e2e:globex-disk, Message (string): "),
		"cm", svc, "GetLabeledResources")

	// Domains, defined with raw CIM-XML (embedded instances), halted at first.
	for _, d := range []testDomain{acme1, acme2, globex1, outsider} {
		defineRaw(t, s.addr, p.vsmsKeys, d)
	}
	want = []string{P + ":" + domPath(dom0UUID)}
	for _, d := range []testDomain{acme1, acme2, globex1, outsider} {
		want = append(want, P+":"+domPath(d.uuid))
	}
	wantLines(t, want, "ein", U+":Xen_ComputerSystem")
	wantOut(t, P+":"+domPath(acme1.uuid)+` ElementName="acme1",EnabledState=3,DomainID=,SecurityLabel="ACM:e2e:acme",SSIDRef=0`+"\n",
		"gi", U+":"+domPath(acme1.uuid), "ElementName,EnabledState,DomainID,SecurityLabel,SSIDRef")

	// Decisions before anything runs.
	for _, tc := range []struct{ label, want string }{
		{"ACM:e2e:acme", "0, Message (string): "},
		{"ACM:e2e:globex", "0, Message (string): "},
		{"ACM:e2e:outsider", "4122, Message (string): VM is not authorized to run"},
		{"ACM:e2e:nosuch", "4116, Message (string): The label is bad"},
	} {
		wantOut(t, cmLine("CanRun", tc.want), "cm", svc, `CanRun.Label="`+tc.label+`"`)
	}

	// Start acme1; then the Chinese Wall keeps globex out.
	start := func(d testDomain) []string {
		return []string{"cm", U + ":" + domPath(d.uuid), "RequestStateChange.RequestedState=2"}
	}
	wantOut(t, P+":"+domPath(acme1.uuid)+" RequestStateChange: 0\n", start(acme1)...)
	out := wbemOK(t, "gi", U+":"+domPath(acme1.uuid), "EnabledState,DomainID,SSIDRef")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(P+":"+domPath(acme1.uuid)) + ` EnabledState=2,DomainID=[1-9]\d*,SSIDRef=131074\n$`).MatchString(out) {
		t.Errorf("acme1 after its start:\n%s", out)
	}
	wantOut(t, cmLine("CanRun", "4123, Message (string): VM label conflicts with another VM"), "cm", svc, `CanRun.Label="ACM:e2e:globex"`)
	wantOut(t, cmLine("CanRun", "0, Message (string): "), "cm", svc, `CanRun.Label="ACM:e2e:acme"`)
	wantFail(t, []string{"CIM_ERR_FAILED", "Domain in conflict set with running domain?"}, start(globex1)...)
	wantFail(t, []string{"CIM_ERR_FAILED", "VM is not authorized to run."}, start(outsider)...)
	// A refused start changes nothing.
	wantOut(t, P+":"+domPath(globex1.uuid)+" EnabledState=3\n", "gi", U+":"+domPath(globex1.uuid), "EnabledState")
	wantOut(t, P+":"+domPath(outsider.uuid)+" EnabledState=3\n", "gi", U+":"+domPath(outsider.uuid), "EnabledState")
	// A resource in use by a running domain cannot be relabeled.
	wantOut(t, cmLine("SetResourceLabel", "4113, Message (string): The resource is in use"), "cm", svc,
		`SetResourceLabel.Resource="phy:sdb1",Label="ACM:e2e:globex-disk",OldLabel="ACM:e2e:acme-disk"`)

	for _, tc := range []struct{ args, want string }{
		{`Label1="ACM:e2e:acme",Label2="ACM:e2e:acme-disk",Hook=1`, "TRUE"},
		{`Label1="ACM:e2e:acme",Label2="ACM:e2e:globex",Hook=1`, "FALSE"},
		{`Label1="ACM:e2e:SystemManagement",Label2="ACM:e2e:globex",Hook=2`, "TRUE"},
		{`Label1="ACM:e2e:SystemManagement",Label2="ACM:e2e:outsider",Hook=2`, "FALSE"},
	} {
		wantOut(t, cmLine("GetDecision", "0, Permitted (boolean): "+tc.want+", Message (string): "), "cm", svc, "GetDecision."+tc.args)
	}
	out = wbemOK(t, "cm", svc, "GetPolicy")
	if want := cmLine("GetPolicy", "0, PolicyRef (reference): "+P+policyPath+", Flags (uint32): 2, Version (string): 1.0, Message (string): "); normKeys(out) != normKeys(want) {
		t.Errorf("cm GetPolicy:\n got: %q\nwant: %q", out, want)
	}

	// Who carries which label: domain → label, label → domains, policy → labels,
	// host → domains.
	wantOut(t, P+":"+label("VM", "acme")+"\n", "ain", "-ac", "Xen_ElementSecurityLabel", U+":"+domPath(acme1.uuid))
	wantOut(t, P+":"+label("VM", "SystemManagement")+"\n", "ain", "-ac", "Xen_ElementSecurityLabel", U+":"+domPath(dom0UUID))
	wantOut(t, P+":"+label("VM", "acme")+` SecurityLevel="ACM:e2e:acme",SSIDRef=131074`+"\n",
		"ai", "-ac", "Xen_ElementSecurityLabel", U+":"+domPath(acme1.uuid), "SecurityLevel,SSIDRef")
	wantLines(t, []string{P + ":" + domPath(acme1.uuid) + ` ElementName="acme1",EnabledState=2`, P + ":" + domPath(acme2.uuid) + ` ElementName="acme2",EnabledState=3`},
		"ai", "-ac", "Xen_ElementSecurityLabel", U+":"+label("VM", "acme"), "ElementName,EnabledState")
	wantLines(t, []string{P + ":" + domPath(acme1.uuid), P + ":" + domPath(acme2.uuid)},
		"ain", "-ac", "Xen_ElementSecurityLabel", "-arc", "Xen_ComputerSystem", U+":"+label("VM", "acme"))
	wantLines(t, []string{P + `:Xen_LabeledResource.ResourceName="phy:/dev/sdb1"`},
		"ain", "-ac", "Xen_ElementSecurityLabel", U+":"+label("RES", "acme-disk"))
	want = nil
	for _, l := range allLabels {
		want = append(want, P+":"+l)
	}
	wantLines(t, want, "ain", "-ac", "Xen_PolicyLabel", U+":"+policyPath)
	wantLines(t, []string{P + ":" + policyPath}, "ain", "-ac", "Xen_PolicyLabel", U+":"+label("VM", "globex"))
	wantLines(t, []string{P + `:Xen_ConflictSet.InstanceID="Xen:e2e:CS:1"`}, "ain", "-ac", "Xen_PolicyConflictSet", U+":"+policyPath)
	want = []string{P + ":" + domPath(dom0UUID)}
	for _, d := range []testDomain{acme1, acme2, globex1, outsider} {
		want = append(want, P+":"+domPath(d.uuid))
	}
	wantLines(t, want, "ain", "-ac", "Xen_HostedComputerSystem", U+":"+p.host)
	wantLines(t, []string{P + ":" + p.host}, "ain", "-ac", "Xen_HostedComputerSystem", U+":"+domPath(globex1.uuid))

	// Relabel the halted acme2 to globex: it may not start beside acme1 any more.
	ref := `Xen_ComputerSystem.CreationClassName="Xen_ComputerSystem",Name="` + acme2.uuid + `"`
	wantOut(t, cmLine("SetSecurityLabel", "0, SSIDRef (uint32): 0, Message (string): "), "cm", svc,
		"SetSecurityLabel.Element="+ref+`,Label="ACM:e2e:globex",OldLabel="ACM:e2e:acme"`)
	wantOut(t, cmLine("GetSecurityLabel", "0, Label (string): ACM:e2e:globex, Message (string): "), "cm", svc, "GetSecurityLabel.Element="+ref)
	wantOut(t, P+":"+domPath(acme2.uuid)+` SecurityLabel="ACM:e2e:globex"`+"\n", "gi", U+":"+domPath(acme2.uuid), "SecurityLabel")
	wantFail(t, []string{"CIM_ERR_FAILED", "Domain in conflict set with running domain?"}, start(acme2)...)
	// A wrong OldLabel is refused with BAD_LABEL and changes nothing.
	if out := wbemOK(t, "cm", svc, "SetSecurityLabel.Element="+ref+`,Label="ACM:e2e:acme",OldLabel="ACM:e2e:outsider"`); !strings.Contains(out, " SetSecurityLabel: 4116, ") {
		t.Errorf("SetSecurityLabel with a wrong OldLabel:\n%s", out)
	}
	wantOut(t, P+":"+domPath(acme2.uuid)+` SecurityLabel="ACM:e2e:globex"`+"\n", "gi", U+":"+domPath(acme2.uuid), "SecurityLabel")

	// DumpPolicy prints what xm dumppolicy prints.
	out = wbemOK(t, "cm", svc, "DumpPolicy")
	if prefix := cmLine("DumpPolicy", "0, Text (string): ")[:len(cmLine("DumpPolicy", "0, Text (string): "))-1] +
		"\nPolicy dump:\n============\nPOLICY REFERENCE = e2e.\nPolicyVer = 4.\nXML Vers. = 1.0\n"; !strings.HasPrefix(out, prefix) ||
		!strings.Contains(out, "ssidref 1:  ") || !strings.Contains(out, " <-- Domain-0") {
		t.Errorf("cm DumpPolicy:\n%s\nwant it to start with:\n%s", out, prefix)
	}

	// A refused update returns the XSERR and leaves the policy as it was.
	before := wbemOK(t, "ei", U+":Xen_ACMPolicy")
	body = setPolicyRaw(t, s.addr, p.svcKeys, "testdata/sec/e2e-badupdate-security_policy.xml")
	if rc := returnValue(t, body); rc != "4115" {
		t.Errorf("SetPolicy of a bad update returned %s, want 4115 (VERSION_PREVENTS_UPDATE)\n%s", rc, body)
	}
	if msg, _ := outParam(body, "Message"); msg != "The version of the policy prevents an update" {
		t.Errorf("SetPolicy of a bad update: Message %q", msg)
	}
	if after := wbemOK(t, "ei", U+":Xen_ACMPolicy"); after != before {
		t.Errorf("Xen_ACMPolicy changed by a refused update:\nbefore: %s\nafter:  %s", before, after)
	}
	if out := wbemOK(t, "ei", "-nl", U+":Xen_ACMPolicy", "Version"); !strings.HasSuffix(out, "\n-Version=\"1.0\"\n\n") {
		t.Errorf("Version after a refused update:\n%s", out)
	}

	// Xen_LabeledResource: ci labels a resource, di removes its label.
	lr := U + `:Xen_LabeledResource.ResourceName="file:/srv/acme.img"`
	wantOut(t, P+`:Xen_LabeledResource.ResourceName="file:/srv/acme.img"`+"\n", "ci", lr, `ResourceName="file:/srv/acme.img",SecurityLabel="ACM:e2e:acme-disk"`)
	wantOut(t, P+`:Xen_LabeledResource.ResourceName="file:/srv/acme.img" ResourceName="file:/srv/acme.img",ResourceType="file",SecurityLabel="ACM:e2e:acme-disk",LabelState=2`+"\n",
		"gi", lr, "ResourceName,ResourceType,SecurityLabel,LabelState")
	wantOut(t, cmLine("GetResourceLabel", "0, Label (string): ACM:e2e:acme-disk, Message (string): "), "cm", svc, `GetResourceLabel.Resource="file:/srv/acme.img"`)
	wantFail(t, []string{"CIM_ERR_ALREADY_EXISTS"}, "ci", lr, `ResourceName="file:/srv/acme.img",SecurityLabel="ACM:e2e:globex-disk"`)
	wbemOK(t, "di", lr)
	wantFail(t, []string{"CIM_ERR_NOT_FOUND"}, "gi", lr)
	wantLines(t, []string{P + `:Xen_LabeledResource.ResourceName="phy:/dev/sdb1"`, P + `:Xen_LabeledResource.ResourceName="phy:/dev/sdb2"`},
		"ein", U+":Xen_LabeledResource")
	// The disk of the running acme1 is in use: its label cannot go.
	wantFail(t, []string{"CIM_ERR_FAILED"}, "di", U+`:Xen_LabeledResource.ResourceName="phy:/dev/sdb1"`)

	// Stopping acme1 lets globex1 start.
	wantOut(t, P+":"+domPath(acme1.uuid)+" RequestStateChange: 0\n", "cm", U+":"+domPath(acme1.uuid), "RequestStateChange.RequestedState=3")
	wantOut(t, P+":"+domPath(globex1.uuid)+" RequestStateChange: 0\n", start(globex1)...)
	wantOut(t, cmLine("CanRun", "4123, Message (string): VM label conflicts with another VM"), "cm", svc, `CanRun.Label="ACM:e2e:acme"`)
}

// TestSecWbemcliProfile finds the access control through the interop namespace, as a
// client discovering the server does.
func TestSecWbemcliProfile(t *testing.T) {
	s := secServer(t)
	p := newSecPaths(t, s.addr)
	I := p.interopURL
	prof := `CIM_RegisteredProfile.InstanceID="Xen+sHype Access Control+1.0.0"`
	out := wbemOK(t, "ein", I+":CIM_RegisteredProfile")
	if !strings.Contains(out, s.addr+"/interop:"+prof+"\n") {
		t.Errorf("ein CIM_RegisteredProfile has no sHype Access Control:\n%s", out)
	}
	wantOut(t, s.addr+"/interop:"+prof+` RegisteredOrganization=1,OtherRegisteredOrganization="Xen",RegisteredName="sHype Access Control",RegisteredVersion="1.0.0"`+"\n",
		"gi", I+":"+prof, "RegisteredName,RegisteredOrganization,OtherRegisteredOrganization,RegisteredVersion")
	wantOut(t, p.P+":"+p.svc+"\n", "ain", "-ac", "CIM_ElementConformsToProfile", I+":"+prof)
	wantOut(t, p.P+":"+p.svc+"\n", "ain", "-ac", "CIM_ElementConformsToProfile", "-arc", "Xen_SecurityService", I+":"+prof)
	// The host hosts the security service (beside the others).
	wantSomeLines(t, []string{p.P + ":" + p.vsms, p.P + ":" + p.svc}, "ain", "-ac", "Xen_HostedService", p.U+":"+p.host)
}
