package dispatch_test

import (
	"slices"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The real query languages of cimom/query, end to end.
func TestQueriesCIMQuery(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name string
		op   cim.Op
		want []string
		code cim.Status
	}{
		{"WQL", &cim.ExecQuery{Base: b, QueryLanguage: "WQL", Query: "SELECT Id FROM T_Thing WHERE Size = 2"}, []string{pb}, cim.StatusOK},
		{"CQL with ISA", &cim.ExecQuery{Base: b, QueryLanguage: "DMTF:CQL", Query: "SELECT * FROM T_Thing T WHERE T ISA T_BigThing"}, []string{pc}, cim.StatusOK},
		{"unknown property", &cim.ExecQuery{Base: b, QueryLanguage: "WQL", Query: "SELECT Nope FROM T_Thing"}, nil, cim.StatusInvalidQuery},
		{"unknown class", &cim.ExecQuery{Base: b, QueryLanguage: "WQL", Query: "SELECT * FROM Nope"}, nil, cim.StatusInvalidQuery},
		{"unknown language", &cim.ExecQuery{Base: b, QueryLanguage: "SQL", Query: "SELECT * FROM T_Thing"}, nil, cim.StatusQueryLanguageNotSupported},
		{"FQL filter", &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Base", PullOptions: cim.PullOptions{
			FilterQueryLanguage: "DMTF:FQL", FilterQuery: "Size >= 1 AND Flag = TRUE", MaxObjectCount: 10}}, []string{pb}, cim.StatusOK},
		{"bad FQL filter", &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Base", PullOptions: cim.PullOptions{
			FilterQueryLanguage: "DMTF:FQL", FilterQuery: "Size >="}}, nil, cim.StatusInvalidQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.code != cim.StatusOK {
				if got := status(t, f.d, tt.op); got != tt.code {
					t.Errorf("status %v, want %v", got, tt.code)
				}
				return
			}
			if got := paths(objects(t, mustDo(t, f.d, tt.op))); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
