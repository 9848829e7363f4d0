package query

import (
	"math"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// maxDepth bounds the nesting of parentheses and NOTs, so that a hostile query
// cannot exhaust the stack.
const maxDepth = 100

// parser is a recursive-descent parser over the scanner's tokens. Errors panic
// with a bail, which the entry points recover.
type parser struct {
	s     scanner
	tok   token
	depth int
	refs  []*propRef // every property operand, in order
}

func newParser(d dialect, src string) *parser {
	p := &parser{s: scanner{src: src, d: d}}
	p.advance()
	return p
}

func (p *parser) advance() { p.tok = p.s.next() }

func (p *parser) fail(pos int, format string, args ...any) { p.s.fail(pos, format, args...) }

// keywords are reserved: they cannot name a property or a class. The value says
// whether FQL reserves the word too.
var keywords = map[string]bool{
	"SELECT": false, "FROM": false, "WHERE": false, "ISA": false, "AS": false,
	"AND": true, "OR": true, "NOT": true, "IS": true, "NULL": true, "TRUE": true,
	"FALSE": true, "LIKE": true, "ANY": true, "EVERY": true,
}

func isKeyword(d dialect, s string) bool {
	if len(s) > 6 {
		return false
	}
	inFQL, ok := keywords[strings.ToUpper(s)]
	return ok && (d != fql || inFQL)
}

// is reports whether the current token is the keyword kw (upper case).
func (p *parser) is(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) want(kw string) {
	if !p.is(kw) {
		p.fail(p.tok.pos, "want %s, have %s", kw, p.tok.describe())
	}
	p.advance()
}

func (p *parser) wantTok(k tokKind, what string) token {
	if p.tok.kind != k {
		p.fail(p.tok.pos, "want %s, have %s", what, p.tok.describe())
	}
	t := p.tok
	p.advance()
	return t
}

// name reads an identifier that is not a keyword.
func (p *parser) name(what string) token {
	if p.tok.kind != tIdent || isKeyword(p.s.d, p.tok.text) {
		p.fail(p.tok.pos, "want %s, have %s", what, p.tok.describe())
	}
	t := p.tok
	p.advance()
	return t
}

// expr := and {OR and}
func (p *parser) expr() node {
	l := p.and()
	for p.is("OR") {
		p.advance()
		l = &orNode{l, p.and()}
	}
	return l
}

// and := not {AND not}
func (p *parser) and() node {
	l := p.not()
	for p.is("AND") {
		p.advance()
		l = &andNode{l, p.not()}
	}
	return l
}

// not := NOT not | "(" expr ")" | predicate
func (p *parser) not() node {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.fail(p.tok.pos, "expression nested deeper than %d levels", maxDepth)
	}
	if p.is("NOT") {
		p.advance()
		return &notNode{p.not()}
	}
	if p.tok.kind == tLParen {
		p.advance()
		x := p.expr()
		p.wantTok(tRParen, `")"`)
		return x
	}
	return p.predicate()
}

var cmpOps = map[tokKind]cmpOp{tEQ: opEQ, tNE: opNE, tLT: opLT, tLE: opLE, tGT: opGT, tGE: opGE}

// predicate := [ANY|EVERY] operand ( cmp-op operand | IS [NOT] NULL | ISA class |
// [NOT] LIKE string )
func (p *parser) predicate() node {
	q := qNone
	qpos := p.tok.pos
	switch {
	case p.is("ANY"):
		q = qAny
		p.advance()
	case p.is("EVERY"):
		q = qEvery
		p.advance()
	}
	l := p.operand()
	if q != qNone && l.kind != oProp {
		p.fail(l.pos, "ANY and EVERY apply to an array property")
	}
	pos := p.tok.pos
	if op, ok := cmpOps[p.tok.kind]; ok {
		p.advance()
		r := p.operand()
		switch {
		case l.kind != oProp && r.kind != oProp:
			p.fail(l.pos, "a comparison needs a property on one side")
		case q != qNone && r.kind == oArray:
			p.fail(r.pos, "ANY and EVERY compare each element with a scalar, not an array")
		case (l.kind == oArray || r.kind == oArray) && op.ordering():
			p.fail(pos, "arrays compare only with = and <>")
		case l.kind != oProp && q == qNone:
			l, r, op = r, l, op.flip()
		}
		return &cmpNode{op: op, q: q, l: l, r: r, pos: pos}
	}
	if l.kind != oProp {
		p.fail(p.tok.pos, "want a comparison operator after a literal, have %s", p.tok.describe())
	}
	switch {
	case p.is("IS"):
		if q != qNone {
			p.fail(qpos, "ANY and EVERY do not apply to IS NULL")
		}
		p.advance()
		not := false
		if p.is("NOT") {
			not = true
			p.advance()
		}
		p.want("NULL")
		return &nullNode{x: l, not: not}
	case p.is("ISA") && p.s.d != fql:
		if q != qNone {
			p.fail(qpos, "ANY and EVERY do not apply to ISA")
		}
		p.advance()
		var class token
		if p.tok.kind == tString {
			class = p.tok
			p.advance()
		} else {
			class = p.name("a class name after ISA")
		}
		if !cim.IsIdentifier(class.text) {
			p.fail(class.pos, "%q is not a class name", class.text)
		}
		return &isaNode{x: l, class: class.text, pos: pos}
	case p.is("LIKE"), p.is("NOT"):
		not := p.is("NOT")
		p.advance()
		if not {
			p.want("LIKE")
		}
		pat := p.wantTok(tString, "a string pattern after LIKE")
		re, err := likePattern(p.s.d, pat.text)
		if err != nil {
			p.fail(pat.pos, "bad LIKE pattern: %v", err)
		}
		return &likeNode{x: l, q: q, re: re, not: not, pos: pos}
	}
	if p.s.d == fql {
		p.fail(p.tok.pos, "want a comparison operator, IS or LIKE, have %s", p.tok.describe())
	}
	p.fail(p.tok.pos, "want a comparison operator, IS, ISA or LIKE, have %s", p.tok.describe())
	panic("unreachable")
}

// operand := ["+"|"-"] number | string | TRUE | FALSE | NULL | "{" literals "}" |
// property
func (p *parser) operand() operand {
	pos := p.tok.pos
	switch p.tok.kind {
	case tPlus, tMinus, tInt, tReal:
		return operand{kind: oLit, pos: pos, lit: p.number()}
	case tString:
		l := &literal{kind: litString, pos: pos, s: p.tok.text}
		p.advance()
		return operand{kind: oLit, pos: pos, lit: l}
	case tLBrace:
		p.advance()
		var arr []*literal
		for {
			o := p.operand()
			if o.kind != oLit {
				p.fail(o.pos, "an array literal holds literals only")
			}
			arr = append(arr, o.lit)
			if p.tok.kind != tComma {
				break
			}
			p.advance()
		}
		p.wantTok(tRBrace, `"}" or ","`)
		return operand{kind: oArray, pos: pos, arr: arr}
	case tIdent:
		switch {
		case p.is("TRUE"), p.is("FALSE"):
			l := &literal{kind: litBool, pos: pos, b: p.is("TRUE")}
			p.advance()
			return operand{kind: oLit, pos: pos, lit: l}
		case p.is("NULL"):
			p.advance()
			return operand{kind: oLit, pos: pos, lit: &literal{kind: litNull, pos: pos}}
		}
		return operand{kind: oProp, pos: pos, prop: p.property()}
	}
	p.fail(pos, "want a property name or a literal, have %s", p.tok.describe())
	panic("unreachable")
}

// number := ["+"|"-"] (integer | real)
func (p *parser) number() *literal {
	pos := p.tok.pos
	neg := false
	if p.tok.kind == tPlus || p.tok.kind == tMinus {
		neg = p.tok.kind == tMinus
		p.advance()
		if p.tok.kind != tInt && p.tok.kind != tReal {
			p.fail(p.tok.pos, "want a number after the sign, have %s", p.tok.describe())
		}
	}
	t := p.tok
	p.advance()
	l := &literal{kind: litNum, pos: pos}
	switch {
	case t.kind == tReal && neg:
		l.n = num{k: nFloat, f: -t.f}
	case t.kind == tReal:
		l.n = num{k: nFloat, f: t.f}
	case !neg && t.u <= math.MaxInt64:
		l.n = num{k: nInt, i: int64(t.u)}
	case !neg:
		l.n = num{k: nUint, u: t.u}
	case t.u <= 1<<63:
		l.n = num{k: nInt, i: int64(-t.u)} // -(1<<63) wraps to MinInt64, as wanted
	default:
		p.fail(pos, "number -%s out of range", t.text)
	}
	return l
}

// property := scoped {"." scoped} ["[" integer "]"]
// scoped   := [class "::"] name        (the scope: CQL only)
func (p *parser) property() *propRef {
	r := &propRef{pos: p.tok.pos, index: -1}
	what := "a property name"
	for {
		n := p.name(what).text
		scope := ""
		if p.tok.kind == tScope {
			p.advance()
			scope, n = n, p.name(`a property name after "::"`).text
			if r.scopes == nil {
				r.scopes = make([]string, len(r.path), len(r.path)+1)
			}
		}
		r.path = append(r.path, n)
		if r.scopes != nil {
			r.scopes = append(r.scopes, scope)
		}
		if p.tok.kind != tDot {
			break
		}
		p.advance()
		what = `a property name after "."`
	}
	if p.tok.kind == tLBrack {
		p.advance()
		idx := p.wantTok(tInt, "an array index")
		if idx.u > math.MaxInt32 {
			p.fail(idx.pos, "array index %s out of range", idx.text)
		}
		r.index = int(idx.u)
		p.wantTok(tRBrack, `"]"`)
	}
	p.refs = append(p.refs, r)
	return r
}

// run calls f and turns a bail into an error.
func run(f func()) (err *SyntaxError) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	f()
	return nil
}
