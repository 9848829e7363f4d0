package cimom

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimxml"
)

// cimMapping is the extension URI an M-POST declares in its Man header (DSP0200 §6,
// RFC 2774).
const cimMapping = "http://www.dmtf.org/cim/mapping/http/v1.0"

// CIMError header values of DSP0200 §6.3 that the HTTP layer itself causes; the
// others come from cimxml.ProtocolError.
const (
	errUnsupportedOperation = "unsupported-operation"
	errHeaderMismatch       = "header-mismatch"
)

// cimHeaders reads the CIM headers of a request: by plain name for POST, with the
// "NN-" prefix that the Man header of an M-POST declares, falling back to the plain
// name (cimxml.md §1.2).
type cimHeaders struct {
	h      http.Header
	prefix string // "NN-" or ""
	ns     string // NN, for the response's Man header
}

// values returns the values of the header name, case-insensitively.
func (c cimHeaders) values(name string) []string {
	if c.prefix != "" {
		if v := c.h.Values(c.prefix + name); len(v) > 0 {
			return v
		}
	}
	return c.h.Values(name)
}

// get returns the values of name joined by ", " (how a repeated header folds), and
// whether the header is present at all.
func (c cimHeaders) get(name string) (string, bool) {
	v := c.values(name)
	if len(v) == 0 {
		return "", false
	}
	return strings.Join(v, ", "), true
}

// parseMan finds the namespace prefix the Man header declares for the CIM mapping:
// `Man: http://www.dmtf.org/cim/mapping/http/v1.0 ; ns=73`, the URI possibly quoted
// (RFC 2774 §4). found reports whether the CIM mapping is declared at all.
func parseMan(values []string) (ns string, found bool) {
	for _, v := range values {
		for _, decl := range strings.Split(v, ",") {
			parts := strings.Split(decl, ";")
			uri := strings.Trim(strings.TrimSpace(parts[0]), `"`)
			if !strings.EqualFold(strings.TrimRight(uri, "/"), cimMapping) {
				continue
			}
			for _, p := range parts[1:] {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "ns") {
					val = strings.TrimSpace(val)
					if val != "" && strings.Trim(val, "0123456789") == "" {
						return val, true
					}
				}
			}
			// The mapping without a usable ns: its headers cannot be found.
			return "", false
		}
	}
	return "", false
}

// checkContentType accepts application/xml and text/xml, with an optional charset
// parameter that must be utf-8 (quoted or not, any case).
func checkContentType(v string) error {
	if v == "" {
		return fmt.Errorf("no Content-Type")
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", v, err)
	}
	if mt != "application/xml" && mt != "text/xml" {
		return fmt.Errorf("Content-Type %q: want application/xml or text/xml", v)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Errorf("Content-Type %q: charset must be utf-8", v)
	}
	return nil
}

// acceptsTrailers reports whether a TE header allows a chunked response with
// trailers: it lists "trailers" (DSP0200, SFCB) or "chunked" (Pegasus).
func acceptsTrailers(values []string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t, _, _ = strings.Cut(t, ";")
			t = strings.TrimSpace(t)
			if strings.EqualFold(t, "trailers") || strings.EqualFold(t, "chunked") {
				return true
			}
		}
	}
	return false
}

// protocolMajor returns the major number of a version such as "1.0" or "1".
func protocolMajor(v string) (int, error) {
	major, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(major)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("protocol version %q: not major.minor", v)
	}
	return n, nil
}

// sameVersion compares two protocol versions by number: "1" and "1.0" are the same.
func sameVersion(a, b string) bool {
	na, nb := versionNumbers(a), versionNumbers(b)
	return na != nil && nb != nil && na[0] == nb[0] && na[1] == nb[1]
}

func versionNumbers(v string) []int {
	major, minor, _ := strings.Cut(strings.TrimSpace(v), ".")
	if minor == "" {
		minor = "0"
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil {
		return nil
	}
	return []int{ma, mi}
}

// checkMethodHeader compares the CIMMethod header (percent-encoded UTF-8) with the
// method the XML names. Method names are case-insensitive (DSP0004).
func checkMethodHeader(hdr cimHeaders, req *cimxml.Request) error {
	raw, ok := hdr.get("CIMMethod")
	if !ok || raw == "" {
		return fmt.Errorf("no CIMMethod header")
	}
	m, err := url.PathUnescape(raw)
	if err != nil {
		return fmt.Errorf("CIMMethod %q: %w", raw, err)
	}
	if !strings.EqualFold(strings.TrimSpace(m), req.Method) {
		return fmt.Errorf("CIMMethod %q, the XML calls %q", m, req.Method)
	}
	return nil
}

// checkObjectHeader compares the CIMObject header with the target of the XML:
// the namespace of an intrinsic call, the class or instance path of an extrinsic one
// (cimxml.md §1.3, project decisions: compared semantically).
func checkObjectHeader(hdr cimHeaders, req *cimxml.Request) error {
	raw, ok := hdr.get("CIMObject")
	if !ok || raw == "" {
		return fmt.Errorf("no CIMObject header")
	}
	obj, err := url.PathUnescape(raw)
	if err != nil {
		return fmt.Errorf("CIMObject %q: %w", raw, err)
	}
	obj = strings.TrimSpace(obj)
	if req.Intrinsic {
		if !namespaceEqual(obj, req.Namespace) {
			return fmt.Errorf("CIMObject %q, the XML names namespace %q", obj, req.Namespace)
		}
		return nil
	}
	p, err := cim.ParseObjectPath(obj)
	if err != nil {
		return fmt.Errorf("CIMObject: %w", err)
	}
	im, ok := req.Op.(*cim.InvokeMethod)
	if !ok || im.Target == nil {
		// No decoded target (the request failed at operation level): only the
		// namespace can be compared.
		if !namespaceEqual(p.Namespace, req.Namespace) {
			return fmt.Errorf("CIMObject %q, the XML names namespace %q", obj, req.Namespace)
		}
		return nil
	}
	target := *im.Target
	if target.Namespace == "" {
		target.Namespace = req.Namespace
	}
	if !pathsMatch(p, &target) {
		return fmt.Errorf("CIMObject %q, the XML targets %q", obj, target.String())
	}
	return nil
}

// namespaceEqual compares namespace names as DSP0004 does: case-insensitively,
// without surrounding slashes.
func namespaceEqual(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, "/"), strings.Trim(b, "/"))
}

// pathsMatch is cim.ObjectPath.Equal, made lenient about the typing of key values:
// a path parsed from header text holds int64 or string where the XML may hold a typed
// or an untyped value (wbemcli sends keys with VALUETYPE only), and a reference key
// may be text on one side and a path on the other.
func pathsMatch(a, b *cim.ObjectPath) bool {
	if a.Equal(b) {
		return true
	}
	if !namespaceEqual(a.Namespace, b.Namespace) || !strings.EqualFold(a.ClassName, b.ClassName) ||
		len(a.Keys) != len(b.Keys) {
		return false
	}
	for _, k := range a.Keys {
		v, ok := b.Key(k.Name)
		if !ok || !keysMatch(k.Value, v) {
			return false
		}
	}
	return true
}

func keysMatch(a, b any) bool {
	pa, aPath := a.(*cim.ObjectPath)
	pb, bPath := b.(*cim.ObjectPath)
	switch {
	case aPath && bPath:
		return pathsMatch(pa, pb)
	case aPath:
		return refTextMatches(pa, b)
	case bPath:
		return refTextMatches(pb, a)
	}
	sa, aStr := a.(string)
	sb, bStr := b.(string)
	if aStr && bStr {
		return sa == sb // string keys are case-sensitive
	}
	return strings.EqualFold(keyText(a), keyText(b))
}

// refTextMatches compares a reference with a key value that holds a path as text.
func refTextMatches(p *cim.ObjectPath, v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	q, err := cim.ParseObjectPath(s)
	if err != nil {
		return false
	}
	// A reference in a header may omit the namespace of its target; then it is
	// relative to the path it is a key of, and only class and keys can be compared.
	if q.Namespace == "" || p.Namespace == "" {
		pc, qc := *p, *q
		pc.Namespace, qc.Namespace = "", ""
		return pathsMatch(&pc, &qc)
	}
	return pathsMatch(p, q)
}

func keyText(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	case cim.Char16:
		return string(rune(x))
	case cim.Datetime:
		return string(x)
	case string:
		return strings.TrimSpace(x)
	default:
		return fmt.Sprint(x)
	}
}
