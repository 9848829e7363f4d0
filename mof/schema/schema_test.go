package schema

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/mof/compile"
)

const dmtfDir = "../../../shared/schema/cim-2.49.0"

func mustCompile(t *testing.T, dir string) []*compile.Result {
	t.Helper()
	rs, err := Compile(dir)
	if err != nil {
		t.Fatalf("Compile(%q): %v", dir, err)
	}
	return rs
}

func lookup(rs []*compile.Result, name string) *cim.Class {
	for _, r := range rs {
		if c := r.Class(compile.DefaultNamespace, name); c != nil {
			return c
		}
	}
	return nil
}

// xenClasses are the classes of cim-model.md with their keys.
var xenClasses = map[string][]string{
	"Xen_HostSystem":                        {"CreationClassName", "Name"},
	"Xen_ComputerSystem":                    {"CreationClassName", "Name"},
	"Xen_VirtualSystemSettingData":          {"InstanceID"},
	"Xen_DiskSettingData":                   {"InstanceID"},
	"Xen_NetworkPortSettingData":            {"InstanceID"},
	"Xen_VirtualSystemManagementService":    {"SystemCreationClassName", "SystemName", "CreationClassName", "Name"},
	"Xen_HostedComputerSystem":              {"Antecedent", "Dependent"},
	"Xen_SystemSettingData":                 {"ManagedElement", "SettingData"},
	"Xen_VirtualSystemSettingDataComponent": {"GroupComponent", "PartComponent"},
	"Xen_HostedService":                     {"Antecedent", "Dependent"},
	"Xen_ACMPolicy":                         {"InstanceID"},
	"Xen_SecurityLabel":                     {"InstanceID"},
	"Xen_ConflictSet":                       {"InstanceID"},
	"Xen_LabeledResource":                   {"ResourceName"},
	"Xen_SecurityService":                   {"SystemCreationClassName", "SystemName", "CreationClassName", "Name"},
	"Xen_PolicyLabel":                       {"GroupComponent", "PartComponent"},
	"Xen_PolicyConflictSet":                 {"GroupComponent", "PartComponent"},
	"Xen_ElementSecurityLabel":              {"SecurityLevel", "ManagedElement"},
	"Xen_VTPM":                              {"SystemCreationClassName", "SystemName", "CreationClassName", "DeviceID"},
	"Xen_SystemVTPM":                        {"GroupComponent", "PartComponent"},
	"Xen_VTPMManagementService":             {"SystemCreationClassName", "SystemName", "CreationClassName", "Name"},
	"Xen_PolicyChangeIndication":            nil,
	"Xen_AccessDeniedIndication":            nil,
}

// methods of cim-model.md §2 and §3 with the parameters the contract names.
var xenMethods = map[string]map[string][]string{
	"Xen_SecurityService": {
		"SetPolicy":           {"Policy", "Flags", "Overwrite", "PolicyRef", "Errors", "Message"},
		"ResetPolicy":         {"Errors", "Message"},
		"ActivatePolicy":      {"Policy", "Flags", "ActiveFlags", "Message"},
		"RemoveBootPolicy":    {"Message"},
		"GetPolicy":           {"PolicyRef", "Flags", "Version", "Message"},
		"CanRun":              {"Label", "Message"},
		"GetDecision":         {"Label1", "Label2", "Hook", "Permitted", "Message"},
		"SetSecurityLabel":    {"Element", "Label", "OldLabel", "SSIDRef", "Message"},
		"GetSecurityLabel":    {"Element", "Label", "Message"},
		"SetResourceLabel":    {"Resource", "Label", "OldLabel", "Message"},
		"GetResourceLabel":    {"Resource", "Label", "Message"},
		"GetLabeledResources": {"Resources", "Labels", "Message"},
		"DryRun":              {"System", "SystemSettings", "ResourceSettings", "Permitted", "Report", "Message"},
		"DumpPolicy":          {"Text", "Message"},
		"GetEnforcedBinary":   {"Binary", "Message"},
		"AttestPolicy":        {"Nonce", "Quote", "Signature", "AKPublic", "PolicyHash", "PCRValue", "EventLog", "Message"},
	},
	"Xen_VTPMManagementService": {
		"CreateVTPM":          {"System", "PreferredInstanceNumber", "VTPM", "Message"},
		"DestroyVTPM":         {"VTPM", "Message"},
		"ReadPCRs":            {"VTPM", "Bank", "PCRs", "Values", "Message"},
		"ExtendPCR":           {"VTPM", "Bank", "PCR", "Digest", "Message"},
		"GetQuote":            {"VTPM", "Nonce", "Bank", "PCRs", "Quoted", "Signature", "AKPublic", "PCRValues", "EKCertificate", "Message"},
		"VerifyQuote":         {"Quoted", "Signature", "AKPublic", "Nonce", "PCRs", "PCRValues", "ReferencePCRValues", "Result", "Details", "Message"},
		"PrepareIncomingVTPM": {"System", "MigrationID", "DestinationKey", "Message"},
		"ExportVTPM":          {"VTPM", "MigrationID", "DestinationKey", "Blob", "Message"},
		"ImportVTPM":          {"System", "MigrationID", "Blob", "VTPM", "Message"},
		"CommitVTPMMigration": {"VTPM", "MigrationID", "Message"},
		"AbortVTPMMigration":  {"VTPM", "MigrationID", "Message"},
		"MigrateVTPM":         {"VTPM", "Destination", "UserName", "Password", "Message"},
	},
}

func checkXen(t *testing.T, rs []*compile.Result) {
	for name, keys := range xenClasses {
		c := lookup(rs, name)
		if c == nil {
			t.Errorf("class %s missing", name)
			continue
		}
		if got := c.KeyNames(); strings.Join(sorted(got), ",") != strings.Join(sorted(keys), ",") {
			t.Errorf("%s keys = %v, want %v", name, got, keys)
		}
	}
	for class, methods := range xenMethods {
		c := lookup(rs, class)
		if c == nil {
			continue
		}
		for m, params := range methods {
			meth := c.Method(m)
			if meth == nil {
				t.Errorf("%s.%s missing", class, m)
				continue
			}
			if meth.ReturnType != cim.TypeUint32 {
				t.Errorf("%s.%s returns %s, want uint32", class, m, meth.ReturnType)
			}
			for _, p := range params {
				if meth.Parameter(p) == nil {
					t.Errorf("%s.%s has no parameter %s", class, m, p)
				}
			}
		}
	}
	if c := lookup(rs, "Xen_AccessDeniedIndication"); c == nil || !c.IsIndication() {
		t.Errorf("Xen_AccessDeniedIndication is not an indication")
	}
	if c := lookup(rs, "Xen_ElementSecurityLabel"); c == nil || !c.IsAssociation() {
		t.Errorf("Xen_ElementSecurityLabel is not an association")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestEmbeddedSchema(t *testing.T) {
	rs := mustCompile(t, "")
	if len(rs) != 1 {
		t.Fatalf("%d results, want 1", len(rs))
	}
	counts := rs[0].Counts()
	if counts.QualifierTypes != 70 || counts.Classes < 80 {
		t.Errorf("embedded schema counts = %v, want 70 qualifier types and the classes of cim-model.md", counts)
	}
	checkXen(t, rs)
	for _, name := range []string{
		"CIM_ManagedElement", "CIM_Namespace", "CIM_ObjectManager", "CIM_RegisteredProfile",
		"CIM_ElementConformsToProfile", "CIM_ReferencedProfile", "CIM_IndicationFilter",
		"CIM_ListenerDestinationCIMXML", "CIM_IndicationSubscription", "CIM_InstCreation",
		"CIM_InstDeletion", "CIM_InstModification", "CIM_AlertIndication",
	} {
		if lookup(rs, name) == nil {
			t.Errorf("class %s missing from the embedded schema", name)
		}
	}
}

func TestXenOnFullDMTF(t *testing.T) {
	rs := mustCompile(t, dmtfDir)
	if len(rs) != 2 || rs[0].Counts().Classes != 1631 {
		t.Fatalf("DMTF results = %d, first with %v", len(rs), rs[0].Counts())
	}
	checkXen(t, rs)
}

// TestEmbeddedMatchesDMTF compares every CIM_ class of the embedded schema with the
// same class of the DMTF schema: qualifier declarations, and for each class its
// elements with their types, keys, class origins and the qualifiers that are not
// descriptions.
func TestEmbeddedMatchesDMTF(t *testing.T) {
	own := mustCompile(t, "")[0]
	full := mustCompile(t, dmtfDir)[0]
	ns := own.Namespace(compile.DefaultNamespace)
	for _, qt := range ns.QualifierTypes {
		d := full.QualifierType(compile.DefaultNamespace, qt.Name)
		if d == nil || fmt.Sprint(*d) != fmt.Sprint(*qt) {
			t.Errorf("qualifier %s = %+v, DMTF %+v", qt.Name, qt, d)
		}
	}
	n := 0
	for _, c := range ns.Classes {
		if !strings.HasPrefix(c.Name, "CIM_") {
			continue
		}
		n++
		d := full.Class(compile.DefaultNamespace, c.Name)
		if d == nil {
			t.Errorf("%s is not a DMTF 2.49 class", c.Name)
			continue
		}
		if got, want := signature(c), signature(d); got != want {
			t.Errorf("%s differs from DMTF:\n own: %s\ndmtf: %s", c.Name, got, want)
		}
	}
	if n < 50 {
		t.Errorf("only %d CIM_ classes embedded", n)
	}
}

func signature(c *cim.Class) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%s %s;", c.Name, c.SuperClass, quals(c.Qualifiers))
	for _, p := range c.Properties {
		fmt.Fprintf(&b, " %s %s %v %d %s %s %v =%v %s;", p.Name, p.Type, p.IsArray, p.ArraySize, p.ReferenceClass, p.ClassOrigin, p.Propagated, p.Value, quals(p.Qualifiers))
	}
	for _, m := range c.Methods {
		fmt.Fprintf(&b, " %s() %s %s %v %s", m.Name, m.ReturnType, m.ClassOrigin, m.Propagated, quals(m.Qualifiers))
		for _, p := range m.Parameters {
			fmt.Fprintf(&b, " (%s %s %v %s %s)", p.Name, p.Type, p.IsArray, p.ReferenceClass, quals(p.Qualifiers))
		}
		b.WriteString(";")
	}
	return b.String()
}

func quals(qs cim.Qualifiers) string {
	var parts []string
	for _, q := range qs {
		if strings.EqualFold(q.Name, "Description") {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%v/%v/%v", q.Name, q.Value, q.Flavor, q.Propagated))
	}
	return "[" + strings.Join(parts, ",") + "]"
}
