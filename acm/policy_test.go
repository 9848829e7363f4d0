package acm

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

func acmeXML(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/acme-security_policy.xml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit applies old→new replacements to s, failing when old is absent.
func edit(t testing.TB, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q not in the document", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestParseErrors(t *testing.T) {
	base := acmeXML(t)
	tests := []struct {
		name  string
		edits []string
		raw   string // used instead of edits when set
		code  XSErr
		line  int    // 0: not checked
		msg   string // substring of the message
	}{
		{name: "not xml", raw: "this is not xml", code: XSErrXMLProcessing},
		{name: "empty", raw: "", code: XSErrXMLProcessing},
		{name: "unclosed", edits: []string{"</PolicyHeader>", ""}, code: XSErrXMLProcessing},
		{name: "two roots", raw: "<a/><b/>", code: XSErrXMLProcessing},
		{name: "wrong root", raw: `<Policy xmlns="http://www.ibm.com"/>`, code: XSErrBadXML, line: 1, msg: "root element"},
		{name: "wrong namespace", edits: []string{`xmlns="http://www.ibm.com"`, `xmlns="urn:other"`}, code: XSErrBadXML},
		{name: "missing header", edits: []string{"<PolicyName>acme</PolicyName>", ""}, code: XSErrBadXML, msg: "PolicyName"},
		{name: "header order", edits: []string{"<Date>Mon Nov 23 13:45:00 2026</Date>\n    <Version>1.0</Version>", "<Version>1.0</Version>\n    <Date>x</Date>"}, code: XSErrBadXML, line: 7, msg: "Date"},
		{name: "unknown element", edits: []string{"<Version>1.0</Version>", "<Version>1.0</Version><Extra/>"}, code: XSErrBadXML, line: 7, msg: "Extra"},
		{name: "bad version", edits: []string{"<Version>1.0</Version>", "<Version>1.0.1</Version>"}, code: XSErrBadXML, line: 7, msg: "version"},
		{name: "version with other separator", edits: []string{"<Version>1.0</Version>", "<Version>1x0</Version>"}, code: XSErrBadXML, line: 7},
		{name: "text in complex element", edits: []string{"<PolicyHeader>", "<PolicyHeader>text"}, code: XSErrBadXML, msg: "text"},
		{name: "unknown attribute", edits: []string{`<Conflict name="competitors">`, `<Conflict name="competitors" color="red">`}, code: XSErrBadXML, line: 25, msg: "color"},
		{name: "bad priority", edits: []string{"<ChineseWall>", `<ChineseWall priority="Secondary">`}, code: XSErrBadXML, msg: "priority"},
		{name: "conflict without name", edits: []string{`<Conflict name="competitors">`, `<Conflict>`}, code: XSErrBadXML, line: 25, msg: "name"},
		{name: "no bootstrap", edits: []string{`<SubjectLabels bootstrap="SystemManagement">`, `<SubjectLabels>`}, code: XSErrBadXML, msg: "bootstrap"},
		{name: "resource with two types", edits: []string{"<Type>Bank</Type>\n        </SimpleTypeEnforcementTypes>\n      </ResourceLabel>", "<Type>Bank</Type><Type>Oil</Type>\n        </SimpleTypeEnforcementTypes>\n      </ResourceLabel>"}, code: XSErrBadXML},
		{name: "element in type", edits: []string{"<Type>Oil</Type>", "<Type><b/>Oil</Type>"}, code: XSErrBadXML},
		{name: "colon in policy name", edits: []string{"<PolicyName>acme</PolicyName>", "<PolicyName>ac:me</PolicyName>"}, code: XSErrBadPolicyName, line: 5},
		{name: "slash in policy name", edits: []string{"<PolicyName>acme</PolicyName>", "<PolicyName>../acme</PolicyName>"}, code: XSErrBadPolicyName},
		{name: "empty policy name", edits: []string{"<PolicyName>acme</PolicyName>", "<PolicyName></PolicyName>"}, code: XSErrBadPolicyName},
		{name: "colon in resource label", edits: []string{"<Name>oil-disk</Name>", "<Name>oil:disk</Name>"}, code: XSErrBadLabel, msg: "oil:disk"},
		{name: "colon in vm label", edits: []string{"<Name>oil</Name>", "<Name>o:il</Name>"}, code: XSErrBadLabel, line: 57, msg: "o:il"},
		{name: "bootstrap unknown", edits: []string{`bootstrap="SystemManagement"`, `bootstrap="Dom0"`}, code: XSErrPolicyInconsistent, line: 32, msg: "Dom0"},
		{name: "duplicate vm label", edits: []string{"<Name>oil</Name>", "<Name>bank</Name>"}, code: XSErrPolicyHasDuplicates, line: 57, msg: "bank"},
		{name: "duplicate resource label", edits: []string{"<Name>oil-disk</Name>", "<Name>bank-disk</Name>"}, code: XSErrPolicyHasDuplicates, msg: "bank-disk"},
		{name: "duplicate ste type", edits: []string{"<Type>Shared</Type>\n      <Type>__UNLABELED__</Type>", "<Type>Shared</Type>\n      <Type>Shared</Type><Type>__UNLABELED__</Type>"}, code: XSErrPolicyHasDuplicates, msg: "STE"},
		{name: "duplicate chwall type", edits: []string{"<Type>Oil</Type>\n    </ChineseWallTypes>", "<Type>Oil</Type><Type>Oil</Type>\n    </ChineseWallTypes>"}, code: XSErrPolicyHasDuplicates, msg: "Chinese Wall"},
		{name: "empty conflict name", edits: []string{`<Conflict name="competitors">`, `<Conflict name="">`}, code: XSErrBadConflictSet, line: 25},
		{name: "undeclared vm ste type", edits: []string{"<Type>Shared</Type>\n        </SimpleTypeEnforcementTypes>\n      </VirtualMachineLabel>\n      <VirtualMachineLabel>\n        <Name>__UNLABELED__", "<Type>Gold</Type>\n        </SimpleTypeEnforcementTypes>\n      </VirtualMachineLabel>\n      <VirtualMachineLabel>\n        <Name>__UNLABELED__"}, code: XSErrBadLabel, msg: "Gold"},
		{name: "undeclared vm chwall type", edits: []string{"<Type>Oil</Type>\n        </ChineseWallTypes>", "<Type>Gas</Type>\n        </ChineseWallTypes>"}, code: XSErrBadLabel, line: 57, msg: "Gas"},
		{name: "undeclared resource type", edits: []string{"<Type>Oil</Type>\n        </SimpleTypeEnforcementTypes>\n      </ResourceLabel>", "<Type>Gas</Type>\n        </SimpleTypeEnforcementTypes>\n      </ResourceLabel>"}, code: XSErrBadLabel, msg: "Gas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.raw
			if tt.raw == "" && tt.edits != nil {
				doc = edit(t, base, tt.edits...)
			}
			_, err := Parse([]byte(doc))
			if err == nil {
				t.Fatalf("Parse() = nil error, want %v", tt.code)
			}
			if !errors.Is(err, tt.code) {
				t.Fatalf("Parse() = %v, want code %v", err, tt.code)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse() error %T is not *Error", err)
			}
			if tt.line != 0 && e.Line != tt.line {
				t.Errorf("Parse() line = %d, want %d (%v)", e.Line, tt.line, err)
			}
			if !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("Parse() message %q lacks %q", e.Msg, tt.msg)
			}
			if CodeOf(err) != tt.code {
				t.Errorf("CodeOf() = %v, want %v", CodeOf(err), tt.code)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	base := acmeXML(t)
	tests := []struct {
		name  string
		doc   string
		check func(t *testing.T, p *Policy)
	}{
		{"acme", base, func(t *testing.T, p *Policy) {
			if p.Name != "acme" || p.Version != "1.0" || p.Date != "Mon Nov 23 13:45:00 2026" || p.Bootstrap != "SystemManagement" {
				t.Errorf("header = %q %q %q %q", p.Name, p.Version, p.Date, p.Bootstrap)
			}
			if len(p.VMLabels) != 5 || len(p.ResourceLabels) != 4 || len(p.ConflictSets) != 1 || len(p.Warnings) != 0 {
				t.Errorf("counts = %d %d %d %v", len(p.VMLabels), len(p.ResourceLabels), len(p.ConflictSets), p.Warnings)
			}
			if string(p.XML()) != base {
				t.Error("XML() is not the document as received")
			}
		}},
		{"unescaped version dot", edit(t, base, "<Version>1.0</Version>", "<Version>2.7</Version>"), func(t *testing.T, p *Policy) {
			if ma, mi := p.VersionTuple(); ma != 2 || mi != 7 {
				t.Errorf("VersionTuple() = %d, %d", ma, mi)
			}
		}},
		{"legacy without version", edit(t, base, "<Version>1.0</Version>", "", `<Conflict name="competitors">`, "<Conflict>",
			"<Type>Bank</Type>\n        </SimpleTypeEnforcementTypes>\n      </ResourceLabel>", "<Type>Bank</Type><Type>Shared</Type>\n        </SimpleTypeEnforcementTypes>\n      </ResourceLabel>"),
			func(t *testing.T, p *Policy) {
				if p.Version != "" || len(p.Warnings) != 1 || p.ConflictSets[0].Name != "" {
					t.Errorf("legacy = %q %v %q", p.Version, p.Warnings, p.ConflictSets[0].Name)
				}
				if l, _ := p.ResourceLabel("bank-disk"); len(l.STE) != 2 {
					t.Errorf("legacy resource types = %v", l.STE)
				}
			}},
		{"from attribute and FromPolicy", edit(t, base, "<Version>1.0</Version>", "<Version>1.1</Version><FromPolicy><PolicyName>acme</PolicyName><Version>1.0</Version></FromPolicy>",
			"<Name>oil</Name>", `<Name from="petrol">oil</Name>`), func(t *testing.T, p *Policy) {
			if p.From == nil || p.From.Name != "acme" || p.From.Version != "1.0" {
				t.Errorf("From = %+v", p.From)
			}
			if l, _ := p.VMLabel("oil"); l.From != "petrol" {
				t.Errorf("from = %q", l.From)
			}
		}},
		{"duplicate conflict names", edit(t, base, "</Conflict>", `</Conflict><Conflict name="competitors"><Type>Bank</Type><Type>SystemManagement</Type></Conflict>`), func(t *testing.T, p *Policy) {
			if len(p.ConflictSets) != 2 {
				t.Errorf("conflict sets = %v", p.ConflictSets)
			}
		}},
		{"undeclared conflict type is ignored", edit(t, base, "<Type>Oil</Type>\n      </Conflict>", "<Type>Oil</Type><Type>Gas</Type>\n      </Conflict>"), nil},
		{"prefixed elements", strings.Replace(regexp.MustCompile(`<(/?)([A-Za-z])`).ReplaceAllString(base, "<${1}i:$2"),
			`xmlns="http://www.ibm.com"`, `xmlns:i="http://www.ibm.com"`, 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if _, err := Compile(p); err != nil {
				t.Fatalf("Compile() = %v", err)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if !p.IsDefault() {
		t.Fatal("DefaultPolicy().IsDefault() = false")
	}
	if p.Name != "DEFAULT" || p.Version != "1.0" {
		t.Errorf("DEFAULT header = %q %q", p.Name, p.Version)
	}
	reset, err := Parse(DefaultXML("web"))
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := reset.VMLabel("SystemManagement"); l.From != "web" {
		t.Errorf("DefaultXML(web) from = %q", l.From)
	}
	if !reset.IsDefault() {
		t.Error("the reset DEFAULT is not IsDefault")
	}
	acme, _ := Parse([]byte(acmeXML(t)))
	if acme.IsDefault() {
		t.Error("acme.IsDefault() = true")
	}
	c := compileDefault(t)
	tests := []struct {
		label string
		want  uint32
	}{{"SystemManagement", 0x00010001}, {"__UNLABELED__", 0}}
	for _, tt := range tests {
		if got, ok := c.VMSSIDRef(tt.label); !ok || got != tt.want {
			t.Errorf("VMSSIDRef(%s) = %#x, %v, want %#x", tt.label, got, ok, tt.want)
		}
	}
	// acm.md §9: unlabeled VMs and resources run and share only with Domain-0.
	if !c.Sharing(0, 0x00010001) || !c.Authorized(0x00010001, 0) || !c.Access(0, 0) {
		t.Error("DEFAULT: unlabeled must share with Domain-0, be authorized and reach unlabeled resources")
	}
}

func TestLoadTooLarge(t *testing.T) {
	_, err := Load(strings.NewReader(strings.Repeat(" ", maxPolicyBytes+1)))
	if !errors.Is(err, XSErrXMLProcessing) {
		t.Fatalf("Load(huge) = %v", err)
	}
}

func TestXSErr(t *testing.T) {
	tests := []struct {
		code      XSErr
		name, msg string
	}{
		{XSErrSuccess, "SUCCESS", "Success"},
		{XSErrBadLabel, "BAD_LABEL", "The label is bad"},
		{XSErrVMWrongState, "VM_WRONG_STATE", "Operation not premittend - the VM is in the wrong state"},
		{XSErrPolicyHasDuplicates, "POLICY_HAS_DUPLICATES", "Duplicate labels or types in policy"},
		{-XSErrBadLabel, "XSERR(-4116)", "The label is bad"},
		{XSErr(0x1000 + 29), "XSERR(4125)", "Unknown XSERR code '0x101d'."},
	}
	for _, tt := range tests {
		if tt.code.String() != tt.name || tt.code.Message() != tt.msg {
			t.Errorf("%d: String, Message = %q, %q, want %q, %q", int(tt.code), tt.code.String(), tt.code.Message(), tt.name, tt.msg)
		}
	}
	if int(XSErrBadLabel) != 4116 || int(XSErrBadConflictSet) != 4112 || int(XSErrVMInConflict) != 4123 {
		t.Error("codes do not follow xsconstants.py")
	}
	if CodeOf(nil) != XSErrSuccess || CodeOf(errors.New("x")) != XSErrGeneralFailure {
		t.Error("CodeOf of nil or a foreign error")
	}
}

func TestCompileHandBuilt(t *testing.T) {
	ok := &Policy{Name: "x", Version: "2.3", Bootstrap: "A", STETypes: []string{"t"}, CHWallTypes: []string{"t"},
		VMLabels: []Label{{Name: "A", STE: []string{"t"}, CHWall: []string{"t"}}}}
	c, err := Compile(ok)
	if err != nil {
		t.Fatalf("Compile(hand-built) = %v", err)
	}
	if r, _ := c.VMSSIDRef("A"); r != 0x00010001 || !c.Authorized(r, r) {
		t.Errorf("hand-built policy: ssidref %#x", r)
	}
	if ma, mi := ok.VersionTuple(); ma != 2 || mi != 3 {
		t.Errorf("VersionTuple() = %d.%d", ma, mi)
	}
	tests := []struct {
		p    *Policy
		code XSErr
	}{
		{&Policy{Name: "a:b", Version: "1.0", Bootstrap: "A", VMLabels: []Label{{Name: "A"}}}, XSErrBadPolicyName},
		{&Policy{Name: "a", Version: "1.0", Bootstrap: "B", VMLabels: []Label{{Name: "A"}}}, XSErrPolicyInconsistent},
		{&Policy{Name: "a", Version: "1-0", Bootstrap: "A", VMLabels: []Label{{Name: "A"}}}, XSErrBadXML},
		{&Policy{Name: "a", Version: "1.0", Bootstrap: "A", STETypes: []string{"t"}, VMLabels: []Label{{Name: "A", STE: []string{"u"}}}}, XSErrBadLabel},
	}
	for _, tt := range tests {
		if _, err := Compile(tt.p); !errors.Is(err, tt.code) {
			t.Errorf("Compile(%+v) = %v, want %v", tt.p, err, tt.code)
		}
	}
}
