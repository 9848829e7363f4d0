package repository

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shypecim/shypecim/cimom/cim"
)

// instKey returns the index key of the instance of class ce of namespace n named
// by path: two paths have the same key exactly when cim.ObjectPath.Equal holds
// between them (within n), after their key values were typed against the class
// (and those of references to instances of n against their classes).
func instKey(n *namespace, ce *classEntry, path *cim.ObjectPath) string {
	var b strings.Builder
	b.WriteString(ce.key)
	writeKeys(&b, n, path.Keys, ce.class)
	return b.String()
}

// writeKeys writes the key bindings sorted by name: ".name=value,name=value". With
// c, values are first typed against the class's key properties.
func writeKeys(b *strings.Builder, n *namespace, keys []cim.KeyBinding, c *cim.Class) {
	sorted := slices.Clone(keys)
	slices.SortStableFunc(sorted, func(x, y cim.KeyBinding) int {
		return strings.Compare(nameKey(x.Name), nameKey(y.Name))
	})
	for i, k := range sorted {
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(nameKey(k.Name))
		b.WriteByte('=')
		v := k.Value
		if c != nil {
			if p := c.Property(k.Name); p != nil {
				v = typeKeyValue(p.Type, v)
			}
		}
		writeKeyValue(b, n, v)
	}
}

// typeKeyValue converts a key value parsed from text (a string) to the type t of
// its key property where the text form differs: datetime, char16 and reference.
// Numbers need no conversion: keys compare them by value whatever their Go type.
func typeKeyValue(t cim.Type, v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	switch t {
	case cim.TypeDatetime:
		return cim.Datetime(s)
	case cim.TypeChar16:
		if r, size := utf8.DecodeRuneInString(s); size == len(s) && r <= 0xFFFF {
			return cim.Char16(r)
		}
	case cim.TypeReference:
		if p, err := cim.ParseObjectPath(s); err == nil {
			return p
		}
	}
	return v
}

// writeKeyValue writes a key value of an instance of n so that equal values (cim.ObjectPath.Equal:
// numbers by number, strings exactly, references by path) give equal text and
// different values different text.
func writeKeyValue(b *strings.Builder, n *namespace, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("~")
	case bool:
		if x {
			b.WriteString("b1")
		} else {
			b.WriteString("b0")
		}
	case string:
		b.WriteByte('s')
		b.WriteString(strconv.Quote(x))
	case cim.Datetime:
		b.WriteByte('d')
		b.WriteString(strconv.Quote(string(x)))
	case cim.Char16:
		b.WriteByte('c')
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case *cim.ObjectPath:
		b.WriteString("r{")
		b.WriteString(nsKey(x.Namespace))
		b.WriteByte(':')
		b.WriteString(nameKey(x.ClassName))
		var c *cim.Class
		if k := nsKey(x.Namespace); k == "" || k == nsKey(n.name) {
			if e, ok := n.classes.lookup(x.ClassName); ok {
				c = e.class
			}
		}
		writeKeys(b, n, x.Keys, c)
		b.WriteByte('}')
	// Numbers as fmt.Sprint writes them, which is what ObjectPath.Equal compares.
	case uint8:
		writeUint(b, uint64(x))
	case uint16:
		writeUint(b, uint64(x))
	case uint32:
		writeUint(b, uint64(x))
	case uint64:
		writeUint(b, x)
	case int8:
		writeInt(b, int64(x))
	case int16:
		writeInt(b, int64(x))
	case int32:
		writeInt(b, int64(x))
	case int64:
		writeInt(b, x)
	case float32:
		b.WriteByte('n')
		b.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case float64:
		b.WriteByte('n')
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	default:
		fmt.Fprintf(b, "?%T%q", v, fmt.Sprint(v))
	}
}

func writeUint(b *strings.Builder, u uint64) {
	b.WriteByte('n')
	b.WriteString(strconv.FormatUint(u, 10))
}

func writeInt(b *strings.Builder, i int64) {
	b.WriteByte('n')
	b.WriteString(strconv.FormatInt(i, 10))
}
