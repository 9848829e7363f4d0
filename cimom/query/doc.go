// Package query implements the query languages of the server: WQL and DMTF:CQL
// (DSP0202) for ExecQuery, OpenQueryInstances and indication filters, and DMTF:FQL
// (DSP0212) for the FilterQuery of the pull operations. It imports only cimom/cim.
//
//	q, err := query.Parse("WQL", "SELECT Name FROM Xen_Domain WHERE State = 2")
//	err = q.Validate(lookup)      // the FROM class and the properties exist
//	ok, err := q.Match(inst)      // for each instance of the class and its subclasses
//	out := q.Project(inst)        // narrowed to the select list
//
//	f, err := query.ParseFilter("DMTF:FQL", "ANY Roles = 'admin' AND Enabled = TRUE")
//	ok, err = f.Match(inst)
//
// Every error is a *cim.Error: cim.StatusQueryLanguageNotSupported for an unknown
// language, cim.StatusInvalidQuery for a malformed query (its Err is a *SyntaxError
// with the line and column), for a class or property Validate cannot find, or for a
// comparison the types do not allow.
//
// # WQL and CQL
//
//	SELECT * | item {, item} FROM class [WHERE expr]            WQL
//	SELECT * | item {, item} FROM class [[AS] alias] [WHERE expr] CQL
//
// expr combines predicates with AND, OR, NOT and parentheses. The predicates are:
//
//	operand op operand       op: = <> < <= > >=; one side a property
//	ANY|EVERY prop op value  each element of an array property (DSP0212 form)
//	prop IS [NOT] NULL
//	prop ISA Class           (the class also in quotes, as WMI writes it)
//	prop [NOT] LIKE 'pattern'
//
// Operands are properties and literals. A property is a name; names of properties
// of embedded instances follow after dots ("SourceInstance.Name"); an index selects
// an array element ("Roles[0]", NULL past the end). Literals: strings, integers
// (decimal, hexadecimal 0x1F; CQL also binary 101B) with an optional sign, reals
// (1.5, .5, 1e3), TRUE, FALSE, NULL, and array literals {1, 2, 3} for = and <>
// against a whole array. Keywords and names are case-insensitive; keywords are
// reserved.
//
// The spellings differ a little. WQL accepts != for <> and strings in single or
// double quotes; CQL only <> and single quotes. Strings escape with a backslash
// (\\ \' \" \b \t \n \f \r \uXXXX) or a doubled quote; before any other character
// the backslash stays, so that LIKE patterns such as 'a\.b' reach the matcher.
//
// CQL names may be qualified by the FROM class or its alias ("CIM_Foo.Name",
// "F.Name", "SELECT F.*"), and the class or alias alone stands for the instance
// itself: "WHERE F ISA CIM_Bar". In WHERE, a CQL name may be scoped by a class,
// DSP0202's way into embedded instances: "SourceInstance.CIM_Foo::Name" is NULL
// unless SourceInstance is a CIM_Foo (or a subclass), and Validate checks Name
// against CIM_Foo. WQL names the instance __THIS and its class name __CLASS (WMI's
// system properties); both work in CQL too.
//
// ISA is true when the left side is, or refers to, an instance of the class or of
// one of its subclasses. The left side is an embedded instance (WMI's
// "TargetInstance ISA 'Win32_Process'", DSP0202's "SourceInstance ISA CIM_Foo" in
// indication filters), a reference (the class of the path), the instance itself
// (__THIS, the CQL class or alias), or __CLASS. Subclasses are known through the
// lookup given to Validate; without it ISA compares class names only.
//
// LIKE patterns: WQL as WMI has them (% any run, _ one character, [a-z] [^a-z] sets);
// CQL the basic regular expressions of DSP0202 (. any character, * repeats the
// character before, \ escapes); FQL the regular expressions of DSP1001 (. [set]
// [set]^ * + ? {m,n} ( ) | ^ $ \). The pattern must match the whole string.
// Patterns are compiled when the query is parsed; one whose automaton would
// exceed about 20,000 instructions is refused as too complex.
//
// Comparisons follow the CIM type of the instance's value. Numbers compare by value
// across all integer and real types (a real32 at real32 precision); strings and
// char16 case-sensitively, in code point order; booleans only with = and <>;
// datetimes by value (timestamps in UTC, intervals by length; a timestamp never
// equals an interval, and values with asterisks compare only for equality, as
// text), a string literal being read as a datetime; references as object paths
// (cim.ObjectPath.Equal, where a side without namespace matches any namespace),
// a string literal being read as a path; arrays with = and <> element by element.
// Embedded instances only with IS NULL and ISA.
//
// NULL follows SQL's three-valued logic in WQL and CQL: a comparison with NULL (or
// with a property the instance lacks) is UNKNOWN, NOT UNKNOWN is UNKNOWN, and a
// WHERE clause that is UNKNOWN does not match. Only IS [NOT] NULL tests for NULL.
//
// Not supported in WQL and CQL: joins and more than one FROM class, arithmetic,
// functions (CQL's UPPER, CLASSQUALIFIER, DATETIME(...)...), scoped names in the
// select list, "ANY x IN a SATISFIES (...)", ORDER BY, DISTINCT and FIRST, WMI's
// ASSOCIATORS OF / REFERENCES OF, schema queries and the WITHIN / GROUP clauses of
// event queries.
//
// # FQL
//
// An FQL filter (DSP0212) is an expression, without SELECT:
//
//	prop op literal | prop op prop          op: = <> < <= > >=
//	prop = {a, b} | prop <> {a, b}          the whole array
//	prop[i] op ...                          one element
//	[NOT] ANY|EVERY prop op value           each element
//	prop [NOT] LIKE 'regex'                 DSP1001 regular expression
//	prop IS [NOT] NULL                      (also prop = NULL, prop <> NULL)
//
// combined with AND, OR, NOT and parentheses; "Embedded.Prop" reaches a property
// of an embedded instance. Strings are in single quotes. NULL follows DSP0212 as
// Pegasus implements it: a property the instance lacks is NULL, NULL = NULL is
// true, NULL <> x is true for a non-NULL x, any other predicate on NULL is false;
// there is no UNKNOWN. Not supported: reference literals other than strings, and
// the comparison of embedded instances as a whole.
package query
