package interop

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// registeredClasses are the classes of the provider's one registration.
func registeredClasses(t *testing.T, p *Provider) []string {
	t.Helper()
	regs := p.Registrations()
	if len(regs) != 1 {
		t.Fatalf("Registrations() = %d registrations, want 1", len(regs))
	}
	r := regs[0]
	if len(r.Namespaces) != 1 || r.Namespaces[0] != "interop" {
		t.Errorf("Registrations()[0].Namespaces = %v, want [interop]", r.Namespaces)
	}
	if r.Provider != p {
		t.Errorf("Registrations()[0].Provider = %v, want the provider", r.Provider)
	}
	return r.Classes
}

func TestRegistrations(t *testing.T) {
	p, _ := newTestProvider(t)
	got := registeredClasses(t, p)
	want := []string{"CIM_ObjectManager", "CIM_Namespace", "CIM_RegisteredProfile",
		"CIM_ElementConformsToProfile", "CIM_NamespaceInManager"}
	if !slices.Equal(got, want) {
		t.Errorf("Registrations()[0].Classes = %v, want %v", got, want)
	}
	look := lookup(t)
	for _, c := range got {
		if look("interop", c) == nil {
			t.Errorf("class %s is not in the embedded schema", c)
		}
	}
}

// TestInstancesFitTheirClasses checks every instance of every class against the
// class of the embedded schema, and that names, enumeration and GetInstance agree.
func TestInstancesFitTheirClasses(t *testing.T) {
	p, _ := newTestProvider(t)
	look := lookup(t)
	wantCount := map[string]int{
		"CIM_ObjectManager":            1,
		"CIM_Namespace":                2,
		"CIM_RegisteredProfile":        3,
		"CIM_ElementConformsToProfile": 3,
		"CIM_NamespaceInManager":       2,
	}
	for _, class := range registeredClasses(t, p) {
		t.Run(class, func(t *testing.T) {
			c := look("interop", class)
			names, err := p.EnumerateInstanceNames(ctx, "interop", class)
			if err != nil {
				t.Fatalf("EnumerateInstanceNames: %v", err)
			}
			insts := collect(t, p.EnumerateInstances(ctx, "interop", class))
			if len(names) != wantCount[class] || len(insts) != len(names) {
				t.Fatalf("%d names, %d instances, want %d of each", len(names), len(insts), wantCount[class])
			}
			for i, inst := range insts {
				if !strings.EqualFold(inst.ClassName, class) {
					t.Errorf("instance %d has class %s", i, inst.ClassName)
				}
				if len(inst.Properties) != len(c.Properties) {
					t.Errorf("instance %d has %d properties, class %d", i, len(inst.Properties), len(c.Properties))
				}
				for _, cp := range c.Properties {
					ip := inst.Property(cp.Name)
					if ip == nil {
						t.Errorf("instance %d lacks property %s", i, cp.Name)
						continue
					}
					if ip.Type != cp.Type || ip.IsArray != cp.IsArray {
						t.Errorf("%s: type %v array %v, class says %v %v", cp.Name, ip.Type, ip.IsArray, cp.Type, cp.IsArray)
					}
					if err := cim.CheckValue(cp.Type, cp.IsArray, ip.Value); err != nil {
						t.Errorf("%s: %v", cp.Name, err)
					}
					if cp.IsKey() && ip.Value == nil {
						t.Errorf("key %s is NULL", cp.Name)
					}
					if cp.Qualifiers.IsTrue("Required") && ip.Value == nil {
						t.Errorf("required property %s is NULL", cp.Name)
					}
				}
				for _, ip := range inst.Properties {
					if c.Property(ip.Name) == nil {
						t.Errorf("instance %d has property %s, which the class lacks", i, ip.Name)
					}
				}
				path := inst.Path("interop", c)
				if !path.Equal(names[i]) {
					t.Errorf("inst.Path = %s, EnumerateInstanceNames gave %s", path, names[i])
				}
				got, err := p.GetInstance(ctx, "interop", names[i])
				if err != nil {
					t.Fatalf("GetInstance(%s): %v", names[i], err)
				}
				if !got.Path("interop", c).Equal(names[i]) {
					t.Errorf("GetInstance(%s) returned %s", names[i], got.Path("interop", c))
				}
				for _, ip := range inst.Properties {
					if !cim.EqualValues(value(t, got, ip.Name), ip.Value) {
						t.Errorf("GetInstance(%s).%s = %v, enumeration gave %v", names[i], ip.Name, value(t, got, ip.Name), ip.Value)
					}
				}
			}
		})
	}
}

// TestObjectManager checks what pywbem's WBEMServer reads from the object manager.
func TestObjectManager(t *testing.T) {
	tests := []struct {
		version, wantDescription, wantVersion string
	}{
		{"1.2.3", "shypecim version 1.2.3", "1.2.3"},
		{"0.1.0", "shypecim version 0.1.0", "0.1.0"},
		{"", "shypecim", ""},
	}
	// The pattern of pywbem's _server.py for brands it does not know.
	versionRE := regexp.MustCompile(`(?i)^.* (?:version|release) *(.+)?$`)
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			p := New(Options{Namespaces: newFake("interop"), Version: tt.version, SystemName: "host1", Lookup: lookup(t)})
			insts := collect(t, p.EnumerateInstances(ctx, "interop", "CIM_ObjectManager"))
			if len(insts) != 1 {
				t.Fatalf("%d object managers, want exactly 1", len(insts))
			}
			om := insts[0]
			for name, want := range map[string]any{
				"ElementName":             "shypecim",
				"Description":             tt.wantDescription,
				"Name":                    "shypecim",
				"CreationClassName":       "CIM_ObjectManager",
				"SystemName":              "host1",
				"SystemCreationClassName": "CIM_ComputerSystem",
			} {
				if got := value(t, om, name); got != want {
					t.Errorf("CIM_ObjectManager.%s = %v, want %v", name, got, want)
				}
			}
			gotVersion := ""
			if m := versionRE.FindStringSubmatch(tt.wantDescription); m != nil {
				gotVersion = m[1]
			}
			if gotVersion != tt.wantVersion {
				t.Errorf("pywbem would read version %q, want %q", gotVersion, tt.wantVersion)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	p := New(Options{})
	om, err := p.GetInstance(ctx, "interop", p.objectManagerPath())
	if err != nil {
		t.Fatalf("GetInstance(object manager): %v", err)
	}
	if v := value(t, om, "SystemCreationClassName"); v != "CIM_ComputerSystem" {
		t.Errorf("SystemCreationClassName = %v, want CIM_ComputerSystem", v)
	}
	if v, _ := value(t, om, "SystemName").(string); v == "" {
		t.Errorf("SystemName is empty, want the host name")
	}
	// Without a class definition the instance holds what the provider sets.
	if om.Property("InstallDate") != nil {
		t.Errorf("without Lookup the instance has InstallDate, a property the provider does not set")
	}
	// Without a store there are no namespaces, and none can be created.
	names, err := p.EnumerateInstanceNames(ctx, "interop", "CIM_Namespace")
	if err != nil || len(names) != 0 {
		t.Errorf("EnumerateInstanceNames(CIM_Namespace) = %v, %v; want none", names, err)
	}
	_, err = p.CreateInstance(ctx, "interop", &cim.Instance{ClassName: "CIM_Namespace",
		Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: "x"}}})
	if got := statusOf(t, err); got != cim.StatusNotSupported {
		t.Errorf("CreateInstance without a store: %v, want CIM_ERR_NOT_SUPPORTED", err)
	}
}

func TestNamespaceInstances(t *testing.T) {
	nss := newFake("interop", "root/cimv2", "root/Extra")
	p := New(Options{Namespaces: nss, SystemName: "host1", Lookup: lookup(t)})
	insts := collect(t, p.EnumerateInstances(ctx, "interop", "CIM_Namespace"))
	var got []string
	for _, inst := range insts {
		got = append(got, value(t, inst, "Name").(string))
	}
	want := nss.Namespaces()
	if !slices.Equal(got, want) {
		t.Errorf("CIM_Namespace names = %v, want one per namespace %v", got, want)
	}
	// pywbem takes the spelling of the interop namespace from the Name key.
	names, _ := p.EnumerateInstanceNames(ctx, "interop", "CIM_Namespace")
	found := false
	for _, n := range names {
		if v, _ := n.Key("Name"); v == "interop" {
			found = true
		}
	}
	if !found {
		t.Errorf("no CIM_Namespace path with Name=\"interop\" among %v", names)
	}
	// Every namespace is joined to the object manager.
	nim := collect(t, p.EnumerateInstances(ctx, "interop", "CIM_NamespaceInManager"))
	if len(nim) != len(want) {
		t.Fatalf("%d CIM_NamespaceInManager, want %d", len(nim), len(want))
	}
	for i, inst := range nim {
		if a := value(t, inst, "Antecedent").(*cim.ObjectPath); !a.Equal(p.objectManagerPath()) {
			t.Errorf("NamespaceInManager %d: Antecedent %s, want the object manager", i, a)
		}
		if d := value(t, inst, "Dependent").(*cim.ObjectPath); !d.Equal(names[i]) {
			t.Errorf("NamespaceInManager %d: Dependent %s, want %s", i, d, names[i])
		}
	}
}

func TestProfiles(t *testing.T) {
	p, _ := newTestProvider(t)
	insts := collect(t, p.EnumerateInstances(ctx, "interop", "CIM_RegisteredProfile"))
	type profile struct {
		id    string
		org   uint16
		other any
		name  string
	}
	var got []profile
	for _, inst := range insts {
		got = append(got, profile{
			id:    value(t, inst, "InstanceID").(string),
			org:   value(t, inst, "RegisteredOrganization").(uint16),
			other: value(t, inst, "OtherRegisteredOrganization"),
			name:  value(t, inst, "RegisteredName").(string),
		})
		if v := value(t, inst, "RegisteredVersion"); v != "1.0.0" {
			t.Errorf("%s: RegisteredVersion = %v, want 1.0.0", got[len(got)-1].id, v)
		}
	}
	want := []profile{
		{"DMTF+Profile Registration+1.0.0", 2, nil, "Profile Registration"},
		{"Xen+sHype Access Control+1.0.0", 1, "Xen", "sHype Access Control"},
		{"Xen+Virtual TPM+1.0.0", 1, "Xen", "Virtual TPM"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("profiles = %v, want %v", got, want)
	}
}

func TestDuplicateProfilesDropped(t *testing.T) {
	profs := append(xenProfiles(), xenProfiles()...)
	profs = append(profs, Profile{Organization: OrganizationDMTF, Name: "Profile Registration", Version: "1.0.0"})
	p := New(Options{Namespaces: newFake("interop"), Profiles: profs})
	names, err := p.EnumerateInstanceNames(ctx, "interop", "CIM_RegisteredProfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 {
		t.Errorf("%d profiles, want 3: %v", len(names), names)
	}
	// The built-in Profile Registration wins: its central instance is the object manager.
	ects, _ := p.EnumerateInstanceNames(ctx, "interop", "CIM_ElementConformsToProfile")
	if len(ects) != 3 {
		t.Errorf("%d CIM_ElementConformsToProfile, want 3: %v", len(ects), ects)
	}
}

// TestConformsToProfile follows each CIM_ElementConformsToProfile reference: those
// into the interop namespace resolve with GetInstance, the others are the central
// instances the profiles gave.
func TestConformsToProfile(t *testing.T) {
	p, _ := newTestProvider(t)
	insts := collect(t, p.EnumerateInstances(ctx, "interop", "CIM_ElementConformsToProfile"))
	central := map[string]string{} // profile InstanceID -> central instance
	for _, inst := range insts {
		std := value(t, inst, "ConformantStandard").(*cim.ObjectPath)
		me := value(t, inst, "ManagedElement").(*cim.ObjectPath)
		prof, err := p.GetInstance(ctx, "interop", std)
		if err != nil {
			t.Errorf("GetInstance(ConformantStandard %s): %v", std, err)
			continue
		}
		if me.Namespace == "" {
			t.Errorf("ManagedElement %s has no namespace", me)
		}
		if strings.EqualFold(me.Namespace, "interop") {
			if _, err := p.GetInstance(ctx, "interop", me); err != nil {
				t.Errorf("GetInstance(ManagedElement %s): %v", me, err)
			}
		}
		central[value(t, prof, "InstanceID").(string)] = me.String()
	}
	want := map[string]string{
		"DMTF+Profile Registration+1.0.0": p.objectManagerPath().String(),
		"Xen+sHype Access Control+1.0.0":  securityService.String(),
		"Xen+Virtual TPM+1.0.0":           vtpmService.String(),
	}
	if len(central) != len(want) {
		t.Errorf("central instances %v, want %v", central, want)
	}
	for id, w := range want {
		if central[id] != w {
			t.Errorf("central instance of %s = %s, want %s", id, central[id], w)
		}
	}
}

// associatorNames does what the dispatcher does for AssociatorNames(target,
// AssocClass, ResultRole) without the fast path: enumerate the association and
// compare references.
func associatorNames(t *testing.T, p *Provider, assoc string, target *cim.ObjectPath, resultRole string) []string {
	t.Helper()
	var out []string
	for _, inst := range collect(t, p.EnumerateInstances(ctx, "interop", assoc)) {
		refersTo := false
		for _, prop := range inst.Properties {
			if ref, ok := prop.Value.(*cim.ObjectPath); ok && !strings.EqualFold(prop.Name, resultRole) && ref.Equal(target) {
				refersTo = true
			}
		}
		if refersTo {
			out = append(out, value(t, inst, resultRole).(*cim.ObjectPath).String())
		}
	}
	return out
}

// TestCentralInstancesLikePywbem runs pywbem's central class methodology: from a
// profile, AssociatorNames across CIM_ElementConformsToProfile to ManagedElement;
// and checks that ReferencesTo, the fast path, finds the same.
func TestCentralInstancesLikePywbem(t *testing.T) {
	p, _ := newTestProvider(t)
	profiles, _ := p.EnumerateInstanceNames(ctx, "interop", "CIM_RegisteredProfile")
	want := [][]string{{p.objectManagerPath().String()}, {securityService.String()}, {vtpmService.String()}}
	for i, prof := range profiles {
		got := associatorNames(t, p, "CIM_ElementConformsToProfile", prof, "ManagedElement")
		if !slices.Equal(got, want[i]) {
			t.Errorf("AssociatorNames(%s) = %v, want %v", prof, got, want[i])
		}
		for _, role := range []string{"", "ConformantStandard", "conformantstandard"} {
			var fast []string
			for _, inst := range collect(t, p.ReferencesTo(ctx, "interop", "CIM_ElementConformsToProfile", prof, role)) {
				fast = append(fast, value(t, inst, "ManagedElement").(*cim.ObjectPath).String())
			}
			if !slices.Equal(fast, want[i]) {
				t.Errorf("ReferencesTo(%s, role %q) = %v, want %v", prof, role, fast, want[i])
			}
		}
		if n := len(collect(t, p.ReferencesTo(ctx, "interop", "CIM_ElementConformsToProfile", prof, "ManagedElement"))); n != 0 {
			t.Errorf("ReferencesTo(%s, role ManagedElement) found %d, want 0", prof, n)
		}
	}
}

func TestReferencesTo(t *testing.T) {
	p, _ := newTestProvider(t)
	om := p.objectManagerPath()
	cimv2 := p.namespacePath("root/cimv2")
	relativeOM := *om
	relativeOM.Namespace = ""
	tests := []struct {
		name   string
		assoc  string
		target *cim.ObjectPath
		role   string
		want   int
	}{
		{"object manager, any role", "CIM_ElementConformsToProfile", om, "", 1},
		{"object manager, ManagedElement", "CIM_ElementConformsToProfile", om, "ManagedElement", 1},
		{"object manager, wrong role", "CIM_ElementConformsToProfile", om, "ConformantStandard", 0},
		{"object manager without namespace", "CIM_ElementConformsToProfile", &relativeOM, "", 1},
		{"central instance elsewhere", "CIM_ElementConformsToProfile", securityService, "", 1},
		{"namespaces of the manager", "CIM_NamespaceInManager", om, "Antecedent", 2},
		{"manager of a namespace", "CIM_NamespaceInManager", cimv2, "Dependent", 1},
		{"namespace as Antecedent", "CIM_NamespaceInManager", cimv2, "Antecedent", 0},
		{"nil target", "CIM_NamespaceInManager", nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, p.ReferencesTo(ctx, "interop", tt.assoc, tt.target, tt.role))
			if len(got) != tt.want {
				t.Errorf("ReferencesTo(%s, %v, %q) = %d instances, want %d", tt.assoc, tt.target, tt.role, len(got), tt.want)
			}
			for _, inst := range got {
				if !strings.EqualFold(inst.ClassName, tt.assoc) {
					t.Errorf("ReferencesTo returned an instance of %s", inst.ClassName)
				}
			}
		})
	}
}

func TestGetInstanceRelativeReferences(t *testing.T) {
	p, _ := newTestProvider(t)
	names, err := p.EnumerateInstanceNames(ctx, "interop", "CIM_ElementConformsToProfile")
	if err != nil {
		t.Fatal(err)
	}
	// A client may send the references of the interop namespace without their
	// namespace, and the path itself with another host.
	q := *names[0]
	q.Host = "elsewhere"
	q.Keys = nil
	for _, k := range names[0].Keys {
		ref := *k.Value.(*cim.ObjectPath)
		ref.Namespace = ""
		q.Keys = append(q.Keys, cim.KeyBinding{Name: k.Name, Value: &ref})
	}
	if _, err := p.GetInstance(ctx, "interop", &q); err != nil {
		t.Errorf("GetInstance(%s): %v", &q, err)
	}
}

func TestErrors(t *testing.T) {
	p, _ := newTestProvider(t)
	om := p.objectManagerPath()
	otherOM := *om
	otherOM.Keys = []cim.KeyBinding{{Name: "Name", Value: "other"}}
	tests := []struct {
		name string
		call func() error
		want cim.Status
	}{
		{"enumerate in root/cimv2", func() error {
			_, err := p.EnumerateInstanceNames(ctx, "root/cimv2", "CIM_Namespace")
			return err
		}, cim.StatusInvalidNamespace},
		{"enumerate instances in root/cimv2", func() error {
			for _, err := range p.EnumerateInstances(ctx, "root/cimv2", "CIM_Namespace") {
				return err
			}
			return nil
		}, cim.StatusInvalidNamespace},
		{"namespace name with slashes and case", func() error {
			_, err := p.EnumerateInstanceNames(ctx, "/Interop/", "CIM_Namespace")
			return err
		}, cim.StatusOK},
		{"class not served", func() error {
			_, err := p.EnumerateInstanceNames(ctx, "interop", "CIM_ComputerSystem")
			return err
		}, cim.StatusInvalidClass},
		{"get unknown instance", func() error {
			_, err := p.GetInstance(ctx, "interop", &otherOM)
			return err
		}, cim.StatusNotFound},
		{"get nil path", func() error {
			_, err := p.GetInstance(ctx, "interop", nil)
			return err
		}, cim.StatusInvalidParameter},
		{"get instance of class not served", func() error {
			_, err := p.GetInstance(ctx, "interop", securityService)
			return err
		}, cim.StatusInvalidClass},
		{"get conformance of unknown profile", func() error {
			_, err := p.GetInstance(ctx, "interop", &cim.ObjectPath{ClassName: "CIM_ElementConformsToProfile", Keys: []cim.KeyBinding{
				{Name: "ConformantStandard", Value: &cim.ObjectPath{ClassName: "CIM_RegisteredProfile", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "DMTF+Nothing+1.0.0"}}}},
				{Name: "ManagedElement", Value: om},
			}})
			return err
		}, cim.StatusNotFound},
		{"modify", func() error {
			return p.ModifyInstance(ctx, "interop", om, &cim.Instance{ClassName: "CIM_ObjectManager"}, nil)
		}, cim.StatusNotSupported},
		{"delete the object manager", func() error { return p.DeleteInstance(ctx, "interop", om) }, cim.StatusNotSupported},
		{"create an object manager", func() error {
			_, err := p.CreateInstance(ctx, "interop", &cim.Instance{ClassName: "CIM_ObjectManager"})
			return err
		}, cim.StatusNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusOf(t, tt.call()); got != tt.want {
				t.Errorf("status %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCentralErrors(t *testing.T) {
	denied := cim.Errorf(cim.StatusAccessDenied, "no")
	tests := []struct {
		name    string
		central func(context.Context) ([]*cim.ObjectPath, error)
		want    cim.Status
	}{
		{"plain error", func(context.Context) ([]*cim.ObjectPath, error) { return nil, errors.New("vtpm: down") }, cim.StatusFailed},
		{"cim error passes", func(context.Context) ([]*cim.ObjectPath, error) { return nil, denied }, cim.StatusAccessDenied},
		{"path without namespace", centralOf(&cim.ObjectPath{ClassName: "Xen_VTPM", Keys: []cim.KeyBinding{{Name: "Id", Value: "1"}}}), cim.StatusFailed},
		{"class path", centralOf(&cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_VTPM"}), cim.StatusFailed},
		{"nil path", centralOf(nil), cim.StatusFailed},
		{"no central instances", centralOf(), cim.StatusOK},
		{"no Central", nil, cim.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Options{Namespaces: newFake("interop"), Profiles: []Profile{
				{Organization: OrganizationOther, OtherOrganization: "Xen", Name: "Virtual TPM", Version: "1.0.0", Central: tt.central},
			}})
			names, err := p.EnumerateInstanceNames(ctx, "interop", "CIM_ElementConformsToProfile")
			if got := statusOf(t, err); got != tt.want {
				t.Fatalf("EnumerateInstanceNames: %v, want %v", err, tt.want)
			}
			if err == nil && len(names) != 1 {
				t.Errorf("%d instances, want only the Profile Registration one", len(names))
			}
			var seqErr error
			for _, err := range p.EnumerateInstances(ctx, "interop", "CIM_ElementConformsToProfile") {
				seqErr = err
			}
			if got := statusOf(t, seqErr); got != tt.want {
				t.Errorf("EnumerateInstances: %v, want %v", seqErr, tt.want)
			}
			// The other profiles do not call the failing Central.
			om := p.objectManagerPath()
			refs := collect(t, p.ReferencesTo(ctx, "interop", "CIM_ElementConformsToProfile", &cim.ObjectPath{
				Namespace: "interop", ClassName: "CIM_RegisteredProfile",
				Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "DMTF+Profile Registration+1.0.0"}},
			}, ""))
			if len(refs) != 1 || !value(t, refs[0], "ManagedElement").(*cim.ObjectPath).Equal(om) {
				t.Errorf("ReferencesTo(Profile Registration) = %v, want the object manager", refs)
			}
		})
	}
}

func TestCreateNamespace(t *testing.T) {
	p, _ := newTestProvider(t)
	om := collect(t, p.EnumerateInstances(ctx, "interop", "CIM_ObjectManager"))[0]
	str := func(name, v string) cim.Property { return cim.Property{Name: name, Type: cim.TypeString, Value: v} }
	// asPywbem is the instance pywbem's WBEMServer.create_namespace sends.
	asPywbem := func(name string) *cim.Instance {
		return &cim.Instance{ClassName: "CIM_Namespace", Properties: []cim.Property{
			str("Name", name),
			str("CreationClassName", "CIM_Namespace"),
			str("ObjectManagerName", value(t, om, "Name").(string)),
			str("ObjectManagerCreationClassName", value(t, om, "CreationClassName").(string)),
			str("SystemName", value(t, om, "SystemName").(string)),
			str("SystemCreationClassName", value(t, om, "SystemCreationClassName").(string)),
		}}
	}
	nameOnly := func(v any) *cim.Instance {
		return &cim.Instance{ClassName: "CIM_Namespace", Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: v}}}
	}
	with := func(inst *cim.Instance, name, v string) *cim.Instance {
		inst.Property(name).Value = v
		return inst
	}
	tests := []struct {
		name     string
		inst     *cim.Instance
		fail     error
		want     cim.Status
		wantName string
	}{
		{"as pywbem", asPywbem("root/new1"), nil, cim.StatusOK, "root/new1"},
		{"name only", nameOnly("root/new2"), nil, cim.StatusOK, "root/new2"},
		{"slashes trimmed", nameOnly("/root/new3/"), nil, cim.StatusOK, "root/new3"},
		{"class name case", with(asPywbem("root/new4"), "CreationClassName", "cim_namespace"), nil, cim.StatusOK, "root/new4"},
		{"exists", asPywbem("root/cimv2"), nil, cim.StatusAlreadyExists, ""},
		{"exists other case", nameOnly("ROOT/CIMV2"), nil, cim.StatusAlreadyExists, ""},
		{"bad name", nameOnly("root/a b"), nil, cim.StatusInvalidParameter, ""},
		{"no name", &cim.Instance{ClassName: "CIM_Namespace"}, nil, cim.StatusInvalidParameter, ""},
		{"NULL name", nameOnly(nil), nil, cim.StatusInvalidParameter, ""},
		{"empty name", nameOnly("/"), nil, cim.StatusInvalidParameter, ""},
		{"other object manager", with(asPywbem("root/x"), "ObjectManagerName", "sfcb"), nil, cim.StatusInvalidParameter, ""},
		{"other creation class", with(asPywbem("root/x"), "CreationClassName", "PG_Namespace"), nil, cim.StatusInvalidParameter, ""},
		{"other system", with(asPywbem("root/x"), "SystemName", "host2"), nil, cim.StatusInvalidParameter, ""},
		{"nil instance", nil, nil, cim.StatusInvalidParameter, ""},
		{"store error without status", nameOnly("root/x"), errors.New("disk full"), cim.StatusFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, nss := newTestProvider(t)
			nss.fail = tt.fail
			before := nss.Namespaces()
			path, err := p.CreateInstance(ctx, "interop", tt.inst)
			if got := statusOf(t, err); got != tt.want {
				t.Fatalf("CreateInstance: %v, want %v", err, tt.want)
			}
			if err != nil {
				if after := nss.Namespaces(); !slices.Equal(after, before) {
					t.Errorf("namespaces %v after a failed CreateInstance, want %v", after, before)
				}
				return
			}
			if !nss.HasNamespace(tt.wantName) {
				t.Errorf("namespace %s not created: %v", tt.wantName, nss.Namespaces())
			}
			if !path.Equal(p.namespacePath(tt.wantName)) {
				t.Errorf("CreateInstance returned %s, want %s", path, p.namespacePath(tt.wantName))
			}
			inst, err := p.GetInstance(ctx, "interop", path)
			if err != nil {
				t.Fatalf("GetInstance(%s): %v", path, err)
			}
			if v := value(t, inst, "Name"); v != tt.wantName {
				t.Errorf("Name = %v, want %s", v, tt.wantName)
			}
		})
	}
}

func TestDeleteNamespace(t *testing.T) {
	tests := []struct {
		name   string
		path   func(p *Provider) *cim.ObjectPath
		fail   error
		want   cim.Status
		remove string // the namespace that must be gone
	}{
		{"empty namespace", func(p *Provider) *cim.ObjectPath { return p.namespacePath("root/empty") }, nil, cim.StatusOK, "root/empty"},
		{"not empty", func(p *Provider) *cim.ObjectPath { return p.namespacePath("root/full") }, nil, cim.StatusNamespaceNotEmpty, ""},
		{"root/cimv2", func(p *Provider) *cim.ObjectPath { return p.namespacePath("root/cimv2") }, nil, cim.StatusNamespaceNotEmpty, ""},
		{"interop", func(p *Provider) *cim.ObjectPath { return p.namespacePath("interop") }, nil, cim.StatusNamespaceNotEmpty, ""},
		{"unknown", func(p *Provider) *cim.ObjectPath { return p.namespacePath("root/none") }, nil, cim.StatusNotFound, ""},
		{"name in another case", func(p *Provider) *cim.ObjectPath { return p.namespacePath("ROOT/EMPTY") }, nil, cim.StatusNotFound, ""},
		{"other system", func(p *Provider) *cim.ObjectPath {
			q := p.namespacePath("root/empty")
			q.Keys[1].Value = "host2"
			return q
		}, nil, cim.StatusNotFound, ""},
		{"gone meanwhile", func(p *Provider) *cim.ObjectPath { return p.namespacePath("root/empty") }, errNoNS, cim.StatusNotFound, ""},
		{"store error without status", func(p *Provider) *cim.ObjectPath { return p.namespacePath("root/empty") }, errors.New("disk full"), cim.StatusFailed, ""},
		{"nil path", func(p *Provider) *cim.ObjectPath { return nil }, nil, cim.StatusInvalidParameter, ""},
		{"a profile", func(p *Provider) *cim.ObjectPath { return profilePath(&p.profiles[0]) }, nil, cim.StatusNotSupported, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nss := newFake("interop", "root/cimv2", "root/empty", "root/full")
			nss.full["root/full"] = true
			p := New(Options{Namespaces: nss, SystemName: "host1", Lookup: lookup(t)})
			nss.fail = tt.fail
			before := nss.Namespaces()
			err := p.DeleteInstance(ctx, "interop", tt.path(p))
			if got := statusOf(t, err); got != tt.want {
				t.Fatalf("DeleteInstance: %v, want %v", err, tt.want)
			}
			after := nss.Namespaces()
			if tt.remove == "" {
				if !slices.Equal(after, before) {
					t.Errorf("namespaces %v, want %v unchanged", after, before)
				}
				return
			}
			if nss.HasNamespace(tt.remove) || len(after) != len(before)-1 {
				t.Errorf("namespaces %v after deleting %s", after, tt.remove)
			}
			if _, err := p.GetInstance(ctx, "interop", tt.path(p)); statusOf(t, err) != cim.StatusNotFound {
				t.Errorf("GetInstance of the deleted namespace: %v, want CIM_ERR_NOT_FOUND", err)
			}
		})
	}
}

func TestToCIMError(t *testing.T) {
	ce := cim.Errorf(cim.StatusAccessDenied, "no")
	tests := []struct {
		name     string
		err      error
		want     cim.Status
		wantDesc string
	}{
		{"nil", nil, cim.StatusOK, ""},
		{"already exists", errExists, cim.StatusAlreadyExists, "already exists"},
		{"wrapped", errors.Join(errors.New("x"), errBadName), cim.StatusInvalidParameter, "x\nrepository: invalid parameter"},
		{"not empty", errNotEmpty, cim.StatusNamespaceNotEmpty, "namespace not empty"},
		{"unknown namespace", errNoNS, cim.StatusNotFound, "invalid namespace"},
		{"status OK", &statusErr{cim.StatusOK, "odd"}, cim.StatusFailed, "odd"},
		{"no status", errors.New("disk full"), cim.StatusFailed, "disk full"},
		{"cim error", ce, cim.StatusAccessDenied, "no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toCIMError(tt.err)
			if got == nil {
				if tt.err != nil {
					t.Fatalf("toCIMError(%v) = nil", tt.err)
				}
				return
			}
			var e *cim.Error
			if !errors.As(got, &e) {
				t.Fatalf("toCIMError(%v) = %T, want *cim.Error", tt.err, got)
			}
			if e.Code != tt.want || e.Description != tt.wantDesc {
				t.Errorf("toCIMError(%v) = %v %q, want %v %q", tt.err, e.Code, e.Description, tt.want, tt.wantDesc)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("toCIMError(%v) does not wrap its cause", tt.err)
			}
		})
	}
}

// TestConcurrent runs readers and namespace writers at once, for the race detector.
func TestConcurrent(t *testing.T) {
	p, nss := newTestProvider(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := "root/c" + string(rune('a'+i))
			inst := &cim.Instance{ClassName: "CIM_Namespace", Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Value: name}}}
			path, err := p.CreateInstance(ctx, "interop", inst)
			if err != nil {
				t.Errorf("CreateInstance(%s): %v", name, err)
				return
			}
			for _, class := range []string{"CIM_Namespace", "CIM_ElementConformsToProfile", "CIM_NamespaceInManager"} {
				for _, err := range p.EnumerateInstances(ctx, "interop", class) {
					if err != nil {
						t.Errorf("EnumerateInstances(%s): %v", class, err)
					}
				}
			}
			if err := p.DeleteInstance(ctx, "interop", path); err != nil {
				t.Errorf("DeleteInstance(%s): %v", path, err)
			}
		})
	}
	wg.Wait()
	if got := nss.Namespaces(); !slices.Equal(got, []string{"interop", "root/cimv2"}) {
		t.Errorf("namespaces after the run: %v", got)
	}
}

// TestOddPaths feeds paths a client could send; none may panic, and none names an
// instance.
func TestOddPaths(t *testing.T) {
	p, nss := newTestProvider(t)
	var nilRef *cim.ObjectPath
	paths := []*cim.ObjectPath{
		{ClassName: "CIM_Namespace"},
		{ClassName: "CIM_Namespace", Keys: []cim.KeyBinding{{Name: "Name", Value: nil}}},
		{ClassName: "CIM_Namespace", Keys: []cim.KeyBinding{{Name: "Name", Value: int64(5)}}},
		{ClassName: "CIM_ElementConformsToProfile", Keys: []cim.KeyBinding{{Name: "ConformantStandard", Value: nilRef}, {Name: "ManagedElement", Value: nilRef}}},
		{ClassName: "CIM_ElementConformsToProfile", Keys: []cim.KeyBinding{{Name: "ConformantStandard", Value: "DMTF+Profile Registration+1.0.0"}}},
		{ClassName: "CIM_NamespaceInManager", Keys: []cim.KeyBinding{{Name: "Antecedent", Value: []any{"x"}}}},
		{ClassName: "CIM_RegisteredProfile", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: true}}},
		{ClassName: ""},
	}
	for _, path := range paths {
		if _, err := p.GetInstance(ctx, "interop", path); err == nil {
			t.Errorf("GetInstance(%s) succeeded", path)
		}
		if err := p.DeleteInstance(ctx, "interop", path); err == nil {
			t.Errorf("DeleteInstance(%s) succeeded", path)
		}
		for _, assoc := range []string{"CIM_ElementConformsToProfile", "CIM_NamespaceInManager"} {
			if n := len(collect(t, p.ReferencesTo(ctx, "interop", assoc, path, ""))); n != 0 {
				t.Errorf("ReferencesTo(%s, %s) found %d", assoc, path, n)
			}
		}
	}
	if got := nss.Namespaces(); len(got) != 2 {
		t.Errorf("namespaces changed: %v", got)
	}
	_, err := p.CreateInstance(ctx, "interop", &cim.Instance{ClassName: "CIM_Namespace",
		Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, IsArray: true, Value: []any{"root/x"}}}})
	if got := statusOf(t, err); got != cim.StatusInvalidParameter {
		t.Errorf("CreateInstance with an array Name: %v, want CIM_ERR_INVALID_PARAMETER", err)
	}
}
