package repository

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// checkSnapshot checks invariants that hold within every snapshot: in Classes
// every class comes after its superclass, and the deep subclass walk from the root
// lists each class once, after its superclass.
func checkSnapshot(st *Store) error {
	cs, err := st.Classes(ns)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if c.SuperClass != "" && !seen[nameKey(c.SuperClass)] {
			return fmt.Errorf("Classes(): %s before its superclass %s", c.Name, c.SuperClass)
		}
		seen[nameKey(c.Name)] = true
	}
	tree, err := st.Subclasses(ns, "", true)
	if err != nil {
		return err
	}
	seen = map[string]bool{}
	for _, c := range tree {
		if seen[nameKey(c.Name)] {
			return fmt.Errorf("Subclasses(root, deep): %s twice", c.Name)
		}
		if c.SuperClass != "" && !seen[nameKey(c.SuperClass)] {
			return fmt.Errorf("Subclasses(root, deep): %s before its superclass %s", c.Name, c.SuperClass)
		}
		seen[nameKey(c.Name)] = true
	}
	return nil
}

// TestConcurrentReaders runs readers during writes (run it with -race). While the
// writer only adds, what a reader sees never shrinks, and whatever one read
// returned a later read finds; in every phase each read sees one consistent
// snapshot.
func TestConcurrentReaders(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) {
			var st *Store
			var sc *testSchema
			n := 300
			if persistent {
				st, sc = openLoaded(t, t.TempDir())
				n = 40 // every write syncs a file
			} else {
				st, sc = loaded(t)
			}
			var adding atomic.Bool
			adding.Store(true)
			done := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for r := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					lastClasses, lastInsts := 0, 0
					for i := 0; ; i++ {
						select {
						case <-done:
							return
						default:
						}
						if err := checkSnapshot(st); err != nil {
							errs <- err
							return
						}
						cs, _ := st.SubclassNames(ns, "A", true)
						ins, err := st.Instances(ns, "A", true)
						if err != nil {
							errs <- err
							return
						}
						var lost error
						for _, name := range cs {
							if st.Class(ns, name) == nil {
								lost = fmt.Errorf("reader %d: class %s listed, then not found", r, name)
							}
						}
						if len(ins) > 0 {
							last := ins[len(ins)-1]
							c := st.Class(ns, last.ClassName)
							if c == nil {
								lost = fmt.Errorf("reader %d: class %s of a listed instance not found", r, last.ClassName)
							} else if _, err := st.Instance(ns, last.Path(ns, c)); err != nil {
								lost = fmt.Errorf("reader %d: instance listed, then: %v", r, err)
							}
						}
						// Only if the writer was still adding after all the reads
						// above must they have seen a growing store. (The atomics are
						// sequentially consistent: had a read seen a deletion, this
						// load would see false.)
						if !adding.Load() {
							continue
						}
						if lost != nil {
							errs <- lost
							return
						}
						if len(cs) < lastClasses || len(ins) < lastInsts {
							errs <- fmt.Errorf("reader %d: saw %d classes, %d instances after %d, %d",
								r, len(cs), len(ins), lastClasses, lastInsts)
							return
						}
						lastClasses, lastInsts = len(cs), len(ins)
					}
				}()
			}
			write := func(err error) {
				if err != nil {
					t.Error(err)
				}
			}
			for i := range n {
				name := fmt.Sprintf("C%d", i)
				write(st.CreateClass(ns, class(name, sc.A, nil)))
				_, err := st.CreateInstance(ns, inst(name, val("Id", cim.TypeString, name)))
				write(err)
			}
			adding.Store(false)
			for i := range n {
				name := fmt.Sprintf("C%d", i)
				if i%2 == 0 {
					write(st.DeleteClass(ns, name))
				} else {
					write(st.DeleteInstance(ns, path(name, "Id", name)))
				}
			}
			close(done)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got, _ := st.SubclassNames(ns, "A", true); len(got) != 3+n/2 {
				t.Errorf("SubclassNames(A, deep) at the end: %d classes, want %d", len(got), 3+n/2)
			}
		})
	}
}
