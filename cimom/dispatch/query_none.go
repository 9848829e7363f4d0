//go:build !cimquery

package dispatch

import "github.com/shypecim/shypecim/cimom/cim"

// Without package cimom/query (build tag cimquery), queries are not supported: the
// only place that says so. Once cimom/query is in the build, this file goes and
// query_cimquery.go loses its build tag.

func parseQuery(lang, text string) (compiledQuery, error) {
	return nil, cim.Errorf(cim.StatusNotSupported, "queries are not supported")
}

func parseFilter(lang, text string) (compiledFilter, error) {
	return nil, cim.Errorf(cim.StatusFilteredEnumerationNotSupported, "filtered enumerations are not supported")
}
