package repository

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// synthetic is a schema the size of the DMTF CIM schema 2.49: 70 qualifier types
// and 1631 resolved classes in a 6-level hierarchy (levels of 6, 25, 100, 300, 600
// and 600 classes), each with 30 properties (inherited ones included). The first
// root is an association referring to the two next roots, so that its 1/6 of the
// classes are associations.
type synthetic struct {
	quals   []*cim.QualifierType
	classes []*cim.Class
	byLevel [][]*cim.Class
}

func newSynthetic() *synthetic {
	s := &synthetic{}
	for i := range 70 {
		s.quals = append(s.quals, &cim.QualifierType{Name: fmt.Sprintf("Qual%02d", i), Type: cim.TypeString, Scope: cim.ScopeAny})
	}
	s.quals[0].Name, s.quals[0].Type = "Key", cim.TypeBoolean
	s.quals[1].Name, s.quals[1].Type = "Association", cim.TypeBoolean
	sizes := []int{6, 25, 100, 300, 600, 600}
	desc := cim.Qualifier{Name: "Qual05", Type: cim.TypeString, Value: "a description of the element"}
	for level, size := range sizes {
		var classes []*cim.Class
		for i := range size {
			name := fmt.Sprintf("CIM_Level%dClass%03d", level, i)
			c := &cim.Class{Name: name, Qualifiers: cim.Qualifiers{desc}}
			if level == 0 {
				for p := range 30 {
					pr := cim.Property{Name: fmt.Sprintf("Prop%02d", p), Type: cim.TypeString, ClassOrigin: name,
						Qualifiers: cim.Qualifiers{desc}}
					if p == 0 {
						pr.Qualifiers = append(pr.Qualifiers, keyQ)
					}
					if i == 0 && p < 2 {
						pr.Type, pr.ReferenceClass = cim.TypeReference, sizes2name(0, p+1)
					}
					c.Properties = append(c.Properties, pr)
				}
				if i == 0 {
					c.Qualifiers = append(c.Qualifiers, boolQ("Association"))
				}
			} else {
				super := s.byLevel[level-1][i%len(s.byLevel[level-1])]
				c.SuperClass = super.Name
				c.Properties = make([]cim.Property, 0, 30)
				for p, sp := range super.Properties {
					sp.Propagated = true
					if p >= 25 { // five overridden in every subclass
						sp.Propagated, sp.ClassOrigin = false, name
					}
					c.Properties = append(c.Properties, sp)
				}
				for _, q := range super.Qualifiers {
					if q.Name == "Association" {
						q.Propagated = true
						c.Qualifiers = append(c.Qualifiers, q)
					}
				}
			}
			classes = append(classes, c)
			s.classes = append(s.classes, c)
		}
		s.byLevel = append(s.byLevel, classes)
	}
	return s
}

func sizes2name(level, i int) string { return fmt.Sprintf("CIM_Level%dClass%03d", level, i) }

// sink is what Store and Loader have in common: the Sink of mof/compile.
type sink interface {
	PutQualifierType(ns string, qt *cim.QualifierType) error
	PutClass(ns string, c *cim.Class) error
	PutInstance(ns string, inst *cim.Instance) error
}

var _ sink = (*Loader)(nil)

func (s *synthetic) load(tb testing.TB, st sink) {
	for _, q := range s.quals {
		if err := st.PutQualifierType("root/cimv2", q); err != nil {
			tb.Fatal(err)
		}
	}
	for _, c := range s.classes {
		if err := st.PutClass("root/cimv2", c); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestSynthetic(t *testing.T) {
	s := newSynthetic()
	st := New()
	s.load(t, st)
	all, _ := st.SubclassNames("root/cimv2", "", true)
	if len(all) != 1631 {
		t.Fatalf("SubclassNames(root, deep) = %d classes, want 1631", len(all))
	}
	leaf := s.byLevel[5][0]
	if chain, _ := st.Superclasses("root/cimv2", leaf.Name); len(chain) != 5 || len(leaf.Properties) != 30 {
		t.Errorf("leaf %s: %d superclasses, %d properties; want 5 and 30", leaf.Name, len(chain), len(leaf.Properties))
	}
	refs, _ := st.ReferencingClasses("root/cimv2", leaf.Name)
	if leaf.SuperClass != "" && strings.HasPrefix(chainRoot(st, leaf.Name), "CIM_Level0Class001") && len(refs) == 0 {
		t.Errorf("ReferencingClasses(%s) = none, want the associations", leaf.Name)
	}
	if refs, _ := st.ReferencingClasses("root/cimv2", "CIM_Level0Class001"); len(refs) != 1631/6+1 && len(refs) == 0 {
		t.Errorf("ReferencingClasses(CIM_Level0Class001) = %d classes", len(refs))
	}
}

func chainRoot(st *Store, name string) string {
	chain, _ := st.Superclasses("root/cimv2", name)
	if len(chain) == 0 {
		return name
	}
	return chain[len(chain)-1]
}

// BenchmarkLoad puts the synthetic schema into a new store, as the server does at
// every start: through the Sink methods of Store, each publishing its object, and
// through Load, which publishes once.
func BenchmarkLoad(b *testing.B) {
	s := newSynthetic()
	b.Run("PutClass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.load(b, New())
		}
	})
	b.Run("Load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st := New()
			if err := st.Load(func(l *Loader) error { s.load(b, l); return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetClass(b *testing.B) {
	s := newSynthetic()
	st := New()
	s.load(b, st)
	names := make([]string, len(s.classes))
	for i, c := range s.classes {
		names[i] = c.Name
		if i%2 == 1 {
			names[i] = strings.ToUpper(c.Name) // case-insensitive lookups cost the same
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if st.Class("root/cimv2", names[i%len(names)]) == nil {
			b.Fatal("class not found")
		}
		i++
	}
}

// BenchmarkGetClassParallel shows that readers do not contend.
func BenchmarkGetClassParallel(b *testing.B) {
	s := newSynthetic()
	st := New()
	s.load(b, st)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if st.Class("root/cimv2", s.classes[i%len(s.classes)].Name) == nil {
				b.Fatal("class not found")
			}
			i++
		}
	})
}

func BenchmarkSubclasses(b *testing.B) {
	s := newSynthetic()
	st := New()
	s.load(b, st)
	for _, bc := range []struct {
		name, class string
		deep        bool
	}{
		{"root-deep-1631", "", true},
		{"level1-deep-65", s.byLevel[1][0].Name, true},
		{"level0-shallow-5", s.byLevel[0][0].Name, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.SubclassNames("root/cimv2", bc.class, bc.deep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReferencingClasses(b *testing.B) {
	s := newSynthetic()
	st := New()
	s.load(b, st)
	leaf := s.byLevel[5][1].Name
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.ReferencingClasses("root/cimv2", leaf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateClass is one client write on top of the synthetic schema, in
// memory and persisted (rewrite, fsync, rename, fsync of the directory).
func BenchmarkCreateClass(b *testing.B) {
	for _, persistent := range []bool{false, true} {
		b.Run(fmt.Sprintf("persistent=%v", persistent), func(b *testing.B) {
			s := newSynthetic()
			var st *Store
			if persistent {
				var err error
				if st, err = Open(b.TempDir()); err != nil {
					b.Fatal(err)
				}
			} else {
				st = New()
			}
			s.load(b, st)
			if err := st.Replay(); err != nil {
				b.Fatal(err)
			}
			super := s.byLevel[5][0]
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				name := fmt.Sprintf("Client_%d", i)
				i++
				if err := st.CreateClass("root/cimv2", &cim.Class{Name: name, SuperClass: super.Name, Properties: super.Properties}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := st.DeleteClass("root/cimv2", name); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
