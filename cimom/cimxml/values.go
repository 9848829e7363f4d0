package cimxml

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shypecim/shypecim/cimom/cim"
)

// parseScalar converts the text of a VALUE to a value of type t (cimxml.md §2.6).
// Strings keep their text as it is; the other types are trimmed first.
func parseScalar(t cim.Type, s string) (any, error) {
	switch t {
	case cim.TypeString:
		return s, nil
	case cim.TypeChar16:
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || size != len(s) || r > 0xFFFF || (r == utf8.RuneError && size == 1) {
			return nil, fmt.Errorf("char16 value %q is not one UCS-2 character", s)
		}
		return cim.Char16(r), nil
	}
	s = strings.TrimSpace(s)
	switch {
	case t == cim.TypeBoolean:
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
	case t == cim.TypeDatetime:
		return cim.ParseDatetime(s)
	}
	return nil, fmt.Errorf("a %s value cannot be written as text", t)
}

var errSyntax = errors.New("invalid syntax")

// parseInteger accepts decimal with an optional sign, and 0x hex leniently as pywbem
// does; the value must fit type t.
func parseInteger(t cim.Type, s string) (any, error) {
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
		return nil, fmt.Errorf("%s value %q: %w", t, s, errSyntax)
	}
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return nil, fmt.Errorf("%s value %q: %w", t, s, errSyntax)
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
		case cim.TypeUint8:
			return uint8(u), nil
		case cim.TypeUint16:
			return uint16(u), nil
		case cim.TypeUint32:
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
	case cim.TypeSint8:
		return int8(n), nil
	case cim.TypeSint16:
		return int16(n), nil
	case cim.TypeSint32:
		return int32(n), nil
	}
	return n, nil
}

func parseReal(t cim.Type, s string) (any, error) {
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
			return nil, fmt.Errorf("%s value %q: %w", t, s, errSyntax)
		}
		var err error
		f, err = strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return nil, fmt.Errorf("%s value %q is not a number or out of range", t, s)
		}
	}
	if t == cim.TypeReal32 {
		return float32(f), nil
	}
	return f, nil
}

// parseKeyValue types a KEYVALUE without TYPE from its VALUETYPE: numbers become
// int64, uint64 or float64 for the dispatcher to type against the class.
func parseKeyValue(valueType, s string) (any, error) {
	switch valueType {
	case "", "string":
		return s, nil
	case "boolean":
		return parseScalar(cim.TypeBoolean, s)
	case "numeric":
		t := strings.TrimSpace(s)
		if v, err := parseInteger(cim.TypeSint64, t); err == nil {
			return v, nil
		}
		if v, err := parseInteger(cim.TypeUint64, t); err == nil {
			return v, nil
		}
		if v, err := parseReal(cim.TypeReal64, t); err == nil {
			return v, nil
		}
		return nil, fmt.Errorf("numeric key value %q is not a number", s)
	}
	return nil, fmt.Errorf("unknown VALUETYPE %q", valueType)
}

// appendScalar appends the wire text of scalar v (not a reference) to b and returns
// its type; ok is false for a value that has no text form.
func appendScalar(b []byte, v any) ([]byte, cim.Type, bool) {
	switch x := v.(type) {
	case string:
		return append(b, x...), cim.TypeString, true
	case bool:
		if x {
			return append(b, "TRUE"...), cim.TypeBoolean, true
		}
		return append(b, "FALSE"...), cim.TypeBoolean, true
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), cim.TypeUint8, true
	case int8:
		return strconv.AppendInt(b, int64(x), 10), cim.TypeSint8, true
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), cim.TypeUint16, true
	case int16:
		return strconv.AppendInt(b, int64(x), 10), cim.TypeSint16, true
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), cim.TypeUint32, true
	case int32:
		return strconv.AppendInt(b, int64(x), 10), cim.TypeSint32, true
	case uint64:
		return strconv.AppendUint(b, x, 10), cim.TypeUint64, true
	case int64:
		return strconv.AppendInt(b, x, 10), cim.TypeSint64, true
	case int:
		return strconv.AppendInt(b, int64(x), 10), cim.TypeSint64, true
	case float32:
		return appendReal(b, float64(x), 32), cim.TypeReal32, true
	case float64:
		return appendReal(b, x, 64), cim.TypeReal64, true
	case cim.Char16:
		return utf8.AppendRune(b, rune(x)), cim.TypeChar16, true
	case cim.Datetime:
		return append(b, x...), cim.TypeDatetime, true
	}
	return b, cim.TypeInvalid, false
}

// appendReal writes a real with enough digits to read back the same value: 11
// significant digits for real32 and 17 for real64 as pywbem does, with ".0" added
// to an integral value; INF, -INF and NaN for the specials.
func appendReal(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "INF"...)
	case math.IsInf(f, -1):
		return append(b, "-INF"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	}
	prec := 17
	if bits == 32 {
		prec = 11
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'G', prec, 64)
	for _, c := range b[start:] {
		if c == '.' || c == 'E' {
			return b
		}
	}
	return append(b, ".0"...)
}
