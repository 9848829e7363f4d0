package query

import (
	"fmt"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Query is a parsed WQL or DMTF:CQL query: SELECT list FROM class [WHERE expr].
// It may be used by many goroutines at once.
type Query struct {
	d         dialect
	text      string
	class     string
	alias     string // CQL: FROM class [AS] alias
	sel       []string
	where     node
	selRefs   []*propRef
	whereRefs []*propRef
	eval      evaluator
}

// Parse parses a query of language lang: "WQL", or "DMTF:CQL" (also "CQL" and
// "CIM:CQL"), in any case. Another language gives a *cim.Error with
// cim.StatusQueryLanguageNotSupported; a malformed query one with
// cim.StatusInvalidQuery whose description says at which column what is wrong,
// and whose Err is a *SyntaxError.
func Parse(lang, text string) (*Query, error) {
	var d dialect
	switch strings.ToUpper(strings.TrimSpace(lang)) {
	case "WQL":
		d = wql
	case "DMTF:CQL", "CQL", "CIM:CQL":
		d = cql
	default:
		return nil, &cim.Error{Code: cim.StatusQueryLanguageNotSupported,
			Description: fmt.Sprintf("query language %q is not supported: use WQL or DMTF:CQL", lang)}
	}
	q := &Query{d: d, text: text}
	if err := run(func() { q.parse() }); err != nil {
		return nil, syntaxError(d, err)
	}
	q.eval.d, q.eval.src = d, text
	return q, nil
}

func syntaxError(d dialect, se *SyntaxError) error {
	return &cim.Error{Code: cim.StatusInvalidQuery, Description: fmt.Sprintf("%s syntax error at %s", d, se), Err: se}
}

type selItem struct {
	pos  int
	path []string
	star bool
}

// parse reads SELECT (* | item {, item}) FROM class [[AS] alias] [WHERE expr].
func (q *Query) parse() {
	p := newParser(q.d, q.text)
	p.want("SELECT")
	var items []selItem
	if p.tok.kind == tStar {
		items = append(items, selItem{pos: p.tok.pos, star: true})
		p.advance()
	} else {
		for {
			it := selItem{pos: p.tok.pos}
			it.path = append(it.path, p.name("a property name or * after SELECT").text)
			for p.tok.kind == tDot {
				p.advance()
				if p.tok.kind == tStar {
					it.star = true
					p.advance()
					break
				}
				it.path = append(it.path, p.name(`a property name after "."`).text)
			}
			items = append(items, it)
			if p.tok.kind != tComma {
				break
			}
			p.advance()
		}
	}
	p.want("FROM")
	q.class = p.name("a class name after FROM").text
	if q.d == cql {
		if p.is("AS") {
			p.advance()
			q.alias = p.name("an alias after AS").text
		} else if p.tok.kind == tIdent && !isKeyword(q.d, p.tok.text) {
			q.alias = p.tok.text
			p.advance()
		}
	}
	nsel := len(p.refs)
	if p.is("WHERE") {
		p.advance()
		q.where = p.expr()
	}
	if p.tok.kind != tEOF {
		if q.where == nil {
			p.fail(p.tok.pos, "want WHERE or the end of the query, have %s", p.tok.describe())
		}
		p.fail(p.tok.pos, "want AND, OR or the end of the query, have %s", p.tok.describe())
	}
	q.whereRefs = p.refs[nsel:]

	// Qualified names (Class.Prop, alias.Prop) lose their qualifier; the class or
	// alias alone is the instance itself.
	for _, r := range q.whereRefs {
		q.qualify(p, r)
	}
	for _, it := range items {
		if it.star {
			if len(items) > 1 {
				p.fail(it.pos, "* cannot be mixed with property names")
			}
			if len(it.path) > 1 || len(it.path) == 1 && !q.isSelf(it.path[0]) {
				p.fail(it.pos, "%s.* : %s is not the FROM class", strings.Join(it.path, "."), it.path[0])
			}
			continue
		}
		r := &propRef{pos: it.pos, path: it.path, index: -1}
		q.qualify(p, r)
		if r.sp != spNone {
			p.fail(it.pos, "%s is not a property", strings.Join(it.path, "."))
		}
		q.selRefs = append(q.selRefs, r)
		q.sel = append(q.sel, r.path[0])
	}
}

func (q *Query) isSelf(name string) bool {
	return strings.EqualFold(name, q.class) || q.alias != "" && strings.EqualFold(name, q.alias)
}

// qualify resolves the special names of a property operand.
func (q *Query) qualify(p *parser, r *propRef) {
	if len(r.path) > 1 && q.isSelf(r.path[0]) && (r.scopes == nil || r.scopes[0] == "") {
		r.path = r.path[1:]
		if r.scopes != nil {
			r.scopes = r.scopes[1:]
		}
	} else if len(r.path) == 1 && r.scopes == nil {
		switch {
		case q.isSelf(r.path[0]), strings.EqualFold(r.path[0], "__THIS"):
			r.sp = spThis
		case strings.EqualFold(r.path[0], "__CLASS"):
			r.sp = spClass
		}
	}
	if r.sp != spNone && r.index >= 0 {
		p.fail(r.pos, "%s is not an array", r.path[0])
	}
}

// ClassName returns the class of the FROM clause, as written.
func (q *Query) ClassName() string { return q.class }

// SelectList returns the names of the selected properties, without class
// qualifiers (for "SourceInstance.Name" the property SourceInstance); nil for *.
func (q *Query) SelectList() []string {
	if q.sel == nil {
		return nil
	}
	return append([]string(nil), q.sel...)
}

// Match reports whether inst satisfies the WHERE clause (true when there is none).
// Comparisons follow the CIM type of the property: numbers by value across integer
// and real types, strings case-sensitively, datetimes by value, references as
// object paths. A comparison with NULL is UNKNOWN, and UNKNOWN at the top is false.
// A comparison the types do not allow (a string with a number, booleans with <)
// gives a *cim.Error with cim.StatusInvalidQuery, a nil inst one with
// cim.StatusFailed.
func (q *Query) Match(inst *cim.Instance) (bool, error) {
	return q.eval.run(q.where, inst)
}

// Project returns a copy of inst narrowed to the selected properties, in the
// instance's order, or inst itself for SELECT *. The copy shares the values (and
// the qualifiers) with inst.
func (q *Query) Project(inst *cim.Instance) *cim.Instance {
	if q.sel == nil || inst == nil {
		return inst
	}
	out := &cim.Instance{ClassName: inst.ClassName, Qualifiers: inst.Qualifiers,
		Properties: make([]cim.Property, 0, len(q.sel))}
	for i := range inst.Properties {
		for _, s := range q.sel {
			if strings.EqualFold(inst.Properties[i].Name, s) {
				out.Properties = append(out.Properties, inst.Properties[i])
				break
			}
		}
	}
	return out
}

// Validate checks the query against the schema: the FROM class exists, the
// properties named in SELECT and WHERE exist in it (and in the embedded instance
// classes that EmbeddedInstance qualifiers name), and each comparison with a
// literal fits the property's type. Any failure is a *cim.Error with
// cim.StatusInvalidQuery. A successful Validate also keeps lookup, which ISA then
// uses to know subclasses.
func (q *Query) Validate(lookup func(class string) *cim.Class) error {
	if lookup == nil {
		return &cim.Error{Code: cim.StatusFailed, Description: "query: Validate without a schema"}
	}
	c := lookup(q.class)
	if c == nil {
		return q.invalid(0, "class %s does not exist", q.class)
	}
	v := validator{q: q, lookup: lookup, class: c}
	for _, r := range q.selRefs {
		if _, err := v.prop(r); err != nil {
			return err
		}
	}
	if q.where != nil {
		if err := v.node(q.where); err != nil {
			return err
		}
	}
	q.eval.lookup.Store(&lookup)
	return nil
}

func (q *Query) invalid(pos int, format string, args ...any) error {
	line, col := position(q.text, pos)
	se := &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	return &cim.Error{Code: cim.StatusInvalidQuery, Description: fmt.Sprintf("%s query: %s", q.d, se), Err: se}
}

// String returns the query text.
func (q *Query) String() string { return q.text }
