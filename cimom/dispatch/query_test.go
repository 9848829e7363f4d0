package dispatch_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
)

// fakeQuery understands "SELECT * FROM Class [WHERE Size = n]" in WQL, and
// projects to Id. It stands for cimom/query, tested on its own.
type fakeQuery struct {
	class string
	size  string // "" : no WHERE
}

func (q *fakeQuery) ClassName() string { return q.class }

func (q *fakeQuery) Match(inst *cim.Instance) (bool, error) {
	if q.size == "" {
		return true, nil
	}
	p := inst.Property("Size")
	return p != nil && p.Value != nil && fmt.Sprint(p.Value) == q.size, nil
}

func (q *fakeQuery) Project(inst *cim.Instance) *cim.Instance {
	out := &cim.Instance{ClassName: inst.ClassName}
	if p := inst.Property("Id"); p != nil {
		out.Properties = append(out.Properties, *p)
	}
	return out
}

func parseFake(lang, text string) (dispatch.CompiledQuery, error) {
	if lang != "WQL" {
		return nil, cim.Errorf(cim.StatusQueryLanguageNotSupported, "%s", lang)
	}
	f := strings.Fields(text)
	switch {
	case len(f) == 4 && f[0] == "SELECT" && f[2] == "FROM":
		return &fakeQuery{class: f[3]}, nil
	case len(f) == 8 && f[4] == "WHERE" && f[5] == "Size" && f[6] == "=":
		return &fakeQuery{class: f[3], size: f[7]}, nil
	}
	return nil, fmt.Errorf("syntax error in %q", text) // not a *cim.Error: becomes 15
}

// fakeFilter understands "Size = n" in FQL.
type fakeFilter struct{ q fakeQuery }

func (f *fakeFilter) Match(inst *cim.Instance) (bool, error) { return f.q.Match(inst) }

func parseFakeFilter(lang, text string) (dispatch.CompiledFilter, error) {
	var n string
	if _, err := fmt.Sscanf(text, "Size = %s", &n); err != nil {
		return nil, cim.Errorf(cim.StatusInvalidQuery, "bad filter")
	}
	return &fakeFilter{fakeQuery{size: n}}, nil
}

func TestExecQuery(t *testing.T) {
	f := newFixture(t)
	dispatch.SetQueryParsers(f.d, parseFake, parseFakeFilter)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name, lang, query string
		want              []string
		status            cim.Status
	}{
		{"all, subclasses included", "WQL", "SELECT * FROM T_Thing", []string{pc, pa, pb}, cim.StatusOK},
		{"where", "WQL", "SELECT * FROM T_Base WHERE Size = 2", []string{pb}, cim.StatusOK},
		{"language", "CQL", "SELECT * FROM T_Thing", nil, cim.StatusQueryLanguageNotSupported},
		{"syntax", "WQL", "SELECT FROM", nil, cim.StatusInvalidQuery},
		{"unknown class", "WQL", "SELECT * FROM Nope", nil, cim.StatusInvalidQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := &cim.ExecQuery{Base: b, QueryLanguage: tt.lang, Query: tt.query}
			if tt.status != cim.StatusOK {
				if got := status(t, f.d, op); got != tt.status {
					t.Errorf("status %v, want %v", got, tt.status)
				}
				return
			}
			objs := objects(t, mustDo(t, f.d, op))
			if got := paths(objs); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, o := range objs {
				if got := propNames(o.Instance); !slices.Equal(got, []string{"Id"}) {
					t.Errorf("%s: projected to %v", o.Path, got)
				}
			}
		})
	}
}

func TestOpenQueryInstances(t *testing.T) {
	f := newFixture(t)
	dispatch.SetQueryParsers(f.d, parseFake, parseFakeFilter)
	b := cim.Base{Namespace: ns}
	res := mustDo(t, f.d, &cim.OpenQueryInstances{Base: b, PullOptions: cim.PullOptions{
		FilterQueryLanguage: "WQL", FilterQuery: "SELECT * FROM T_Base", MaxObjectCount: 1}})
	objs := objects(t, res)
	if len(objs) != 1 || res.EndOfSequence {
		t.Fatalf("open: %d objects, EOS %v", len(objs), res.EndOfSequence)
	}
	if got := status(t, f.d, &cim.PullInstancesWithPath{Base: b, EnumerationContext: res.EnumerationContext, MaxObjectCount: 5}); got != cim.StatusInvalidEnumerationContext {
		t.Errorf("PullInstancesWithPath on a query: %v", got)
	}
	res = mustDo(t, f.d, &cim.PullInstances{Base: b, EnumerationContext: res.EnumerationContext, MaxObjectCount: 5})
	objs = append(objs, objects(t, res)...)
	if len(objs) != 3 || !res.EndOfSequence {
		t.Fatalf("after the pull: %d objects, EOS %v", len(objs), res.EndOfSequence)
	}
	for _, o := range objs {
		if o.Path != nil || o.Instance == nil || len(o.Instance.Properties) != 1 {
			t.Errorf("query result %+v: want a projected instance without path", o)
		}
	}
	if got := status(t, f.d, &cim.OpenQueryInstances{Base: b, PullOptions: cim.PullOptions{
		FilterQueryLanguage: "WQL", FilterQuery: "SELECT * FROM Nope"}}); got != cim.StatusInvalidQuery {
		t.Errorf("unknown class: %v", got)
	}
}

func TestOpenWithFilter(t *testing.T) {
	f := newFixture(t)
	dispatch.SetQueryParsers(f.d, parseFake, parseFakeFilter)
	b := cim.Base{Namespace: ns}
	fql := func(q string) cim.PullOptions {
		return cim.PullOptions{FilterQueryLanguage: "dmtf:fql", FilterQuery: q, MaxObjectCount: 100}
	}
	tests := []struct {
		name string
		op   cim.Op
		want []string
	}{
		{"instances", &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Base", DeepInheritance: true, PullOptions: fql("Size = 2")}, []string{pb}},
		{"paths", &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Base", PullOptions: fql("Size = 1")}, []string{pa}},
		{"associators", &cim.OpenAssociatorInstances{Base: b, InstanceName: thingPath("a"), PullOptions: fql("Size = 2")}, []string{pb}},
		{"associator paths", &cim.OpenAssociatorInstancePaths{Base: b, InstanceName: thingPath("a"), PullOptions: fql("Size = 2")}, []string{pb}},
		{"references", &cim.OpenReferenceInstances{Base: b, InstanceName: thingPath("a"), PullOptions: fql("Size = 2")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustDo(t, f.d, tt.op)
			if got := paths(objects(t, res)); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := status(t, f.d, &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Base", PullOptions: fql("Size >")}); got != cim.StatusInvalidQuery {
		t.Errorf("bad filter: %v", got)
	}
}
