package mof

import (
	"errors"
	"strings"
	"testing"
)

func scanAll(t *testing.T, src string) ([]Token, []string, []string) {
	t.Helper()
	fset := NewFileSet()
	f := fset.AddFile("t.mof", src)
	var s Scanner
	var errs []string
	s.Init(f, src, func(pos Pos, msg string) { errs = append(errs, fset.Position(pos).String()+": "+msg) })
	var toks []Token
	var lits []string
	for {
		_, tok, lit := s.Scan()
		if tok == EOF {
			return toks, lits, errs
		}
		toks = append(toks, tok)
		lits = append(lits, lit)
	}
}

func TestScanLiterals(t *testing.T) {
	tests := []struct {
		src string
		tok Token
		lit string
	}{
		{"42", INT, "42"},
		{"-42", INT, "-42"},
		{"+7", INT, "+7"},
		{"0x1F", INT, "0x1F"},
		{"0X1f", INT, "0X1f"},
		{"017", INT, "017"},
		{"101b", INT, "101b"},
		{"0B", INT, "0B"},
		{"1.5", REAL, "1.5"},
		{"-.5e-3", REAL, "-.5e-3"},
		{"2.0E10", REAL, "2.0E10"},
		{`"a\tb"`, STRING, "a\tb"},
		{`"\x41\X00e9"`, STRING, "Aé"},
		{`"say \"hi\""`, STRING, `say "hi"`},
		{`'c'`, CHAR, "c"},
		{`'\n'`, CHAR, "\n"},
		{"$Alias1", ALIAS, "Alias1"},
		{"CIM_Foo", IDENT, "CIM_Foo"},
		{"Größe", IDENT, "Größe"},
		{"\uFEFFclass", IDENT, "class"},
	}
	for _, tc := range tests {
		toks, lits, errs := scanAll(t, tc.src)
		if len(errs) > 0 || len(toks) != 1 || toks[0] != tc.tok || lits[0] != tc.lit {
			t.Errorf("Scan(%q) = %v %q %v, want %v %q", tc.src, toks, lits, errs, tc.tok, tc.lit)
		}
	}
}

func TestScanErrors(t *testing.T) {
	tests := []struct{ src, err string }{
		{"08", "t.mof:1:1: invalid octal literal 08"},
		{"2b", "t.mof:1:1: invalid binary literal 2b"},
		{"0x", "t.mof:1:1: hexadecimal literal has no digits"},
		{"12abc", "t.mof:1:1: invalid number 12abc"},
		{"1.5e", "t.mof:1:1: exponent has no digits"},
		{`x "abc`, "t.mof:1:3: string literal not terminated"},
		{`"a\qb"`, `t.mof:1:1: unknown escape sequence \q`},
		{`"\x"`, `t.mof:1:1: escape sequence \x needs 1 to 4 hexadecimal digits`},
		{"''", "t.mof:1:1: char16 literal must hold exactly one character"},
		{"/* open", "t.mof:1:1: comment not terminated"},
		{"\n  @", "t.mof:2:3: illegal character '@'"},
		{"$", "t.mof:1:1: '$' must be followed by an alias name"},
		{"\x01", "t.mof:1:1: illegal character U+0001"},
	}
	for _, tc := range tests {
		_, _, errs := scanAll(t, tc.src)
		if len(errs) == 0 || errs[0] != tc.err {
			t.Errorf("Scan(%q) errors = %q, want %q", tc.src, errs, tc.err)
		}
	}
}

func TestParseDeclarations(t *testing.T) {
	src := `#pragma include ("a.mof")
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Sizes : uint8[4], Scope(any);
[Association, Description("x" "y")]
class Test_A as $c : Test_Base {
    [Key] Test_B REF Left;
    string Names[] = {"a", null};
    uint32 Go([In, Out] string Arg[], Test_B ref Target);
};
instance of Test_A as $i { Names = {}; Left = $j; };
`
	fset := NewFileSet()
	f, err := ParseFile(fset, "t.mof", src)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	if len(f.Decls) != 5 {
		t.Fatalf("got %d declarations, want 5", len(f.Decls))
	}
	pr := f.Decls[0].(*Pragma)
	if pr.Name != "include" || pr.Value != "a.mof" {
		t.Errorf("pragma = %+v", pr)
	}
	q := f.Decls[2].(*QualifierDecl)
	if !q.IsArray || q.ArraySize != 4 || q.Type != "uint8" || len(q.Scopes) != 1 {
		t.Errorf("qualifier decl = %+v", q)
	}
	c := f.Decls[3].(*ClassDecl)
	if c.Name != "Test_A" || c.Alias != "c" || c.SuperClass != "Test_Base" || len(c.Properties) != 2 || len(c.Methods) != 1 {
		t.Fatalf("class = %+v", c)
	}
	if c.Qualifiers[1].Value.Str != "xy" {
		t.Errorf("concatenated description = %q, want xy", c.Qualifiers[1].Value.Str)
	}
	if p := c.Properties[0]; p.RefClass != "Test_B" || p.Type != "" || p.Name != "Left" {
		t.Errorf("reference = %+v", p)
	}
	if p := c.Properties[1]; !p.IsArray || p.Default == nil || len(p.Default.Elems) != 2 || p.Default.Elems[1].Kind != NullValue {
		t.Errorf("array property = %+v", p)
	}
	m := c.Methods[0]
	if len(m.Params) != 2 || !m.Params[0].IsArray || m.Params[1].RefClass != "Test_B" {
		t.Errorf("method = %+v", m)
	}
	in := f.Decls[4].(*InstanceDecl)
	if in.Alias != "i" || len(in.Properties) != 2 || in.Properties[1].Value.Kind != AliasValue {
		t.Errorf("instance = %+v", in)
	}
	if pos := fset.Position(c.NamePos); pos.String() != "t.mof:5:7" {
		t.Errorf("class name position = %s, want t.mof:5:7", pos)
	}
}

func TestParseRecovers(t *testing.T) {
	// One error per broken declaration; the good ones around them still parse.
	src := `class A { string x };
class B { string y; };
class C { uint32 = 5; };
class D { string z; };
`
	f, err := ParseFile(NewFileSet(), "t.mof", src)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("errors = %v, want 2", err)
	}
	if got := list[0].Error(); got != "t.mof:1:20: expected ';', found '}'" {
		t.Errorf("first error = %q", got)
	}
	if got := list[1].Error(); got != "t.mof:3:18: expected property or method name, found '='" {
		t.Errorf("second error = %q", got)
	}
	var names []string
	for _, d := range f.Decls {
		names = append(names, d.(*ClassDecl).Name)
	}
	if strings.Join(names, ",") != "B,D" {
		t.Errorf("parsed classes = %v, want B,D", names)
	}
}

// FuzzParse feeds arbitrary text to the parser: it must never panic, and every error
// must carry a position inside the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"class A { [Key] string Name; };",
		`[Association] class L { [Key] A REF x; uint32 M([In] string s[]); };`,
		`instance of A as $a { Name = "x" "y"; List = {1, -2, 0x3, 01, 1b, .5}; };`,
		`Qualifier Q : string[] = {"a"}, Scope(any), Flavor(Restricted);`,
		`#pragma include("x.mof")`,
		"/* unterminated",
		`"\x12345 \q`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, err := ParseFile(NewFileSet(), "f.mof", src)
		var list ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				if e.Pos.Line < 1 || e.Pos.Column < 1 {
					t.Fatalf("error without a position: %v", e)
				}
			}
		}
	})
}
