package system

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// TestInstances checks the instances of every class: how many, their keys, and
// that each holds every property of its class with the class's type.
func TestInstances(t *testing.T) {
	p, _ := newTestProvider(t)
	tests := []struct {
		class string
		want  []string // the canonical paths' key text, in order
	}{
		{ClassHostSystem, []string{`CreationClassName="Xen_HostSystem",Name="host1"`}},
		{ClassComputerSystem, []string{uuid0, uuidWeb, uuidDB, uuidMail, uuidOld}},
		{ClassVSSD, []string{"Xen:" + uuid0, "Xen:" + uuidWeb, "Xen:" + uuidDB, "Xen:" + uuidMail, "Xen:" + uuidOld}},
		{ClassDisk, []string{"Xen:" + uuidWeb + "/xvda1", "Xen:" + uuidDB + "/xvda"}},
		{ClassNetworkPort, []string{"Xen:" + uuidWeb + "/vif0", "Xen:" + uuidWeb + "/vif1"}},
		{ClassVSMS, []string{ServiceName}},
		{ClassHostedSystem, []string{uuid0, uuidWeb, uuidDB, uuidMail, uuidOld}},
		{ClassSystemSettings, []string{uuid0, uuidWeb, uuidDB, uuidMail, uuidOld}},
		{ClassSettingComponent, []string{"xvda1", "vif0", "vif1", "xvda"}},
		{ClassHostedService, []string{ServiceName, "sHype"}},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			names, err := p.EnumerateInstanceNames(ctx, Namespace, tt.class)
			if err != nil {
				t.Fatal(err)
			}
			insts := collect(t, p.EnumerateInstances(ctx, "/root/CIMV2", tt.class))
			if len(names) != len(tt.want) || len(insts) != len(tt.want) {
				t.Fatalf("%d names, %d instances, want %d", len(names), len(insts), len(tt.want))
			}
			c := p.lookup(Namespace, tt.class)
			for i, inst := range insts {
				if !strings.Contains(names[i].String(), tt.want[i]) {
					t.Errorf("path %d = %s, want one with %s", i, names[i], tt.want[i])
				}
				if got := pathOf(t, p, inst); !got.Equal(names[i]) {
					t.Errorf("instance %d has path %s, EnumerateInstanceNames gave %s", i, got, names[i])
				}
				if len(inst.Properties) != len(c.Properties) {
					t.Errorf("instance %d has %d properties, class %d", i, len(inst.Properties), len(c.Properties))
				}
				for _, ip := range inst.Properties {
					if err := cim.CheckValue(ip.Type, ip.IsArray, ip.Value); err != nil {
						t.Errorf("%s.%s = %#v: %v", tt.class, ip.Name, ip.Value, err)
					}
					if cp := c.Property(ip.Name); cp == nil || cp.Type != ip.Type || cp.IsArray != ip.IsArray {
						t.Errorf("%s.%s has type %s, class says %v", tt.class, ip.Name, ip.Type, cp)
					}
				}
			}
		})
	}
}

// TestComputerSystem checks the properties of cim-model.md §1 for each power state.
func TestComputerSystem(t *testing.T) {
	p, _ := newTestProvider(t)
	tests := []struct {
		uuid     string
		name     string
		enabled  uint16
		domID    any
		ssidRef  uint32
		label    string
		opStatus uint16
		avail    string // AvailableRequestedStates
	}{
		{uuid0, "Domain-0", 2, uint32(0), 0x10001, "ACM:DEFAULT:SystemManagement", 2, "[]"},
		{uuidWeb, "web", 2, uint32(3), 0x20002, "ACM:acme:web", 2, "[3 4 6 9 10]"},
		{uuidDB, "db", 3, nil, 0, "ACM:acme:__UNLABELED__", 10, "[2]"},
		{uuidMail, "mail", 9, uint32(5), 0x30003, "ACM:acme:mail", 2, "[2 3]"},
		{uuidOld, "old", 6, nil, 0, "ACM:acme:mail", 15, "[2 3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := p.GetInstance(ctx, Namespace, ComputerSystemPath(tt.uuid))
			if err != nil {
				t.Fatal(err)
			}
			for prop, want := range map[string]any{
				"CreationClassName": "Xen_ComputerSystem", "Name": tt.uuid, "ElementName": tt.name,
				"EnabledState": tt.enabled, "DomainID": tt.domID, "SSIDRef": tt.ssidRef,
				"SecurityLabel": tt.label, "RequestedState": uint16(5),
			} {
				if got := value(t, inst, prop); got != want {
					t.Errorf("%s = %#v, want %#v", prop, got, want)
				}
			}
			avail, _ := value(t, inst, "AvailableRequestedStates").([]any)
			if got := fmt.Sprint(avail); got != tt.avail {
				t.Errorf("AvailableRequestedStates = %s, want %s", got, tt.avail)
			}
			if got := value(t, inst, "OperationalStatus").([]any); len(got) != 1 || got[0] != tt.opStatus {
				t.Errorf("OperationalStatus = %v, want {%d}", got, tt.opStatus)
			}
		})
	}
}

func TestSettingsAndDevices(t *testing.T) {
	p, _ := newTestProvider(t)
	check := func(path *cim.ObjectPath, want map[string]any) {
		t.Helper()
		inst, err := p.GetInstance(ctx, Namespace, path)
		if err != nil {
			t.Fatalf("GetInstance(%s): %v", path, err)
		}
		for prop, w := range want {
			if got := value(t, inst, prop); !cim.EqualValues(got, w) {
				t.Errorf("%s.%s = %#v, want %#v", path.ClassName, prop, got, w)
			}
		}
	}
	check(SettingsPath(uuidWeb), map[string]any{
		"InstanceID": "Xen:" + uuidWeb, "ElementName": "web", "VirtualSystemIdentifier": uuidWeb,
		"VirtualSystemType": "Xen", "SecurityLabel": "ACM:acme:web", "Kernel": "/boot/vmlinuz",
		"Ramdisk": "/boot/initrd", "Memory": uint64(256), "VCPUs": uint32(1),
	})
	// The stored label, "" when unlabeled (not the effective __UNLABELED__ one).
	check(SettingsPath(uuidDB), map[string]any{"SecurityLabel": "", "Memory": uint64(512)})
	check(DiskPath(uuidWeb, "xvda1"), map[string]any{
		"ResourceType": uint16(31), "Address": "phy:sdb1", "VirtualDevice": "xvda1", "Mode": "w",
		"HostResource": []any{"phy:/dev/sdb1"},
	})
	check(NetworkPortPath(uuidWeb, 0), map[string]any{
		"ResourceType": uint16(10), "Address": "00:16:3e:00:00:01", "Bridge": "xenbr0", "SecurityLabel": "ACM:acme:net",
	})
	check(NetworkPortPath(uuidWeb, 1), map[string]any{"Bridge": "vlan:12", "SecurityLabel": ""})
	check(p.HostPath(), map[string]any{"ElementName": "host1", "EnabledState": uint16(2)})
	check(p.ServicePath(), map[string]any{"SystemName": "host1", "SystemCreationClassName": "Xen_HostSystem", "EnabledState": uint16(2)})
}

func TestGetInstanceNotFound(t *testing.T) {
	p, f := newTestProvider(t)
	host := p.HostPath()
	otherHost := &cim.ObjectPath{Namespace: Namespace, ClassName: ClassHostSystem, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: ClassHostSystem}, {Name: "Name", Value: "host2"}}}
	tests := []struct {
		name string
		path *cim.ObjectPath
	}{
		{"unknown uuid", ComputerSystemPath("99999999-9999-9999-9999-999999999999")},
		{"domain id as Name", ComputerSystemPath("3")},
		{"domain name as Name", ComputerSystemPath("web")},
		{"other host", otherHost},
		{"unknown disk", DiskPath(uuidWeb, "xvdz")},
		{"disk id on vif class", instanceIDPath(ClassNetworkPort, "Xen:"+uuidWeb+"/xvda1")},
		{"vif of halted db", NetworkPortPath(uuidDB, 0)},
		{"settings without prefix", instanceIDPath(ClassVSSD, uuidWeb)},
		{"settings of unknown domain", SettingsPath("nope")},
		{"assoc of other host", &cim.ObjectPath{Namespace: Namespace, ClassName: ClassHostedSystem, Keys: []cim.KeyBinding{
			{Name: "Antecedent", Value: otherHost}, {Name: "Dependent", Value: ComputerSystemPath(uuidWeb)}}}},
		{"assoc of mismatched settings", &cim.ObjectPath{Namespace: Namespace, ClassName: ClassSystemSettings, Keys: []cim.KeyBinding{
			{Name: "ManagedElement", Value: ComputerSystemPath(uuidWeb)}, {Name: "SettingData", Value: SettingsPath(uuidDB)}}}},
		{"hosted service of unknown service", &cim.ObjectPath{Namespace: Namespace, ClassName: ClassHostedService, Keys: []cim.KeyBinding{
			{Name: "Antecedent", Value: host}, {Name: "Dependent", Value: ComputerSystemPath(uuidWeb)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.GetInstance(ctx, Namespace, tt.path)
			if got := statusOf(t, err); got != cim.StatusNotFound {
				t.Errorf("GetInstance(%s) = %v, want CIM_ERR_NOT_FOUND", tt.path, err)
			}
		})
	}
	if _, err := p.GetInstance(ctx, "interop", host); statusOf(t, err) != cim.StatusInvalidNamespace {
		t.Errorf("GetInstance in interop: %v, want CIM_ERR_INVALID_NAMESPACE", err)
	}
	if _, err := p.GetInstance(ctx, Namespace, &cim.ObjectPath{ClassName: "Xen_VTPM"}); statusOf(t, err) != cim.StatusInvalidClass {
		t.Errorf("GetInstance of Xen_VTPM: %v, want CIM_ERR_INVALID_CLASS", err)
	}
	// A case-insensitive UUID and a path without namespace find the domain.
	q := ComputerSystemPath(strings.ToUpper(uuidWeb))
	q.Namespace = ""
	if inst, err := p.GetInstance(ctx, Namespace, q); err != nil || value(t, inst, "ElementName") != "web" {
		t.Errorf("GetInstance(%s) = %v, want web", q, err)
	}
	// One domain is read, not all of them.
	if f.calls["Domains"] != 0 {
		t.Errorf("GetInstance of domain objects called Domains %d times", f.calls["Domains"])
	}
	f.fail["Domain"] = errors.New("toolstack down")
	if _, err := p.GetInstance(ctx, Namespace, ComputerSystemPath(uuidWeb)); statusOf(t, err) != cim.StatusFailed {
		t.Errorf("GetInstance with a failing toolstack: %v, want CIM_ERR_FAILED", err)
	}
}

// TestAssociations follows every reference of every association instance both
// ways: ReferencesTo from each endpoint (with and without role) returns the
// instance, and only instances that refer to that endpoint.
func TestAssociations(t *testing.T) {
	p, f := newTestProvider(t)
	assocs := []string{ClassHostedSystem, ClassSystemSettings, ClassSettingComponent, ClassHostedService}
	for _, class := range assocs {
		t.Run(class, func(t *testing.T) {
			all := collect(t, p.EnumerateInstances(ctx, Namespace, class))
			for _, inst := range all {
				path := pathOf(t, p, inst)
				for _, k := range path.Keys {
					target := k.Value.(*cim.ObjectPath)
					for _, role := range []string{"", k.Name} {
						got := collect(t, p.ReferencesTo(ctx, Namespace, class, target, role))
						found := false
						for _, g := range got {
							gp := pathOf(t, p, g)
							if gp.Equal(path) {
								found = true
							}
							if r, _ := gp.Key(k.Name); !samePath(r.(*cim.ObjectPath), target) && role != "" {
								t.Errorf("ReferencesTo(%s, role %s) returned %s, which does not refer to it", target, role, gp)
							}
						}
						if !found {
							t.Errorf("ReferencesTo(%s, %q) misses %s", target, role, path)
						}
					}
					// The other role does not point to this endpoint.
					other := "Antecedent"
					switch k.Name {
					case "Antecedent":
						other = "Dependent"
					case "ManagedElement":
						other = "SettingData"
					case "SettingData":
						other = "ManagedElement"
					case "GroupComponent":
						other = "PartComponent"
					case "PartComponent":
						other = "GroupComponent"
					}
					if got := collect(t, p.ReferencesTo(ctx, Namespace, class, target, other)); len(got) != 0 {
						t.Errorf("ReferencesTo(%s, role %s) = %d instances, want none", target, other, len(got))
					}
				}
			}
		})
	}
	// The associations of one domain read that domain only.
	f.calls = map[string]int{}
	for _, tt := range []struct {
		class  string
		target *cim.ObjectPath
		want   int
	}{
		{ClassHostedSystem, ComputerSystemPath(uuidWeb), 1},
		{ClassSystemSettings, ComputerSystemPath(uuidWeb), 1},
		{ClassSystemSettings, SettingsPath(uuidDB), 1},
		{ClassSettingComponent, SettingsPath(uuidWeb), 3},
		{ClassSettingComponent, DiskPath(uuidDB, "xvda"), 1},
		{ClassSettingComponent, NetworkPortPath(uuidWeb, 1), 1},
		{ClassSettingComponent, ComputerSystemPath(uuidWeb), 0},
		{ClassHostedSystem, ComputerSystemPath("99999999-9999-9999-9999-999999999999"), 0},
	} {
		if got := collect(t, p.ReferencesTo(ctx, Namespace, tt.class, tt.target, "")); len(got) != tt.want {
			t.Errorf("ReferencesTo(%s, %s) = %d instances, want %d", tt.class, tt.target, len(got), tt.want)
		}
	}
	if f.calls["Domains"] != 0 {
		t.Errorf("associations of single domains called Domains %d times, want 0", f.calls["Domains"])
	}
	// From the host: every domain, and the services.
	if got := collect(t, p.ReferencesTo(ctx, Namespace, ClassHostedSystem, p.HostPath(), "Antecedent")); len(got) != 5 {
		t.Errorf("hosted systems of the host: %d, want 5", len(got))
	}
	if got := collect(t, p.ReferencesTo(ctx, Namespace, ClassHostedService, securityService, "Dependent")); len(got) != 1 {
		t.Errorf("host of the security service: %d, want 1", len(got))
	}
}

func TestServicesError(t *testing.T) {
	boom := errors.New("boom")
	p := New(Options{Toolstack: newFake(testDomains()...),
		Services: func(context.Context) ([]*cim.ObjectPath, error) { return nil, boom }})
	var got error
	for _, err := range p.EnumerateInstances(ctx, Namespace, ClassHostedService) {
		got = err
	}
	if statusOf(t, got) != cim.StatusFailed || !errors.Is(got, boom) {
		t.Errorf("enumerating with a failing Services: %v, want CIM_ERR_FAILED wrapping it", got)
	}
	// Without Lookup the instances hold what the provider sets; the host defaults.
	inst, err := p.GetInstance(ctx, Namespace, p.HostPath())
	if err != nil {
		t.Fatal(err)
	}
	if value(t, inst, "Name") != "localhost" || inst.Property("InstallDate") != nil {
		t.Errorf("host without options: Name %v, InstallDate %v", value(t, inst, "Name"), inst.Property("InstallDate"))
	}
}

func TestEnumerateStopsEarly(t *testing.T) {
	p, _ := newTestProvider(t)
	n := 0
	for range p.EnumerateInstances(ctx, Namespace, ClassComputerSystem) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("stopped after %d", n)
	}
}

func TestRegistrations(t *testing.T) {
	p, _ := newTestProvider(t)
	regs := p.Registrations()
	if len(regs) != 1 || !slices.Equal(regs[0].Namespaces, []string{"root/cimv2"}) || regs[0].Provider != p {
		t.Fatalf("registrations = %+v", regs)
	}
	for _, c := range regs[0].Classes {
		if p.lookup(Namespace, c) == nil {
			t.Errorf("registered class %s is not in the schema", c)
		}
	}
	if len(regs[0].Classes) != 10 {
		t.Errorf("%d classes, want 10", len(regs[0].Classes))
	}
}

func TestEnumerateError(t *testing.T) {
	p, f := newTestProvider(t)
	f.fail["Domains"] = fmt.Errorf("wrapped: %w", context.DeadlineExceeded)
	_, err := p.EnumerateInstanceNames(ctx, Namespace, ClassComputerSystem)
	if statusOf(t, err) != cim.StatusFailed {
		t.Errorf("EnumerateInstanceNames with a failing toolstack: %v", err)
	}
}
