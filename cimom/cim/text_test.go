package cim

import (
	"errors"
	"math"
	"testing"
)

func TestParseValue(t *testing.T) {
	good := []struct {
		t    Type
		s    string
		want any
	}{
		{TypeString, " keep spaces ", " keep spaces "},
		{TypeBoolean, " true ", true},
		{TypeBoolean, "FALSE", false},
		{TypeUint8, "255", uint8(255)},
		{TypeSint8, "-128", int8(-128)},
		{TypeUint32, " 0x1F ", uint32(31)},
		{TypeSint64, "-9223372036854775808", int64(math.MinInt64)},
		{TypeUint64, "18446744073709551615", uint64(math.MaxUint64)},
		{TypeReal32, "1.5", float32(1.5)},
		{TypeReal64, "-2.5E-3", -2.5e-3},
		{TypeReal64, "INF", math.Inf(1)},
		{TypeChar16, "é", Char16('é')},
		{TypeDatetime, "20261123121500.000000+060", Datetime("20261123121500.000000+060")},
	}
	for _, tc := range good {
		got, err := ParseValue(tc.t, tc.s)
		if err != nil || !EqualValues(got, tc.want) {
			t.Errorf("ParseValue(%s, %q) = %#v, %v; want %#v", tc.t, tc.s, got, err, tc.want)
		}
	}
	if p, err := ParseValue(TypeReference, `root/cimv2:CIM_X.Name="a"`); err != nil || p.(*ObjectPath).ClassName != "CIM_X" {
		t.Errorf("reference: %v, %v", p, err)
	}
	if f, _ := ParseValue(TypeReal64, "NaN"); !math.IsNaN(f.(float64)) {
		t.Errorf("NaN: %v", f)
	}
	bad := []struct {
		t      Type
		s      string
		syntax bool
	}{
		{TypeUint8, "256", false},
		{TypeUint16, "-1", false},
		{TypeSint8, "128", false},
		{TypeUint32, "12abc", true},
		{TypeUint32, "1_000", true},
		{TypeUint32, "", true},
		{TypeReal64, "0x10", true},
		{TypeBoolean, "yes", false},
		{TypeChar16, "ab", false},
		{TypeChar16, "", false},
		{TypeDatetime, "2026", false},
	}
	for _, tc := range bad {
		_, err := ParseValue(tc.t, tc.s)
		if err == nil {
			t.Errorf("ParseValue(%s, %q) accepted", tc.t, tc.s)
			continue
		}
		if errors.Is(err, ErrValueSyntax) != tc.syntax {
			t.Errorf("ParseValue(%s, %q) = %v; syntax error: %v, want %v", tc.t, tc.s, err, errors.Is(err, ErrValueSyntax), tc.syntax)
		}
	}
}
