package query

import (
	"math"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
)

// tri is a truth value of three-valued logic: a comparison with NULL is UNKNOWN.
type tri uint8

const (
	tFalse tri = iota
	tTrue
	tUnknown
)

func triOf(b bool) tri {
	if b {
		return tTrue
	}
	return tFalse
}

// numKind says which field of a num holds the number.
type numKind uint8

const (
	nInt numKind = iota
	nUint
	nFloat
)

// num is a number of any CIM numeric type, compared by value across types.
type num struct {
	k   numKind
	f32 bool // a real32: compared at real32 precision, so that 20.9 equals real32(20.9)
	i   int64
	u   uint64
	f   float64
}

func (n num) float() float64 {
	switch n.k {
	case nInt:
		return float64(n.i)
	case nUint:
		return float64(n.u)
	}
	return n.f
}

// cmpNum compares a and b by value; ok is false when one is NaN.
func cmpNum(a, b num) (c int, ok bool) {
	if a.k == nFloat || b.k == nFloat {
		x, y := a.float(), b.float()
		if a.f32 || b.f32 {
			x, y = float64(float32(x)), float64(float32(y))
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		return cmp3(x < y, x > y), true
	}
	switch {
	case a.k == nInt && b.k == nInt:
		return cmp3(a.i < b.i, a.i > b.i), true
	case a.k == nUint && b.k == nUint:
		return cmp3(a.u < b.u, a.u > b.u), true
	case a.k == nInt: // b is uint
		if a.i < 0 {
			return -1, true
		}
		x := uint64(a.i)
		return cmp3(x < b.u, x > b.u), true
	default: // a uint, b int
		if b.i < 0 {
			return 1, true
		}
		y := uint64(b.i)
		return cmp3(a.u < y, a.u > y), true
	}
}

func cmp3(less, greater bool) int {
	if less {
		return -1
	}
	if greater {
		return 1
	}
	return 0
}

// opResult applies op to the result c of a three-way comparison.
func opResult(op cmpOp, c int) bool {
	switch op {
	case opEQ:
		return c == 0
	case opNE:
		return c != 0
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	}
	return c >= 0
}

// dtKind is the kind of a datetime value.
type dtKind uint8

const (
	dtTimestamp dtKind = iota
	dtInterval
	dtWild // has asterisks: only comparable as text
)

// dtValue is a datetime reduced to a number: microseconds since the epoch in UTC for
// a timestamp, the length in microseconds for an interval.
type dtValue struct {
	k    dtKind
	us   int64
	text string
}

// parseDatetime reduces a well-formed CIM datetime (cim.ParseDatetime checked it)
// to a dtValue; ok is false for a malformed one.
func parseDatetime(s string) (dtValue, bool) {
	if len(s) != 25 || s[14] != '.' {
		return dtValue{}, false
	}
	sign := s[21]
	if sign != '+' && sign != '-' && sign != ':' {
		return dtValue{}, false
	}
	wild := false
	for i := 0; i < 25; i++ {
		if i == 14 || i == 21 {
			continue
		}
		switch c := s[i]; {
		case c == '*':
			wild = true
		case c < '0' || c > '9':
			return dtValue{}, false
		}
	}
	if wild {
		return dtValue{k: dtWild, text: s}, true
	}
	d := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	us := int64(d(15, 21))
	if sign == ':' {
		total := ((int64(d(0, 8))*24+int64(d(8, 10)))*60+int64(d(10, 12)))*60 + int64(d(12, 14))
		return dtValue{k: dtInterval, us: total*1e6 + us, text: s}, true
	}
	off := int64(d(22, 25))
	if sign == '-' {
		off = -off
	}
	t := time.Date(d(0, 4), time.Month(d(4, 6)), d(6, 8), d(8, 10), d(10, 12), d(12, 14), 0, time.UTC)
	// The offset is local time minus UTC, in minutes: subtract it to get UTC.
	return dtValue{k: dtTimestamp, us: t.Unix()*1e6 + us - off*60e6, text: s}, true
}

// vKind is the kind of an evaluated operand.
type vKind uint8

const (
	vNull vKind = iota
	vBool
	vNum
	vString // a string or char16 value, or a string literal
	vDatetime
	vRef
	vObject // an embedded instance or class
	vArray  // an array value of the instance
	vLitArr // an array literal
)

var kindNames = [...]string{
	vNull: "NULL", vBool: "a boolean", vNum: "a number", vString: "a string",
	vDatetime: "a datetime", vRef: "a reference", vObject: "an embedded object",
	vArray: "an array", vLitArr: "an array literal",
}

// val is an evaluated operand, held without boxing so that comparing costs no
// allocation. lit is set when the value is a literal of the query.
type val struct {
	k   vKind
	b   bool
	n   num
	s   string
	dt  cim.Datetime
	ref *cim.ObjectPath
	obj any // *cim.Instance or *cim.Class
	arr []any
	la  []*literal
	lit *literal
}

// valueOf turns a CIM value (cim/value.go's Go representation) into a val.
func valueOf(v any) val {
	switch x := v.(type) {
	case nil:
		return val{}
	case bool:
		return val{k: vBool, b: x}
	case uint8:
		return val{k: vNum, n: num{k: nUint, u: uint64(x)}}
	case uint16:
		return val{k: vNum, n: num{k: nUint, u: uint64(x)}}
	case uint32:
		return val{k: vNum, n: num{k: nUint, u: uint64(x)}}
	case uint64:
		return val{k: vNum, n: num{k: nUint, u: x}}
	case int8:
		return val{k: vNum, n: num{k: nInt, i: int64(x)}}
	case int16:
		return val{k: vNum, n: num{k: nInt, i: int64(x)}}
	case int32:
		return val{k: vNum, n: num{k: nInt, i: int64(x)}}
	case int64:
		return val{k: vNum, n: num{k: nInt, i: x}}
	case int:
		return val{k: vNum, n: num{k: nInt, i: int64(x)}}
	case float32:
		return val{k: vNum, n: num{k: nFloat, f: float64(x), f32: true}}
	case float64:
		return val{k: vNum, n: num{k: nFloat, f: x}}
	case string:
		return val{k: vString, s: x}
	case cim.Char16:
		return val{k: vString, s: string(rune(x))}
	case cim.Datetime:
		return val{k: vDatetime, dt: x}
	case *cim.ObjectPath:
		if x == nil {
			return val{}
		}
		return val{k: vRef, ref: x}
	case *cim.Instance:
		if x == nil {
			return val{}
		}
		return val{k: vObject, obj: x}
	case *cim.Class:
		if x == nil {
			return val{}
		}
		return val{k: vObject, obj: x}
	case []any:
		if x == nil {
			return val{}
		}
		return val{k: vArray, arr: x}
	}
	// An unknown Go type cannot come from a well-formed instance; treat it as a
	// value no comparison accepts.
	return val{k: vObject, obj: v}
}

func litValue(l *literal) val {
	switch l.kind {
	case litBool:
		return val{k: vBool, b: l.b, lit: l}
	case litNum:
		return val{k: vNum, n: l.n, lit: l}
	case litString:
		return val{k: vString, s: l.s, lit: l}
	}
	return val{lit: l}
}

// className returns the class an ISA operand names: the class of an embedded
// instance, the name of an embedded class, the class of a reference, or a string
// taken as a class name.
func (v val) className() (string, bool) {
	switch v.k {
	case vObject:
		switch o := v.obj.(type) {
		case *cim.Instance:
			return o.ClassName, true
		case *cim.Class:
			return o.Name, true
		}
	case vRef:
		return v.ref.ClassName, true
	case vString:
		return v.s, true
	}
	return "", false
}
