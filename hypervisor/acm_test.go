package hypervisor_test

import (
	"testing"

	"github.com/shypecim/shypecim/hypervisor"
)

// plainACM spells every type of the hook without naming package hypervisor, as
// package acm does: it must satisfy hypervisor.ACM.
type plainACM struct{}

func (plainACM) DomainCreate(domid, ssidref uint32) error { return nil }
func (plainACM) DomainDestroy(domid, ssidref uint32)      {}
func (plainACM) Share(a, b uint32) bool                   { return a>>16 == b>>16 }
func (plainACM) Authorize(a, b uint32) bool               { return true }
func (plainACM) Conflict(ssidref uint32) bool             { return false }
func (plainACM) ChangePolicy(policy []byte, del []uint32, chg [][2]uint32,
	doms []struct{ ID, SSIDRef uint32 }, evtchns, grants []struct{ ID, Remote uint32 },
) ([]uint32, []struct{ Code, Data uint32 }, error) {
	return nil, []struct{ Code, Data uint32 }{{Code: 0x104, Data: 2}}, nil
}
func (plainACM) Relabel(relabel, doms []struct{ ID, SSIDRef uint32 }, evtchns, grants []struct{ ID, Remote uint32 }) ([]struct{ Code, Data uint32 }, error) {
	return nil, nil
}

func TestACMWithoutImport(t *testing.T) {
	var acm hypervisor.ACM = plainACM{}
	_, errs, _ := acm.ChangePolicy(nil, nil, nil, nil, nil, nil)
	if len(errs) != 1 || errs[0] != (hypervisor.ErrorTuple{Code: hypervisor.ErrSSIDRefInUse, Data: 2}) {
		t.Errorf("tuples %v", errs)
	}
}

func TestStateString(t *testing.T) {
	tests := []struct {
		s    hypervisor.State
		want string
		live bool
	}{
		{hypervisor.Halted, "Halted", false},
		{hypervisor.Running, "Running", true},
		{hypervisor.Paused, "Paused", true},
		{hypervisor.Suspended, "Suspended", false},
		{hypervisor.State(9), "State(9)", false},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want || tc.s.Live() != tc.live {
			t.Errorf("%d: %q live %v, want %q %v", int(tc.s), got, tc.s.Live(), tc.want, tc.live)
		}
	}
	if hypervisor.Block.String() != "vbd" || hypervisor.Network.String() != "vif" || hypervisor.DeviceKind(0).String() != "DeviceKind(0)" {
		t.Error("DeviceKind strings")
	}
}
