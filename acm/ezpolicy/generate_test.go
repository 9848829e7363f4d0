package ezpolicy

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testWLD is the seed's "test-wld" description built in code, as a caller other than
// the parser (the Xen-API, shypectl) would build it.
func testWLD() *Description {
	return &Description{
		Policy: "example.chwall_ste.test-wld",
		Orgs: []Org{
			{Name: "Avis"},
			{Name: "Hertz"},
			{Name: "CocaCola", Departments: []string{"Intranet", "Extranet", "HumanResources", "Payroll"}},
			{Name: "PepsiCo", Departments: []string{"Intranet", "Extranet"}},
		},
		Conflicts: []Conflict{
			{Name: "RER", Members: []string{"PepsiCo", "CocaCola"}},
			{Name: "RER", Members: []string{"CocaCola.Extranet", "CocaCola.Payroll"}},
		},
	}
}

func parseFile(t testing.TB, path string) *Description {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return d
}

// TestGolden: the test-wld description gives exactly testdata/test-wld.xml
// (go test -update rewrites it), and that XML passes the schema and xend checks.
func TestGolden(t *testing.T) {
	for _, name := range []string{"test-wld", "options"} {
		t.Run(name, func(t *testing.T) {
			got, err := Generate(parseFile(t, filepath.Join("testdata", name+".ez")))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".xml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Generate differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
			if _, err := checkPolicy(got); err != nil {
				t.Errorf("golden policy fails the checks: %v", err)
			}
		})
	}
}

// TestGenerateTestWLD checks the rules of acm.md §8 on the test-wld policy through
// what the XML holds, independently of its layout.
func TestGenerateTestWLD(t *testing.T) {
	out, err := Generate(testWLD())
	if err != nil {
		t.Fatal(err)
	}
	rb, err := checkPolicy(out)
	if err != nil {
		t.Fatal(err)
	}
	types := []string{"SystemManagement", "Avis", "Hertz",
		"CocaCola", "CocaCola.Intranet", "CocaCola.Extranet", "CocaCola.HumanResources", "CocaCola.Payroll",
		"PepsiCo", "PepsiCo.Intranet", "PepsiCo.Extranet"}
	if rb.name != "example.chwall_ste.test-wld" || rb.version != "1.0" {
		t.Errorf("header: name %q version %q", rb.name, rb.version)
	}
	if !slices.Equal(rb.ste, types) || !slices.Equal(rb.cw, types) {
		t.Errorf("types:\nSTE    %v\nCHWALL %v\nwant   %v", rb.ste, rb.cw, types)
	}
	if rb.bootstrap != "SystemManagement" {
		t.Errorf("bootstrap %q", rb.bootstrap)
	}
	wantVMs := map[string]label{
		"SystemManagement":        {ste: types, cw: []string{"SystemManagement"}},
		"Avis":                    {ste: []string{"Avis"}, cw: []string{"Avis"}},
		"Hertz":                   {ste: []string{"Hertz"}, cw: []string{"Hertz"}},
		"CocaCola":                {ste: []string{"CocaCola"}, cw: []string{"CocaCola"}},
		"CocaCola.Intranet":       {ste: []string{"CocaCola.Intranet"}, cw: []string{"CocaCola", "CocaCola.Intranet"}},
		"CocaCola.Extranet":       {ste: []string{"CocaCola.Extranet"}, cw: []string{"CocaCola", "CocaCola.Extranet"}},
		"CocaCola.HumanResources": {ste: []string{"CocaCola.HumanResources"}, cw: []string{"CocaCola", "CocaCola.HumanResources"}},
		"CocaCola.Payroll":        {ste: []string{"CocaCola.Payroll"}, cw: []string{"CocaCola", "CocaCola.Payroll"}},
		"PepsiCo":                 {ste: []string{"PepsiCo"}, cw: []string{"PepsiCo"}},
		"PepsiCo.Intranet":        {ste: []string{"PepsiCo.Intranet"}, cw: []string{"PepsiCo", "PepsiCo.Intranet"}},
		"PepsiCo.Extranet":        {ste: []string{"PepsiCo.Extranet"}, cw: []string{"PepsiCo", "PepsiCo.Extranet"}},
	}
	if !reflect.DeepEqual(rb.vms, wantVMs) {
		t.Errorf("VM labels:\n got %v\nwant %v", rb.vms, wantVMs)
	}
	if !slices.Equal(rb.vmOrder, types) {
		t.Errorf("VM label order %v, want %v", rb.vmOrder, types)
	}
	if !slices.Equal(rb.resOrder, types) {
		t.Errorf("resource labels %v, want one per type %v", rb.resOrder, types)
	}
	for name, typ := range rb.resources {
		if name != typ {
			t.Errorf("resource label %s carries type %s, want its own", name, typ)
		}
	}
	wantSets := [][]string{{"CocaCola", "PepsiCo"}, {"CocaCola.Extranet", "CocaCola.Payroll"}}
	if !reflect.DeepEqual(rb.conflicts, wantSets) || !slices.Equal(rb.conflictNames, []string{"RER", "RER"}) {
		t.Errorf("conflict sets %v %v, want RER %v twice", rb.conflictNames, rb.conflicts, wantSets)
	}
}

// TestParsedEqualsBuilt: the test-wld file and the description built in code are the
// same policy; the comments and statement layout of the file change nothing.
func TestParsedEqualsBuilt(t *testing.T) {
	fromFile, err := Generate(parseFile(t, "testdata/test-wld.ez"))
	if err != nil {
		t.Fatal(err)
	}
	built, err := Generate(testWLD())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromFile, built) {
		t.Errorf("parsed and built test-wld differ:\n%s\n----\n%s", fromFile, built)
	}
	again, _ := Generate(testWLD())
	if !bytes.Equal(built, again) {
		t.Error("two Generate calls on one description differ")
	}
}

func TestGenerateCases(t *testing.T) {
	tests := []struct {
		name  string
		d     *Description
		check func(t *testing.T, out string, rb *readBack)
	}{
		{
			name: "header options in schema order, free text escaped",
			d: &Description{
				Policy: "acme", Version: "2.7", Date: "Fri Sep 29 14:44:38 2006 <R&D>", URL: "http://acme.example/p?a=1&b=2",
				From: &From{Policy: "acme", Version: "2.6"},
				Orgs: []Org{{Name: "A"}},
			},
			check: func(t *testing.T, out string, rb *readBack) {
				want := "        <PolicyName>acme</PolicyName>\n" +
					"        <PolicyUrl>http://acme.example/p?a=1&amp;b=2</PolicyUrl>\n" +
					"        <Date>Fri Sep 29 14:44:38 2006 &lt;R&amp;D&gt;</Date>\n" +
					"        <Version>2.7</Version>\n" +
					"        <FromPolicy>\n" +
					"            <PolicyName>acme</PolicyName>\n" +
					"            <Version>2.6</Version>\n" +
					"        </FromPolicy>\n"
				if !strings.Contains(out, want) {
					t.Errorf("header not as expected:\n%s", out)
				}
				if rb.version != "2.7" {
					t.Errorf("version %q", rb.version)
				}
			},
		},
		{
			name: "no date unless given, default version",
			d:    &Description{Policy: "p", Orgs: []Org{{Name: "A"}}},
			check: func(t *testing.T, out string, rb *readBack) {
				if strings.Contains(out, "<Date>") || strings.Contains(out, "<PolicyUrl>") || strings.Contains(out, "<FromPolicy>") {
					t.Errorf("optional header element written:\n%s", out)
				}
				if rb.version != DefaultVersion {
					t.Errorf("version %q, want %q", rb.version, DefaultVersion)
				}
			},
		},
		{
			name: "no conflict sets: no ConflictSets element",
			d:    &Description{Policy: "p", Orgs: []Org{{Name: "A"}, {Name: "B"}}},
			check: func(t *testing.T, out string, rb *readBack) {
				if strings.Contains(out, "ConflictSets") || len(rb.conflicts) != 0 {
					t.Errorf("ConflictSets written:\n%s", out)
				}
			},
		},
		{
			name: "sets of fewer than two types dropped, unnamed set gets RER",
			d: &Description{Policy: "p", Orgs: []Org{{Name: "A"}, {Name: "B"}},
				Conflicts: []Conflict{{Name: "lonely", Members: []string{"A"}}, {Members: []string{"B", "A"}}, {Name: "none"}}},
			check: func(t *testing.T, out string, rb *readBack) {
				if !reflect.DeepEqual(rb.conflicts, [][]string{{"A", "B"}}) || !slices.Equal(rb.conflictNames, []string{"RER"}) {
					t.Errorf("conflict sets %v %v, want RER [A B] only", rb.conflictNames, rb.conflicts)
				}
			},
		},
		{
			name: "every conflict set dropped: no ConflictSets element",
			d: &Description{Policy: "p", Orgs: []Org{{Name: "A"}},
				Conflicts: []Conflict{{Members: []string{"A"}}}},
			check: func(t *testing.T, out string, rb *readBack) {
				if strings.Contains(out, "ConflictSets") {
					t.Errorf("empty ConflictSets written:\n%s", out)
				}
			},
		},
		{
			name: "__UNLABELED__ is an organisation of its own",
			d:    &Description{Policy: "p", Orgs: []Org{{Name: Unlabeled}, {Name: "A", Departments: []string{"x"}}}},
			check: func(t *testing.T, out string, rb *readBack) {
				want := label{ste: []string{Unlabeled}, cw: []string{Unlabeled}}
				if !reflect.DeepEqual(rb.vms[Unlabeled], want) {
					t.Errorf("__UNLABELED__ label %v, want %v", rb.vms[Unlabeled], want)
				}
				if rb.resources[Unlabeled] != Unlabeled {
					t.Errorf("no __UNLABELED__ resource label: %v", rb.resources)
				}
				if !slices.Contains(rb.vms[SystemManagement].ste, Unlabeled) {
					t.Errorf("SystemManagement lacks the __UNLABELED__ STE type: %v", rb.vms[SystemManagement].ste)
				}
			},
		},
		{
			name: "departments of one organisation may conflict with each other and with other orgs",
			d: &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: []string{"x", "y"}}, {Name: "B"}},
				Conflicts: []Conflict{{Name: "s1", Members: []string{"A.y", "A.x", "B"}}}},
			check: func(t *testing.T, out string, rb *readBack) {
				if !reflect.DeepEqual(rb.conflicts, [][]string{{"A.x", "A.y", "B"}}) {
					t.Errorf("conflict sets %v, want members sorted", rb.conflicts)
				}
			},
		},
		{
			name: "non-ASCII letters",
			d:    &Description{Policy: "entreprise.sécurité", Orgs: []Org{{Name: "Société", Departments: []string{"Paie"}}}},
			check: func(t *testing.T, out string, rb *readBack) {
				if _, ok := rb.vms["Société.Paie"]; !ok || rb.name != "entreprise.sécurité" {
					t.Errorf("labels %v, name %q", rb.vmOrder, rb.name)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Generate(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := checkPolicy(out)
			if err != nil {
				t.Fatalf("generated policy fails the checks: %v\n%s", err, out)
			}
			tc.check(t, string(out), rb)
		})
	}
}

// TestGenerateInvalid: Generate refuses what Validate refuses, with the same errors,
// and without line numbers for a description built in code.
func TestGenerateInvalid(t *testing.T) {
	tests := []struct {
		name string
		d    *Description
		kind error
		msg  string
	}{
		{"nil description", nil, ErrMissing, "no description"},
		{"nil policy name", &Description{Orgs: []Org{{Name: "A"}}}, ErrMissing, "no policy name"},
		{"no organisation", &Description{Policy: "p"}, ErrEmpty, "no organisation"},
		{"colon in policy name", &Description{Policy: "a:b", Orgs: []Org{{Name: "A"}}}, ErrName, `invalid policy name "a:b"`},
		{"empty policy part", &Description{Policy: "a..b", Orgs: []Org{{Name: "A"}}}, ErrName, "invalid policy name"},
		{"bad version", &Description{Policy: "p", Version: "1x0", Orgs: []Org{{Name: "A"}}}, ErrName, `invalid version "1x0"`},
		{"bad from", &Description{Policy: "p", From: &From{Policy: "p", Version: "1"}, Orgs: []Org{{Name: "A"}}}, ErrName, "in from"},
		{"newline in date", &Description{Policy: "p", Date: "a\nb", Orgs: []Org{{Name: "A"}}}, ErrSyntax, "invalid date"},
		{"duplicate org", &Description{Policy: "p", Orgs: []Org{{Name: "A"}, {Name: "A"}}}, ErrDuplicate, `duplicate organisation "A"`},
		{"duplicate department", &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: []string{"x", "x"}}}}, ErrDuplicate, `duplicate department "x"`},
		{"dot in org", &Description{Policy: "p", Orgs: []Org{{Name: "A.B"}}}, ErrName, `invalid organisation name "A.B"`},
		{"colon in department", &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: []string{"x:y"}}}}, ErrName, `invalid department name "x:y"`},
		{"org SystemManagement", &Description{Policy: "p", Orgs: []Org{{Name: SystemManagement}}}, ErrReserved, "reserved"},
		{"org __INACCESSIBLE__", &Description{Policy: "p", Orgs: []Org{{Name: "__INACCESSIBLE__"}}}, ErrReserved, "reserved"},
		{"departments of __UNLABELED__", &Description{Policy: "p", Orgs: []Org{{Name: Unlabeled, Departments: []string{"x"}}}}, ErrReserved, "cannot have departments"},
		{"unknown org in conflict", &Description{Policy: "p", Orgs: []Org{{Name: "A"}}, Conflicts: []Conflict{{Members: []string{"A", "B"}}}}, ErrUnknown, "names organisation B"},
		{"unknown department in conflict", &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: []string{"x"}}, {Name: "B"}}, Conflicts: []Conflict{{Members: []string{"A.y", "B"}}}}, ErrUnknown, "department y of organisation A"},
		{"org and own department", &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: []string{"x"}}, {Name: "B"}}, Conflicts: []Conflict{{Members: []string{"A.x", "B", "A"}}}}, ErrConflictSet, "names both A.x and A"},
		{"member twice", &Description{Policy: "p", Orgs: []Org{{Name: "A"}, {Name: "B"}}, Conflicts: []Conflict{{Members: []string{"A", "B", "A"}}}}, ErrDuplicate, "names A twice"},
		{"bad conflict name", &Description{Policy: "p", Orgs: []Org{{Name: "A"}, {Name: "B"}}, Conflicts: []Conflict{{Name: `x"y`, Members: []string{"A", "B"}}}}, ErrName, "invalid conflict set name"},
		{"too many workloads", &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: manyNames(MaxWorkloads)}}}, ErrTooLarge, "at most 32000"},
		{"name too long", &Description{Policy: "p", Orgs: []Org{{Name: strings.Repeat("a", MaxNameLen+1)}}}, ErrName, "invalid organisation name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Generate(tc.d)
			if err == nil {
				t.Fatalf("Generate succeeded:\n%s", out)
			}
			if out != nil {
				t.Error("output returned with an error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %v is not %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q names a line for a description built in code", err)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Errorf("error %T is not a non-empty ErrorList", err)
			}
			if verr := tc.d.Validate(); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate = %v, Generate = %v", verr, err)
			}
		})
	}
}

func manyNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "d" + strconv.Itoa(i)
	}
	return names
}
