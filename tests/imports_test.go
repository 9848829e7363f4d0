package tests

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/shypecim/shypecim/"

// importRules are style.md §3.2: which project packages a package must not import
// (prefixes, relative to the module).
var importRules = []struct {
	pkg       string // the package, or a prefix ending in "/" for a tree
	forbidden []string
}{
	{"cimom/cim", []string{""}}, // no project package at all
	{"cimom/cimxml", []string{"cimom/dispatch", "providers", "cimom/repository"}},
	{"cimom/repository", []string{"cimom/dispatch", "providers", "cimom/cimxml", "mof"}},
	{"cimom/cimclient", []string{"cimom/dispatch", "cimom/repository", "providers", "acm", "vtpm", "hypervisor"}},
	{"cimom/dispatch", []string{"cimom/repository", "cimom/cimxml", "providers/"}},
	{"providers", []string{"cimom/dispatch", "cimom/cimxml", "cimom/repository", "acm", "vtpm", "hypervisor"}},
	{"providers/", []string{"cimom/dispatch", "cimom/cimxml", "cimom/repository", "hypervisor/hvsim", "vtpm/swtpm"}},
	{"acm", []string{"cimom", "providers", "hypervisor", "vtpm", "mof"}},
	{"acm/", []string{"cimom", "providers", "hypervisor", "vtpm", "mof"}},
	{"vtpm", []string{"cimom", "providers", "hypervisor", "acm", "mof"}},
	{"hypervisor", []string{"cimom", "providers", "acm", "vtpm", "mof"}},
	{"hypervisor/", []string{"cimom", "providers", "acm", "vtpm", "mof"}},
	{"mof", []string{"cimom", "providers", "acm", "vtpm", "hypervisor"}},
	{"mof/compile", []string{"cimom/repository", "cimom/cimxml", "cimom/dispatch", "providers"}},
}

func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		for _, rule := range importRules {
			if !(pkg == rule.pkg || strings.HasSuffix(rule.pkg, "/") && strings.HasPrefix(pkg, rule.pkg)) {
				continue
			}
			checked++
			for _, imp := range fields[1:] {
				if !strings.HasPrefix(imp, module) {
					continue
				}
				rel := strings.TrimPrefix(imp, module)
				for _, f := range rule.forbidden {
					if f == "" || rel == f || strings.HasPrefix(rel, strings.TrimSuffix(f, "/")+"/") {
						t.Errorf("%s imports %s, which style.md §3.2 forbids", pkg, rel)
					}
				}
			}
		}
	}
	if checked < 4 {
		t.Errorf("only %d packages checked: is go list seeing the module?", checked)
	}
}
