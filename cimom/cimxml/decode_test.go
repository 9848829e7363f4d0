package cimxml

import (
	"path/filepath"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// TestDecodeCaptures decodes every request the real clients sent (wbemcli 1.6.3 and
// pywbemcli) and checks the operation.
func TestDecodeCaptures(t *testing.T) {
	gc := &cim.GetClass{Base: base, ClassName: "TST_Person", ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}}
	ei := &cim.EnumerateInstances{Base: base, ClassName: "TST_Person", DeepInheritance: true,
		InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true}}
	gi := &cim.GetInstance{Base: base, InstanceName: alice(), InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true}}
	ecn := &cim.EnumerateClassNames{Base: base, ClassName: "TST_Person", DeepInheritance: true}
	tests := []struct {
		file string
		id   string
		want cim.Op
	}{
		{"01-ecn-namespace__EnumerateClassNames.raw", "4711", &cim.EnumerateClassNames{Base: base, DeepInheritance: true}},
		{"02-ecn-class__EnumerateClassNames.raw", "4711", ecn},
		{"03-ec-namespace__EnumerateClasses.raw", "4711", &cim.EnumerateClasses{Base: base, DeepInheritance: true,
			ClassFlags: cim.ClassFlags{IncludeClassOrigin: true}}},
		{"04-ec-class__EnumerateClasses.raw", "4711", &cim.EnumerateClasses{Base: base, ClassName: "TST_Person", DeepInheritance: true,
			ClassFlags: cim.ClassFlags{IncludeClassOrigin: true}}},
		{"05-gc__GetClass.raw", "4711", gc},
		{"06-gc-proplist__GetClass.raw", "4711", &cim.GetClass{Base: base, ClassName: "TST_Person",
			ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}, PropertyList: cim.PropertyList{"Name"}}},
		{"07-gcd__GetClass.raw", "4711", &cim.GetClass{Base: base, ClassName: "TST_Person"}},
		{"08-dc__DeleteClass.raw", "4711", &cim.DeleteClass{Base: base, ClassName: "TST_Person"}},
		{"09-ei__EnumerateInstances.raw", "4711", ei},
		{"10-ei-proplist__EnumerateInstances.raw", "4711", &cim.EnumerateInstances{Base: base, ClassName: "TST_Person",
			DeepInheritance: true, InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true}, PropertyList: cim.PropertyList{"Name", "Age"}}},
		{"11-ei-cte__EnumerateInstances.raw", "4711", ei},
		{"12-ein__EnumerateInstanceNames.raw", "4711", &cim.EnumerateInstanceNames{Base: base, ClassName: "TST_Person"}},
		{"13-gi__GetInstance.raw", "4711", gi},
		{"14-gi-proplist__GetInstance.raw", "4711", &cim.GetInstance{Base: base, InstanceName: alice(),
			InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true}, PropertyList: cim.PropertyList{"Name"}}},
		{"15-gi-multikey__GetInstance.raw", "4711", &cim.GetInstance{Base: base, InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true},
			InstanceName: &cim.ObjectPath{Namespace: ns, ClassName: "TST_Person", Keys: []cim.KeyBinding{
				{Name: "Name", Value: "Alice"}, {Name: "Id", Value: int64(5)}, {Name: "Flag", Value: true}}}}},
		{"16-ci-1-GetClass__GetClass.raw", "4711", gc},
		{"17-ci-2-CreateInstance__CreateInstance.raw", "4711", &cim.CreateInstance{Base: base, NewInstance: &cim.Instance{
			ClassName: "TST_Person", Properties: []cim.Property{
				{Name: "Name", Type: cim.TypeString, Value: "Bob"},
				{Name: "Age", Type: cim.TypeUint32, Value: uint32(7)},
				{Name: "Nick", Type: cim.TypeString, IsArray: true, Value: []any{"b", "bobby"}},
			}}}},
		{"18-mi-1-GetInstance__GetInstance.raw", "4711", gi},
		{"19-mi-2-ModifyInstance__ModifyInstance.raw", "4711", &cim.ModifyInstance{Base: base, InstanceName: alice(),
			IncludeQualifiers: true, ModifiedInstance: &cim.Instance{ClassName: "TST_Person", Properties: []cim.Property{
				{Name: "Name", Type: cim.TypeString, Value: "Alice"},
				{Name: "Age", Type: cim.TypeUint32, Value: uint32(43)},
				{Name: "Nick", Type: cim.TypeString, IsArray: true, Value: []any{"al", "ally"}},
			}}}},
		{"20-di__DeleteInstance.raw", "4711", &cim.DeleteInstance{Base: base, InstanceName: alice()}},
		{"21-gp__GetProperty.raw", "4711", &cim.GetProperty{Base: base, InstanceName: alice(), PropertyName: "Age"}},
		{"22-sp-1-GetClass__GetClass.raw", "4711", gc},
		{"23-sp-2-SetProperty__SetProperty.raw", "4711", &cim.SetProperty{Base: base, InstanceName: alice(), PropertyName: "Age", NewValue: "44"}},
		{"24-ai__Associators.raw", "4711", &cim.Associators{Base: base, ObjectName: alice(), IncludeClassOrigin: true}},
		{"25-ai-filters__Associators.raw", "4711", &cim.Associators{Base: base, ObjectName: alice(), AssocClass: "TST_Friend",
			ResultClass: "TST_Person", Role: "Left", ResultRole: "Right", IncludeClassOrigin: true, PropertyList: cim.PropertyList{"Name"}}},
		{"26-ain-filters__AssociatorNames.raw", "4711", &cim.AssociatorNames{Base: base, ObjectName: alice(), AssocClass: "TST_Friend",
			ResultClass: "TST_Person", Role: "Left", ResultRole: "Right"}},
		{"27-ai-classpath__Associators.raw", "4711", &cim.Associators{Base: base, ObjectName: personClass(), IncludeClassOrigin: true}},
		{"28-ain-classpath__AssociatorNames.raw", "4711", &cim.AssociatorNames{Base: base, ObjectName: personClass()}},
		{"29-ri__References.raw", "4711", &cim.References{Base: base, ObjectName: alice(), IncludeClassOrigin: true}},
		{"30-ri-filters__References.raw", "4711", &cim.References{Base: base, ObjectName: alice(), ResultClass: "TST_Friend",
			Role: "Left", IncludeClassOrigin: true, PropertyList: cim.PropertyList{"Name"}}},
		{"31-rin-filters__ReferenceNames.raw", "4711", &cim.ReferenceNames{Base: base, ObjectName: alice(), ResultClass: "TST_Friend", Role: "Left"}},
		{"32-rin-classpath__ReferenceNames.raw", "4711", &cim.ReferenceNames{Base: base, ObjectName: personClass()}},
		{"33-cm-1-GetClass__GetClass.raw", "4711", gc},
		{"34-cm-2-InvokeMethod-instance__Ping.raw", "4711", &cim.InvokeMethod{Base: base, Target: alice(), MethodName: "Ping",
			Params: []cim.ParamValue{{Name: "Count", Value: "3"}, {Name: "Msg", Value: "hi"}}}},
		{"35-cmx-1-GetClass__GetClass.raw", "4711", gc},
		{"36-cmx-2-InvokeMethod__Ping.raw", "4711", &cim.InvokeMethod{Base: base, Target: alice(), MethodName: "Ping",
			Params: []cim.ParamValue{{Name: "Count", Value: "3"}}}},
		{"37-cm-static-1-GetClass__GetClass.raw", "4711", gc},
		{"38-cm-static-2-InvokeMethod-class__Ping.raw", "4711", &cim.InvokeMethod{Base: base, Target: personClass(), MethodName: "Ping"}},
		{"39-ecn-dx__EnumerateClassNames.raw", "4711", ecn},
		{"40-ei-basicauth__EnumerateInstances.raw", "4711", ei},
		{"41-ein-interop__EnumerateInstanceNames.raw", "4711", &cim.EnumerateInstanceNames{Base: cim.Base{Namespace: "root/interop"}, ClassName: "CIM_Namespace"}},
		{"42-gi-refkey__GetInstance.raw", "4711", &cim.GetInstance{Base: base, InstanceFlags: cim.InstanceFlags{IncludeClassOrigin: true},
			InstanceName: &cim.ObjectPath{Namespace: ns, ClassName: "TST_Ref", Keys: []cim.KeyBinding{{Name: "Ref", Value: &cim.ObjectPath{
				Host: "localhost", Namespace: ns, ClassName: "TST_Person", Keys: []cim.KeyBinding{{Name: "Name", Value: "Alice"}}}}}}}},

		{"pywbemcli/01-class-enumerate-names-only__EnumerateClassNames.raw", "1001", &cim.EnumerateClassNames{Base: base}},
		{"pywbemcli/02-instance-enumerate__OpenEnumerateInstances.raw", "1001", &cim.OpenEnumerateInstances{Base: base,
			ClassName: "TST_Person", PullOptions: cim.PullOptions{MaxObjectCount: 1000}}},
		{"pywbemcli/03-instance-enumerate-fallback-after-CIM_ERR_NOT_SUPPORTED__EnumerateInstances.raw", "1001",
			&cim.EnumerateInstances{Base: base, ClassName: "TST_Person"}},
		{"pywbemcli/04-instance-get__GetInstance.raw", "1001", &cim.GetInstance{Base: base, InstanceName: alice()}},
		{"pywbemcli/05-instance-references__OpenReferenceInstances.raw", "1001", &cim.OpenReferenceInstances{Base: base,
			InstanceName: alice(), PullOptions: cim.PullOptions{MaxObjectCount: 1000}}},
		{"pywbemcli/06-instance-references-fallback__References.raw", "1001", &cim.References{Base: base, ObjectName: alice()}},
		{"pywbemcli/07-invokemethod-1__GetClass.raw", "1001", &cim.GetClass{Base: base, ClassName: "TST_Person",
			ClassFlags: cim.ClassFlags{IncludeQualifiers: true}}},
		{"pywbemcli/08-invokemethod-2__Ping.raw", "1001", &cim.InvokeMethod{Base: base, Target: alice(), MethodName: "Ping",
			Params: []cim.ParamValue{{Name: "Count", Type: cim.TypeUint32, Value: uint32(3)}}}},
	}
	files, _ := filepath.Glob(filepath.Join(capturesDir, "*.raw"))
	more, _ := filepath.Glob(filepath.Join(capturesDir, "pywbemcli", "*.raw"))
	if n := len(files) + len(more); n != len(tests) {
		t.Errorf("%d capture files, %d test cases: add the new ones", n, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			req := mustDecode(t, readCapture(t, filepath.Join(capturesDir, tt.file)))
			if req.Err != nil {
				t.Fatalf("Err = %v, want none", req.Err)
			}
			_, intrinsic := tt.want.(*cim.InvokeMethod)
			intrinsic = !intrinsic
			if req.ID != tt.id || req.ProtocolVersion != "1.0" || req.Method != tt.want.OpName() ||
				req.Intrinsic != intrinsic || req.Namespace != tt.want.NamespaceName() {
				t.Errorf("Request = {ID %q, PROTOCOLVERSION %q, Method %q, Intrinsic %v, Namespace %q}, want {%q, 1.0, %q, %v, %q}",
					req.ID, req.ProtocolVersion, req.Method, req.Intrinsic, req.Namespace,
					tt.id, tt.want.OpName(), intrinsic, tt.want.NamespaceName())
			}
			checkOp(t, req.Op, tt.want)
		})
	}
}
