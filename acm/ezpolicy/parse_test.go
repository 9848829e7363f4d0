package ezpolicy

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseTestWLD(t *testing.T) {
	d := parseFile(t, "testdata/test-wld.ez")
	want := testWLD()
	// The parser records where each part came from.
	want.lines = headerLines{policy: 2}
	lines := []int{4, 5, 6, 7}
	for i := range want.Orgs {
		want.Orgs[i].Line = lines[i]
	}
	want.Conflicts[0].Line, want.Conflicts[1].Line = 10, 12
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Parse(test-wld.ez) =\n%+v\nwant\n%+v", d, want)
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *Description
	}{
		{
			name: "the §8 form",
			src:  "policy p\norg A: x y\norg B\nconflict RER: A B\n",
			want: &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: []string{"x", "y"}, Line: 2}, {Name: "B", Line: 3}},
				Conflicts: []Conflict{{Name: "RER", Members: []string{"A", "B"}, Line: 4}}, lines: headerLines{policy: 1}},
		},
		{
			name: "commas, no set name, tabs, CRLF, BOM, comments without space",
			src:  "\ufeffpolicy\tp#c\r\norg A:x,y\r\norg B :\tz\r\n\r\n#only a comment\r\nconflict A,B.z\r\n",
			want: &Description{Policy: "p", Orgs: []Org{{Name: "A", Departments: []string{"x", "y"}, Line: 2}, {Name: "B", Departments: []string{"z"}, Line: 3}},
				Conflicts: []Conflict{{Members: []string{"A", "B.z"}, Line: 6}}, lines: headerLines{policy: 1}},
		},
		{
			name: "header statements, free text keeps inner spaces",
			src:  "version 3.14\ndate  Fri Sep 29  14:44:38 2006 \nurl http://x/y\nfrom old 3.13\npolicy new\norg A\n",
			want: &Description{Policy: "new", Version: "3.14", Date: "Fri Sep 29  14:44:38 2006", URL: "http://x/y",
				From: &From{Policy: "old", Version: "3.13", Line: 4}, Orgs: []Org{{Name: "A", Line: 6}},
				lines: headerLines{policy: 5, version: 1, date: 2, url: 3}},
		},
		{
			name: "no trailing newline",
			src:  "policy p\norg A",
			want: &Description{Policy: "p", Orgs: []Org{{Name: "A", Line: 2}}, lines: headerLines{policy: 1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(strings.NewReader(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", d, tc.want)
			}
		})
	}
}

// wantErr is one expected problem: its line, kind and a part of its message.
type wantErr struct {
	line int
	kind error
	msg  string
}

func TestParseErrors(t *testing.T) {
	const head = "policy p\n" // line 1 of most cases
	tests := []struct {
		name string
		src  string
		want []wantErr
	}{
		{"empty", "", []wantErr{{0, ErrEmpty, "empty description"}}},
		{"only comments and blanks", "# nothing\n\n   \n", []wantErr{{0, ErrEmpty, "empty description"}}},
		{"no organisation", head, []wantErr{{0, ErrEmpty, "no organisation"}}},
		{"no policy statement", "org A\n", []wantErr{{0, ErrMissing, "no policy name"}}},
		{"duplicate org", head + "org Avis\norg Hertz\norg Avis: Payroll\n",
			[]wantErr{{4, ErrDuplicate, `duplicate organisation "Avis" (first on line 2)`}}},
		{"duplicate department", head + "org A: x y x\n", []wantErr{{2, ErrDuplicate, `duplicate department "x" in organisation A`}}},
		{"conflict naming an unknown org", head + "org A\nconflict RER: A Pepsi\n",
			[]wantErr{{3, ErrUnknown, "conflict set RER names organisation Pepsi, which is not declared"}}},
		{"conflict naming an unknown department", head + "org A: x\norg B\nconflict A.y B\n",
			[]wantErr{{4, ErrUnknown, "conflict set RER names department y of organisation A"}}},
		{"conflict naming a department of an unknown org", head + "org A\nconflict A Z.x\n",
			[]wantErr{{3, ErrUnknown, "department x of organisation Z"}}},
		{"conflict naming an org and its department", head + "org A: x\norg B\nconflict s: A B A.x\n",
			[]wantErr{{4, ErrConflictSet, "names both A and A.x"}}},
		{"conflict naming a member twice", head + "org A\norg B\nconflict A B A\n", []wantErr{{4, ErrDuplicate, "names A twice"}}},
		{"conflict of one member", head + "org A\nconflict A\n", []wantErr{{3, ErrSyntax, "at least two members"}}},
		{"conflict of one member after a name", head + "org A\nconflict x: A\n", []wantErr{{3, ErrSyntax, "at least two members"}}},
		{"conflict name of two words", head + "org A\norg B\nconflict big set: A B\n", []wantErr{{4, ErrSyntax, "one set name before ':'"}}},
		{"conflict with empty name", head + "org A\norg B\nconflict : A B\n", []wantErr{{4, ErrSyntax, "one set name before ':'"}}},
		{"unknown statement", head + "organisation A\norg A\n", []wantErr{{2, ErrSyntax, `unknown statement "organisation"`}}},
		{"keywords are lower case", head + "Org A\norg B\n", []wantErr{{2, ErrSyntax, `unknown statement "Org"`}}},
		{"org without a name", head + "org\norg B\n", []wantErr{{2, ErrSyntax, "org needs one organisation name"}}},
		{"org with two names", head + "org A B\n", []wantErr{{2, ErrSyntax, "org needs one organisation name"}}},
		{"org with ':' and nothing after", head + "org A:\n", []wantErr{{2, ErrSyntax, "no departments after ':'"}}},
		{"two colons", head + "org A: x: y\n", []wantErr{{2, ErrSyntax, "more than one ':'"}}},
		{"leading comma", head + "org A: ,x\n", []wantErr{{2, ErrSyntax, "',' before the first department"}}},
		{"trailing comma", head + "org A\norg B\nconflict A, B,\n", []wantErr{{4, ErrSyntax, "',' after the last member"}}},
		{"double comma", head + "org A: x,,y\n", []wantErr{{2, ErrSyntax, "two ',' without a department"}}},
		{"second policy", head + "policy q\norg A\n", []wantErr{{2, ErrDuplicate, "second policy statement (first on line 1)"}}},
		{"second version", head + "version 1.0\nversion 1.1\norg A\n", []wantErr{{3, ErrDuplicate, "second version statement (first on line 2)"}}},
		{"second from", head + "from a 1.0\nfrom b 1.0\norg A\n", []wantErr{{3, ErrDuplicate, "second from statement (first on line 2)"}}},
		{"policy of two words", "policy a b\norg A\n", []wantErr{{1, ErrSyntax, "policy needs a policy name, one word"}}},
		{"version missing", head + "version\norg A\n", []wantErr{{2, ErrSyntax, "version needs a version"}}},
		{"date missing", head + "date   # later\norg A\n", []wantErr{{2, ErrSyntax, "date needs a text"}}},
		{"url missing", head + "url\norg A\n", []wantErr{{2, ErrSyntax, "url needs a text"}}},
		{"from of one word", head + "from a\norg A\n", []wantErr{{2, ErrSyntax, "from needs the name and version"}}},
		{"bad version", head + "version 1.0.1\norg A\n", []wantErr{{2, ErrName, `invalid version "1.0.1"`}}},
		{"version with any char as dot", head + "version 1x0\norg A\n", []wantErr{{2, ErrName, `invalid version "1x0"`}}},
		{"bad from version", head + "from a 1\norg A\n", []wantErr{{2, ErrName, `invalid version "1" in from`}}},
		{"colon in policy name", "policy a:b\norg A\n", []wantErr{{1, ErrName, `invalid policy name "a:b"`}}},
		{"slash in policy name", "policy a/b\norg A\n", []wantErr{{1, ErrName, `invalid policy name "a/b"`}}},
		{"trailing dot in policy name", "policy a.\norg A\n", []wantErr{{1, ErrName, `invalid policy name "a."`}}},
		{"dot in org name", head + "org A.B\n", []wantErr{{2, ErrName, `invalid organisation name "A.B"`}}},
		{"markup in department", head + "org A: <x>\n", []wantErr{{2, ErrName, `invalid department name "<x>"`}}},
		{"reserved org", head + "org SystemManagement\n", []wantErr{{2, ErrReserved, `"SystemManagement" is reserved`}}},
		{"reserved null label", head + "org __NULL_LABEL__\n", []wantErr{{2, ErrReserved, "reserved"}}},
		{"unlabeled with departments", head + "org __UNLABELED__: x\n", []wantErr{{2, ErrReserved, "cannot have departments"}}},
		{"not UTF-8", head + "org A\norg \xff\n", []wantErr{{3, ErrSyntax, "not UTF-8"}}},
		{"line too long", head + "org A\nurl " + strings.Repeat("x", MaxLineLen) + "\norg B\n", []wantErr{{3, ErrSyntax, "line longer than"}}},
		{"description too long", head + strings.Repeat("# "+strings.Repeat("x", 1<<10)+"\n", MaxDescriptionLen>>10), []wantErr{{2 + (MaxDescriptionLen-len(head))/(1<<10+3), ErrTooLarge, "description longer than"}}},
		{"every problem reported, in line order", head + "org A\nfoo\norg A\nconflict A Z\nbar\n", []wantErr{
			{3, ErrSyntax, `unknown statement "foo"`},
			{6, ErrSyntax, `unknown statement "bar"`},
		}},
		{"every semantic problem reported, in line order", "policy a:b\norg A\norg A\nconflict A Z\nconflict Q A\n", []wantErr{
			{1, ErrName, "invalid policy name"},
			{3, ErrDuplicate, "duplicate organisation"},
			{4, ErrUnknown, "organisation Z"},
			{5, ErrUnknown, "organisation Q"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(strings.NewReader(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", d)
			}
			if d != nil {
				t.Error("description returned with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T %v is not an ErrorList", err, err)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("%d errors, want %d:\n%s", len(list), len(tc.want), list.Detail())
			}
			for i, w := range tc.want {
				e := list[i]
				if e.Line != w.line || !errors.Is(e, w.kind) || !strings.Contains(e.Msg, w.msg) {
					t.Errorf("error %d = line %d %v %q, want line %d %v containing %q", i, e.Line, e.Err, e.Msg, w.line, w.kind, w.msg)
				}
			}
			// The whole error reads "line N: …" and matches each kind through errors.Is.
			if tc.want[0].line > 0 && !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("error %q does not start with its line", err)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w.kind) {
					t.Errorf("errors.Is(%v, %v) = false", err, w.kind)
				}
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := Parse(io.MultiReader(strings.NewReader("policy p\n"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the read error", err)
	}
	var list ErrorList
	if errors.As(err, &list) {
		t.Errorf("a read error is reported as a description error: %v", err)
	}
}

func TestErrorListText(t *testing.T) {
	l := ErrorList{
		{Line: 3, Msg: "first", Err: ErrSyntax},
		{Line: 5, Msg: "second", Err: ErrDuplicate},
		{Msg: "third", Err: ErrEmpty},
	}
	if got, want := l.Error(), "line 3: first (and 2 more errors)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := l.Detail(), "line 3: first\nline 5: second\nthird\n"; got != want {
		t.Errorf("Detail() = %q, want %q", got, want)
	}
	if got, want := l[:1].Error(), "line 3: first"; got != want {
		t.Errorf("one error: %q, want %q", got, want)
	}
	var e *Error
	if !errors.As(l, &e) || e.Line != 3 {
		t.Errorf("errors.As found %v", e)
	}
	if errors.Is(l, ErrUnknown) {
		t.Error("errors.Is matched a kind the list does not hold")
	}
}
