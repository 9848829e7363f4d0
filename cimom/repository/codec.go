package repository

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/shypecim/shypecim/cimom/cim"
)

// The JSON form of the cim types in the files of the data directory. Types, scopes
// and flavors are written by name, never by their numeric value in package cim, so
// that the files do not depend on the order of constants. Lists keep the
// difference between nil (JSON null) and empty ([]).

// jValue is a CIM value with its type: NULL is a nil *jValue (JSON null).
//
//	{"t":"boolean","v":true}       {"t":"string","v":"text"}
//	{"t":"uint64","v":"42"}        {"t":"string","b64":"/w=="}   (not UTF-8)
//	{"t":"real32","v":"0.1"}       {"t":"datetime","v":"20240102030405.000000+060"}
//	{"t":"char16","v":"65"}        {"t":"reference","v":{ObjectPath}}
//	{"t":"instance","v":{...}}     {"t":"class","v":{...}}   (embedded objects)
//	{"t":"array","a":[{...},null]}
//
// Numbers are strings so that 64-bit integers and every float (NaN, ±Inf included)
// keep their exact value.
type jValue struct {
	T   string          `json:"t"`
	V   json.RawMessage `json:"v,omitempty"`
	B64 string          `json:"b64,omitempty"`
	A   []*jValue       `json:"a,omitempty"` // an empty array is {"t":"array"}
}

type jPath struct {
	Host      string `json:"host,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	ClassName string `json:"className"`
	Keys      []jKey `json:"keys"`
}

type jKey struct {
	Name  string  `json:"name"`
	Value *jValue `json:"value"`
}

type jQualifierType struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	IsArray   bool     `json:"isArray,omitempty"`
	ArraySize int      `json:"arraySize,omitempty"`
	Default   *jValue  `json:"default"`
	Scope     []string `json:"scope"`
	Flavor    []string `json:"flavor"`
}

type jQualifier struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	IsArray    bool     `json:"isArray,omitempty"`
	Value      *jValue  `json:"value"`
	Flavor     []string `json:"flavor,omitempty"`
	Propagated bool     `json:"propagated,omitempty"`
}

type jProperty struct {
	Name           string       `json:"name"`
	Type           string       `json:"type"`
	IsArray        bool         `json:"isArray,omitempty"`
	ArraySize      int          `json:"arraySize,omitempty"`
	ReferenceClass string       `json:"referenceClass,omitempty"`
	Value          *jValue      `json:"value"`
	Qualifiers     []jQualifier `json:"qualifiers,omitempty"`
	ClassOrigin    string       `json:"classOrigin,omitempty"`
	Propagated     bool         `json:"propagated,omitempty"`
}

type jParameter struct {
	Name           string       `json:"name"`
	Type           string       `json:"type"`
	IsArray        bool         `json:"isArray,omitempty"`
	ArraySize      int          `json:"arraySize,omitempty"`
	ReferenceClass string       `json:"referenceClass,omitempty"`
	Qualifiers     []jQualifier `json:"qualifiers"`
}

type jMethod struct {
	Name        string       `json:"name"`
	ReturnType  string       `json:"returnType"`
	Parameters  []jParameter `json:"parameters"`
	Qualifiers  []jQualifier `json:"qualifiers"`
	ClassOrigin string       `json:"classOrigin,omitempty"`
	Propagated  bool         `json:"propagated,omitempty"`
}

type jClass struct {
	Name       string       `json:"name"`
	SuperClass string       `json:"superClass,omitempty"`
	Qualifiers []jQualifier `json:"qualifiers"`
	Properties []jProperty  `json:"properties"`
	Methods    []jMethod    `json:"methods"`
}

type jInstance struct {
	ClassName  string       `json:"className"`
	Qualifiers []jQualifier `json:"qualifiers,omitempty"`
	Properties []jProperty  `json:"properties"`
}

// Encoding. The values come from the store, checked on the way in; a value of a
// Go type that is no CIM value is an error all the same.

func encodeValue(v any) (*jValue, error) {
	if v == nil {
		return nil, nil
	}
	raw := func(x any) json.RawMessage {
		b, _ := json.Marshal(x) // strings and bools only: cannot fail
		return b
	}
	num := func(t, s string) (*jValue, error) { return &jValue{T: t, V: raw(s)}, nil }
	switch x := v.(type) {
	case []any:
		a := make([]*jValue, len(x))
		for i, e := range x {
			if _, nested := e.([]any); nested {
				return nil, fmt.Errorf("array element %d is an array", i)
			}
			je, err := encodeValue(e)
			if err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
			a[i] = je
		}
		return &jValue{T: "array", A: a}, nil
	case bool:
		return &jValue{T: "boolean", V: raw(x)}, nil
	case string:
		if !utf8.ValidString(x) {
			return &jValue{T: "string", B64: base64.StdEncoding.EncodeToString([]byte(x))}, nil
		}
		return &jValue{T: "string", V: raw(x)}, nil
	case cim.Datetime:
		return &jValue{T: "datetime", V: raw(string(x))}, nil
	case cim.Char16:
		return num("char16", strconv.FormatUint(uint64(x), 10))
	case uint8:
		return num("uint8", strconv.FormatUint(uint64(x), 10))
	case uint16:
		return num("uint16", strconv.FormatUint(uint64(x), 10))
	case uint32:
		return num("uint32", strconv.FormatUint(uint64(x), 10))
	case uint64:
		return num("uint64", strconv.FormatUint(x, 10))
	case int8:
		return num("sint8", strconv.FormatInt(int64(x), 10))
	case int16:
		return num("sint16", strconv.FormatInt(int64(x), 10))
	case int32:
		return num("sint32", strconv.FormatInt(int64(x), 10))
	case int64:
		return num("sint64", strconv.FormatInt(x, 10))
	case float32:
		return num("real32", strconv.FormatFloat(float64(x), 'g', -1, 32))
	case float64:
		return num("real64", strconv.FormatFloat(x, 'g', -1, 64))
	case *cim.ObjectPath:
		if x == nil {
			return nil, nil
		}
		p, err := encodePath(x)
		if err != nil {
			return nil, err
		}
		return marshalled("reference", p)
	case *cim.Instance:
		if x == nil {
			return nil, nil
		}
		in, err := encodeInstance(x)
		if err != nil {
			return nil, err
		}
		return marshalled("instance", in)
	case *cim.Class:
		if x == nil {
			return nil, nil
		}
		c, err := encodeClass(x)
		if err != nil {
			return nil, err
		}
		return marshalled("class", c)
	}
	return nil, fmt.Errorf("%T is not a CIM value", v)
}

func marshalled(t string, x any) (*jValue, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return &jValue{T: t, V: b}, nil
}

func encodePath(p *cim.ObjectPath) (*jPath, error) {
	jp := &jPath{Host: p.Host, Namespace: p.Namespace, ClassName: p.ClassName}
	if p.Keys != nil {
		jp.Keys = make([]jKey, len(p.Keys))
	}
	for i, k := range p.Keys {
		v, err := encodeValue(k.Value)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.Name, err)
		}
		jp.Keys[i] = jKey{k.Name, v}
	}
	return jp, nil
}

func encodeQualifierType(qt *cim.QualifierType) (*jQualifierType, error) {
	def, err := encodeValue(qt.Default)
	if err != nil {
		return nil, fmt.Errorf("qualifier type %s: %w", qt.Name, err)
	}
	return &jQualifierType{
		Name: qt.Name, Type: qt.Type.String(), IsArray: qt.IsArray, ArraySize: qt.ArraySize,
		Default: def, Scope: scopeNames(qt.Scope), Flavor: flavorNames(qt.Flavor),
	}, nil
}

func encodeQualifiers(qs cim.Qualifiers) ([]jQualifier, error) {
	if qs == nil {
		return nil, nil
	}
	out := make([]jQualifier, len(qs))
	for i, q := range qs {
		v, err := encodeValue(q.Value)
		if err != nil {
			return nil, fmt.Errorf("qualifier %s: %w", q.Name, err)
		}
		out[i] = jQualifier{Name: q.Name, Type: q.Type.String(), IsArray: q.IsArray, Value: v,
			Flavor: flavorNames(q.Flavor), Propagated: q.Propagated}
	}
	return out, nil
}

func encodeProperties(ps []cim.Property) ([]jProperty, error) {
	if ps == nil {
		return nil, nil
	}
	out := make([]jProperty, len(ps))
	for i := range ps {
		p := &ps[i]
		v, err := encodeValue(p.Value)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", p.Name, err)
		}
		qs, err := encodeQualifiers(p.Qualifiers)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", p.Name, err)
		}
		out[i] = jProperty{Name: p.Name, Type: p.Type.String(), IsArray: p.IsArray, ArraySize: p.ArraySize,
			ReferenceClass: p.ReferenceClass, Value: v, Qualifiers: qs, ClassOrigin: p.ClassOrigin,
			Propagated: p.Propagated}
	}
	return out, nil
}

func encodeClass(c *cim.Class) (*jClass, error) {
	jc := &jClass{Name: c.Name, SuperClass: c.SuperClass}
	var err error
	if jc.Qualifiers, err = encodeQualifiers(c.Qualifiers); err != nil {
		return nil, fmt.Errorf("class %s: %w", c.Name, err)
	}
	if jc.Properties, err = encodeProperties(c.Properties); err != nil {
		return nil, fmt.Errorf("class %s: %w", c.Name, err)
	}
	if c.Methods != nil {
		jc.Methods = make([]jMethod, len(c.Methods))
	}
	for i := range c.Methods {
		m := &c.Methods[i]
		jm := jMethod{Name: m.Name, ReturnType: m.ReturnType.String(), ClassOrigin: m.ClassOrigin, Propagated: m.Propagated}
		if jm.Qualifiers, err = encodeQualifiers(m.Qualifiers); err != nil {
			return nil, fmt.Errorf("class %s: method %s: %w", c.Name, m.Name, err)
		}
		if m.Parameters != nil {
			jm.Parameters = make([]jParameter, len(m.Parameters))
		}
		for j := range m.Parameters {
			p := &m.Parameters[j]
			qs, err := encodeQualifiers(p.Qualifiers)
			if err != nil {
				return nil, fmt.Errorf("class %s: method %s: parameter %s: %w", c.Name, m.Name, p.Name, err)
			}
			jm.Parameters[j] = jParameter{Name: p.Name, Type: p.Type.String(), IsArray: p.IsArray,
				ArraySize: p.ArraySize, ReferenceClass: p.ReferenceClass, Qualifiers: qs}
		}
		jc.Methods[i] = jm
	}
	return jc, nil
}

func encodeInstance(in *cim.Instance) (*jInstance, error) {
	ji := &jInstance{ClassName: in.ClassName}
	var err error
	if ji.Qualifiers, err = encodeQualifiers(in.Qualifiers); err != nil {
		return nil, fmt.Errorf("instance of %s: %w", in.ClassName, err)
	}
	if ji.Properties, err = encodeProperties(in.Properties); err != nil {
		return nil, fmt.Errorf("instance of %s: %w", in.ClassName, err)
	}
	return ji, nil
}

var flavorBits = []struct {
	f    cim.Flavor
	name string
}{
	{cim.DisableOverride, "DisableOverride"},
	{cim.Restricted, "Restricted"},
	{cim.Translatable, "Translatable"},
	{cim.ToInstance, "ToInstance"},
}

func flavorNames(f cim.Flavor) []string {
	out := []string{}
	for _, b := range flavorBits {
		if f&b.f != 0 {
			out = append(out, b.name)
		}
	}
	return out
}

var scopeBits = []cim.Scope{cim.ScopeClass, cim.ScopeAssociation, cim.ScopeIndication,
	cim.ScopeProperty, cim.ScopeReference, cim.ScopeMethod, cim.ScopeParameter}

func scopeNames(s cim.Scope) []string {
	out := []string{}
	for _, b := range scopeBits {
		if s&b != 0 {
			out = append(out, b.String())
		}
	}
	return out
}

// Decoding. Every error says where in the object it is; the caller adds the file.

func decodeType(s string) (cim.Type, error) {
	if s == cim.TypeInvalid.String() {
		return cim.TypeInvalid, nil // an instance property may leave its type to the class
	}
	t := cim.ParseType(s)
	if t == cim.TypeInvalid {
		return t, fmt.Errorf("unknown type %q", s)
	}
	return t, nil
}

func decodeFlavor(names []string) (cim.Flavor, error) {
	var f cim.Flavor
	for _, n := range names {
		i := 0
		for i < len(flavorBits) && flavorBits[i].name != n {
			i++
		}
		if i == len(flavorBits) {
			return 0, fmt.Errorf("unknown flavor %q", n)
		}
		f |= flavorBits[i].f
	}
	return f, nil
}

func decodeScope(names []string) (cim.Scope, error) {
	var s cim.Scope
	for _, n := range names {
		b := cim.ParseScope(n)
		if b == 0 || b == cim.ScopeAny {
			return 0, fmt.Errorf("unknown scope %q", n)
		}
		s |= b
	}
	return s, nil
}

func decodeValue(jv *jValue) (any, error) {
	if jv == nil {
		return nil, nil
	}
	str := func() (string, error) {
		var s string
		if err := json.Unmarshal(jv.V, &s); err != nil {
			return "", fmt.Errorf("%s value: want a JSON string, have %s", jv.T, jv.V)
		}
		return s, nil
	}
	uintOf := func(bits int) (uint64, error) {
		s, err := str()
		if err != nil {
			return 0, err
		}
		u, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%s value: %w", jv.T, numErr(err))
		}
		return u, nil
	}
	intOf := func(bits int) (int64, error) {
		s, err := str()
		if err != nil {
			return 0, err
		}
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%s value: %w", jv.T, numErr(err))
		}
		return i, nil
	}
	floatOf := func(bits int) (float64, error) {
		s, err := str()
		if err != nil {
			return 0, err
		}
		f, err := strconv.ParseFloat(s, bits)
		if err != nil {
			return 0, fmt.Errorf("%s value: %w", jv.T, numErr(err))
		}
		return f, nil
	}
	if jv.T != "array" && jv.T != "string" && len(jv.V) == 0 {
		return nil, fmt.Errorf("%s value: missing \"v\"", jv.T)
	}
	switch jv.T {
	case "array":
		a := make([]any, len(jv.A))
		for i, je := range jv.A {
			if je != nil && je.T == "array" {
				return nil, fmt.Errorf("array element %d is an array", i)
			}
			e, err := decodeValue(je)
			if err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
			a[i] = e
		}
		return a, nil
	case "boolean":
		var b bool
		if err := json.Unmarshal(jv.V, &b); err != nil {
			return nil, fmt.Errorf("boolean value: want true or false, have %s", jv.V)
		}
		return b, nil
	case "string":
		if jv.B64 != "" {
			b, err := base64.StdEncoding.DecodeString(jv.B64)
			if err != nil {
				return nil, fmt.Errorf("string value: %w", err)
			}
			return string(b), nil
		}
		if len(jv.V) == 0 {
			return nil, errors.New(`string value: missing "v"`)
		}
		return str()
	case "datetime":
		s, err := str()
		return cim.Datetime(s), err
	case "char16":
		u, err := uintOf(16)
		return cim.Char16(u), err
	case "uint8":
		u, err := uintOf(8)
		return uint8(u), err
	case "uint16":
		u, err := uintOf(16)
		return uint16(u), err
	case "uint32":
		u, err := uintOf(32)
		return uint32(u), err
	case "uint64":
		return uintOf(64)
	case "sint8":
		i, err := intOf(8)
		return int8(i), err
	case "sint16":
		i, err := intOf(16)
		return int16(i), err
	case "sint32":
		i, err := intOf(32)
		return int32(i), err
	case "sint64":
		return intOf(64)
	case "real32":
		f, err := floatOf(32)
		return float32(f), err
	case "real64":
		return floatOf(64)
	case "reference":
		var jp jPath
		if err := json.Unmarshal(jv.V, &jp); err != nil {
			return nil, fmt.Errorf("reference value: %w", err)
		}
		return decodePath(&jp)
	case "instance":
		var ji jInstance
		if err := json.Unmarshal(jv.V, &ji); err != nil {
			return nil, fmt.Errorf("embedded instance: %w", err)
		}
		return decodeInstance(&ji)
	case "class":
		var jc jClass
		if err := json.Unmarshal(jv.V, &jc); err != nil {
			return nil, fmt.Errorf("embedded class: %w", err)
		}
		return decodeClass(&jc)
	}
	return nil, fmt.Errorf("unknown value type %q", jv.T)
}

// numErr drops the function name from a strconv error.
func numErr(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return fmt.Errorf("%q: %w", ne.Num, ne.Err)
	}
	return err
}

func decodePath(jp *jPath) (*cim.ObjectPath, error) {
	p := &cim.ObjectPath{Host: jp.Host, Namespace: jp.Namespace, ClassName: jp.ClassName}
	if jp.Keys != nil {
		p.Keys = make([]cim.KeyBinding, len(jp.Keys))
	}
	for i, k := range jp.Keys {
		v, err := decodeValue(k.Value)
		if err != nil {
			return nil, fmt.Errorf("path of %s: key %s: %w", jp.ClassName, k.Name, err)
		}
		p.Keys[i] = cim.KeyBinding{Name: k.Name, Value: v}
	}
	return p, nil
}

func decodeQualifierType(jq *jQualifierType) (*cim.QualifierType, error) {
	qt := &cim.QualifierType{Name: jq.Name, IsArray: jq.IsArray, ArraySize: jq.ArraySize}
	var err error
	if qt.Type, err = decodeType(jq.Type); err != nil {
		return nil, fmt.Errorf("qualifier type %s: %w", jq.Name, err)
	}
	if qt.Default, err = decodeValue(jq.Default); err != nil {
		return nil, fmt.Errorf("qualifier type %s: default: %w", jq.Name, err)
	}
	if qt.Scope, err = decodeScope(jq.Scope); err != nil {
		return nil, fmt.Errorf("qualifier type %s: %w", jq.Name, err)
	}
	if qt.Flavor, err = decodeFlavor(jq.Flavor); err != nil {
		return nil, fmt.Errorf("qualifier type %s: %w", jq.Name, err)
	}
	return qt, nil
}

func decodeQualifiers(jqs []jQualifier) (cim.Qualifiers, error) {
	if jqs == nil {
		return nil, nil
	}
	out := make(cim.Qualifiers, len(jqs))
	for i, jq := range jqs {
		q := cim.Qualifier{Name: jq.Name, IsArray: jq.IsArray, Propagated: jq.Propagated}
		var err error
		if q.Type, err = decodeType(jq.Type); err != nil {
			return nil, fmt.Errorf("qualifier %s: %w", jq.Name, err)
		}
		if q.Value, err = decodeValue(jq.Value); err != nil {
			return nil, fmt.Errorf("qualifier %s: %w", jq.Name, err)
		}
		if q.Flavor, err = decodeFlavor(jq.Flavor); err != nil {
			return nil, fmt.Errorf("qualifier %s: %w", jq.Name, err)
		}
		out[i] = q
	}
	return out, nil
}

func decodeProperties(jps []jProperty) ([]cim.Property, error) {
	if jps == nil {
		return nil, nil
	}
	out := make([]cim.Property, len(jps))
	for i, jp := range jps {
		p := cim.Property{Name: jp.Name, IsArray: jp.IsArray, ArraySize: jp.ArraySize,
			ReferenceClass: jp.ReferenceClass, ClassOrigin: jp.ClassOrigin, Propagated: jp.Propagated}
		var err error
		if p.Type, err = decodeType(jp.Type); err != nil {
			return nil, fmt.Errorf("property %s: %w", jp.Name, err)
		}
		if p.Value, err = decodeValue(jp.Value); err != nil {
			return nil, fmt.Errorf("property %s: %w", jp.Name, err)
		}
		if p.Qualifiers, err = decodeQualifiers(jp.Qualifiers); err != nil {
			return nil, fmt.Errorf("property %s: %w", jp.Name, err)
		}
		out[i] = p
	}
	return out, nil
}

func decodeClass(jc *jClass) (*cim.Class, error) {
	c := &cim.Class{Name: jc.Name, SuperClass: jc.SuperClass}
	var err error
	if c.Qualifiers, err = decodeQualifiers(jc.Qualifiers); err != nil {
		return nil, fmt.Errorf("class %s: %w", jc.Name, err)
	}
	if c.Properties, err = decodeProperties(jc.Properties); err != nil {
		return nil, fmt.Errorf("class %s: %w", jc.Name, err)
	}
	if jc.Methods != nil {
		c.Methods = make([]cim.Method, len(jc.Methods))
	}
	for i, jm := range jc.Methods {
		m := cim.Method{Name: jm.Name, ClassOrigin: jm.ClassOrigin, Propagated: jm.Propagated}
		if m.ReturnType, err = decodeType(jm.ReturnType); err != nil {
			return nil, fmt.Errorf("class %s: method %s: %w", jc.Name, jm.Name, err)
		}
		if m.Qualifiers, err = decodeQualifiers(jm.Qualifiers); err != nil {
			return nil, fmt.Errorf("class %s: method %s: %w", jc.Name, jm.Name, err)
		}
		if jm.Parameters != nil {
			m.Parameters = make([]cim.Parameter, len(jm.Parameters))
		}
		for j, jp := range jm.Parameters {
			p := cim.Parameter{Name: jp.Name, IsArray: jp.IsArray, ArraySize: jp.ArraySize, ReferenceClass: jp.ReferenceClass}
			if p.Type, err = decodeType(jp.Type); err != nil {
				return nil, fmt.Errorf("class %s: method %s: parameter %s: %w", jc.Name, jm.Name, jp.Name, err)
			}
			if p.Qualifiers, err = decodeQualifiers(jp.Qualifiers); err != nil {
				return nil, fmt.Errorf("class %s: method %s: parameter %s: %w", jc.Name, jm.Name, jp.Name, err)
			}
			m.Parameters[j] = p
		}
		c.Methods[i] = m
	}
	return c, nil
}

func decodeInstance(ji *jInstance) (*cim.Instance, error) {
	in := &cim.Instance{ClassName: ji.ClassName}
	var err error
	if in.Qualifiers, err = decodeQualifiers(ji.Qualifiers); err != nil {
		return nil, fmt.Errorf("instance of %s: %w", ji.ClassName, err)
	}
	if in.Properties, err = decodeProperties(ji.Properties); err != nil {
		return nil, fmt.Errorf("instance of %s: %w", ji.ClassName, err)
	}
	return in, nil
}
