package dispatch

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// convert returns v as a value of CIM type t (an array when isArray): values that
// arrive untyped from the wire (strings, or int64/uint64/float64/bool parsed from
// key text) become the Go type cim.CheckValue expects; typed values are checked and
// converted between numeric types when the value fits.
func convert(t cim.Type, isArray bool, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if isArray {
		var in []any
		switch a := v.(type) {
		case []any:
			in = a
		case []string:
			in = make([]any, len(a))
			for i, s := range a {
				in[i] = s
			}
		default:
			return nil, fmt.Errorf("want an array of %s, have a scalar", t)
		}
		out := make([]any, len(in))
		changed := false
		for i, e := range in {
			c, err := convertScalar(t, e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = c
			changed = changed || !sameScalar(c, e)
		}
		if !changed {
			if a, ok := v.([]any); ok {
				return a, nil
			}
		}
		return out, nil
	}
	switch v.(type) {
	case []any, []string:
		return nil, fmt.Errorf("want a %s scalar, have an array", t)
	}
	return convertScalar(t, v)
}

// sameScalar reports whether conversion left e unchanged (cheap identity check for
// comparable scalars).
func sameScalar(c, e any) bool {
	switch c.(type) {
	case *cim.Instance, *cim.Class, *cim.ObjectPath:
		return c == e
	}
	if c == nil || e == nil {
		return c == nil && e == nil
	}
	return cim.TypeOf(c) == cim.TypeOf(e) && c == e
}

func convertScalar(t cim.Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if cim.TypeOf(v) == t {
		return v, nil
	}
	switch x := v.(type) {
	case string:
		return cim.ParseValue(t, x)
	case *cim.Instance, *cim.Class:
		if t == cim.TypeString {
			return v, nil
		}
	case cim.Datetime:
		if t == cim.TypeString {
			return string(x), nil
		}
	case cim.Char16:
		if t == cim.TypeString {
			return string(rune(x)), nil
		}
	case bool:
		// only boolean, which TypeOf already matched
	default:
		if t.IsInteger() || t.IsReal() {
			return convertNumber(t, v)
		}
	}
	return nil, fmt.Errorf("want a %s value, have %s", t, describe(v))
}

func describe(v any) string {
	if t := cim.TypeOf(v); t != cim.TypeInvalid {
		return t.String()
	}
	return fmt.Sprintf("%T", v)
}

// convertNumber converts a Go number to the numeric CIM type t, if it fits.
func convertNumber(t cim.Type, v any) (any, error) {
	var (
		i     int64
		u     uint64
		f     float64
		isInt bool
		isU   bool
	)
	switch x := v.(type) {
	case int8:
		i, isInt = int64(x), true
	case int16:
		i, isInt = int64(x), true
	case int32:
		i, isInt = int64(x), true
	case int64:
		i, isInt = x, true
	case int:
		i, isInt = int64(x), true
	case uint8:
		u, isU = uint64(x), true
	case uint16:
		u, isU = uint64(x), true
	case uint32:
		u, isU = uint64(x), true
	case uint64:
		u, isU = x, true
	case uint:
		u, isU = uint64(x), true
	case float32:
		f = float64(x)
	case float64:
		f = x
	default:
		return nil, fmt.Errorf("want a %s value, have %s", t, describe(v))
	}
	text := fmt.Sprint(v)
	if t.IsReal() {
		switch {
		case isInt:
			f = float64(i)
		case isU:
			f = float64(u)
		}
		if t == cim.TypeReal32 {
			return float32(f), nil
		}
		return f, nil
	}
	switch {
	case isU:
		return uintOf(t, u, text)
	case isInt:
		if i >= 0 {
			return uintOf(t, uint64(i), text)
		}
		return intOf(t, i, text)
	default:
		if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%s is not an integer", text)
		}
		if f < 0 {
			if f < math.MinInt64 {
				return nil, fmt.Errorf("%s is out of range for %s", text, t)
			}
			return intOf(t, int64(f), text)
		}
		if f >= math.MaxUint64 {
			return nil, fmt.Errorf("%s is out of range for %s", text, t)
		}
		return uintOf(t, uint64(f), text)
	}
}

func uintOf(t cim.Type, u uint64, text string) (any, error) {
	if t.IsSigned() {
		if u > uint64(math.MaxInt64) {
			return nil, fmt.Errorf("%s is out of range for %s", text, t)
		}
		return intOf(t, int64(u), text)
	}
	if bits := t.Bits(); bits < 64 && u >= 1<<bits {
		return nil, fmt.Errorf("%s is out of range for %s", text, t)
	}
	switch t {
	case cim.TypeUint8:
		return uint8(u), nil
	case cim.TypeUint16:
		return uint16(u), nil
	case cim.TypeUint32:
		return uint32(u), nil
	}
	return u, nil
}

func intOf(t cim.Type, i int64, text string) (any, error) {
	if !t.IsSigned() {
		if i < 0 {
			return nil, fmt.Errorf("%s is out of range for %s", text, t)
		}
		return uintOf(t, uint64(i), text)
	}
	if bits := t.Bits(); bits < 64 && (i < -(1<<(bits-1)) || i >= 1<<(bits-1)) {
		return nil, fmt.Errorf("%s is out of range for %s", text, t)
	}
	switch t {
	case cim.TypeSint8:
		return int8(i), nil
	case cim.TypeSint16:
		return int16(i), nil
	case cim.TypeSint32:
		return int32(i), nil
	}
	return i, nil
}

// convertKey is convert for a key value: wbemcli sends digits typed unquoted as
// VALUETYPE="numeric" (and true/false as "boolean") even when the key is a string
// (cimxml.md §7.4), which the decoder gives as a number; such a key means its text.
func convertKey(t cim.Type, v any) (any, error) {
	if t == cim.TypeString {
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10), nil
		case uint64:
			return strconv.FormatUint(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
	}
	return convert(t, false, v)
}

// typedPath returns path typed against class c of namespace ns: the class name and
// key names as c spells them, keys in c's order, values of the key properties'
// types, Namespace ns, no host. A path whose keys are not exactly c's keys is
// CIM_ERR_INVALID_PARAMETER.
func (d *Dispatcher) typedPath(ns string, c *cim.Class, path *cim.ObjectPath) (*cim.ObjectPath, error) {
	out := &cim.ObjectPath{Namespace: ns, ClassName: c.Name}
	n := 0
	for i := range c.Properties {
		if c.Properties[i].IsKey() {
			n++
		}
	}
	if len(path.Keys) != n {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "path %s: class %s has %d keys, the path gives %d",
			path, c.Name, n, len(path.Keys))
	}
	if n == 0 {
		return out, nil
	}
	out.Keys = make([]cim.KeyBinding, 0, n)
	for i := range c.Properties {
		kp := &c.Properties[i]
		if !kp.IsKey() {
			continue
		}
		v, ok := path.Key(kp.Name)
		if !ok {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "path %s: key %s is missing", path, kp.Name)
		}
		if v == nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "path %s: key %s is NULL", path, kp.Name)
		}
		tv, err := convertKey(kp.Type, v)
		if err != nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "path %s: key %s: %v", path, kp.Name, err)
		}
		if ref, ok := tv.(*cim.ObjectPath); ok {
			tv = d.typeRef(ns, ref)
		}
		out.Keys = append(out.Keys, cim.KeyBinding{Name: kp.Name, Value: tv})
	}
	return out, nil
}

// typeRef types the keys of a reference value against its class where that class
// is known, best effort: references are compared by value, so "5" and 5 must agree.
func (d *Dispatcher) typeRef(ns string, ref *cim.ObjectPath) *cim.ObjectPath {
	rns := ref.Namespace
	if rns == "" {
		rns = ns
	}
	c := d.s.Class(rns, ref.ClassName)
	if c == nil {
		return ref
	}
	t, err := d.typedPath(strings.Trim(rns, "/"), c, ref)
	if err != nil {
		return ref
	}
	return t
}

// The repository tells "root/cimv2:C.k=1" from "C.k=1" in a reference key. The
// dispatcher stores and looks up references with their namespace (the CIM-XML
// decoder gives every reference one, and clients expect it back); references the
// base schema (MOF) stored without namespace are found through localized.

// localized returns path with the namespace removed from its reference keys that
// point into namespace ns, or nil when it has none.
func localized(path *cim.ObjectPath, ns string) *cim.ObjectPath {
	var out *cim.ObjectPath
	for i, k := range path.Keys {
		ref, ok := k.Value.(*cim.ObjectPath)
		if !ok || ref.Namespace == "" || nsKey(ref.Namespace) != nsKey(ns) {
			continue
		}
		if out == nil {
			cp := *path
			cp.Keys = append([]cim.KeyBinding(nil), path.Keys...)
			out = &cp
		}
		l := *ref
		l.Namespace = ""
		out.Keys[i].Value = &l
	}
	return out
}

// refMatches reports whether reference ref (as stored in an association, with or
// without namespace) names the instance at target (typed, with namespace ns).
func refMatches(ref, target *cim.ObjectPath, ns string) bool {
	if ref == nil || !strings.EqualFold(ref.ClassName, target.ClassName) || len(ref.Keys) != len(target.Keys) {
		return false
	}
	if ref.Namespace != "" && nsKey(ref.Namespace) != nsKey(ns) {
		return false
	}
	for _, k := range target.Keys {
		v, ok := ref.Key(k.Name)
		if !ok || !keyMatches(v, k.Value, ns) {
			return false
		}
	}
	return true
}

// keyMatches compares a stored key value a with a typed key value b: numbers by
// value, strings and their text forms (datetime, char16) by text, references
// recursively.
func keyMatches(a, b any, ns string) bool {
	switch y := b.(type) {
	case *cim.ObjectPath:
		switch x := a.(type) {
		case *cim.ObjectPath:
			rns := ns
			if y.Namespace != "" {
				rns = y.Namespace
			}
			return refMatches(x, y, rns)
		case string:
			p, err := cim.ParseObjectPath(x)
			return err == nil && refMatches(p, y, ns)
		}
		return false
	case string:
		switch x := a.(type) {
		case string:
			return x == y
		}
		return false
	case cim.Datetime:
		switch x := a.(type) {
		case cim.Datetime:
			return x == y
		case string:
			return x == string(y)
		}
		return false
	case cim.Char16:
		switch x := a.(type) {
		case cim.Char16:
			return x == y
		case string:
			return x == string(rune(y))
		}
		return false
	case bool:
		x, ok := a.(bool)
		return ok && x == y
	}
	if a == b {
		return true
	}
	ta, tb := cim.TypeOf(a), cim.TypeOf(b)
	if (ta.IsInteger() || ta.IsReal()) && (tb.IsInteger() || tb.IsReal()) {
		c, err := convertNumber(tb, a)
		return err == nil && c == b
	}
	return false
}

// filterInstance returns inst restricted to the properties of class narrow (when
// not nil: DeepInheritance=false) and to the names of pl (when not nil), without
// qualifiers. It returns inst itself when nothing is removed, else a copy: stored
// objects are never modified.
func filterInstance(inst *cim.Instance, narrow *cim.Class, pl cim.PropertyList) *cim.Instance {
	keep := func(name string) bool {
		if narrow != nil && narrow.Property(name) == nil {
			return false
		}
		if pl != nil {
			for _, n := range pl {
				if strings.EqualFold(n, name) {
					return true
				}
			}
			return false
		}
		return true
	}
	n := 0
	for i := range inst.Properties {
		if keep(inst.Properties[i].Name) {
			n++
		}
	}
	if n == len(inst.Properties) && len(inst.Qualifiers) == 0 {
		return inst
	}
	out := &cim.Instance{ClassName: inst.ClassName}
	if n > 0 {
		out.Properties = make([]cim.Property, 0, n)
		for i := range inst.Properties {
			if keep(inst.Properties[i].Name) {
				out.Properties = append(out.Properties, inst.Properties[i])
			}
		}
	}
	return out
}
