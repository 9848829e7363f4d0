package cim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ObjectPath names a class (no Keys) or an instance (DSP0004 §8.2, DSP0207).
type ObjectPath struct {
	Host      string
	Namespace string
	ClassName string
	Keys      []KeyBinding
}

// KeyBinding is one key of an instance path. Value is a typed scalar; paths parsed
// from text hold string, bool, int64, uint64, float64 or *ObjectPath until they are
// typed against the class.
type KeyBinding struct {
	Name  string
	Value any
}

// Key returns the value of the key named name (case-insensitive) and whether it exists.
func (p *ObjectPath) Key(name string) (any, bool) {
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Value, true
		}
	}
	return nil, false
}

// String returns the path's canonical text form: "//host/ns:Class.k1=\"v\",k2=5" with
// keys sorted by name, the host and namespace parts only when set.
func (p *ObjectPath) String() string {
	var b strings.Builder
	if p.Host != "" {
		b.WriteString("//")
		b.WriteString(p.Host)
		b.WriteByte('/')
	}
	if p.Namespace != "" {
		b.WriteString(strings.Trim(p.Namespace, "/"))
		b.WriteByte(':')
	}
	b.WriteString(p.ClassName)
	keys := make([]KeyBinding, len(p.Keys))
	copy(keys, p.Keys)
	sort.SliceStable(keys, func(i, j int) bool {
		return strings.ToLower(keys[i].Name) < strings.ToLower(keys[j].Name)
	})
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(k.Name)
		b.WriteByte('=')
		writeKeyValue(&b, k.Value)
	}
	return b.String()
}

func writeKeyValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString(`""`)
	case bool:
		if x {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case string:
		b.WriteString(quotePathString(x))
	case Datetime:
		b.WriteString(quotePathString(string(x)))
	case Char16:
		b.WriteString(quotePathString(string(rune(x))))
	case *ObjectPath:
		b.WriteString(quotePathString(x.String()))
	default:
		fmt.Fprint(b, x)
	}
}

func quotePathString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// Equal reports whether p and q name the same object: namespaces compared
// case-insensitively without surrounding slashes, class and key names
// case-insensitively, key values by value (numbers by number, strings exactly).
// The host is ignored.
func (p *ObjectPath) Equal(q *ObjectPath) bool {
	if p == nil || q == nil {
		return p == q
	}
	if !strings.EqualFold(strings.Trim(p.Namespace, "/"), strings.Trim(q.Namespace, "/")) ||
		!strings.EqualFold(p.ClassName, q.ClassName) || len(p.Keys) != len(q.Keys) {
		return false
	}
	for _, k := range p.Keys {
		v, ok := q.Key(k.Name)
		if !ok || !keyValueEqual(k.Value, v) {
			return false
		}
	}
	return true
}

func keyValueEqual(a, b any) bool {
	if ra, ok := a.(*ObjectPath); ok {
		if rb, ok := b.(*ObjectPath); ok {
			return ra.Equal(rb)
		}
	}
	ta, tb := TypeOf(a), TypeOf(b)
	if (ta.IsInteger() || ta.IsReal()) && (tb.IsInteger() || tb.IsReal()) {
		return fmt.Sprint(a) == fmt.Sprint(b)
	}
	return EqualValues(a, b)
}

// ParseObjectPath parses the text form of a path as MOF reference initializers and
// WBEM URIs write it: [//host/]ns:Class[.k=v{,k=v}], or Class[.k=v…] without a
// namespace. String values are in double quotes with \" and \\ escapes; TRUE/FALSE
// are booleans; numbers are int64, uint64 or float64.
func ParseObjectPath(s string) (*ObjectPath, error) {
	p := &ObjectPath{}
	rest := s
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return nil, fmt.Errorf("object path %q: host without namespace", s)
		}
		p.Host, rest = rest[:i], rest[i+1:]
	}
	// The namespace ends at the first ':' before any '.' or '='.
	if i := strings.IndexAny(rest, ":.="); i >= 0 && rest[i] == ':' {
		p.Namespace, rest = strings.Trim(rest[:i], "/"), rest[i+1:]
	}
	i := strings.IndexByte(rest, '.')
	if i < 0 {
		p.ClassName = rest
	} else {
		p.ClassName = rest[:i]
		keys, err := parseKeyBindings(rest[i+1:])
		if err != nil {
			return nil, fmt.Errorf("object path %q: %w", s, err)
		}
		p.Keys = keys
	}
	if !IsIdentifier(p.ClassName) {
		return nil, fmt.Errorf("object path %q: invalid class name %q", s, p.ClassName)
	}
	return p, nil
}

func parseKeyBindings(s string) ([]KeyBinding, error) {
	var keys []KeyBinding
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("key binding %q: want name=value", s)
		}
		name := s[:eq]
		if !IsIdentifier(name) {
			return nil, fmt.Errorf("invalid key name %q", name)
		}
		s = s[eq+1:]
		var v any
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			j := 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("key %s: unterminated string", name)
			}
			v, s = b.String(), s[j+1:]
		} else {
			j := strings.IndexByte(s, ',')
			if j < 0 {
				j = len(s)
			}
			lit := s[:j]
			s = s[j:]
			switch {
			case strings.EqualFold(lit, "true"):
				v = true
			case strings.EqualFold(lit, "false"):
				v = false
			default:
				if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
					v = n
				} else if n, err := strconv.ParseUint(lit, 10, 64); err == nil {
					v = n
				} else if f, err := strconv.ParseFloat(lit, 64); err == nil {
					v = f
				} else {
					return nil, fmt.Errorf("key %s: invalid value %q", name, lit)
				}
			}
		}
		keys = append(keys, KeyBinding{Name: name, Value: v})
		if len(s) > 0 {
			if s[0] != ',' {
				return nil, fmt.Errorf("key %s: want ',' after the value", name)
			}
			s = s[1:]
		}
	}
	return keys, nil
}

// IsIdentifier reports whether s is a valid CIM element name: a letter or '_'
// followed by letters, digits and '_' (non-ASCII letters allowed).
func IsIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= 0x80:
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
