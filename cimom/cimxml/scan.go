package cimxml

import (
	"strings"
	"unicode/utf8"
)

// This file is a small, strict XML 1.0 parser for request bodies. It builds a tree
// of the elements whose names, attribute values and texts are substrings of the
// input where no entity had to be decoded, so that a typical request costs a few
// allocations. encoding/xml is about ten times slower on a GetClass request and
// accepts things XML forbids (it is not a validating or strict parser by default).

// maxDepth bounds element nesting; the deepest CIM-XML request structures are about
// fifteen levels, embedded objects are parsed separately.
const maxDepth = 64

// maxAttrs bounds the attributes of one element.
const maxAttrs = 32

type attr struct{ name, value string }

// node is one element.
type node struct {
	name  string
	attrs []attr
	text  string // character data, while the element has no child elements
	off   int    // byte offset of '<' in the source, for line numbers
	nonWS bool   // non-whitespace character data next to child elements
	first *node
	last  *node
	next  *node
}

// attr returns the value of attribute name and whether it is present.
func (n *node) attr(name string) (string, bool) {
	for i := range n.attrs {
		if n.attrs[i].name == name {
			return n.attrs[i].value, true
		}
	}
	return "", false
}

type scanner struct {
	src   string
	pos   int
	nodes []node // current block of the node arena
	attrs []attr
	err   *ProtocolError

	textNode *node  // the node whose text is being collected in textBuf
	textBuf  []byte // pieces of text of textNode
}

func (s *scanner) newNode() *node {
	if len(s.nodes) == 0 {
		// Small requests fit the first block; bigger ones get bigger blocks.
		n := 16
		if s.pos > 2048 {
			n = 128
		}
		s.nodes = make([]node, n)
	}
	n := &s.nodes[0]
	s.nodes = s.nodes[1:]
	return n
}

// line returns the 1-based line of byte offset off.
func line(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return strings.Count(src[:off], "\n") + 1
}

func (s *scanner) fail(off int, format string, args ...any) *node {
	if s.err == nil {
		s.err = notWellFormed(line(s.src, off), format, args...)
	}
	return nil
}

// parse parses a whole document and returns its root element, or a *ProtocolError.
func parse(src string) (*node, *ProtocolError) {
	if err := checkChars(src); err != nil {
		return nil, err
	}
	s := &scanner{src: src, attrs: make([]attr, 0, 16+len(src)/64)}
	root := s.document()
	if s.err != nil {
		return nil, s.err
	}
	return root, nil
}

// checkChars checks that src is UTF-8 made of XML characters (XML 1.0 §2.2).
func checkChars(src string) *ProtocolError {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return notWellFormed(line(src, i), "character U+%04X is not allowed in XML", c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		if r == utf8.RuneError && size == 1 {
			return notWellFormed(line(src, i), "invalid UTF-8 at byte %d", i)
		}
		if r == 0xFFFE || r == 0xFFFF {
			return notWellFormed(line(src, i), "character U+%04X is not allowed in XML", r)
		}
		i += size
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWS(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameChar(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func (s *scanner) name() string {
	start := s.pos
	if s.pos >= len(s.src) || !isNameStart(s.src[s.pos]) {
		s.fail(s.pos, "expected a name")
		return ""
	}
	s.pos++
	for s.pos < len(s.src) && isNameChar(s.src[s.pos]) {
		s.pos++
	}
	return s.src[start:s.pos]
}

// document: XMLDecl? Misc* element Misc*.
func (s *scanner) document() *node {
	if strings.HasPrefix(s.src, "\uFEFF") {
		s.pos = 3
	}
	if strings.HasPrefix(s.src[s.pos:], "<?xml") && len(s.src) > s.pos+5 && isSpace(s.src[s.pos+5]) {
		s.xmlDecl()
	}
	var root *node
	for s.err == nil {
		s.skipSpace()
		if s.pos >= len(s.src) {
			break
		}
		if s.src[s.pos] != '<' {
			return s.fail(s.pos, "character data outside the root element")
		}
		rest := s.src[s.pos:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			s.comment()
		case strings.HasPrefix(rest, "<?"):
			s.pi()
		case strings.HasPrefix(rest, "<!DOCTYPE"):
			if s.err == nil {
				s.err = notValid(line(s.src, s.pos), "a DOCTYPE is not allowed in a CIM-XML request")
			}
			return nil
		default:
			if root != nil {
				return s.fail(s.pos, "more than one root element")
			}
			root = s.element()
		}
	}
	if s.err == nil && root == nil {
		return s.fail(s.pos, "no root element")
	}
	return root
}

// xmlDecl parses <?xml version="1.0" encoding="..." standalone="..."?>.
func (s *scanner) xmlDecl() {
	start := s.pos
	s.pos += 5
	seen := 0
	for s.err == nil {
		s.skipSpace()
		if strings.HasPrefix(s.src[s.pos:], "?>") {
			s.pos += 2
			break
		}
		n := s.name()
		if s.err != nil {
			return
		}
		v := s.attrValue()
		if s.err != nil {
			return
		}
		switch {
		case n == "version" && seen == 0:
			if !strings.HasPrefix(v, "1.") {
				s.fail(start, "unsupported XML version %q", v)
				return
			}
			seen = 1
		case n == "encoding" && seen == 1:
			switch strings.ToLower(v) {
			case "utf-8", "utf8", "us-ascii", "ascii":
			default:
				if s.err == nil {
					s.err = notValid(line(s.src, start), "unsupported encoding %q: requests must be UTF-8", v)
				}
				return
			}
			seen = 2
		case n == "standalone" && seen >= 1 && seen < 3:
			if v != "yes" && v != "no" {
				s.fail(start, "invalid standalone value %q", v)
				return
			}
			seen = 3
		default:
			s.fail(start, "invalid XML declaration")
			return
		}
	}
	if seen == 0 && s.err == nil {
		s.fail(start, "XML declaration without version")
	}
}

func (s *scanner) comment() {
	start := s.pos
	end := strings.Index(s.src[s.pos+4:], "--")
	if end < 0 {
		s.fail(start, "unterminated comment")
		return
	}
	end += s.pos + 4
	if !strings.HasPrefix(s.src[end:], "-->") {
		s.fail(end, "'--' inside a comment")
		return
	}
	s.pos = end + 3
}

func (s *scanner) pi() {
	start := s.pos
	s.pos += 2
	target := s.name()
	if s.err != nil {
		return
	}
	if strings.EqualFold(target, "xml") {
		s.fail(start, "XML declaration not at the start of the document")
		return
	}
	end := strings.Index(s.src[s.pos:], "?>")
	if end < 0 {
		s.fail(start, "unterminated processing instruction")
		return
	}
	if end > 0 && !isSpace(s.src[s.pos]) {
		s.fail(start, "invalid processing instruction")
		return
	}
	s.pos += end + 2
}

// attrValue parses = "value" and returns the normalised value.
func (s *scanner) attrValue() string {
	s.skipSpace()
	if s.pos >= len(s.src) || s.src[s.pos] != '=' {
		s.fail(s.pos, "expected '=' after an attribute name")
		return ""
	}
	s.pos++
	s.skipSpace()
	if s.pos >= len(s.src) || (s.src[s.pos] != '"' && s.src[s.pos] != '\'') {
		s.fail(s.pos, "expected a quoted attribute value")
		return ""
	}
	q := s.src[s.pos]
	s.pos++
	start := s.pos
	end := strings.IndexByte(s.src[start:], q)
	if end < 0 {
		s.fail(start, "unterminated attribute value")
		return ""
	}
	raw := s.src[start : start+end]
	s.pos = start + end + 1
	if strings.IndexByte(raw, '<') >= 0 {
		s.fail(start, "'<' in an attribute value")
		return ""
	}
	if !hasAny(raw, '&', '\t', '\n', '\r') {
		return raw
	}
	return s.decodeText(raw, start, true)
}

// decodeText replaces entity and character references and normalises line ends
// (and, in attribute values, white space: XML 1.0 §3.3.3).
func (s *scanner) decodeText(raw string, off int, inAttr bool) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			if inAttr {
				b.WriteByte(' ')
			} else {
				b.WriteByte('\n')
			}
		case '\t', '\n':
			if inAttr {
				b.WriteByte(' ')
			} else {
				b.WriteByte(c)
			}
		case '&':
			semi := strings.IndexByte(raw[i:], ';')
			if semi < 0 {
				s.fail(off+i, "'&' without ';'")
				return ""
			}
			ref := raw[i+1 : i+semi]
			if !s.writeRef(&b, ref, off+i) {
				return ""
			}
			i += semi
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (s *scanner) writeRef(b *strings.Builder, ref string, off int) bool {
	switch ref {
	case "amp":
		b.WriteByte('&')
	case "lt":
		b.WriteByte('<')
	case "gt":
		b.WriteByte('>')
	case "quot":
		b.WriteByte('"')
	case "apos":
		b.WriteByte('\'')
	default:
		if len(ref) < 2 || ref[0] != '#' {
			s.fail(off, "unknown entity &%s;", ref)
			return false
		}
		digits, base := ref[1:], 10
		if digits[0] == 'x' {
			digits, base = digits[1:], 16
		}
		if digits == "" || len(digits) > 8 {
			s.fail(off, "invalid character reference &%s;", ref)
			return false
		}
		r := 0
		for j := 0; j < len(digits); j++ {
			d := digitVal(digits[j])
			if d >= base {
				s.fail(off, "invalid character reference &%s;", ref)
				return false
			}
			r = r*base + d
		}
		if !isXMLChar(rune(r)) {
			s.fail(off, "character reference &%s; to a character XML does not allow", ref)
			return false
		}
		b.WriteRune(rune(r))
	}
	return true
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// isXMLChar reports whether r is a Char of XML 1.0 §2.2.
func isXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return r <= 0x10FFFF
}

// element parses an element whose '<' is at s.pos, iteratively.
func (s *scanner) element() *node {
	var stack [maxDepth]*node
	depth := 0
	var root *node
	for s.err == nil {
		// At '<' of a start tag.
		n := s.newNode()
		n.off = s.pos
		s.pos++
		n.name = s.name()
		if s.err != nil {
			return nil
		}
		start := len(s.attrs)
		selfClosing := false
		for s.err == nil {
			hadSpace := s.pos < len(s.src) && isSpace(s.src[s.pos])
			s.skipSpace()
			if s.pos >= len(s.src) {
				return s.fail(n.off, "unterminated start tag <%s", n.name)
			}
			if c := s.src[s.pos]; c == '>' {
				s.pos++
				break
			} else if c == '/' {
				if !strings.HasPrefix(s.src[s.pos:], "/>") {
					return s.fail(s.pos, "expected '/>'")
				}
				s.pos += 2
				selfClosing = true
				break
			}
			if !hadSpace {
				return s.fail(s.pos, "expected white space before an attribute")
			}
			an := s.name()
			if s.err != nil {
				return nil
			}
			if len(s.attrs)-start >= maxAttrs {
				// No CIM-XML element has more than a handful; this keeps the
				// duplicate check below from going quadratic.
				if s.err == nil {
					s.err = notValid(line(s.src, n.off), "<%s> has more than %d attributes", n.name, maxAttrs)
				}
				return nil
			}
			av := s.attrValue()
			for _, a := range s.attrs[start:] {
				if a.name == an {
					return s.fail(n.off, "attribute %s given twice", an)
				}
			}
			s.attrs = append(s.attrs, attr{an, av})
		}
		if s.err != nil {
			return nil
		}
		if len(s.attrs) > start {
			n.attrs = s.attrs[start:len(s.attrs):len(s.attrs)]
		}
		if depth > 0 {
			p := stack[depth-1]
			if p.first == nil {
				p.first = n
				if s.textNode == p {
					s.flushText()
				}
				if !isWS(p.text) {
					p.nonWS = true
				}
				p.text = ""
			} else {
				p.last.next = n
			}
			p.last = n
		} else {
			root = n
		}
		if !selfClosing {
			if depth == maxDepth {
				if s.err == nil {
					s.err = notValid(line(s.src, n.off), "elements nested deeper than %d", maxDepth)
				}
				return nil
			}
			stack[depth] = n
			depth++
		}
		// Content up to the next start tag, or the end of the root.
		for s.err == nil {
			if depth == 0 {
				return root
			}
			cur := stack[depth-1]
			lt := strings.IndexByte(s.src[s.pos:], '<')
			if lt < 0 {
				return s.fail(cur.off, "element <%s> is not closed", cur.name)
			}
			if lt > 0 {
				s.text(cur, s.src[s.pos:s.pos+lt], s.pos)
				s.pos += lt
				if s.err != nil {
					return nil
				}
			}
			rest := s.src[s.pos:]
			switch {
			case strings.HasPrefix(rest, "</"):
				s.pos += 2
				nm := s.name()
				if s.err != nil {
					return nil
				}
				if nm != cur.name {
					return s.fail(s.pos, "end tag </%s> does not match <%s>", nm, cur.name)
				}
				if s.textNode == cur {
					s.flushText()
				}
				s.skipSpace()
				if s.pos >= len(s.src) || s.src[s.pos] != '>' {
					return s.fail(s.pos, "expected '>'")
				}
				s.pos++
				depth--
				continue
			case strings.HasPrefix(rest, "<!--"):
				s.comment()
				continue
			case strings.HasPrefix(rest, "<![CDATA["):
				end := strings.Index(rest[9:], "]]>")
				if end < 0 {
					return s.fail(s.pos, "unterminated CDATA section")
				}
				s.appendText(cur, normalizeEOL(rest[9:9+end]))
				s.pos += 9 + end + 3
				continue
			case strings.HasPrefix(rest, "<?"):
				s.pi()
				continue
			case strings.HasPrefix(rest, "<!"):
				return s.fail(s.pos, "unexpected markup declaration")
			}
			break // a start tag
		}
	}
	return nil
}

func normalizeEOL(t string) string {
	if strings.IndexByte(t, '\r') < 0 {
		return t
	}
	t = strings.ReplaceAll(t, "\r\n", "\n")
	return strings.ReplaceAll(t, "\r", "\n")
}

// text handles a run of character data in element n.
func (s *scanner) text(n *node, raw string, off int) {
	if strings.Contains(raw, "]]>") {
		s.fail(off, "']]>' in character data")
		return
	}
	if n.first != nil {
		// Element content: only white space is allowed; decode to check entities.
		if !isWS(raw) {
			n.nonWS = true
			if strings.IndexByte(raw, '&') >= 0 {
				s.decodeText(raw, off, false)
			}
		}
		return
	}
	if hasAny(raw, '&', '\r', '\r', '\r') {
		raw = s.decodeText(raw, off, false)
	}
	s.appendText(n, raw)
}

func (s *scanner) appendText(n *node, t string) {
	if n.first != nil {
		if !isWS(t) {
			n.nonWS = true
		}
		return
	}
	switch {
	case t == "":
	case n.text == "" && s.textNode != n:
		n.text = t
	case s.textNode == n:
		s.textBuf = append(s.textBuf, t...)
	default:
		// A second piece (text around a comment or CDATA section): collect the
		// pieces in one buffer rather than concatenating each time.
		s.flushText()
		s.textNode = n
		s.textBuf = append(append(s.textBuf[:0], n.text...), t...)
	}
}

// flushText stores the collected pieces of text in their node.
func (s *scanner) flushText() {
	if s.textNode != nil {
		s.textNode.text = string(s.textBuf)
		s.textNode = nil
	}
}

// hasAny reports whether s contains one of the bytes a…d (faster than
// strings.IndexAny for short strings).
func hasAny(s string, a, b, c, d byte) bool {
	for i := 0; i < len(s); i++ {
		if x := s[i]; x == a || x == b || x == c || x == d {
			return true
		}
	}
	return false
}
