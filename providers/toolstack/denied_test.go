package toolstack

import (
	"context"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

// TestDenied checks that every refused access decision reaches Options.Denied once,
// with the labels and the hook, and that other failures do not.
func TestDenied(t *testing.T) {
	ctx := context.Background()
	e := withCorp(t)
	var got []Denial
	e.ts.o.Denied = func(_ context.Context, d Denial) { got = append(got, d) }
	e.define(t, "a1", "ACM:corp:A", "phy:a")
	e.must(t, "a1", Start)
	e.define(t, "a2", "ACM:corp:A") // no devices: a relabel fails on sharing alone
	e.must(t, "a2", Start)
	e.define(t, "b1", "ACM:corp:B")
	e.define(t, "rogue", "ACM:corp:Rogue")
	e.define(t, "greedy", "ACM:corp:A", "phy:b")
	e.define(t, "ghost", "ACM:corp:A")
	ghost := "ACM:corp:Ghost"
	if _, err := e.ts.Modify(ctx, "ghost", Settings{Label: &ghost}); err != nil {
		t.Fatal(err)
	}
	dom0 := e.get(t, hypervisor.Domain0Name).Label

	tests := []struct {
		name string
		do   func() error
		want *Denial // nil: no denial reported
	}{
		{"conflict", func() error { return e.ts.RequestState(ctx, "b1", Start) },
			&Denial{Op: "start", Domain: "b1", SubjectLabel: "ACM:corp:B", ObjectLabel: "ACM:corp:B", Hook: HookConflictSet, Code: acm.XSErrVMInConflict, Message: acm.MsgInConflict}},
		{"authorization", func() error { return e.ts.RequestState(ctx, "rogue", Start) },
			&Denial{Op: "start", Domain: "rogue", SubjectLabel: "ACM:corp:Rogue", ObjectLabel: dom0, Hook: HookAuthorization, Code: acm.XSErrVMNotAuthorized, Message: acm.MsgNotAuthorized}},
		{"device at start", func() error { return e.ts.RequestState(ctx, "greedy", Start) },
			&Denial{Op: "start", Domain: "greedy", SubjectLabel: "ACM:corp:A", ObjectLabel: "ACM:corp:b-disk", Resource: "phy:b", Hook: HookSharing, Code: acm.XSErrResourceAccess, Message: "VM's access to block device 'phy:b' denied"}},
		{"attach", func() error {
			_, err := e.ts.AttachDisk(ctx, "a1", Disk{Uname: "phy:b", VirtualDevice: "xvdb"})
			return err
		}, &Denial{Op: "attach", Domain: "a1", SubjectLabel: "ACM:corp:A", ObjectLabel: "ACM:corp:b-disk", Resource: "phy:/dev/b", Hook: HookSharing, Code: acm.XSErrResourceAccess, Message: "VM's access to block device 'phy:b' denied"}},
		{"relabel", func() error {
			_, err := e.ts.SetDomainLabel(ctx, "a2", "ACM:corp:Rogue", "ACM:corp:A")
			return err
		}, &Denial{Op: "relabel", Domain: "a2", SubjectLabel: "ACM:corp:A", ObjectLabel: "ACM:corp:Rogue", Hook: HookSharing, Code: acm.XSErrHVOpFailed}},
		{"unknown label is no denial", func() error { return e.ts.RequestState(ctx, "ghost", Start) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			if err := tc.do(); err == nil {
				t.Fatal("the operation succeeded")
			}
			if tc.want == nil {
				if len(got) != 0 {
					t.Fatalf("reported %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d denials reported, want 1: %+v", len(got), got)
			}
			d := got[0]
			if d.UUID == "" {
				t.Error("no UUID")
			}
			d.UUID = ""
			if tc.want.Message == "" {
				d.Message = ""
			}
			if d != *tc.want {
				t.Errorf("denial\n%+v\nwant\n%+v", d, *tc.want)
			}
		})
	}
}
