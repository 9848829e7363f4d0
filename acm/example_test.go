package acm_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/shypecim/shypecim/acm"
)

// Example loads the test-wld workload policy, starts Domain-0 and a CocaCola
// guest, and shows the Chinese Wall keeping PepsiCo out.
func Example() {
	f, err := os.Open("testdata/test-wld-security_policy.xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	p, err := acm.Load(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := acm.Compile(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := acm.NewEngine(c)
	dom0, _ := c.VMSSIDRef(p.Bootstrap)
	_ = e.DomainCreate(dom0)
	coke, _ := e.CheckStart("CocaCola", dom0)
	_ = e.DomainCreate(coke)
	fmt.Printf("CocaCola ssidref %#08x, shares with Domain-0: %v\n", coke, e.Sharing(coke, dom0))
	_, err = e.CheckStart("PepsiCo", dom0)
	var ae *acm.Error
	if errors.As(err, &ae) {
		fmt.Println(ae.Code.String(), ae.Msg)
	}
	// Output:
	// CocaCola ssidref 0x00030003, shares with Domain-0: true
	// VM_IN_CONFLICT Domain in conflict set with running domain?
}
