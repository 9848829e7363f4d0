package acm

import (
	"errors"
	"testing"
)

func TestPaths(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{PolicyXMLPath("/var/lib/xend/security/policies", "example.chwall_ste.test-wld"), "/var/lib/xend/security/policies/example/chwall_ste/test-wld-security_policy.xml"},
		{PolicyXMLPath("/p/", "DEFAULT"), "/p/DEFAULT-security_policy.xml"},
		{PolicyXMLPath(".", "acme"), "./acme-security_policy.xml"},
		{PolicyFilePath("/p", "example.chwall_ste.test-wld", ".map"), "/p/example/chwall_ste/test-wld.map"},
		{PolicyFilePath("/p", "DEFAULT", ".bin"), "/p//DEFAULT.bin"}, // xend's doubled slash
		{PolicyFilePath("", "a.b", ".bin"), "a/b.bin"},
		{PolicyFilePath("", "a", ".bin"), "a.bin"},
		{BootFileName("example.chwall_ste.test-wld"), "example.chwall_ste.test-wld.bin"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.1", "1.0", 1}, {"1.9", "1.10", -1}, {"2.0", "1.99", 1}, {"", "0.0", 0}, {"", "0.1", -1}, {"01.1", "1.1", 0},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCheckVersionUpdate(t *testing.T) {
	mk := func(name, version, fromName, fromVersion string) *Policy {
		p := &Policy{Name: name, Version: version}
		if fromName != "" || fromVersion != "" {
			p.From = &FromPolicy{Name: fromName, Version: fromVersion}
		}
		return p
	}
	def := DefaultPolicy()
	tests := []struct {
		name      string
		cur, next *Policy
		ok        bool
	}{
		{"proper update", mk("acme", "1.0", "", ""), mk("acme", "1.1", "acme", "1.0"), true},
		{"rename allowed", mk("acme", "1.0", "", ""), mk("acme-next", "2.0", "acme", "1.0"), true},
		{"no FromPolicy", mk("acme", "1.0", "", ""), mk("acme", "1.1", "", ""), false},
		{"wrong from name", mk("acme", "1.0", "", ""), mk("acme", "1.1", "other", "1.0"), false},
		{"from version string differs", mk("acme", "1.0", "", ""), mk("acme", "1.1", "acme", "01.0"), false},
		{"not greater", mk("acme", "1.1", "", ""), mk("acme", "1.1", "acme", "1.1"), false},
		{"older", mk("acme", "1.1", "", ""), mk("acme", "1.0", "acme", "1.1"), false},
		{"current without version", mk("acme", "", "", ""), mk("acme", "1.0", "acme", ""), false},
		{"new without version", mk("acme", "1.0", "", ""), mk("acme", "", "acme", "1.0"), false},
		{"anything replaces DEFAULT", def, mk("acme", "1.0", "", ""), true},
		{"DEFAULT replaces anything", mk("acme", "7.0", "", ""), def, true},
		{"legacy replaces DEFAULT", def, mk("old", "", "", ""), true},
	}
	for _, tt := range tests {
		err := CheckVersionUpdate(tt.cur, tt.next)
		if tt.ok && err != nil || !tt.ok && !errors.Is(err, XSErrVersionPreventsUpdate) {
			t.Errorf("%s: CheckVersionUpdate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
