package dispatch_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/providers"
)

var allThingProps = []string{"Id", "Label", "Size", "Flag", "Temp", "When", "Tags"}

func TestGetInstance(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	numKeys := []cim.KeyBinding{{Name: "n", Value: "5"}, {Name: "S", Value: int64(-3)}, {Name: "C", Value: "x"}, {Name: "D", Value: "20240101000000.000000+000"}}
	tests := []struct {
		name      string
		path      *cim.ObjectPath
		pl        cim.PropertyList
		wantProps []string
		check     func(t *testing.T, in *cim.Instance)
	}{
		{"every property, NULLs included", thingPath("a"), nil, allThingProps, func(t *testing.T, in *cim.Instance) {
			if v := in.Property("Size").Value; v != uint32(1) {
				t.Errorf("Size = %#v, want uint32(1)", v)
			}
			if v := in.Property("Flag").Value; v != nil {
				t.Errorf("Flag = %#v, want NULL", v)
			}
		}},
		{"class default filled in at creation", thingPath("b"), nil, allThingProps, func(t *testing.T, in *cim.Instance) {
			if v := in.Property("Label").Value; v != "none" {
				t.Errorf("Label = %#v, want the default", v)
			}
		}},
		{"PropertyList", thingPath("a"), cim.PropertyList{"size", "Nope", "Label"}, []string{"Label", "Size"}, nil},
		{"empty PropertyList", thingPath("a"), cim.PropertyList{}, []string{}, nil},
		{"keys typed from text", &cim.ObjectPath{ClassName: "T_Num", Keys: numKeys}, nil, []string{"N", "S", "C", "D", "V"}, func(t *testing.T, in *cim.Instance) {
			if v := in.Property("C").Value; v != cim.Char16('x') {
				t.Errorf("C = %#v", v)
			}
		}},
		{"class and key names case-insensitive", &cim.ObjectPath{ClassName: "t_thing", Keys: []cim.KeyBinding{{Name: "ID", Value: "a"}}}, nil, allThingProps, nil},
		{"namespace in path", &cim.ObjectPath{Namespace: "/Root/Test/", ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "Id", Value: "a"}}}, nil, allThingProps, nil},
		{"provider", dynPath("d1"), cim.PropertyList{"Count"}, []string{"Count"}, func(t *testing.T, in *cim.Instance) {
			if v := in.Property("Count").Value; v != uint32(1) {
				t.Errorf("Count = %#v", v)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustDo(t, f.d, &cim.GetInstance{Base: b, InstanceName: tt.path, PropertyList: tt.pl})
			if got := propNames(res.Instance); !slices.Equal(got, tt.wantProps) {
				t.Errorf("properties %v, want %v", got, tt.wantProps)
			}
			if tt.check != nil {
				tt.check(t, res.Instance)
			}
		})
	}
	// Filtering returned a copy: the stored instance still has every property.
	stored, err := f.store.Instance(ns, thingPath("a"))
	if err != nil {
		t.Fatal(err)
	}
	if got := propNames(stored); !slices.Equal(got, allThingProps) {
		t.Errorf("stored instance has %v after filtering", got)
	}
}

func TestEnumerateInstances(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name      string
		op        *cim.EnumerateInstances
		wantPaths []string
		wantProps map[string][]string // by Id
	}{
		{"deep", &cim.EnumerateInstances{Base: b, ClassName: "T_Base", DeepInheritance: true},
			[]string{`root/test:T_BigThing.Id="c"`, `root/test:T_Thing.Id="a"`, `root/test:T_Thing.Id="b"`},
			map[string][]string{"a": allThingProps, "c": append(slices.Clone(allThingProps), "Extra")}},
		{"DeepInheritance false narrows to the class", &cim.EnumerateInstances{Base: b, ClassName: "T_Thing"},
			[]string{`root/test:T_BigThing.Id="c"`, `root/test:T_Thing.Id="a"`, `root/test:T_Thing.Id="b"`},
			map[string][]string{"c": allThingProps}},
		{"DeepInheritance false from the abstract root", &cim.EnumerateInstances{Base: b, ClassName: "T_Base"},
			[]string{`root/test:T_BigThing.Id="c"`, `root/test:T_Thing.Id="a"`, `root/test:T_Thing.Id="b"`},
			map[string][]string{"c": {"Id", "Label"}}},
		{"PropertyList after narrowing", &cim.EnumerateInstances{Base: b, ClassName: "T_Thing", PropertyList: cim.PropertyList{"Extra", "Size"}},
			[]string{`root/test:T_BigThing.Id="c"`, `root/test:T_Thing.Id="a"`, `root/test:T_Thing.Id="b"`},
			map[string][]string{"c": {"Size"}}},
		{"leaf", &cim.EnumerateInstances{Base: b, ClassName: "T_BigThing", DeepInheritance: true},
			[]string{`root/test:T_BigThing.Id="c"`}, nil},
		{"provider through names and GetInstance", &cim.EnumerateInstances{Base: b, ClassName: "T_Dyn", DeepInheritance: true},
			[]string{`root/test:T_Dyn.Name="d1"`, `root/test:T_Dyn.Name="d2"`}, nil},
		{"provider through its enumerator", &cim.EnumerateInstances{Base: b, ClassName: "T_RO", DeepInheritance: true},
			[]string{`root/test:T_RO.Name="r1"`}, nil},
		{"keys of four types", &cim.EnumerateInstances{Base: b, ClassName: "T_Num"}, []string{`root/test:T_Num.C="x",D="20240101000000.000000+000",N=5,S=-3`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := objects(t, mustDo(t, f.d, tt.op))
			if got := paths(objs); !slices.Equal(got, tt.wantPaths) {
				t.Errorf("paths %v, want %v", got, tt.wantPaths)
			}
			for _, o := range objs {
				if o.Instance == nil {
					t.Fatalf("%s: no instance", o.Path)
				}
				id, _ := o.Path.Key("Id")
				sid, _ := id.(string)
				if want, ok := tt.wantProps[sid]; ok {
					if got := propNames(o.Instance); !slices.Equal(got, want) {
						t.Errorf("%s: properties %v, want %v", o.Path, got, want)
					}
				}
			}
		})
	}
	stored, _ := f.store.Instance(ns, classPath("T_BigThing", "c"))
	if len(stored.Properties) != len(allThingProps)+1 {
		t.Errorf("the stored instance lost properties: %v", propNames(stored))
	}
}

func TestEnumerateInstanceNames(t *testing.T) {
	f := newFixture(t)
	objs := objects(t, mustDo(t, f.d, &cim.EnumerateInstanceNames{Base: cim.Base{Namespace: ns}, ClassName: "T_Base"}))
	want := []string{`root/test:T_BigThing.Id="c"`, `root/test:T_Thing.Id="a"`, `root/test:T_Thing.Id="b"`}
	if got := paths(objs); !slices.Equal(got, want) {
		t.Errorf("paths %v, want %v", got, want)
	}
	for _, o := range objs {
		if o.Instance != nil {
			t.Errorf("%s: names carry an instance", o.Path)
		}
	}
	objs = objects(t, mustDo(t, f.d, &cim.EnumerateInstanceNames{Base: cim.Base{Namespace: ns}, ClassName: "T_Dyn"}))
	if got := paths(objs); !slices.Equal(got, []string{`root/test:T_Dyn.Name="d1"`, `root/test:T_Dyn.Name="d2"`}) {
		t.Errorf("provider paths %v (want the namespace added)", got)
	}
}

func TestCreateInstance(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	res := mustDo(t, f.d, &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "t_bigthing",
		Qualifiers: cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: "sent by wbemcli ci"}},
		Properties: []cim.Property{str("ID", "n"), prop("Tags", []any{"x", "y"}), prop("Temp", "-7"), prop("When", "20250101120000.000000+060"),
			{Name: "Extra", Type: cim.TypeUint64, Value: uint64(1 << 40)}}}})
	if got := res.Path.String(); got != `root/test:T_BigThing.Id="n"` {
		t.Errorf("path %s", got)
	}
	in, err := f.store.Instance(ns, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Qualifiers) != 0 {
		t.Errorf("instance qualifiers stored: %v", in.Qualifiers)
	}
	want := map[string]any{"Id": "n", "Label": "none", "Temp": int16(-7), "When": cim.Datetime("20250101120000.000000+060"), "Extra": uint64(1 << 40)}
	for n, v := range want {
		if got := in.Property(n).Value; got != v {
			t.Errorf("%s = %#v, want %#v", n, got, v)
		}
	}
	if got := in.Property("Tags").Value; !cim.EqualValues(got, []any{"x", "y"}) {
		t.Errorf("Tags = %#v", got)
	}

	// A reference given as text (untyped) is typed, and then found by Associators.
	mustDo(t, f.d, &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Link", Properties: []cim.Property{
		prop("Left", `root/test:T_Thing.Id="b"`), prop("Right", thingPath("a"))}}})
	objs := objects(t, mustDo(t, f.d, &cim.AssociatorNames{Base: b, ObjectName: thingPath("b"), Role: "Left"}))
	if got := paths(objs); !slices.Equal(got, []string{pa}) {
		t.Errorf("associators of the new link: %v", got)
	}

	// A provider's path gets the namespace.
	res = mustDo(t, f.d, &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Dyn", Properties: []cim.Property{str("Name", "d3")}}})
	if got := res.Path.String(); got != `root/test:T_Dyn.Name="d3"` {
		t.Errorf("provider path %s", got)
	}
	if c := f.prov.insts[len(f.prov.insts)-1]; len(c.Properties) != 2 || c.Property("Count") == nil {
		t.Errorf("the provider got %v, want every property of the class", propNames(c))
	}
}

func TestModifyInstance(t *testing.T) {
	b := cim.Base{Namespace: ns}
	tests := []struct {
		name  string
		props []cim.Property
		pl    cim.PropertyList
		want  map[string]any
	}{
		{"properties given", []cim.Property{str("Label", "L"), prop("Size", "7")}, nil, map[string]any{"Label": "L", "Size": uint32(7), "Flag": nil}},
		{"what wbemcli mi sends: everything, keys unchanged", []cim.Property{str("Id", "a"), str("Label", "L"), prop("Size", uint32(1)), {Name: "Flag", Type: cim.TypeBoolean, Value: true, ClassOrigin: "T_Thing"}},
			nil, map[string]any{"Label": "L", "Size": uint32(1), "Flag": true}},
		{"only listed ones", []cim.Property{str("Label", "L"), prop("Size", "7")}, cim.PropertyList{"Size"}, map[string]any{"Label": "first", "Size": uint32(7)}},
		{"listed but absent: default", []cim.Property{prop("Size", "7")}, cim.PropertyList{"Label", "Size"}, map[string]any{"Label": "none", "Size": uint32(7)}},
		{"empty list: nothing", []cim.Property{prop("Size", "7")}, cim.PropertyList{}, map[string]any{"Label": "first", "Size": uint32(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			mustDo(t, f.d, &cim.ModifyInstance{Base: b, InstanceName: thingPath("a"), PropertyList: tt.pl,
				ModifiedInstance: &cim.Instance{ClassName: "T_Thing", Properties: tt.props}})
			in, err := f.store.Instance(ns, thingPath("a"))
			if err != nil {
				t.Fatal(err)
			}
			for n, v := range tt.want {
				if got := in.Property(n).Value; got != v {
					t.Errorf("%s = %#v, want %#v", n, got, v)
				}
			}
			if got := propNames(in); !slices.Equal(got, allThingProps) {
				t.Errorf("properties %v", got)
			}
		})
	}
	t.Run("path from the instance", func(t *testing.T) {
		f := newFixture(t)
		mustDo(t, f.d, &cim.ModifyInstance{Base: b, ModifiedInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "b"), str("Label", "B")}}})
		if in, _ := f.store.Instance(ns, thingPath("b")); in.Property("Label").Value != "B" {
			t.Errorf("Label = %v", in.Property("Label").Value)
		}
	})
	t.Run("provider", func(t *testing.T) {
		f := newFixture(t)
		mustDo(t, f.d, &cim.ModifyInstance{Base: b, InstanceName: dynPath("d1"),
			ModifiedInstance: &cim.Instance{ClassName: "T_Dyn", Properties: []cim.Property{str("Name", "d1"), prop("Count", "5")}}, PropertyList: cim.PropertyList{"count"}})
		if !slices.Equal(f.prov.modified, []string{"Count"}) {
			t.Errorf("provider got props %v", f.prov.modified)
		}
		res := mustDo(t, f.d, &cim.GetInstance{Base: b, InstanceName: dynPath("d1")})
		if v := res.Instance.Property("Count").Value; v != uint32(5) {
			t.Errorf("Count = %#v", v)
		}
	})
}

func TestDeleteInstance(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	for _, p := range []*cim.ObjectPath{thingPath("b"), dynPath("d2")} {
		mustDo(t, f.d, &cim.DeleteInstance{Base: b, InstanceName: p})
		if got := status(t, f.d, &cim.GetInstance{Base: b, InstanceName: p}); got != cim.StatusNotFound {
			t.Errorf("%s after DeleteInstance: %v", p, got)
		}
	}
}

func TestGetSetProperty(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	tests := []struct {
		path     *cim.ObjectPath
		prop     string
		newValue any
		want     any
		wantType cim.Type
		isArray  bool
	}{
		{thingPath("a"), "Size", "44", uint32(44), cim.TypeUint32, false},
		{thingPath("a"), "flag", "true", true, cim.TypeBoolean, false},
		{thingPath("a"), "Tags", []any{"p", "q"}, []any{"p", "q"}, cim.TypeString, true},
		{thingPath("a"), "Label", nil, nil, cim.TypeString, false},
		{thingPath("a"), "Temp", int64(-12), int16(-12), cim.TypeSint16, false},
		{dynPath("d1"), "Count", "0x10", uint32(16), cim.TypeUint32, false},
	}
	for _, tt := range tests {
		t.Run(tt.path.ClassName+"."+tt.prop, func(t *testing.T) {
			mustDo(t, f.d, &cim.SetProperty{Base: b, InstanceName: tt.path, PropertyName: tt.prop, NewValue: tt.newValue})
			res := mustDo(t, f.d, &cim.GetProperty{Base: b, InstanceName: tt.path, PropertyName: tt.prop})
			if !cim.EqualValues(res.Value, tt.want) || res.ValueType != tt.wantType || res.IsArray != tt.isArray {
				t.Errorf("got %#v (%v, array %v), want %#v (%v)", res.Value, res.ValueType, res.IsArray, tt.want, tt.wantType)
			}
		})
	}
}

func TestClassOperations(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	t.Run("GetClass", func(t *testing.T) {
		res := mustDo(t, f.d, &cim.GetClass{Base: b, ClassName: "t_bigthing"})
		if res.Class != f.store.Class(ns, "T_BigThing") {
			t.Errorf("GetClass did not return the stored class")
		}
	})
	names := func(op cim.Op) []string {
		res := mustDo(t, f.d, op)
		if res.ClassNames != nil {
			return res.ClassNames
		}
		var out []string
		for _, c := range res.Classes {
			out = append(out, c.Name)
		}
		return out
	}
	enumTests := []struct {
		name string
		op   cim.Op
		want []string
	}{
		{"roots", &cim.EnumerateClassNames{Base: b}, []string{"T_Base", "T_Num", "T_Dyn", "T_RO", "T_Link", "T_DynLink"}},
		{"all", &cim.EnumerateClassNames{Base: b, DeepInheritance: true}, []string{"T_Base", "T_Thing", "T_BigThing", "T_Num", "T_Dyn", "T_RO", "T_Link", "T_SubLink", "T_DynLink"}},
		{"direct subclasses", &cim.EnumerateClassNames{Base: b, ClassName: "T_Base"}, []string{"T_Thing"}},
		{"subtree", &cim.EnumerateClasses{Base: b, ClassName: "T_Base", DeepInheritance: true}, []string{"T_Thing", "T_BigThing"}},
		{"leaf", &cim.EnumerateClasses{Base: b, ClassName: "T_BigThing"}, []string{}},
	}
	for _, tt := range enumTests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(tt.op)
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("CreateClass, ModifyClass, DeleteClass", func(t *testing.T) {
		// A client may send inherited properties marked propagated: they are not
		// redefinitions.
		inherited := cim.Property{Name: "Size", Type: cim.TypeUint32, Propagated: true, ClassOrigin: "T_Thing"}
		inheritedMethod := cim.Method{Name: "Reset", ReturnType: cim.TypeUint32, Propagated: true}
		mustDo(t, f.d, &cim.CreateClass{Base: b, NewClass: &cim.Class{Name: "T_New", SuperClass: "T_Thing",
			Qualifiers: cim.Qualifiers{{Name: "Description", Type: cim.TypeString, Value: "new"}},
			Properties: []cim.Property{inherited, {Name: "Mine", Type: cim.TypeString}},
			Methods: []cim.Method{inheritedMethod, {Name: "Go", ReturnType: cim.TypeUint32, Parameters: []cim.Parameter{
				{Name: "Speed", Type: cim.TypeUint8, Qualifiers: cim.Qualifiers{{Name: "In", Type: cim.TypeBoolean, Value: true}}}}}}}})
		c := f.store.Class(ns, "T_New")
		if c == nil || c.Property("Mine") == nil || c.Property("Id") == nil || !c.Property("Size").Propagated ||
			c.Method("Go") == nil || c.Method("Reset") == nil || c.Qualifiers.String("Description") != "new" {
			t.Fatalf("created class %+v", c)
		}
		mustDo(t, f.d, &cim.ModifyClass{Base: b, ModifiedClass: &cim.Class{Name: "T_New", SuperClass: "T_Thing",
			Properties: []cim.Property{{Name: "Other", Type: cim.TypeSint8}}}})
		if c := f.store.Class(ns, "T_New"); c.Property("Mine") != nil || c.Property("Other") == nil {
			t.Errorf("modified class %+v", c)
		}
		mustDo(t, f.d, &cim.DeleteClass{Base: b, ClassName: "t_new"})
		if f.store.Class(ns, "T_New") != nil {
			t.Errorf("class still there")
		}
	})
	t.Run("qualifier types", func(t *testing.T) {
		mustDo(t, f.d, &cim.SetQualifier{Base: b, QualifierDeclaration: &cim.QualifierType{Name: "Units", Type: cim.TypeUint8, Default: "7", Scope: cim.ScopeProperty}})
		res := mustDo(t, f.d, &cim.GetQualifier{Base: b, QualifierName: "units"})
		if res.QualifierType.Default != uint8(7) {
			t.Errorf("default %#v, want uint8(7)", res.QualifierType.Default)
		}
		res = mustDo(t, f.d, &cim.EnumerateQualifiers{Base: b})
		if n := len(res.QualifierTypes); n != 10 {
			t.Errorf("%d qualifier types, want 10", n)
		}
		mustDo(t, f.d, &cim.DeleteQualifier{Base: b, QualifierName: "Units"})
		if got := status(t, f.d, &cim.GetQualifier{Base: b, QualifierName: "Units"}); got != cim.StatusNotFound {
			t.Errorf("after DeleteQualifier: %v", got)
		}
	})
}

func TestRegister(t *testing.T) {
	d := dispatch.New(loadSchema(t), dispatch.Options{})
	p := &fakeProv{}
	if err := d.Register(providers.Registration{Namespaces: []string{ns}, Classes: []string{"T_Dyn"}, Provider: p}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []providers.Registration{
		{Namespaces: []string{"/ROOT/test"}, Classes: []string{"t_dyn"}, Provider: p},
		{Classes: []string{"T_Dyn"}, Provider: p},
		{Namespaces: []string{"root/other"}, Classes: []string{"T_RO", "T_RO"}, Provider: p},
	} {
		if err := d.Register(r); !errors.Is(err, dispatch.ErrDuplicateRegistration) {
			t.Errorf("Register(%v) = %v, want a duplicate", r.Classes, err)
		}
	}
	// Nothing of a failed registration stays.
	if err := d.Register(providers.Registration{Namespaces: []string{"root/other"}, Classes: []string{"T_RO"}, Provider: p}); err != nil {
		t.Errorf("T_RO after a failed registration: %v", err)
	}
	if err := d.Register(providers.Registration{Classes: []string{"T_Num"}}); err == nil {
		t.Errorf("a registration without provider was accepted")
	}
}

func TestProviderErrors(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	cause := errors.New("hypervisor: domain 7 is gone")
	f.prov.fail = cause
	_, err := f.d.Do(context.Background(), &cim.GetInstance{Base: b, InstanceName: dynPath("d1")})
	var ce *cim.Error
	if !errors.As(err, &ce) || ce.Code != cim.StatusFailed || !errors.Is(err, cause) || ce.Description == cause.Error() {
		t.Errorf("got %#v, want CIM_ERR_FAILED keeping the cause out of the description", err)
	}
	f.prov.fail = cim.Errorf(cim.StatusAccessDenied, "no")
	if got := status(t, f.d, &cim.EnumerateInstances{Base: b, ClassName: "T_Dyn"}); got != cim.StatusAccessDenied {
		t.Errorf("enumeration: %v, want the provider's code", got)
	}
}

// wbemcli sends an unquoted key as VALUETYPE="numeric" even for a string key.
func TestNumericTextKey(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	mustDo(t, f.d, &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "42")}}})
	res := mustDo(t, f.d, &cim.GetInstance{Base: b, InstanceName: &cim.ObjectPath{ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "Id", Value: int64(42)}}}})
	if v := res.Instance.Property("Id").Value; v != "42" {
		t.Errorf("Id = %#v", v)
	}
}

// panicProv panics in GetInstance: the request fails, not the server.
type panicProv struct{ roProv }

func (p *panicProv) GetInstance(ctx context.Context, ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	panic("provider bug")
}

func TestProviderPanic(t *testing.T) {
	d := dispatch.New(loadSchema(t), dispatch.Options{})
	if err := d.Register(providers.Registration{Classes: []string{"T_RO"}, Provider: &panicProv{}}); err != nil {
		t.Fatal(err)
	}
	_, err := d.Do(context.Background(), &cim.GetInstance{Base: cim.Base{Namespace: ns},
		InstanceName: &cim.ObjectPath{ClassName: "T_RO", Keys: []cim.KeyBinding{{Name: "Name", Value: "r1"}}}})
	var ce *cim.Error
	if !errors.As(err, &ce) || ce.Code != cim.StatusFailed || ce.Err == nil {
		t.Errorf("got %v, want CIM_ERR_FAILED with the panic as cause", err)
	}
	if _, err := d.Do(context.Background(), nil); cim.StatusOf(err) != cim.StatusInvalidParameter {
		t.Errorf("nil operation: %v", err)
	}
}
