package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"iter"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Pull operations (DSP0200 §5.3.2.x; cimxml.md §3.6): an Open… checks its
// parameters, builds the enumeration as an iterator and returns the first page;
// when more remains, an enumeration context holds the iterator (iter.Pull2) until
// the next Pull, CloseEnumeration, or its timeout.

// pullKind is what a context produces, and so which Pull… may continue it.
type pullKind uint8

const (
	kindInstancesWithPath pullKind = iota + 1 // PullInstancesWithPath
	kindPaths                                 // PullInstancePaths
	kindInstances                             // PullInstances (OpenQueryInstances)
)

// enumContext is one open enumeration. The fields after mu's comment are guarded
// by Dispatcher.mu; next and stop are used only by the goroutine that set busy.
type enumContext struct {
	id      string
	ns      string // nsKey
	kind    pullKind
	client  string
	timeout time.Duration

	next func() (cim.Object, error, bool)
	stop func()
	// peeked holds the object read ahead to know whether the sequence had ended.
	peeked    *cim.Object
	expires   time.Time
	busy      bool // a Pull is running
	abandoned bool // closed while busy: the running Pull ends with 23
}

// buildFunc builds the enumeration of an Open… once its parameters are checked;
// filter is its FQL filter, or nil.
type buildFunc func(filter compiledFilter) (iter.Seq2[cim.Object, error], error)

// pullTimeout checks the common parameters of an Open… that come before the
// operation's own (DSP0200 list order) and returns the context timeout.
func (d *Dispatcher) pullTimeout(po *cim.PullOptions) (time.Duration, error) {
	timeout := d.opts.DefaultOperationTimeout
	if po.OperationTimeout != nil {
		t := time.Duration(*po.OperationTimeout) * time.Second
		switch {
		case t == 0:
			return 0, cim.Errorf(cim.StatusInvalidOperationTimeout, "OperationTimeout 0 (no timeout) is not supported")
		case t > d.opts.MaxOperationTimeout:
			return 0, cim.Errorf(cim.StatusInvalidOperationTimeout, "OperationTimeout %d s is above the maximum of %d s",
				*po.OperationTimeout, int(d.opts.MaxOperationTimeout/time.Second))
		}
		timeout = t
	}
	if po.ContinueOnError {
		return 0, cim.Errorf(cim.StatusContinuationOnErrorNotSupported, "ContinueOnError is not supported")
	}
	return timeout, nil
}

// open runs an Open…: prepare checks the operation's own parameters and returns
// the builder; withFilter says whether FilterQuery is an FQL filter (all but
// OpenQueryInstances).
func (d *Dispatcher) open(ctx context.Context, ns string, po *cim.PullOptions, kind pullKind, withFilter bool, prepare func(ctx context.Context) (buildFunc, error)) (_ *cim.Result, err error) {
	timeout, err := d.pullTimeout(po)
	if err != nil {
		return nil, err
	}
	// The enumeration outlives this request: keep ctx's values, not its end; it
	// ends with its enumeration context.
	ectx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	build, err := prepare(ectx)
	if err != nil {
		return nil, err
	}
	var filter compiledFilter
	if withFilter {
		if filter, err = d.openFilter(po); err != nil {
			return nil, err
		}
	}
	if po.MaxObjectCount > d.opts.MaxObjectCount {
		return nil, cim.Errorf(cim.StatusServerLimitsExceeded, "MaxObjectCount %d is above the limit of %d",
			po.MaxObjectCount, d.opts.MaxObjectCount)
	}
	client := clientAddr(ctx)
	if err = d.admit(client); err != nil {
		return nil, err
	}
	seq, err := build(filter)
	if err != nil {
		return nil, err
	}
	next, stopIter := iter.Pull2(seq)
	stop := func() {
		cancel()
		stopIter()
	}
	ec := &enumContext{ns: nsKey(ns), kind: kind, client: client, timeout: timeout, next: next, stop: stop}
	objs, eos, err := ec.take(po.MaxObjectCount)
	if err != nil || eos {
		stop()
		if err != nil {
			return nil, toCIMError(err)
		}
		return &cim.Result{Objects: cim.Objects(objs), EndOfSequence: true}, nil
	}
	ec.id = newContextID()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		stop()
		return nil, cim.Errorf(cim.StatusServerIsShuttingDown, "the server is shutting down")
	}
	ec.expires = d.opts.Now().Add(timeout)
	d.contexts[ec.id] = ec
	d.mu.Unlock()
	return &cim.Result{Objects: cim.Objects(objs), EnumerationContext: ec.id}, nil
}

// admit purges the expired contexts and checks that client may open one more.
func (d *Dispatcher) admit(client string) error {
	runAll(d.purge())
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return cim.Errorf(cim.StatusServerIsShuttingDown, "the server is shutting down")
	}
	n := 0
	for _, ec := range d.contexts {
		if ec.client == client {
			n++
		}
	}
	if n >= d.opts.MaxContextsPerClient {
		return cim.Errorf(cim.StatusServerLimitsExceeded, "%d enumeration contexts are open, the limit per client", n)
	}
	return nil
}

func newContextID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// take reads up to max objects, and one more ahead to tell whether the sequence
// ended (eos). After an error the context must be dropped.
func (ec *enumContext) take(max uint32) (objs []cim.Object, eos bool, err error) {
	get := func() (cim.Object, bool, error) {
		if ec.peeked != nil {
			o := *ec.peeked
			ec.peeked = nil
			return o, true, nil
		}
		o, err, ok := ec.next()
		return o, ok, err
	}
	for uint32(len(objs)) < max {
		o, ok, err := get()
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return objs, true, nil
		}
		objs = append(objs, o)
	}
	if objs == nil {
		objs = []cim.Object{}
	}
	if ec.peeked == nil {
		o, err, ok := ec.next()
		if err != nil {
			// Report it with the next Pull: these objects are good.
			ec.peeked = nil
			ec.next = func() (cim.Object, error, bool) { return cim.Object{}, err, true }
			return objs, false, nil
		}
		if !ok {
			return objs, true, nil
		}
		ec.peeked = &o
	}
	return objs, false, nil
}

// purge removes the expired contexts that no Pull is using and returns their stop
// functions, to be called without d.mu.
func (d *Dispatcher) purge() []func() {
	now := d.opts.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	var stops []func()
	for id, ec := range d.contexts {
		if !ec.busy && now.After(ec.expires) {
			delete(d.contexts, id)
			stops = append(stops, ec.stop)
			d.log.WithField("context", id).Debug("enumeration context expired")
		}
	}
	return stops
}

func runAll(fs []func()) {
	for _, f := range fs {
		f()
	}
}

// lookup finds context id for namespace ns (21 when there is none). d.mu is held.
func (d *Dispatcher) lookup(ns, id string) (*enumContext, error) {
	ec := d.contexts[id]
	if ec == nil || ec.ns != nsKey(ns) {
		return nil, cim.Errorf(cim.StatusInvalidEnumerationContext, "enumeration context %q is not open in namespace %s", id, ns)
	}
	return ec, nil
}

func (d *Dispatcher) pull(ctx context.Context, ns, id string, max uint32, kind pullKind) (*cim.Result, error) {
	runAll(d.purge())
	d.mu.Lock()
	ec, err := d.lookup(ns, id)
	switch {
	case err != nil:
	case ec.kind != kind:
		err = cim.Errorf(cim.StatusInvalidEnumerationContext, "enumeration context %q belongs to another kind of Open operation", id)
	case ec.busy:
		err = cim.Errorf(cim.StatusInvalidEnumerationContext, "enumeration context %q is in use by another Pull", id)
	case max > d.opts.MaxObjectCount:
		err = cim.Errorf(cim.StatusServerLimitsExceeded, "MaxObjectCount %d is above the limit of %d", max, d.opts.MaxObjectCount)
	default:
		ec.busy = true
	}
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}

	objs, eos, err := ec.take(max)

	d.mu.Lock()
	ec.busy = false
	abandoned := ec.abandoned
	done := abandoned || eos || err != nil
	if done {
		if d.contexts[id] == ec {
			delete(d.contexts, id)
		}
	} else {
		ec.expires = d.opts.Now().Add(ec.timeout)
	}
	d.mu.Unlock()
	if done {
		ec.stop()
	}
	switch {
	case abandoned:
		return nil, cim.Errorf(cim.StatusPullHasBeenAbandoned, "enumeration context %q was closed during the Pull", id)
	case err != nil:
		return nil, toCIMError(err)
	case eos:
		return &cim.Result{Objects: cim.Objects(objs), EndOfSequence: true}, nil
	}
	return &cim.Result{Objects: cim.Objects(objs), EnumerationContext: id}, nil
}

func (d *Dispatcher) closeEnumeration(ns string, o *cim.CloseEnumeration) (*cim.Result, error) {
	d.mu.Lock()
	ec, err := d.lookup(ns, o.EnumerationContext)
	if err != nil {
		d.mu.Unlock()
		return nil, err
	}
	delete(d.contexts, ec.id)
	busy := ec.busy
	if busy {
		ec.abandoned = true // the running Pull stops the iterator
	}
	d.mu.Unlock()
	if !busy {
		ec.stop()
	}
	return &cim.Result{}, nil
}

func (d *Dispatcher) enumerationCount(ns string, o *cim.EnumerationCount) (*cim.Result, error) {
	d.mu.Lock()
	_, err := d.lookup(ns, o.EnumerationContext)
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return nil, cim.Errorf(cim.StatusNotSupported, "EnumerationCount is not supported")
}

// OpenContexts returns the number of open enumeration contexts, expired ones
// included until they are purged.
func (d *Dispatcher) OpenContexts() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.contexts)
}

// Close releases every open enumeration context; a Pull running meanwhile ends
// with CIM_ERR_PULL_HAS_BEEN_ABANDONED, and later Open… operations fail with
// CIM_ERR_SERVER_IS_SHUTTING_DOWN. The other operations keep working.
func (d *Dispatcher) Close() error {
	d.mu.Lock()
	d.closed = true
	var stops []func()
	for id, ec := range d.contexts {
		delete(d.contexts, id)
		if ec.busy {
			ec.abandoned = true
		} else {
			stops = append(stops, ec.stop)
		}
	}
	d.mu.Unlock()
	runAll(stops)
	return nil
}

func (d *Dispatcher) openEnumerateInstances(ctx context.Context, ns string, o *cim.OpenEnumerateInstances) (*cim.Result, error) {
	return d.open(ctx, ns, &o.PullOptions, kindInstancesWithPath, true, func(ctx context.Context) (buildFunc, error) {
		classes, narrow, err := d.enumerationClasses(ns, o.ClassName, o.DeepInheritance)
		if err != nil {
			return nil, err
		}
		return func(f compiledFilter) (iter.Seq2[cim.Object, error], error) {
			return d.enumerate(ctx, ns, classes, instanceFilter{narrow: narrow, pl: o.PropertyList, filter: f}, true), nil
		}, nil
	})
}

func (d *Dispatcher) openEnumerateInstancePaths(ctx context.Context, ns string, o *cim.OpenEnumerateInstancePaths) (*cim.Result, error) {
	return d.open(ctx, ns, &o.PullOptions, kindPaths, true, func(ctx context.Context) (buildFunc, error) {
		classes, _, err := d.enumerationClasses(ns, o.ClassName, true)
		if err != nil {
			return nil, err
		}
		return func(f compiledFilter) (iter.Seq2[cim.Object, error], error) {
			return d.enumerate(ctx, ns, classes, instanceFilter{filter: f}, false), nil
		}, nil
	})
}

// openAssoc is the common part of the four Open… association operations.
func (d *Dispatcher) openAssoc(ctx context.Context, ns string, po *cim.PullOptions, kind pullKind, name *cim.ObjectPath, filters []string, set func(q *assocQuery), refs, withInstance bool) (*cim.Result, error) {
	return d.open(ctx, ns, po, kind, true, func(ctx context.Context) (buildFunc, error) {
		q, _, err := d.assocParams(ns, name, filters, true)
		if err != nil {
			return nil, err
		}
		set(&q)
		return func(f compiledFilter) (iter.Seq2[cim.Object, error], error) {
			q.filter = f
			if refs {
				return d.instReferences(ctx, &q, withInstance)
			}
			return d.instAssociators(ctx, &q, withInstance)
		}, nil
	})
}

func (d *Dispatcher) openAssociatorInstances(ctx context.Context, ns string, o *cim.OpenAssociatorInstances) (*cim.Result, error) {
	return d.openAssoc(ctx, ns, &o.PullOptions, kindInstancesWithPath, o.InstanceName, []string{o.AssocClass, o.ResultClass},
		func(q *assocQuery) {
			q.assocClass, q.resultCls, q.role, q.resultRole, q.pl = o.AssocClass, o.ResultClass, o.Role, o.ResultRole, o.PropertyList
		}, false, true)
}

func (d *Dispatcher) openAssociatorInstancePaths(ctx context.Context, ns string, o *cim.OpenAssociatorInstancePaths) (*cim.Result, error) {
	return d.openAssoc(ctx, ns, &o.PullOptions, kindPaths, o.InstanceName, []string{o.AssocClass, o.ResultClass},
		func(q *assocQuery) {
			q.assocClass, q.resultCls, q.role, q.resultRole = o.AssocClass, o.ResultClass, o.Role, o.ResultRole
		}, false, false)
}

func (d *Dispatcher) openReferenceInstances(ctx context.Context, ns string, o *cim.OpenReferenceInstances) (*cim.Result, error) {
	return d.openAssoc(ctx, ns, &o.PullOptions, kindInstancesWithPath, o.InstanceName, []string{o.ResultClass},
		func(q *assocQuery) { q.assocClass, q.role, q.pl = o.ResultClass, o.Role, o.PropertyList }, true, true)
}

func (d *Dispatcher) openReferenceInstancePaths(ctx context.Context, ns string, o *cim.OpenReferenceInstancePaths) (*cim.Result, error) {
	return d.openAssoc(ctx, ns, &o.PullOptions, kindPaths, o.InstanceName, []string{o.ResultClass},
		func(q *assocQuery) { q.assocClass, q.role = o.ResultClass, o.Role }, true, false)
}

func (d *Dispatcher) openQueryInstances(ctx context.Context, ns string, o *cim.OpenQueryInstances) (*cim.Result, error) {
	return d.open(ctx, ns, &o.PullOptions, kindInstances, false, func(ctx context.Context) (buildFunc, error) {
		if o.FilterQuery == "" || o.FilterQueryLanguage == "" {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "FilterQuery and FilterQueryLanguage are required")
		}
		if o.ReturnQueryResultClass {
			return nil, cim.Errorf(cim.StatusNotSupported, "ReturnQueryResultClass is not supported")
		}
		q, classes, err := d.compileQuery(ns, o.FilterQueryLanguage, o.FilterQuery)
		if err != nil {
			return nil, err
		}
		return func(compiledFilter) (iter.Seq2[cim.Object, error], error) {
			return d.runQuery(ctx, ns, q, classes, false), nil
		}, nil
	})
}
