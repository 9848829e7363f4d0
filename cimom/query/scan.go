package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// dialect is one of the three languages; the scanner and the parser differ only
// in a few spellings, listed in doc.go.
type dialect uint8

const (
	wql dialect = iota
	cql
	fql
)

// String returns the language's name as clients write it.
func (d dialect) String() string {
	switch d {
	case cql:
		return "DMTF:CQL"
	case fql:
		return "DMTF:FQL"
	}
	return "WQL"
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt  // unsigned magnitude in tok.u
	tReal // tok.f
	tEQ
	tNE
	tLT
	tLE
	tGT
	tGE
	tLParen
	tRParen
	tLBrack
	tRBrack
	tLBrace
	tRBrace
	tComma
	tDot
	tStar
	tPlus
	tMinus
	tScope // "::", CQL
)

var tokNames = [...]string{
	tEOF: "end of query", tIdent: "name", tString: "string", tInt: "integer", tReal: "real number",
	tEQ: `"="`, tNE: `"<>"`, tLT: `"<"`, tLE: `"<="`, tGT: `">"`, tGE: `">="`,
	tLParen: `"("`, tRParen: `")"`, tLBrack: `"["`, tRBrack: `"]"`, tLBrace: `"{"`, tRBrace: `"}"`,
	tComma: `","`, tDot: `"."`, tStar: `"*"`, tPlus: `"+"`, tMinus: `"-"`,
	tScope: `"::"`,
}

// token is one lexical token; pos is its byte offset in the query text.
type token struct {
	kind tokKind
	pos  int
	text string // identifier, decoded string, or the source text of other tokens
	u    uint64
	f    float64
}

func (t token) describe() string {
	switch t.kind {
	case tIdent:
		return fmt.Sprintf("%q", t.text)
	case tString:
		return fmt.Sprintf("string '%s'", t.text)
	case tInt, tReal:
		return fmt.Sprintf("number %s", t.text)
	}
	return tokNames[t.kind]
}

// SyntaxError says where a query text is malformed. Line and Column are 1-based;
// Column counts characters (runes). It is the Err of the *cim.Error that Parse and
// ParseFilter return for a malformed query.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

// Error returns "column C: message", with the line first for a query of several
// lines.
func (e *SyntaxError) Error() string {
	if e.Line > 1 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
}

// position turns a byte offset of src into a 1-based line and rune column.
func position(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line = 1 + strings.Count(src[:off], "\n")
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return line, utf8.RuneCountInString(src[start:off]) + 1
}

// scanner splits a query into tokens. It stops at the first error.
type scanner struct {
	src string
	off int
	d   dialect
}

// bail carries a syntax error up through the recursive descent; the entry points
// recover it, so it never leaves the package.
type bail struct{ err *SyntaxError }

func (s *scanner) fail(off int, format string, args ...any) {
	line, col := position(s.src, off)
	panic(bail{&SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}})
}

func isIdentStart(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 && r != utf8.RuneError
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) next() token {
	for s.off < len(s.src) {
		c := s.src[s.off]
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		s.off++
	}
	start := s.off
	if s.off >= len(s.src) {
		return token{kind: tEOF, pos: start}
	}
	c := s.src[s.off]
	one := func(k tokKind) token {
		s.off++
		return token{kind: k, pos: start, text: s.src[start:s.off]}
	}
	switch c {
	case '=':
		return one(tEQ)
	case '<':
		if s.peekByte(1) == '=' {
			s.off++
			return one(tLE)
		}
		if s.peekByte(1) == '>' {
			s.off++
			return one(tNE)
		}
		return one(tLT)
	case '>':
		if s.peekByte(1) == '=' {
			s.off++
			return one(tGE)
		}
		return one(tGT)
	case '!':
		if s.peekByte(1) == '=' {
			if s.d != wql {
				s.fail(start, `"!=" is not %s: write "<>"`, s.d)
			}
			s.off++
			return one(tNE)
		}
		s.fail(start, `unexpected character '!'`)
	case '(':
		return one(tLParen)
	case ')':
		return one(tRParen)
	case '[':
		return one(tLBrack)
	case ']':
		return one(tRBrack)
	case '{':
		return one(tLBrace)
	case '}':
		return one(tRBrace)
	case ',':
		return one(tComma)
	case '*':
		return one(tStar)
	case '+':
		return one(tPlus)
	case '-':
		return one(tMinus)
	case ':':
		if s.d == cql && s.peekByte(1) == ':' {
			s.off++
			return one(tScope)
		}
		s.fail(start, "unexpected character ':'")
	case '.':
		if isDigit(s.peekByte(1)) {
			return s.number()
		}
		return one(tDot)
	case '\'':
		return s.str('\'')
	case '"':
		if s.d != wql {
			s.fail(start, "strings are in single quotes in %s", s.d)
		}
		return s.str('"')
	}
	if isDigit(c) {
		return s.number()
	}
	r, size := utf8.DecodeRuneInString(s.src[s.off:])
	if isIdentStart(r) {
		s.off += size
		for s.off < len(s.src) {
			r, size = utf8.DecodeRuneInString(s.src[s.off:])
			if !isIdentStart(r) && (r < '0' || r > '9') {
				break
			}
			s.off += size
		}
		return token{kind: tIdent, pos: start, text: s.src[start:s.off]}
	}
	if r == utf8.RuneError {
		s.fail(start, "invalid UTF-8")
	}
	s.fail(start, "unexpected character %q", r)
	panic("unreachable")
}

func (s *scanner) peekByte(n int) byte {
	if s.off+n < len(s.src) {
		return s.src[s.off+n]
	}
	return 0
}

// number scans a decimal or hexadecimal integer, a binary integer ("101B", CQL and
// FQL) or a real ("1.5", ".5", "1e3"). Signs are tokens of their own.
func (s *scanner) number() token {
	start := s.off
	src := s.src
	i := s.off
	if src[i] == '0' && i+1 < len(src) && (src[i+1] == 'x' || src[i+1] == 'X') {
		i += 2
		for i < len(src) && isHex(src[i]) {
			i++
		}
		if i == start+2 {
			s.fail(start, "hexadecimal number without digits")
		}
		s.off = i
		s.noIdentAfter(start)
		u, err := strconv.ParseUint(src[start+2:i], 16, 64)
		if err != nil {
			s.fail(start, "number %s out of range", src[start:i])
		}
		return token{kind: tInt, pos: start, text: src[start:i], u: u}
	}
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	real := false
	if i < len(src) && src[i] == '.' && i+1 < len(src) && isDigit(src[i+1]) {
		real = true
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			real = true
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	if !real && s.d != wql && i < len(src) && (src[i] == 'b' || src[i] == 'B') &&
		strings.Trim(src[start:i], "01") == "" {
		s.off = i + 1
		s.noIdentAfter(start)
		u, err := strconv.ParseUint(src[start:i], 2, 64)
		if err != nil {
			s.fail(start, "number %s out of range", src[start:s.off])
		}
		return token{kind: tInt, pos: start, text: src[start:s.off], u: u}
	}
	s.off = i
	s.noIdentAfter(start)
	text := src[start:i]
	if real {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			s.fail(start, "number %s out of range", text)
		}
		return token{kind: tReal, pos: start, text: text, f: f}
	}
	u, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		s.fail(start, "number %s out of range", text)
	}
	return token{kind: tInt, pos: start, text: text, u: u}
}

// noIdentAfter rejects "123abc": a number must not run into a name.
func (s *scanner) noIdentAfter(start int) {
	if s.off < len(s.src) {
		r, _ := utf8.DecodeRuneInString(s.src[s.off:])
		if isIdentStart(r) || r >= '0' && r <= '9' || r == '.' {
			s.fail(start, "malformed number: %q runs into %q", s.src[start:s.off], r)
		}
	}
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// str scans a string literal in quote q. A doubled quote stands for one quote (SQL);
// a backslash escapes \\ \' \" and b t n f r, and \uXXXX (1 to 6 hex digits,
// DSP0212/DSP0004) or \xXXXX a character by its code; before any other character
// it stays a backslash.
func (s *scanner) str(q byte) token {
	start := s.off
	s.off++
	var b strings.Builder
	for {
		if s.off >= len(s.src) {
			s.fail(start, "unterminated string")
		}
		c := s.src[s.off]
		switch {
		case c == q:
			if s.peekByte(1) == q {
				b.WriteByte(q)
				s.off += 2
				continue
			}
			s.off++
			return token{kind: tString, pos: start, text: b.String()}
		case c == '\\':
			esc := s.peekByte(1)
			switch esc {
			case '\\', '\'', '"':
				b.WriteByte(esc)
			case 'b':
				b.WriteByte('\b')
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'f':
				b.WriteByte('\f')
			case 'r':
				b.WriteByte('\r')
			case 'u', 'x', 'U', 'X':
				j := s.off + 2
				for j < len(s.src) && j < s.off+8 && isHex(s.src[j]) {
					j++
				}
				if j-(s.off+2) < 1 {
					s.fail(s.off, "escape \\%c without hex digits", esc)
				}
				n, _ := strconv.ParseUint(s.src[s.off+2:j], 16, 32)
				if n > utf8.MaxRune || n >= 0xD800 && n < 0xE000 {
					s.fail(s.off, "escape %s is not a character", s.src[s.off:j])
				}
				b.WriteRune(rune(n))
				s.off = j
				continue
			default:
				// Kept as written, so that a LIKE pattern's "\." reaches the
				// regular expression.
				b.WriteByte('\\')
				s.off++
				continue
			}
			s.off += 2
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s.src[s.off:])
			if r == utf8.RuneError && size == 1 {
				s.fail(s.off, "invalid UTF-8 in a string")
			}
			b.WriteString(s.src[s.off : s.off+size])
			s.off += size
		default:
			b.WriteByte(c)
			s.off++
		}
	}
}
