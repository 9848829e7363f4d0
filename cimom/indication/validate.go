package indication

import (
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/query"
)

// ValidateFilter checks an instance of class c before the repository stores it
// (dispatch.Options.Validate): an indication filter (CIM_IndicationFilter or a
// subclass, found through lookup) must carry a query in a supported language
// (CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED otherwise) that parses
// (CIM_ERR_INVALID_QUERY), as SFCB and Pegasus refuse them at creation rather than
// skip them at delivery. Other classes pass.
func ValidateFilter(lookup func(ns, class string) *cim.Class) func(ns string, c *cim.Class, inst *cim.Instance) error {
	return func(ns string, c *cim.Class, inst *cim.Instance) error {
		if !isA(lookup, ns, c, "CIM_IndicationFilter") {
			return nil
		}
		lang, _ := stringProp(inst, "QueryLanguage")
		text, _ := stringProp(inst, "Query")
		if strings.TrimSpace(text) == "" {
			return cim.Errorf(cim.StatusInvalidQuery, "the filter has no Query")
		}
		_, err := query.Parse(lang, text)
		return err
	}
}

// isA reports whether c is class name or one of its subclasses.
func isA(lookup func(ns, class string) *cim.Class, ns string, c *cim.Class, name string) bool {
	for seen := 0; c != nil && seen < 64; seen++ {
		if strings.EqualFold(c.Name, name) {
			return true
		}
		if c.SuperClass == "" || lookup == nil {
			return false
		}
		c = lookup(ns, c.SuperClass)
	}
	return false
}
