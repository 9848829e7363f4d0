package acm

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ResourceLabelsFile is the name of the resource label file in its folder,
// as xend named it (acm.md §5.4).
const ResourceLabelsFile = "resource_labels"

// ResourceStore is the resource label store: resource name (normalised by
// NormalizeResource) → label, kept in memory and in the file
// ResourceLabelsFile of one folder, in xend's format (a Python dict written
// by dictio.py), rewritten atomically at every change: temporary file,
// fsync, rename, fsync of the folder. A failed write changes nothing. It is
// safe for concurrent use. Whether a label exists in the policy and whether
// the resource is in use are the caller's checks (acm.md §5.4).
type ResourceStore struct {
	mu  sync.Mutex
	dir string
	m   map[string]ResourceLabel
}

// OpenResourceStore reads the store of folder dir; a missing file is an
// empty store. A file that does not parse is XSErrFileError.
func OpenResourceStore(dir string) (*ResourceStore, error) {
	s := &ResourceStore{dir: dir, m: map[string]ResourceLabel{}}
	data, err := os.ReadFile(filepath.Join(dir, ResourceLabelsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, &Error{Code: XSErrFileError, Msg: err.Error()}
	}
	m, err := DecodeResourceLabels(data)
	if err != nil {
		return nil, err
	}
	s.m = m
	return s, nil
}

// Get returns the label of resource res.
func (s *ResourceStore) Get(res string) (ResourceLabel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.m[res]
	return l, ok
}

// List returns a copy of every entry.
func (s *ResourceStore) List() map[string]ResourceLabel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

// checkOld is xend's old-label check: an empty old skips it; otherwise it
// must be a three-part label (XSErrBadLabelFormat) whose label part equals
// the stored one (XSErrBadLabel).
func (s *ResourceStore) checkOld(res, old string) error {
	if old == "" {
		return nil
	}
	ol, err := ParseLabel(old)
	if err != nil {
		return err
	}
	cur, ok := s.m[res]
	if !ok || cur.Label != ol.Label {
		return &Error{Code: XSErrBadLabel, Msg: fmt.Sprintf("old label '%s' does not match the label of resource '%s'", old, res)}
	}
	return nil
}

// Set labels resource res with l after the old-label check (see
// Remove); l must have a type, a policy and a label (XSErrBadLabelFormat).
func (s *ResourceStore) Set(res string, l ResourceLabel, old string) error {
	if res == "" || l.Type == "" || l.Policy == "" || l.Label == "" {
		return &Error{Code: XSErrBadLabelFormat, Msg: fmt.Sprintf("label '%s' of resource '%s' is incomplete", l, res)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOld(res, old); err != nil {
		return err
	}
	next := maps.Clone(s.m)
	next[res] = l
	return s.write(next)
}

// Remove removes the label of resource res: XSErrResourceNotLabeled when
// it has none; when old is not empty it must be a three-part label
// (XSErrBadLabelFormat) whose label part is the stored one (XSErrBadLabel).
func (s *ResourceStore) Remove(res, old string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[res]; !ok {
		return &Error{Code: XSErrResourceNotLabeled, Msg: "Resource not labeled"}
	}
	if err := s.checkOld(res, old); err != nil {
		return err
	}
	next := maps.Clone(s.m)
	delete(next, res)
	return s.write(next)
}

// Replace replaces every entry at once (the result of RelabelResources
// after a policy update).
func (s *ResourceStore) Replace(m map[string]ResourceLabel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(maps.Clone(m))
}

// write stores next in the file and, only if that succeeded, in memory.
func (s *ResourceStore) write(next map[string]ResourceLabel) error {
	if err := replaceFile(filepath.Join(s.dir, ResourceLabelsFile), EncodeResourceLabels(next)); err != nil {
		return &Error{Code: XSErrFileError, Msg: err.Error()}
	}
	s.m = next
	return nil
}

// replaceFile replaces file name with data so that a crash leaves the old
// or the new content: a temporary file in the same folder, fsync, rename,
// fsync of the folder.
func replaceFile(name string, data []byte) (err error) {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("acm: write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close() // already failing; the write error is the one to report
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("acm: write %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("acm: sync %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("acm: close %s: %w", name, err)
	}
	if err = os.Rename(f.Name(), name); err != nil {
		return fmt.Errorf("acm: rename %s: %w", name, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("acm: open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("acm: sync folder %s: %w", dir, err)
	}
	return nil
}

// EncodeResourceLabels writes m as xend's dictio.py did, keys sorted:
//
//	resources = {
//	    '<resource>': ('ACM', '<policy>', '<label>'),
//	}
func EncodeResourceLabels(m map[string]ResourceLabel) []byte {
	var b bytes.Buffer
	b.WriteString("resources = {\n")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		l := m[k]
		fmt.Fprintf(&b, "    %s: (%s, %s, %s),\n", PyRepr(k), PyRepr(l.Type), PyRepr(l.Policy), PyRepr(l.Label))
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// PyRepr quotes s as Python 2's repr of a byte string does: the form xend and xm
// wrote strings in, in their files and messages.
func PyRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// DecodeResourceLabels reads a resource label file: the dict as
// EncodeResourceLabels writes it, with 3-tuples or the 2-tuples
// (policy, label) of 3.0/3.1, whose type is ACM. Anything else is
// XSErrFileError naming the line.
func DecodeResourceLabels(data []byte) (map[string]ResourceLabel, error) {
	m := map[string]ResourceLabel{}
	lines := strings.Split(string(data), "\n")
	state := 0 // 0 before the header, 1 in the dict, 2 after it
	for i, line := range lines {
		t := strings.TrimSpace(line)
		bad := func(why string) error {
			return &Error{Code: XSErrFileError, Msg: fmt.Sprintf("%s line %d: %s", ResourceLabelsFile, i+1, why)}
		}
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
			continue
		case state == 0:
			if strings.Join(strings.Fields(t), " ") != "resources = {" {
				return nil, bad("expected 'resources = {'")
			}
			state = 1
		case state == 1 && t == "}":
			state = 2
		case state == 1:
			key, l, err := parseEntry(t)
			if err != nil {
				return nil, bad(err.Error())
			}
			m[key] = l
		default:
			return nil, bad("text after the dict")
		}
	}
	if state != 2 {
		return nil, &Error{Code: XSErrFileError, Msg: ResourceLabelsFile + ": unterminated dict"}
	}
	return m, nil
}

var errEntry = errors.New("expected '<resource>': ('<type>', '<policy>', '<label>'),")

// parseEntry parses one "'key': ('a', 'b'[, 'c']),” line.
func parseEntry(t string) (string, ResourceLabel, error) {
	key, rest, err := pyString(t)
	if err != nil {
		return "", ResourceLabel{}, err
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, ":") {
		return "", ResourceLabel{}, errEntry
	}
	rest = strings.TrimSpace(rest[1:])
	if !strings.HasPrefix(rest, "(") {
		return "", ResourceLabel{}, errEntry
	}
	rest = rest[1:]
	var parts []string
	for {
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ")") {
			rest = rest[1:]
			break
		}
		var p string
		if p, rest, err = pyString(rest); err != nil {
			return "", ResourceLabel{}, err
		}
		parts = append(parts, p)
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = rest[1:]
		} else if !strings.HasPrefix(rest, ")") {
			return "", ResourceLabel{}, errEntry
		}
	}
	rest = strings.TrimSpace(rest)
	if rest != "," && rest != "" {
		return "", ResourceLabel{}, errEntry
	}
	switch len(parts) {
	case 2:
		return key, ResourceLabel{Type: LabelTypeACM, Policy: parts[0], Label: parts[1]}, nil
	case 3:
		return key, ResourceLabel{Type: parts[0], Policy: parts[1], Label: parts[2]}, nil
	}
	return "", ResourceLabel{}, errEntry
}

// pyString reads a Python string literal at the start of s and returns its
// value and the rest of s.
func pyString(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", errEntry
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), s[i+1:], nil
		case c != '\\':
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		switch e := s[i]; e {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			if i+2 >= len(s) {
				return "", "", errEntry
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", "", errEntry
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			b.WriteByte(e)
		}
	}
	return "", "", errEntry
}
