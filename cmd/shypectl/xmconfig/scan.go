package xmconfig

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tNewline
	tName
	tInt
	tString
	tOp // one of = [ ] ( ) , + - ;
)

type token struct {
	kind tokKind
	pos  Position
	text string // name, operator, or the decoded string
	num  int64
}

// scanner turns the source into tokens, joining lines inside brackets and
// after a backslash as Python does, and rejecting indented statements.
type scanner struct {
	src       []byte
	file      string
	off       int
	line, col int
	depth     int
	lineStart bool // no token yet on this logical line
}

func (s *scanner) pos() Position { return Position{File: s.file, Line: s.line, Col: s.col} }

func (s *scanner) errAt(p Position, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...), Err: ErrSyntax}
}

func (s *scanner) peek(n int) byte {
	if s.off+n < len(s.src) {
		return s.src[s.off+n]
	}
	return 0
}

func (s *scanner) advance() {
	if s.off >= len(s.src) {
		return
	}
	if s.src[s.off] == '\n' {
		s.line++
		s.col = 1
	} else {
		s.col++
	}
	s.off++
}

// scanAll returns every token, ending with tNewline tEOF.
func scanAll(file string, src []byte) ([]token, error) {
	s := &scanner{src: src, file: file, line: 1, col: 1, lineStart: true}
	var toks []token
	for {
		t, err := s.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tNewline && (len(toks) == 0 || toks[len(toks)-1].kind == tNewline) {
			continue // blank line
		}
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
	}
}

func (s *scanner) next() (token, error) {
	for {
		if s.off >= len(s.src) {
			p := s.pos()
			if s.depth > 0 {
				return token{}, s.errAt(p, "unexpected end of file inside brackets")
			}
			if !s.lineStart {
				s.lineStart = true
				return token{kind: tNewline, pos: p}, nil
			}
			return token{kind: tEOF, pos: p}, nil
		}
		c := s.src[s.off]
		switch {
		case c == ' ' || c == '\t' || c == '\f' || c == '\r':
			s.advance()
			continue
		case c == '#':
			for s.off < len(s.src) && s.src[s.off] != '\n' {
				s.advance()
			}
			continue
		case c == '\\':
			p := s.pos()
			s.advance()
			if s.peek(0) == '\r' {
				s.advance()
			}
			if s.peek(0) != '\n' {
				return token{}, s.errAt(p, "unexpected character after line continuation character")
			}
			s.advance()
			continue
		case c == '\n':
			p := s.pos()
			s.advance()
			if s.depth > 0 || s.lineStart {
				continue
			}
			s.lineStart = true
			return token{kind: tNewline, pos: p}, nil
		}
		p := s.pos()
		if s.lineStart && s.depth == 0 && p.Col != 1 {
			return token{}, s.errAt(p, "unexpected indent")
		}
		s.lineStart = false
		switch {
		case c == '"' || c == '\'':
			return s.scanString(p, "")
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			start := s.off
			for s.off < len(s.src) && isNameByte(s.src[s.off]) {
				s.advance()
			}
			name := string(s.src[start:s.off])
			if q := s.peek(0); (q == '"' || q == '\'') && isStringPrefix(name) {
				return s.scanString(p, strings.ToLower(name))
			}
			return token{kind: tName, pos: p, text: name}, nil
		case c >= '0' && c <= '9' || c == '.' && s.peek(1) >= '0' && s.peek(1) <= '9':
			return s.scanNumber(p)
		}
		switch c {
		case '[', '(':
			s.depth++
		case ']', ')':
			if s.depth == 0 {
				return token{}, s.errAt(p, "unmatched '%c'", c)
			}
			s.depth--
		case '=':
			if s.peek(1) == '=' {
				return token{}, s.errAt(p, "unsupported operator '=='")
			}
		case ',', '+', '-', ';':
		default:
			r, _ := utf8.DecodeRune(s.src[s.off:])
			return token{}, s.errAt(p, "invalid syntax: unexpected %q", r)
		}
		if (c == '+' || c == '-') && s.peek(1) == '=' {
			return token{}, s.errAt(p, "unsupported operator '%c='", c)
		}
		s.advance()
		return token{kind: tOp, pos: p, text: string(c)}, nil
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isStringPrefix(name string) bool {
	switch strings.ToLower(name) {
	case "r", "u", "b", "ur", "br":
		return true
	}
	return false
}

// scanNumber reads a Python 2 integer literal; floats and imaginaries are
// reported as unsupported.
func (s *scanner) scanNumber(p Position) (token, error) {
	start := s.off
	for s.off < len(s.src) && (isNameByte(s.src[s.off]) || s.src[s.off] == '.') {
		s.advance()
	}
	lit := string(s.src[start:s.off])
	body := lit
	if strings.HasSuffix(body, "l") || strings.HasSuffix(body, "L") {
		body = body[:len(body)-1]
	}
	base, digits := 10, body
	switch {
	case len(body) > 1 && (body[1] == 'x' || body[1] == 'X') && body[0] == '0':
		base, digits = 16, body[2:]
	case len(body) > 1 && (body[1] == 'o' || body[1] == 'O') && body[0] == '0':
		base, digits = 8, body[2:]
	case len(body) > 1 && (body[1] == 'b' || body[1] == 'B') && body[0] == '0':
		base, digits = 2, body[2:]
	case len(body) > 1 && body[0] == '0':
		base, digits = 8, body[1:] // Python 2: 0755 is octal
	}
	if digits == "" || strings.ContainsAny(digits, "_+-") {
		return token{}, s.errAt(p, "invalid number %q", lit)
	}
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		if strings.ContainsAny(lit, ".eEjJ") && base == 10 {
			if _, ferr := strconv.ParseFloat(strings.TrimRight(lit, "jJ"), 64); ferr == nil {
				return token{}, s.errAt(p, "floating-point number %s is not supported", lit)
			}
		}
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return token{}, s.errAt(p, "integer %s is too large", lit)
		}
		return token{}, s.errAt(p, "invalid number %q", lit)
	}
	if u > math.MaxInt64 {
		return token{}, s.errAt(p, "integer %s is too large", lit)
	}
	return token{kind: tInt, pos: p, text: lit, num: int64(u)}, nil
}

// scanString reads a quoted string starting at the quote, decoding escapes
// as Python 2 does (unknown escapes keep their backslash).
func (s *scanner) scanString(p Position, prefix string) (token, error) {
	raw := strings.Contains(prefix, "r")
	uni := strings.Contains(prefix, "u")
	q := s.src[s.off]
	triple := s.peek(1) == q && s.peek(2) == q
	if triple {
		s.advance()
		s.advance()
	}
	s.advance()
	var b strings.Builder
	for {
		if s.off >= len(s.src) {
			if triple {
				return token{}, s.errAt(p, "EOF while scanning triple-quoted string literal")
			}
			return token{}, s.errAt(p, "EOL while scanning string literal")
		}
		c := s.src[s.off]
		switch {
		case c == q && (!triple || s.peek(1) == q && s.peek(2) == q):
			s.advance()
			if triple {
				s.advance()
				s.advance()
			}
			return token{kind: tString, pos: p, text: b.String()}, nil
		case c == '\n' && !triple:
			return token{}, s.errAt(p, "EOL while scanning string literal")
		case c == '\\':
			if err := s.scanEscape(&b, raw, uni); err != nil {
				return token{}, err
			}
		default:
			b.WriteByte(c)
			s.advance()
		}
	}
}

func (s *scanner) scanEscape(b *strings.Builder, raw, uni bool) error {
	ep := s.pos()
	s.advance() // the backslash
	if s.off >= len(s.src) {
		return nil // the caller reports the unterminated string
	}
	c := s.src[s.off]
	if raw {
		// A raw string keeps the backslash; it only stops a quote or a
		// newline from ending the string.
		b.WriteByte('\\')
		b.WriteByte(c)
		s.advance()
		return nil
	}
	simple := simpleEscapes
	if r, ok := simple[c]; ok {
		b.WriteByte(r)
		s.advance()
		return nil
	}
	switch {
	case c == '\n':
		s.advance()
	case c >= '0' && c <= '7':
		v := 0
		for i := 0; i < 3 && s.off < len(s.src) && s.src[s.off] >= '0' && s.src[s.off] <= '7'; i++ {
			v = v*8 + int(s.src[s.off]-'0')
			s.advance()
		}
		writeCode(b, v&0xff, uni)
	case c == 'x' || uni && (c == 'u' || c == 'U'):
		n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
		s.advance()
		if s.off+n > len(s.src) {
			return s.errAt(ep, "truncated \\%cXX escape", c)
		}
		v, err := strconv.ParseUint(string(s.src[s.off:s.off+n]), 16, 32)
		if err != nil || v > utf8.MaxRune {
			return s.errAt(ep, "invalid \\%c escape", c)
		}
		for range n {
			s.advance()
		}
		writeCode(b, int(v), uni || c != 'x')
	default:
		b.WriteByte('\\')
		b.WriteByte(c)
		s.advance()
	}
	return nil
}

// writeCode writes a code point: a rune in a unicode string, a byte in a
// Python 2 byte string.
func writeCode(b *strings.Builder, v int, uni bool) {
	if uni {
		b.WriteRune(rune(v))
		return
	}
	b.WriteByte(byte(v))
}

// simpleEscapes are the one-character escapes of Python string literals.
var simpleEscapes = map[byte]byte{'\\': '\\', '\'': '\'', '"': '"', 'a': 7, 'b': 8, 'f': 12, 'n': '\n', 'r': '\r', 't': '\t', 'v': 11}
