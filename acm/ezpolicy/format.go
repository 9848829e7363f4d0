package ezpolicy

import (
	"bytes"
	"strings"
)

// MarshalText writes d in the text format Parse reads (ezPolicy's "Save Workload
// Definition"): header statements, then the organisations, then the conflict sets.
// Conflict sets of fewer than two members are left out, as Generate leaves them out.
// It fails when d is not valid, or when its date or url holds a '#', which the text
// format would read as a comment.
func (d *Description) MarshalText() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	var e errs
	if strings.Contains(d.Date, "#") {
		e.add(d.lines.date, ErrSyntax, "date %q holds '#', which the text format reads as a comment", d.Date)
	}
	if strings.Contains(d.URL, "#") {
		e.add(d.lines.url, ErrSyntax, "url %q holds '#', which the text format reads as a comment", d.URL)
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("policy " + d.Policy + "\n")
	if d.Version != "" {
		b.WriteString("version " + d.Version + "\n")
	}
	if d.Date != "" {
		b.WriteString("date " + strings.TrimSpace(d.Date) + "\n")
	}
	if d.URL != "" {
		b.WriteString("url " + strings.TrimSpace(d.URL) + "\n")
	}
	if d.From != nil {
		b.WriteString("from " + d.From.Policy + " " + d.From.Version + "\n")
	}
	b.WriteByte('\n')
	for _, o := range d.Orgs {
		b.WriteString("org " + o.Name)
		if len(o.Departments) > 0 {
			b.WriteString(": " + strings.Join(o.Departments, " "))
		}
		b.WriteByte('\n')
	}
	sep := false
	for _, c := range d.Conflicts {
		if len(c.Members) < 2 {
			continue
		}
		if !sep {
			b.WriteByte('\n')
			sep = true
		}
		b.WriteString("conflict ")
		if c.Name != "" {
			b.WriteString(c.Name + ": ")
		}
		b.WriteString(strings.Join(c.Members, " ") + "\n")
	}
	return b.Bytes(), nil
}

// UnmarshalText replaces d with the description Parse reads from text.
func (d *Description) UnmarshalText(text []byte) error {
	nd, err := Parse(bytes.NewReader(text))
	if err != nil {
		return err
	}
	*d = *nd
	return nil
}
