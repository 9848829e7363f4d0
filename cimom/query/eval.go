package query

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/shypecim/shypecim/cimom/cim"
)

// evaluator holds what evaluating an expression needs beside the instance.
type evaluator struct {
	d   dialect
	src string
	// twoValued selects the NULL rules of FQL (DSP0212): NULL = NULL is true,
	// NULL <> x is true for a non-NULL x, every other predicate on NULL is false.
	// Otherwise (WQL, CQL) a predicate on NULL is UNKNOWN.
	twoValued bool
	// lookup finds a class by name for ISA; unset: ISA compares names only. It is
	// atomic so that Validate may run while other goroutines Match.
	lookup atomic.Pointer[func(string) *cim.Class]
}

// errorf returns the *cim.Error of an expression that cannot be evaluated on this
// instance, such as a comparison of a string with a number.
func (e *evaluator) errorf(pos int, format string, args ...any) error {
	line, col := position(e.src, pos)
	se := &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	return &cim.Error{Code: cim.StatusInvalidQuery, Description: fmt.Sprintf("%s query: %s", e.d, se), Err: se}
}

func (e *evaluator) run(n node, inst *cim.Instance) (bool, error) {
	if inst == nil {
		return false, &cim.Error{Code: cim.StatusFailed, Description: "query: no instance to match"}
	}
	if n == nil {
		return true, nil
	}
	t, err := n.eval(e, inst)
	return t == tTrue, err
}

func (n *andNode) eval(e *evaluator, inst *cim.Instance) (tri, error) {
	l, err := n.l.eval(e, inst)
	if err != nil || l == tFalse {
		return tFalse, err
	}
	r, err := n.r.eval(e, inst)
	if err != nil || r == tFalse {
		return tFalse, err
	}
	if l == tTrue && r == tTrue {
		return tTrue, nil
	}
	return tUnknown, nil
}

func (n *orNode) eval(e *evaluator, inst *cim.Instance) (tri, error) {
	l, err := n.l.eval(e, inst)
	if err != nil || l == tTrue {
		return l, err
	}
	r, err := n.r.eval(e, inst)
	if err != nil || r == tTrue {
		return r, err
	}
	if l == tFalse && r == tFalse {
		return tFalse, nil
	}
	return tUnknown, nil
}

func (n *notNode) eval(e *evaluator, inst *cim.Instance) (tri, error) {
	x, err := n.x.eval(e, inst)
	switch {
	case err != nil:
		return tFalse, err
	case x == tTrue:
		return tFalse, nil
	case x == tFalse:
		return tTrue, nil
	}
	return tUnknown, nil
}

// operand evaluates o on inst. A property the instance lacks is NULL.
func (e *evaluator) operand(o *operand, inst *cim.Instance) (val, error) {
	switch o.kind {
	case oLit:
		return litValue(o.lit), nil
	case oArray:
		return val{k: vLitArr, la: o.arr}, nil
	}
	p := o.prop
	switch p.sp {
	case spThis:
		return val{k: vObject, obj: inst}, nil
	case spClass:
		return val{k: vString, s: inst.ClassName}, nil
	}
	cur := inst
	var v any
	for i, name := range p.path {
		if i > 0 {
			switch x := v.(type) {
			case nil:
				return val{}, nil
			case *cim.Instance:
				if x == nil {
					return val{}, nil
				}
				cur = x
			default:
				return val{}, e.errorf(p.pos, "property %s is not an embedded instance", strings.Join(p.path[:i], "."))
			}
		}
		if r := p.scopes; r != nil && r[i] != "" && !e.isA(cur.ClassName, r[i]) {
			return val{}, nil // a scoped property of another class: NULL
		}
		var prop *cim.Property
		if i == 0 {
			prop = p.first(inst)
		} else {
			prop = cur.Property(name)
		}
		if prop == nil {
			return val{}, nil
		}
		v = prop.Value
	}
	if p.index >= 0 {
		switch a := v.(type) {
		case nil:
			return val{}, nil
		case []any:
			if p.index >= len(a) {
				return val{}, nil // past the end: NULL, as Pegasus does
			}
			v = a[p.index]
		default:
			return val{}, e.errorf(p.pos, "property %s is not an array", strings.Join(p.path, "."))
		}
	}
	return valueOf(v), nil
}

// nullRule gives the result of op when a or b is NULL.
func (e *evaluator) nullRule(op cmpOp, a, b *val) tri {
	if !e.twoValued {
		return tUnknown
	}
	both := a.k == vNull && b.k == vNull
	switch op {
	case opEQ:
		return triOf(both)
	case opNE:
		return triOf(!both)
	}
	return tFalse
}

func (n *cmpNode) eval(e *evaluator, inst *cim.Instance) (tri, error) {
	a, err := e.operand(&n.l, inst)
	if err != nil {
		return tFalse, err
	}
	b, err := e.operand(&n.r, inst)
	if err != nil {
		return tFalse, err
	}
	if n.q == qNone {
		return e.compare(n.pos, n.op, &a, &b)
	}
	if a.k == vNull {
		if e.twoValued {
			return tFalse, nil
		}
		return tUnknown, nil
	}
	if a.k != vArray {
		return tFalse, e.errorf(n.pos, "ANY and EVERY need an array, have %s", kindNames[a.k])
	}
	return e.quantify(n.q, len(a.arr), func(i int) (tri, error) {
		x := valueOf(a.arr[i])
		return e.compare(n.pos, n.op, &x, &b)
	})
}

// quantify combines the results of one predicate over n array elements: ANY is
// true when one is true, EVERY when all are (true for an empty array).
func (e *evaluator) quantify(q quant, n int, f func(int) (tri, error)) (tri, error) {
	unknown := false
	for i := 0; i < n; i++ {
		t, err := f(i)
		if err != nil {
			return tFalse, err
		}
		switch {
		case t == tUnknown:
			unknown = true
		case q == qAny && t == tTrue:
			return tTrue, nil
		case q == qEvery && t == tFalse:
			return tFalse, nil
		}
	}
	switch {
	case unknown && !e.twoValued:
		return tUnknown, nil
	case unknown: // two-valued: an UNKNOWN element counts as false
		return tFalse, nil
	}
	return triOf(q == qEvery), nil
}

// compare applies op to two evaluated operands, by the type of the property.
func (e *evaluator) compare(pos int, op cmpOp, a, b *val) (tri, error) {
	if a.k == vNull || b.k == vNull {
		return e.nullRule(op, a, b), nil
	}
	if a.lit != nil && b.lit == nil {
		// The instance's value decides the type: put the literal on the right.
		a, b, op = b, a, op.flip()
	}
	mismatch := func() (tri, error) {
		return tFalse, e.errorf(pos, "cannot compare %s with %s", kindNames[a.k], kindNames[b.k])
	}
	noOrder := func() (tri, error) {
		return tFalse, e.errorf(pos, "%s values have no order: only = and <> compare them", strings.TrimPrefix(strings.TrimPrefix(kindNames[a.k], "an "), "a "))
	}
	switch a.k {
	case vNum:
		if b.k != vNum {
			return mismatch()
		}
		c, ok := cmpNum(a.n, b.n)
		if !ok {
			if e.twoValued {
				return triOf(op == opNE), nil
			}
			return tUnknown, nil
		}
		return triOf(opResult(op, c)), nil
	case vString:
		switch b.k {
		case vString:
			return triOf(opResult(op, strings.Compare(a.s, b.s))), nil
		case vDatetime, vRef:
			return e.compare(pos, op.flip(), b, a)
		}
		return mismatch()
	case vBool:
		if b.k != vBool {
			return mismatch()
		}
		if op.ordering() {
			return noOrder()
		}
		return triOf((a.b == b.b) == (op == opEQ)), nil
	case vDatetime:
		x, ok := parseDatetime(string(a.dt))
		if !ok {
			return tFalse, e.errorf(pos, "malformed datetime value %q", a.dt)
		}
		var y dtValue
		switch {
		case b.k == vDatetime:
			if y, ok = parseDatetime(string(b.dt)); !ok {
				return tFalse, e.errorf(pos, "malformed datetime value %q", b.dt)
			}
		case b.k == vString && b.lit != nil:
			if y, ok = b.lit.datetime(); !ok {
				return tFalse, e.errorf(b.lit.pos, "'%s' is not a CIM datetime", b.lit.s)
			}
		case b.k == vString:
			if y, ok = parseDatetime(b.s); !ok {
				return mismatch()
			}
		default:
			return mismatch()
		}
		return e.compareDatetimes(op, x, y), nil
	case vRef:
		var q *cim.ObjectPath
		switch {
		case b.k == vRef:
			q = b.ref
		case b.k == vString && b.lit != nil:
			if q = b.lit.path(); q == nil {
				return tFalse, e.errorf(b.lit.pos, "'%s' is not an object path", b.lit.s)
			}
		default:
			return mismatch()
		}
		if op.ordering() {
			return noOrder()
		}
		return triOf(refEqual(a.ref, q) == (op == opEQ)), nil
	case vArray:
		switch b.k {
		case vArray:
			if op.ordering() {
				return noOrder()
			}
			return e.arrayEqual(pos, op, len(a.arr), len(b.arr), func(i int) (val, val) {
				return valueOf(a.arr[i]), valueOf(b.arr[i])
			})
		case vLitArr:
			if op.ordering() {
				return noOrder()
			}
			return e.arrayEqual(pos, op, len(a.arr), len(b.la), func(i int) (val, val) {
				return valueOf(a.arr[i]), litValue(b.la[i])
			})
		}
		return tFalse, e.errorf(pos, "an array property compares with an array: use ANY, EVERY or an index")
	}
	return mismatch()
}

// arrayEqual compares two arrays element by element; elements that are both NULL
// are equal.
func (e *evaluator) arrayEqual(pos int, op cmpOp, na, nb int, at func(int) (val, val)) (tri, error) {
	eq := na == nb
	for i := 0; eq && i < na; i++ {
		x, y := at(i)
		if x.k == vNull || y.k == vNull {
			eq = x.k == y.k
			continue
		}
		t, err := e.compare(pos, opEQ, &x, &y)
		if err != nil {
			return tFalse, err
		}
		eq = t == tTrue
	}
	return triOf(eq == (op == opEQ)), nil
}

// compareDatetimes compares by value; a timestamp and an interval are different,
// and values with asterisks compare only for equality, as text.
func (e *evaluator) compareDatetimes(op cmpOp, x, y dtValue) tri {
	if x.k == dtWild || y.k == dtWild || x.k != y.k {
		same := x.k == y.k && x.text == y.text
		switch op {
		case opEQ:
			return triOf(same)
		case opNE:
			return triOf(!same)
		}
		if e.twoValued {
			return tFalse
		}
		return tUnknown
	}
	return triOf(opResult(op, cmp3(x.us < y.us, x.us > y.us)))
}

// refEqual compares references as cim.ObjectPath.Equal does, except that a side
// without a namespace matches any namespace (a literal usually has none).
func refEqual(p, q *cim.ObjectPath) bool {
	if p.Namespace == "" || q.Namespace == "" {
		x, y := *p, *q
		x.Namespace, y.Namespace = "", ""
		return x.Equal(&y)
	}
	return p.Equal(q)
}

func (n *nullNode) eval(e *evaluator, inst *cim.Instance) (tri, error) {
	v, err := e.operand(&n.x, inst)
	if err != nil {
		return tFalse, err
	}
	return triOf((v.k == vNull) != n.not), nil
}

func (n *isaNode) eval(e *evaluator, inst *cim.Instance) (tri, error) {
	v, err := e.operand(&n.x, inst)
	if err != nil {
		return tFalse, err
	}
	if v.k == vNull {
		if e.twoValued {
			return tFalse, nil
		}
		return tUnknown, nil
	}
	name, ok := v.className()
	if !ok {
		return tFalse, e.errorf(n.pos, "ISA needs an embedded instance, a reference or the instance itself, have %s", kindNames[v.k])
	}
	return triOf(e.isA(name, n.class)), nil
}

// isA reports whether class is target or one of its subclasses. Without a lookup
// only the name itself is compared.
func (e *evaluator) isA(class, target string) bool {
	for depth := 0; depth < 256 && class != ""; depth++ {
		if strings.EqualFold(class, target) {
			return true
		}
		lookup := e.lookup.Load()
		if lookup == nil {
			return false
		}
		c := (*lookup)(class)
		if c == nil {
			return false
		}
		class = c.SuperClass
	}
	return false
}

func (n *likeNode) eval(e *evaluator, inst *cim.Instance) (tri, error) {
	v, err := e.operand(&n.x, inst)
	if err != nil {
		return tFalse, err
	}
	match := func(v val) (tri, error) {
		switch v.k {
		case vNull:
			if e.twoValued {
				return tFalse, nil
			}
			return tUnknown, nil
		case vString:
			return triOf(n.re.MatchString(v.s) != n.not), nil
		}
		return tFalse, e.errorf(n.pos, "LIKE needs a string, have %s", kindNames[v.k])
	}
	if n.q == qNone {
		return match(v)
	}
	if v.k == vNull {
		return match(v)
	}
	if v.k != vArray {
		return tFalse, e.errorf(n.pos, "ANY and EVERY need an array, have %s", kindNames[v.k])
	}
	return e.quantify(n.q, len(v.arr), func(i int) (tri, error) { return match(valueOf(v.arr[i])) })
}
