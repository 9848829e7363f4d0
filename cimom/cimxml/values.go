package cimxml

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shypecim/shypecim/cimom/cim"
)

// parseScalar converts the text of a VALUE to a value of type t (cim.ParseValue);
// a reference is never VALUE text in CIM-XML.
func parseScalar(t cim.Type, s string) (any, error) {
	if t == cim.TypeReference {
		return nil, fmt.Errorf("a reference value cannot be written as text")
	}
	return cim.ParseValue(t, s)
}

func parseInteger(t cim.Type, s string) (any, error) { return cim.ParseValue(t, s) }

func parseReal(t cim.Type, s string) (any, error) { return cim.ParseValue(t, s) }

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
