package dispatch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/providers"
)

func TestInvokeMethod(t *testing.T) {
	b := cim.Base{Namespace: ns}
	copyOf := &cim.Instance{ClassName: "T_Dyn"}
	tests := []struct {
		name       string
		op         *cim.InvokeMethod
		ret        any
		out        []cim.ParamValue
		wantTarget string
		wantIn     []cim.ParamValue
		wantRet    any
		wantType   cim.Type
		wantEmb    string
		wantOut    []cim.ParamValue
		wantStatus cim.Status
	}{
		{
			name:       "static, untyped parameters as wbemcli sends them",
			op:         &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "t_dyn"}, MethodName: "ping", Params: []cim.ParamValue{{Name: "msg", Value: "hi"}}},
			ret:        7, // a Go int: typed from the declaration
			out:        []cim.ParamValue{{Name: "echo", Value: "hi"}},
			wantTarget: "root/test:T_Dyn",
			wantIn:     []cim.ParamValue{{Name: "Msg", Type: cim.TypeString, Value: "hi"}},
			wantRet:    uint32(7), wantType: cim.TypeUint32,
			wantOut: []cim.ParamValue{{Name: "Echo", Type: cim.TypeString, Value: "hi"}},
		},
		{
			name: "instance method, arrays and embedded instances",
			op: &cim.InvokeMethod{Base: b, Target: dynPath("d1"), MethodName: "Rename", Params: []cim.ParamValue{
				{Name: "NewName", Type: cim.TypeString, Value: "x"}, {Name: "Times", Value: []any{"1", "0x2"}}}},
			ret:        "done",
			out:        []cim.ParamValue{{Name: "Copy", Value: copyOf}},
			wantTarget: `root/test:T_Dyn.Name="d1"`,
			wantIn: []cim.ParamValue{{Name: "NewName", Type: cim.TypeString, Value: "x"},
				{Name: "Times", Type: cim.TypeUint8, IsArray: true, Value: []any{uint8(1), uint8(2)}}},
			wantRet: "done", wantType: cim.TypeString,
			wantOut: []cim.ParamValue{{Name: "Copy", Type: cim.TypeString, Value: copyOf, EmbeddedObject: "instance"}},
		},
		{
			name:       "NULL return value",
			op:         &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "T_Dyn"}, MethodName: "Ping"},
			wantTarget: "root/test:T_Dyn", wantType: cim.TypeUint32,
		},
		{
			name:       "provider returns a value of the wrong type",
			op:         &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "T_Dyn"}, MethodName: "Ping"},
			ret:        "not a number",
			wantStatus: cim.StatusFailed,
		},
		{
			name:       "provider returns an undeclared parameter",
			op:         &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "T_Dyn"}, MethodName: "Ping"},
			ret:        uint32(0),
			out:        []cim.ParamValue{{Name: "Nope", Value: "x"}},
			wantStatus: cim.StatusFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.prov.ret, f.prov.out = tt.ret, tt.out
			if tt.wantStatus != cim.StatusOK {
				if got := status(t, f.d, tt.op); got != tt.wantStatus {
					t.Errorf("status %v, want %v", got, tt.wantStatus)
				}
				return
			}
			res := mustDo(t, f.d, tt.op)
			if got := f.prov.target.String(); got != tt.wantTarget {
				t.Errorf("target %s, want %s", got, tt.wantTarget)
			}
			if !sameParams(f.prov.in, tt.wantIn) {
				t.Errorf("provider got %+v, want %+v", f.prov.in, tt.wantIn)
			}
			if !cim.EqualValues(res.ReturnValue, tt.wantRet) || res.ReturnType != tt.wantType || res.ReturnEmbeddedObject != tt.wantEmb {
				t.Errorf("return %#v (%v, %q), want %#v (%v)", res.ReturnValue, res.ReturnType, res.ReturnEmbeddedObject, tt.wantRet, tt.wantType)
			}
			if !sameParams(res.OutParams, tt.wantOut) {
				t.Errorf("out %+v, want %+v", res.OutParams, tt.wantOut)
			}
		})
	}
}

func sameParams(a, b []cim.ParamValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.Type != y.Type || x.IsArray != y.IsArray || x.EmbeddedObject != y.EmbeddedObject || !cim.EqualValues(x.Value, y.Value) {
			return false
		}
	}
	return true
}

// TestParseEmbedded: strings sent for EmbeddedInstance parameters go through
// Options.ParseEmbedded (a MOF parser in shyped); other strings stay strings, and a
// parse failure is CIM_ERR_INVALID_PARAMETER.
func TestParseEmbedded(t *testing.T) {
	f := newFixture(t)
	parsed := &cim.Instance{ClassName: "T_Dyn"}
	d := dispatch.New(f.store, dispatch.Options{ParseEmbedded: func(ns, text string) (*cim.Instance, error) {
		if text != "instance of T_Dyn {};" {
			return nil, errors.New("bad MOF")
		}
		return parsed, nil
	}})
	t.Cleanup(func() { d.Close() })
	if err := d.Register(providers.Registration{Namespaces: []string{ns}, Classes: []string{"T_Dyn"}, Provider: f.prov}); err != nil {
		t.Fatal(err)
	}
	given := &cim.Instance{ClassName: "T_Dyn"}
	op := &cim.InvokeMethod{Base: cim.Base{Namespace: ns}, Target: &cim.ObjectPath{ClassName: "T_Dyn"}, MethodName: "Load",
		Params: []cim.ParamValue{
			{Name: "Items", Value: []any{"instance of T_Dyn {};", given}},
			{Name: "One", Value: "instance of T_Dyn {};"},
			{Name: "Plain", Value: "instance of T_Dyn {};"},
		}}
	mustDo(t, d, op)
	in := f.prov.in
	if len(in) != 3 {
		t.Fatalf("provider got %+v", in)
	}
	items, _ := in[0].Value.([]any)
	if len(items) != 2 || items[0] != parsed || items[1] != given {
		t.Errorf("Items = %#v, want the parsed and the given instance", in[0].Value)
	}
	if in[1].Value != parsed {
		t.Errorf("One = %#v, want the parsed instance", in[1].Value)
	}
	if in[2].Value != "instance of T_Dyn {};" {
		t.Errorf("Plain = %#v, want the string", in[2].Value)
	}
	op.Params[1].Value = "garbage"
	if got := status(t, d, op); got != cim.StatusInvalidParameter {
		t.Errorf("unparsable embedded instance: status %v, want %v", got, cim.StatusInvalidParameter)
	}
}

// TestValidate: Options.Validate sees static instances before they are stored, on
// creation and modification, and its *cim.Error reaches the client.
func TestValidate(t *testing.T) {
	f := newFixture(t)
	var seen []string
	d := dispatch.New(f.store, dispatch.Options{Validate: func(ns string, c *cim.Class, inst *cim.Instance) error {
		label, _ := inst.Property("Label").Value.(string)
		seen = append(seen, c.Name+":"+label)
		if label == "bad" {
			return cim.Errorf(cim.StatusInvalidQuery, "refused")
		}
		return nil
	}})
	t.Cleanup(func() { d.Close() })
	b := cim.Base{Namespace: ns}
	mk := func(id, label string) *cim.CreateInstance {
		return &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing",
			Properties: []cim.Property{str("Id", id), str("Label", label)}}}
	}
	if got := status(t, d, mk("v1", "bad")); got != cim.StatusInvalidQuery {
		t.Errorf("refused creation: status %v", got)
	}
	if got := status(t, d, &cim.GetInstance{Base: b, InstanceName: thingPath("v1")}); got != cim.StatusNotFound {
		t.Errorf("a refused instance was stored: status %v", got)
	}
	mustDo(t, d, mk("v2", "good"))
	mod := &cim.ModifyInstance{Base: b, ModifiedInstance: &cim.Instance{ClassName: "T_Thing",
		Properties: []cim.Property{str("Id", "v2"), str("Label", "bad")}}, InstanceName: thingPath("v2")}
	if got := status(t, d, mod); got != cim.StatusInvalidQuery {
		t.Errorf("refused modification: status %v", got)
	}
	res := mustDo(t, d, &cim.GetInstance{Base: b, InstanceName: thingPath("v2")})
	if res.Instance == nil || res.Instance.Property("Label").Value != "good" {
		t.Errorf("after a refused modification: %v", res.Instance)
	}
	if want := []string{"T_Thing:bad", "T_Thing:good", "T_Thing:bad"}; strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("Validate saw %v, want %v", seen, want)
	}
}
