package cim

import (
	"fmt"
	"strconv"
	"strings"
)

// Values are plain Go values; nil is NULL. A scalar of each CIM type is held as:
//
//	Boolean  bool          Char16    Char16
//	Uint8    uint8         String    string
//	Sint8    int8          Datetime  Datetime
//	Uint16   uint16        Reference *ObjectPath
//	Sint16   int16         Real32    float32
//	Uint32   uint32        Real64    float64
//	Sint32   int32
//	Uint64   uint64
//	Sint64   int64
//
// An array is a []any of such scalars; an element may be nil (a NULL entry).
// An embedded object (string with EmbeddedObject/EmbeddedInstance) may also hold
// *Instance or *Class.

// Char16 is a value of CIM type char16: one UCS-2 character.
type Char16 uint16

// Datetime is a value of CIM type datetime in its DSP0004 string form: a timestamp
// "yyyymmddhhmmss.mmmmmmsutc" (s is + or -, utc the offset in minutes) or an interval
// "ddddddddhhmmss.mmmmmm:000". Fields may be replaced by asterisks. Use ParseDatetime
// to check a string before converting it.
type Datetime string

// IsInterval reports whether d is an interval rather than a timestamp.
func (d Datetime) IsInterval() bool { return len(d) == 25 && d[21] == ':' }

// ParseDatetime checks that s is a well-formed CIM datetime (DSP0004 §5.2.4) and
// returns it as a Datetime.
func ParseDatetime(s string) (Datetime, error) {
	if len(s) != 25 {
		return "", fmt.Errorf("datetime %q: want 25 characters, have %d", s, len(s))
	}
	if s[14] != '.' {
		return "", fmt.Errorf("datetime %q: want '.' at position 15", s)
	}
	sign := s[21]
	if sign != '+' && sign != '-' && sign != ':' {
		return "", fmt.Errorf("datetime %q: want '+', '-' or ':' at position 22", s)
	}
	for i := 0; i < 25; i++ {
		if i == 14 || i == 21 {
			continue
		}
		c := s[i]
		if (c < '0' || c > '9') && c != '*' {
			return "", fmt.Errorf("datetime %q: invalid character %q at position %d", s, c, i+1)
		}
	}
	if sign == ':' {
		if s[22:] != "000" {
			return "", fmt.Errorf("datetime %q: an interval ends in \":000\"", s)
		}
		if err := checkFields(s, []field{{8, 10, 23}, {10, 12, 59}, {12, 14, 59}}); err != nil {
			return "", err
		}
		return Datetime(s), nil
	}
	if err := checkFields(s, []field{{4, 6, 12}, {6, 8, 31}, {8, 10, 23}, {10, 12, 59}, {12, 14, 60}}); err != nil {
		return "", err
	}
	return Datetime(s), nil
}

type field struct{ from, to, max int }

func checkFields(s string, fs []field) error {
	for _, f := range fs {
		part := s[f.from:f.to]
		if strings.Contains(part, "*") {
			continue
		}
		n, _ := strconv.Atoi(part)
		if n > f.max {
			return fmt.Errorf("datetime %q: field %q out of range", s, part)
		}
	}
	return nil
}

// TypeOf returns the CIM type of the Go scalar v, or Invalid when v is not a CIM
// scalar (nil, an array, an embedded object).
func TypeOf(v any) Type {
	switch v.(type) {
	case bool:
		return TypeBoolean
	case uint8:
		return TypeUint8
	case int8:
		return TypeSint8
	case uint16:
		return TypeUint16
	case int16:
		return TypeSint16
	case uint32:
		return TypeUint32
	case int32:
		return TypeSint32
	case uint64:
		return TypeUint64
	case int64:
		return TypeSint64
	case float32:
		return TypeReal32
	case float64:
		return TypeReal64
	case Char16:
		return TypeChar16
	case string:
		return TypeString
	case Datetime:
		return TypeDatetime
	case *ObjectPath:
		return TypeReference
	}
	return TypeInvalid
}

// CheckValue reports whether v is a valid value for a property or qualifier of type t
// (an array when isArray): nil, a scalar of the Go type the table above gives, or a
// []any of such scalars and nils.
func CheckValue(t Type, isArray bool, v any) error {
	if v == nil {
		return nil
	}
	if isArray {
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want an array of %s, have a scalar", t)
		}
		for i, e := range a {
			if e == nil {
				continue
			}
			if err := checkScalar(t, e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	}
	if _, ok := v.([]any); ok {
		return fmt.Errorf("want a %s scalar, have an array", t)
	}
	return checkScalar(t, v)
}

func checkScalar(t Type, v any) error {
	if got := TypeOf(v); got != t {
		if t == TypeString {
			switch v.(type) {
			case *Instance, *Class:
				return nil
			}
		}
		return fmt.Errorf("want a %s value, have %T", t, v)
	}
	return nil
}

// EqualValues reports whether a and b are the same CIM value (arrays element by
// element, references by their canonical form).
func EqualValues(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !EqualValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case *ObjectPath:
		y, ok := b.(*ObjectPath)
		return ok && x.Equal(y)
	case *Instance, *Class:
		return a == b
	}
	return a == b
}
