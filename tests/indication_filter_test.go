package tests

import (
	"context"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// TestIndicationFilterValidation: a filter whose query language is unknown or whose
// query does not parse is refused at creation (14, 15), as SFCB and Pegasus do,
// and nothing is stored.
func TestIndicationFilterValidation(t *testing.T) {
	s := startServer(t)
	c := cimClient(t, s)
	ctx := context.Background()
	for _, tt := range []struct {
		name, lang, query string
		want              cim.Status
	}{
		{"lang", "XQuery", "SELECT * FROM CIM_AlertIndication", cim.StatusQueryLanguageNotSupported},
		{"syntax", "WQL", "SELECT FROM", cim.StatusInvalidQuery},
		{"ok", "DMTF:CQL", "SELECT * FROM CIM_AlertIndication", cim.StatusOK},
	} {
		inst := &cim.Instance{ClassName: "CIM_IndicationFilter", Properties: []cim.Property{
			strProp("SystemCreationClassName", "CIM_ComputerSystem"), strProp("SystemName", hostName(t)),
			strProp("CreationClassName", "CIM_IndicationFilter"), strProp("Name", tt.name),
			strProp("Query", tt.query), strProp("QueryLanguage", tt.lang)}}
		_, err := c.CreateInstance(ctx, "interop", inst)
		if got := cim.StatusOf(err); got != tt.want {
			t.Errorf("filter %s: status %v (%v), want %v", tt.name, got, err, tt.want)
		}
	}
	names, err := c.EnumerateInstanceNames(ctx, "interop", "CIM_IndicationFilter")
	if err != nil || len(names) != 1 {
		t.Errorf("stored filters: %v (%v), want only the valid one", names, err)
	}
}
