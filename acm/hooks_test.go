package acm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
)

// Hooks satisfies the hypervisor's hook interface without importing it.
var _ hypervisor.ACM = (*acm.Hooks)(nil)

func compileFile(t *testing.T, name string, edits ...string) *acm.Compiled {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("%q not in %s", edits[i], name)
		}
		s = strings.ReplaceAll(s, edits[i], edits[i+1])
	}
	p, err := acm.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	c, err := acm.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sim is hvsim running with the real acm hooks.
type sim struct {
	t   *testing.T
	ctx context.Context
	e   *acm.Engine
	h   *acm.Hooks
	hv  *hvsim.HV
}

func newSim(t *testing.T, c *acm.Compiled) *sim {
	e := acm.NewEngine(c)
	h := acm.NewHooks(e)
	hv, err := hvsim.New(h)
	if err != nil {
		t.Fatal(err)
	}
	return &sim{t: t, ctx: context.Background(), e: e, h: h, hv: hv}
}

// live returns the live domains' ssidrefs, newest first (Xen's ssid list).
func (s *sim) live() []hypervisor.Domain {
	ds, err := s.hv.Domains(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	ds = slices.DeleteFunc(ds, func(d hypervisor.Domain) bool { return !d.State.Live() })
	slices.SortFunc(ds, func(a, b hypervisor.Domain) int { return int(b.ID) - int(a.ID) })
	return ds
}

// checkCounters asserts that the engine's Chinese Wall counters equal a
// recomputation from the domains the hypervisor runs.
func (s *sim) checkCounters(step string) {
	s.t.Helper()
	var refs []uint32
	for _, d := range s.live() {
		refs = append(refs, d.SSIDRef)
	}
	st, tuple := s.e.Policy().Recompute(refs)
	if tuple != nil {
		s.t.Fatalf("%s: running domains conflict: %v", step, *tuple)
	}
	run, agg := s.e.Counters()
	if !slices.Equal(run, st.Running()) || !slices.Equal(agg, st.Aggregate()) {
		s.t.Fatalf("%s: counters %v %v, recomputed %v %v", step, run, agg, st.Running(), st.Aggregate())
	}
}

func (s *sim) start(name string) error {
	d, err := s.hv.Domain(s.ctx, name)
	if err != nil {
		s.t.Fatal(err)
	}
	dom0, err := s.hv.DomainByID(s.ctx, hypervisor.Dom0)
	if err != nil {
		s.t.Fatal(err)
	}
	ref, err := s.e.CheckDomainStart(acm.StartInput{Label: d.Label, Dom0: dom0.SSIDRef})
	if err != nil {
		return err
	}
	return s.hv.Start(s.ctx, name, hypervisor.StartOptions{SSIDRef: ref})
}

func (s *sim) sharing() (int, int) {
	evs, err := s.hv.EventChannels(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	gs, err := s.hv.Grants(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return len(evs), len(gs)
}

const wld = "example.chwall_ste.test-wld"

func TestHooksWithHVSim(t *testing.T) {
	c := compileFile(t, "test-wld-security_policy.xml")
	s := newSim(t, c)
	s.checkCounters("boot")
	guests := map[string]string{
		"pepsi": "PepsiCo", "pepsi2": "PepsiCo", "pepsi-intra": "PepsiCo.Intranet",
		"coke": "CocaCola", "coke-pay": "CocaCola.Payroll", "coke-ext": "CocaCola.Extranet",
		"avis": "Avis",
	}
	for name, label := range guests {
		if _, err := s.hv.Create(s.ctx, hypervisor.Config{Name: name, Label: "ACM:" + wld + ":" + label}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"pepsi", "pepsi2", "pepsi-intra", "avis"} {
		if err := s.start(name); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		s.checkCounters("start " + name)
	}

	// A conflicting start is refused by xend's check and, if forced, by the
	// hypervisor's create hook; nothing is left behind.
	evs, gs := s.sharing()
	var e *acm.Error
	if err := s.start("coke"); !errors.As(err, &e) || e.Code != acm.XSErrVMInConflict || e.Msg != "Domain in conflict set with running domain?" {
		t.Fatalf("start coke: %v", err)
	}
	cokeRef, _ := c.VMSSIDRef("CocaCola")
	err := s.hv.Start(s.ctx, "coke", hypervisor.StartOptions{SSIDRef: cokeRef})
	if !errors.Is(err, hypervisor.ErrDenied) || !errors.Is(err, acm.XSErrVMInConflict) {
		t.Fatalf("forced start coke: %v", err)
	}
	if d, _ := s.hv.Domain(s.ctx, "coke"); d.State != hypervisor.Halted {
		t.Errorf("coke is %s", d.State)
	}
	if e2, g2 := s.sharing(); e2 != evs || g2 != gs {
		t.Errorf("refused start left channels: %d/%d, were %d/%d", e2, g2, evs, gs)
	}
	s.checkCounters("refused coke")

	// Sharing between guests follows STE.
	live := s.live()
	for _, a := range live {
		for _, b := range live {
			if a.ID >= b.ID || a.ID == 0 {
				continue
			}
			_, err := s.hv.BindEventChannel(s.ctx, a.ID, b.ID)
			if want := c.Sharing(a.SSIDRef, b.SSIDRef); (err == nil) != want || err != nil && !errors.Is(err, hypervisor.ErrDenied) {
				t.Errorf("channel %s-%s: %v, sharing %v", a.Name, b.Name, err, want)
			}
		}
	}
	if d1, _ := s.hv.Domain(s.ctx, "pepsi"); true {
		d2, _ := s.hv.Domain(s.ctx, "pepsi2")
		if !c.Sharing(d1.SSIDRef, d2.SSIDRef) {
			t.Error("two PepsiCo domains do not share")
		}
	}

	// Once no PepsiCo domain runs, CocaCola may; its departments exclude
	// each other.
	for _, name := range []string{"pepsi", "pepsi2", "pepsi-intra"} {
		if err := s.hv.Shutdown(s.ctx, name); err != nil {
			t.Fatal(err)
		}
		s.checkCounters("shutdown " + name)
	}
	for _, step := range []struct {
		name string
		code acm.XSErr
	}{{"coke", 0}, {"coke-pay", 0}, {"coke-ext", acm.XSErrVMInConflict}, {"pepsi", acm.XSErrVMInConflict}} {
		if err := s.start(step.name); acm.CodeOf(err) != step.code {
			t.Fatalf("start %s: %v, want %v", step.name, err, step.code)
		}
		s.checkCounters("start " + step.name)
	}

	// Relabel: avis to Hertz passes; coke-pay to PepsiCo conflicts with coke
	// and changes nothing.
	avis, _ := s.hv.Domain(s.ctx, "avis")
	hertz, _ := c.VMSSIDRef("Hertz")
	if tuples, err := s.hv.Relabel(s.ctx, []hypervisor.Relabeling{{ID: avis.ID, SSIDRef: hertz}}); err != nil || len(tuples) != 0 {
		t.Fatalf("relabel avis: %v %v", tuples, err)
	}
	s.checkCounters("relabel avis")
	pay, _ := s.hv.Domain(s.ctx, "coke-pay")
	pepsi, _ := c.VMSSIDRef("PepsiCo")
	tuples, err := s.hv.Relabel(s.ctx, []hypervisor.Relabeling{{ID: pay.ID, SSIDRef: pepsi}})
	if !errors.Is(err, hypervisor.ErrDenied) || len(tuples) != 1 || tuples[0].Code != hypervisor.ErrChwallConflict {
		t.Fatalf("relabel coke-pay: %v %v", tuples, err)
	}
	if d, _ := s.hv.Domain(s.ctx, "coke-pay"); d.SSIDRef != pay.SSIDRef {
		t.Error("refused relabel changed the ssidref")
	}
	s.checkCounters("refused relabel")

	// A policy change: test-wld 1.1 renames Hertz; the hypervisor translates
	// the running domains and the counters follow.
	next := compileFile(t, "test-wld-security_policy.xml",
		"<Version>1.0</Version>", "<Version>1.1</Version><FromPolicy><PolicyName>"+wld+"</PolicyName><Version>1.0</Version></FromPolicy>",
		"<Name>Hertz</Name>", `<Name from="Hertz">ZHertz</Name>`)
	var in acm.UpdateInput
	for _, d := range s.live() {
		in.Domains = append(in.Domains, acm.RunningDomain{ID: uint32(d.ID), SSIDRef: d.SSIDRef})
	}
	plan, err := acm.CheckUpdate(c, next, in)
	if err != nil {
		t.Fatal(err)
	}
	change := hypervisor.PolicyChange{Policy: next.Binary(), Delete: plan.Deleted, Change: plan.Changed}
	if _, err := s.hv.ChangePolicy(s.ctx, change); err == nil || errors.Is(err, hypervisor.ErrDenied) {
		t.Fatalf("unstaged policy: %v", err)
	}
	if s.e.Policy() != c {
		t.Fatal("unstaged policy installed")
	}
	s.h.Stage(next)
	if tuples, err := s.hv.ChangePolicy(s.ctx, change); err != nil || len(tuples) != 0 {
		t.Fatalf("change policy: %v %v", tuples, err)
	}
	if s.e.Policy() != next {
		t.Fatal("policy not installed")
	}
	for i, d := range s.live() {
		if d.SSIDRef != plan.SSIDRefs[i] {
			t.Errorf("%s: ssidref %#x, plan %#x", d.Name, d.SSIDRef, plan.SSIDRefs[i])
		}
	}
	if d, _ := s.hv.Domain(s.ctx, "avis"); d.SSIDRef != func() uint32 { r, _ := next.VMSSIDRef("ZHertz"); return r }() {
		t.Errorf("avis ssidref %#x after rename", d.SSIDRef)
	}
	s.checkCounters("change policy")
}

// TestHooksChangePolicyTuples drives ChangePolicy and Relabel directly.
func TestHooksChangePolicyTuples(t *testing.T) {
	c := compileFile(t, "acme-security_policy.xml")
	ref := func(c *acm.Compiled, l string) uint32 {
		r, ok := c.VMSSIDRef(l)
		if !ok {
			t.Fatalf("no label %s", l)
		}
		return r
	}
	type dom = struct{ ID, SSIDRef uint32 }
	type link = struct{ ID, Remote uint32 }
	type tuple = struct{ Code, Data uint32 }
	dom0, bank, oil := ref(c, acm.LabelSystemManagement), ref(c, "bank"), ref(c, "oil")
	doms := []dom{{0, dom0}, {1, bank}}
	evs := []link{{0, 1}, {1, 0}}
	grants := []link{{0, 1}}
	newHooks := func() *acm.Hooks {
		e := acm.NewEngine(c)
		for _, d := range doms {
			if err := e.DomainCreate(d.SSIDRef); err != nil {
				t.Fatal(err)
			}
		}
		return acm.NewHooks(e)
	}
	// acme 1.1 deletes bank (index 3) and makes Auditor share nothing with
	// Domain-0's new label.
	next := compileFile(t, "acme-security_policy.xml",
		"<Version>1.0</Version>", "<Version>1.1</Version><FromPolicy><PolicyName>acme</PolicyName><Version>1.0</Version></FromPolicy>")
	tests := []struct {
		name string
		bin  []byte
		del  []uint32
		chg  [][2]uint32
		doms []dom
		want []tuple
		err  bool
	}{
		{"same policy", c.Binary(), nil, nil, doms, nil, false},
		{"staged update", next.Binary(), nil, nil, doms, nil, false},
		{"deleted index in use", next.Binary(), []uint32{3}, nil, doms, []tuple{{acm.HVSSIDRefInUse, 3}}, false},
		{"translation into a conflict", next.Binary(), nil, [][2]uint32{{2, 4}}, []dom{{0, dom0}, {1, bank}, {2, ref(c, "Auditor")}}, []tuple{{acm.HVChwallConflict, 0}}, false},
		{"translation breaks sharing", next.Binary(), nil, [][2]uint32{{1, 2}}, []dom{{0, dom0}, {1, 0}}, []tuple{{acm.HVEvtchnSharingViolation, 0<<16 | 1}}, false},
		{"channel to a missing domain", next.Binary(), nil, nil, []dom{{0, dom0}}, []tuple{{acm.HVDomainLookup, 1}}, false},
		{"index the new policy lacks", next.Binary(), nil, nil, []dom{{0, dom0}, {1, 0x00090009}}, []tuple{{acm.HVSSIDRefInUse, 9}}, false},
		{"short binary", []byte{1, 2}, nil, nil, doms, nil, true},
		{"bad magic", func() []byte { b := next.Binary(); b[2] ^= 0xff; return b }(), nil, nil, doms, nil, true},
		{"unknown policy", func() []byte { b := next.Binary(); b[len(b)-1] ^= 1; return b }(), nil, nil, doms, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHooks()
			h.Stage(next)
			before := h.Engine().Policy()
			r0, a0 := h.Engine().Counters()
			refs, tuples, err := h.ChangePolicy(tc.bin, tc.del, tc.chg, tc.doms, evs, grants)
			if (err != nil) != tc.err || !slices.Equal(tuples, tc.want) {
				t.Fatalf("ChangePolicy = %v, %v, %v; want %v, error %v", refs, tuples, err, tc.want, tc.err)
			}
			if tc.err || len(tc.want) > 0 {
				r1, a1 := h.Engine().Counters()
				if h.Engine().Policy() != before || refs != nil || !slices.Equal(r0, r1) || !slices.Equal(a0, a1) {
					t.Error("a refused change changed something")
				}
				return
			}
			if len(refs) != len(tc.doms) {
				t.Errorf("refs %v", refs)
			}
		})
	}

	// Relabel reports both components' first violation.
	h := newHooks()
	tuples, err := h.Relabel([]dom{{0, ref(c, "Auditor")}, {1, oil}}, []dom{{0, dom0}, {1, bank}, {2, 0}, {3, bank}}, []link{{0, 2}, {2, 0}}, nil)
	want := []tuple{{acm.HVChwallConflict, 1}, {acm.HVEvtchnSharingViolation, 0<<16 | 2}}
	if err != nil || !slices.Equal(tuples, want) {
		t.Fatalf("Relabel = %v, %v; want %v", tuples, err, want)
	}
	if _, err := h.Relabel([]dom{{1, 0x00400040}}, doms, nil, nil); !errors.Is(err, acm.XSErrBadLabel) {
		t.Errorf("out-of-range relabel: %v", err)
	}
	if tuples, err := h.Relabel([]dom{{1, oil}}, doms, evs, grants); err != nil || tuples != nil {
		t.Fatalf("relabel bank to oil: %v %v", tuples, err)
	}
	run, _ := h.Engine().Counters()
	if fmt.Sprint(run) != fmt.Sprint(func() []uint16 { s, _ := c.Recompute([]uint32{oil, dom0}); return s.Running() }()) {
		t.Errorf("counters after relabel %v", run)
	}
	if !h.Share(bank, oil) || h.Share(bank, 0) || !h.Authorize(dom0, bank) || h.Authorize(bank, oil) || !h.Conflict(bank) || h.Conflict(oil) {
		t.Error("decisions")
	}
}

// FuzzHooksLifecycle drives hvsim with the real hooks under test-wld through
// random lifecycle, channel and relabel operations: after every step the
// engine's Chinese Wall counters equal a recomputation from the running
// domains, and no two running domains hold types of one conflict set that
// the other lacks.
func FuzzHooksLifecycle(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 0, 1, 1, 0, 0, 3})
	f.Add([]byte{0, 1, 0, 4, 2, 1, 3, 1, 0, 5, 6, 2, 7, 0})
	labels := []string{"PepsiCo", "PepsiCo.Intranet", "CocaCola", "CocaCola.Payroll", "CocaCola.Extranet", "Avis", "Hertz", "PepsiCo"}
	f.Fuzz(func(t *testing.T, ops []byte) {
		c := compileFile(t, "test-wld-security_policy.xml")
		s := newSim(t, c)
		names := make([]string, len(labels))
		for i, l := range labels {
			names[i] = fmt.Sprintf("g%d", i)
			if _, err := s.hv.Create(s.ctx, hypervisor.Config{Name: names[i], Label: "ACM:" + wld + ":" + l}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i+1 < len(ops) && i < 200; i += 2 {
			name := names[int(ops[i+1])%len(names)]
			d, _ := s.hv.Domain(s.ctx, name)
			var err error
			switch ops[i] % 8 {
			case 0:
				err = s.start(name)
			case 1:
				err = s.hv.Shutdown(s.ctx, name)
			case 2:
				err = s.hv.Suspend(s.ctx, name)
			case 3:
				var ref uint32
				if ref, err = s.e.CheckDomainStart(acm.StartInput{Label: d.Label, Dom0: 0x00010001}); err == nil {
					err = s.hv.Resume(s.ctx, name, hypervisor.StartOptions{SSIDRef: ref})
				}
			case 4:
				err = s.hv.Destroy(s.ctx, name)
			case 5:
				if d.State.Live() {
					other, _ := s.hv.Domain(s.ctx, names[int(ops[i+1]/8)%len(names)])
					if other.State.Live() {
						_, err = s.hv.BindEventChannel(s.ctx, d.ID, other.ID)
					}
				}
			case 6:
				if d.State.Live() {
					ref, _ := c.VMSSIDRef(labels[int(ops[i+1]/8)%len(labels)])
					_, err = s.hv.Relabel(s.ctx, []hypervisor.Relabeling{{ID: d.ID, SSIDRef: ref}})
				}
			case 7:
				if err = s.hv.Pause(s.ctx, name); err != nil {
					err = s.hv.Unpause(s.ctx, name)
				}
			}
			if err != nil && !errors.Is(err, hypervisor.ErrBadState) && !errors.Is(err, hypervisor.ErrDenied) && acm.CodeOf(err) == acm.XSErrGeneralFailure {
				t.Fatalf("op %d on %s: unexpected error %v", ops[i]%8, name, err)
			}
			s.checkCounters(fmt.Sprintf("op %d on %s", ops[i]%8, name))
			checkWall(t, c, s.live())
		}
	})
}

// checkWall fails if two running domains hold types x and y of one conflict
// set, the first lacking y and the second lacking x.
func checkWall(t *testing.T, c *acm.Compiled, live []hypervisor.Domain) {
	t.Helper()
	types := func(ref uint32) []string {
		name, _ := c.VMLabelOf(ref)
		l, _ := c.Policy().VMLabel(name)
		return l.CHWall
	}
	for _, a := range live {
		for _, b := range live {
			ta, tb := types(a.SSIDRef), types(b.SSIDRef)
			for _, cs := range c.Policy().ConflictSets {
				for _, x := range ta {
					for _, y := range tb {
						if x != y && slices.Contains(cs.Types, x) && slices.Contains(cs.Types, y) && !slices.Contains(tb, x) && !slices.Contains(ta, y) {
							t.Fatalf("%s (%s) and %s (%s) run together", a.Name, x, b.Name, y)
						}
					}
				}
			}
		}
	}
}
