package tests

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The test schema, created through CIM-XML CreateClass: TST_Person (key Name, Age,
// Nick[], method Ping), its subclass TST_Employee and the association TST_Friend.
const (
	keyQual     = `<QUALIFIER NAME="Key" TYPE="boolean"><VALUE>TRUE</VALUE></QUALIFIER>`
	personClass = `<IPARAMVALUE NAME="NewClass"><CLASS NAME="TST_Person" SUPERCLASS="CIM_ManagedElement">` +
		`<QUALIFIER NAME="Description" TYPE="string"><VALUE>A person</VALUE></QUALIFIER>` +
		`<PROPERTY NAME="Name" TYPE="string">` + keyQual + `</PROPERTY>` +
		`<PROPERTY NAME="Age" TYPE="uint32"></PROPERTY>` +
		`<PROPERTY.ARRAY NAME="Nick" TYPE="string"></PROPERTY.ARRAY>` +
		`<METHOD NAME="Ping" TYPE="uint32"><QUALIFIER NAME="Static" TYPE="boolean"><VALUE>TRUE</VALUE></QUALIFIER>` +
		`<PARAMETER NAME="Count" TYPE="uint32"></PARAMETER><PARAMETER NAME="Msg" TYPE="string"></PARAMETER></METHOD>` +
		`</CLASS></IPARAMVALUE>`
	employeeClass = `<IPARAMVALUE NAME="NewClass"><CLASS NAME="TST_Employee" SUPERCLASS="TST_Person">` +
		`<PROPERTY NAME="Company" TYPE="string"></PROPERTY></CLASS></IPARAMVALUE>`
	friendClass = `<IPARAMVALUE NAME="NewClass"><CLASS NAME="TST_Friend">` +
		`<QUALIFIER NAME="Association" TYPE="boolean"><VALUE>TRUE</VALUE></QUALIFIER>` +
		`<PROPERTY.REFERENCE NAME="Left" REFERENCECLASS="TST_Person">` + keyQual + `</PROPERTY.REFERENCE>` +
		`<PROPERTY.REFERENCE NAME="Right" REFERENCECLASS="TST_Person">` + keyQual + `</PROPERTY.REFERENCE>` +
		`</CLASS></IPARAMVALUE>`
)

func personRef(name string) string {
	return `<VALUE.REFERENCE><INSTANCENAME CLASSNAME="TST_Person"><KEYBINDING NAME="Name">` +
		`<KEYVALUE VALUETYPE="string">` + name + `</KEYVALUE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE>`
}

func friendInstance(left, right string) string {
	return `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="TST_Friend">` +
		`<PROPERTY.REFERENCE NAME="Left" REFERENCECLASS="TST_Person">` + personRef(left) + `</PROPERTY.REFERENCE>` +
		`<PROPERTY.REFERENCE NAME="Right" REFERENCECLASS="TST_Person">` + personRef(right) + `</PROPERTY.REFERENCE>` +
		`</INSTANCE></IPARAMVALUE>`
}

// wbemcli runs the real wbemcli and returns its standard output, standard error and
// exit code. The tests need it: `make test` installs it (sblim-wbemcli).
func wbemcli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	path, err := exec.LookPath("wbemcli")
	if err != nil {
		t.Fatal("wbemcli is not installed (apt-get install -y sblim-wbemcli; make test does it as root)")
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// wbemOK runs wbemcli and fails the test unless it exits 0; it returns the output.
func wbemOK(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := wbemcli(t, args...)
	if code != 0 {
		t.Fatalf("wbemcli %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func TestWbemcli(t *testing.T) {
	s := startServer(t)
	ns := "root/cimv2"
	for _, c := range []string{personClass, employeeClass, friendClass} {
		callOK(t, s.addr, "CreateClass", ns, c)
	}
	U := "http://" + s.addr + "/root/cimv2"
	P := s.addr + "/root/cimv2" // how wbemcli prints our paths
	alice := U + `:TST_Person.Name="Alice"`

	// Instances through wbemcli ci (GetClass, then CreateInstance).
	for _, tc := range []struct{ path, props, want string }{
		{alice, `Name="Alice",Age=42,Nick="al","ally"`, P + ":TST_Person.Name=\"Alice\"\n"},
		{U + `:TST_Person.Name="Bob"`, `Name="Bob",Age=7`, P + ":TST_Person.Name=\"Bob\"\n"},
		{U + `:TST_Employee.Name="Carol"`, `Name="Carol",Age=30,Company="Acme"`, P + ":TST_Employee.Name=\"Carol\"\n"},
	} {
		if got := wbemOK(t, "ci", tc.path, tc.props); got != tc.want {
			t.Errorf("ci %s = %q, want %q", tc.path, got, tc.want)
		}
	}
	callOK(t, s.addr, "CreateInstance", ns, friendInstance("Alice", "Bob"))

	tests := []struct {
		name string
		args []string
		want string // exact output
	}{
		{"ecn subclasses", []string{"ecn", U + ":TST_Person"}, P + ":TST_Employee\n"},
		{"ec", []string{"ec", U + ":TST_Person"}, P + ":TST_Employee InstanceID=,Caption=,Description=,ElementName=,Generation=,Name=,Age=,Nick=,Company=\n"},
		{"gc", []string{"gc", U + ":TST_Person"}, P + ":TST_Person InstanceID=,Caption=,Description=,ElementName=,Generation=,Name=,Age=,Nick=\n"},
		{"gc -nl -t props", []string{"gc", "-nl", "-t", U + ":TST_Person", "Name,Age"}, P + ":TST_Person\n-Name#=\n-Age=\n\n"},
		{"ein", []string{"ein", U + ":TST_Person"}, P + ":TST_Person.Name=\"Alice\"\n" + P + ":TST_Person.Name=\"Bob\"\n" + P + ":TST_Employee.Name=\"Carol\"\n"},
		{"gi", []string{"gi", alice}, P + ":TST_Person.Name=\"Alice\" InstanceID=,Caption=,Description=,ElementName=,Generation=,Name=\"Alice\",Age=42,Nick=\"al\",\"ally\"\n"},
		{"gi props", []string{"gi", "-nl", "-t", alice, "Name,Nick"}, P + ":TST_Person.Name=\"Alice\"\n-Name#=\"Alice\"\n-Nick[]=\"al\",\"ally\"\n\n"},
		{"gp", []string{"gp", alice, "Age"}, "42\n"},
		{"ai", []string{"ai", alice}, P + ":TST_Person.Name=\"Bob\" InstanceID=,Caption=,Description=,ElementName=,Generation=,Name=\"Bob\",Age=7,Nick=\n"},
		{"ai filters", []string{"ai", "-ac", "TST_Friend", "-arc", "TST_Person", "-ar", "Left", "-arr", "Right", alice, "Name"}, P + ":TST_Person.Name=\"Bob\" Name=\"Bob\"\n"},
		{"ai wrong role", []string{"ai", "-ar", "Right", alice}, ""},
		{"ain", []string{"ain", "-ac", "TST_Friend", alice}, P + ":TST_Person.Name=\"Bob\"\n"},
		{"ri", []string{"ri", alice, "Left"}, P + ":TST_Friend.Left=" + P + "TST_Person.Name=\"Alice\",Right=" + P + "TST_Person.Name=\"Bob\" Left=" + P + "TST_Person.Name=\"Alice\"\n"},
		{"rin", []string{"rin", "-arc", "TST_Friend", "-ar", "Left", alice}, P + ":TST_Friend.Left=" + P + "TST_Person.Name=\"Alice\",Right=" + P + "TST_Person.Name=\"Bob\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wbemOK(t, tc.args...); got != tc.want {
				t.Errorf("wbemcli %s:\n got: %q\nwant: %q", strings.Join(tc.args, " "), got, tc.want)
			}
		})
	}
}

func TestWbemcliReadsMore(t *testing.T) {
	s := startServer(t)
	for _, c := range []string{personClass, employeeClass, friendClass} {
		callOK(t, s.addr, "CreateClass", "root/cimv2", c)
	}
	U := "http://" + s.addr + "/root/cimv2"
	P := s.addr + "/root/cimv2"
	wbemOK(t, "ci", U+`:TST_Person.Name="Alice"`, `Name="Alice",Age=42,Nick="al","ally"`)
	wbemOK(t, "ci", U+`:TST_Person.Name="Bob"`, `Name="Bob",Age=7`)
	callOK(t, s.addr, "CreateInstance", "root/cimv2", friendInstance("Alice", "Bob"))

	if out := wbemOK(t, "ecn", U); !strings.Contains(out, "\n"+P+":TST_Person\n") || !strings.Contains(out, "\n"+P+":CIM_ManagedElement\n") && !strings.HasPrefix(out, P+":CIM_ManagedElement\n") {
		t.Errorf("ecn of the namespace lacks TST_Person or CIM_ManagedElement:\n%s", out)
	}
	if out := wbemOK(t, "gcd", U+":TST_Person"); !strings.Contains(out, `<CLASS NAME="TST_Person" SUPERCLASS="CIM_ManagedElement">`) ||
		!strings.Contains(out, `<METHOD NAME="Ping" TYPE="uint32"`) {
		t.Errorf("gcd:\n%s", out)
	}
	null5 := "InstanceID=,Caption=,Description=,ElementName=,Generation="
	wantEI := P + `:TST_Person.Name="Alice" ` + null5 + `,Name="Alice",Age=42,Nick="al","ally"` + "\n" +
		P + `:TST_Person.Name="Bob" ` + null5 + `,Name="Bob",Age=7,Nick=` + "\n"
	for _, args := range [][]string{{"ei", U + ":TST_Person"}, {"ei", "-cte", U + ":TST_Person"}} {
		if got := wbemOK(t, args...); got != wantEI {
			t.Errorf("wbemcli %v:\n got: %q\nwant: %q", args, got, wantEI)
		}
	}
	if got, want := wbemOK(t, "ei", "-nl", U+":TST_Person", "Age"), P+`:TST_Person.Name="Alice"`+"\n-Age=42\n\n"+P+`:TST_Person.Name="Bob"`+"\n-Age=7\n\n"; got != want {
		t.Errorf("ei with a property list:\n got: %q\nwant: %q", got, want)
	}
	// Basic credentials are accepted (the server does not authenticate yet).
	if got := wbemOK(t, "ein", "http://user:pw@"+s.addr+"/root/cimv2:TST_Person"); !strings.Contains(got, `TST_Person.Name="Bob"`) {
		t.Errorf("ein with credentials: %q", got)
	}
	// Class-level association queries (wbemcli sends a key-less INSTANCENAME, which the
	// server takes as the class, cimxml.md project decisions) answer with CLASSPATHs,
	// which wbemcli cannot parse: it says so and exits 16. Raw CIM-XML tests cover them.
	if _, errs, code := wbemcli(t, "ain", U+":TST_Person"); code != 16 || !strings.Contains(errs, "Parse Exception") {
		t.Errorf("ain on a class: exit %d, stderr %q", code, errs)
	}
}

func TestWbemcliWrites(t *testing.T) {
	s := startServer(t)
	for _, c := range []string{personClass, employeeClass, friendClass} {
		callOK(t, s.addr, "CreateClass", "root/cimv2", c)
	}
	U := "http://" + s.addr + "/root/cimv2"
	alice := U + `:TST_Person.Name="Alice"`
	wbemOK(t, "ci", alice, `Name="Alice",Age=42,Nick="al","ally"`)
	wbemOK(t, "ci", U+`:TST_Employee.Name="Carol"`, `Name="Carol",Company="Acme"`)

	if got := wbemOK(t, "mi", alice, "Age=43"); got != "" {
		t.Errorf("mi printed %q", got)
	}
	if got := wbemOK(t, "gp", alice, "Age"); got != "43\n" {
		t.Errorf("gp after mi = %q, want 43", got)
	}
	if got := wbemOK(t, "gp", alice, "Nick"); got != "al,ally\n" {
		t.Errorf("gp Nick = %q", got)
	}
	wbemOK(t, "sp", alice, "Age=44")
	if got := wbemOK(t, "gp", alice, "Age"); got != "44\n" {
		t.Errorf("gp after sp = %q, want 44", got)
	}

	// Errors: exit 16 and the CIM status on stderr.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gi", U + `:TST_Person.Name="Nobody"`}, "CIM_ERR_NOT_FOUND"},
		{[]string{"gc", U + ":TST_Nothing"}, "CIM_ERR_NOT_FOUND"},
		{[]string{"ei", U + ":TST_Nothing"}, "CIM_ERR_INVALID_CLASS"},
		{[]string{"ei", "http://" + s.addr + "/root/nowhere:TST_Person"}, "CIM_ERR_INVALID_NAMESPACE"},
		{[]string{"gp", alice, "Height"}, "CIM_ERR_NO_SUCH_PROPERTY"},
		{[]string{"dc", U + ":TST_Person"}, "CIM_ERR_CLASS_HAS_CHILDREN"},
		{[]string{"dc", U + ":TST_Employee"}, "CIM_ERR_CLASS_HAS_INSTANCES"},
		{[]string{"ci", alice, `Name="Alice"`}, "CIM_ERR_ALREADY_EXISTS"},
	} {
		out, errs, code := wbemcli(t, tc.args...)
		if code != 16 || !strings.Contains(errs, tc.want) {
			t.Errorf("wbemcli %v: exit %d, stdout %q, stderr %q; want exit 16 and %s", tc.args, code, out, errs, tc.want)
		}
	}

	// Delete: instance, then the emptied class.
	wbemOK(t, "di", U+`:TST_Employee.Name="Carol"`)
	wbemOK(t, "dc", U+":TST_Employee")
	if got := wbemOK(t, "ecn", U+":TST_Person"); got != "" {
		t.Errorf("ecn after dc = %q, want nothing", got)
	}
	wbemOK(t, "di", alice)
	if _, errs, code := wbemcli(t, "gi", alice); code != 16 || !strings.Contains(errs, "CIM_ERR_NOT_FOUND") {
		t.Errorf("gi after di: exit %d, %q", code, errs)
	}
}

// TestWbemcliInterop reads the interop namespace as a client discovering the server
// does, and calls methods (cm, cmx) on a registered profile.
func TestWbemcliInterop(t *testing.T) {
	s := startServer(t)
	I := "http://" + s.addr + "/interop"
	out := wbemOK(t, "ein", I+":CIM_Namespace")
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, `Name="interop"`) || !strings.Contains(out, `Name="root/cimv2"`) {
		t.Errorf("CIM_Namespace instances:\n%s", out)
	}
	out = wbemOK(t, "ei", I+":CIM_ObjectManager")
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, `ElementName="shypecim"`) || !regexp.MustCompile(`Description="shypecim version \d+\.\d+\.\d+"`).MatchString(out) {
		t.Errorf("CIM_ObjectManager:\n%s", out)
	}
	profile := I + `:CIM_RegisteredProfile.InstanceID="DMTF+Profile Registration+1.0.0"`
	if out := wbemOK(t, "ain", "-ac", "CIM_ElementConformsToProfile", profile); !strings.Contains(out, ":CIM_ObjectManager.") {
		t.Errorf("central instance of Profile Registration:\n%s", out)
	}
	if got, want := wbemOK(t, "cm", profile, "OpenConformantInstances"), s.addr+`/interop:CIM_RegisteredProfile.InstanceID="DMTF+Profile Registration+1.0.0" OpenConformantInstances: 1`+"\n"; got != want {
		t.Errorf("cm:\n got: %q\nwant: %q", got, want)
	}
	if got, want := wbemOK(t, "cmx", profile, `CloseConformantInstances.EnumerationContext="x"`), `<METHODRESPONSE NAME="CloseConformantInstances"><RETURNVALUE PARAMTYPE="uint32"><VALUE>1</VALUE></RETURNVALUE></METHODRESPONSE>`+"\n"; got != want {
		t.Errorf("cmx:\n got: %q\nwant: %q", got, want)
	}
	// A method the class does not declare, and a non-static method on the class.
	if _, errs, code := wbemcli(t, "cm", profile, "Frobnicate"); code != 16 || !strings.Contains(errs, "CIM_ERR_METHOD_NOT_FOUND") {
		t.Errorf("cm of an undeclared method: exit %d, %q", code, errs)
	}
	if _, errs, code := wbemcli(t, "cm", I+":CIM_RegisteredProfile", "GetCentralInstances"); code != 16 || !strings.Contains(errs, "CIM_ERR_INVALID_PARAMETER") {
		t.Errorf("cm of an instance method on the class: exit %d, %q", code, errs)
	}
}
