package indication

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func TestValidateFilter(t *testing.T) {
	classes := map[string]*cim.Class{
		"CIM_ManagedElement":   {Name: "CIM_ManagedElement"},
		"CIM_IndicationFilter": {Name: "CIM_IndicationFilter", SuperClass: "CIM_ManagedElement"},
		"X_Filter":             {Name: "X_Filter", SuperClass: "CIM_IndicationFilter"},
		"X_Other":              {Name: "X_Other", SuperClass: "CIM_ManagedElement"},
	}
	lookup := func(_, name string) *cim.Class { return classes[name] }
	validate := ValidateFilter(lookup)
	filter := func(lang, q string) *cim.Instance {
		return &cim.Instance{ClassName: "CIM_IndicationFilter", Properties: []cim.Property{
			{Name: "QueryLanguage", Type: cim.TypeString, Value: lang},
			{Name: "Query", Type: cim.TypeString, Value: q}}}
	}
	tests := []struct {
		class string
		inst  *cim.Instance
		want  cim.Status
	}{
		{"CIM_IndicationFilter", filter("WQL", "SELECT * FROM CIM_AlertIndication"), cim.StatusOK},
		{"X_Filter", filter("DMTF:CQL", "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA Xen_ACMPolicy"), cim.StatusOK},
		{"CIM_IndicationFilter", filter("XQuery", "SELECT * FROM CIM_AlertIndication"), cim.StatusQueryLanguageNotSupported},
		{"X_Filter", filter("WQL", "SELECT FROM WHERE"), cim.StatusInvalidQuery},
		{"CIM_IndicationFilter", filter("WQL", ""), cim.StatusInvalidQuery},
		{"X_Other", filter("nonsense", "nonsense"), cim.StatusOK},
	}
	for _, tt := range tests {
		err := validate("interop", classes[tt.class], tt.inst)
		if got := cim.StatusOf(err); got != tt.want {
			t.Errorf("%s %v: status %v (%v), want %v", tt.class, tt.inst.Properties, got, err, tt.want)
		}
	}
}
