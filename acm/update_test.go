package acm

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestCheckUpdate(t *testing.T) {
	base := acmeXML(t)
	old := loadFile(t, "acme-security_policy.xml")
	v11 := func(pairs ...string) *Compiled {
		t.Helper()
		doc := edit(t, base, append([]string{"<Version>1.0</Version>", "<Version>1.1</Version><FromPolicy><PolicyName>acme</PolicyName><Version>1.0</Version></FromPolicy>"}, pairs...)...)
		p, err := Parse([]byte(doc))
		if err != nil {
			t.Fatalf("Parse(next) = %v", err)
		}
		c, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	dom0 := RunningDomain{ID: 0, SSIDRef: 0x00010001}
	auditor := RunningDomain{ID: 2, SSIDRef: 0x00020002}
	bank := RunningDomain{ID: 1, SSIDRef: 0x00030003}
	oil := RunningDomain{ID: 3, SSIDRef: 0x00040004}
	unl := RunningDomain{ID: 4, SSIDRef: 0}
	withDom0 := func(ds ...RunningDomain) []Channel {
		var ch []Channel
		for _, d := range ds {
			ch = append(ch, Channel{A: d.ID, B: 0}, Channel{A: d.ID, B: 0, Grant: true})
		}
		return ch
	}
	deleteAuditor := []string{"<VirtualMachineLabel>\n        <Name>Auditor</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>Shared</Type>\n        </SimpleTypeEnforcementTypes>\n      </VirtualMachineLabel>", ""}
	bankOnlyBank := []string{"<Name>bank</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>Bank</Type>\n          <Type>Shared</Type>", "<Name>bank</Name>\n        <SimpleTypeEnforcementTypes>\n          <Type>Bank</Type>"}
	tests := []struct {
		name   string
		next   *Compiled
		in     UpdateInput
		code   XSErr
		tuples []ErrorTuple
		check  func(t *testing.T, p *UpdatePlan)
	}{
		{name: "no FromPolicy", next: loadFile(t, "acme-security_policy.xml"), code: XSErrVersionPreventsUpdate},
		{name: "from names a missing label", next: v11("<Name>oil</Name>", `<Name from="ghost">oil</Name>`), code: XSErrBadLabel},
		{name: "from names a missing resource label", next: v11("<Name>oil-disk</Name>", `<Name from="ghost">oil-disk</Name>`), code: XSErrBadLabel},
		{name: "deleted label in use", next: v11(deleteAuditor...),
			in:   UpdateInput{Domains: []RunningDomain{auditor, dom0}, Channels: withDom0(auditor)},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVSSIDRefInUse, 2}}},
		{name: "deleted label not in use", next: v11(deleteAuditor...),
			in: UpdateInput{Domains: []RunningDomain{bank, dom0}, Channels: withDom0(bank)},
			check: func(t *testing.T, p *UpdatePlan) {
				// Auditor (2) deleted; bank 3→2 and oil 4→3 re-indexed.
				if !slices.Equal(p.Deleted, []uint32{2}) || !slices.Equal(p.Changed, [][2]uint32{{3, 2}, {4, 3}}) {
					t.Errorf("Deleted %v Changed %v", p.Deleted, p.Changed)
				}
				if !slices.Equal(p.SSIDRefs, []uint32{0x00020002, 0x00010001}) {
					t.Errorf("SSIDRefs = %#x", p.SSIDRefs)
				}
			}},
		{name: "new chinese wall conflict", next: v11("</ConflictSets>", `<Conflict name="x"><Type>Bank</Type><Type>SystemManagement</Type></Conflict></ConflictSets>`),
			in:   UpdateInput{Domains: []RunningDomain{bank, dom0}, Channels: withDom0(bank)},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVChwallConflict, 2}}}, // type 2 = SystemManagement, checked when Domain-0 comes second
		{name: "broken event channel", next: v11(bankOnlyBank...),
			in:   UpdateInput{Domains: []RunningDomain{auditor, bank, dom0}, Channels: []Channel{{A: 1, B: 2}}},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVEvtchnSharingViolation, 1<<16 | 2}}},
		{name: "broken grant", next: v11(bankOnlyBank...),
			in:   UpdateInput{Domains: []RunningDomain{auditor, bank, dom0}, Channels: []Channel{{A: 2, B: 1, Grant: true}}},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVGnttabSharingViolation, 2<<16 | 1}}},
		{name: "grant peer gone", next: v11(),
			in:   UpdateInput{Domains: []RunningDomain{dom0}, Channels: []Channel{{A: 0, B: 9, Grant: true}}},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVDomainLookup, 9}}},
		{name: "resource no longer reachable", next: v11(bankOnlyBank...),
			in:   UpdateInput{Domains: []RunningDomain{{ID: 1, SSIDRef: 0x00030003, Resources: []string{"shared-disk"}}, dom0}},
			code: XSErrResourceAccess},
		{name: "rename with running domain", next: v11("<Name>oil</Name>", `<Name from="oil">petrol</Name>`, "<Name>oil-disk</Name>", `<Name from="oil-disk">petrol-disk</Name>`),
			in: UpdateInput{Domains: []RunningDomain{{ID: 3, SSIDRef: 0x00040004, Resources: []string{"oil-disk", "shared-disk"}}, unl, dom0}, Channels: withDom0(oil, unl)},
			check: func(t *testing.T, p *UpdatePlan) {
				// A rename is always a chg pair, here 4 → 4 (petrol sorts where oil did).
				if len(p.Deleted) != 0 || !slices.Equal(p.Changed, [][2]uint32{{4, 4}}) {
					t.Errorf("Deleted %v Changed %v", p.Deleted, p.Changed)
				}
				if !slices.Equal(p.VMLabels, []string{"ACM:acme:petrol", "ACM:acme:__UNLABELED__", "ACM:acme:SystemManagement"}) {
					t.Errorf("VMLabels = %v", p.VMLabels)
				}
			}},
		{name: "unlabeled resource unreachable", next: v11(),
			in:   UpdateInput{Domains: []RunningDomain{{ID: 3, SSIDRef: 0x00040004, Resources: []string{""}}, dom0}},
			code: XSErrResourceAccess},
		{name: "reset with only unlabeled guests", next: mustCompile(t, DefaultXML("SystemManagement")),
			in: UpdateInput{Domains: []RunningDomain{unl, dom0}, Channels: withDom0(unl), Reset: true}},
		{name: "reset with a labeled guest", next: mustCompile(t, DefaultXML("SystemManagement")),
			in:   UpdateInput{Domains: []RunningDomain{bank, dom0}, Channels: withDom0(bank), Reset: true},
			code: XSErrHVOpFailed, tuples: []ErrorTuple{{HVSSIDRefInUse, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := CheckUpdate(old, tt.next, tt.in)
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("CheckUpdate() = %v", err)
				}
			} else if !errors.Is(err, tt.code) {
				t.Fatalf("CheckUpdate() = %v, want %v", err, tt.code)
			}
			if !slices.Equal(plan.Errors, tt.tuples) {
				t.Errorf("tuples = %v, want %v", plan.Errors, tt.tuples)
			}
			if tt.check != nil {
				tt.check(t, plan)
			}
		})
	}
}

func mustCompile(t testing.TB, doc []byte) *Compiled {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEncodeErrors(t *testing.T) {
	got := EncodeErrors([]ErrorTuple{{HVSSIDRefInUse, 2}, {HVChwallConflict, 0x10003}})
	want := []byte{0, 0, 1, 4, 0, 0, 0, 2, 0, 0, 1, 3, 0, 1, 0, 3}
	if !bytes.Equal(got, want) {
		t.Errorf("EncodeErrors() = %x, want %x", got, want)
	}
	if s := (ErrorTuple{HVSSIDRefInUse, 2}).String(); s != "A domain used SSIDREF 2" {
		t.Errorf("String() = %q", s)
	}
}

// BenchmarkUpdate checks an update against 1,000 running domains, each with
// an event channel and a grant with Domain-0.
func BenchmarkUpdate(b *testing.B) {
	old := mustCompile(b, bigPolicy(1000, 200))
	next := mustCompile(b, bytes.Replace(bigPolicy(1000, 200), []byte("<Version>1.0</Version>"),
		[]byte("<Version>1.1</Version><FromPolicy><PolicyName>big</PolicyName><Version>1.0</Version></FromPolicy>"), 1))
	in := UpdateInput{Domains: []RunningDomain{{ID: 0, SSIDRef: 0x00010001}}}
	// Labels L0001…L0999 each have one CHWALL type; pick labels whose types
	// are in no conflict set (conflicts pair T{10k} with T{10k+1}).
	for i := 1; len(in.Domains) < 1000; i++ {
		if t := i % 200; t%10 == 0 || t%10 == 1 {
			continue
		}
		id := uint32(len(in.Domains))
		r, _ := old.VMSSIDRef(fmtLabel(i % 1000))
		in.Domains = append(in.Domains, RunningDomain{ID: id, SSIDRef: r})
		in.Channels = append(in.Channels, Channel{A: id, B: 0}, Channel{A: id, B: 0, Grant: true})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CheckUpdate(old, next, in); err != nil {
			b.Fatal(err)
		}
	}
}

func fmtLabel(i int) string {
	if i == 0 {
		i = 1
	}
	return "L" + string(rune('0'+i/1000)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

func TestCheckRelabel(t *testing.T) {
	c := loadFile(t, "acme-security_policy.xml")
	dom0 := RunningDomain{ID: 0, SSIDRef: 0x00010001}
	bank := RunningDomain{ID: 1, SSIDRef: 0x00030003}
	oil := RunningDomain{ID: 3, SSIDRef: 0x00040004}
	unl := RunningDomain{ID: 4, SSIDRef: 0}
	chans := func(ids ...uint32) []Channel {
		var ch []Channel
		for _, id := range ids {
			ch = append(ch, Channel{A: id, B: 0}, Channel{A: id, B: 0, Grant: true})
		}
		return ch
	}
	tests := []struct {
		name    string
		in      UpdateInput
		relabel map[uint32]uint32
		code    XSErr
		tuples  []ErrorTuple
		want    []uint32
	}{
		{"dom0 to Auditor keeps sharing with bank", UpdateInput{Domains: []RunningDomain{bank, dom0}, Channels: chans(1)}, map[uint32]uint32{0: 0x00020002}, 0, nil, []uint32{0x00030003, 0x00020002}},
		{"dom0 to bank conflicts with oil", UpdateInput{Domains: []RunningDomain{oil, dom0}, Channels: chans(3)}, map[uint32]uint32{0: 0x00030003}, XSErrHVOpFailed, []ErrorTuple{{HVChwallConflict, 0}}, nil},
		{"dom0 to Auditor strands an unlabeled guest", UpdateInput{Domains: []RunningDomain{unl, dom0}, Channels: chans(4)}, map[uint32]uint32{0: 0x00020002}, XSErrHVOpFailed, []ErrorTuple{{HVEvtchnSharingViolation, 0<<16 | 4}}, nil},
		{"out of range", UpdateInput{Domains: []RunningDomain{dom0}}, map[uint32]uint32{0: 0x00090009}, XSErrBadLabel, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, tuples, err := CheckRelabel(c, tt.in, tt.relabel)
			if tt.code == 0 && err != nil || tt.code != 0 && !errors.Is(err, tt.code) {
				t.Fatalf("CheckRelabel() = %v, want %v", err, tt.code)
			}
			if !slices.Equal(tuples, tt.tuples) || !slices.Equal(refs, tt.want) {
				t.Errorf("CheckRelabel() = %#x, %v, want %#x, %v", refs, tuples, tt.want, tt.tuples)
			}
		})
	}
}
