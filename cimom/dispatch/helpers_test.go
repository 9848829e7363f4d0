package dispatch_test

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/compile"
	"github.com/shypecim/shypecim/providers"
)

// *repository.Store is the dispatcher's Schema.
var _ dispatch.Schema = (*repository.Store)(nil)

const ns = "root/test"

// testMOF is the schema of the tests:
//
//	T_Base (abstract; key Id)      T_Num (keys of four types)
//	└── T_Thing (Reset())         T_Dyn (fake provider: methods Ping static, Rename)
//	    └── T_BigThing            T_RO (provider without writer, enumerator or methods)
//	T_Link (association Left T_Thing, Right T_Base)
//	└── T_SubLink
//	T_DynLink (association A T_Dyn, B T_Thing; fake provider)
const testMOF = `
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Abstract : boolean = false, Scope(class, association, indication), Flavor(EnableOverride, Restricted);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Override : string = null, Scope(property, reference, method), Flavor(EnableOverride, Restricted);
Qualifier Static : boolean = false, Scope(property, method), Flavor(DisableOverride, ToSubclass);

[Abstract] class T_Base {
	[Key] string Id;
	string Label = "none";
};
class T_Thing : T_Base {
	uint32 Size;
	boolean Flag;
	sint16 Temp;
	datetime When;
	string Tags[];
	uint32 Reset();
};
class T_BigThing : T_Thing {
	uint64 Extra;
};
class T_Num {
	[Key] uint32 N;
	[Key] sint64 S;
	[Key] char16 C;
	[Key] datetime D;
	string V;
};
class T_Dyn {
	[Key] string Name;
	uint32 Count;
	[Static] uint32 Ping([In] string Msg, [In(false), Out] string Echo);
	string Rename([In] string NewName, [In] uint8 Times[], [In(false), Out, EmbeddedInstance("T_Dyn")] string Copy);
	[Static] uint32 Load([In, EmbeddedInstance("T_Dyn")] string Items[], [In, EmbeddedInstance("T_Dyn")] string One, [In] string Plain);
};
class T_RO {
	[Key] string Name;
	uint32 Ping();
};
[Association] class T_Link {
	[Key] T_Thing REF Left;
	[Key] T_Base REF Right;
	string Note;
};
[Association] class T_SubLink : T_Link {
};
[Association] class T_DynLink {
	[Key] T_Dyn REF A;
	[Key] T_Thing REF B;
};
`

// fakeProv is a provider of T_Dyn and T_DynLink holding instances in memory: instance,
// writer and methods, no fast enumeration. It records the calls it gets.
type fakeProv struct {
	mu       sync.Mutex
	insts    []*cim.Instance
	modified []string         // props of the last ModifyInstance
	in       []cim.ParamValue // parameters of the last InvokeMethod
	target   *cim.ObjectPath  // target of the last InvokeMethod
	ret      any              // what InvokeMethod returns
	out      []cim.ParamValue
	fail     error // returned by every call when set
	block    chan struct{}
	entered  chan struct{}
}

var (
	_ providers.InstanceWriter = (*fakeProv)(nil)
	_ providers.MethodProvider = (*fakeProv)(nil)
)

func (p *fakeProv) find(path *cim.ObjectPath) int {
	for i, in := range p.insts {
		if !strings.EqualFold(in.ClassName, path.ClassName) {
			continue
		}
		ok := true
		for _, k := range path.Keys {
			v := in.Property(k.Name)
			if v == nil || !cim.EqualValues(v.Value, k.Value) {
				ok = false
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

func (p *fakeProv) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	if p.entered != nil {
		p.entered <- struct{}{}
		<-p.block
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return nil, p.fail
	}
	var out []*cim.ObjectPath
	for _, in := range p.insts {
		if strings.EqualFold(in.ClassName, class) {
			pth := &cim.ObjectPath{ClassName: in.ClassName}
			for _, pr := range in.Properties {
				if pr.Name == "Name" || pr.Name == "A" || pr.Name == "B" {
					pth.Keys = append(pth.Keys, cim.KeyBinding{Name: pr.Name, Value: pr.Value})
				}
			}
			out = append(out, pth)
		}
	}
	return out, nil
}

func (p *fakeProv) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return nil, p.fail
	}
	if i := p.find(path); i >= 0 {
		return p.insts[i], nil
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no %s", path)
}

func (p *fakeProv) CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.insts = append(p.insts, inst)
	path := &cim.ObjectPath{ClassName: inst.ClassName}
	for _, pr := range inst.Properties {
		if pr.Name == "Name" || pr.Name == "A" || pr.Name == "B" {
			path.Keys = append(path.Keys, cim.KeyBinding{Name: pr.Name, Value: pr.Value})
		}
	}
	return path, nil
}

func (p *fakeProv) ModifyInstance(ctx context.Context, ns string, path *cim.ObjectPath, inst *cim.Instance, props []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.find(path)
	if i < 0 {
		return cim.Errorf(cim.StatusNotFound, "no %s", path)
	}
	p.modified = props
	cp := *p.insts[i]
	cp.Properties = slices.Clone(cp.Properties)
	for _, n := range props {
		for j := range cp.Properties {
			if strings.EqualFold(cp.Properties[j].Name, n) {
				cp.Properties[j].Value = inst.Property(n).Value
			}
		}
	}
	p.insts[i] = &cp
	return nil
}

func (p *fakeProv) DeleteInstance(ctx context.Context, ns string, path *cim.ObjectPath) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.find(path)
	if i < 0 {
		return cim.Errorf(cim.StatusNotFound, "no %s", path)
	}
	p.insts = slices.Delete(p.insts, i, i+1)
	return nil
}

func (p *fakeProv) InvokeMethod(ctx context.Context, ns string, target *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.in, p.target = in, target
	if p.fail != nil {
		return nil, nil, p.fail
	}
	return p.ret, p.out, nil
}

// roProv serves T_RO read-only, with the fast enumeration path.
type roProv struct{ insts []*cim.Instance }

func (p *roProv) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	return nil, errors.New("roProv: EnumerateInstanceNames must not be called: it has EnumerateInstances")
}

func (p *roProv) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	for _, in := range p.insts {
		if v, _ := path.Key("Name"); cim.EqualValues(in.Property("Name").Value, v) {
			return in, nil
		}
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no %s", path)
}

func (p *roProv) EnumerateInstances(ctx context.Context, ns, class string) iter.Seq2[*cim.Instance, error] {
	return func(yield func(*cim.Instance, error) bool) {
		for _, in := range p.insts {
			if !yield(in, nil) {
				return
			}
		}
	}
}

// clock is a settable clock for the enumeration contexts.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	d     *dispatch.Dispatcher
	store *repository.Store
	prov  *fakeProv
	ro    *roProv
	clock *clock
}

func str(name, v string) cim.Property { return cim.Property{Name: name, Value: v} }

func prop(name string, v any) cim.Property { return cim.Property{Name: name, Value: v} }

func thingPath(id string) *cim.ObjectPath {
	return &cim.ObjectPath{ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "Id", Value: id}}}
}

func classPath(class, id string) *cim.ObjectPath {
	return &cim.ObjectPath{ClassName: class, Keys: []cim.KeyBinding{{Name: "Id", Value: id}}}
}

func dynPath(name string) *cim.ObjectPath {
	return &cim.ObjectPath{ClassName: "T_Dyn", Keys: []cim.KeyBinding{{Name: "Name", Value: name}}}
}

func loadSchema(t testing.TB) *repository.Store {
	t.Helper()
	c := compile.New(compile.Options{Namespace: ns})
	if err := c.CompileSource("test.mof", testMOF); err != nil {
		t.Fatalf("compile: %v", err)
	}
	s := repository.New()
	if err := c.Result().WriteTo(s); err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := s.CreateNamespace("root/other"); err != nil {
		t.Fatal(err)
	}
	return s
}

// newFixture returns a dispatcher on the test schema with instances created
// through it:
//
//	T_Thing a (Size 1), b (Size 2); T_BigThing c (Extra 9)
//	T_Link a→b; T_SubLink a→c; T_Num 5,-3,'x',2024…
//	T_Dyn d1, d2 (fake provider); T_DynLink d1→a; T_RO r1
func newFixture(t testing.TB) *fixture {
	t.Helper()
	s := loadSchema(t)
	f := &fixture{store: s, prov: &fakeProv{}, clock: &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	f.ro = &roProv{insts: []*cim.Instance{{ClassName: "T_RO", Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: "r1"}}}}}
	f.d = dispatch.New(s, dispatch.Options{Now: f.clock.Now, MaxContextsPerClient: 3})
	t.Cleanup(func() { f.d.Close() })
	if err := f.d.Register(providers.Registration{Namespaces: []string{ns}, Classes: []string{"T_Dyn", "T_DynLink"}, Provider: f.prov}); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Register(providers.Registration{Classes: []string{"T_RO"}, Provider: f.ro}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*cim.Instance{
		{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "a"), prop("Size", "1"), str("Label", "first")}},
		{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "b"), prop("Size", uint32(2)), prop("Flag", true)}},
		{ClassName: "T_BigThing", Properties: []cim.Property{str("Id", "c"), prop("Extra", "9")}},
		{ClassName: "T_Link", Properties: []cim.Property{prop("Left", thingPath("a")), prop("Right", thingPath("b")), str("Note", "ab")}},
		{ClassName: "T_SubLink", Properties: []cim.Property{prop("Left", thingPath("a")), prop("Right", classPath("T_BigThing", "c"))}},
		{ClassName: "T_Num", Properties: []cim.Property{prop("N", "5"), prop("S", "-3"), prop("C", "x"), prop("D", "20240101000000.000000+000")}},
		{ClassName: "T_Dyn", Properties: []cim.Property{str("Name", "d1"), prop("Count", "1")}},
		{ClassName: "T_Dyn", Properties: []cim.Property{str("Name", "d2"), prop("Count", "2")}},
		{ClassName: "T_DynLink", Properties: []cim.Property{prop("A", dynPath("d1")), prop("B", thingPath("a"))}},
	} {
		mustDo(t, f.d, &cim.CreateInstance{Base: cim.Base{Namespace: ns}, NewInstance: in})
	}
	return f
}

func mustDo(t testing.TB, d *dispatch.Dispatcher, op cim.Op) *cim.Result {
	t.Helper()
	res, err := d.Do(context.Background(), op)
	if err != nil {
		t.Fatalf("%s: %v", op.OpName(), err)
	}
	return res
}

// status runs op and returns the status of its error, after draining the
// result's objects (where an error may come too).
func status(t testing.TB, d *dispatch.Dispatcher, op cim.Op) cim.Status {
	t.Helper()
	res, err := d.Do(context.Background(), op)
	if err != nil {
		var ce *cim.Error
		if !errors.As(err, &ce) || ce != err {
			t.Errorf("%s: error %v is not a *cim.Error", op.OpName(), err)
		}
		return cim.StatusOf(err)
	}
	if res.Objects != nil {
		for _, err := range res.Objects {
			if err != nil {
				return cim.StatusOf(err)
			}
		}
	}
	return cim.StatusOK
}

func objects(t testing.TB, res *cim.Result) []cim.Object {
	t.Helper()
	var out []cim.Object
	if res.Objects == nil {
		return out
	}
	for o, err := range res.Objects {
		if err != nil {
			t.Fatalf("objects: %v", err)
		}
		out = append(out, o)
	}
	return out
}

// paths returns the sorted text of the objects' paths.
func paths(objs []cim.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Path.String()
	}
	sort.Strings(out)
	return out
}

func propNames(in *cim.Instance) []string {
	out := make([]string, len(in.Properties))
	for i, p := range in.Properties {
		out[i] = p.Name
	}
	return out
}
