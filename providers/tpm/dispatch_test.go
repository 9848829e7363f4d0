package tpm

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
)

// newStore returns a repository with the embedded schema compiled, as cmd/shyped
// builds it.
func newStore(t *testing.T) *repository.Store {
	t.Helper()
	store := repository.New()
	if _, err := schema.Load(store, "", schema.Namespaces...); err != nil {
		t.Fatalf("schema.Load: %v", err)
	}
	return store
}

// newDispatcher serves the provider, over the fakes, through the real dispatcher
// and the embedded schema. (Tests may import the repository and the dispatcher;
// the package itself may not.)
func newDispatcher(t *testing.T) (*dispatch.Dispatcher, *Provider, *fakeManager) {
	t.Helper()
	store := newStore(t)
	m := newManager()
	p := New(Options{Manager: m, Toolstack: newTS(), HostName: testHost, Lookup: store.Class})
	d := dispatch.New(store, dispatch.Options{})
	t.Cleanup(func() { d.Close() })
	for _, r := range p.Registrations() {
		if err := d.Register(r); err != nil {
			t.Fatalf("Register: %v", err)
		}
	}
	return d, p, m
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
		c := p.lookup(Namespace, class)
		n := 0
		for obj, err := range res.Objects {
			if err != nil {
				t.Fatalf("EnumerateInstances(%s): %v", class, err)
			}
			n++
			inst := obj.Instance
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
// parameters from xen.mof (here untyped text, as from the wire) and checks the
// OUT ones against it.
func TestDispatchMethods(t *testing.T) {
	d, p, _ := newDispatcher(t)
	tests := []struct {
		method string
		params []cim.ParamValue
		want   uint32
		out    []string
	}{
		{"CreateVTPM", []cim.ParamValue{{Name: "System", Value: ComputerSystemPath(bareUUID)}, {Name: "PreferredInstanceNumber", Value: "3"}}, 0, []string{"VTPM", "Message"}},
		{"ReadPCRs", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(runUUID, 2)}, {Name: "Bank", Value: "sha256"}, {Name: "PCRs", Value: []any{"0", "1"}}}, 0, []string{"Values", "Message"}},
		{"ExtendPCR", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(runUUID, 2)}, {Name: "PCR", Value: "16"}, {Name: "Digest", Value: digest32}}, 0, []string{"Message"}},
		{"GetQuote", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(runUUID, 2)}, {Name: "Nonce", Value: nonce32}, {Name: "PCRs", Value: []any{"0", "7"}}}, 0,
			[]string{"Quoted", "Signature", "AKPublic", "PCRValues", "EKCertificate", "Message"}},
		{"PrepareIncomingVTPM", []cim.ParamValue{{Name: "System", Value: ComputerSystemPath(bareUUID)}}, 0, []string{"MigrationID", "DestinationKey", "Message"}},
		{"ExportVTPM", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(haltedUUID, 1)}, {Name: "MigrationID", Value: b64("id")}, {Name: "DestinationKey", Value: b64("k")}}, 0, []string{"Blob", "Message"}},
		{"ImportVTPM", []cim.ParamValue{{Name: "System", Value: ComputerSystemPath(bareUUID)}, {Name: "MigrationID", Value: b64("id")}, {Name: "Blob", Value: b64("b")}}, 0, []string{"VTPM", "Message"}},
		{"CommitVTPMMigration", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(haltedUUID, 1)}, {Name: "MigrationID", Value: b64("id")}}, 0, []string{"Message"}},
		{"AbortVTPMMigration", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(haltedUUID, 1)}, {Name: "MigrationID", Value: b64("id")}}, 0, []string{"Message"}},
		{"DestroyVTPM", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(runUUID, 2)}}, codeInvalidState, []string{"Message"}},
		{"MigrateVTPM", []cim.ParamValue{{Name: "VTPM", Value: VTPMPath(haltedUUID, 1)}, {Name: "Destination", Value: destURL}}, codeNotSupported, []string{"Message"}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			res, err := d.Do(ctx, &cim.InvokeMethod{Base: cim.Base{Namespace: Namespace}, Target: p.ServicePath(), MethodName: tt.method, Params: tt.params})
			if err != nil {
				t.Fatalf("%s: %v", tt.method, err)
			}
			if res.ReturnValue != tt.want {
				t.Errorf("return %v, want %d (%v)", res.ReturnValue, tt.want, res.OutParams)
			}
			got := map[string]bool{}
			for _, o := range res.OutParams {
				got[o.Name] = true
			}
			for _, name := range tt.out {
				if !got[name] {
					t.Errorf("OUT parameters %v lack %s", res.OutParams, name)
				}
			}
		})
	}
}

// TestDispatchAssociators follows Xen_SystemVTPM through the dispatcher.
func TestDispatchAssociators(t *testing.T) {
	d, _, _ := newDispatcher(t)
	res, err := d.Do(ctx, &cim.ReferenceNames{Base: cim.Base{Namespace: Namespace}, ObjectName: VTPMPath(haltedUUID, 1), ResultClass: ClassSystemVTPM})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for obj, err := range res.Objects {
		if err != nil {
			t.Fatal(err)
		}
		group, _ := obj.Path.Key("GroupComponent")
		if ref, ok := group.(*cim.ObjectPath); !ok || !ref.Equal(ComputerSystemPath(haltedUUID)) {
			t.Errorf("GroupComponent %v", group)
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d references of vtpm1, want 1", n)
	}
}
