package hvsim

import (
	"errors"
	"fmt"
	"sync"

	"github.com/shypecim/shypecim/hypervisor"
)

var errFakeDenied = errors.New("fake: domain creation denied")

// fakeACM is a hand-written access control module: each ssidref's STE types are a
// bit set, two ssidrefs share iff their sets intersect, and creation is refused for
// the ssidrefs in deny. It records the create and destroy hooks.
type fakeACM struct {
	mu       sync.Mutex
	types    map[uint32]uint64 // ssidref → STE types; absent means none
	policies map[string]map[uint32]uint64
	deny     map[uint32]bool
	live     map[uint32]uint32 // domid → ssidref, from the hooks
	calls    []string
	shares   int
}

func newFake(types map[uint32]uint64) *fakeACM {
	return &fakeACM{types: types, policies: map[string]map[uint32]uint64{}, deny: map[uint32]bool{}, live: map[uint32]uint32{}}
}

func (f *fakeACM) DomainCreate(domid, ssidref uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("create %d %#x", domid, ssidref))
	if f.deny[ssidref] {
		return errFakeDenied
	}
	if _, dup := f.live[domid]; dup {
		return fmt.Errorf("fake: domain %d created twice", domid)
	}
	f.live[domid] = ssidref
	return nil
}

func (f *fakeACM) DomainDestroy(domid, ssidref uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("destroy %d %#x", domid, ssidref))
	if f.live[domid] != ssidref {
		panic(fmt.Sprintf("fake: destroy %d with ssidref %#x, created with %#x", domid, ssidref, f.live[domid]))
	}
	delete(f.live, domid)
}

func (f *fakeACM) share(types map[uint32]uint64, a, b uint32) bool {
	if types == nil {
		return true
	}
	return types[a]&types[b] != 0
}

func (f *fakeACM) Share(a, b uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shares++
	return f.share(f.types, a, b)
}

func (f *fakeACM) Authorize(a, b uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.types[a]&f.types[b] == f.types[b] && f.types[b] != 0
}

func (f *fakeACM) Conflict(ssidref uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deny[ssidref]
}

// check is the STE part of chgpolicy and relabeldoms under types with ssid giving
// each domain's ssidref.
func (f *fakeACM) check(types map[uint32]uint64, ssid map[uint32]uint32, evtchns, grants []hypervisor.Link) []hypervisor.ErrorTuple {
	var errs []hypervisor.ErrorTuple
	for _, l := range evtchns {
		if !f.share(types, ssid[l.ID], ssid[l.Remote]) {
			errs = append(errs, hypervisor.ErrorTuple{Code: hypervisor.ErrEvtchnSharing, Data: l.ID<<16 | l.Remote})
			break
		}
	}
	for _, l := range grants {
		if !f.share(types, ssid[l.ID], ssid[l.Remote]) {
			errs = append(errs, hypervisor.ErrorTuple{Code: hypervisor.ErrGrantSharing, Data: l.ID<<16 | l.Remote})
			break
		}
	}
	return errs
}

// ChangePolicy: policy names an entry of f.policies; chg renames indices.
func (f *fakeACM) ChangePolicy(policy []byte, del []uint32, chg [][2]uint32, doms []hypervisor.DomainSSID, evtchns, grants []hypervisor.Link) ([]uint32, []hypervisor.ErrorTuple, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	types, ok := f.policies[string(policy)]
	if !ok {
		return nil, nil, fmt.Errorf("fake: no policy %q", policy)
	}
	var errs []hypervisor.ErrorTuple
	ssid := map[uint32]uint32{}
	out := make([]uint32, len(doms))
	for i, d := range doms {
		idx := d.SSIDRef & 0xffff
		for _, x := range del {
			if x == idx {
				return nil, []hypervisor.ErrorTuple{{Code: hypervisor.ErrSSIDRefInUse, Data: idx}}, nil
			}
		}
		out[i] = d.SSIDRef
		for _, c := range chg {
			if c[0] == idx {
				out[i] = c[1]<<16 | c[1]
			}
		}
		ssid[d.ID] = out[i]
	}
	if errs = f.check(types, ssid, evtchns, grants); len(errs) > 0 {
		return nil, errs, nil
	}
	f.types = types
	for id, s := range ssid {
		f.live[id] = s
	}
	return out, nil, nil
}

func (f *fakeACM) Relabel(relabel, doms []hypervisor.DomainSSID, evtchns, grants []hypervisor.Link) ([]hypervisor.ErrorTuple, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ssid := map[uint32]uint32{}
	for _, d := range doms {
		ssid[d.ID] = d.SSIDRef
	}
	for _, r := range relabel {
		ssid[r.ID] = r.SSIDRef
	}
	if errs := f.check(f.types, ssid, evtchns, grants); len(errs) > 0 {
		return errs, nil
	}
	for _, r := range relabel {
		f.live[r.ID] = r.SSIDRef
	}
	return nil, nil
}

func (f *fakeACM) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}
