package dispatch

// Hooks for the tests of package dispatch_test.

// CompiledQuery and CompiledFilter are the query interfaces, for fakes.
type (
	CompiledQuery  = compiledQuery
	CompiledFilter = compiledFilter
)

// SetQueryParsers replaces the query language front ends of d.
func SetQueryParsers(d *Dispatcher, q func(lang, text string) (CompiledQuery, error), f func(lang, text string) (CompiledFilter, error)) {
	d.parseQuery, d.parseFilter = q, f
}
