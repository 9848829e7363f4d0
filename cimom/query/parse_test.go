package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestParse(t *testing.T) {
	tests := []struct {
		lang, text string
		class      string
		sel        []string
	}{
		{"WQL", "SELECT * FROM CIM_ComputerSystem", "CIM_ComputerSystem", nil},
		{"wql", "select Name, Dedicated from Xen_Domain", "Xen_Domain", []string{"Name", "Dedicated"}},
		{"WQL", "SELECT * FROM Xen_Domain WHERE Name = 'dom0' AND State <> 3", "Xen_Domain", nil},
		{"WQL", `SELECT * FROM Xen_Domain WHERE Name != "dom\"0"`, "Xen_Domain", nil},
		{"WQL", "SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA 'CIM_Foo'", "CIM_InstCreation", nil},
		{"WQL", "SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_Foo", "CIM_InstCreation", nil},
		{"WQL", "SELECT * FROM X WHERE __THIS ISA Y OR __CLASS = 'X'", "X", nil},
		{"WQL", "SELECT * FROM X WHERE NOT (A IS NULL) AND B IS NOT NULL", "X", nil},
		{"WQL", "SELECT * FROM X WHERE A LIKE 'a%_[a-c]' OR A NOT LIKE '%'", "X", nil},
		{"WQL", "SELECT * FROM X WHERE A = -5 OR A = +5 OR A = 0x1F OR A = 1.5e3 OR A = .5 OR A = TRUE OR A = NULL", "X", nil},
		{"WQL", "SELECT * FROM X WHERE 5 < A", "X", nil},
		{"WQL", "SELECT * FROM X WHERE A = B", "X", nil},
		{"WQL", "SELECT * FROM X WHERE ANY A = 5 AND EVERY A > 1 AND A[2] = 3 AND A = {1, 2}", "X", nil},
		{"WQL", "SELECT * FROM X\nWHERE\tA = 'it''s'", "X", nil},
		{"DMTF:CQL", "SELECT * FROM CIM_Foo WHERE Name = 'x'", "CIM_Foo", nil},
		{"cql", "SELECT F.Name, F.Id FROM CIM_Foo AS F WHERE F.Id > 3", "CIM_Foo", []string{"Name", "Id"}},
		{"CIM:CQL", "SELECT F.* FROM CIM_Foo F WHERE F ISA CIM_Bar", "CIM_Foo", nil},
		{"DMTF:CQL", "SELECT CIM_Foo.Name FROM CIM_Foo WHERE CIM_Foo.Name LIKE 'a.*'", "CIM_Foo", []string{"Name"}},
		{"DMTF:CQL", "SELECT * FROM CIM_Foo WHERE Mask = 101B", "CIM_Foo", nil},
		{"DMTF:CQL", `SELECT * FROM CIM_Foo WHERE Name = '\u00e9\t\\'`, "CIM_Foo", nil},
	}
	for _, tt := range tests {
		q, err := Parse(tt.lang, tt.text)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.lang, tt.text, err)
			continue
		}
		if q.ClassName() != tt.class {
			t.Errorf("%q: class %q, want %q", tt.text, q.ClassName(), tt.class)
		}
		if got := q.SelectList(); !reflect.DeepEqual(got, tt.sel) {
			t.Errorf("%q: select list %q, want %q", tt.text, got, tt.sel)
		}
		if q.String() != tt.text {
			t.Errorf("String() = %q, want the text", q.String())
		}
	}
}

func TestParseLanguage(t *testing.T) {
	tests := []struct {
		lang string
		code cim.Status
	}{
		{"WQL", cim.StatusOK}, {"wql", cim.StatusOK}, {"DMTF:CQL", cim.StatusOK}, {"dmtf:cql", cim.StatusOK},
		{"CQL", cim.StatusOK}, {"CIM:CQL", cim.StatusOK},
		{"DMTF:FQL", cim.StatusQueryLanguageNotSupported}, {"SQL", cim.StatusQueryLanguageNotSupported},
		{"", cim.StatusQueryLanguageNotSupported},
	}
	for _, tt := range tests {
		_, err := Parse(tt.lang, "SELECT * FROM X")
		if got := cim.StatusOf(err); got != tt.code {
			t.Errorf("Parse(%q): status %v, want %v (%v)", tt.lang, got, tt.code, err)
		}
		if err != nil && !errors.Is(err, &cim.Error{Code: tt.code}) {
			t.Errorf("Parse(%q): %v does not match errors.Is", tt.lang, err)
		}
	}
	for _, lang := range []string{"DMTF:FQL", "dmtf:fql"} {
		if _, err := ParseFilter(lang, "A = 1"); err != nil {
			t.Errorf("ParseFilter(%q): %v", lang, err)
		}
	}
	for _, lang := range []string{"WQL", "FQL", "DMTF:CQL", ""} {
		_, err := ParseFilter(lang, "A = 1")
		wantCode(t, err, cim.StatusQueryLanguageNotSupported)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		lang, text string
		line, col  int
		msg        string // a part of the message
	}{
		{"WQL", "", 1, 1, "want SELECT"},
		{"WQL", "SELEC * FROM X", 1, 1, "want SELECT"},
		{"WQL", "SELECT FROM X", 1, 8, "want a property name or *"},
		{"WQL", "SELECT * X", 1, 10, "want FROM"},
		{"WQL", "SELECT * FROM", 1, 14, "want a class name"},
		{"WQL", "SELECT * FROM WHERE", 1, 15, "want a class name"},
		{"WQL", "SELECT * FROM X Y", 1, 17, "want WHERE or the end"},
		{"WQL", "SELECT * FROM X WHERE", 1, 22, "want a property name or a literal"},
		{"WQL", "SELECT * FROM X WHERE A", 1, 24, "want a comparison operator, IS, ISA or LIKE"},
		{"WQL", "SELECT * FROM X WHERE A = ", 1, 27, "want a property name or a literal"},
		{"WQL", "SELECT * FROM X WHERE A = 1 B = 2", 1, 29, "want AND, OR"},
		{"WQL", "SELECT * FROM X WHERE (A = 1", 1, 29, `want ")"`},
		{"WQL", "SELECT * FROM X WHERE A = 'abc", 1, 27, "unterminated string"},
		{"WQL", `SELECT * FROM X WHERE A = 'a\uZ'`, 1, 29, `escape \u without hex digits`},
		{"WQL", `SELECT * FROM X WHERE A = 'a\uD800'`, 1, 29, `is not a character`},
		{"WQL", "SELECT * FROM X WHERE A = 12ab", 1, 27, "malformed number"},
		{"WQL", "SELECT * FROM X WHERE A = 101B", 1, 27, "malformed number"},
		{"WQL", "SELECT * FROM X WHERE A = 99999999999999999999", 1, 27, "out of range"},
		{"WQL", "SELECT * FROM X WHERE A = -9223372036854775809", 1, 27, "out of range"},
		{"WQL", "SELECT * FROM X WHERE A = 0x", 1, 27, "without digits"},
		{"WQL", "SELECT * FROM X WHERE A # 1", 1, 25, "unexpected character '#'"},
		{"WQL", "SELECT * FROM X WHERE A ! 1", 1, 25, "unexpected character '!'"},
		{"WQL", "SELECT * FROM X WHERE 1 = 2", 1, 23, "needs a property"},
		{"WQL", "SELECT * FROM X WHERE 1 IS NULL", 1, 25, "want a comparison operator after a literal"},
		{"WQL", "SELECT * FROM X WHERE A IS 5", 1, 28, "want NULL"},
		{"WQL", "SELECT * FROM X WHERE A ISA 5", 1, 29, "want a class name after ISA"},
		{"WQL", "SELECT * FROM X WHERE A ISA 'no class'", 1, 29, "is not a class name"},
		{"WQL", "SELECT * FROM X WHERE A LIKE 5", 1, 30, "want a string pattern"},
		{"WQL", "SELECT * FROM X WHERE A LIKE 'a[bc'", 1, 30, "missing ]"},
		{"WQL", "SELECT * FROM X WHERE A NOT 5", 1, 29, "want LIKE"},
		{"WQL", "SELECT * FROM X WHERE ANY 5 = A", 1, 27, "apply to an array property"},
		{"WQL", "SELECT * FROM X WHERE ANY A = {1}", 1, 31, "not an array"},
		{"WQL", "SELECT * FROM X WHERE A < {1}", 1, 25, "only with = and <>"},
		{"WQL", "SELECT * FROM X WHERE A = {B}", 1, 28, "holds literals only"},
		{"WQL", "SELECT * FROM X WHERE A = {}", 1, 28, "want a property name or a literal"},
		{"WQL", "SELECT * FROM X WHERE A[x] = 1", 1, 25, "want an array index"},
		{"WQL", "SELECT * FROM X WHERE ANY A IS NULL", 1, 23, "do not apply to IS NULL"},
		{"WQL", "SELECT * FROM X WHERE A = - B", 1, 29, "want a number after the sign"},
		{"WQL", "SELECT * FROM X WHERE A = -B", 1, 28, "want a number after the sign"},
		{"WQL", "SELECT * FROM X WHERE A = TRUE AND", 1, 35, "want a property name or a literal"},
		{"WQL", "SELECT *, A FROM X", 1, 9, "want FROM"},
		{"WQL", "SELECT A, * FROM X", 1, 11, "want a property name"},
		{"WQL", "SELECT X.* FROM Y", 1, 8, "is not the FROM class"},
		{"WQL", "SELECT * FROM X WHERE SELECT = 1", 1, 23, `want a property name, have "SELECT"`},
		{"WQL", "SELECT * FROM X WHERE X[1] = 1", 1, 23, "is not an array"},
		{"WQL", "SELECT * FROM X\nWHERE A = 'x", 2, 11, "unterminated string"},
		{"WQL", "SELECT * FROM X WHERE A = '\xff'", 1, 28, "invalid UTF-8 in a string"},
		{"WQL", "SELECT * FROM X WHERE \xff", 1, 23, "invalid UTF-8"},
		{"WQL", "SELECT * FROM X WHERE é = 'é' AND B = ", 1, 39, "want a property name or a literal"},
		{"DMTF:CQL", "SELECT * FROM X WHERE A != 1", 1, 25, `write "<>"`},
		{"DMTF:CQL", `SELECT * FROM X WHERE A = "x"`, 1, 27, "single quotes"},
		{"DMTF:CQL", "SELECT * FROM X AS", 1, 19, "want an alias"},
		{"DMTF:CQL", "SELECT * FROM X F G", 1, 19, "want WHERE or the end"},
		{"DMTF:CQL", "SELECT * FROM X WHERE A LIKE '*a'", 1, 30, "must follow a character"},
		{"DMTF:CQL", "SELECT F FROM X F", 1, 8, "is not a property"},
		{"DMTF:CQL", "SELECT * FROM X WHERE E.C:: = 1", 1, 29, `want a property name after "::"`},
		{"DMTF:CQL", "SELECT * FROM X WHERE E.C: = 1", 1, 26, "unexpected character ':'"},
		{"WQL", "SELECT * FROM X WHERE E.C::N = 1", 1, 26, "unexpected character ':'"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.lang, tt.text)
		if err == nil {
			t.Errorf("Parse(%q, %q): no error", tt.lang, tt.text)
			continue
		}
		ce := wantCode(t, err, cim.StatusInvalidQuery)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v has no *SyntaxError", tt.text, err)
			continue
		}
		if se.Line != tt.line || se.Column != tt.col {
			t.Errorf("%q: error at %d:%d (%v), want %d:%d", tt.text, se.Line, se.Column, err, tt.line, tt.col)
		}
		if !strings.Contains(ce.Description, tt.msg) {
			t.Errorf("%q: description %q, want it to contain %q", tt.text, ce.Description, tt.msg)
		}
		if !strings.Contains(ce.Description, "column") {
			t.Errorf("%q: description %q does not say the column", tt.text, ce.Description)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		text string
		col  int
		msg  string
	}{
		{"", 1, "want a property name or a literal"},
		{"A = ", 5, "want a property name or a literal"},
		{"A != 1", 3, `write "<>"`},
		{`A = "x"`, 5, "single quotes"},
		{"A ISA B", 3, "want a comparison operator, IS or LIKE"},
		{"SELECT * FROM X", 8, "want a comparison operator, IS or LIKE"},
		{"A = 1 AND OR = 2", 11, "want a property name"},
		{"A = 1 B = 2", 7, "want AND, OR or the end of the filter"},
		{"(A = 1", 7, `want ")"`},
		{"A LIKE 'a**'", 8, "bad LIKE pattern"},
		{"A LIKE 'a{x}'", 8, "malformed {m,n}"},
		{"A LIKE '[]'", 8, "empty [ ] set"},
		{"A LIKE '" + strings.Repeat(".{1000}", 30) + "'", 8, "pattern too complex"},
		{"A = 0xZ", 5, "without digits"},
		{"A = 102B", 5, "malformed number"},
		{"ANY A = {1}", 9, "not an array"},
		{strings.Repeat("(", 200) + "A = 1" + strings.Repeat(")", 200), 101, "nested deeper"},
		{strings.Repeat("NOT ", 200) + "A = 1", 401, "nested deeper"},
	}
	for _, tt := range tests {
		_, err := ParseFilter("DMTF:FQL", tt.text)
		if err == nil {
			t.Errorf("ParseFilter(%q): no error", tt.text)
			continue
		}
		ce := wantCode(t, err, cim.StatusInvalidQuery)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Column != tt.col {
			t.Errorf("%.40q: %v: want column %d", tt.text, err, tt.col)
		}
		if !strings.Contains(ce.Description, tt.msg) {
			t.Errorf("%.40q: description %q, want it to contain %q", tt.text, ce.Description, tt.msg)
		}
	}
}

func TestFilterProperties(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"A = 1", []string{"A"}},
		{"A = 1 AND a <> 2 OR (B < C)", []string{"A", "B", "C"}},
		{"ANY Arr = 3 OR Emb.Name = 'x' OR Arr[1] IS NULL", []string{"Arr", "Emb"}},
		{"NOT Str LIKE 'a.*'", []string{"Str"}},
	}
	for _, tt := range tests {
		f, err := ParseFilter("DMTF:FQL", tt.text)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tt.text, err)
		}
		if got := f.Properties(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: Properties() = %q, want %q", tt.text, got, tt.want)
		}
		if f.String() != tt.text {
			t.Errorf("String() = %q", f.String())
		}
	}
}
