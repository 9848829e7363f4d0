package dispatch

import (
	"math"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestConvert(t *testing.T) {
	inst := &cim.Instance{ClassName: "X"}
	ref := &cim.ObjectPath{ClassName: "X", Keys: []cim.KeyBinding{{Name: "K", Value: "v"}}}
	tests := []struct {
		t       cim.Type
		isArray bool
		in      any
		want    any
		bad     bool
	}{
		{cim.TypeBoolean, false, " TRUE ", true, false},
		{cim.TypeBoolean, false, "false", false, false},
		{cim.TypeBoolean, false, "yes", nil, true},
		{cim.TypeBoolean, false, int64(1), nil, true},
		{cim.TypeUint8, false, "255", uint8(255), false},
		{cim.TypeUint8, false, "256", nil, true},
		{cim.TypeUint8, false, "-1", nil, true},
		{cim.TypeUint8, false, "0xff", uint8(255), false},
		{cim.TypeUint8, false, "+7", uint8(7), false},
		{cim.TypeUint8, false, "--7", nil, true},
		{cim.TypeUint8, false, "", nil, true},
		{cim.TypeSint8, false, "-128", int8(-128), false},
		{cim.TypeSint8, false, "128", nil, true},
		{cim.TypeSint8, false, "-0x80", int8(-128), false},
		{cim.TypeUint16, false, uint64(65535), uint16(65535), false},
		{cim.TypeSint16, false, int64(-40000), nil, true},
		{cim.TypeUint32, false, int64(5), uint32(5), false},
		{cim.TypeUint32, false, float64(5), uint32(5), false},
		{cim.TypeUint32, false, float64(5.5), nil, true},
		{cim.TypeUint32, false, int64(-5), nil, true},
		{cim.TypeSint32, false, uint8(9), int32(9), false},
		{cim.TypeUint64, false, "18446744073709551615", uint64(math.MaxUint64), false},
		{cim.TypeSint64, false, "-9223372036854775808", int64(math.MinInt64), false},
		{cim.TypeSint64, false, "9223372036854775808", nil, true},
		{cim.TypeSint64, false, uint64(math.MaxUint64), nil, true},
		{cim.TypeReal32, false, "1.5", float32(1.5), false},
		{cim.TypeReal64, false, " -2e3 ", float64(-2000), false},
		{cim.TypeReal64, false, int64(3), float64(3), false},
		{cim.TypeReal64, false, "x", nil, true},
		{cim.TypeChar16, false, "é", cim.Char16('é'), false},
		{cim.TypeChar16, false, "ab", nil, true},
		{cim.TypeChar16, false, "", nil, true},
		{cim.TypeChar16, false, "😀", nil, true},
		{cim.TypeString, false, "  kept  ", "  kept  ", false},
		{cim.TypeString, false, inst, inst, false},
		{cim.TypeString, false, cim.Datetime("20240101000000.000000+000"), "20240101000000.000000+000", false},
		{cim.TypeString, false, int64(1), nil, true},
		{cim.TypeDatetime, false, "20240101000000.000000+000", cim.Datetime("20240101000000.000000+000"), false},
		{cim.TypeDatetime, false, "00000001000000.000000:000", cim.Datetime("00000001000000.000000:000"), false},
		{cim.TypeDatetime, false, "2024", nil, true},
		{cim.TypeReference, false, `X.K="v"`, ref, false},
		{cim.TypeReference, false, ref, ref, false},
		{cim.TypeReference, false, "not a path!", nil, true},
		{cim.TypeUint8, true, []any{"1", nil, uint8(3)}, []any{uint8(1), nil, uint8(3)}, false},
		{cim.TypeString, true, []string{"a", "b"}, []any{"a", "b"}, false},
		{cim.TypeUint8, true, "1", nil, true},
		{cim.TypeUint8, false, []any{"1"}, nil, true},
		{cim.TypeUint8, true, []any{"1", "x"}, nil, true},
		{cim.TypeUint8, false, nil, nil, false},
	}
	for _, tt := range tests {
		got, err := convert(tt.t, tt.isArray, tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("convert(%v, %v, %#v) = %#v, want an error", tt.t, tt.isArray, tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("convert(%v, %v, %#v): %v", tt.t, tt.isArray, tt.in, err)
			continue
		}
		if !cim.EqualValues(got, tt.want) || cim.TypeOf(got) != cim.TypeOf(tt.want) {
			t.Errorf("convert(%v, %v, %#v) = %#v, want %#v", tt.t, tt.isArray, tt.in, got, tt.want)
		}
		if err := cim.CheckValue(tt.t, tt.isArray, got); err != nil {
			t.Errorf("convert(%v, %v, %#v) = %#v, which CheckValue refuses: %v", tt.t, tt.isArray, tt.in, got, err)
		}
	}
}

func TestKeyMatches(t *testing.T) {
	p := func(ns string, v any) *cim.ObjectPath {
		return &cim.ObjectPath{Namespace: ns, ClassName: "X", Keys: []cim.KeyBinding{{Name: "K", Value: v}}}
	}
	tests := []struct {
		stored, typed any
		want          bool
	}{
		{"a", "a", true},
		{"a", "A", false},
		{int64(5), uint32(5), true},
		{float64(5), uint32(5), true},
		{int64(-1), uint32(4294967295), false},
		{"5", uint32(5), false}, // text is typed before comparing, not here
		{"20240101000000.000000+000", cim.Datetime("20240101000000.000000+000"), true},
		{cim.Datetime("20240101000000.000000+000"), cim.Datetime("20240101000000.000000+000"), true},
		{"x", cim.Char16('x'), true},
		{cim.Char16('y'), cim.Char16('x'), false},
		{true, true, true},
		{"TRUE", true, false},
		{p("", int64(1)), p("root/test", uint16(1)), true},
		{p("ROOT/Test/", int64(1)), p("root/test", uint16(1)), true},
		{p("root/other", int64(1)), p("root/test", uint16(1)), false},
		{`X.K=1`, p("root/test", uint16(1)), true},
		{`X.K=2`, p("root/test", uint16(1)), false},
		{nil, "a", false},
	}
	for _, tt := range tests {
		if got := keyMatches(tt.stored, tt.typed, "root/test"); got != tt.want {
			t.Errorf("keyMatches(%#v, %#v) = %v, want %v", tt.stored, tt.typed, got, tt.want)
		}
	}
}

func TestConvertKey(t *testing.T) {
	tests := []struct {
		t    cim.Type
		in   any
		want any
	}{
		{cim.TypeString, int64(42), "42"},
		{cim.TypeString, uint64(18446744073709551615), "18446744073709551615"},
		{cim.TypeString, float64(1.5), "1.5"},
		{cim.TypeString, true, "true"},
		{cim.TypeString, "x", "x"},
		{cim.TypeUint16, int64(42), uint16(42)},
		{cim.TypeBoolean, true, true},
	}
	for _, tt := range tests {
		got, err := convertKey(tt.t, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("convertKey(%v, %#v) = %#v, %v; want %#v", tt.t, tt.in, got, err, tt.want)
		}
	}
}
