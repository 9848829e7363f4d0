// Package printer writes CIM qualifier types, classes and instances as canonical MOF
// (DSP0004 2.x): one layout, values spelled one way, so that the output of a compiled
// schema can be compared with a golden file and compiled again to the same schema.
package printer

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Config controls the output. The zero value prints local definitions only, with the
// flavors every qualifier carries.
type Config struct {
	// Resolved prints each class whole: inherited properties, methods and
	// qualifiers too, each inherited element preceded by a comment naming its class
	// origin. Such output documents the resolution; it does not compile again.
	Resolved bool
	// QualifierType looks up declarations, so that a qualifier's flavors are printed
	// only where they differ from its declaration. With nil, no flavors are printed.
	QualifierType func(name string) *cim.QualifierType
}

// Printer writes MOF to a buffered writer; call Flush at the end.
type Printer struct {
	cfg Config
	w   *bufio.Writer
	err error
}

// New returns a Printer that writes to w.
func New(w io.Writer, cfg Config) *Printer {
	return &Printer{cfg: cfg, w: bufio.NewWriterSize(w, 64<<10)}
}

// Flush writes out buffered output and returns the first write error.
func (p *Printer) Flush() error {
	if err := p.w.Flush(); err != nil && p.err == nil {
		p.err = err
	}
	return p.err
}

func (p *Printer) s(s string) {
	if _, err := p.w.WriteString(s); err != nil && p.err == nil {
		p.err = err
	}
}

// Pragma writes #pragma name("value").
func (p *Printer) Pragma(name, value string) {
	p.s("#pragma " + name + "(" + Quote(value) + ")\n\n")
}

// QualifierType writes a qualifier declaration.
func (p *Printer) QualifierType(qt *cim.QualifierType) {
	p.s("Qualifier " + qt.Name + " : " + qt.Type.String())
	if qt.IsArray {
		p.s(arraySuffix(qt.ArraySize))
	}
	p.s(" = ")
	p.s(Value(qt.Default))
	p.s(",\n    Scope(" + qt.Scope.String() + ")")
	p.s(",\n    Flavor(" + qt.Flavor.String() + ");\n\n")
}

func arraySuffix(n int) string {
	if n > 0 {
		return "[" + strconv.Itoa(n) + "]"
	}
	return "[]"
}

// qualifiers writes a qualifier list followed by a line break and indent, or nothing
// when the list is empty.
func (p *Printer) qualifiers(qs cim.Qualifiers, indent string) {
	first := true
	for i := range qs {
		q := &qs[i]
		if q.Propagated && !p.cfg.Resolved {
			continue
		}
		if first {
			p.s(indent + "[")
			first = false
		} else {
			p.s(",\n" + indent + " ")
		}
		p.qualifier(q)
	}
	if !first {
		p.s("]\n")
	}
}

func (p *Printer) qualifier(q *cim.Qualifier) {
	p.s(q.Name)
	switch v := q.Value.(type) {
	case bool:
		if !v || q.IsArray {
			p.s("(" + Value(v) + ")")
		}
	case []any:
		p.s(" " + Value(v))
	case nil:
		if q.Type == cim.TypeBoolean {
			p.s("(null)")
		}
	default:
		p.s("(" + Value(v) + ")")
	}
	if p.cfg.QualifierType != nil {
		if qt := p.cfg.QualifierType(q.Name); qt != nil && qt.Flavor != q.Flavor {
			p.s(" : " + strings.ReplaceAll(q.Flavor.String(), ",", ""))
		}
	}
	if q.Propagated {
		p.s(" /* propagated */")
	}
}

// Class writes a class declaration.
func (p *Printer) Class(c *cim.Class) {
	p.qualifiers(c.Qualifiers, "")
	p.s("class " + c.Name)
	if c.SuperClass != "" {
		p.s(" : " + c.SuperClass)
	}
	p.s(" {\n")
	for i := range c.Properties {
		pr := &c.Properties[i]
		if pr.Propagated && !p.cfg.Resolved {
			continue
		}
		p.origin(c, pr.ClassOrigin, pr.Propagated)
		p.qualifiers(pr.Qualifiers, "    ")
		p.s("    " + typeName(pr.Type, pr.ReferenceClass) + " " + pr.Name)
		if pr.IsArray {
			p.s(arraySuffix(pr.ArraySize))
		}
		if pr.Value != nil {
			p.s(" = " + Value(pr.Value))
		}
		p.s(";\n")
	}
	for i := range c.Methods {
		m := &c.Methods[i]
		if m.Propagated && !p.cfg.Resolved {
			continue
		}
		p.origin(c, m.ClassOrigin, m.Propagated)
		p.qualifiers(m.Qualifiers, "    ")
		p.s("    " + m.ReturnType.String() + " " + m.Name + "(")
		for k := range m.Parameters {
			prm := &m.Parameters[k]
			if k > 0 {
				p.s(",")
			}
			p.s("\n")
			p.qualifiers(prm.Qualifiers, "        ")
			p.s("        " + typeName(prm.Type, prm.ReferenceClass) + " " + prm.Name)
			if prm.IsArray {
				p.s(arraySuffix(prm.ArraySize))
			}
		}
		p.s(");\n")
	}
	p.s("};\n\n")
}

func (p *Printer) origin(c *cim.Class, origin string, propagated bool) {
	if !p.cfg.Resolved {
		return
	}
	if propagated {
		p.s("    // inherited from " + origin + "\n")
	} else if !strings.EqualFold(origin, c.Name) {
		p.s("    // class origin " + origin + "\n")
	}
}

func typeName(t cim.Type, refClass string) string {
	if t == cim.TypeReference {
		return refClass + " REF"
	}
	return t.String()
}

// Instance writes an instance declaration with the properties that have a value.
// alias, if not empty, is written as "as $alias".
func (p *Printer) Instance(in *cim.Instance, alias string) {
	p.qualifiers(in.Qualifiers, "")
	p.s("instance of " + in.ClassName)
	if alias != "" {
		p.s(" as $" + alias)
	}
	p.s(" {\n")
	for i := range in.Properties {
		pr := &in.Properties[i]
		if pr.Value == nil {
			continue
		}
		p.s("    " + pr.Name + " = " + Value(pr.Value) + ";\n")
	}
	p.s("};\n\n")
}

// Value returns the MOF literal of a CIM value: null, true/false, decimal integers,
// reals that always read back as reals, quoted strings with escapes, char16 in single
// quotes, datetimes and references as strings, arrays in braces.
func Value(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case string:
		return Quote(x)
	case cim.Datetime:
		return Quote(string(x))
	case cim.Char16:
		return quoteChar(rune(x))
	case *cim.ObjectPath:
		return Quote(x.String())
	case float32:
		return formatReal(float64(x), 32)
	case float64:
		return formatReal(x, 64)
	case []any:
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(Value(e))
		}
		b.WriteByte('}')
		return b.String()
	case *cim.Instance:
		return Quote("instance of " + x.ClassName)
	}
	return fmt.Sprint(v)
}

func formatReal(f float64, bits int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	mant, exp, hasExp := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if hasExp {
		return mant + "e" + exp
	}
	return mant
}

// Quote returns s as a MOF string literal.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	writeEscaped(&b, s, '"')
	b.WriteByte('"')
	return b.String()
}

func quoteChar(r rune) string {
	var b strings.Builder
	b.WriteByte('\'')
	writeEscaped(&b, string(r), '\'')
	b.WriteByte('\'')
	return b.String()
}

func writeEscaped(b *strings.Builder, s string, quote byte) {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b.WriteString(`\xfffd`)
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(b, `\x%04x`, c)
		default:
			b.WriteByte(c)
		}
		i++
	}
}
