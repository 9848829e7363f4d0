package mof

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrorHandler receives the scanner's errors; the scanner goes on after each.
type ErrorHandler func(pos Pos, msg string)

// Scanner turns MOF source into tokens. Use Init, then call Scan until it returns EOF.
type Scanner struct {
	file *SourceFile
	src  string
	err  ErrorHandler

	off int // offset of the next unread byte

	// ErrorCount counts the errors reported.
	ErrorCount int
	buf        []byte
}

// Init prepares s to scan src, the content of file f; err (may be nil) receives the
// errors.
func (s *Scanner) Init(f *SourceFile, src string, err ErrorHandler) {
	s.file, s.src, s.err = f, src, err
	s.off = 0
	s.ErrorCount = 0
	if strings.HasPrefix(src, "\uFEFF") {
		s.off = 3
	}
}

func (s *Scanner) error(off int, msg string) {
	s.ErrorCount++
	if s.err != nil {
		s.err(s.file.Pos(off), msg)
	}
}

// Scan returns the next token, its position and its literal: the name of an IDENT or
// ALIAS, the text of an INT or REAL, the decoded value of a STRING or CHAR.
func (s *Scanner) Scan() (pos Pos, tok Token, lit string) {
again:
	s.skipSpace()
	start := s.off
	pos = s.file.Pos(start)
	if s.off >= len(s.src) {
		return pos, EOF, ""
	}
	c := s.src[s.off]
	switch {
	case isLetter(c):
		s.off++
		s.identRest()
		return pos, IDENT, s.src[start:s.off]
	case c >= utf8.RuneSelf:
		r, n := utf8.DecodeRuneInString(s.src[s.off:])
		if unicode.IsLetter(r) {
			s.off += n
			s.identRest()
			return pos, IDENT, s.src[start:s.off]
		}
		s.off += n
		s.error(start, "illegal character "+quoteRune(r))
		return pos, ILLEGAL, s.src[start:s.off]
	case isDigit(c) || c == '.' && s.peekDigit(1) || (c == '-' || c == '+') && (s.peekDigit(1) || s.peek(1) == '.' && s.peekDigit(2)):
		return s.number(pos)
	}
	s.off++
	switch c {
	case '/':
		if s.peek(0) == '/' {
			for s.off < len(s.src) && s.src[s.off] != '\n' {
				s.off++
			}
			goto again
		}
		if s.peek(0) == '*' {
			end := strings.Index(s.src[s.off+1:], "*/")
			if end < 0 {
				s.off = len(s.src)
				s.error(start, "comment not terminated")
				return s.file.Pos(s.off), EOF, ""
			}
			s.off += 1 + end + 2
			goto again
		}
	case '"':
		return pos, STRING, s.stringLit(start)
	case '\'':
		return pos, CHAR, s.charLit(start)
	case '$':
		if s.off < len(s.src) && isLetter(s.src[s.off]) {
			s.identRest()
			return pos, ALIAS, s.src[start+1 : s.off]
		}
		s.error(start, "'$' must be followed by an alias name")
		return pos, ILLEGAL, "$"
	case '(':
		return pos, LPAREN, ""
	case ')':
		return pos, RPAREN, ""
	case '{':
		return pos, LBRACE, ""
	case '}':
		return pos, RBRACE, ""
	case '[':
		return pos, LBRACK, ""
	case ']':
		return pos, RBRACK, ""
	case ';':
		return pos, SEMI, ""
	case ',':
		return pos, COMMA, ""
	case ':':
		return pos, COLON, ""
	case '=':
		return pos, ASSIGN, ""
	case '#':
		return pos, HASH, ""
	}
	s.error(start, "illegal character "+quoteRune(rune(c)))
	return pos, ILLEGAL, s.src[start:s.off]
}

func (s *Scanner) skipSpace() {
	for s.off < len(s.src) {
		switch s.src[s.off] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			s.off++
		default:
			return
		}
	}
}

func (s *Scanner) peek(k int) byte {
	if s.off+k < len(s.src) {
		return s.src[s.off+k]
	}
	return 0
}

func (s *Scanner) peekDigit(k int) bool { return isDigit(s.peek(k)) }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isHex(c byte) bool    { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (s *Scanner) identRest() {
	for s.off < len(s.src) {
		c := s.src[s.off]
		if isLetter(c) || isDigit(c) {
			s.off++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s.src[s.off:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				s.off += n
				continue
			}
		}
		return
	}
}

// number scans an integer (decimal, 0x hex, 0 octal, b binary) or a real, with an
// optional sign, and checks its spelling (DSP0004 Annex A).
func (s *Scanner) number(pos Pos) (Pos, Token, string) {
	start := s.off
	if c := s.src[s.off]; c == '-' || c == '+' {
		s.off++
	}
	digits := s.off
	if s.peek(0) == '0' && (s.peek(1) == 'x' || s.peek(1) == 'X') {
		s.off += 2
		h := s.off
		for s.off < len(s.src) && isHex(s.src[s.off]) {
			s.off++
		}
		if s.off == h {
			s.error(start, "hexadecimal literal has no digits")
		}
		s.checkEnd(start)
		return pos, INT, s.src[start:s.off]
	}
	for s.off < len(s.src) && isDigit(s.src[s.off]) {
		s.off++
	}
	if s.peek(0) == '.' && s.peekDigit(1) {
		s.off++
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.off++
		}
		if c := s.peek(0); c == 'e' || c == 'E' {
			e := s.off
			s.off++
			if c := s.peek(0); c == '+' || c == '-' {
				s.off++
			}
			if !s.peekDigit(0) {
				s.off = e + 1
				s.error(start, "exponent has no digits")
			}
			for s.off < len(s.src) && isDigit(s.src[s.off]) {
				s.off++
			}
		}
		s.checkEnd(start)
		return pos, REAL, s.src[start:s.off]
	}
	text := s.src[digits:s.off]
	if c := s.peek(0); c == 'b' || c == 'B' {
		s.off++
		if strings.Trim(text, "01") != "" {
			s.error(start, "invalid binary literal "+s.src[start:s.off])
		}
		s.checkEnd(start)
		return pos, INT, s.src[start:s.off]
	}
	if len(text) > 1 && text[0] == '0' && strings.Trim(text, "01234567") != "" {
		s.error(start, "invalid octal literal "+s.src[start:s.off])
	}
	s.checkEnd(start)
	return pos, INT, s.src[start:s.off]
}

// checkEnd reports a number that runs straight into letters, such as 12abc.
func (s *Scanner) checkEnd(start int) {
	if s.off < len(s.src) && (isLetter(s.src[s.off]) || isDigit(s.src[s.off])) {
		end := s.off
		for end < len(s.src) && (isLetter(s.src[end]) || isDigit(s.src[end])) {
			end++
		}
		s.error(start, "invalid number "+s.src[start:end])
		s.off = end
	}
}

// stringLit scans a string literal whose opening quote is at start and returns the
// decoded text; the text is a substring of the source when it has no escapes.
func (s *Scanner) stringLit(start int) string {
	i := s.off
	for i < len(s.src) {
		c := s.src[i]
		if c == '"' {
			s.off = i + 1
			return s.src[start+1 : i]
		}
		if c == '\\' || c == '\n' {
			break
		}
		i++
	}
	s.buf = append(s.buf[:0], s.src[start+1:i]...)
	s.off = i
	for {
		if s.off >= len(s.src) || s.src[s.off] == '\n' {
			s.error(start, "string literal not terminated")
			return string(s.buf)
		}
		c := s.src[s.off]
		if c == '"' {
			s.off++
			return string(s.buf)
		}
		if c == '\\' {
			s.escape(start)
			continue
		}
		s.buf = append(s.buf, c)
		s.off++
	}
}

// escape decodes one escape sequence at s.off into s.buf; errors are reported at
// lit, the start of the literal.
func (s *Scanner) escape(lit int) {
	at := lit
	s.off++ // backslash
	if s.off >= len(s.src) {
		s.error(at, "escape sequence not terminated")
		return
	}
	c := s.src[s.off]
	s.off++
	switch c {
	case 'b':
		s.buf = append(s.buf, '\b')
	case 't':
		s.buf = append(s.buf, '\t')
	case 'n':
		s.buf = append(s.buf, '\n')
	case 'f':
		s.buf = append(s.buf, '\f')
	case 'r':
		s.buf = append(s.buf, '\r')
	case '"', '\'', '\\':
		s.buf = append(s.buf, c)
	case 'x', 'X':
		v, n := 0, 0
		for n < 4 && s.off < len(s.src) && isHex(s.src[s.off]) {
			v = v<<4 | hexVal(s.src[s.off])
			s.off++
			n++
		}
		if n == 0 {
			s.error(at, "escape sequence \\"+string(c)+" needs 1 to 4 hexadecimal digits")
			return
		}
		s.buf = utf8.AppendRune(s.buf, rune(v))
	default:
		s.off--
		r, n := utf8.DecodeRuneInString(s.src[s.off:])
		s.off += n
		s.error(at, "unknown escape sequence \\"+string(r))
	}
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// charLit scans a char16 literal whose opening quote is at start.
func (s *Scanner) charLit(start int) string {
	s.buf = s.buf[:0]
	for {
		if s.off >= len(s.src) || s.src[s.off] == '\n' {
			s.error(start, "char16 literal not terminated")
			return string(s.buf)
		}
		c := s.src[s.off]
		if c == '\'' {
			s.off++
			break
		}
		if c == '\\' {
			s.escape(start)
			continue
		}
		s.buf = append(s.buf, c)
		s.off++
	}
	if n := utf8.RuneCount(s.buf); n != 1 {
		s.error(start, "char16 literal must hold exactly one character")
	}
	return string(s.buf)
}

func quoteRune(r rune) string {
	if r < ' ' || r == 0x7f {
		return fmt.Sprintf("%U", r)
	}
	return "'" + string(r) + "'"
}
