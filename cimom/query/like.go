package query

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
)

// likePattern translates the LIKE pattern of dialect d into a Go regular expression
// that must match the whole string, and compiles it once, at parse time.
//
//   - WQL (as WMI defines it): % any run of characters, _ one character, [abc] [a-z]
//     one character of the set, [^abc] one character outside it; nothing else is
//     special.
//   - CQL (DSP0202 basic regular expression): . any character, * zero or more of
//     the character before it, \ escapes the next character.
//   - FQL (the DSP1001 regular expression that DSP0212 uses): . any character,
//     [abc] a character of the set and [abc]^ one outside it, the multipliers * + ?
//     {m,n}, groups ( ), choices |, anchors ^ $ and \ escapes. Matching is of the
//     whole string, as Pegasus does.
func likePattern(d dialect, pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^(?:`)
	var err error
	switch d {
	case wql:
		err = wqlLike(&b, pat)
	case cql:
		err = cqlLike(&b, pat)
	default:
		err = fqlLike(&b, pat)
	}
	if err != nil {
		return nil, err
	}
	b.WriteString(`)$`)
	tree, err := syntax.Parse(b.String(), syntax.Perl)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, errors.New(se.Code.String())
		}
		return nil, err
	}
	// Counted repetitions multiply a program's size: bound it, so that a filter
	// cannot make the server compile a huge automaton.
	if regexSize(tree) > maxPatternSize {
		return nil, errors.New("pattern too complex")
	}
	return regexp.Compile(b.String())
}

// maxPatternSize bounds the estimated number of instructions of a LIKE pattern.
const maxPatternSize = 20000

// regexSize estimates the number of instructions re compiles to, saturating just
// above maxPatternSize.
func regexSize(re *syntax.Regexp) int {
	n := 1
	switch re.Op {
	case syntax.OpLiteral:
		n = len(re.Rune)
	case syntax.OpRepeat:
		times := re.Max
		if times < 0 {
			times = re.Min + 1
		}
		n = 1 + regexSize(re.Sub[0])*max(times, 1)
	default:
		for _, sub := range re.Sub {
			n += regexSize(sub) + 1
		}
	}
	return min(n, maxPatternSize+1)
}

// classChar writes r for use inside a Go character class.
func classChar(b *strings.Builder, r rune) {
	switch r {
	case '\\', ']', '[', '^', '-':
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}

func wqlLike(b *strings.Builder, pat string) error {
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			b.WriteByte('[')
			if j < len(rs) && rs[j] == '^' {
				b.WriteByte('^')
				j++
			}
			start := j
			for ; j < len(rs) && (rs[j] != ']' || j == start); j++ {
				if rs[j] == '-' && j > start && j+1 < len(rs) && rs[j+1] != ']' {
					if rs[j+1] < rs[j-1] {
						return errors.New("invalid character range in a [ ] set")
					}
					b.WriteByte('-')
					continue
				}
				classChar(b, rs[j])
			}
			if j >= len(rs) {
				return errors.New("missing ] in the pattern")
			}
			b.WriteByte(']')
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return nil
}

func cqlLike(b *strings.Builder, pat string) error {
	rs := []rune(pat)
	prev := false // whether an item precedes, for *
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '.':
			b.WriteByte('.')
			prev = true
		case '*':
			if !prev {
				return errors.New("* must follow a character")
			}
			b.WriteByte('*')
			prev = false
		case '\\':
			if i+1 >= len(rs) {
				return errors.New("\\ at the end of the pattern")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
			prev = true
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
			prev = true
		}
	}
	return nil
}

func fqlLike(b *strings.Builder, pat string) error {
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '\\':
			if i+1 >= len(rs) {
				return errors.New("\\ at the end of the pattern")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '.', '*', '+', '?', '(', ')', '|', '^', '$':
			b.WriteRune(r)
		case '{':
			j := i + 1
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == ',') {
				j++
			}
			if j >= len(rs) || rs[j] != '}' || j == i+1 || rs[i+1] == ',' || strings.Count(string(rs[i+1:j]), ",") > 1 {
				return errors.New("malformed {m,n} multiplier")
			}
			b.WriteString(string(rs[i : j+1]))
			i = j
		case '[':
			j := i + 1
			var set strings.Builder
			for ; j < len(rs) && rs[j] != ']'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				classChar(&set, rs[j])
			}
			if j >= len(rs) {
				return errors.New("missing ] in the pattern")
			}
			if set.Len() == 0 {
				return errors.New("empty [ ] set")
			}
			// DSP1001 negates a set with a caret after the closing bracket.
			if j+1 < len(rs) && rs[j+1] == '^' {
				b.WriteString("[^")
				j++
			} else {
				b.WriteByte('[')
			}
			b.WriteString(set.String())
			b.WriteByte(']')
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return nil
}
