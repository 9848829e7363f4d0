package acm

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// snapshot returns every file below dir with its bytes.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openAdmin(t testing.TB, dir string, opts AdminOptions) *Admin {
	t.Helper()
	a, err := OpenAdmin(dir, opts)
	if err != nil {
		t.Fatalf("OpenAdmin() = %v", err)
	}
	return a
}

var (
	dom0Only = RunningState{Domains: []RunningDomain{{ID: 0, SSIDRef: 0x00010001}}}
	// under acme: bank (1), oil (3), Auditor (2), with channels to Domain-0
	acmeDom0  = RunningDomain{ID: 0, SSIDRef: 0x00010001}
	acmeBank  = RunningDomain{ID: 1, SSIDRef: 0x00030003}
	acmeAudit = RunningDomain{ID: 2, SSIDRef: 0x00020002}
	acmeOil   = RunningDomain{ID: 3, SSIDRef: 0x00040004}
)

func runningWithDom0(ds ...RunningDomain) RunningState {
	r := RunningState{}
	for _, d := range ds {
		r.Domains = append(r.Domains, d)
		if d.ID != 0 {
			r.Channels = append(r.Channels, Channel{A: d.ID, B: 0}, Channel{A: d.ID, B: 0, Grant: true})
		}
	}
	r.Domains = append(r.Domains, acmeDom0)
	return r
}

// acmeNext returns acme 1.1 (FromPolicy acme 1.0) with the edits applied.
func acmeNext(t testing.TB, pairs ...string) []byte {
	t.Helper()
	return []byte(edit(t, acmeXML(t), append([]string{"<Version>1.0</Version>",
		"<Version>1.1</Version><FromPolicy><PolicyName>acme</PolicyName><Version>1.0</Version></FromPolicy>"}, pairs...)...))
}

// checkState asserts what the admin and its engine report.
func checkState(t *testing.T, a *Admin, name string, flags uint32, enforced string) {
	t.Helper()
	got := a.GetPolicy()
	if got.Name != name || got.Flags != flags || got.Type != PolicyTypeACM {
		t.Errorf("GetPolicy() = %s flags %d type %d, want %s flags %d", got.Name, got.Flags, got.Type, name, flags)
	}
	if n := a.Engine().Policy().Name(); n != enforced {
		t.Errorf("enforced policy = %s, want %s", n, enforced)
	}
}

func TestAdminNewStore(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, dir, AdminOptions{Rand: bytes.NewReader(bytes.Repeat([]byte{0xab}, 16))})
	checkState(t, a, "DEFAULT", FlagBoot|FlagLoad, "DEFAULT")
	info := a.GetPolicy()
	if info.Ref != "abababab-abab-4bab-abab-abababababab" {
		t.Errorf("Ref = %s", info.Ref)
	}
	if !bytes.Equal(info.XML, DefaultXML("")) || !bytes.Equal(info.Binary, compileDefault(t).Binary()) || info.Version != "1.0" {
		t.Errorf("GetPolicy() XML/Binary/Version differ from the built-in DEFAULT")
	}
	if info.Map != compileDefault(t).Map("") {
		t.Errorf("Map differs from the golden DEFAULT map")
	}
	for _, f := range []string{"gen/00000001/policies/DEFAULT-security_policy.xml", "gen/00000001/policies/DEFAULT.map", "gen/00000001/policies/DEFAULT.bin", "state"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

func TestAdminFreshLoad(t *testing.T) {
	tests := []struct {
		name, file, policy string
		files              []string // below the generation's policies folder
		boot               string   // the boot copy's name
	}{
		{"DEFAULT", "", "DEFAULT", []string{"DEFAULT-security_policy.xml", "DEFAULT.map", "DEFAULT.bin"}, ""},
		{"acme", "acme-security_policy.xml", "acme", []string{"acme-security_policy.xml", "acme.map", "acme.bin"}, "acme.bin"},
		{"test-wld", "test-wld-security_policy.xml", "example.chwall_ste.test-wld",
			[]string{"example/chwall_ste/test-wld-security_policy.xml", "example/chwall_ste/test-wld.map", "example/chwall_ste/test-wld.bin"}, "example.chwall_ste.test-wld.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := openAdmin(t, dir, AdminOptions{})
			ref := a.GetPolicy().Ref
			xml := DefaultXML("")
			if tt.file != "" {
				xml = readTestdata(t, tt.file)
			}
			res, err := a.SetPolicy(xml, FlagLoad|FlagBoot, false, dom0Only)
			if err != nil {
				t.Fatalf("SetPolicy() = %v", err)
			}
			if res.Code != XSErrSuccess || res.Ref != ref || res.Flags != FlagBoot|FlagLoad || res.Version != "1.0" {
				t.Errorf("Result = %+v", res)
			}
			if res.Plan == nil || !slices.Equal(res.Plan.SSIDRefs, []uint32{0x00010001}) {
				t.Errorf("Plan = %+v", res.Plan)
			}
			checkState(t, a, tt.policy, FlagBoot|FlagLoad, tt.policy)
			if !bytes.Equal(a.GetPolicy().XML, xml) {
				t.Error("GetPolicy().XML is not the document set")
			}
			gen := filepath.Join(dir, "gen", fmt.Sprintf("%08d", a.state.Generation))
			for _, f := range tt.files {
				if _, err := os.Stat(filepath.Join(gen, "policies", f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			if tt.boot != "" {
				b, err := os.ReadFile(filepath.Join(gen, "boot", tt.boot))
				if err != nil || !bytes.Equal(b, a.GetPolicy().Binary) {
					t.Errorf("boot copy %s: %v", tt.boot, err)
				}
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "gen")); len(entries) != 1 {
				t.Errorf("%d generations on disk, want 1", len(entries))
			}
			// Management restart, then host boot: the same policy stays.
			b := openAdmin(t, dir, AdminOptions{})
			checkState(t, b, tt.policy, FlagBoot|FlagLoad, tt.policy)
			if b.GetPolicy().Ref != ref {
				t.Error("reference changed on restart")
			}
			c := openAdmin(t, dir, AdminOptions{ResetHost: true})
			checkState(t, c, tt.policy, FlagBoot|FlagLoad, tt.policy)
		})
	}
}

// loadedAcme returns an admin with acme loaded (load+boot) in dir.
func loadedAcme(t *testing.T, dir string) *Admin {
	t.Helper()
	a := openAdmin(t, dir, AdminOptions{})
	if _, err := a.SetPolicy(readTestdata(t, "acme-security_policy.xml"), FlagLoad|FlagBoot, true, dom0Only); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAdminRefused checks refusals: exact codes and tuples, and that
// nothing changed in memory, in the engine or on disk.
func TestAdminRefused(t *testing.T) {
	deleteAuditor := []string{"<VirtualMachineLabel>\n        <Name>Auditor</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>Shared</Type>\n        </SimpleTypeEnforcementTypes>\n      </VirtualMachineLabel>", ""}
	bankOnlyBank := []string{"<Name>bank</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>Bank</Type>\n          <Type>Shared</Type>", "<Name>bank</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>Bank</Type>"}
	wld := readTestdata(t, "test-wld-security_policy.xml")
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) *Admin
		op      func(t *testing.T, a *Admin) (*Result, error)
		code    XSErr
		fault   bool
		tuples  []ErrorTuple
		message string
	}{
		{name: "update without load flag", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(acmeNext(t), FlagBoot, true, dom0Only)
			},
			code: XSErrPolicyLoaded, fault: true},
		{name: "update with broken XML", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy([]byte("<SecurityPolicyDefinition"), FlagLoad, true, dom0Only)
			},
			code: XSErrXMLProcessing},
		{name: "update with bad policy name", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(bytes.Replace(acmeNext(t), []byte("<PolicyName>acme</PolicyName>\n    <Date>"), []byte("<PolicyName>a:b</PolicyName>\n    <Date>"), 1), FlagLoad, true, dom0Only)
			},
			code: XSErrXMLProcessing},
		{name: "update without FromPolicy", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(readTestdata(t, "acme-security_policy.xml"), FlagLoad, true, dom0Only)
			},
			code: XSErrVersionPreventsUpdate},
		{name: "update to test-wld without FromPolicy", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(wld, FlagLoad|FlagBoot, true, dom0Only)
			},
			code: XSErrVersionPreventsUpdate},
		{name: "rename of a missing label", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(acmeNext(t, "<Name>oil</Name>", `<Name from="ghost">oil</Name>`), FlagLoad, true, dom0Only)
			},
			code: XSErrBadLabel},
		{name: "deleted label in use", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(acmeNext(t, deleteAuditor...), FlagLoad, true, runningWithDom0(acmeAudit))
			},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVSSIDRefInUse, 2}}, message: "A domain used SSIDREF 2"},
		{name: "new Chinese Wall conflict", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(acmeNext(t, "</ConflictSets>", `<Conflict name="x"><Type>Bank</Type><Type>SystemManagement</Type></Conflict></ConflictSets>`), FlagLoad, true, runningWithDom0(acmeBank))
			},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVChwallConflict, 2}}},
		{name: "broken event channel", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				r := RunningState{Domains: []RunningDomain{acmeAudit, acmeBank, acmeDom0}, Channels: []Channel{{A: 1, B: 2}}}
				return a.SetPolicy(acmeNext(t, bankOnlyBank...), FlagLoad, true, r)
			},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVEvtchnSharingViolation, 1<<16 | 2}}, message: "event channel sharing violation between domains 1 and 2"},
		{name: "resource unreachable", setup: loadedAcme,
			op: func(t *testing.T, a *Admin) (*Result, error) {
				d := acmeBank
				d.Resources = []string{"shared-disk"}
				return a.SetPolicy(acmeNext(t, bankOnlyBank...), FlagLoad, true, runningWithDom0(d))
			},
			code: XSErrResourceAccess},
		{name: "reset with a labeled guest", setup: loadedAcme,
			op:   func(t *testing.T, a *Admin) (*Result, error) { return a.ResetPolicy(runningWithDom0(acmeBank)) },
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVSSIDRefInUse, 3}}},
		{name: "fresh load with bad policy name",
			setup: func(t *testing.T, dir string) *Admin { return openAdmin(t, dir, AdminOptions{}) },
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy([]byte(edit(t, acmeXML(t), "<PolicyName>acme</PolicyName>", "<PolicyName>a:b</PolicyName>")), FlagLoad, false, dom0Only)
			},
			code: XSErrBadPolicyName, fault: true},
		{name: "fresh load of test-wld strands an unlabeled guest",
			setup: func(t *testing.T, dir string) *Admin { return openAdmin(t, dir, AdminOptions{}) },
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(wld, FlagLoad, false, runningWithDom0(RunningDomain{ID: 5, SSIDRef: 0}))
			},
			code: XSErrHVOpFailed, fault: true, tuples: []ErrorTuple{{HVEvtchnSharingViolation, 0<<16 | 5}}},
		{name: "fresh load over a managed boot policy",
			setup: func(t *testing.T, dir string) *Admin {
				a := openAdmin(t, dir, AdminOptions{})
				if _, err := a.SetPolicy(readTestdata(t, "acme-security_policy.xml"), FlagBoot, false, dom0Only); err != nil {
					t.Fatal(err)
				}
				return a
			},
			op: func(t *testing.T, a *Admin) (*Result, error) {
				return a.SetPolicy(wld, FlagLoad|FlagBoot, false, dom0Only)
			},
			code: XSErrBootPolicyInstalled, fault: true},
		{name: "fresh load over a managed policy",
			setup: func(t *testing.T, dir string) *Admin {
				a := openAdmin(t, dir, AdminOptions{})
				if _, err := a.SetPolicy(readTestdata(t, "acme-security_policy.xml"), FlagNone, false, dom0Only); err != nil {
					t.Fatal(err)
				}
				return a
			},
			op:   func(t *testing.T, a *Admin) (*Result, error) { return a.SetPolicy(wld, FlagLoad, false, dom0Only) },
			code: XSErrBootPolicyInstalled, fault: true},
		{name: "activate strands an unlabeled guest",
			setup: func(t *testing.T, dir string) *Admin {
				a := openAdmin(t, dir, AdminOptions{})
				if _, err := a.SetPolicy(wld, FlagBoot, false, dom0Only); err != nil {
					t.Fatal(err)
				}
				return a
			},
			op: func(t *testing.T, a *Admin) (*Result, error) {
				_, err := a.ActivatePolicy(FlagLoad, runningWithDom0(RunningDomain{ID: 5, SSIDRef: 0}))
				return &Result{Code: CodeOf(err), Fault: true}, err
			},
			code: XSErrHVOpFailed, fault: true, message: "event channel sharing violation between domains 0 and 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := tt.setup(t, dir)
			before, info, pol, live := snapshot(t, dir), a.GetPolicy(), a.Engine().Policy(), a.Engine().LiveBinary()
			res, err := tt.op(t, a)
			if !errors.Is(err, tt.code) {
				t.Fatalf("error = %v, want %v", err, tt.code)
			}
			if res.Code != tt.code || res.Fault != tt.fault || !slices.Equal(res.Errors, tt.tuples) {
				t.Errorf("Result = code %v fault %v errors %v, want %v %v %v", res.Code, res.Fault, res.Errors, tt.code, tt.fault, tt.tuples)
			}
			if tt.message != "" && !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
			after := snapshot(t, dir)
			if len(after) != len(before) {
				t.Errorf("files: %d before, %d after", len(before), len(after))
			}
			for p, b := range before {
				if after[p] != b {
					t.Errorf("%s changed", p)
				}
			}
			got := a.GetPolicy()
			if got.Name != info.Name || got.Flags != info.Flags || got.Ref != info.Ref || !bytes.Equal(got.XML, info.XML) {
				t.Errorf("GetPolicy() changed: %s %d → %s %d", info.Name, info.Flags, got.Name, got.Flags)
			}
			if a.Engine().Policy() != pol || !bytes.Equal(a.Engine().LiveBinary(), live) {
				t.Error("the engine changed")
			}
			// A management restart finds the same policy in force.
			b := openAdmin(t, dir, AdminOptions{})
			if got := b.GetPolicy(); got.Name != info.Name || got.Flags != info.Flags || got.Ref != info.Ref || !bytes.Equal(got.Binary, info.Binary) {
				t.Errorf("after restart: %s %d, want %s %d", got.Name, got.Flags, info.Name, info.Flags)
			}
		})
	}
}

func TestAdminUpdateWithRename(t *testing.T) {
	dir := t.TempDir()
	a := loadedAcme(t, dir)
	ref := a.GetPolicy().Ref
	oil := acmeOil
	oil.Resources = []string{"oil-disk", "shared-disk"}
	running := runningWithDom0(oil)
	if tuple := a.Engine().Install(a.Engine().Policy(), running.refs()); tuple != nil {
		t.Fatalf("Install() = %v", tuple)
	}
	next := acmeNext(t, "<Name>oil</Name>", `<Name from="oil">petrol</Name>`, "<Name>oil-disk</Name>", `<Name from="oil-disk">petrol-disk</Name>`)
	res, err := a.SetPolicy(next, FlagLoad, true, running)
	if err != nil {
		t.Fatalf("SetPolicy() = %v", err)
	}
	if res.Ref != ref || res.Flags != FlagLoad || res.Version != "1.1" || res.OldFlags != FlagBoot|FlagLoad {
		t.Errorf("Result = %+v", res)
	}
	if !slices.Equal(res.Plan.VMLabels, []string{"ACM:acme:petrol", "ACM:acme:SystemManagement"}) || !slices.Equal(res.Plan.Changed, [][2]uint32{{4, 4}}) {
		t.Errorf("Plan = %+v", res.Plan)
	}
	if res.Old.Name() != "acme" || res.New != a.Engine().Policy() {
		t.Error("Result.Old/New do not name the policies")
	}
	for _, c := range []struct{ got, want string }{
		{res.VMLabel("oil"), "ACM:acme:petrol"},
		{res.VMLabel("bank"), "ACM:acme:bank"},
		{res.VMLabel("__UNLABELED__"), "ACM:acme:__UNLABELED__"},
		{res.VMLabel("ghost"), "INV_ACM:acme:ghost"},
	} {
		if c.got != c.want {
			t.Errorf("label = %q, want %q", c.got, c.want)
		}
	}
	checkState(t, a, "acme", FlagLoad, "acme")
	if _, ok := a.Engine().Policy().VMSSIDRef("petrol"); !ok {
		t.Error("the engine does not enforce the renamed label")
	}
	running2, _ := a.Engine().Counters()
	if !slices.Equal(running2, []uint16{0, 1, 1}) { // Bank, Oil, SystemManagement
		t.Errorf("running types = %v", running2)
	}
	// Restart (with the domains still running), then host boot: no boot
	// policy any more, so DEFAULT.
	b := openAdmin(t, dir, AdminOptions{Running: RunningState{Domains: []RunningDomain{{ID: 3, SSIDRef: 0x00040004}, acmeDom0}}})
	checkState(t, b, "acme", FlagLoad, "acme")
	if b.GetPolicy().Version != "1.1" || b.GetPolicy().Ref != ref {
		t.Errorf("after restart: %+v", b.GetPolicy())
	}
	if r, _ := b.Engine().Counters(); !slices.Equal(r, []uint16{0, 1, 1}) {
		t.Errorf("running types after restart = %v", r)
	}
	if err := b.Boot(); err != nil {
		t.Fatal(err)
	}
	checkState(t, b, "DEFAULT", FlagBoot|FlagLoad, "DEFAULT")
	if b.GetPolicy().Ref != ref {
		t.Error("reference changed on boot")
	}
}

func TestAdminReset(t *testing.T) {
	dir := t.TempDir()
	a := loadedAcme(t, dir)
	ref := a.GetPolicy().Ref
	// Domain-0 runs as Auditor: the reset renames it to SystemManagement.
	running := RunningState{Domains: []RunningDomain{{ID: 4, SSIDRef: 0}, {ID: 0, SSIDRef: 0x00020002}},
		Channels: []Channel{{A: 4, B: 0}}}
	res, err := a.ResetPolicy(running)
	if err != nil {
		t.Fatalf("ResetPolicy() = %v", err)
	}
	if res.Ref != ref || res.Flags != FlagBoot|FlagLoad || res.Version != "1.0" || res.Fault {
		t.Errorf("Result = %+v", res)
	}
	if !slices.Equal(res.Plan.SSIDRefs, []uint32{0, 0x00010001}) {
		t.Errorf("SSIDRefs = %#x", res.Plan.SSIDRefs)
	}
	checkState(t, a, "DEFAULT", FlagBoot|FlagLoad, "DEFAULT")
	if got := res.VMLabel("Auditor"); got != "INV_ACM:acme:Auditor" {
		t.Errorf("VMLabel(Auditor) after reset = %q: only Domain-0 is renamed", got)
	}
	if got := res.VMLabel("__UNLABELED__"); got != "ACM:DEFAULT:__UNLABELED__" {
		t.Errorf("VMLabel(__UNLABELED__) = %q", got)
	}
	if !bytes.Equal(a.GetPolicy().XML, DefaultXML("Auditor")) {
		t.Error("the managed XML is not the reset document")
	}
	b := openAdmin(t, dir, AdminOptions{})
	checkState(t, b, "DEFAULT", FlagBoot|FlagLoad, "DEFAULT")
	if b.GetPolicy().Ref != ref {
		t.Error("reference changed")
	}
	// A second reset, from DEFAULT, passes too.
	if _, err := b.ResetPolicy(dom0Only); err != nil {
		t.Errorf("ResetPolicy() from DEFAULT = %v", err)
	}
}

func TestAdminActivateAndRemoveBoot(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, dir, AdminOptions{})
	res, err := a.SetPolicy(readTestdata(t, "test-wld-security_policy.xml"), FlagBoot, false, dom0Only)
	if err != nil || res.Flags != FlagBoot || res.Plan != nil {
		t.Fatalf("SetPolicy(boot) = %+v, %v", res, err)
	}
	const wld = "example.chwall_ste.test-wld"
	steps := []struct {
		name     string
		op       func() error
		flags    uint32
		enforced string
		managed  string
	}{
		{"boot only", func() error { return nil }, FlagBoot, "DEFAULT", wld},
		{"restart keeps it unloaded", func() error { a = openAdmin(t, dir, AdminOptions{}); return nil }, FlagBoot, "DEFAULT", wld},
		{"activate load", func() error {
			f, err := a.ActivatePolicy(FlagLoad, dom0Only)
			if f != FlagLoad {
				return fmt.Errorf("ActivatePolicy() = %d", f)
			}
			return err
		}, FlagBoot | FlagLoad, wld, wld},
		{"remove boot", func() error { return a.RemoveBootPolicy() }, FlagLoad, wld, wld},
		{"restart", func() error { a = openAdmin(t, dir, AdminOptions{}); return nil }, FlagLoad, wld, wld},
		{"activate boot", func() error { _, err := a.ActivatePolicy(FlagBoot, dom0Only); return err }, FlagBoot | FlagLoad, wld, wld},
		{"host boot keeps the boot policy", func() error { return a.Boot() }, FlagBoot | FlagLoad, wld, wld},
		{"remove boot again", func() error { return a.RemoveBootPolicy() }, FlagLoad, wld, wld},
		{"host boot enforces DEFAULT", func() error { a = openAdmin(t, dir, AdminOptions{ResetHost: true}); return nil }, FlagBoot | FlagLoad, "DEFAULT", "DEFAULT"},
	}
	for _, s := range steps {
		if err := s.op(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		t.Run(s.name, func(t *testing.T) { checkState(t, a, s.managed, s.flags, s.enforced) })
	}
}

// TestAdminCrash interrupts operations after the new files are written and
// before the state switch: a reopen finds the old state in force and no
// trace of the new generation.
func TestAdminCrash(t *testing.T) {
	crash := errors.New("crash")
	tests := []struct {
		name string
		op   func(t *testing.T, a *Admin) error
	}{
		{"update", func(t *testing.T, a *Admin) error {
			_, err := a.SetPolicy(acmeNext(t), FlagLoad|FlagBoot, true, dom0Only)
			return err
		}},
		{"reset", func(t *testing.T, a *Admin) error { _, err := a.ResetPolicy(dom0Only); return err }},
		{"remove boot", func(t *testing.T, a *Admin) error { return a.RemoveBootPolicy() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := loadedAcme(t, dir)
			before, pol := snapshot(t, dir), a.Engine().Policy()
			a.beforeSwitch = func() error { return crash }
			if err := tt.op(t, a); !errors.Is(err, crash) {
				t.Fatalf("op = %v, want the crash", err)
			}
			if a.Engine().Policy() != pol || a.GetPolicy().Flags != FlagBoot|FlagLoad {
				t.Error("the interrupted operation changed memory")
			}
			if len(snapshot(t, dir)) <= len(before) {
				t.Error("the crash left no new files: the test proves nothing")
			}
			b := openAdmin(t, dir, AdminOptions{})
			checkState(t, b, "acme", FlagBoot|FlagLoad, "acme")
			if b.GetPolicy().Version != "1.0" {
				t.Errorf("Version = %s", b.GetPolicy().Version)
			}
			after := snapshot(t, dir)
			if len(after) != len(before) {
				t.Errorf("files after reopen: %d, want %d", len(after), len(before))
			}
			for p, v := range before {
				if after[p] != v {
					t.Errorf("%s changed", p)
				}
			}
		})
	}
}

func TestAdminDamagedStore(t *testing.T) {
	tests := []struct {
		name   string
		damage func(a *Admin) (string, []byte) // file, new content (nil: remove)
		warn   string
	}{
		{"tampered XML", func(a *Admin) (string, []byte) {
			return PolicyXMLPath(a.st.policiesDir(a.state.Generation), "acme"), []byte("tampered")
		}, "hash"},
		{"missing XML", func(a *Admin) (string, []byte) {
			return PolicyXMLPath(a.st.policiesDir(a.state.Generation), "acme"), nil
		}, "read policy"},
		{"tampered binary", func(a *Admin) (string, []byte) {
			return PolicyFilePath(a.st.policiesDir(a.state.Generation), "acme", ".bin"), []byte{1, 2, 3}
		}, "does not match its XML"},
		{"missing boot copy", func(a *Admin) (string, []byte) { return a.st.bootPath(a.state.Generation, "acme"), nil }, "boot policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := loadedAcme(t, dir)
			ref := a.GetPolicy().Ref
			file, data := tt.damage(a)
			var err error
			if data == nil {
				err = os.Remove(file)
			} else {
				err = os.WriteFile(file, data, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			b := openAdmin(t, dir, AdminOptions{})
			checkState(t, b, "DEFAULT", FlagBoot|FlagLoad, "DEFAULT")
			if b.GetPolicy().Ref != ref {
				t.Error("reference changed")
			}
			if w := b.Warnings(); len(w) != 1 || !strings.Contains(w[0], "policy acme") || !strings.Contains(w[0], tt.warn) {
				t.Errorf("Warnings() = %q, want one naming acme and %q", w, tt.warn)
			}
			if w := openAdmin(t, dir, AdminOptions{}).Warnings(); len(w) != 0 {
				t.Errorf("Warnings() after the repair = %q", w)
			}
		})
	}
	dir := t.TempDir()
	openAdmin(t, dir, AdminOptions{})
	if err := os.WriteFile(filepath.Join(dir, "state"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAdmin(dir, AdminOptions{}); !errors.Is(err, XSErrFileError) || CodeOf(err) != XSErrFileError {
		t.Errorf("OpenAdmin(broken state) = %v, want FILE_ERROR", err)
	}
}

// TestAdminConcurrent runs readers against updates; -race checks it.
func TestAdminConcurrent(t *testing.T) {
	a := loadedAcme(t, t.TempDir())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if p := a.GetPolicy(); p.Name != "acme" || p.Ref == "" {
				t.Errorf("GetPolicy() = %s", p.Name)
			}
			a.Engine().Sharing(0x00010001, 0x00030003)
		}
	}()
	doc := acmeXML(t)
	for v := range 5 {
		next := strings.Replace(doc, "<Version>1.0</Version>",
			fmt.Sprintf("<Version>1.%d</Version><FromPolicy><PolicyName>acme</PolicyName><Version>1.%d</Version></FromPolicy>", v+1, v), 1)
		if _, err := a.SetPolicy([]byte(next), FlagLoad, false, dom0Only); err != nil {
			t.Fatalf("update %d: %v", v+1, err)
		}
	}
	<-done
	if got := a.GetPolicy().Version; got != "1.5" {
		t.Errorf("Version = %s, want 1.5", got)
	}
}

// BenchmarkAdminUpdate updates a policy of 1,000 labels through Admin while
// 1,000 domains run, each with an event channel and a grant with Domain-0:
// parse, compile, checks, files written and synced, engine install.
func BenchmarkAdminUpdate(b *testing.B) {
	base := bigPolicy(1000, 200)
	a, err := OpenAdmin(b.TempDir(), AdminOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.SetPolicy(base, FlagLoad, false, dom0Only); err != nil {
		b.Fatal(err)
	}
	old := a.Engine().Policy()
	running := RunningState{Domains: []RunningDomain{{ID: 0, SSIDRef: 0x00010001}}}
	for i := 1; len(running.Domains) < 1000; i++ {
		if t := i % 200; t%10 == 0 || t%10 == 1 {
			continue
		}
		id := uint32(len(running.Domains))
		r, _ := old.VMSSIDRef(fmtLabel(i % 1000))
		running.Domains = append(running.Domains, RunningDomain{ID: id, SSIDRef: r})
		running.Channels = append(running.Channels, Channel{A: id, B: 0}, Channel{A: id, B: 0, Grant: true})
	}
	b.ReportAllocs()
	v := 0
	for b.Loop() {
		doc := bytes.Replace(base, []byte("<Version>1.0</Version>"),
			fmt.Appendf(nil, "<Version>1.%d</Version><FromPolicy><PolicyName>big</PolicyName><Version>1.%d</Version></FromPolicy>", v+1, v), 1)
		if _, err := a.SetPolicy(doc, FlagLoad, false, running); err != nil {
			b.Fatal(err)
		}
		v++
	}
}

// TestAdminUpdateAccepted updates acme and test-wld in place while a
// domain runs on the renamed label: the domain's new ssidref follows the
// label, the engine enforces the new version, and a restart keeps it.
func TestAdminUpdateAccepted(t *testing.T) {
	tests := []struct {
		name, file, policy, label, renamed string
	}{
		{"acme", "acme-security_policy.xml", "acme", "bank", "zbank"},
		{"test-wld", "test-wld-security_policy.xml", "example.chwall_ste.test-wld", "Avis", "Zavis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := openAdmin(t, dir, AdminOptions{})
			doc := string(readTestdata(t, tt.file))
			if _, err := a.SetPolicy([]byte(doc), FlagLoad|FlagBoot, false, dom0Only); err != nil {
				t.Fatal(err)
			}
			ref := a.GetPolicy().Ref
			old := a.Engine().Policy()
			r, _ := old.VMSSIDRef(tt.label)
			running := runningWithDom0(RunningDomain{ID: 7, SSIDRef: r})
			next := edit(t, doc, "<Version>1.0</Version>",
				"<Version>2.0</Version><FromPolicy><PolicyName>"+tt.policy+"</PolicyName><Version>1.0</Version></FromPolicy>",
				"<Name>"+tt.label+"</Name>", `<Name from="`+tt.label+`">`+tt.renamed+"</Name>")
			res, err := a.SetPolicy([]byte(next), FlagLoad|FlagBoot, false, running)
			if err != nil {
				t.Fatalf("SetPolicy(update) = %v", err)
			}
			want, ok := a.Engine().Policy().VMSSIDRef(tt.renamed)
			if !ok || res.Plan.SSIDRefs[0] != want || res.Plan.VMLabels[0] != "ACM:"+tt.policy+":"+tt.renamed {
				t.Errorf("Plan = %+v, want ssidref %#x", res.Plan, want)
			}
			if res.Ref != ref || res.Version != "2.0" || res.Flags != FlagBoot|FlagLoad || len(res.Errors) != 0 {
				t.Errorf("Result = %+v", res)
			}
			b := openAdmin(t, dir, AdminOptions{ResetHost: true})
			checkState(t, b, tt.policy, FlagBoot|FlagLoad, tt.policy)
			if v := b.GetPolicy().Version; v != "2.0" {
				t.Errorf("after host boot: version %s", v)
			}
		})
	}
}

// TestAdminChangePolicyHook routes the load through a hypervisor hook: a
// refusal there changes nothing; an acceptance commits, and the hook (not
// the admin) installs into the engine.
func TestAdminChangePolicyHook(t *testing.T) {
	hvRefuses := &Error{Code: XSErrHVOpFailed, Msg: "hypervisor says no"}
	tests := []struct {
		name    string
		hookErr error
		want    string // the managed policy's version afterwards
	}{
		{"refused", hvRefuses, "1.0"},
		{"accepted", nil, "1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			loadedAcme(t, dir)
			var calls []string
			eng := NewEngine(compileDefault(t))
			a := openAdmin(t, dir, AdminOptions{Engine: eng, ChangePolicy: func(next *Compiled, plan *UpdatePlan) error {
				calls = append(calls, fmt.Sprintf("%s %s %x", next.Name(), next.Policy().Version, plan.SSIDRefs))
				if tt.hookErr != nil {
					return tt.hookErr
				}
				if tuple := eng.Install(next, plan.SSIDRefs); tuple != nil {
					return hvError([]ErrorTuple{*tuple})
				}
				return nil
			}})
			before := snapshot(t, dir)
			_, err := a.SetPolicy(acmeNext(t), FlagLoad|FlagBoot, false, dom0Only)
			if !errors.Is(err, tt.hookErr) || (tt.hookErr == nil) != (err == nil) {
				t.Fatalf("SetPolicy() = %v, want %v", err, tt.hookErr)
			}
			if !slices.Equal(calls, []string{"acme 1.1 [10001]"}) {
				t.Errorf("hook calls = %q", calls)
			}
			if v := a.GetPolicy().Version; v != tt.want {
				t.Errorf("Version = %s, want %s", v, tt.want)
			}
			if v := eng.Policy().Policy().Version; v != tt.want {
				t.Errorf("engine enforces version %s, want %s", v, tt.want)
			}
			if tt.hookErr != nil && len(snapshot(t, dir)) != len(before) {
				t.Error("a refused load left files behind")
			}
		})
	}
}
