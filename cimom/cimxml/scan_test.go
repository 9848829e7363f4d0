package cimxml

import (
	"strings"
	"testing"
)

// TestScanText checks the character data rules of XML 1.0 the scanner implements.
func TestScanText(t *testing.T) {
	tests := []struct {
		doc  string
		want string // text of the root; "!" + substring of the error message
	}{
		{`<a>x</a>`, "x"},
		{`<a>x<!-- c -->y<?p q?>z</a>`, "xyz"},
		{`<a>x<![CDATA[<&>]]>y</a>`, "x<&>y"},
		{"<a><![CDATA[1\r\n2\r3]]></a>", "1\n2\n3"},
		{`<a>&#x41;&#X42;&#67;&#x1F600;</a>`, "!character reference"},
		{`<a>&#x41;&#67;&#x1F600;</a>`, "AC😀"},
		{`<a>&#xD800;</a>`, "!character reference"},
		{`<a>&#x110000;</a>`, "!character reference"},
		{`<a>&#12345678901;</a>`, "!character reference"},
		{`<a>&#;</a>`, "!entity"},
		{`<a>&amp</a>`, "!without ';'"},
		{`<a>]]></a>`, "!]]>"},
		{`<a b='1' c = "2" >t</a >`, "t"},
		{`<a b="1"c="2"/>`, "!white space"},
		{`<a b="x&#10;y"/>`, ""},
		{`<a/><!-- tail --><?pi?>`, ""},
		{`<a>`, "!not closed"},
		{`<a></b>`, "!does not match"},
		{`<a><![CDATA[x</a>`, "!CDATA"},
		{`<a><!ELEMENT x></a>`, "!markup declaration"},
		{`<?xml version="2.0"?><a/>`, "!XML version"},
		{`<?xml encoding="utf-8"?><a/>`, "!XML declaration"},
		{`<?xml version="1.0" standalone="maybe"?><a/>`, "!standalone"},
		{`<?xml version="1.0"`, "!"},
		{`<!-- unterminated`, "!comment"},
		{`<?pi unterminated`, "!processing instruction"},
		{`<1a/>`, "!name"},
		{`<a b/>`, "!'='"},
		{`<a b="1/>`, "!unterminated"},
		{"<a>\uFFFF</a>", "!not allowed"},
	}
	for _, tt := range tests {
		root, perr := parse(tt.doc)
		if strings.HasPrefix(tt.want, "!") {
			if perr == nil || !strings.Contains(perr.Msg, tt.want[1:]) {
				t.Errorf("parse(%q) = %v, want an error with %q", tt.doc, perr, tt.want[1:])
			}
			continue
		}
		if perr != nil {
			t.Errorf("parse(%q) = %v", tt.doc, perr)
			continue
		}
		if root.text != tt.want {
			t.Errorf("parse(%q) text = %q, want %q", tt.doc, root.text, tt.want)
		}
	}
	root, _ := parse(`<a b="x&#10;y&#9;z" c="p` + "\t\r\nq" + `"/>`)
	if v, _ := root.attr("b"); v != "x\ny\tz" {
		t.Errorf("attribute b = %q: character references are kept", v)
	}
	if v, _ := root.attr("c"); v != "p  q" {
		t.Errorf("attribute c = %q: white space is normalised", v)
	}
}

func TestScanTooManyAttributes(t *testing.T) {
	var b strings.Builder
	b.WriteString("<a")
	for i := 0; i <= maxAttrs; i++ {
		b.WriteString(" a")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(`="1"`)
	}
	b.WriteString("/>")
	_, perr := parse(b.String())
	if perr == nil || perr.CIMError != ErrNotValid {
		t.Errorf("parse = %v, want request-not-valid", perr)
	}
}

func TestNameSet(t *testing.T) {
	var s nameSet
	for i := 0; i < 100; i++ {
		if !s.add("Name" + strings.Repeat("x", i)) {
			t.Fatalf("add %d: reported as a duplicate", i)
		}
	}
	for _, n := range []string{"name", "NAMEx", "namexxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} {
		if s.add(n) {
			t.Errorf("add(%q) = true, want a duplicate", n)
		}
	}
}

// TestScanManyTextPieces: text split by many comments is collected in linear time.
func TestScanManyTextPieces(t *testing.T) {
	const n = 200_000
	doc := "<a>" + strings.Repeat("x<!---->", n) + "<![CDATA[y]]>z</a>"
	root, perr := parse(doc)
	if perr != nil {
		t.Fatal(perr)
	}
	if len(root.text) != n+2 || !strings.HasSuffix(root.text, "xyz") {
		t.Errorf("text has %d bytes, want %d ending in xyz", len(root.text), n+2)
	}
	root, _ = parse("<a>p<!---->q<b/>r</a>")
	if root.text != "" || !root.nonWS {
		t.Errorf("mixed content: text %q nonWS %v, want none and true", root.text, root.nonWS)
	}
}
