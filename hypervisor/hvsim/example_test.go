package hvsim_test

import (
	"context"
	"fmt"
	"log"

	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/hypervisor/hvsim"
)

// A domain started in an in-memory hypervisor gets an event channel and a grant
// mapping with Domain-0, each decided through the STE hooks and their cache.
func Example() {
	ctx := context.Background()
	h, err := hvsim.New(nil) // no ACM: everything permitted
	if err != nil {
		log.Fatal(err)
	}
	if _, err := h.Create(ctx, hypervisor.Config{Name: "web", Label: "ACM:acme:web"}); err != nil {
		log.Fatal(err)
	}
	if err := h.Start(ctx, "web", hypervisor.StartOptions{SSIDRef: 0x00020002}); err != nil {
		log.Fatal(err)
	}
	d, _ := h.Domain(ctx, "web")
	evs, _ := h.EventChannels(ctx)
	st, _ := h.Stats(ctx)
	fmt.Printf("%s id %d ssidref %#08x\n", d.State, d.ID, d.SSIDRef)
	fmt.Printf("event channels %+v\n", evs)
	fmt.Printf("evtchn evaluations %d, grant cache hits %d\n", st.EvtchnEvals, st.GrantCacheHits)
	// Output:
	// Running id 1 ssidref 0x00020002
	// event channels [{Domain:0 Port:1 Remote:1 RemotePort:1}]
	// evtchn evaluations 2, grant cache hits 1
}
