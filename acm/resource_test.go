package acm

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestNormalizeResource(t *testing.T) {
	tests := []struct {
		in, wd, want string
		code         XSErr
	}{
		{"phy:sda1", "/", "phy:/dev/sda1", 0},
		{"phy:/dev/sda1", "/", "phy:/dev/sda1", 0},
		{"phy:mapper/vg-web", "", "phy:/dev/mapper/vg-web", 0},
		{"file:/srv/web.img", "", "file:/srv/web.img", 0},
		{"file:web.img", "/srv/xen", "file:/srv/xen/web.img", 0},
		{"file:../img/./web.img", "/srv/xen", "file:/srv/img/web.img", 0},
		{"file:/srv//a/../b.img", "", "file:/srv/b.img", 0},
		{"tap:aio:web.img", "/srv", "tap:aio:/srv/web.img", 0},
		{"tap:qcow:/srv/x/../w.qcow", "", "tap:qcow:/srv/w.qcow", 0},
		{"vlan:12", "", "vlan:12", 0},
		{"vlan:0012", "", "vlan:12", 0},
		{"vlan:4095", "", "vlan:4095", 0},
		{"iscsi:target", "", "iscsi:target", 0},
		{"sda1", "/", "", XSErrBadResourceFormat},
		{":sda1", "/", "", XSErrBadResourceFormat},
		{"phy:", "/", "", XSErrBadResourceFormat},
		{"file:", "/", "", XSErrBadResourceFormat},
		{"file:web.img", "", "", XSErrBadResourceFormat},
		{"file:web.img", "rel", "", XSErrBadResourceFormat},
		{"tap:web.img", "/", "", XSErrBadResourceFormat},
		{"tap:aio:", "/", "", XSErrBadResourceFormat},
		{"vlan:0", "", "", XSErrBadResourceFormat},
		{"vlan:4096", "", "", XSErrBadResourceFormat},
		{"vlan:x", "", "", XSErrBadResourceFormat},
	}
	for _, tc := range tests {
		got, err := NormalizeResource(tc.in, tc.wd)
		if got != tc.want || CodeOf(err) != tc.code {
			t.Errorf("NormalizeResource(%q, %q) = %q, %v; want %q, %v", tc.in, tc.wd, got, err, tc.want, tc.code)
		}
	}
}

func TestResourceStore(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenResourceStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	bank := ResourceLabel{"ACM", "acme", "bank-disk"}
	oil := ResourceLabel{"ACM", "acme", "oil-disk"}
	steps := []struct {
		name string
		op   func() error
		code XSErr
	}{
		{"set", func() error { return s.Set("phy:/dev/sda1", bank, "") }, 0},
		{"set quoted", func() error { return s.Set("file:/srv/it's.img", oil, "") }, 0},
		{"set incomplete", func() error { return s.Set("phy:/dev/sdb", ResourceLabel{Type: "ACM"}, "") }, XSErrBadLabelFormat},
		{"old label format", func() error { return s.Set("phy:/dev/sda1", oil, "bank-disk") }, XSErrBadLabelFormat},
		{"old label mismatch", func() error { return s.Set("phy:/dev/sda1", oil, "ACM:acme:oil-disk") }, XSErrBadLabel},
		{"old label on unlabeled", func() error { return s.Set("phy:/dev/sdc", oil, "ACM:acme:oil-disk") }, XSErrBadLabel},
		{"relabel with old", func() error { return s.Set("phy:/dev/sda1", oil, "INV_ACM:acme:bank-disk") }, 0},
		{"remove unlabeled", func() error { return s.Remove("phy:/dev/sdc", "") }, XSErrResourceNotLabeled},
		{"remove old mismatch", func() error { return s.Remove("phy:/dev/sda1", "ACM:acme:bank-disk") }, XSErrBadLabel},
		{"remove", func() error { return s.Remove("phy:/dev/sda1", "ACM:acme:oil-disk") }, 0},
		{"set again", func() error { return s.Set("vlan:12", bank, "") }, 0},
	}
	for _, st := range steps {
		if err := st.op(); CodeOf(err) != st.code {
			t.Fatalf("%s: %v, want %v", st.name, err, st.code)
		}
	}
	want := map[string]ResourceLabel{"file:/srv/it's.img": oil, "vlan:12": bank}
	if got := s.List(); !maps.Equal(got, want) {
		t.Fatalf("List() = %v, want %v", got, want)
	}
	if l, ok := s.Get("vlan:12"); !ok || l != bank || l.String() != "ACM:acme:bank-disk" {
		t.Errorf("Get = %v %v", l, ok)
	}
	data, err := os.ReadFile(filepath.Join(dir, ResourceLabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	const file = "resources = {\n" +
		"    \"file:/srv/it's.img\": ('ACM', 'acme', 'oil-disk'),\n" +
		"    'vlan:12': ('ACM', 'acme', 'bank-disk'),\n" +
		"}\n"
	if string(data) != file {
		t.Errorf("file:\n%s\nwant:\n%s", data, file)
	}
	again, err := OpenResourceStore(dir)
	if err != nil || !maps.Equal(again.List(), want) {
		t.Fatalf("reopened: %v %v", again, err)
	}
	if err := s.Replace(map[string]ResourceLabel{}); err != nil || len(s.List()) != 0 {
		t.Fatalf("Replace: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only %s", len(entries), ResourceLabelsFile)
	}
}

func TestResourceStoreWriteFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := OpenResourceStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	err = s.Set("vlan:1", ResourceLabel{"ACM", "acme", "bank-disk"}, "")
	if !errors.Is(err, XSErrFileError) {
		t.Fatalf("Set into a missing folder = %v", err)
	}
	if _, ok := s.Get("vlan:1"); ok {
		t.Error("a failed write changed the store")
	}
}

func TestDecodeResourceLabels(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]ResourceLabel
		ok   bool
	}{
		{"resources = {\n}\n", map[string]ResourceLabel{}, true},
		{"resources = {\n    'phy:/dev/a': ('acme', 'x'),\n}\n", map[string]ResourceLabel{"phy:/dev/a": {"ACM", "acme", "x"}}, true},
		{"resources = {\n    'a\\x41\\\\\\'': (\"INV_ACM\", 'p', 'l')\n}", map[string]ResourceLabel{"aA\\'": {"INV_ACM", "p", "l"}}, true},
		{"", nil, false},
		{"resources = {\n", nil, false},
		{"resources = {\n 'a': ('x'),\n}\n", nil, false},
		{"resources = {\n 'a' ('x', 'y'),\n}\n", nil, false},
		{"resources = {\n 'a': ('x', 'y'),\n}\nmore\n", nil, false},
		{"stuff = {\n}\n", nil, false},
		{"resources = {\n 'a: ('x', 'y'),\n}\n", nil, false},
		{"resources = {\n 'a\\xZZ': ('x', 'y'),\n}\n", nil, false},
	}
	for _, tc := range tests {
		got, err := DecodeResourceLabels([]byte(tc.in))
		if (err == nil) != tc.ok || tc.ok && !maps.Equal(got, tc.want) {
			t.Errorf("DecodeResourceLabels(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, XSErrFileError) {
			t.Errorf("error %v is not XSErrFileError", err)
		}
	}
}

func TestRelabelResources(t *testing.T) {
	old := mustCompile(t, mustRead(t, "testdata/acme-security_policy.xml"))
	doc := mustRead(t, "testdata/acme-security_policy.xml")
	// acme 1.1: bank-disk renamed to vault, oil-disk deleted.
	next := mustCompile(t, replaceAll(t, doc,
		"<Version>1.0</Version>", "<Version>1.1</Version><FromPolicy><PolicyName>acme</PolicyName><Version>1.0</Version></FromPolicy>",
		"<Name>bank-disk</Name>", `<Name from="bank-disk">vault</Name>`,
		"<Name>oil-disk</Name>", "<Name>petrol-disk</Name>"))
	in := map[string]ResourceLabel{
		"phy:/dev/a": {"ACM", "acme", "bank-disk"},
		"phy:/dev/b": {"ACM", "acme", "oil-disk"},
		"phy:/dev/c": {"ACM", "acme", "shared-disk"},
		"phy:/dev/d": {"ACM", "other", "oil-disk"},
		"phy:/dev/e": {"INV_ACM", "acme", "gone"},
		"phy:/dev/f": {"ACM", "*", LabelInaccessible},
	}
	before := maps.Clone(in)
	got := RelabelResources(in, old, next)
	want := map[string]ResourceLabel{
		"phy:/dev/a": {"ACM", "acme", "vault"},
		"phy:/dev/b": {"INV_ACM", "acme", "oil-disk"},
		"phy:/dev/c": {"ACM", "acme", "shared-disk"},
		"phy:/dev/d": {"ACM", "other", "oil-disk"},
		"phy:/dev/e": {"INV_ACM", "acme", "gone"},
		"phy:/dev/f": {"ACM", "*", LabelInaccessible},
	}
	if !maps.Equal(got, want) {
		t.Errorf("RelabelResources = %v\nwant %v", got, want)
	}
	if !maps.Equal(in, before) {
		t.Error("RelabelResources modified its input")
	}
	// To DEFAULT (a reset): acme's resource labels become INV_ACM, the new
	// policy's name appears on the labels it keeps.
	def, err := Compile(DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	got = RelabelResources(map[string]ResourceLabel{"x": {"ACM", "acme", "shared-disk"}, "y": {"ACM", "acme", LabelUnlabeled}}, old, def)
	want = map[string]ResourceLabel{"x": {"INV_ACM", "acme", "shared-disk"}, "y": {"ACM", "DEFAULT", LabelUnlabeled}}
	if !maps.Equal(got, want) {
		t.Errorf("to DEFAULT = %v, want %v", got, want)
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replaceAll replaces each old string of pairs, which must occur, by its new one.
func replaceAll(t testing.TB, doc []byte, pairs ...string) []byte {
	t.Helper()
	s := string(doc)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("%q not in document", pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return []byte(s)
}

func TestCheckResourceLabelChange(t *testing.T) {
	c := mustCompile(t, mustRead(t, "testdata/acme-security_policy.xml"))
	bank := ResourceLabel{"ACM", "acme", "bank-disk"}
	cur := map[string]ResourceLabel{
		"phy:/dev/a": bank,
		"vlan:10":    bank,
		"vlan:11":    {"INV_ACM", "acme", "gone"},
		"phy:/dev/o": {"ACM", "other", "x"},
	}
	tests := []struct {
		name string
		ch   ResourceLabelChange
		want ResourceLabel
		code XSErr
	}{
		{"label", ResourceLabelChange{Resource: "phy:/dev/b", Label: "ACM:acme:oil-disk"}, ResourceLabel{"ACM", "acme", "oil-disk"}, 0},
		{"relabel with old", ResourceLabelChange{Resource: "phy:/dev/a", Label: "ACM:acme:oil-disk", Old: "ACM:acme:bank-disk"}, ResourceLabel{"ACM", "acme", "oil-disk"}, 0},
		{"relabel another policy's entry", ResourceLabelChange{Resource: "phy:/dev/o", Label: "ACM:acme:oil-disk", Old: "ACM:other:x"}, ResourceLabel{"ACM", "acme", "oil-disk"}, 0},
		{"bad format", ResourceLabelChange{Resource: "phy:/dev/b", Label: "acme:oil-disk"}, ResourceLabel{}, XSErrBadLabelFormat},
		{"wrong type", ResourceLabelChange{Resource: "phy:/dev/b", Label: "FLASK:acme:oil-disk"}, ResourceLabel{}, XSErrWrongPolicyType},
		{"other policy", ResourceLabelChange{Resource: "phy:/dev/b", Label: "ACM:other:oil-disk"}, ResourceLabel{}, XSErrBadLabel},
		{"VM label is no resource label", ResourceLabelChange{Resource: "phy:/dev/b", Label: "ACM:acme:bank"}, ResourceLabel{}, XSErrBadLabel},
		{"in use", ResourceLabelChange{Resource: "phy:/dev/a", Label: "ACM:acme:oil-disk", InUse: true}, ResourceLabel{}, XSErrResourceInUse},
		{"old mismatch", ResourceLabelChange{Resource: "phy:/dev/a", Label: "ACM:acme:oil-disk", Old: "ACM:acme:oil-disk"}, ResourceLabel{}, XSErrBadLabel},
		{"old malformed", ResourceLabelChange{Resource: "phy:/dev/a", Label: "ACM:acme:oil-disk", Old: "bank-disk"}, ResourceLabel{}, XSErrBadLabelFormat},
		{"labeled VLAN is in use", ResourceLabelChange{Resource: "vlan:10", Label: "ACM:acme:oil-disk", Old: "ACM:acme:bank-disk"}, ResourceLabel{}, XSErrResourceInUse},
		{"invalidated VLAN may be relabeled", ResourceLabelChange{Resource: "vlan:11", Label: "ACM:acme:oil-disk"}, ResourceLabel{"ACM", "acme", "oil-disk"}, 0},
		{"one VLAN per label", ResourceLabelChange{Resource: "vlan:12", Label: "ACM:acme:bank-disk"}, ResourceLabel{}, XSErrBadLabel},
		{"remove", ResourceLabelChange{Resource: "phy:/dev/a", Old: "ACM:acme:bank-disk"}, ResourceLabel{}, 0},
		{"remove without old", ResourceLabelChange{Resource: "phy:/dev/a"}, ResourceLabel{}, XSErrBadLabelFormat},
		{"remove with wrong old", ResourceLabelChange{Resource: "phy:/dev/a", Old: "ACM:acme:oil-disk"}, ResourceLabel{}, XSErrBadLabel},
		{"remove unlabeled", ResourceLabelChange{Resource: "phy:/dev/z", Old: "ACM:acme:oil-disk"}, ResourceLabel{}, XSErrResourceNotLabeled},
		{"remove a labeled VLAN", ResourceLabelChange{Resource: "vlan:10", Old: "ACM:acme:bank-disk"}, ResourceLabel{}, XSErrResourceInUse},
	}
	for _, tc := range tests {
		got, err := CheckResourceLabelChange(c, cur, tc.ch)
		if got != tc.want || CodeOf(err) != tc.code {
			t.Errorf("%s: = %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.code)
		}
	}
}

func BenchmarkNormalizeResource(b *testing.B) {
	for b.Loop() {
		if _, err := NormalizeResource("file:../img/./web.img", "/srv/xen"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestResourceStoreConcurrent(t *testing.T) {
	s, err := OpenResourceStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			errs <- s.Set("vlan:"+strconv.Itoa(i+1), ResourceLabel{"ACM", "acme", "shared-disk"}, "")
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	again, err := OpenResourceStore(s.dir)
	if err != nil || len(again.List()) != 8 || len(s.List()) != 8 {
		t.Fatalf("after concurrent sets: %d in memory, %v on disk (%v)", len(s.List()), again, err)
	}
}
