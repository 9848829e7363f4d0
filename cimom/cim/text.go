package cim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrValueSyntax is wrapped by the errors of ParseValue for text that is not a value
// of the type at all (as opposed to one out of range).
var ErrValueSyntax = errors.New("cim: invalid value syntax")

// ParseValue converts the text form of a value (DSP0201 §2.6, cimxml.md §2.6: the
// text of a CIM-XML VALUE) to a value of type t. Strings keep their text as it is; the
// other types are trimmed first; booleans are TRUE or FALSE in any case; integers are
// decimal or 0x hexadecimal and must fit t; reals may be INF, -INF or NaN; a reference
// is an object path (ParseObjectPath). Syntax errors wrap ErrValueSyntax.
func ParseValue(t Type, s string) (any, error) {
	switch t {
	case TypeString:
		return s, nil
	case TypeChar16:
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || size != len(s) || r > 0xFFFF || (r == utf8.RuneError && size == 1) {
			return nil, fmt.Errorf("char16 value %q is not one UCS-2 character", s)
		}
		return Char16(r), nil
	}
	s = strings.TrimSpace(s)
	switch {
	case t == TypeBoolean:
		switch {
		case strings.EqualFold(s, "true"):
			return true, nil
		case strings.EqualFold(s, "false"):
			return false, nil
		}
		return nil, fmt.Errorf("boolean value %q is neither TRUE nor FALSE", s)
	case t.IsInteger():
		return parseInteger(t, s)
	case t.IsReal():
		return parseReal(t, s)
	case t == TypeDatetime:
		return ParseDatetime(s)
	case t == TypeReference:
		return ParseObjectPath(s)
	}
	return nil, fmt.Errorf("a %s value cannot be written as text", t)
}

// parseInteger accepts decimal with an optional sign, and 0x hex leniently as pywbem
// does; the value must fit type t.
func parseInteger(t Type, s string) (any, error) {
	neg := false
	digits := s
	if len(digits) > 0 && (digits[0] == '+' || digits[0] == '-') {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	base := 10
	if len(digits) > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') {
		base, digits = 16, digits[2:]
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' || strings.IndexByte(digits, '_') >= 0 {
		return nil, fmt.Errorf("%s value %q: %w", t, s, ErrValueSyntax)
	}
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return nil, fmt.Errorf("%s value %q: %w", t, s, ErrValueSyntax)
	}
	bits := t.Bits()
	if !t.IsSigned() {
		if neg && u != 0 {
			return nil, fmt.Errorf("%s value %q is out of range", t, s)
		}
		if bits < 64 && u > 1<<bits-1 {
			return nil, fmt.Errorf("%s value %q is out of range", t, s)
		}
		switch t {
		case TypeUint8:
			return uint8(u), nil
		case TypeUint16:
			return uint16(u), nil
		case TypeUint32:
			return uint32(u), nil
		}
		return u, nil
	}
	limit := uint64(1) << (bits - 1) // |min|; max is limit-1
	if (!neg && u >= limit) || (neg && u > limit) {
		return nil, fmt.Errorf("%s value %q is out of range", t, s)
	}
	var n int64
	if neg {
		n = int64(-u) // two's complement also covers -limit
	} else {
		n = int64(u)
	}
	switch t {
	case TypeSint8:
		return int8(n), nil
	case TypeSint16:
		return int16(n), nil
	case TypeSint32:
		return int32(n), nil
	}
	return n, nil
}

func parseReal(t Type, s string) (any, error) {
	var f float64
	switch strings.ToUpper(s) {
	case "INF", "+INF":
		f = math.Inf(1)
	case "-INF":
		f = math.Inf(-1)
	case "NAN":
		f = math.NaN()
	default:
		if s == "" || strings.IndexByte(s, '_') >= 0 || strings.ContainsAny(s, "xXpPiInN") {
			return nil, fmt.Errorf("%s value %q: %w", t, s, ErrValueSyntax)
		}
		var err error
		f, err = strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return nil, fmt.Errorf("%s value %q is not a number or out of range", t, s)
		}
	}
	if t == TypeReal32 {
		return float32(f), nil
	}
	return f, nil
}
