package dispatch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
)

// Operations of many clients at once, for the race detector: each goroutine
// creates, reads, enumerates, pulls and deletes.
func TestConcurrentClients(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	const clients, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := dispatch.WithClientAddr(context.Background(), fmt.Sprintf("192.0.2.%d:5000", c))
			do := func(op cim.Op) (*cim.Result, error) {
				res, err := f.d.Do(ctx, op)
				if err == nil && res.Objects != nil {
					for _, e := range res.Objects {
						if e != nil {
							return nil, e
						}
					}
				}
				return res, err
			}
			for r := 0; r < rounds; r++ {
				id := fmt.Sprintf("c%d-%d", c, r)
				steps := []cim.Op{
					&cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", id)}}},
					&cim.SetProperty{Base: b, InstanceName: thingPath(id), PropertyName: "Size", NewValue: "3"},
					&cim.GetInstance{Base: b, InstanceName: thingPath(id)},
					&cim.EnumerateInstances{Base: b, ClassName: "T_Base", DeepInheritance: true},
					&cim.Associators{Base: b, ObjectName: thingPath("a")},
					&cim.ModifyInstance{Base: b, InstanceName: dynPath("d1"), ModifiedInstance: &cim.Instance{ClassName: "T_Dyn", Properties: []cim.Property{prop("Count", "9")}}},
				}
				for _, op := range steps {
					if _, err := do(op); err != nil {
						errs <- fmt.Errorf("%s %s: %w", op.OpName(), id, err)
						return
					}
				}
				res, err := do(&cim.OpenEnumerateInstancePaths{Base: b, ClassName: "T_Base"})
				if err == nil {
					_, err = do(&cim.PullInstancePaths{Base: b, EnumerationContext: res.EnumerationContext, MaxObjectCount: 1})
				}
				if err == nil {
					_, err = do(&cim.CloseEnumeration{Base: b, EnumerationContext: res.EnumerationContext})
				}
				if err == nil {
					_, err = do(&cim.DeleteInstance{Base: b, InstanceName: thingPath(id)})
				}
				if err != nil {
					errs <- fmt.Errorf("round %s: %w", id, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.d.OpenContexts(); n != 0 {
		t.Errorf("%d contexts left open", n)
	}
}
