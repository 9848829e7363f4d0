package secpolicy

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
)

// newDispatcher serves the provider, over the fake toolstack, through the real
// dispatcher and the embedded schema, as cmd/shyped does. (Tests may import the
// repository and the dispatcher; the package itself may not, style.md §3.2.)
func newDispatcher(t *testing.T) (*dispatch.Dispatcher, *Provider, *fakeTS) {
	t.Helper()
	store := repository.New()
	if _, err := schema.Load(store, "", schema.Namespaces...); err != nil {
		t.Fatalf("schema.Load: %v", err)
	}
	f := newFake(t)
	p := New(Options{Toolstack: f, HostName: testHost, Lookup: store.Class})
	d := dispatch.New(store, dispatch.Options{})
	t.Cleanup(func() { d.Close() })
	for _, r := range p.Registrations() {
		if err := d.Register(r); err != nil {
			t.Fatalf("Register: %v", err)
		}
	}
	return d, p, f
}

// TestSchemaTypes checks every instance against xen.mof: each value has its
// property's declared type, and every property of the class is there.
func TestSchemaTypes(t *testing.T) {
	d, p, _ := newDispatcher(t)
	for _, class := range p.Registrations()[0].Classes {
		res, err := d.Do(ctx, &cim.EnumerateInstances{Base: cim.Base{Namespace: Namespace}, ClassName: class, DeepInheritance: true})
		if err != nil {
			t.Fatalf("EnumerateInstances(%s): %v", class, err)
		}
		n := 0
		for obj, err := range res.Objects {
			if err != nil {
				t.Fatalf("EnumerateInstances(%s): %v", class, err)
			}
			n++
			inst := obj.Instance
			c := p.class(inst.ClassName)
			if c == nil {
				t.Fatalf("no class %s", inst.ClassName)
			}
			if len(inst.Properties) != len(c.Properties) {
				t.Errorf("%s: %d properties, the class has %d", class, len(inst.Properties), len(c.Properties))
			}
			for _, pr := range inst.Properties {
				cp := c.Property(pr.Name)
				if cp == nil {
					t.Errorf("%s has no property %s", class, pr.Name)
					continue
				}
				if err := cim.CheckValue(cp.Type, cp.IsArray, pr.Value); err != nil {
					t.Errorf("%s.%s = %#v: %v", class, pr.Name, pr.Value, err)
				}
			}
		}
		if n == 0 {
			t.Errorf("no instance of %s", class)
		}
	}
}

// TestDispatchMethods runs methods through the dispatcher, which types the IN
// parameters from xen.mof and checks the OUT ones against it.
func TestDispatchMethods(t *testing.T) {
	d, p, _ := newDispatcher(t)
	tests := []struct {
		method string
		params []cim.ParamValue
		want   uint32
		out    []string
	}{
		{"GetPolicy", nil, 0, []string{"PolicyRef", "Flags", "Version", "Message"}},
		// Untyped text, as it comes from the wire.
		{"GetDecision", []cim.ParamValue{{Name: "Label1", Value: "ACM:shop:web"}, {Name: "Label2", Value: "ACM:shop:db"}, {Name: "Hook", Value: "1"}}, 0,
			[]string{"Permitted", "Message"}},
		{"CanRun", []cim.ParamValue{{Name: "Label", Value: "ACM:shop:web"}}, 0, []string{"Message"}},
		{"GetLabeledResources", nil, 0, []string{"Resources", "Labels", "Message"}},
		{"SetPolicy", []cim.ParamValue{{Name: "Policy", Value: "<x/>"}, {Name: "Flags", Value: "2"}, {Name: "Overwrite", Value: "true"}}, 0,
			[]string{"Errors", "Message", "PolicyRef"}},
		{"ResetPolicy", nil, 0, []string{"Errors", "Message"}},
		{"ActivatePolicy", []cim.ParamValue{{Name: "Policy", Value: policyPath(testRef)}, {Name: "Flags", Value: "2"}}, 0, []string{"ActiveFlags", "Message"}},
		{"SetSecurityLabel", []cim.ParamValue{{Name: "Element", Value: computerSystemPath(webUUID)}, {Name: "Label", Value: "ACM:shop:db"}}, 0, []string{"SSIDRef", "Message"}},
		{"GetSecurityLabel", []cim.ParamValue{{Name: "Element", Value: computerSystemPath(webUUID)}}, 0, []string{"Label", "Message"}},
		{"GetResourceLabel", []cim.ParamValue{{Name: "Resource", Value: "phy:sdb1"}}, 0, []string{"Label", "Message"}},
		{"DryRun", []cim.ParamValue{{Name: "System", Value: computerSystemPath(webUUID)}}, 0, []string{"Permitted", "Report", "Message"}},
		{"DumpPolicy", nil, 0, []string{"Text", "Message"}},
		{"GetEnforcedBinary", nil, 0, []string{"Binary", "Message"}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			res, err := d.Do(ctx, &cim.InvokeMethod{Base: cim.Base{Namespace: Namespace}, Target: p.ServicePath(), MethodName: tt.method, Params: tt.params})
			if err != nil {
				t.Fatalf("%s: %v", tt.method, err)
			}
			if res.ReturnValue != tt.want {
				t.Errorf("return %v, want %d", res.ReturnValue, tt.want)
			}
			var got []string
			for _, o := range res.OutParams {
				got = append(got, o.Name)
			}
			for _, name := range tt.out {
				found := false
				for _, g := range got {
					found = found || g == name
				}
				if !found {
					t.Errorf("OUT parameters %v lack %s", got, name)
				}
			}
		})
	}
}

// TestDispatchReferences follows the associations through the dispatcher.
func TestDispatchReferences(t *testing.T) {
	d, _, _ := newDispatcher(t)
	res, err := d.Do(ctx, &cim.AssociatorNames{Base: cim.Base{Namespace: Namespace},
		ObjectName: labelRef(kindVM, "web"), AssocClass: ClassPolicyLabel})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for obj, err := range res.Objects {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, obj.Path.ClassName)
	}
	if len(got) != 1 || got[0] != ClassACMPolicy {
		t.Errorf("associators of the web label: %v, want the policy", got)
	}
	res, err = d.Do(ctx, &cim.ReferenceNames{Base: cim.Base{Namespace: Namespace},
		ObjectName: policyPath(testRef), ResultClass: ClassPolicyConflictSet})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range res.Objects {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d Xen_PolicyConflictSet references of the policy, want 2", n)
	}
}
