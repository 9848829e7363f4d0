package xmconfig

import (
	"fmt"
	"github.com/shypecim/shypecim/acm"
	"math"
	"strconv"
	"strings"
)

// kind is a Python type of the subset.
type kind int

const (
	kStr kind = iota
	kInt
	kBool
	kNone
	kList
	kTuple
)

// typeName returns Python 2's name of the type, as its messages use it.
func (k kind) typeName() string {
	return [...]string{"str", "int", "bool", "NoneType", "list", "tuple"}[k]
}

// value is a Python value with the position of the expression that made it.
type value struct {
	kind  kind
	pos   Position
	s     string
	i     int64 // kInt, and kBool as 0 or 1
	elems []value
}

func evalErr(p Position, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...), Err: ErrEval}
}

// run executes the statements in order; the result maps every assigned
// name to its last value, with the position of that assignment's value.
func run(stmts []stmt) (map[string]value, error) {
	env := map[string]value{}
	for _, st := range stmts {
		v, err := eval(st.value, env)
		if err != nil {
			return nil, err
		}
		if st.target != "" {
			env[st.target] = v
		}
	}
	return env, nil
}

func eval(n *node, env map[string]value) (value, error) {
	switch n.kind {
	case nString:
		return value{kind: kStr, pos: n.pos, s: n.str}, nil
	case nInt:
		return value{kind: kInt, pos: n.pos, i: n.num}, nil
	case nName:
		switch n.str {
		case "True":
			return value{kind: kBool, pos: n.pos, i: 1}, nil
		case "False":
			return value{kind: kBool, pos: n.pos}, nil
		case "None":
			return value{kind: kNone, pos: n.pos}, nil
		}
		v, ok := env[n.str]
		if !ok {
			return value{}, evalErr(n.pos, "name '%s' is not defined", n.str)
		}
		v.pos = n.pos
		return v, nil
	case nList, nTuple:
		v := value{kind: kList, pos: n.pos, elems: make([]value, 0, len(n.elems))}
		if n.kind == nTuple {
			v.kind = kTuple
		}
		for _, e := range n.elems {
			ev, err := eval(e, env)
			if err != nil {
				return value{}, err
			}
			v.elems = append(v.elems, ev)
		}
		return v, nil
	case nUnary:
		x, err := eval(n.elems[0], env)
		if err != nil {
			return value{}, err
		}
		if x.kind != kInt && x.kind != kBool {
			return value{}, evalErr(n.pos, "bad operand type for unary %s: '%s'", n.str, x.kind.typeName())
		}
		if n.str == "-" {
			if x.i == math.MinInt64 {
				return value{}, evalErr(n.pos, "integer overflow")
			}
			x.i = -x.i
		}
		return value{kind: kInt, pos: n.pos, i: x.i}, nil
	}
	// A chain a + b + c nests to the left; walk it without recursion so a
	// long chain cannot exhaust the stack.
	var chain []*node
	for n.kind == nBinary {
		chain = append(chain, n)
		n = n.elems[0]
	}
	l, err := eval(n, env)
	if err != nil {
		return value{}, err
	}
	// Strings of a chain accumulate in one builder: linear, not quadratic.
	var sb strings.Builder
	building := false
	for i := len(chain) - 1; i >= 0; i-- {
		r, err := eval(chain[i].elems[1], env)
		if err != nil {
			return value{}, err
		}
		if chain[i].str == "+" && l.kind == kStr && r.kind == kStr && len(l.s)+sb.Len()+len(r.s) <= maxValueLen {
			if !building {
				sb.WriteString(l.s)
				l.s, building = "", true
			}
			sb.WriteString(r.s)
			continue
		}
		if building {
			l.s, building = sb.String(), false
			sb = strings.Builder{}
		}
		if l, err = binary(chain[i].str, l, r); err != nil {
			return value{}, err
		}
	}
	if building {
		l.s = sb.String()
	}
	return l, nil
}

// maxValueLen bounds the length of a string or list built with +.
const maxValueLen = 1 << 20

// binary applies + or - as Python 2 does for the subset's types.
func binary(op string, l, r value) (value, error) {
	num := func(v value) bool { return v.kind == kInt || v.kind == kBool }
	switch {
	case num(l) && num(r):
		b := r.i
		if op == "-" {
			if b == math.MinInt64 {
				return value{}, evalErr(l.pos, "integer overflow")
			}
			b = -b
		}
		if b > 0 && l.i > math.MaxInt64-b || b < 0 && l.i < math.MinInt64-b {
			return value{}, evalErr(l.pos, "integer overflow")
		}
		return value{kind: kInt, pos: l.pos, i: l.i + b}, nil
	case op == "+" && (len(l.s)+len(r.s) > maxValueLen || len(l.elems)+len(r.elems) > maxValueLen):
		// Names let a file double a value per line; stop before memory runs out.
		return value{}, evalErr(l.pos, "value longer than %d", maxValueLen)
	case op == "+" && l.kind == r.kind && l.kind == kStr:
		return value{kind: kStr, pos: l.pos, s: l.s + r.s}, nil
	case op == "+" && l.kind == r.kind && (l.kind == kList || l.kind == kTuple):
		elems := make([]value, 0, len(l.elems)+len(r.elems))
		elems = append(append(elems, l.elems...), r.elems...)
		return value{kind: l.kind, pos: l.pos, elems: elems}, nil
	case op == "+" && l.kind == kStr:
		return value{}, evalErr(l.pos, "cannot concatenate 'str' and '%s' objects", r.kind.typeName())
	case op == "+" && (l.kind == kList || l.kind == kTuple):
		return value{}, evalErr(l.pos, "can only concatenate %s (not \"%s\") to %s", l.kind.typeName(), r.kind.typeName(), l.kind.typeName())
	}
	return value{}, evalErr(l.pos, "unsupported operand type(s) for %s: '%s' and '%s'", op, l.kind.typeName(), r.kind.typeName())
}

// taken reports whether xm took the variable: opts.py keeps only str, list,
// int and float values (its vtypes); None, bools and tuples are dropped.
func (v value) taken() bool { return v.kind == kStr || v.kind == kInt || v.kind == kList }

// truthy is Python's truth value.
func (v value) truthy() bool {
	switch v.kind {
	case kStr:
		return v.s != ""
	case kInt, kBool:
		return v.i != 0
	case kList, kTuple:
		return len(v.elems) > 0
	}
	return false
}

// iter returns the items a Python for loop sees: list and tuple elements,
// or a string's characters (so disk = 'phy:a,b,w' fails as in xm, one
// character at a time).
func (v value) iter() ([]value, error) {
	switch v.kind {
	case kList, kTuple:
		return v.elems, nil
	case kStr:
		out := make([]value, 0, len(v.s))
		for _, r := range v.s {
			out = append(out, value{kind: kStr, pos: v.pos, s: string(r)})
		}
		return out, nil
	}
	return nil, valueErr(v.pos, "'%s' object is not iterable", v.kind.typeName())
}

// repr is Python's repr(), used to keep lists in Config.Extra.
func (v value) repr() string {
	switch v.kind {
	case kStr:
		return acm.PyRepr(v.s)
	case kInt:
		return strconv.FormatInt(v.i, 10)
	case kBool:
		if v.i != 0 {
			return "True"
		}
		return "False"
	case kNone:
		return "None"
	}
	parts := make([]string, len(v.elems))
	for i, e := range v.elems {
		parts[i] = e.repr()
	}
	if v.kind == kList {
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// str is Python's str(): a string's own text, else its repr.
func (v value) str() string {
	if v.kind == kStr {
		return v.s
	}
	return v.repr()
}
