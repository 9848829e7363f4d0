package compile

import (
	"runtime"
	"testing"
)

// dmtfEntry is the DMTF CIM Schema 2.49 beside the project (../shared). The tests
// that need it fail, not skip, when it is missing.
const dmtfEntry = "../../../shared/schema/cim-2.49.0/cim_schema_2.49.0.mof"

func TestCompileDMTFSchema(t *testing.T) {
	c := New(Options{})
	if err := c.CompileFile(dmtfEntry); err != nil {
		t.Fatalf("CompileFile(%s): %v", dmtfEntry, err)
	}
	got := c.Result().Counts()
	want := Counts{Classes: 1631, Associations: 643, Indications: 24, QualifierTypes: 70}
	if got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
	ns := c.Result().Namespace("root/cimv2")
	if ns == nil {
		t.Fatal("namespace root/cimv2 missing")
	}
	// Spot checks of inheritance resolution against the DMTF definitions.
	cs := ns.Class("CIM_ComputerSystem")
	if cs == nil {
		t.Fatal("CIM_ComputerSystem missing")
	}
	for _, tc := range []struct {
		prop, origin    string
		propagated, key bool
	}{
		{"InstanceID", "CIM_ManagedElement", true, false},
		{"Name", "CIM_System", true, true},
		{"CreationClassName", "CIM_System", true, true},
		{"EnabledState", "CIM_EnabledLogicalElement", true, false},
		{"NameFormat", "CIM_ComputerSystem", false, false},
		{"Dedicated", "CIM_ComputerSystem", false, false},
	} {
		p := cs.Property(tc.prop)
		if p == nil {
			t.Errorf("CIM_ComputerSystem.%s missing", tc.prop)
			continue
		}
		if p.ClassOrigin != tc.origin || p.Propagated != tc.propagated || p.IsKey() != tc.key {
			t.Errorf("CIM_ComputerSystem.%s: origin %s propagated %v key %v, want %s %v %v",
				tc.prop, p.ClassOrigin, p.Propagated, p.IsKey(), tc.origin, tc.propagated, tc.key)
		}
	}
	if m := cs.Method("RequestStateChange"); m == nil || m.ClassOrigin != "CIM_EnabledLogicalElement" || !m.Propagated {
		t.Errorf("CIM_ComputerSystem.RequestStateChange = %+v, want inherited from CIM_EnabledLogicalElement", m)
	}
	if cs.Qualifiers.Has("Abstract") || cs.Qualifiers.Has("Version") && cs.Qualifiers.Get("Version").Propagated {
		t.Errorf("restricted qualifiers propagated to CIM_ComputerSystem: %+v", cs.Qualifiers)
	}
	if got := cs.KeyNames(); len(got) != 2 {
		t.Errorf("CIM_ComputerSystem keys = %v, want CreationClassName and Name", got)
	}
	hd := ns.Class("CIM_HostedDependency")
	if hd == nil || !hd.IsAssociation() {
		t.Fatalf("CIM_HostedDependency = %v, want an association", hd)
	}
	if a := hd.Property("Antecedent"); a == nil || a.ReferenceClass != "CIM_ManagedElement" || a.ClassOrigin != "CIM_HostedDependency" {
		t.Errorf("CIM_HostedDependency.Antecedent = %+v, want an override of class CIM_ManagedElement", a)
	}
}

// TestDMTFDumpRoundTrip checks the canonical dump of the whole DMTF schema compiles to
// the same schema again.
func TestDMTFDumpRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	c := New(Options{})
	if err := c.CompileFile(dmtfEntry); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c.Result())
}

// BenchmarkCompileDMTF compiles the full DMTF CIM Schema 2.49 (1634 files, 9.5 MB).
func BenchmarkCompileDMTF(b *testing.B) {
	b.ReportAllocs()
	var m runtime.MemStats
	for b.Loop() {
		c := New(Options{})
		if err := c.CompileFile(dmtfEntry); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heapMB")
}
