package dispatch

import "github.com/shypecim/shypecim/cimom/query"

// The query languages of package cimom/query: WQL and DMTF:CQL for ExecQuery and
// OpenQueryInstances, DMTF:FQL for the filters of the Open… operations.

func parseQuery(lang, text string) (compiledQuery, error) {
	q, err := query.Parse(lang, text)
	if err != nil {
		return nil, err
	}
	return q, nil
}

func parseFilter(lang, text string) (compiledFilter, error) {
	f, err := query.ParseFilter(lang, text)
	if err != nil {
		return nil, err
	}
	return f, nil
}
