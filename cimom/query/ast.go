package query

import (
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shypecim/shypecim/cimom/cim"
)

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEQ cmpOp = iota
	opNE
	opLT
	opLE
	opGT
	opGE
)

// flip returns the operator that gives the same result with the operands swapped.
func (o cmpOp) flip() cmpOp {
	switch o {
	case opLT:
		return opGT
	case opLE:
		return opGE
	case opGT:
		return opLT
	case opGE:
		return opLE
	}
	return o
}

// ordering reports whether o needs an order (not only equality).
func (o cmpOp) ordering() bool { return o >= opLT }

// quant is the array quantifier of a predicate: none, ANY or EVERY (DSP0212).
type quant uint8

const (
	qNone quant = iota
	qAny
	qEvery
)

// litKind is the kind of a literal.
type litKind uint8

const (
	litNull litKind = iota
	litBool
	litNum
	litString
)

// literal is a constant of the query. A string literal compared with a datetime or
// a reference is converted once, on first use, and the result kept: Match stays
// free of allocations and safe for concurrent use.
type literal struct {
	kind litKind
	pos  int
	b    bool
	n    num
	s    string

	dtOnce sync.Once
	dt     dtValue
	dtOK   bool

	refOnce sync.Once
	ref     *cim.ObjectPath
}

func (l *literal) datetime() (dtValue, bool) {
	l.dtOnce.Do(func() {
		if d, err := cim.ParseDatetime(l.s); err == nil {
			l.dt, l.dtOK = parseDatetime(string(d))
		}
	})
	return l.dt, l.dtOK
}

func (l *literal) path() *cim.ObjectPath {
	l.refOnce.Do(func() {
		if p, err := cim.ParseObjectPath(l.s); err == nil {
			l.ref = p
		}
	})
	return l.ref
}

// special names an operand that is not a property of the instance.
type special uint8

const (
	spNone  special = iota
	spThis          // the instance itself: WQL __THIS, the CQL FROM class or alias
	spClass         // WQL __CLASS: the instance's class name
)

// propRef is a property operand: a name, then names of properties of embedded
// instances ("SourceInstance.Name"), and an optional array index.
type propRef struct {
	pos  int
	path []string
	// scopes holds, for CQL's scoped names ("SourceInstance.CIM_Foo::Name"), the
	// class each name is taken from, "" for an unscoped name; nil when none is.
	scopes []string
	index  int // -1: none
	sp     special
	// hint is where the first name was found in the last instance: instances of
	// a class come with their properties in the same order, so that the next
	// lookup usually costs one comparison instead of a scan.
	hint atomic.Int32
}

// first returns the property of inst named by the first name of r, or nil.
func (r *propRef) first(inst *cim.Instance) *cim.Property {
	name := r.path[0]
	if h := int(r.hint.Load()); h < len(inst.Properties) && strings.EqualFold(inst.Properties[h].Name, name) {
		return &inst.Properties[h]
	}
	for i := range inst.Properties {
		if strings.EqualFold(inst.Properties[i].Name, name) {
			r.hint.Store(int32(i))
			return &inst.Properties[i]
		}
	}
	return nil
}

// operandKind tells what an operand is.
type operandKind uint8

const (
	oProp operandKind = iota
	oLit
	oArray // an array literal {a, b, c}
)

type operand struct {
	kind operandKind
	pos  int
	prop *propRef
	lit  *literal
	arr  []*literal
}

// node is a boolean expression.
type node interface {
	eval(e *evaluator, inst *cim.Instance) (tri, error)
}

type (
	andNode struct{ l, r node }
	orNode  struct{ l, r node }
	notNode struct{ x node }
	cmpNode struct {
		op   cmpOp
		q    quant
		l, r operand
		pos  int
	}
	nullNode struct {
		x   operand
		not bool
	}
	isaNode struct {
		x     operand
		class string
		pos   int
	}
	likeNode struct {
		x   operand
		q   quant
		re  *regexp.Regexp
		not bool
		pos int
	}
)
