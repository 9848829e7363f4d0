package mof

import (
	"math"
	"strconv"
	"strings"
)

// maxErrors bounds the errors one file reports, so that a binary file fed by mistake
// gives a short answer.
const maxErrors = 100

// ParseFile parses the MOF text src of file name, adding it to fset. It returns the
// syntax tree of everything it could read, and the syntax errors (an ErrorList) if
// there were any. It never panics.
func ParseFile(fset *FileSet, name string, src string) (*File, error) {
	var p parser
	p.init(fset, name, src)
	p.parseFile()
	p.errors.RemoveMultiples()
	return p.file, p.errors.Err()
}

type parser struct {
	fset    *FileSet
	src     *SourceFile
	scanner Scanner
	errors  ErrorList
	file    *File

	pos   Pos
	tok   Token
	lit   string
	depth int // braces open
}

type bailout struct{}

func (p *parser) init(fset *FileSet, name, src string) {
	p.fset = fset
	p.src = fset.AddFile(name, src)
	p.file = &File{Name: name}
	p.scanner.Init(p.src, src, func(pos Pos, msg string) { p.errorAt(pos, msg) })
	p.next()
}

func (p *parser) errorAt(pos Pos, msg string) {
	if len(p.errors) >= maxErrors {
		return
	}
	p.errors.Add(p.src.Position(pos), msg)
}

func (p *parser) next() {
	switch p.tok {
	case LBRACE:
		p.depth++
	case RBRACE:
		if p.depth > 0 {
			p.depth--
		}
	}
	p.pos, p.tok, p.lit = p.scanner.Scan()
}

// fail reports a syntax error at the current token and abandons the declaration.
func (p *parser) fail(msg string) {
	if p.tok != ILLEGAL { // the scanner has said what is wrong with it
		p.errorAt(p.pos, msg)
	}
	panic(bailout{})
}

func (p *parser) found() string {
	switch p.tok {
	case IDENT:
		return "'" + p.lit + "'"
	case INT, REAL:
		return p.lit
	case STRING:
		return "string"
	case EOF:
		return "end of file"
	}
	return p.tok.String()
}

func (p *parser) expect(tok Token, what string) Pos {
	pos := p.pos
	if p.tok != tok {
		p.fail("expected " + what + ", found " + p.found())
	}
	p.next()
	return pos
}

func (p *parser) isKeyword(kw string) bool { return p.tok == IDENT && strings.EqualFold(p.lit, kw) }

func (p *parser) expectKeyword(kw string) Pos {
	pos := p.pos
	if !p.isKeyword(kw) {
		p.fail("expected '" + kw + "', found " + p.found())
	}
	p.next()
	return pos
}

func (p *parser) ident(what string) (string, Pos) {
	pos, lit := p.pos, p.lit
	if p.tok != IDENT {
		p.fail("expected " + what + ", found " + p.found())
	}
	p.next()
	return lit, pos
}

func (p *parser) parseFile() {
	for p.tok != EOF && len(p.errors) < maxErrors {
		if d := p.parseDecl(); d != nil {
			p.file.Decls = append(p.file.Decls, d)
		}
	}
}

// parseDecl parses one declaration, recovering from a syntax error by skipping to
// the end of the declaration.
func (p *parser) parseDecl() (d Decl) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			d = nil
			p.sync()
		}
	}()
	p.depth = 0
	switch {
	case p.tok == HASH:
		return p.parsePragma()
	case p.isKeyword("qualifier"):
		return p.parseQualifierDecl()
	}
	start := p.pos
	var quals []Qualifier
	if p.tok == LBRACK {
		quals = p.parseQualifierList()
	}
	switch {
	case p.isKeyword("class"):
		return p.parseClass(start, quals)
	case p.isKeyword("instance"):
		return p.parseInstance(start, quals)
	}
	p.fail("expected class, instance, qualifier declaration or #pragma, found " + p.found())
	return nil
}

// sync skips to the token after the ';' that ends the current top-level declaration,
// or to the start of the next one.
func (p *parser) sync() {
	for p.tok != EOF {
		if p.tok == SEMI && p.depth == 0 {
			p.next()
			return
		}
		if p.depth == 0 && p.tok != SEMI && (p.tok == HASH || p.isKeyword("class") || p.isKeyword("instance") || p.isKeyword("qualifier")) {
			return
		}
		p.next()
	}
}

func (p *parser) parsePragma() *Pragma {
	d := &Pragma{Hash: p.expect(HASH, "'#'")}
	p.expectKeyword("pragma")
	d.Name, d.NamePos = p.ident("pragma name")
	p.expect(LPAREN, "'('")
	d.ValuePos = p.pos
	if p.tok != STRING {
		p.fail("expected a string, found " + p.found())
	}
	d.Value = p.parseStrings()
	p.expect(RPAREN, "')'")
	return d
}

// parseStrings reads one or more adjacent string literals and concatenates them.
func (p *parser) parseStrings() string {
	s := p.lit
	p.next()
	if p.tok != STRING {
		return s
	}
	var b strings.Builder
	b.WriteString(s)
	for p.tok == STRING {
		b.WriteString(p.lit)
		p.next()
	}
	return b.String()
}

func (p *parser) parseQualifierDecl() *QualifierDecl {
	d := &QualifierDecl{Start: p.pos}
	p.next()
	d.Name, d.NamePos = p.ident("qualifier name")
	p.expect(COLON, "':'")
	d.Type, d.TypePos = p.ident("data type")
	if p.tok == LBRACK {
		d.IsArray, d.ArraySize = p.parseArraySpec()
	}
	if p.tok == ASSIGN {
		p.next()
		v := p.parseInitializer()
		d.Default = &v
	}
	for p.tok == COMMA {
		p.next()
		switch {
		case p.isKeyword("scope"):
			if d.ScopePos.IsValid() {
				p.fail("Scope is given twice")
			}
			d.ScopePos = p.pos
			p.next()
			d.Scopes = p.parseIdentList("scope")
		case p.isKeyword("flavor"):
			p.next()
			d.Flavors = append(d.Flavors, p.parseIdentList("flavor")...)
		default:
			p.fail("expected Scope or Flavor, found " + p.found())
		}
	}
	if !d.ScopePos.IsValid() {
		p.fail("expected ', Scope(…)' in the qualifier declaration, found " + p.found())
	}
	p.expect(SEMI, "';'")
	return d
}

func (p *parser) parseIdentList(what string) []Ident {
	p.expect(LPAREN, "'('")
	var ids []Ident
	for {
		name, pos := p.ident(what)
		ids = append(ids, Ident{name, pos})
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	p.expect(RPAREN, "')'")
	return ids
}

// parseArraySpec reads "[ ]" or "[ n ]".
func (p *parser) parseArraySpec() (bool, int) {
	p.expect(LBRACK, "'['")
	size := 0
	if p.tok == INT {
		v := p.parseInt()
		if v.Neg || v.Overflow || v.Int == 0 || v.Int > math.MaxInt32 {
			p.errorAt(v.Pos, "invalid array size "+v.Text)
		} else {
			size = int(v.Int)
		}
	}
	p.expect(RBRACK, "']'")
	return true, size
}

func (p *parser) parseQualifierList() []Qualifier {
	p.expect(LBRACK, "'['")
	var qs []Qualifier
	for {
		q := Qualifier{}
		q.Name, q.NamePos = p.ident("qualifier name")
		switch p.tok {
		case LPAREN:
			p.next()
			v := p.parseInitializer()
			q.Value = &v
			p.expect(RPAREN, "')'")
		case LBRACE:
			v := p.parseArray()
			q.Value = &v
		}
		if p.tok == COLON {
			p.next()
			for p.tok == IDENT {
				q.Flavors = append(q.Flavors, Ident{p.lit, p.pos})
				p.next()
			}
			if len(q.Flavors) == 0 {
				p.fail("expected a flavor, found " + p.found())
			}
		}
		qs = append(qs, q)
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	p.expect(RBRACK, "']'")
	return qs
}

func (p *parser) parseClass(start Pos, quals []Qualifier) *ClassDecl {
	p.next() // class
	d := &ClassDecl{Start: start, Qualifiers: quals}
	d.Name, d.NamePos = p.ident("class name")
	if p.isKeyword("as") {
		p.next()
		if p.tok != ALIAS {
			p.fail("expected an alias ($name), found " + p.found())
		}
		d.Alias = p.lit
		p.next()
	}
	if p.tok == COLON {
		p.next()
		d.SuperClass, d.SuperPos = p.ident("superclass name")
	}
	p.expect(LBRACE, "'{'")
	for p.tok != RBRACE {
		if p.tok == EOF {
			p.fail("expected '}' to end class " + d.Name + ", found end of file")
		}
		p.parseFeature(d)
	}
	d.End = p.pos
	p.next()
	p.expect(SEMI, "';' after the class declaration")
	return d
}

// parseFeature reads a property, reference or method of class d.
func (p *parser) parseFeature(d *ClassDecl) {
	var quals []Qualifier
	if p.tok == LBRACK {
		quals = p.parseQualifierList()
	}
	typ, typePos := p.ident("data type or class name")
	refClass := ""
	if p.isKeyword("ref") {
		refClass, typ = typ, ""
		p.next()
	}
	name, namePos := p.ident("property or method name")
	if p.tok == LPAREN {
		if refClass != "" {
			p.errorAt(typePos, "a method cannot return a reference")
		}
		m := &MethodDecl{Qualifiers: quals, ReturnType: typ, TypePos: typePos, Name: name, NamePos: namePos}
		p.next()
		if p.tok != RPAREN {
			for {
				m.Params = append(m.Params, p.parseParam())
				if p.tok != COMMA {
					break
				}
				p.next()
			}
		}
		p.expect(RPAREN, "')'")
		if p.tok == LBRACK {
			p.fail("a method cannot return an array")
		}
		p.expect(SEMI, "';'")
		d.Methods = append(d.Methods, m)
		return
	}
	prop := &PropertyDecl{Qualifiers: quals, Type: typ, TypePos: typePos, RefClass: refClass, Name: name, NamePos: namePos}
	if p.tok == LBRACK {
		if refClass != "" {
			p.fail("a reference cannot be an array")
		}
		prop.IsArray, prop.ArraySize = p.parseArraySpec()
	}
	if p.tok == ASSIGN {
		p.next()
		v := p.parseInitializer()
		prop.Default = &v
	}
	p.expect(SEMI, "';'")
	d.Properties = append(d.Properties, prop)
}

func (p *parser) parseParam() *ParamDecl {
	var quals []Qualifier
	if p.tok == LBRACK {
		quals = p.parseQualifierList()
	}
	prm := &ParamDecl{Qualifiers: quals}
	prm.Type, prm.TypePos = p.ident("data type or class name")
	if p.isKeyword("ref") {
		prm.RefClass, prm.Type = prm.Type, ""
		p.next()
	}
	prm.Name, prm.NamePos = p.ident("parameter name")
	if p.tok == LBRACK {
		prm.IsArray, prm.ArraySize = p.parseArraySpec()
	}
	if p.tok == ASSIGN {
		p.next()
		v := p.parseInitializer()
		prm.Default = &v
	}
	return prm
}

func (p *parser) parseInstance(start Pos, quals []Qualifier) *InstanceDecl {
	p.next() // instance
	p.expectKeyword("of")
	d := &InstanceDecl{Start: start, Qualifiers: quals}
	d.ClassName, d.ClassPos = p.ident("class name")
	if p.isKeyword("as") {
		p.next()
		if p.tok != ALIAS {
			p.fail("expected an alias ($name), found " + p.found())
		}
		d.Alias, d.AliasPos = p.lit, p.pos
		p.next()
	}
	p.expect(LBRACE, "'{'")
	for p.tok != RBRACE {
		if p.tok == EOF {
			p.fail("expected '}' to end the instance, found end of file")
		}
		pv := &PropertyValue{}
		if p.tok == LBRACK {
			pv.Qualifiers = p.parseQualifierList()
		}
		pv.Name, pv.NamePos = p.ident("property name")
		p.expect(ASSIGN, "'='")
		pv.Value = p.parseInitializer()
		p.expect(SEMI, "';'")
		d.Properties = append(d.Properties, pv)
	}
	d.End = p.pos
	p.next()
	p.expect(SEMI, "';' after the instance declaration")
	return d
}

// parseInitializer reads a constant, an array or an alias.
func (p *parser) parseInitializer() Value {
	switch p.tok {
	case LBRACE:
		return p.parseArray()
	case ALIAS:
		v := Value{Pos: p.pos, Kind: AliasValue, Str: p.lit}
		p.next()
		return v
	}
	return p.parseConstant()
}

func (p *parser) parseArray() Value {
	v := Value{Pos: p.pos, Kind: ArrayValue}
	p.expect(LBRACE, "'{'")
	if p.tok != RBRACE {
		for {
			if p.tok == ALIAS {
				v.Elems = append(v.Elems, Value{Pos: p.pos, Kind: AliasValue, Str: p.lit})
				p.next()
			} else {
				v.Elems = append(v.Elems, p.parseConstant())
			}
			if p.tok != COMMA {
				break
			}
			p.next()
		}
	}
	p.expect(RBRACE, "'}'")
	return v
}

func (p *parser) parseConstant() Value {
	v := Value{Pos: p.pos}
	switch p.tok {
	case INT:
		return p.parseInt()
	case REAL:
		v.Kind, v.Text = RealValue, p.lit
		f, err := strconv.ParseFloat(p.lit, 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			p.errorAt(p.pos, "invalid real "+p.lit)
		}
		v.Real = f
		p.next()
		return v
	case STRING:
		v.Kind = StringValue
		v.Str = p.parseStrings()
		return v
	case CHAR:
		v.Kind, v.Str = CharValue, p.lit
		p.next()
		return v
	case IDENT:
		switch {
		case strings.EqualFold(p.lit, "true"), strings.EqualFold(p.lit, "false"):
			v.Kind, v.Bool = BoolValue, strings.EqualFold(p.lit, "true")
			p.next()
			return v
		case strings.EqualFold(p.lit, "null"):
			v.Kind = NullValue
			p.next()
			return v
		}
	}
	p.fail("expected a value, found " + p.found())
	return v
}

// parseInt reads an INT token into its sign and magnitude.
func (p *parser) parseInt() Value {
	v := Value{Pos: p.pos, Kind: IntValue, Text: p.lit}
	text := p.lit
	p.next()
	if text != "" && (text[0] == '-' || text[0] == '+') {
		v.Neg = text[0] == '-'
		text = text[1:]
	}
	base := 10
	switch {
	case len(text) > 1 && (text[1] == 'x' || text[1] == 'X'):
		base, text = 16, text[2:]
	case strings.HasSuffix(text, "b") || strings.HasSuffix(text, "B"):
		base, text = 2, text[:len(text)-1]
	case len(text) > 1 && text[0] == '0':
		base, text = 8, text[1:]
	}
	n, err := strconv.ParseUint(text, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			v.Overflow = true
		}
		// Spelling errors were reported by the scanner.
	}
	v.Int = n
	if v.Neg && n == 0 {
		v.Neg = false
	}
	return v
}
