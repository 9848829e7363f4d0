package interop

import (
	"slices"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
)

// The repository's store is what cmd/shyped passes as Namespaces. (Tests may import
// it; the package itself may not, style.md §3.2.)
var _ Namespaces = (*repository.Store)(nil)

// TestWithRepository runs the provider on a real store holding the embedded schema
// in root/cimv2 and interop, as the server has it.
func TestWithRepository(t *testing.T) {
	store := repository.New()
	if _, err := schema.Load(store, "", schema.Namespaces...); err != nil {
		t.Fatalf("schema.Load: %v", err)
	}
	p := New(Options{Namespaces: store, Version: "0.1.0", SystemName: "host1", Lookup: store.Class})

	names := func() []string {
		var out []string
		for _, inst := range collect(t, p.EnumerateInstances(ctx, "interop", "CIM_Namespace")) {
			out = append(out, value(t, inst, "Name").(string))
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"interop", "root/cimv2"}) {
		t.Fatalf("namespaces %v, want [interop root/cimv2]", got)
	}
	newNS := func(name string) *cim.Instance {
		return &cim.Instance{ClassName: "CIM_Namespace", Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: name}}}
	}
	path, err := p.CreateInstance(ctx, "interop", newNS("root/new"))
	if err != nil {
		t.Fatalf("CreateInstance(root/new): %v", err)
	}
	if got := names(); !slices.Equal(got, []string{"interop", "root/cimv2", "root/new"}) {
		t.Errorf("namespaces after creating root/new: %v", got)
	}
	creates := []struct {
		name string
		want cim.Status
	}{
		{"root/new", cim.StatusAlreadyExists},
		{"Root/New", cim.StatusAlreadyExists},
		{"root/a b", cim.StatusInvalidParameter},
		{"root//x", cim.StatusInvalidParameter},
	}
	for _, tt := range creates {
		if _, err := p.CreateInstance(ctx, "interop", newNS(tt.name)); statusOf(t, err) != tt.want {
			t.Errorf("CreateInstance(%s): %v, want %v", tt.name, err, tt.want)
		}
	}

	// A namespace that holds a class, and those of the base schema, stay.
	if err := store.CreateClass("root/new", &cim.Class{Name: "T_Thing"}); err != nil {
		t.Fatalf("CreateClass: %v", err)
	}
	for _, ns := range []string{"root/new", "root/cimv2", "interop"} {
		err := p.DeleteInstance(ctx, "interop", p.namespacePath(ns))
		if err == nil {
			t.Errorf("DeleteInstance(%s) succeeded, want it refused", ns)
			continue
		}
		// The status of a non-empty namespace is the repository's to give
		// (ErrNamespaceNotEmpty.CIMStatus); interop is refused by the provider.
		if ns == "interop" && statusOf(t, err) != cim.StatusNamespaceNotEmpty {
			t.Errorf("DeleteInstance(interop): %v, want CIM_ERR_NAMESPACE_NOT_EMPTY", err)
		}
		t.Logf("DeleteInstance(%s): %v", ns, err)
		if !store.HasNamespace(ns) {
			t.Errorf("namespace %s deleted", ns)
		}
	}
	if err := store.DeleteClass("root/new", "T_Thing"); err != nil {
		t.Fatalf("DeleteClass: %v", err)
	}
	if err := p.DeleteInstance(ctx, "interop", path); err != nil {
		t.Fatalf("DeleteInstance(%s): %v", path, err)
	}
	if store.HasNamespace("root/new") {
		t.Errorf("root/new still exists")
	}
	if err := p.DeleteInstance(ctx, "interop", path); statusOf(t, err) != cim.StatusNotFound {
		t.Errorf("DeleteInstance of a deleted namespace: %v, want CIM_ERR_NOT_FOUND", err)
	}
}
