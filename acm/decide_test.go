package acm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func ref(t testing.TB, c *Compiled, label string) uint32 {
	t.Helper()
	r, ok := c.VMSSIDRef(label)
	if !ok {
		t.Fatalf("VMSSIDRef(%q) not found", label)
	}
	return r
}

func resRef(t testing.TB, c *Compiled, label string) uint32 {
	t.Helper()
	r, ok := c.ResourceSSIDRef(label)
	if !ok {
		t.Fatalf("ResourceSSIDRef(%q) not found", label)
	}
	return r
}

func TestSSIDRefs(t *testing.T) {
	acme := loadFile(t, "acme-security_policy.xml")
	wld := loadFile(t, "test-wld-security_policy.xml")
	tests := []struct {
		c     *Compiled
		label string
		res   bool
		want  uint32
	}{
		{acme, "__UNLABELED__", false, 0},
		{acme, "SystemManagement", false, 0x00010001},
		{acme, "Auditor", false, 0x00020002}, // 'A' < 'b': byte order
		{acme, "bank", false, 0x00030003},
		{acme, "oil", false, 0x00040004},
		{acme, "bank-disk", true, 0x00050000},
		{acme, "shared-disk", true, 0x00070000},
		{acme, "__UNLABELED__", true, 0},
		{wld, "SystemManagement", false, 0x00010001},
		{wld, "CocaCola.HumanResources", false, 0x00050005},
		{wld, "PepsiCo.Intranet", false, 0x000b000b},
		{wld, "Avis", true, 0x000c0000}, // same name as a VM label, another ssidref
		{wld, "SystemManagement", true, 0x00160000},
	}
	for _, tt := range tests {
		get := tt.c.VMSSIDRef
		if tt.res {
			get = tt.c.ResourceSSIDRef
		}
		if got, ok := get(tt.label); !ok || got != tt.want {
			t.Errorf("%s %s (res %v) = %#08x, %v, want %#08x", tt.c.Name(), tt.label, tt.res, got, ok, tt.want)
		}
	}
	if _, ok := acme.VMSSIDRef("nope"); ok {
		t.Error("VMSSIDRef(nope) found")
	}
	if l, ok := wld.VMLabelOf(0x00090009); !ok || l != "PepsiCo" {
		t.Errorf("VMLabelOf(9) = %q, %v", l, ok)
	}
	if _, ok := wld.VMLabelOf(0x00400040); ok {
		t.Error("VMLabelOf(out of range) found")
	}
	if !acme.HasUnlabeled() || wld.HasUnlabeled() {
		t.Error("HasUnlabeled")
	}
	if got := wld.VMLabels()[:3]; !slices.Equal(got, []string{"__UNLABELED__", "SystemManagement", "Avis"}) {
		t.Errorf("VMLabels() = %v", got)
	}
}

func TestSharingAccessAuthorization(t *testing.T) {
	c := loadFile(t, "acme-security_policy.xml")
	dom0 := ref(t, c, "SystemManagement")
	bank, oil, aud, unl := ref(t, c, "bank"), ref(t, c, "oil"), ref(t, c, "Auditor"), uint32(0)
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"bank shares with oil via Shared", c.Sharing(bank, oil), true},
		{"auditor shares with bank", c.Sharing(aud, bank), true},
		{"unlabeled shares with dom0", c.Sharing(unl, dom0), true},
		{"unlabeled does not share with bank", c.Sharing(unl, bank), false},
		{"out of range denies", c.Sharing(0x00400000, dom0), false},
		{"symmetric", c.Sharing(oil, bank) == c.Sharing(bank, oil), true},
		{"bank reaches bank-disk", c.Access(bank, resRef(t, c, "bank-disk")), true},
		{"bank does not reach oil-disk", c.Access(bank, resRef(t, c, "oil-disk")), false},
		{"oil reaches shared-disk", c.Access(oil, resRef(t, c, "shared-disk")), true},
		{"unlabeled reaches unlabeled resource", c.Access(unl, 0), true},
		{"auditor cannot reach bank-disk", c.Access(aud, resRef(t, c, "bank-disk")), false},
		{"dom0 authorizes bank", c.Authorized(dom0, bank), true},
		{"dom0 authorizes unlabeled", c.Authorized(dom0, unl), true},
		{"bank as dom0 does not authorize oil", c.Authorized(bank, oil), false},
		{"bank as dom0 authorizes auditor (superset)", c.Authorized(bank, aud), true},
		{"auditor as dom0 does not authorize bank (not superset)", c.Authorized(aud, bank), false},
		{"out of range is never authorized", c.Authorized(dom0, 0x00400040), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// A VM with no STE types is never authorized (acm.md §3.1).
	noSTE := edit(t, acmeXML(t), "<Name>Auditor</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>Shared</Type>\n        </SimpleTypeEnforcementTypes>", "<Name>Auditor</Name>")
	p, err := Parse([]byte(noSTE))
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := Compile(p)
	if c2.Authorized(dom0, ref(t, c2, "Auditor")) {
		t.Error("a VM without STE types is authorized")
	}
}

func TestChineseWallAccounting(t *testing.T) {
	c := loadFile(t, "test-wld-security_policy.xml")
	typ := func(name string) int { i, _ := slices.BinarySearch(c.chwTypes, name); return i }
	type step struct {
		op    string // "create", "destroy"
		label string
		err   XSErr
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"coke then pepsi conflicts", []step{{"create", "CocaCola", 0}, {"create", "PepsiCo", XSErrVMInConflict}}},
		{"pepsi department conflicts with coke", []step{{"create", "CocaCola.Intranet", 0}, {"create", "PepsiCo.Extranet", XSErrVMInConflict}}},
		{"same type twice is fine", []step{{"create", "CocaCola", 0}, {"create", "CocaCola", 0}, {"create", "CocaCola.Intranet", 0}}},
		{"extranet and payroll exclude", []step{{"create", "CocaCola.Extranet", 0}, {"create", "CocaCola.Payroll", XSErrVMInConflict}, {"create", "CocaCola.HumanResources", 0}}},
		{"destroy frees the wall", []step{{"create", "CocaCola", 0}, {"destroy", "CocaCola", 0}, {"create", "PepsiCo", 0}}},
		{"destroy of one of two keeps it", []step{{"create", "CocaCola", 0}, {"create", "CocaCola.Intranet", 0}, {"destroy", "CocaCola", 0}, {"create", "PepsiCo", XSErrVMInConflict}}},
		{"unrelated orgs run", []step{{"create", "SystemManagement", 0}, {"create", "Avis", 0}, {"create", "Hertz", 0}, {"create", "PepsiCo", 0}, {"create", "CocaCola", XSErrVMInConflict}}},
		{"out of range", []step{{"create", "", XSErrHVOpFailed}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := c.NewState()
			var running []uint32
			for _, st := range tt.steps {
				r := uint32(0x00400040)
				if st.label != "" {
					r = ref(t, c, st.label)
				}
				switch st.op {
				case "create":
					before := fmt.Sprint(s.Running(), s.Aggregate())
					conflict := s.InConflict(r)
					err := s.Create(r)
					if st.err == 0 && err != nil || st.err != 0 && !errors.Is(err, st.err) {
						t.Fatalf("Create(%s) = %v, want %v", st.label, err, st.err)
					}
					if st.err == XSErrVMInConflict && !conflict {
						t.Errorf("InConflict(%s) = false before a refused Create", st.label)
					}
					if err != nil {
						if after := fmt.Sprint(s.Running(), s.Aggregate()); after != before {
							t.Errorf("refused Create changed the state: %s → %s", before, after)
						}
						continue
					}
					running = append([]uint32{r}, running...)
				case "destroy":
					s.Destroy(r)
					i := slices.Index(running, r)
					running = slices.Delete(running, i, i+1)
				}
				// Invariant: the counters equal a recomputation from the running domains.
				re, tuple := c.Recompute(running)
				if tuple != nil {
					t.Fatalf("running domains %v conflict: %v", running, tuple)
				}
				if !slices.Equal(re.Running(), s.Running()) || !slices.Equal(re.Aggregate(), s.Aggregate()) {
					t.Fatalf("counters %v %v, recomputed %v %v", s.Running(), s.Aggregate(), re.Running(), re.Aggregate())
				}
			}
		})
	}
	// The exact counters of acm.md §3.2 for one CocaCola.Extranet domain:
	// running {CocaCola, CocaCola.Extranet}; aggregate +1 PepsiCo (set 1) and
	// +1 CocaCola.Payroll (set 2).
	s := c.NewState()
	if err := s.Create(ref(t, c, "CocaCola.Extranet")); err != nil {
		t.Fatal(err)
	}
	run, agg := s.Running(), s.Aggregate()
	for name, want := range map[string][2]uint16{"CocaCola": {1, 0}, "CocaCola.Extranet": {1, 0}, "PepsiCo": {0, 1}, "CocaCola.Payroll": {0, 1}, "Avis": {0, 0}} {
		if i := typ(name); run[i] != want[0] || agg[i] != want[1] {
			t.Errorf("%s: running %d aggregate %d, want %v", name, run[i], agg[i], want)
		}
	}
}

func TestRecomputeConflict(t *testing.T) {
	c := loadFile(t, "test-wld-security_policy.xml")
	pepsi := ref(t, c, "PepsiCo")
	coke := ref(t, c, "CocaCola")
	_, tuple := c.Recompute([]uint32{pepsi, coke})
	i, _ := slices.BinarySearch(c.chwTypes, "CocaCola")
	if tuple == nil || tuple.Code != HVChwallConflict || tuple.Data != uint32(i) {
		t.Fatalf("Recompute(pepsi, coke) = %v, want CHWALL conflict on type %d", tuple, i)
	}
	if got := tuple.String(); got != fmt.Sprintf("Chinese Wall conflict between domains 0 and %d", i) {
		t.Errorf("tuple text = %q", got)
	}
}

func TestEngineCheckStart(t *testing.T) {
	c := loadFile(t, "acme-security_policy.xml")
	dom0 := ref(t, c, "SystemManagement")
	e := NewEngine(c)
	if err := e.DomainCreate(dom0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		label string
		dom0  uint32
		start bool // commit with DomainCreate on success
		code  XSErr
		msg   string
	}{
		{"nope", dom0, false, XSErrBadLabel, "Label 'nope' not found."},
		{"bank", ref(t, c, "Auditor"), false, XSErrVMNotAuthorized, MsgNotAuthorized},
		{"bank", dom0, true, 0, ""},
		{"oil", dom0, false, XSErrVMInConflict, MsgInConflict},
		{"Auditor", dom0, true, 0, ""},
		{"__UNLABELED__", dom0, true, 0, ""},
	}
	for _, tt := range tests {
		r, err := e.CheckStart(tt.label, tt.dom0)
		if tt.code == 0 {
			if err != nil {
				t.Fatalf("CheckStart(%s) = %v", tt.label, err)
			}
			if r != ref(t, c, tt.label) {
				t.Errorf("CheckStart(%s) ssidref %#x", tt.label, r)
			}
			if tt.start {
				if err := e.DomainCreate(r); err != nil {
					t.Fatalf("DomainCreate(%s) = %v", tt.label, err)
				}
			}
			continue
		}
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != tt.code || ae.Msg != tt.msg {
			t.Errorf("CheckStart(%s) = %v, want %v %q", tt.label, err, tt.code, tt.msg)
		}
	}
	// Unlabeled under a policy without __UNLABELED__ is "not found" (§5.2 step 2).
	w := NewEngine(loadFile(t, "test-wld-security_policy.xml"))
	if _, err := w.CheckStart("__UNLABELED__", 0x00010001); !errors.Is(err, XSErrBadLabel) {
		t.Errorf("CheckStart(unlabeled) under test-wld = %v", err)
	}
	if !e.InConflict(ref(t, c, "oil")) {
		t.Error("InConflict(oil) with bank running = false")
	}
	e.DomainDestroy(ref(t, c, "bank"))
	if e.InConflict(ref(t, c, "oil")) {
		t.Error("InConflict(oil) after bank's destroy = true")
	}
	run, agg := e.Counters()
	if !slices.Equal(run, []uint16{0, 0, 1}) || !slices.Equal(agg, []uint16{0, 0, 0}) {
		t.Errorf("Counters() = %v %v", run, agg)
	}
}

func TestEngineInstall(t *testing.T) {
	acme := loadFile(t, "acme-security_policy.xml")
	e := NewEngine(compileDefault(t))
	if err := e.DomainCreate(0x00010001); err != nil {
		t.Fatal(err)
	}
	bank, oil := ref(t, acme, "bank"), ref(t, acme, "oil")
	if tuple := e.Install(acme, []uint32{bank, oil, 0x00010001}); tuple == nil || tuple.Code != HVChwallConflict {
		t.Fatalf("Install(conflicting) = %v", tuple)
	}
	if e.Policy().Name() != "DEFAULT" {
		t.Fatal("a refused Install changed the policy")
	}
	if tuple := e.Install(acme, []uint32{bank, 0x00010001}); tuple != nil {
		t.Fatalf("Install() = %v", tuple)
	}
	if e.Policy() != acme || !e.InConflict(oil) {
		t.Error("Install did not enforce acme with bank running")
	}
}

func TestEngineConcurrent(t *testing.T) {
	c := loadFile(t, "test-wld-security_policy.xml")
	e := NewEngine(c)
	refs := []uint32{ref(t, c, "Avis"), ref(t, c, "Hertz"), ref(t, c, "CocaCola"), ref(t, c, "PepsiCo")}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				r := refs[(g+i)%len(refs)]
				if e.DomainCreate(r) == nil {
					e.Sharing(r, 0x00010001)
					e.DomainDestroy(r)
				}
			}
		}()
	}
	wg.Wait()
	run, agg := e.Counters()
	if slices.ContainsFunc(run, func(v uint16) bool { return v != 0 }) || slices.ContainsFunc(agg, func(v uint16) bool { return v != 0 }) {
		t.Errorf("counters after balanced create/destroy = %v %v", run, agg)
	}
}

func TestDumpErrors(t *testing.T) {
	bin := compileDefault(t).Binary()
	for _, n := range []int{0, 10, 59, 70, 100} {
		if _, err := Dump(bin[:n], 0x00010001); !errors.Is(err, XSErrPolicyLoadFailed) {
			t.Errorf("Dump(%d bytes) = %v", n, err)
		}
	}
	out, err := Dump(bin, 0x00010001)
	if err != nil || !strings.Contains(out, "ssidref 1: 01 01  <-- Domain-0") {
		t.Errorf("Dump() = %q, %v", out, err)
	}
}
