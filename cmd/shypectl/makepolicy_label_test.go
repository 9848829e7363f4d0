package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A config may be labelled for a policy that is not enforced once makepolicy
// has written its map file (xm-test's 01_security-acm_basic); without a map
// file the policy stays unknown.
func TestAddLabelDomFromMapFile(t *testing.T) {
	dir := t.TempDir()
	xml, err := os.ReadFile("../../tests/testdata/xmtest/xm-test-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "xm-test-security_policy.xml", string(xml))
	plain := "name = 'x'\nkernel = '/boot/vmlinuz'\nmemory = 64\n"
	p := writeFile(t, dir, "x.cfg", plain)
	f := newFake()
	f.withPolicy("acme", "SystemManagement", "web")

	if _, errOut, code := runApp(t, f, dir, nil, "addlabel", "blue", "dom", "x.cfg", "xm-test"); code != 1 ||
		errOut != "Error: Policy 'xm-test' is not the currently loaded policy 'acme'.\n" {
		t.Errorf("addlabel before makepolicy: %d %q", code, errOut)
	}
	if _, errOut, code := runApp(t, f, dir, nil, "makepolicy", "xm-test"); code != 0 {
		t.Fatalf("makepolicy: %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "xm-test.map")); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runApp(t, f, dir, nil, "addlabel", "nosuch", "dom", "x.cfg", "xm-test"); code != 1 ||
		errOut != "Error: Label 'nosuch' not found.\n" {
		t.Errorf("addlabel of a label the map lacks: %d %q", code, errOut)
	}
	if _, errOut, code := runApp(t, f, dir, nil, "addlabel", "blue", "dom", "x.cfg", "xm-test"); code != 0 || errOut != "" {
		t.Fatalf("addlabel after makepolicy: %d %q", code, errOut)
	}
	if got := readFile(t, p); got != plain+"access_control = ['policy=xm-test,label=blue']\n" {
		t.Errorf("config after addlabel:\n%s", got)
	}
}

func TestMapVMLabels(t *testing.T) {
	m := "POLICYREFERENCENAME    p\nLABEL->SSID ANY CHWALL __NULL_LABEL__ 0\nLABEL->SSID VM  CHWALL b 2\n" +
		"LABEL->SSID VM  CHWALL a 1\nLABEL->SSID ANY STE    __UNLABELED__ 00000000\nLABEL->SSID VM  STE    a 1\nLABEL->SSID RES STE    r 3\n"
	got := mapVMLabels([]byte(m))
	if want := []string{"__UNLABELED__", "a", "b"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("mapVMLabels = %q, want %q", got, want)
	}
}
