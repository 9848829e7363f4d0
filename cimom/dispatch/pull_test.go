package dispatch_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/providers"
)

func TestPullSequence(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	res := mustDo(t, f.d, &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Base", DeepInheritance: true})
	if got := objects(t, res); len(got) != 0 || res.EndOfSequence || res.EnumerationContext == "" {
		t.Fatalf("Open with MaxObjectCount 0: %d objects, EOS %v, context %q", len(got), res.EndOfSequence, res.EnumerationContext)
	}
	ctxID := res.EnumerationContext
	var all []cim.Object
	for i, step := range []struct {
		max  uint32
		n    int
		eos  bool
		kind string
	}{
		{0, 0, false, "keep-alive"},
		{2, 2, false, "page"},
		{5, 1, true, "last page"},
	} {
		res := mustDo(t, f.d, &cim.PullInstancesWithPath{Base: b, EnumerationContext: ctxID, MaxObjectCount: step.max})
		objs := objects(t, res)
		if len(objs) != step.n || res.EndOfSequence != step.eos {
			t.Fatalf("pull %d (%s): %d objects, EOS %v; want %d, %v", i, step.kind, len(objs), res.EndOfSequence, step.n, step.eos)
		}
		if step.eos && res.EnumerationContext != "" || !step.eos && res.EnumerationContext != ctxID {
			t.Errorf("pull %d: context %q", i, res.EnumerationContext)
		}
		all = append(all, objs...)
	}
	want := []string{pc, pa, pb}
	if got := paths(all); !slices.Equal(got, want) {
		t.Errorf("pulled %v, want %v", got, want)
	}
	for _, o := range all {
		if o.Instance == nil {
			t.Errorf("%s: no instance", o.Path)
		}
	}
	if got := status(t, f.d, &cim.PullInstancesWithPath{Base: b, EnumerationContext: ctxID, MaxObjectCount: 1}); got != cim.StatusInvalidEnumerationContext {
		t.Errorf("pull after the end: %v", got)
	}
	if n := f.d.OpenContexts(); n != 0 {
		t.Errorf("%d contexts open", n)
	}
}

func TestOpenEverythingAtOnce(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name string
		op   cim.Op
		want []string
	}{
		{"OpenEnumerateInstances", &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Thing", PullOptions: cim.PullOptions{MaxObjectCount: 3}}, []string{pc, pa, pb}},
		{"OpenEnumerateInstancePaths", &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Dyn", PullOptions: cim.PullOptions{MaxObjectCount: 100}}, []string{pd1, `root/test:T_Dyn.Name="d2"`}},
		{"OpenAssociatorInstances", &cim.OpenAssociatorInstances{Base: b, InstanceName: thingPath("a"), AssocClass: "T_Link", PullOptions: cim.PullOptions{MaxObjectCount: 10}}, []string{pc, pb}},
		{"OpenAssociatorInstancePaths", &cim.OpenAssociatorInstancePaths{Base: b, InstanceName: thingPath("a"), ResultRole: "A", PullOptions: cim.PullOptions{MaxObjectCount: 10}}, []string{pd1}},
		{"OpenReferenceInstances", &cim.OpenReferenceInstances{Base: b, InstanceName: thingPath("b"), PullOptions: cim.PullOptions{MaxObjectCount: 10}}, []string{linkAB}},
		{"OpenReferenceInstancePaths", &cim.OpenReferenceInstancePaths{Base: b, InstanceName: thingPath("a"), Role: "B", PullOptions: cim.PullOptions{MaxObjectCount: 10}}, []string{dynD1A}},
		{"empty with MaxObjectCount 0", &cim.OpenReferenceInstances{Base: b, InstanceName: classPath("T_BigThing", "c"), Role: "Left"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustDo(t, f.d, tt.op)
			objs := objects(t, res)
			if !res.EndOfSequence || res.EnumerationContext != "" {
				t.Errorf("EOS %v, context %q", res.EndOfSequence, res.EnumerationContext)
			}
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := paths(objs); !slices.Equal(got, want) && len(got)+len(want) > 0 {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	if n := f.d.OpenContexts(); n != 0 {
		t.Errorf("%d contexts left open", n)
	}
}

func TestPullContextChecks(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	open := func() string {
		res := mustDo(t, f.d, &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Base"})
		return res.EnumerationContext
	}
	id := open()
	tests := []struct {
		name string
		op   cim.Op
		want cim.Status
	}{
		{"wrong kind", &cim.PullInstancesWithPath{Base: b, EnumerationContext: id, MaxObjectCount: 1}, cim.StatusInvalidEnumerationContext},
		{"query kind", &cim.PullInstances{Base: b, EnumerationContext: id, MaxObjectCount: 1}, cim.StatusInvalidEnumerationContext},
		{"other namespace", &cim.PullInstancePaths{Base: cim.Base{Namespace: "root/other"}, EnumerationContext: id, MaxObjectCount: 1}, cim.StatusInvalidEnumerationContext},
		{"MaxObjectCount above cap", &cim.PullInstancePaths{Base: b, EnumerationContext: id, MaxObjectCount: 10001}, cim.StatusServerLimitsExceeded},
		{"EnumerationCount", &cim.EnumerationCount{Base: b, EnumerationContext: id}, cim.StatusNotSupported},
		{"the right one still works", &cim.PullInstancePaths{Base: b, EnumerationContext: id, MaxObjectCount: 1}, cim.StatusOK},
		{"close", &cim.CloseEnumeration{Base: b, EnumerationContext: id}, cim.StatusOK},
		{"pull after close", &cim.PullInstancePaths{Base: b, EnumerationContext: id, MaxObjectCount: 1}, cim.StatusInvalidEnumerationContext},
		{"close twice", &cim.CloseEnumeration{Base: b, EnumerationContext: id}, cim.StatusInvalidEnumerationContext},
	}
	for _, tt := range tests {
		if got := status(t, f.d, tt.op); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPullExpiry(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	open := func(timeout *uint32) string {
		return mustDo(t, f.d, &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Base", PullOptions: cim.PullOptions{OperationTimeout: timeout}}).EnumerationContext
	}
	pull := func(id string) cim.Status {
		return status(t, f.d, &cim.PullInstancePaths{Base: b, EnumerationContext: id})
	}
	short := open(u32(10))
	def := open(nil)
	f.clock.Advance(9 * time.Second)
	if got := pull(short); got != cim.StatusOK {
		t.Fatalf("keep-alive pull at 9 s: %v", got)
	}
	f.clock.Advance(9 * time.Second) // 9 s after the keep-alive, 18 s after the Open
	if got := pull(short); got != cim.StatusOK {
		t.Fatalf("pull within the timeout of the last pull: %v", got)
	}
	f.clock.Advance(11 * time.Second)
	if got := pull(short); got != cim.StatusInvalidEnumerationContext {
		t.Errorf("pull after the timeout: %v", got)
	}
	// The default is 40 s; 29 s have passed.
	f.clock.Advance(11 * time.Second)
	if got := pull(def); got != cim.StatusOK {
		t.Errorf("default timeout: pull at 40 s: %v", got)
	}
	f.clock.Advance(41 * time.Second)
	if n := f.d.OpenContexts(); n != 1 {
		t.Errorf("%d contexts before the purge, want 1 (purged lazily)", n)
	}
	open(nil) // an Open purges
	if n := f.d.OpenContexts(); n != 1 {
		t.Errorf("%d contexts after the purge, want the new one only", n)
	}
}

func TestPullClientLimit(t *testing.T) {
	f := newFixture(t) // MaxContextsPerClient 3
	b := cim.Base{Namespace: ns}
	openAs := func(addr string) (string, cim.Status) {
		ctx := dispatch.WithClientAddr(context.Background(), addr)
		res, err := f.d.Do(ctx, &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Base"})
		if err != nil {
			return "", cim.StatusOf(err)
		}
		return res.EnumerationContext, cim.StatusOK
	}
	var ids []string
	for i := 0; i < 3; i++ {
		id, st := openAs(fmt.Sprintf("192.0.2.1:%d", 40000+i)) // one host, several connections
		if st != cim.StatusOK {
			t.Fatalf("open %d: %v", i, st)
		}
		ids = append(ids, id)
	}
	if _, st := openAs("192.0.2.1"); st != cim.StatusServerLimitsExceeded {
		t.Errorf("fourth context: %v", st)
	}
	if _, st := openAs("192.0.2.2"); st != cim.StatusOK {
		t.Errorf("another client: %v", st)
	}
	// Everything fits in the first response: no context, no limit needed… but the
	// limit is checked at Open, before the enumeration runs.
	mustDo(t, f.d, &cim.CloseEnumeration{Base: b, EnumerationContext: ids[0]})
	if _, st := openAs("192.0.2.1"); st != cim.StatusOK {
		t.Errorf("after a close: %v", st)
	}
	f.clock.Advance(41 * time.Second)
	if _, st := openAs("192.0.2.1"); st != cim.StatusOK {
		t.Errorf("after the others expired: %v", st)
	}
}

// gateProv serves T_RO: the first instance at once, the second after gate is
// closed (announcing on entered that it waits); it records when its enumeration
// was stopped.
type gateProv struct {
	ctx     context.Context // of the last EnumerateInstances
	entered chan struct{}
	gate    chan struct{}
	stopped chan struct{}
}

func (p *gateProv) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	return nil, nil
}

func (p *gateProv) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.StatusNotFound, "no")
}

func (p *gateProv) EnumerateInstances(ctx context.Context, ns, class string) iter.Seq2[*cim.Instance, error] {
	p.ctx = ctx
	inst := func(name string) *cim.Instance {
		return &cim.Instance{ClassName: "T_RO", Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: name}}}
	}
	return func(yield func(*cim.Instance, error) bool) {
		defer close(p.stopped)
		if !yield(inst("r1"), nil) {
			return
		}
		if p.entered != nil {
			p.entered <- struct{}{}
			<-p.gate
		}
		if !yield(inst("r2"), nil) {
			return
		}
		yield(inst("r3"), nil)
	}
}

func newGateFixture(t *testing.T, gated bool) (*dispatch.Dispatcher, *gateProv) {
	p := &gateProv{stopped: make(chan struct{})}
	if gated {
		p.entered, p.gate = make(chan struct{}), make(chan struct{})
	}
	d := dispatch.New(loadSchema(t), dispatch.Options{})
	if err := d.Register(providers.Registration{Classes: []string{"T_RO"}, Provider: p}); err != nil {
		t.Fatal(err)
	}
	return d, p
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Closing a context, or the dispatcher, stops the enumeration under it.
func TestPullReleasesEnumerations(t *testing.T) {
	b := cim.Base{Namespace: ns}
	for _, how := range []string{"CloseEnumeration", "Close", "expiry", "end"} {
		t.Run(how, func(t *testing.T) {
			clk := &clock{now: time.Unix(0, 0)}
			p := &gateProv{stopped: make(chan struct{})}
			d := dispatch.New(loadSchema(t), dispatch.Options{Now: clk.Now})
			defer d.Close()
			if err := d.Register(providers.Registration{Classes: []string{"T_RO"}, Provider: p}); err != nil {
				t.Fatal(err)
			}
			res := mustDo(t, d, &cim.OpenEnumerateInstances{Base: b, ClassName: "T_RO", PullOptions: cim.PullOptions{MaxObjectCount: 1}})
			if isClosed(p.stopped) {
				t.Fatal("stopped after the Open")
			}
			switch how {
			case "CloseEnumeration":
				mustDo(t, d, &cim.CloseEnumeration{Base: b, EnumerationContext: res.EnumerationContext})
			case "Close":
				d.Close()
				if got := status(t, d, &cim.OpenEnumerateInstances{Base: b, ClassName: "T_RO"}); got != cim.StatusServerIsShuttingDown {
					t.Errorf("Open after Close: %v", got)
				}
			case "expiry":
				clk.Advance(time.Minute)
				status(t, d, &cim.PullInstancesWithPath{Base: b, EnumerationContext: "other"})
			case "end":
				res := mustDo(t, d, &cim.PullInstancesWithPath{Base: b, EnumerationContext: res.EnumerationContext, MaxObjectCount: 5})
				if n := len(objects(t, res)); n != 2 || !res.EndOfSequence {
					t.Errorf("last pull: %d objects, EOS %v", n, res.EndOfSequence)
				}
			}
			if !isClosed(p.stopped) {
				t.Errorf("the enumeration was not stopped")
			}
			if p.ctx.Err() == nil {
				t.Errorf("the provider's context was not cancelled")
			}
		})
	}
}

// A Pull that runs while its context is closed ends with PULL_HAS_BEEN_ABANDONED;
// a second Pull on a busy context is refused.
func TestPullAbandoned(t *testing.T) {
	b := cim.Base{Namespace: ns}
	d, p := newGateFixture(t, true)
	defer d.Close()
	res := mustDo(t, d, &cim.OpenEnumerateInstances{Base: b, ClassName: "T_RO"})
	id := res.EnumerationContext
	done := make(chan cim.Status)
	go func() {
		_, err := d.Do(context.Background(), &cim.PullInstancesWithPath{Base: b, EnumerationContext: id, MaxObjectCount: 1})
		done <- cim.StatusOf(err)
	}()
	<-p.entered // the Pull waits inside the provider
	if got := status(t, d, &cim.PullInstancesWithPath{Base: b, EnumerationContext: id, MaxObjectCount: 1}); got != cim.StatusInvalidEnumerationContext {
		t.Errorf("concurrent Pull: %v", got)
	}
	mustDo(t, d, &cim.CloseEnumeration{Base: b, EnumerationContext: id})
	close(p.gate)
	if got := <-done; got != cim.StatusPullHasBeenAbandoned {
		t.Errorf("abandoned Pull: %v", got)
	}
	<-p.stopped // the enumeration was stopped (the test would hang otherwise)
}

// errProv serves T_RO: one instance, then an error.
type errProv struct{ gateProv }

func (p *errProv) EnumerateInstances(ctx context.Context, ns, class string) iter.Seq2[*cim.Instance, error] {
	return func(yield func(*cim.Instance, error) bool) {
		if !yield(&cim.Instance{ClassName: "T_RO", Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: "r1"}}}, nil) {
			return
		}
		yield(nil, cim.Errorf(cim.StatusAccessDenied, "no more for you"))
	}
}

// An error of the enumeration that comes after a full page is reported by the
// next Pull, which closes the context.
func TestPullError(t *testing.T) {
	b := cim.Base{Namespace: ns}
	d := dispatch.New(loadSchema(t), dispatch.Options{})
	defer d.Close()
	if err := d.Register(providers.Registration{Classes: []string{"T_RO"}, Provider: &errProv{}}); err != nil {
		t.Fatal(err)
	}
	res := mustDo(t, d, &cim.OpenEnumerateInstances{Base: b, ClassName: "T_RO", PullOptions: cim.PullOptions{MaxObjectCount: 1}})
	if n := len(objects(t, res)); n != 1 || res.EndOfSequence {
		t.Fatalf("open: %d objects, EOS %v", n, res.EndOfSequence)
	}
	if got := status(t, d, &cim.PullInstancesWithPath{Base: b, EnumerationContext: res.EnumerationContext, MaxObjectCount: 1}); got != cim.StatusAccessDenied {
		t.Errorf("pull: %v, want the provider's error", got)
	}
	if n := d.OpenContexts(); n != 0 {
		t.Errorf("%d contexts open after the error", n)
	}
	// An error within the first page fails the Open.
	if got := status(t, d, &cim.OpenEnumerateInstances{Base: b, ClassName: "T_RO", PullOptions: cim.PullOptions{MaxObjectCount: 5}}); got != cim.StatusAccessDenied {
		t.Errorf("open: %v", got)
	}
}
