package acm

import (
	"errors"
	"testing"
)

func TestParseLabel(t *testing.T) {
	tests := []struct {
		in   string
		want SecLabel
		code XSErr
	}{
		{"ACM:acme:bank", SecLabel{"ACM", "acme", "bank"}, 0},
		{"INV_ACM:old:bank", SecLabel{"INV_ACM", "old", "bank"}, 0},
		{"ACM::", SecLabel{"ACM", "", ""}, 0},
		{"acme:bank", SecLabel{}, XSErrBadLabelFormat},
		{"bank", SecLabel{}, XSErrBadLabelFormat},
		{"ACM:a:b:c", SecLabel{}, XSErrBadLabelFormat},
		{"", SecLabel{}, XSErrBadLabelFormat},
	}
	for _, tc := range tests {
		got, err := ParseLabel(tc.in)
		if CodeOf(err) != tc.code || got != tc.want {
			t.Errorf("ParseLabel(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.code)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
	if NewLabel("p", "l").String() != "ACM:p:l" || !(SecLabel{}).IsZero() || NewLabel("p", "l").IsZero() {
		t.Error("NewLabel/IsZero")
	}
}

func TestParsePolicyRef(t *testing.T) {
	tests := []struct {
		in   string
		bare bool
		want string
		code XSErr
	}{
		{"ACM:acme", false, "acme", 0},
		{"ACM:acme", true, "acme", 0},
		{"acme", true, "acme", 0},
		{"acme", false, "", XSErrBadLabelFormat},
		{"FLASK:acme", true, "", XSErrWrongPolicyType},
		{"ACM:", true, "", XSErrBadLabelFormat},
		{"ACM:a:b", true, "", XSErrBadLabelFormat},
	}
	for _, tc := range tests {
		got, err := ParsePolicyRef(tc.in, tc.bare)
		if got != tc.want || CodeOf(err) != tc.code {
			t.Errorf("ParsePolicyRef(%q, %v) = %q, %v; want %q, %v", tc.in, tc.bare, got, err, tc.want, tc.code)
		}
	}
}

func TestParseAccessControl(t *testing.T) {
	tests := []struct {
		entries []string
		want    AccessControl
		ok      bool
		msg     string // exact Error.Msg, "" for success
	}{
		{nil, AccessControl{}, false, ""},
		{[]string{"policy=acme,label=bank"}, AccessControl{"acme", "bank"}, true, ""},
		{[]string{"label=bank,policy=acme"}, AccessControl{"acme", "bank"}, true, ""},
		{[]string{" policy = acme , label = bank "}, AccessControl{"acme", "bank"}, true, ""},
		{[]string{"policy=acme,label=a=b"}, AccessControl{"acme", "a=b"}, true, ""},
		{[]string{"policy=a,label=b", "policy=c,label=d"}, AccessControl{}, false, "Multiple access_control definitions."},
		{[]string{"policy=a,label=b,x=y"}, AccessControl{}, false, "Too many elements in access_control specifier: policy=a,label=b,x=y"},
		{[]string{"policy=a,lbl=b"}, AccessControl{}, false, "Invalid access_control specifier: policy=a,lbl=b"},
		{[]string{"policy=a,label"}, AccessControl{}, false, "Invalid access_control specifier: policy=a,label"},
		{[]string{"label=b"}, AccessControl{}, false, "Invalid access_control specifier: label=b"},
		{[]string{"policy=a,policy=b"}, AccessControl{}, false, "Invalid access_control specifier: policy=a,policy=b"},
		{[]string{""}, AccessControl{}, false, "Invalid access_control specifier: "},
	}
	for _, tc := range tests {
		got, ok, err := ParseAccessControl(tc.entries)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseAccessControl(%q) = %v, %v; want %v, %v", tc.entries, got, ok, tc.want, tc.ok)
		}
		var e *Error
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("ParseAccessControl(%q) error %v", tc.entries, err)
		case tc.msg != "" && (!errors.As(err, &e) || e.Msg != tc.msg || e.Code != XSErrBadLabelFormat):
			t.Errorf("ParseAccessControl(%q) error %v, want %q", tc.entries, err, tc.msg)
		}
	}
	ac := AccessControl{"acme", "bank"}
	if ac.String() != "policy=acme,label=bank" || ac.ConfigLine() != "access_control = ['policy=acme,label=bank']" || ac.SecLabel().String() != "ACM:acme:bank" {
		t.Errorf("formats: %q %q %q", ac.String(), ac.ConfigLine(), ac.SecLabel())
	}
	if err := ac.CheckPolicy("acme"); err != nil {
		t.Error(err)
	}
	var e *Error
	if err := ac.CheckPolicy("other"); !errors.As(err, &e) || e.Msg != "Security policy (acme) incompatible with enforced policy (other)." || !errors.Is(err, XSErrBadPolicyName) {
		t.Errorf("CheckPolicy = %v", err)
	}
	if DomainLabel("", "acme") != "ACM:acme:__UNLABELED__" || DomainLabel("ACM:x:y", "acme") != "ACM:x:y" {
		t.Error("DomainLabel")
	}
}

// FuzzLabel checks that the label, config and resource parsers never panic,
// that every error carries an XSERR code, and that what parses formats back.
func FuzzLabel(f *testing.F) {
	for _, s := range []string{"ACM:acme:bank", "policy=acme,label=bank", "phy:sda1", "file:../a/./b", "tap:aio:x", "vlan:0012", "resources = {\n    'a': ('ACM', 'p', 'l'),\n}\n", "'\\x4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		coded := func(err error) {
			if err != nil && CodeOf(err) == XSErrGeneralFailure {
				t.Fatalf("error without XSERR code: %v", err)
			}
		}
		if l, err := ParseLabel(s); err == nil {
			if back, err := ParseLabel(l.String()); err != nil || back != l {
				t.Fatalf("label %q does not round-trip", s)
			}
		} else {
			coded(err)
		}
		if ac, err := ParseAccessControlEntry(s); err == nil {
			if back, err := ParseAccessControlEntry(ac.String()); err != nil || back != ac && !containsSep(ac) {
				t.Fatalf("access control %q does not round-trip: %v %v", s, back, err)
			}
		} else {
			coded(err)
		}
		_, err := ParsePolicyRef(s, true)
		coded(err)
		if n, err := NormalizeResource(s, "/srv"); err == nil {
			if again, err := NormalizeResource(n, "/elsewhere"); err != nil || again != n {
				t.Fatalf("NormalizeResource(%q) = %q, not a fixed point (%q, %v)", s, n, again, err)
			}
		} else {
			coded(err)
		}
		if m, err := DecodeResourceLabels([]byte(s)); err == nil {
			back, err := DecodeResourceLabels(EncodeResourceLabels(m))
			if err != nil || len(back) != len(m) {
				t.Fatalf("resource labels do not round-trip: %v", err)
			}
			for k, v := range m {
				if back[k] != v {
					t.Fatalf("entry %q: %v, want %v", k, back[k], v)
				}
			}
		} else {
			coded(err)
		}
	})
}

// containsSep reports whether a parsed entry's values hold characters that
// change its reading when written back (a comma, or spaces at the ends).
func containsSep(ac AccessControl) bool {
	for _, v := range []string{ac.Policy, ac.Label} {
		for _, c := range v {
			if c == ',' {
				return true
			}
		}
	}
	return false
}
