package compile

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/mof"
)

// value converts a literal into a value of type t (an array when isArray) for the
// element described by what ("property Name", "qualifier Key"…). It reports an error
// and returns ok=false when the literal does not fit.
func (c *Compiler) value(v *mof.Value, t cim.Type, isArray bool, what string) (any, bool) {
	if v.Kind == mof.NullValue {
		return nil, true
	}
	if isArray {
		if v.Kind != mof.ArrayValue {
			c.errorf(v.Pos, "%s is an array of %s: write its value in braces, not a single %s", what, t, v.Kind)
			return nil, false
		}
		out := make([]any, len(v.Elems))
		ok := true
		for i := range v.Elems {
			e, eok := c.scalar(&v.Elems[i], t, what)
			out[i] = e
			ok = ok && eok
		}
		return out, ok
	}
	if v.Kind == mof.ArrayValue {
		c.errorf(v.Pos, "%s is a %s scalar, not an array", what, t)
		return nil, false
	}
	return c.scalar(v, t, what)
}

func (c *Compiler) mismatch(v *mof.Value, t cim.Type, what string) (any, bool) {
	lit := v.Kind.String()
	switch v.Kind {
	case mof.IntValue, mof.RealValue:
		lit += " " + v.Text
	case mof.StringValue:
		lit += " " + strconv.Quote(v.Str)
	case mof.AliasValue:
		lit += " $" + v.Str
	}
	c.errorf(v.Pos, "%s has type %s: cannot use %s", what, t, lit)
	return nil, false
}

func (c *Compiler) scalar(v *mof.Value, t cim.Type, what string) (any, bool) {
	switch v.Kind {
	case mof.NullValue:
		return nil, true
	case mof.AliasValue:
		a := c.aliases[strings.ToLower(v.Str)]
		if a == nil {
			c.errorf(v.Pos, "alias $%s is used before its definition", v.Str)
			return nil, false
		}
		switch t {
		case cim.TypeReference:
			return a.path, true
		case cim.TypeString:
			return a.inst, true // an embedded instance
		}
		return c.mismatch(v, t, what)
	}
	switch t {
	case cim.TypeBoolean:
		if v.Kind == mof.BoolValue {
			return v.Bool, true
		}
	case cim.TypeString:
		if v.Kind == mof.StringValue {
			return v.Str, true
		}
	case cim.TypeChar16:
		if v.Kind == mof.CharValue {
			r, _ := utf8.DecodeRuneInString(v.Str)
			if r > 0xFFFF {
				c.errorf(v.Pos, "%s: char16 value %q is outside UCS-2", what, v.Str)
				return nil, false
			}
			return cim.Char16(r), true
		}
	case cim.TypeDatetime:
		if v.Kind == mof.StringValue {
			d, err := cim.ParseDatetime(v.Str)
			if err != nil {
				c.errorf(v.Pos, "%s: %v", what, err)
				return nil, false
			}
			return d, true
		}
	case cim.TypeReference:
		if v.Kind == mof.StringValue {
			p, err := cim.ParseObjectPath(v.Str)
			if err != nil {
				c.errorf(v.Pos, "%s: %v", what, err)
				return nil, false
			}
			return p, true
		}
	case cim.TypeReal32, cim.TypeReal64:
		var f float64
		switch v.Kind {
		case mof.RealValue:
			f = v.Real
		case mof.IntValue:
			f = float64(v.Int)
			if v.Neg {
				f = -f
			}
		default:
			return c.mismatch(v, t, what)
		}
		if math.IsInf(f, 0) || t == cim.TypeReal32 && math.Abs(f) > math.MaxFloat32 {
			c.errorf(v.Pos, "%s: value %s does not fit in %s", what, v.Text, t)
			return nil, false
		}
		if t == cim.TypeReal32 {
			return float32(f), true
		}
		return f, true
	default:
		if t.IsInteger() && v.Kind == mof.IntValue {
			return c.integer(v, t, what)
		}
	}
	return c.mismatch(v, t, what)
}

func (c *Compiler) integer(v *mof.Value, t cim.Type, what string) (any, bool) {
	bits := uint(t.Bits())
	fits := !v.Overflow
	if fits {
		if t.IsSigned() {
			limit := uint64(1) << (bits - 1)
			if v.Neg {
				fits = v.Int <= limit
			} else {
				fits = v.Int < limit
			}
		} else {
			fits = !v.Neg && (bits == 64 || v.Int < uint64(1)<<bits)
		}
	}
	if !fits {
		c.errorf(v.Pos, "%s: value %s does not fit in %s", what, v.Text, t)
		return nil, false
	}
	n := v.Int
	if v.Neg {
		n = -n // two's complement: converting to the signed type gives the negative value
	}
	switch t {
	case cim.TypeUint8:
		return uint8(n), true
	case cim.TypeSint8:
		return int8(n), true
	case cim.TypeUint16:
		return uint16(n), true
	case cim.TypeSint16:
		return int16(n), true
	case cim.TypeUint32:
		return uint32(n), true
	case cim.TypeSint32:
		return int32(n), true
	case cim.TypeUint64:
		return n, true
	}
	return int64(n), true
}
