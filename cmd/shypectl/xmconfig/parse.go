package xmconfig

import "fmt"

// node is an expression of the config subset.
type node struct {
	kind  nodeKind
	pos   Position
	str   string  // nString: decoded text; nName: the name; nBinary/nUnary: operator
	num   int64   // nInt
	elems []*node // nList, nTuple; nBinary/nUnary operands
}

type nodeKind int

const (
	nString nodeKind = iota
	nInt
	nName
	nList
	nTuple
	nBinary
	nUnary
)

// stmt is one statement: an assignment (target set) or a bare expression
// such as a docstring.
type stmt struct {
	target string
	tpos   Position
	value  *node
}

type parser struct {
	toks []token
	i    int
	nest int // open brackets and unary operators, bounded by maxNest
}

// maxNest bounds the nesting of brackets and unary operators, so hostile
// input cannot exhaust the stack (CPython 2 stopped near 100 as well).
const maxNest = 100

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) isOp(s string) bool { t := p.tok(); return t.kind == tOp && t.text == s }

func (p *parser) errf(t token, format string, args ...any) error {
	return &Error{Pos: t.pos, Msg: fmt.Sprintf(format, args...), Err: ErrSyntax}
}

func (p *parser) unexpected() error {
	t := p.tok()
	switch t.kind {
	case tEOF:
		return p.errf(t, "invalid syntax: unexpected end of file")
	case tNewline:
		return p.errf(t, "invalid syntax: unexpected end of line")
	case tString:
		return p.errf(t, "invalid syntax: unexpected string")
	case tInt:
		return p.errf(t, "invalid syntax: unexpected number %s", t.text)
	}
	return p.errf(t, "invalid syntax: unexpected %q", t.text)
}

// parseFile reads every statement before anything runs, as Python compiles
// a whole file before executing it.
func parseFile(file string, src []byte) ([]stmt, error) {
	toks, err := scanAll(file, src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	var out []stmt
	for p.tok().kind != tEOF {
		if p.tok().kind == tNewline || p.isOp(";") {
			p.i++
			continue
		}
		st, err := p.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, st)
		switch {
		case p.isOp(";"), p.tok().kind == tNewline:
			p.i++
		case p.tok().kind != tEOF:
			return nil, p.unexpected()
		}
	}
	return out, nil
}

func (p *parser) statement() (stmt, error) {
	first := p.tok()
	e, err := p.exprList()
	if err != nil {
		return stmt{}, err
	}
	if !p.isOp("=") {
		return stmt{value: e}, nil
	}
	if e.kind != nName || e.str == "True" || e.str == "False" || e.str == "None" {
		return stmt{}, p.errf(first, "can't assign to this expression (only NAME = value is supported)")
	}
	p.i++
	v, err := p.exprList()
	if err != nil {
		return stmt{}, err
	}
	if p.isOp("=") {
		return stmt{}, p.errf(p.tok(), "chained assignment is not supported")
	}
	return stmt{target: e.str, tpos: e.pos, value: v}, nil
}

// exprList is an expression, or a tuple without parentheses: 1, 2.
func (p *parser) exprList() (*node, error) {
	start := p.tok()
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if !p.isOp(",") {
		return e, nil
	}
	t := &node{kind: nTuple, pos: start.pos, elems: []*node{e}}
	for p.isOp(",") {
		p.i++
		if !p.startsExpr() {
			break
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		t.elems = append(t.elems, e)
	}
	return t, nil
}

func (p *parser) startsExpr() bool {
	t := p.tok()
	switch t.kind {
	case tName, tInt, tString:
		return true
	case tOp:
		return t.text == "[" || t.text == "(" || t.text == "-" || t.text == "+"
	}
	return false
}

func (p *parser) expr() (*node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := p.tok()
		p.i++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &node{kind: nBinary, pos: op.pos, str: op.text, elems: []*node{l, r}}
	}
	return l, nil
}

func (p *parser) unary() (*node, error) {
	if p.nest++; p.nest > maxNest {
		return nil, p.errf(p.tok(), "too many nested brackets or operators")
	}
	defer func() { p.nest-- }()
	if p.isOp("-") || p.isOp("+") {
		op := p.tok()
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &node{kind: nUnary, pos: op.pos, str: op.text, elems: []*node{x}}, nil
	}
	return p.atom()
}

func (p *parser) atom() (*node, error) {
	t := p.tok()
	switch t.kind {
	case tString:
		// Adjacent literals concatenate at compile time: 'a' "b".
		n := &node{kind: nString, pos: t.pos, str: t.text}
		for p.i++; p.tok().kind == tString; p.i++ {
			n.str += p.tok().text
		}
		return n, nil
	case tInt:
		p.i++
		return &node{kind: nInt, pos: t.pos, num: t.num}, nil
	case tName:
		p.i++
		return &node{kind: nName, pos: t.pos, str: t.text}, nil
	case tOp:
		switch t.text {
		case "[":
			p.i++
			elems, _, err := p.seq("]")
			if err != nil {
				return nil, err
			}
			return &node{kind: nList, pos: t.pos, elems: elems}, nil
		case "(":
			p.i++
			elems, comma, err := p.seq(")")
			if err != nil {
				return nil, err
			}
			if len(elems) == 1 && !comma {
				return elems[0], nil // parenthesised expression
			}
			return &node{kind: nTuple, pos: t.pos, elems: elems}, nil
		}
	}
	return nil, p.unexpected()
}

// seq reads comma-separated expressions up to the closing bracket (already
// past the opening one); comma reports whether any comma was seen.
func (p *parser) seq(closing string) (elems []*node, comma bool, err error) {
	for !p.isOp(closing) {
		e, err := p.expr()
		if err != nil {
			return nil, false, err
		}
		elems = append(elems, e)
		if p.isOp(",") {
			comma = true
			p.i++
			continue
		}
		if !p.isOp(closing) {
			return nil, false, p.unexpected()
		}
	}
	p.i++
	return elems, comma, nil
}
