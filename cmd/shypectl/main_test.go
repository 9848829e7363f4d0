package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
)

// fakeCIM is a server with canned instances and scripted methods.
type fakeCIM struct {
	objects map[string][]cim.Object // by class name
	methods map[string]func(in []cim.ParamValue) (any, []cim.ParamValue, error)
	calls   []string
	params  map[string][]cim.ParamValue // last call's parameters by method
}

func newFake() *fakeCIM {
	return &fakeCIM{objects: map[string][]cim.Object{}, methods: map[string]func([]cim.ParamValue) (any, []cim.ParamValue, error){}, params: map[string][]cim.ParamValue{}}
}

func (f *fakeCIM) EnumerateInstances(_ context.Context, _, class string) ([]cim.Object, error) {
	return f.objects[class], nil
}

func (f *fakeCIM) EnumerateInstanceNames(_ context.Context, _, class string) ([]*cim.ObjectPath, error) {
	return []*cim.ObjectPath{{Namespace: ns, ClassName: class, Keys: []cim.KeyBinding{{Name: "Name", Value: class}}}}, nil
}

func (f *fakeCIM) GetInstance(_ context.Context, p *cim.ObjectPath) (*cim.Instance, error) {
	for _, o := range f.objects[p.ClassName] {
		if o.Path != nil && o.Path.Equal(p) {
			return o.Instance, nil
		}
	}
	return nil, cim.Errorf(cim.StatusOf(errors.New("x"))+6, "not found")
}

func (f *fakeCIM) InvokeMethod(_ context.Context, _ *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error) {
	f.calls = append(f.calls, method)
	f.params[method] = in
	if m := f.methods[method]; m != nil {
		return m(in)
	}
	return uint32(0), nil, nil
}

// withPolicy makes the fake enforce a policy named name with the given VM labels.
func (f *fakeCIM) withPolicy(name string, vmLabels ...string) {
	ref := &cim.ObjectPath{Namespace: ns, ClassName: "Xen_ACMPolicy", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:ACMPolicy:1234"}}}
	f.objects["Xen_ACMPolicy"] = []cim.Object{{Path: ref, Instance: &cim.Instance{ClassName: "Xen_ACMPolicy", Properties: []cim.Property{
		stringProp("InstanceID", "Xen:ACMPolicy:1234"), stringProp("PolicyName", name), stringProp("Version", "1.0")}}}}
	f.methods["GetPolicy"] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
		return uint32(0), []cim.ParamValue{
			{Name: "PolicyRef", Type: cim.TypeReference, Value: ref},
			{Name: "Flags", Type: cim.TypeUint32, Value: uint32(3)},
			{Name: "Version", Type: cim.TypeString, Value: "1.0"},
			{Name: "Message", Type: cim.TypeString, Value: ""},
		}, nil
	}
	var labels []cim.Object
	for _, l := range vmLabels {
		labels = append(labels, cim.Object{Instance: &cim.Instance{ClassName: classLabel, Properties: []cim.Property{
			stringProp("ElementName", l), {Name: "LabelType", Type: cim.TypeUint16, Value: uint16(2)}, stringProp("PolicyName", name)}}})
	}
	labels = append(labels, cim.Object{Instance: &cim.Instance{ClassName: classLabel, Properties: []cim.Property{
		stringProp("ElementName", "disk"), {Name: "LabelType", Type: cim.TypeUint16, Value: uint16(3)}, stringProp("PolicyName", name)}}})
	f.objects[classLabel] = labels
}

// addDomain adds a computer system and its settings.
func (f *fakeCIM) addDomain(name, uuid string, id int64, state uint16, label string, mem uint64, vcpus uint32) {
	props := []cim.Property{stringProp("CreationClassName", classCS), stringProp("Name", uuid), stringProp("ElementName", name),
		{Name: "EnabledState", Type: cim.TypeUint16, Value: state}, stringProp("SecurityLabel", label)}
	if id >= 0 {
		props = append(props, cim.Property{Name: "DomainID", Type: cim.TypeUint32, Value: uint32(id)})
	}
	f.objects[classCS] = append(f.objects[classCS], cim.Object{Path: csPath(uuid), Instance: &cim.Instance{ClassName: classCS, Properties: props}})
	f.objects[classVSSD] = append(f.objects[classVSSD], cim.Object{Path: vssdPath(uuid), Instance: &cim.Instance{ClassName: classVSSD, Properties: []cim.Property{
		stringProp("InstanceID", "Xen:"+uuid), stringProp("ElementName", name), stringProp("SecurityLabel", label),
		{Name: "Memory", Type: cim.TypeUint64, Value: mem}, {Name: "VCPUs", Type: cim.TypeUint32, Value: vcpus}}}})
}

// runApp runs shypectl with the fake server in folder wd.
func runApp(t *testing.T, f *fakeCIM, wd string, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{ctx: context.Background(), stdout: &out, stderr: &errb, wd: wd,
		getenv: func(k string) string { return env[k] },
		dial: func(url, user, pw string) (cimAPI, error) {
			if f == nil {
				return nil, errors.New("no server in this test")
			}
			return f, nil
		}}
	code = a.run(args)
	return out.String(), errb.String(), code
}

func TestGlobalFlags(t *testing.T) {
	tests := []struct {
		args          []string
		env           map[string]string
		url, user, pw string
		rest          []string
		wantErr       bool
	}{
		{args: []string{"list"}, url: defaultURL, rest: []string{"list"}},
		{args: []string{"list"}, env: map[string]string{"SHYPE_URL": "http://h:1", "SHYPE_USER": "u", "SHYPE_PASSWORD": "p"},
			url: "http://h:1", user: "u", pw: "p", rest: []string{"list"}},
		{args: []string{"--url", "http://x:2", "--user=me", "--password", "pw", "list", "--all"}, env: map[string]string{"SHYPE_URL": "http://h:1"},
			url: "http://x:2", user: "me", pw: "pw", rest: []string{"list", "--all"}},
		{args: []string{"--url"}, wantErr: true},
		{args: []string{"--bogus", "list"}, wantErr: true},
	}
	for _, tt := range tests {
		a := &app{getenv: func(k string) string { return tt.env[k] }}
		rest, err := a.globalFlags(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("globalFlags(%q) error %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if a.url != tt.url || a.user != tt.user || a.password != tt.pw || strings.Join(rest, " ") != strings.Join(tt.rest, " ") {
			t.Errorf("globalFlags(%q) = url %q user %q pw %q rest %q", tt.args, a.url, a.user, a.password, rest)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args    []string
		errLine string
		usage   string
	}{
		{[]string{"destroy"}, "Error: 'shypectl destroy' requires 1 argument.", "Usage: shypectl destroy <Domain>"},
		{[]string{"block-attach", "a", "b"}, "Error: 'shypectl block-attach' requires 4 arguments.", "Usage: shypectl block-attach <Domain> <BackDev> <FrontDev> <Mode>"},
		{[]string{"addlabel", "x"}, "Error: Needs either 2 or 3 arguments", "Usage: shypectl addlabel <label> dom <configfile> [<policy>]"},
		{[]string{"setpolicy", "FLASK", "x"}, "Error: Unsupported policytype 'FLASK'.", "Usage: shypectl setpolicy <policytype> <policyname>"},
		{[]string{"list", "--bogus"}, "Error: option --bogus not recognized", "Usage: shypectl list [options] [Domain, ...]"},
	}
	for _, tt := range tests {
		out, errOut, code := runApp(t, nil, t.TempDir(), nil, tt.args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, tt.errLine+"\n\n"+tt.usage+"\n") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tt.args, code, out, errOut)
		}
	}
	out, errOut, code := runApp(t, nil, t.TempDir(), nil, "nonsense")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: Subcommand nonsense not found!\n") {
		t.Errorf("unknown command: exit %d, %q %q", code, out, errOut)
	}
	out, _, code = runApp(t, nil, t.TempDir(), nil, "create", "--help")
	if code != 0 || !strings.HasPrefix(out, "Usage: shypectl create <ConfigFile>\n") {
		t.Errorf("create --help: exit %d, %q", code, out)
	}
	out, _, code = runApp(t, nil, t.TempDir(), nil, "help")
	if code != 0 || !strings.Contains(out, " dry-run        Test if a domain can access its resources.\n") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}

func listFake() *fakeCIM {
	f := newFake()
	f.addDomain("web", "u-web", 3, stateRunning, "ACM:acme:web", 256, 2)
	f.addDomain("Domain-0", "u-0", 0, stateRunning, "ACM:acme:SystemManagement", 1024, 2)
	f.addDomain("db", "u-db", 4, statePaused, "ACM:acme:DB", 512, 1)
	f.addDomain("old", "u-old", -1, stateHalted, "ACM:acme:__UNLABELED__", 128, 1)
	f.addDomain("sleepy", "u-sl", -1, stateSuspended, "ACM:acme:app", 64, 1)
	return f
}

func TestListGolden(t *testing.T) {
	brief := "" +
		"Name                                        ID   Mem VCPUs      State   Time(s)\n" +
		"Domain-0                                     0  1024     2     r-----      0.0\n" +
		"db                                           4   512     1     --p---      0.0\n" +
		"sleepy                                            64     1     ------      0.0\n" +
		"web                                          3   256     2     r-----      0.0\n"
	all := "" +
		"Name                                        ID   Mem VCPUs      State   Time(s)\n" +
		"Domain-0                                     0  1024     2     r-----      0.0\n" +
		"db                                           4   512     1     --p---      0.0\n" +
		"old                                              128     1     ------      0.0\n" +
		"sleepy                                            64     1     ------      0.0\n" +
		"web                                          3   256     2     r-----      0.0\n"
	label := "" +
		"Name                                        ID   Mem VCPUs      State   Time(s) Label     \n" +
		"sleepy                                            64     1     ------      0.0 ACM:acme:app\n" +
		"db                                           4   512     1     --p---      0.0 ACM:acme:DB\n" +
		"Domain-0                                     0  1024     2     r-----      0.0 ACM:acme:SystemManagement\n" +
		"web                                          3   256     2     r-----      0.0 ACM:acme:web\n"
	some := "" +
		"Name                                        ID   Mem VCPUs      State   Time(s)\n" +
		"old                                              128     1     ------      0.0\n" +
		"web                                          3   256     2     r-----      0.0\n"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"list"}, brief},
		{[]string{"list", "--all"}, all},
		{[]string{"list", "--label"}, label},
		{[]string{"list", "old", "3"}, some},
	}
	for _, tt := range tests {
		out, errOut, code := runApp(t, listFake(), t.TempDir(), nil, tt.args...)
		if code != 0 || errOut != "" || out != tt.want {
			t.Errorf("%q: exit %d stderr %q\ngot:\n%s\nwant:\n%s", tt.args, code, errOut, out, tt.want)
		}
	}
	_, errOut, code := runApp(t, listFake(), t.TempDir(), nil, "list", "nosuch")
	if code != 1 || errOut != "Error: Domain 'nosuch' does not exist.\n" {
		t.Errorf("list nosuch: exit %d stderr %q", code, errOut)
	}
}

func TestDomainLookup(t *testing.T) {
	f := listFake()
	for _, ref := range []string{"web", "3", "u-web", "U-WEB"} {
		a := &app{ctx: context.Background(), api: f}
		d, err := a.findDomain(ref)
		if err != nil || d.Name != "web" {
			t.Errorf("findDomain(%q) = %v, %v", ref, d, err)
		}
	}
}

const goodConfig = `kernel = "/boot/vmlinuz"
memory = 256
name = "web"
vcpus = 2
disk = ['phy:sdb1,xvda1,w', 'file:/srv/a.img,xvda2,r']
vif = ['mac=00:16:3e:00:00:01,bridge=xenbr0,policy=acme,label=net']
access_control = ['policy=acme,label=web']
`

func TestConfigInstances(t *testing.T) {
	cfg, err := parseConfigBytes("web.cfg", []byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	vssd, rasds := configInstances(cfg, "")
	want := map[string]any{"ElementName": "web", "Kernel": "/boot/vmlinuz", "Memory": uint64(256), "VCPUs": uint32(2), "SecurityLabel": "ACM:acme:web"}
	for k, v := range want {
		if p := vssd.Property(k); p == nil || p.Value != v {
			t.Errorf("VSSD %s = %v, want %v", k, p, v)
		}
	}
	if vssd.Property("InstanceID") != nil {
		t.Errorf("a new domain's settings carry an InstanceID")
	}
	if len(rasds) != 3 {
		t.Fatalf("%d RASDs, want 3", len(rasds))
	}
	checks := []struct {
		i     int
		class string
		props map[string]string
	}{
		{0, classDisk, map[string]string{"Address": "phy:sdb1", "VirtualDevice": "xvda1", "Mode": "w"}},
		{1, classDisk, map[string]string{"Address": "file:/srv/a.img", "VirtualDevice": "xvda2", "Mode": "r"}},
		{2, classNet, map[string]string{"Address": "00:16:3e:00:00:01", "Bridge": "xenbr0", "SecurityLabel": "ACM:acme:net"}},
	}
	for _, c := range checks {
		if rasds[c.i].ClassName != c.class {
			t.Errorf("RASD %d class %s, want %s", c.i, rasds[c.i].ClassName, c.class)
		}
		for k, v := range c.props {
			if got := propString(rasds[c.i], k); got != v {
				t.Errorf("RASD %d %s = %q, want %q", c.i, k, got, v)
			}
		}
	}
	vssd, _ = configInstances(cfg, "abc")
	if propString(vssd, "InstanceID") != "Xen:abc" {
		t.Errorf("update settings InstanceID %q", propString(vssd, "InstanceID"))
	}
}

func TestAbsResource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"file:img/a.img", "file:/home/u/img/a.img"},
		{"file:/srv/a.img", "file:/srv/a.img"},
		{"tap:aio:x.img", "tap:aio:/home/u/x.img"},
		{"tap:aio:/x.img", "tap:aio:/x.img"},
		{"phy:sdb1", "phy:sdb1"},
		{"vlan:12", "vlan:12"},
	}
	for _, tt := range tests {
		if got := absResource(tt.in, "/home/u"); got != tt.want {
			t.Errorf("absResource(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHVErrorMessage(t *testing.T) {
	got := hvErrorMessage([]uint64{acm.HVChwallConflict, 3<<16 | 5, acm.HVSSIDRefInUse, 2, 0, 0})
	want := "Hypervisor reported errors:Chinese Wall conflict between domains 3 and 5A domain used SSIDREF 2"
	if got != want {
		t.Errorf("hvErrorMessage = %q, want %q", got, want)
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDomLabelFiles(t *testing.T) {
	const plain = "kernel = \"/boot/vmlinuz\"\nmemory = 128\nname = \"a\"\n"
	dir := t.TempDir()
	f := newFake()
	f.withPolicy("acme", "SystemManagement", "web", "db")
	p := writeFile(t, dir, "a.cfg", plain)

	// getlabel before: not labeled.
	out, errOut, code := runApp(t, f, dir, nil, "getlabel", "dom", "a.cfg")
	if code != 1 || out != "" || errOut != "Error: 'Domain not labeled'\n" {
		t.Errorf("getlabel unlabeled: %d %q %q", code, out, errOut)
	}
	// addlabel with an unknown label changes nothing.
	_, errOut, code = runApp(t, f, dir, nil, "addlabel", "nolabel", "dom", "a.cfg")
	if code != 1 || errOut != "Error: Label 'nolabel' not found.\n" || readFile(t, p) != plain {
		t.Errorf("addlabel unknown label: %d %q, file %q", code, errOut, readFile(t, p))
	}
	// addlabel appends the entry.
	out, errOut, code = runApp(t, f, dir, nil, "addlabel", "web", "dom", "a.cfg")
	labeled := plain + "access_control = ['policy=acme,label=web']\n"
	if code != 0 || out != "" || errOut != "" || readFile(t, p) != labeled {
		t.Errorf("addlabel: %d %q %q, file %q", code, out, errOut, readFile(t, p))
	}
	// A second label is refused.
	_, errOut, code = runApp(t, f, dir, nil, "addlabel", "db", "dom", "a.cfg")
	if code != 1 || errOut != "Error: Config file '"+p+"' is already labeled.\n" || readFile(t, p) != labeled {
		t.Errorf("addlabel twice: %d %q", code, errOut)
	}
	out, errOut, code = runApp(t, f, dir, nil, "getlabel", "dom", "a.cfg")
	if code != 0 || out != "policytype=ACM,policy=acme,label=web\n" || errOut != "" {
		t.Errorf("getlabel: %d %q %q", code, out, errOut)
	}
	// rmlabel comments the entry out.
	out, errOut, code = runApp(t, f, dir, nil, "rmlabel", "dom", p)
	if code != 0 || out != "" || errOut != "" || readFile(t, p) != plain+"#access_control = ['policy=acme,label=web']\n" {
		t.Errorf("rmlabel: %d %q %q, file %q", code, out, errOut, readFile(t, p))
	}
	_, errOut, code = runApp(t, f, dir, nil, "rmlabel", "dom", "a.cfg")
	if code != 1 || errOut != "Error: 'Domain not labeled'\n" {
		t.Errorf("rmlabel again: %d %q", code, errOut)
	}
	// A labeled policy other than the active one.
	_, errOut, code = runApp(t, f, dir, nil, "addlabel", "web", "dom", "a.cfg", "other")
	if code != 1 || !strings.HasPrefix(errOut, "Error: Policy 'other' is not the currently loaded policy") {
		t.Errorf("addlabel other policy: %d %q", code, errOut)
	}
	// A multi-line entry is commented out through its closing line.
	multi := writeFile(t, dir, "m.cfg", "name='m'\naccess_control = [\n  'policy=acme,label=web']\nmemory=64\n")
	if _, errOut, code := runApp(t, f, dir, nil, "rmlabel", "dom", "m.cfg"); code != 0 {
		t.Errorf("rmlabel multi-line: %d %q", code, errOut)
	}
	if got := readFile(t, multi); got != "name='m'\n#access_control = [\n#  'policy=acme,label=web']\nmemory=64\n" {
		t.Errorf("rmlabel multi-line left %q", got)
	}
	// A file that is not a config is refused.
	bad := writeFile(t, dir, "b.cfg", "name = 'b'\n")
	out, errOut, code = runApp(t, f, dir, nil, "addlabel", "web", "dom", "b.cfg")
	if code != 1 || out != "Invalid configuration file.\n" || errOut != "Error: Invalid config file\n" || readFile(t, bad) != "name = 'b'\n" {
		t.Errorf("addlabel invalid config: %d %q %q", code, out, errOut)
	}
	_, errOut, code = runApp(t, f, dir, nil, "getlabel", "dom", "missing.cfg")
	if code != 1 || errOut != "Error: Configuration file 'missing.cfg' not found.\n" {
		t.Errorf("getlabel missing: %d %q", code, errOut)
	}
}

func TestMalformedConfigs(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"syntax", "name = 'x\n", "Error: "},
		{"undefined", "name = foo\n", "Error: "},
		{"disk", "name = 'x'\ndisk = ['phy:sdb1']\n", "Error: "},
		{"two labels", "name = 'x'\naccess_control = ['policy=a,label=b', 'policy=a,label=c']\n", "Error: Multiple access_control definitions.\n"},
		{"bad label", "name = 'x'\naccess_control = ['policy=a,label=b,x=y']\n", "Error: Too many elements in access_control specifier: policy=a,label=b,x=y\n"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		p := writeFile(t, dir, "x.cfg", tt.src)
		_, xerr := parseConfigBytes(p, []byte(tt.src))
		if xerr == nil {
			t.Errorf("%s: xmconfig accepted %q", tt.name, tt.src)
			continue
		}
		f := newFake()
		out, errOut, code := runApp(t, f, dir, nil, "create", "x.cfg")
		if code != 1 || out != "" || !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s: create: %d %q %q", tt.name, code, out, errOut)
		}
		if tt.want == "Error: " && !strings.Contains(errOut, p+":") {
			t.Errorf("%s: message %q does not name the file position", tt.name, errOut)
		}
		if len(f.calls) != 0 {
			t.Errorf("%s: create called the server: %v", tt.name, f.calls)
		}
	}
}

func TestCreateRefusedUndefines(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "web.cfg", goodConfig)
	f := newFake()
	f.withPolicy("acme", "web")
	f.methods["DefineSystem"] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
		return uint32(0), []cim.ParamValue{{Name: "ResultingSystem", Type: cim.TypeReference, Value: csPath("new-uuid")}}, nil
	}
	f.methods["RequestStateChange"] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
		return nil, nil, &cim.Error{Code: 1, Description: acm.MsgInConflict}
	}
	out, errOut, code := runApp(t, f, dir, nil, "create", "web.cfg")
	if code != 1 || out != "" || errOut != "Error: Domain in conflict set with running domain?\n" {
		t.Errorf("create refused: %d %q %q", code, out, errOut)
	}
	if got := strings.Join(f.calls, ","); got != "GetPolicy,DefineSystem,RequestStateChange,DestroySystem" {
		t.Errorf("calls %s", got)
	}
	if p := f.params["DestroySystem"]; len(p) != 1 || !p[0].Value.(*cim.ObjectPath).Equal(csPath("new-uuid")) {
		t.Errorf("DestroySystem params %+v", p)
	}
	if p := f.params["DefineSystem"]; len(p) != 2 || p[0].EmbeddedObject != "instance" || len(p[1].Value.([]any)) != 3 {
		t.Errorf("DefineSystem params %+v", p)
	}

	// Success prints xm's line.
	f.calls = nil
	f.methods["RequestStateChange"] = nil
	out, errOut, code = runApp(t, f, dir, nil, "create", "web.cfg")
	if code != 0 || out != "Started domain web\n" || errOut != "" {
		t.Errorf("create: %d %q %q", code, out, errOut)
	}

	// A config for another policy never reaches DefineSystem.
	f = newFake()
	f.withPolicy("DEFAULT")
	f.calls = nil
	_, errOut, code = runApp(t, f, dir, nil, "create", "web.cfg")
	if code != 1 || errOut != "Error: Security policy (acme) incompatible with enforced policy (DEFAULT).\n" {
		t.Errorf("create other policy: %d %q", code, errOut)
	}
	if strings.Join(f.calls, ",") != "GetPolicy" {
		t.Errorf("calls %v", f.calls)
	}
}

func TestCreateUpdateRestores(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "web.cfg", goodConfig)
	f := newFake()
	f.withPolicy("acme", "web")
	f.addDomain("web", "u-web", -1, stateHalted, "ACM:acme:db", 128, 1)
	f.objects[classDisk] = []cim.Object{{Path: rasdPath(classDisk, "Xen:u-web/xvda1"), Instance: &cim.Instance{ClassName: classDisk, Properties: []cim.Property{
		stringProp("InstanceID", "Xen:u-web/xvda1"), stringProp("Address", "phy:sdc"), stringProp("VirtualDevice", "xvda1"), stringProp("Mode", "r")}}}}
	f.methods["RequestStateChange"] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
		return nil, nil, &cim.Error{Code: 1, Description: acm.MsgNotAuthorized}
	}
	var modified []string
	f.methods["ModifySystemSettings"] = func(in []cim.ParamValue) (any, []cim.ParamValue, error) {
		vs := in[0].Value.(*cim.Instance)
		modified = append(modified, propString(vs, "InstanceID")+" "+propString(vs, "SecurityLabel")+" "+propString(vs, "Memory"))
		return uint32(0), nil, nil
	}
	_, errOut, code := runApp(t, f, dir, nil, "create", "web.cfg")
	if code != 1 || errOut != "Error: VM is not authorized to run.\n" {
		t.Errorf("create update refused: %d %q", code, errOut)
	}
	if got := strings.Join(modified, ";"); got != "Xen:u-web ACM:acme:web 256;Xen:u-web ACM:acme:db 128" {
		t.Errorf("ModifySystemSettings calls %q", got)
	}
	want := "GetPolicy,ModifySystemSettings,RemoveResourceSettings,AddResourceSettings,RequestStateChange,ModifySystemSettings,RemoveResourceSettings,AddResourceSettings"
	if got := strings.Join(f.calls, ","); got != want {
		t.Errorf("calls %s\nwant %s", got, want)
	}
	// The restore adds the old disk back.
	back := f.params["AddResourceSettings"][1].Value.([]any)
	if len(back) != 1 || propString(back[0].(*cim.Instance), "Address") != "phy:sdc" {
		t.Errorf("restored devices %+v", back)
	}
}

func TestDryRunExit(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "web.cfg", goodConfig)
	for _, permitted := range []bool{true, false} {
		f := newFake()
		verdict := "PASSED"
		if !permitted {
			verdict = "FAILED"
		}
		report := "Checking domain:\n   web: PERMITTED\nChecking resources:\n   phy:sdb1: PERMITTED\nDry Run: " + verdict
		f.methods["DryRun"] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
			return uint32(0), []cim.ParamValue{{Name: "Permitted", Type: cim.TypeBoolean, Value: permitted}, {Name: "Report", Type: cim.TypeString, Value: report}}, nil
		}
		out, errOut, code := runApp(t, f, dir, nil, "dry-run", "web.cfg")
		wantCode := 0
		if !permitted {
			wantCode = 255
		}
		if code != wantCode || out != report+"\n" || errOut != "" {
			t.Errorf("dry-run permitted=%v: %d %q %q", permitted, code, out, errOut)
		}
	}
}

func TestGetPolicyAndSetPolicyErrors(t *testing.T) {
	f := newFake()
	f.withPolicy("DEFAULT")
	out, _, code := runApp(t, f, t.TempDir(), nil, "getpolicy")
	want := "Supported security subsystems   : ACM \n\nPolicy name           : DEFAULT\nPolicy type           : ACM\nReference             : 1234\nVersion of XML policy : 1.0\nPolicy configuration  : loaded, activated for boot\n"
	if code != 0 || out != want {
		t.Errorf("getpolicy: %d\n%q\nwant\n%q", code, out, want)
	}
	dir := t.TempDir()
	_, errOut, code := runApp(t, f, dir, map[string]string{"SHYPE_POLICY_DIR": "/nonexistent/pol"}, "setpolicy", "ACM", "a.b")
	if code != 1 || errOut != "Error: Could not read policy file from current directory or '/nonexistent/pol'.\n" {
		t.Errorf("setpolicy missing file: %d %q", code, errOut)
	}
	writeFile(t, dir, "a/b-security_policy.xml", "<x/>")
	f.methods["SetPolicy"] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
		return uint32(acm.XSErrHVOpFailed), []cim.ParamValue{{Name: "Errors", Type: cim.TypeUint32, IsArray: true, Value: []any{uint32(acm.HVSSIDRefInUse), uint32(2)}}}, nil
	}
	_, errOut, code = runApp(t, f, dir, nil, "setpolicy", "ACM", "a.b")
	if code != 1 || errOut != "Error: An error occurred trying to set the policy: Operation failed in hypervisor. Hypervisor reported errors:A domain used SSIDREF 2\n" {
		t.Errorf("setpolicy refused: %d %q", code, errOut)
	}
	if p := f.params["SetPolicy"]; len(p) != 3 || p[0].Value != "<x/>" || p[1].Value != uint32(3) || p[2].Value != true {
		t.Errorf("SetPolicy params %+v", p)
	}
}

const ezDesc = `policy example.chwall_ste.test-wld
org Avis
org Hertz
org CocaCola: Intranet Extranet HumanResources Payroll
org PepsiCo: Intranet Extranet
conflict RER: PepsiCo CocaCola
conflict RER: CocaCola.Extranet CocaCola.Payroll
`

func TestEzPolicyAndMakePolicy(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "wld.ez", ezDesc)
	out, errOut, code := runApp(t, nil, dir, nil, "ezpolicy", "wld.ez")
	if code != 0 || errOut != "" || !strings.Contains(out, "<PolicyName>example.chwall_ste.test-wld</PolicyName>") {
		t.Fatalf("ezpolicy: %d %q %.200q", code, errOut, out)
	}
	xmlPath := filepath.Join(dir, "example/chwall_ste/test-wld-security_policy.xml")
	if _, errOut, code := runApp(t, nil, dir, nil, "ezpolicy", "-o", "example/chwall_ste/test-wld-security_policy.xml", "wld.ez"); code != 0 || errOut != "" {
		t.Fatalf("ezpolicy -o: %d %q", code, errOut)
	}
	if readFile(t, xmlPath) != out {
		t.Errorf("ezpolicy -o wrote other bytes than it prints")
	}
	out, errOut, code = runApp(t, nil, dir, nil, "makepolicy", "example.chwall_ste.test-wld")
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("makepolicy: %d %q %q", code, out, errOut)
	}
	pol, err := acm.Parse([]byte(readFile(t, xmlPath)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := acm.Compile(pol)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "example/chwall_ste/test-wld.map")); got != c.Map(dir) {
		t.Errorf("map file differs from acm's")
	}
	if got := readFile(t, filepath.Join(dir, "example/chwall_ste/test-wld.bin")); got != string(c.Binary()) {
		t.Errorf("binary differs from acm's")
	}
	writeFile(t, dir, "bad.ez", "policy x\norg Avis\norg Avis\n")
	_, errOut, code = runApp(t, nil, dir, nil, "ezpolicy", "bad.ez")
	if code != 1 || !strings.HasPrefix(errOut, "Error: bad.ez:line 3: duplicate organisation") {
		t.Errorf("ezpolicy bad: %d %q", code, errOut)
	}
}

func TestCreateUpdateSameDevices(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "v.cfg", "name = 'v'\nmemory = 64\nkernel = '/k'\ndisk = ['phy:sdc,xvda1,r']\nvif = ['bridge=xenbr0']\n")
	f := newFake()
	f.addDomain("v", "u-v", -1, stateHalted, "", 128, 1)
	f.objects[classDisk] = []cim.Object{{Path: rasdPath(classDisk, "Xen:u-v/xvda1"), Instance: &cim.Instance{ClassName: classDisk, Properties: []cim.Property{
		stringProp("InstanceID", "Xen:u-v/xvda1"), stringProp("Address", "phy:sdc"), stringProp("VirtualDevice", "xvda1"), stringProp("Mode", "r")}}}}
	f.objects[classNet] = []cim.Object{{Path: rasdPath(classNet, "Xen:u-v/vif0"), Instance: &cim.Instance{ClassName: classNet, Properties: []cim.Property{
		stringProp("InstanceID", "Xen:u-v/vif0"), stringProp("Address", "00:16:3e:12:34:56"), stringProp("Bridge", "xenbr0"), stringProp("SecurityLabel", "")}}}}
	out, errOut, code := runApp(t, f, dir, nil, "create", "v.cfg")
	if code != 0 || out != "Started domain v\n" || errOut != "" {
		t.Errorf("create: %d %q %q", code, out, errOut)
	}
	// Same devices: only the settings change, the devices are left alone.
	if got := strings.Join(f.calls, ","); got != "ModifySystemSettings,RequestStateChange" {
		t.Errorf("calls %s", got)
	}
	if vs := f.params["ModifySystemSettings"][0].Value.(*cim.Instance); propString(vs, "InstanceID") != "Xen:u-v" || propString(vs, "Memory") != "64" {
		t.Errorf("ModifySystemSettings got %+v", vs)
	}
	// A running domain of that name is not redefined.
	f = newFake()
	f.addDomain("v", "u-v", 7, stateRunning, "", 128, 1)
	_, errOut, code = runApp(t, f, dir, nil, "create", "v.cfg")
	if code != 1 || errOut != "Error: VM name 'v' already in use by domain 7\n" || len(f.calls) != 0 {
		t.Errorf("create over running: %d %q %v", code, errOut, f.calls)
	}
}

func TestStateCommands(t *testing.T) {
	tests := []struct {
		cmd  string
		want uint16
	}{
		{"destroy", reqDestroy}, {"shutdown", reqShutdown}, {"reboot", reqReboot}, {"pause", reqPause},
		{"unpause", reqStart}, {"suspend", reqSuspend}, {"resume", reqStart},
	}
	for _, tt := range tests {
		f := listFake()
		out, errOut, code := runApp(t, f, t.TempDir(), nil, tt.cmd, "web")
		p := f.params["RequestStateChange"]
		if code != 0 || out != "" || errOut != "" || len(p) != 1 || p[0].Value != tt.want {
			t.Errorf("%s: %d %q %q params %+v", tt.cmd, code, out, errOut, p)
		}
	}
	f := listFake()
	f.methods["RequestStateChange"] = func([]cim.ParamValue) (any, []cim.ParamValue, error) {
		return nil, nil, &cim.Error{Code: 1, Description: "Domain 'web' is not running."}
	}
	if _, errOut, code := runApp(t, f, t.TempDir(), nil, "pause", "u-web"); code != 1 || errOut != "Error: Domain 'web' is not running.\n" {
		t.Errorf("refused pause: %d %q", code, errOut)
	}
}
