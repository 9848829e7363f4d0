package toolstack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

// recorder is a vTPM manager that records what the toolstack tells it and fails
// the step named in fail.
type recorder struct {
	calls []string
	fail  string
}

func (r *recorder) do(step, dom string) error {
	r.calls = append(r.calls, step+" "+dom)
	if step == r.fail {
		return errors.New("vTPM broken")
	}
	return nil
}

func (r *recorder) DomainStarted(_ context.Context, d string) error   { return r.do("started", d) }
func (r *recorder) DomainStopped(_ context.Context, d string) error   { return r.do("stopped", d) }
func (r *recorder) DomainSuspended(_ context.Context, d string) error { return r.do("suspended", d) }
func (r *recorder) DomainResumed(_ context.Context, d string) error   { return r.do("resumed", d) }
func (r *recorder) DomainRebooted(_ context.Context, d string) error  { return r.do("rebooted", d) }
func (r *recorder) DomainDeleted(_ context.Context, d string) error   { return r.do("deleted", d) }

// TestVTPMLifecycle: every lifecycle step reaches the vTPM manager with the
// domain's UUID, after the hypervisor's; a vTPM that fails to start or resume
// undoes the domain's start or resume.
func TestVTPMLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec := &recorder{}
	e.ts.o.VTPMs = rec
	d := e.define(t, "web", "")
	u := d.UUID
	for _, to := range []Transition{Start, Pause, Start, Suspend, Start, Reboot, Shutdown, Start, Destroy} {
		e.must(t, "web", to)
	}
	if err := e.ts.Delete(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	want := []string{"started " + u, "suspended " + u, "resumed " + u, "rebooted " + u, "stopped " + u,
		"started " + u, "stopped " + u, "deleted " + u}
	if !slices.Equal(rec.calls, want) {
		t.Errorf("vTPM calls\n%q\nwant\n%q", rec.calls, want)
	}

	tests := []struct {
		fail string
		prep []Transition
		to   Transition
		want hypervisor.State
	}{
		{"started", nil, Start, hypervisor.Halted},
		{"resumed", []Transition{Start, Suspend}, Start, hypervisor.Suspended},
		{"rebooted", []Transition{Start}, Reboot, hypervisor.Halted},
	}
	for i, tt := range tests {
		t.Run(tt.fail, func(t *testing.T) {
			name := fmt.Sprintf("g%d", i)
			e.define(t, name, "")
			rec.fail = ""
			for _, to := range tt.prep {
				e.must(t, name, to)
			}
			rec.fail = tt.fail
			err := e.ts.RequestState(ctx, name, tt.to)
			if err == nil {
				t.Fatal("a failing vTPM did not fail the transition")
			}
			if got := e.get(t, name).State; got != tt.want {
				t.Errorf("state after a failed vTPM %s: %v, want %v", tt.fail, got, tt.want)
			}
		})
	}
}

// TestPolicyChanged: every change of the enforced policy, and only that, hands the
// new compiled binary to Options.PolicyChanged.
func TestPolicyChanged(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var got [][]byte
	e.ts.o.PolicyChanged = func(_ context.Context, bin []byte) { got = append(got, bin) }
	if _, err := e.ts.SetPolicy(ctx, corpXML(t), acm.FlagLoad, true); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0]) != string(e.ts.Enforced().Binary()) {
		t.Fatalf("after a load: %d measurements, want 1 of the corp binary", len(got))
	}
	// A refused update (the same version again) changes nothing and measures nothing.
	if res, err := e.ts.SetPolicy(ctx, corpXML(t), acm.FlagLoad, true); err == nil && res.Code == acm.XSErrSuccess {
		t.Fatal("reloading the same version was accepted")
	}
	if len(got) != 1 {
		t.Errorf("a refused update was measured: %d measurements", len(got))
	}
	if _, err := e.ts.SetPolicy(ctx, corpNext(t), acm.FlagLoad, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ts.ResetPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[2]) != string(e.ts.Enforced().Binary()) || e.ts.Enforced().Name() != acm.DefaultPolicyName {
		t.Errorf("after update and reset: %d measurements, want 3, the last of DEFAULT", len(got))
	}
}
