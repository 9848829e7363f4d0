package query

import (
	"fmt"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Filter is a parsed DMTF:FQL filter (DSP0212), the FilterQuery of the pull
// operations. It may be used by many goroutines at once.
type Filter struct {
	text  string
	expr  node
	props []string
	eval  evaluator
}

// ParseFilter parses an FQL filter. lang must be "DMTF:FQL" (in any case), else
// the error is a *cim.Error with cim.StatusQueryLanguageNotSupported; a malformed
// filter gives cim.StatusInvalidQuery, with a *SyntaxError as its Err.
func ParseFilter(lang, text string) (*Filter, error) {
	if !strings.EqualFold(strings.TrimSpace(lang), "DMTF:FQL") {
		return nil, &cim.Error{Code: cim.StatusQueryLanguageNotSupported,
			Description: fmt.Sprintf("filter query language %q is not supported: use DMTF:FQL", lang)}
	}
	f := &Filter{text: text}
	f.eval.d, f.eval.src, f.eval.twoValued = fql, text, true
	if err := run(func() {
		p := newParser(fql, text)
		f.expr = p.expr()
		if p.tok.kind != tEOF {
			p.fail(p.tok.pos, "want AND, OR or the end of the filter, have %s", p.tok.describe())
		}
		for _, r := range p.refs {
			if !containsFold(f.props, r.path[0]) {
				f.props = append(f.props, r.path[0])
			}
		}
	}); err != nil {
		return nil, syntaxError(fql, err)
	}
	return f, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Match reports whether inst passes the filter. As DSP0212 says, a property the
// instance lacks is NULL, and NULL = NULL is true, NULL <> x true for a non-NULL x,
// any other comparison with NULL false. A comparison the types do not allow gives
// a *cim.Error with cim.StatusInvalidQuery, a nil inst one with cim.StatusFailed.
func (f *Filter) Match(inst *cim.Instance) (bool, error) {
	return f.eval.run(f.expr, inst)
}

// Properties returns the names of the properties the filter uses (the first name
// of an embedded property path), each once, in order of appearance. DSP0200 wants
// them in the PropertyList of the operation when it has one.
func (f *Filter) Properties() []string { return append([]string(nil), f.props...) }

// String returns the filter text.
func (f *Filter) String() string { return f.text }
