//go:build !cimquery

package dispatch_test

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Without cimom/query in the build, queries and filters are refused with the codes
// that make pywbem fall back.
func TestQueriesNotSupported(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		op   cim.Op
		want cim.Status
	}{
		{&cim.ExecQuery{Base: b, QueryLanguage: "WQL", Query: "SELECT * FROM T_Thing"}, cim.StatusNotSupported},
		{&cim.OpenQueryInstances{Base: b, PullOptions: cim.PullOptions{FilterQueryLanguage: "WQL", FilterQuery: "SELECT * FROM T_Thing"}}, cim.StatusNotSupported},
		{&cim.OpenEnumerateInstances{Base: b, ClassName: "T_Thing", PullOptions: cim.PullOptions{FilterQueryLanguage: "DMTF:FQL", FilterQuery: "Size = 1"}}, cim.StatusFilteredEnumerationNotSupported},
	}
	for _, tt := range tests {
		if got := status(t, f.d, tt.op); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.op.OpName(), got, tt.want)
		}
	}
}
