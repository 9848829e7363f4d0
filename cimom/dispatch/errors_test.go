package dispatch_test

import (
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

func u32(v uint32) *uint32 { return &v }

// TestErrors checks the status code of every failure the dispatcher detects, in the
// order of cimxml.md §3.1 and §3.3: where two checks fail, the first one wins.
func TestErrors(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	bad := cim.Base{Namespace: "root/nope"}
	keyless := &cim.ObjectPath{ClassName: "T_Thing"}
	strQ := cim.Qualifier{Name: "Undeclared", Type: cim.TypeString, Value: "x"}
	num := func(n any) *cim.ObjectPath {
		return &cim.ObjectPath{ClassName: "T_Num", Keys: []cim.KeyBinding{
			{Name: "N", Value: n}, {Name: "S", Value: "-3"}, {Name: "C", Value: "x"}, {Name: "D", Value: "20240101000000.000000+000"}}}
	}
	ro := &cim.ObjectPath{ClassName: "T_RO", Keys: []cim.KeyBinding{{Name: "Name", Value: "r1"}}}
	tests := []struct {
		name string
		op   cim.Op
		want cim.Status
	}{
		// Namespace first.
		{"GetClass bad namespace wins over bad class", &cim.GetClass{Base: bad, ClassName: "Nope"}, cim.StatusInvalidNamespace},
		{"empty namespace", &cim.GetClass{ClassName: "T_Thing"}, cim.StatusInvalidNamespace},
		{"GetInstance bad namespace wins", &cim.GetInstance{Base: bad, InstanceName: thingPath("zz")}, cim.StatusInvalidNamespace},
		{"InvokeMethod bad namespace", &cim.InvokeMethod{Base: bad, Target: dynPath("d1"), MethodName: "Nope"}, cim.StatusInvalidNamespace},
		{"Pull bad namespace", &cim.PullInstancesWithPath{Base: bad, EnumerationContext: "x"}, cim.StatusInvalidNamespace},

		// Classes.
		{"GetClass without name", &cim.GetClass{Base: b}, cim.StatusInvalidParameter},
		{"GetClass unknown", &cim.GetClass{Base: b, ClassName: "Nope"}, cim.StatusNotFound},
		{"EnumerateClasses unknown", &cim.EnumerateClasses{Base: b, ClassName: "Nope"}, cim.StatusInvalidClass},
		{"EnumerateClassNames unknown", &cim.EnumerateClassNames{Base: b, ClassName: "Nope"}, cim.StatusInvalidClass},
		{"CreateClass nil", &cim.CreateClass{Base: b}, cim.StatusInvalidParameter},
		{"CreateClass existing", &cim.CreateClass{Base: b, NewClass: &cim.Class{Name: "t_thing"}}, cim.StatusAlreadyExists},
		{"CreateClass unknown superclass", &cim.CreateClass{Base: b, NewClass: &cim.Class{Name: "X", SuperClass: "Nope"}}, cim.StatusInvalidSuperclass},
		{"CreateClass undeclared qualifier", &cim.CreateClass{Base: b, NewClass: &cim.Class{Name: "X", Qualifiers: cim.Qualifiers{strQ}}}, cim.StatusInvalidParameter},
		{"CreateClass reference outside association", &cim.CreateClass{Base: b, NewClass: &cim.Class{Name: "X", Properties: []cim.Property{
			{Name: "R", Type: cim.TypeReference, ReferenceClass: "T_Thing"}}}}, cim.StatusInvalidParameter},
		{"ModifyClass unknown", &cim.ModifyClass{Base: b, ModifiedClass: &cim.Class{Name: "Nope"}}, cim.StatusNotFound},
		{"ModifyClass superclass change", &cim.ModifyClass{Base: b, ModifiedClass: &cim.Class{Name: "T_BigThing"}}, cim.StatusInvalidSuperclass},
		{"ModifyClass with subclasses", &cim.ModifyClass{Base: b, ModifiedClass: &cim.Class{Name: "T_Thing", SuperClass: "T_Base"}}, cim.StatusClassHasChildren},
		{"ModifyClass with instances", &cim.ModifyClass{Base: b, ModifiedClass: &cim.Class{Name: "T_BigThing", SuperClass: "T_Thing"}}, cim.StatusClassHasInstances},
		{"DeleteClass without name", &cim.DeleteClass{Base: b}, cim.StatusInvalidParameter},
		{"DeleteClass unknown", &cim.DeleteClass{Base: b, ClassName: "Nope"}, cim.StatusNotFound},
		{"DeleteClass with subclasses", &cim.DeleteClass{Base: b, ClassName: "T_Thing"}, cim.StatusClassHasChildren},
		{"DeleteClass with instances", &cim.DeleteClass{Base: b, ClassName: "T_BigThing"}, cim.StatusClassHasInstances},

		// Qualifier types.
		{"GetQualifier unknown", &cim.GetQualifier{Base: b, QualifierName: "Nope"}, cim.StatusNotFound},
		{"GetQualifier without name", &cim.GetQualifier{Base: b}, cim.StatusInvalidParameter},
		{"SetQualifier nil", &cim.SetQualifier{Base: b}, cim.StatusInvalidParameter},
		{"SetQualifier bad default", &cim.SetQualifier{Base: b, QualifierDeclaration: &cim.QualifierType{Name: "Q", Type: cim.TypeUint8, Default: "300", Scope: cim.ScopeAny}}, cim.StatusInvalidParameter},
		{"DeleteQualifier unknown", &cim.DeleteQualifier{Base: b, QualifierName: "Nope"}, cim.StatusNotFound},
		{"DeleteQualifier in use", &cim.DeleteQualifier{Base: b, QualifierName: "Key"}, cim.StatusFailed},

		// Instances.
		{"GetInstance nil", &cim.GetInstance{Base: b}, cim.StatusInvalidParameter},
		{"GetInstance unknown class", &cim.GetInstance{Base: b, InstanceName: classPath("Nope", "a")}, cim.StatusInvalidClass},
		{"GetInstance key-less", &cim.GetInstance{Base: b, InstanceName: keyless}, cim.StatusInvalidParameter},
		{"GetInstance wrong key name", &cim.GetInstance{Base: b, InstanceName: &cim.ObjectPath{ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "Size", Value: "a"}}}}, cim.StatusInvalidParameter},
		{"GetInstance extra key", &cim.GetInstance{Base: b, InstanceName: &cim.ObjectPath{ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "Id", Value: "a"}, {Name: "Size", Value: "1"}}}}, cim.StatusInvalidParameter},
		{"GetInstance bad key value", &cim.GetInstance{Base: b, InstanceName: num("five")}, cim.StatusInvalidParameter},
		{"GetInstance key out of range", &cim.GetInstance{Base: b, InstanceName: num(int64(-1))}, cim.StatusInvalidParameter},
		{"GetInstance other namespace", &cim.GetInstance{Base: b, InstanceName: &cim.ObjectPath{Namespace: "root/other", ClassName: "T_Thing", Keys: thingPath("a").Keys}}, cim.StatusInvalidParameter},
		{"GetInstance not found", &cim.GetInstance{Base: b, InstanceName: thingPath("zz")}, cim.StatusNotFound},
		{"GetInstance subclass instance by superclass name", &cim.GetInstance{Base: b, InstanceName: thingPath("c")}, cim.StatusNotFound},
		{"GetInstance provider not found", &cim.GetInstance{Base: b, InstanceName: dynPath("zz")}, cim.StatusNotFound},
		{"EnumerateInstances without class", &cim.EnumerateInstances{Base: b}, cim.StatusInvalidParameter},
		{"EnumerateInstances unknown", &cim.EnumerateInstances{Base: b, ClassName: "Nope"}, cim.StatusInvalidClass},
		{"EnumerateInstanceNames unknown", &cim.EnumerateInstanceNames{Base: b, ClassName: "Nope"}, cim.StatusInvalidClass},
		{"CreateInstance nil", &cim.CreateInstance{Base: b}, cim.StatusInvalidParameter},
		{"CreateInstance unknown class", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "Nope"}}, cim.StatusInvalidClass},
		{"CreateInstance abstract", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Base", Properties: []cim.Property{str("Id", "x")}}}, cim.StatusInvalidClass},
		{"CreateInstance unknown property", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "x"), str("Nope", "1")}}}, cim.StatusInvalidParameter},
		{"CreateInstance property twice", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "x"), str("id", "y")}}}, cim.StatusInvalidParameter},
		{"CreateInstance bad value", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "x"), str("Size", "big")}}}, cim.StatusInvalidParameter},
		{"CreateInstance wrong declared type", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "x"), {Name: "Size", Type: cim.TypeString, Value: "1"}}}}, cim.StatusInvalidParameter},
		{"CreateInstance scalar for array", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "x"), str("Tags", "t")}}}, cim.StatusInvalidParameter},
		{"CreateInstance NULL key", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{prop("Size", "1")}}}, cim.StatusInvalidParameter},
		{"CreateInstance existing", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "a")}}}, cim.StatusAlreadyExists},
		{"CreateInstance reference to a missing instance", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Link", Properties: []cim.Property{
			prop("Left", thingPath("a")), prop("Right", thingPath("zz"))}}}, cim.StatusInvalidParameter},
		{"CreateInstance reference to an unknown class", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Link", Properties: []cim.Property{
			prop("Left", thingPath("a")), prop("Right", classPath("Nope", "b"))}}}, cim.StatusInvalidParameter},
		{"CreateInstance reference to another class", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Link", Properties: []cim.Property{
			prop("Left", dynPath("d1")), prop("Right", thingPath("b"))}}}, cim.StatusInvalidParameter},
		{"CreateInstance reference in bad text", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_Link", Properties: []cim.Property{
			prop("Left", "T_Thing.Id="), prop("Right", thingPath("b"))}}}, cim.StatusInvalidParameter},
		{"CreateInstance provider without writer", &cim.CreateInstance{Base: b, NewInstance: &cim.Instance{ClassName: "T_RO", Properties: []cim.Property{str("Name", "r2")}}}, cim.StatusNotSupported},
		{"ModifyInstance nil", &cim.ModifyInstance{Base: b}, cim.StatusInvalidParameter},
		{"ModifyInstance unknown class", &cim.ModifyInstance{Base: b, ModifiedInstance: &cim.Instance{ClassName: "Nope"}}, cim.StatusInvalidClass},
		{"ModifyInstance class mismatch", &cim.ModifyInstance{Base: b, InstanceName: thingPath("a"), ModifiedInstance: &cim.Instance{ClassName: "T_BigThing"}}, cim.StatusInvalidParameter},
		{"ModifyInstance unknown property in list", &cim.ModifyInstance{Base: b, InstanceName: thingPath("a"), ModifiedInstance: &cim.Instance{ClassName: "T_Thing"}, PropertyList: cim.PropertyList{"Nope"}}, cim.StatusInvalidParameter},
		{"ModifyInstance unknown property", &cim.ModifyInstance{Base: b, InstanceName: thingPath("a"), ModifiedInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Nope", "1")}}}, cim.StatusInvalidParameter},
		{"ModifyInstance bad value", &cim.ModifyInstance{Base: b, InstanceName: thingPath("a"), ModifiedInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Size", "-1")}}}, cim.StatusInvalidParameter},
		{"ModifyInstance not found", &cim.ModifyInstance{Base: b, InstanceName: thingPath("zz"), ModifiedInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Size", "1")}}}, cim.StatusNotFound},
		{"ModifyInstance key change", &cim.ModifyInstance{Base: b, InstanceName: thingPath("a"), ModifiedInstance: &cim.Instance{ClassName: "T_Thing", Properties: []cim.Property{str("Id", "b")}}}, cim.StatusInvalidParameter},
		{"ModifyInstance provider without writer", &cim.ModifyInstance{Base: b, InstanceName: ro, ModifiedInstance: &cim.Instance{ClassName: "T_RO"}}, cim.StatusNotSupported},
		{"DeleteInstance nil", &cim.DeleteInstance{Base: b}, cim.StatusInvalidParameter},
		{"DeleteInstance unknown class", &cim.DeleteInstance{Base: b, InstanceName: classPath("Nope", "a")}, cim.StatusInvalidClass},
		{"DeleteInstance not found", &cim.DeleteInstance{Base: b, InstanceName: thingPath("zz")}, cim.StatusNotFound},
		{"DeleteInstance provider not found", &cim.DeleteInstance{Base: b, InstanceName: dynPath("zz")}, cim.StatusNotFound},
		{"DeleteInstance provider without writer", &cim.DeleteInstance{Base: b, InstanceName: ro}, cim.StatusNotSupported},
		{"GetProperty without name", &cim.GetProperty{Base: b, InstanceName: thingPath("a")}, cim.StatusInvalidParameter},
		{"GetProperty unknown class", &cim.GetProperty{Base: b, InstanceName: classPath("Nope", "a"), PropertyName: "Size"}, cim.StatusInvalidClass},
		{"GetProperty not found wins over no such property", &cim.GetProperty{Base: b, InstanceName: thingPath("zz"), PropertyName: "Nope"}, cim.StatusNotFound},
		{"GetProperty no such property", &cim.GetProperty{Base: b, InstanceName: thingPath("a"), PropertyName: "Extra"}, cim.StatusNoSuchProperty},
		{"SetProperty not found", &cim.SetProperty{Base: b, InstanceName: thingPath("zz"), PropertyName: "Size", NewValue: "1"}, cim.StatusNotFound},
		{"SetProperty no such property", &cim.SetProperty{Base: b, InstanceName: thingPath("a"), PropertyName: "Nope", NewValue: "1"}, cim.StatusNoSuchProperty},
		{"SetProperty type mismatch", &cim.SetProperty{Base: b, InstanceName: thingPath("a"), PropertyName: "Size", NewValue: "big"}, cim.StatusTypeMismatch},
		{"SetProperty out of range", &cim.SetProperty{Base: b, InstanceName: thingPath("a"), PropertyName: "Temp", NewValue: "40000"}, cim.StatusTypeMismatch},
		{"SetProperty array for scalar", &cim.SetProperty{Base: b, InstanceName: thingPath("a"), PropertyName: "Size", NewValue: []any{"1"}}, cim.StatusTypeMismatch},
		{"SetProperty key", &cim.SetProperty{Base: b, InstanceName: thingPath("a"), PropertyName: "Id", NewValue: "q"}, cim.StatusInvalidParameter},
		{"SetProperty provider without writer", &cim.SetProperty{Base: b, InstanceName: ro, PropertyName: "Name", NewValue: "r1"}, cim.StatusNotSupported},

		// Associations.
		{"Associators nil", &cim.Associators{Base: b}, cim.StatusInvalidParameter},
		{"Associators unknown object class", &cim.Associators{Base: b, ObjectName: classPath("Nope", "a")}, cim.StatusInvalidParameter},
		{"Associators unknown AssocClass", &cim.Associators{Base: b, ObjectName: thingPath("a"), AssocClass: "Nope"}, cim.StatusInvalidParameter},
		{"AssociatorNames unknown ResultClass", &cim.AssociatorNames{Base: b, ObjectName: thingPath("a"), ResultClass: "Nope"}, cim.StatusInvalidParameter},
		{"References unknown ResultClass", &cim.References{Base: b, ObjectName: thingPath("a"), ResultClass: "Nope"}, cim.StatusInvalidParameter},
		{"ReferenceNames bad keys", &cim.ReferenceNames{Base: b, ObjectName: &cim.ObjectPath{ClassName: "T_Thing", Keys: []cim.KeyBinding{{Name: "X", Value: "1"}}}}, cim.StatusInvalidParameter},
		{"Associators bad namespace", &cim.Associators{Base: bad, ObjectName: classPath("Nope", "a")}, cim.StatusInvalidNamespace},

		// Queries.
		{"ExecQuery without language", &cim.ExecQuery{Base: b, Query: "SELECT * FROM T_Thing"}, cim.StatusInvalidParameter},
		{"ExecQuery without query", &cim.ExecQuery{Base: b, QueryLanguage: "WQL"}, cim.StatusInvalidParameter},

		// Pull.
		{"Open timeout 0", &cim.OpenEnumerateInstances{Base: b, ClassName: "Nope", PullOptions: cim.PullOptions{OperationTimeout: u32(0)}}, cim.StatusInvalidOperationTimeout},
		{"Open timeout above max", &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Thing", PullOptions: cim.PullOptions{OperationTimeout: u32(91)}}, cim.StatusInvalidOperationTimeout},
		{"Open ContinueOnError", &cim.OpenEnumerateInstancePaths{Base: b, ClassName: "Nope", PullOptions: cim.PullOptions{ContinueOnError: true}}, cim.StatusContinuationOnErrorNotSupported},
		{"Open unknown class", &cim.OpenEnumerateInstances{Base: b, ClassName: "Nope", PullOptions: cim.PullOptions{MaxObjectCount: 20000}}, cim.StatusInvalidClass},
		{"Open MaxObjectCount above cap", &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Thing", PullOptions: cim.PullOptions{MaxObjectCount: 10001}}, cim.StatusServerLimitsExceeded},
		{"Open filter without language", &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Thing", PullOptions: cim.PullOptions{FilterQuery: "Size = 1"}}, cim.StatusInvalidParameter},
		{"Open filter in WQL", &cim.OpenEnumerateInstances{Base: b, ClassName: "T_Thing", PullOptions: cim.PullOptions{FilterQuery: "Size = 1", FilterQueryLanguage: "WQL"}}, cim.StatusQueryLanguageNotSupported},
		{"OpenAssociatorInstances key-less", &cim.OpenAssociatorInstances{Base: b, InstanceName: keyless}, cim.StatusInvalidParameter},
		{"OpenReferenceInstancePaths unknown ResultClass", &cim.OpenReferenceInstancePaths{Base: b, InstanceName: thingPath("a"), ResultClass: "Nope"}, cim.StatusInvalidParameter},
		{"OpenQueryInstances without query", &cim.OpenQueryInstances{Base: b}, cim.StatusInvalidParameter},
		{"OpenQueryInstances result class", &cim.OpenQueryInstances{Base: b, ReturnQueryResultClass: true, PullOptions: cim.PullOptions{FilterQuery: "SELECT * FROM T_Thing", FilterQueryLanguage: "WQL"}}, cim.StatusNotSupported},
		{"PullInstancesWithPath unknown context", &cim.PullInstancesWithPath{Base: b, EnumerationContext: "nope", MaxObjectCount: 1}, cim.StatusInvalidEnumerationContext},
		{"PullInstancePaths empty context", &cim.PullInstancePaths{Base: b, MaxObjectCount: 1}, cim.StatusInvalidEnumerationContext},
		{"PullInstances unknown context", &cim.PullInstances{Base: b, EnumerationContext: "nope"}, cim.StatusInvalidEnumerationContext},
		{"CloseEnumeration unknown context", &cim.CloseEnumeration{Base: b, EnumerationContext: "nope"}, cim.StatusInvalidEnumerationContext},
		{"EnumerationCount unknown context", &cim.EnumerationCount{Base: b, EnumerationContext: "nope"}, cim.StatusInvalidEnumerationContext},

		// Methods.
		{"InvokeMethod nil target", &cim.InvokeMethod{Base: b, MethodName: "Ping"}, cim.StatusInvalidParameter},
		{"InvokeMethod static on unknown class", &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "Nope"}, MethodName: "Ping"}, cim.StatusNotFound},
		{"InvokeMethod on instance of unknown class", &cim.InvokeMethod{Base: b, Target: classPath("Nope", "a"), MethodName: "Ping"}, cim.StatusInvalidClass},
		{"InvokeMethod unknown method", &cim.InvokeMethod{Base: b, Target: dynPath("d1"), MethodName: "Nope"}, cim.StatusMethodNotFound},
		{"InvokeMethod non-static on class", &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "T_Dyn"}, MethodName: "Rename"}, cim.StatusInvalidParameter},
		{"InvokeMethod unknown parameter", &cim.InvokeMethod{Base: b, Target: dynPath("d1"), MethodName: "Rename", Params: []cim.ParamValue{{Name: "Nope", Value: "x"}}}, cim.StatusInvalidParameter},
		{"InvokeMethod output parameter sent", &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "T_Dyn"}, MethodName: "Ping", Params: []cim.ParamValue{{Name: "Echo", Value: "x"}}}, cim.StatusInvalidParameter},
		{"InvokeMethod parameter twice", &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "T_Dyn"}, MethodName: "Ping", Params: []cim.ParamValue{{Name: "Msg", Value: "x"}, {Name: "msg", Value: "y"}}}, cim.StatusInvalidParameter},
		{"InvokeMethod bad array element", &cim.InvokeMethod{Base: b, Target: dynPath("d1"), MethodName: "Rename", Params: []cim.ParamValue{{Name: "Times", Value: []any{"1", "256"}}}}, cim.StatusInvalidParameter},
		{"InvokeMethod bad target keys", &cim.InvokeMethod{Base: b, Target: &cim.ObjectPath{ClassName: "T_Dyn", Keys: []cim.KeyBinding{{Name: "Id", Value: "d1"}}}, MethodName: "Rename"}, cim.StatusInvalidParameter},
		{"InvokeMethod instance not found", &cim.InvokeMethod{Base: b, Target: dynPath("zz"), MethodName: "Rename"}, cim.StatusNotFound},
		{"InvokeMethod without implementation", &cim.InvokeMethod{Base: b, Target: thingPath("a"), MethodName: "Reset"}, cim.StatusMethodNotAvailable},
		{"InvokeMethod provider without methods", &cim.InvokeMethod{Base: b, Target: ro, MethodName: "Ping"}, cim.StatusMethodNotAvailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := status(t, f.d, tt.op); got != tt.want {
				t.Errorf("status %v, want %v", got, tt.want)
			}
		})
	}
}

// TestErrorsLeaveNothingChanged checks that failed writes change nothing.
func TestErrorsLeaveNothingChanged(t *testing.T) {
	f := newFixture(t)
	b := cim.Base{Namespace: ns}
	// The second property is rejected: the first must not be applied either.
	op := &cim.ModifyInstance{Base: b, InstanceName: thingPath("a"), ModifiedInstance: &cim.Instance{ClassName: "T_Thing",
		Properties: []cim.Property{str("Label", "changed"), str("Size", "big")}}}
	if got := status(t, f.d, op); got != cim.StatusInvalidParameter {
		t.Fatalf("status %v", got)
	}
	res := mustDo(t, f.d, &cim.GetInstance{Base: b, InstanceName: thingPath("a")})
	if got := res.Instance.Property("Label").Value; got != "first" {
		t.Errorf("Label = %v after a failed ModifyInstance", got)
	}
}
