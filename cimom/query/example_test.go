package query_test

import (
	"fmt"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/query"
)

func ExampleParse() {
	q, err := query.Parse("WQL", "SELECT Name FROM Xen_Domain WHERE MemoryMB >= 1024 AND Name LIKE 'web%'")
	if err != nil {
		fmt.Println(err)
		return
	}
	dom := &cim.Instance{ClassName: "Xen_Domain", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Value: "web1"},
		{Name: "MemoryMB", Type: cim.TypeUint64, Value: uint64(2048)},
	}}
	ok, err := q.Match(dom)
	fmt.Println(q.ClassName(), q.SelectList(), ok, err)
	fmt.Println(len(q.Project(dom).Properties))

	_, err = query.Parse("WQL", "SELECT * FROM Xen_Domain WHERE Name = ")
	fmt.Println(err)
	_, err = query.Parse("XQuery", "…")
	fmt.Println(cim.StatusOf(err))
	// Output:
	// Xen_Domain [Name] true <nil>
	// 1
	// CIM_ERR_INVALID_QUERY: WQL syntax error at column 39: want a property name or a literal, have end of query
	// CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED
}

func ExampleParseFilter() {
	f, err := query.ParseFilter("DMTF:FQL", "ANY Labels = 'red' AND NOT Paused = TRUE")
	if err != nil {
		fmt.Println(err)
		return
	}
	dom := &cim.Instance{ClassName: "Xen_Domain", Properties: []cim.Property{
		{Name: "Labels", Type: cim.TypeString, IsArray: true, Value: []any{"blue", "red"}},
	}}
	ok, err := f.Match(dom) // Paused is missing: NULL, and NULL = TRUE is false
	fmt.Println(f.Properties(), ok, err)
	// Output:
	// [Labels Paused] true <nil>
}
