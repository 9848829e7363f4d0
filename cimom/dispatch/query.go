package dispatch

import (
	"context"
	"errors"
	"iter"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// compiledQuery is what the dispatcher uses of a *query.Query (cimom/query): a
// parsed WQL or CQL SELECT.
type compiledQuery interface {
	ClassName() string
	Match(inst *cim.Instance) (bool, error)
	Project(inst *cim.Instance) *cim.Instance
}

// validator is the optional schema check of a compiledQuery (*query.Query has it).
type validator interface {
	Validate(lookup func(class string) *cim.Class) error
}

// compiledFilter is what the dispatcher uses of a *query.Filter: a parsed FQL
// filter of an Open… operation.
type compiledFilter interface {
	Match(inst *cim.Instance) (bool, error)
}

// queryError makes a parse error a *cim.Error: those of cimom/query already are
// (14 or 15); anything else is an invalid query.
func queryError(err error) error {
	var ce *cim.Error
	if errors.As(err, &ce) {
		return err
	}
	return &cim.Error{Code: cim.StatusInvalidQuery, Description: err.Error(), Err: err}
}

// compileQuery parses a query and checks its FROM class (CIM_ERR_INVALID_QUERY when
// unknown); it returns the query and the classes to walk.
func (d *Dispatcher) compileQuery(ns, lang, text string) (compiledQuery, []*cim.Class, error) {
	if lang == "" {
		return nil, nil, cim.Errorf(cim.StatusInvalidParameter, "the query language is required")
	}
	if text == "" {
		return nil, nil, cim.Errorf(cim.StatusInvalidParameter, "the query is required")
	}
	q, err := d.parseQuery(lang, text)
	if err != nil {
		return nil, nil, queryError(err)
	}
	c := d.s.Class(ns, q.ClassName())
	if c == nil {
		return nil, nil, cim.Errorf(cim.StatusInvalidQuery, "class %s of the query does not exist", q.ClassName())
	}
	// cimom/query checks the properties against the schema and learns the
	// subclasses ISA needs.
	if v, ok := q.(validator); ok {
		if err := v.Validate(func(class string) *cim.Class { return d.s.Class(ns, class) }); err != nil {
			return nil, nil, queryError(err)
		}
	}
	classes, err := d.classAndSubclasses(ns, c)
	if err != nil {
		return nil, nil, err
	}
	return q, classes, nil
}

// runQuery streams the instances of classes that match q, projected; withPath
// gives each its path.
func (d *Dispatcher) runQuery(ctx context.Context, ns string, q compiledQuery, classes []*cim.Class, withPath bool) iter.Seq2[cim.Object, error] {
	return func(yield func(cim.Object, error) bool) {
		for _, c := range classes {
			for inst, err := range d.instancesOf(ctx, ns, c) {
				if err != nil {
					yield(cim.Object{}, toCIMError(err))
					return
				}
				if inst == nil {
					continue
				}
				ok, err := q.Match(inst)
				if err != nil {
					yield(cim.Object{}, queryError(err))
					return
				}
				if !ok {
					continue
				}
				o := cim.Object{Instance: q.Project(inst)}
				if withPath {
					o.Path = pathOf(ns, c, inst)
				}
				if !yield(o, nil) {
					return
				}
			}
		}
	}
}

func (d *Dispatcher) execQuery(ctx context.Context, ns string, o *cim.ExecQuery) (*cim.Result, error) {
	q, classes, err := d.compileQuery(ns, o.QueryLanguage, o.Query)
	if err != nil {
		return nil, err
	}
	return &cim.Result{Objects: d.runQuery(ctx, ns, q, classes, true)}, nil
}

// fqlLanguage is the filter language of the pull operations (DSP0212).
const fqlLanguage = "DMTF:FQL"

// openFilter checks and parses the FilterQuery of an Open…: nil when there is none.
func (d *Dispatcher) openFilter(po *cim.PullOptions) (compiledFilter, error) {
	if po.FilterQuery == "" {
		return nil, nil
	}
	if po.FilterQueryLanguage == "" {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "FilterQuery without FilterQueryLanguage")
	}
	if !strings.EqualFold(po.FilterQueryLanguage, fqlLanguage) {
		return nil, cim.Errorf(cim.StatusQueryLanguageNotSupported, "filter query language %q is not supported; use %s",
			po.FilterQueryLanguage, fqlLanguage)
	}
	f, err := d.parseFilter(fqlLanguage, po.FilterQuery)
	if err != nil {
		return nil, queryError(err)
	}
	return f, nil
}
