package cim

import "strings"

// Type is a CIM data type (DSP0004 §5.2). The zero value is TypeInvalid.
type Type uint8

// The CIM data types. TypeReference is the type of a reference property or parameter
// (MOF "ClassName REF"); its class is kept beside the type, not in it.
const (
	TypeInvalid Type = iota
	TypeBoolean
	TypeUint8
	TypeSint8
	TypeUint16
	TypeSint16
	TypeUint32
	TypeSint32
	TypeUint64
	TypeSint64
	TypeReal32
	TypeReal64
	TypeChar16
	TypeString
	TypeDatetime
	TypeReference
)

var typeNames = [...]string{
	TypeInvalid:   "invalid",
	TypeBoolean:   "boolean",
	TypeUint8:     "uint8",
	TypeSint8:     "sint8",
	TypeUint16:    "uint16",
	TypeSint16:    "sint16",
	TypeUint32:    "uint32",
	TypeSint32:    "sint32",
	TypeUint64:    "uint64",
	TypeSint64:    "sint64",
	TypeReal32:    "real32",
	TypeReal64:    "real64",
	TypeChar16:    "char16",
	TypeString:    "string",
	TypeDatetime:  "datetime",
	TypeReference: "reference",
}

// String returns the type's name as MOF and CIM-XML spell it ("uint32", "reference").
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// ParseType returns the type named s (case-insensitive), or TypeInvalid.
func ParseType(s string) Type {
	for t, n := range typeNames {
		if t != int(TypeInvalid) && strings.EqualFold(n, s) {
			return Type(t)
		}
	}
	return TypeInvalid
}

// IsInteger reports whether t is one of the eight integer types.
func (t Type) IsInteger() bool { return t >= TypeUint8 && t <= TypeSint64 }

// IsSigned reports whether t is a signed integer type.
func (t Type) IsSigned() bool {
	return t == TypeSint8 || t == TypeSint16 || t == TypeSint32 || t == TypeSint64
}

// IsReal reports whether t is real32 or real64.
func (t Type) IsReal() bool { return t == TypeReal32 || t == TypeReal64 }

// Bits returns the width of an integer or real type, 0 for the others.
func (t Type) Bits() int {
	switch t {
	case TypeUint8, TypeSint8:
		return 8
	case TypeUint16, TypeSint16:
		return 16
	case TypeUint32, TypeSint32, TypeReal32:
		return 32
	case TypeUint64, TypeSint64, TypeReal64:
		return 64
	}
	return 0
}
