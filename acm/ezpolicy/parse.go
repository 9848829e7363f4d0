package ezpolicy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input bounds of Parse, in bytes: a description of MaxWorkloads long names is about
// 8 MB.
const (
	MaxLineLen        = 64 << 10
	MaxDescriptionLen = 16 << 20
)

// Parse reads a description in the text format of README.md: one statement a line,
// '#' starting a comment.
//
//	policy example.chwall_ste.test-wld
//	org Avis
//	org CocaCola: Intranet Extranet HumanResources Payroll
//	conflict RER: PepsiCo CocaCola
//
// The description it returns has passed Validate. On a bad description it returns an
// ErrorList naming every offending line (syntax errors alone when there are any, since
// the rest would only echo them); a failure to read r is returned wrapped as it is.
func Parse(r io.Reader) (*Description, error) {
	p := parser{d: &Description{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineLen)
	line, total := 0, 0
	for sc.Scan() {
		line++
		if total += len(sc.Bytes()) + 1; total > MaxDescriptionLen {
			p.e.add(line, ErrTooLarge, "description longer than %d bytes", MaxDescriptionLen)
			break
		}
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\ufeff")) // a BOM some editors write
		}
		p.line(line, text)
	}
	if err := sc.Err(); err != nil {
		if !errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("ezpolicy: reading description: %w", err)
		}
		p.e.add(line+1, ErrSyntax, "line longer than %d bytes", MaxLineLen)
	}
	if err := p.e.err(); err != nil {
		return nil, err
	}
	if p.statements == 0 {
		return nil, ErrorList{{Msg: "empty description: no statements", Err: ErrEmpty}}
	}
	if err := p.d.Validate(); err != nil {
		return nil, err
	}
	return p.d, nil
}

// parser holds the state of one Parse.
type parser struct {
	d          *Description
	e          errs
	statements int
}

// line parses one line of the description.
func (p *parser) line(n int, raw []byte) {
	if !utf8.Valid(raw) {
		p.e.add(n, ErrSyntax, "not UTF-8 text")
		return
	}
	text := string(raw)
	if i := strings.IndexByte(text, '#'); i >= 0 {
		text = text[:i]
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	p.statements++
	keyword, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		keyword, rest = text[:i], strings.TrimSpace(text[i:])
	}
	d := p.d
	switch keyword {
	case "policy":
		if name, ok := p.one(n, keyword, rest, "a policy name"); ok && p.once(n, keyword, &d.lines.policy) {
			d.Policy = name
		}
	case "version":
		if v, ok := p.one(n, keyword, rest, "a version such as 1.0"); ok && p.once(n, keyword, &d.lines.version) {
			d.Version = v
		}
	case "date":
		if rest == "" {
			p.e.add(n, ErrSyntax, "date needs a text")
		} else if p.once(n, keyword, &d.lines.date) {
			d.Date = rest
		}
	case "url":
		if rest == "" {
			p.e.add(n, ErrSyntax, "url needs a text")
		} else if p.once(n, keyword, &d.lines.url) {
			d.URL = rest
		}
	case "from":
		f := strings.Fields(rest)
		if len(f) != 2 {
			p.e.add(n, ErrSyntax, "from needs the name and version of the policy in force: from NAME M.m")
			return
		}
		if d.From != nil {
			p.e.add(n, ErrDuplicate, "second from statement%s", firstOn(d.From.Line))
			return
		}
		d.From = &From{Policy: f[0], Version: f[1], Line: n}
	case "org":
		p.org(n, rest)
	case "conflict":
		p.conflict(n, rest)
	default:
		p.e.add(n, ErrSyntax, "unknown statement %q: want policy, version, date, url, from, org or conflict", keyword)
	}
}

// one returns the single word of a statement that takes one.
func (p *parser) one(n int, keyword, rest, what string) (string, bool) {
	f := strings.Fields(rest)
	if len(f) != 1 {
		p.e.add(n, ErrSyntax, "%s needs %s, one word", keyword, what)
		return "", false
	}
	return f[0], true
}

// once records the line of a statement that may appear once.
func (p *parser) once(n int, keyword string, line *int) bool {
	if *line != 0 {
		p.e.add(n, ErrDuplicate, "second %s statement%s", keyword, firstOn(*line))
		return false
	}
	*line = n
	return true
}

// org parses "NAME" or "NAME: DEPT DEPT…".
func (p *parser) org(n int, rest string) {
	head, tail, colon := strings.Cut(rest, ":")
	f := strings.Fields(head)
	if len(f) != 1 {
		p.e.add(n, ErrSyntax, "org needs one organisation name, then optionally ':' and its departments")
		return
	}
	o := Org{Name: f[0], Line: n}
	if colon {
		deps, ok := p.list(n, tail, "department")
		if !ok {
			return
		}
		if len(deps) == 0 {
			p.e.add(n, ErrSyntax, "no departments after ':' (leave out the ':' for an organisation without departments)")
			return
		}
		o.Departments = deps
	}
	p.d.Orgs = append(p.d.Orgs, o)
}

// conflict parses "[NAME:] MEMBER MEMBER…".
func (p *parser) conflict(n int, rest string) {
	c := Conflict{Line: n}
	if head, tail, colon := strings.Cut(rest, ":"); colon {
		f := strings.Fields(head)
		if len(f) != 1 {
			p.e.add(n, ErrSyntax, "conflict: one set name before ':', or no ':' at all")
			return
		}
		c.Name, rest = f[0], tail
	}
	members, ok := p.list(n, rest, "member")
	if !ok {
		return
	}
	if len(members) < 2 {
		p.e.add(n, ErrSyntax, "a conflict set needs at least two members (organisations or org.department)")
		return
	}
	c.Members = members
	p.d.Conflicts = append(p.d.Conflicts, c)
}

// list splits names separated by whitespace, commas or both ("A B", "A, B", "A,B").
func (p *parser) list(n int, s, what string) ([]string, bool) {
	if strings.Contains(s, ":") {
		p.e.add(n, ErrSyntax, "more than one ':'")
		return nil, false
	}
	var out []string
	parts := strings.Split(s, ",")
	for i, part := range parts {
		f := strings.Fields(part)
		if len(f) == 0 && len(parts) > 1 {
			switch i {
			case 0:
				p.e.add(n, ErrSyntax, "',' before the first %s", what)
			case len(parts) - 1:
				p.e.add(n, ErrSyntax, "',' after the last %s", what)
			default:
				p.e.add(n, ErrSyntax, "two ',' without a %s between them", what)
			}
			return nil, false
		}
		out = append(out, f...)
	}
	return out, true
}
