package secpolicy

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
)

func pathKeys(paths []*cim.ObjectPath) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = p.String()
	}
	return out
}

func TestEnumerateInstanceNames(t *testing.T) {
	p, _ := newProvider(t)
	id := func(class, v string) string {
		return (&cim.ObjectPath{Namespace: Namespace, ClassName: class, Keys: []cim.KeyBinding{{Name: "InstanceID", Value: v}}}).String()
	}
	tests := []struct {
		class string
		want  []string
	}{
		{ClassACMPolicy, []string{id(ClassACMPolicy, "Xen:ACMPolicy:"+testRef)}},
		{ClassSecurityLabel, []string{
			// VM labels in ssid order (__UNLABELED__, bootstrap, sorted), then
			// resource labels sorted.
			id(ClassSecurityLabel, "Xen:shop:VM:__UNLABELED__"),
			id(ClassSecurityLabel, "Xen:shop:VM:SystemManagement"),
			id(ClassSecurityLabel, "Xen:shop:VM:db"),
			id(ClassSecurityLabel, "Xen:shop:VM:web"),
			id(ClassSecurityLabel, "Xen:shop:RES:db-disk"),
			id(ClassSecurityLabel, "Xen:shop:RES:web-disk"),
		}},
		{ClassConflictSet, []string{id(ClassConflictSet, "Xen:shop:CS:1"), id(ClassConflictSet, "Xen:shop:CS:2")}},
		{ClassLabeledResource, []string{
			resourcePath("file:/srv/db.img").String(), resourcePath("phy:/dev/sdb1").String(), resourcePath("vlan:12").String(),
		}},
		{ClassSecurityService, []string{`/root/cimv2:Xen_SecurityService.CreationClassName="Xen_SecurityService",Name="Xen Security Service",SystemCreationClassName="Xen_HostSystem",SystemName="host1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			paths, err := p.EnumerateInstanceNames(ctx, Namespace, tt.class)
			if err != nil {
				t.Fatal(err)
			}
			got := pathKeys(paths)
			want := slices.Clone(tt.want)
			for i := range want {
				want[i] = strings.TrimPrefix(want[i], "/")
			}
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], "/")
			}
			if !slices.Equal(got, want) {
				t.Errorf("paths\n got %q\nwant %q", got, want)
			}
			// Every enumerated path names an instance GetInstance finds.
			for _, path := range paths {
				inst, err := p.GetInstance(ctx, Namespace, path)
				if err != nil {
					t.Errorf("GetInstance(%s): %v", path, err)
					continue
				}
				if inst.ClassName != tt.class {
					t.Errorf("GetInstance(%s) is a %s", path, inst.ClassName)
				}
			}
		})
	}
}

func TestServicePath(t *testing.T) {
	p, _ := newProvider(t)
	sp := p.ServicePath()
	want := map[string]string{
		"SystemCreationClassName": "Xen_HostSystem", "SystemName": testHost,
		"CreationClassName": "Xen_SecurityService", "Name": "Xen Security Service",
	}
	for k, v := range want {
		if got, _ := keyString(sp, k); got != v {
			t.Errorf("ServicePath %s = %q, want %q", k, got, v)
		}
	}
	if sp.Namespace != Namespace {
		t.Errorf("ServicePath namespace %q", sp.Namespace)
	}
	inst, err := p.GetInstance(ctx, Namespace, sp)
	if err != nil {
		t.Fatal(err)
	}
	if v := value(t, inst, "EnabledState"); v != uint16(2) {
		t.Errorf("EnabledState %v, want 2", v)
	}
}

func TestACMPolicyInstance(t *testing.T) {
	p, f := newProvider(t)
	insts := collect(t, p.EnumerateInstances(ctx, Namespace, ClassACMPolicy))
	if len(insts) != 1 {
		t.Fatalf("%d Xen_ACMPolicy instances, want 1", len(insts))
	}
	inst := insts[0]
	sum := sha1.Sum(f.info.XML)
	want := map[string]any{
		"InstanceID":        "Xen:ACMPolicy:" + testRef,
		"ElementName":       "shop",
		"PolicyName":        "shop",
		"PolicyURL":         "http://example.org/shop.xml",
		"Reference":         "ref-shop",
		"Date":              "Mon Nov 23 14:00:00 2026",
		"NameSpaceURL":      "http://example.org/ns",
		"Version":           "1.2",
		"FromPolicyName":    "shop",
		"FromPolicyVersion": "1.1",
		"PolicyType":        uint16(1),
		"Flags":             uint32(3),
		"Repr":              string(f.info.XML),
		"Map":               f.info.Map,
		"Binary":            base64.StdEncoding.EncodeToString(f.info.Binary),
		"Hash":              hex.EncodeToString(sum[:]),
		"BootstrapLabel":    "SystemManagement",
	}
	for k, v := range want {
		if got := value(t, inst, k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	if got := strValues(value(t, inst, "STETypes")); !slices.Equal(got, []string{"SystemManagement", "Web", "DB", "Mail", "__UNLABELED__"}) {
		t.Errorf("STETypes %q", got)
	}
	if got := strValues(value(t, inst, "ChineseWallTypes")); !slices.Equal(got, []string{"SystemManagement", "Web", "DB", "Mail"}) {
		t.Errorf("ChineseWallTypes %q", got)
	}

	// A managed policy that is not the enforced one (loaded for boot only) is
	// described from its own document.
	f.info.XML = acm.DefaultXML("")
	f.info.Name = "DEFAULT"
	inst, err := p.GetInstance(ctx, Namespace, policyPath(testRef))
	if err != nil {
		t.Fatal(err)
	}
	if got := value(t, inst, "BootstrapLabel"); got != "SystemManagement" {
		t.Errorf("BootstrapLabel of DEFAULT %v", got)
	}
	if got := value(t, inst, "Repr"); got != string(acm.DefaultXML("")) {
		t.Errorf("Repr not the managed XML")
	}
	if got := strValues(value(t, inst, "ChineseWallTypes")); !slices.Equal(got, []string{"SystemManagement"}) {
		t.Errorf("ChineseWallTypes of DEFAULT %q", got)
	}
	if inst.Property("FromPolicyName") != nil {
		t.Errorf("DEFAULT has no FromPolicy, got FromPolicyName %v", value(t, inst, "FromPolicyName"))
	}

	// No managed policy, no instance.
	f.info.Ref = ""
	if got := collect(t, p.EnumerateInstances(ctx, Namespace, ClassACMPolicy)); len(got) != 0 {
		t.Errorf("%d instances without a policy reference", len(got))
	}
}

func TestBinaryHash(t *testing.T) {
	_, c := loadShop(t)
	bin := c.Binary()
	sum := sha1.Sum(c.Policy().XML())
	tests := []struct {
		name string
		bin  []byte
		want string
	}{
		{"policy", bin, hex.EncodeToString(sum[:])},
		{"short", bin[:50], ""},
		{"empty", nil, ""},
		{"bad magic", append([]byte{0, 0, 0, 0}, bin[4:]...), ""},
	}
	for _, tt := range tests {
		if got := binaryHash(tt.bin); got != tt.want {
			t.Errorf("%s: hash %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSecurityLabelInstances(t *testing.T) {
	p, _ := newProvider(t)
	tests := []struct {
		kind, label string
		want        map[string]any
		ste, chw    []string
	}{
		{kindVM, "SystemManagement", map[string]any{
			"SecurityLevel": "ACM:shop:SystemManagement", "ElementName": "SystemManagement", "LabelType": uint16(2),
			"PolicyName": "shop", "SSIDRef": uint32(0x00010001), "IsBootstrap": true,
		}, []string{"SystemManagement", "Web", "DB", "Mail", "__UNLABELED__"}, []string{"SystemManagement"}},
		{kindVM, "web", map[string]any{
			"SecurityLevel": "ACM:shop:web", "LabelType": uint16(2), "SSIDRef": uint32(0x00030003), "IsBootstrap": false,
		}, []string{"Web"}, []string{"Web"}},
		{kindVM, "__UNLABELED__", map[string]any{"SSIDRef": uint32(0), "IsBootstrap": false}, []string{"__UNLABELED__"}, []string{}},
		{kindRes, "db-disk", map[string]any{
			"SecurityLevel": "ACM:shop:db-disk", "ElementName": "db-disk", "LabelType": uint16(3),
			"SSIDRef": uint32(4 << 16), "IsBootstrap": false,
		}, []string{"DB"}, []string{}},
	}
	for _, tt := range tests {
		inst, err := p.GetInstance(ctx, Namespace, labelRef(tt.kind, tt.label))
		if err != nil {
			t.Errorf("%s %s: %v", tt.kind, tt.label, err)
			continue
		}
		for k, v := range tt.want {
			if got := value(t, inst, k); got != v {
				t.Errorf("%s %s: %s = %#v, want %#v", tt.kind, tt.label, k, got, v)
			}
		}
		if got := strValues(value(t, inst, "STETypes")); !slices.Equal(got, tt.ste) {
			t.Errorf("%s %s: STETypes %q, want %q", tt.kind, tt.label, got, tt.ste)
		}
		if got := strValues(value(t, inst, "ChineseWallTypes")); !slices.Equal(got, tt.chw) {
			t.Errorf("%s %s: ChineseWallTypes %q, want %q", tt.kind, tt.label, got, tt.chw)
		}
	}
}

func TestConflictSetInstances(t *testing.T) {
	p, _ := newProvider(t)
	insts := collect(t, p.EnumerateInstances(ctx, Namespace, ClassConflictSet))
	type cs struct {
		id, name string
		types    []string
	}
	want := []cs{{"Xen:shop:CS:1", "alpha", []string{"DB", "Mail"}}, {"Xen:shop:CS:2", "zeta", []string{"Web", "DB"}}}
	if len(insts) != len(want) {
		t.Fatalf("%d conflict sets, want %d", len(insts), len(want))
	}
	for i, w := range want {
		if got := value(t, insts[i], "InstanceID"); got != w.id {
			t.Errorf("set %d InstanceID %v, want %s", i, got, w.id)
		}
		if got := value(t, insts[i], "ElementName"); got != w.name {
			t.Errorf("set %d ElementName %v, want %s", i, got, w.name)
		}
		if got := strValues(value(t, insts[i], "Types")); !slices.Equal(got, w.types) {
			t.Errorf("set %d Types %q, want %q", i, got, w.types)
		}
	}
}

func TestLabeledResourceInstances(t *testing.T) {
	p, _ := newProvider(t)
	tests := []struct {
		name, typ, label string
		state            uint16
	}{
		{"phy:/dev/sdb1", "phy", "ACM:shop:web-disk", 2},
		{"file:/srv/db.img", "file", "ACM:shop:db-disk", 2},
		{"vlan:12", "vlan", "INV_ACM:old:net", 3},
	}
	for _, tt := range tests {
		inst, err := p.GetInstance(ctx, Namespace, resourcePath(tt.name))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		for k, v := range map[string]any{"ResourceName": tt.name, "ResourceType": tt.typ, "SecurityLabel": tt.label, "LabelState": tt.state} {
			if got := value(t, inst, k); got != v {
				t.Errorf("%s: %s = %#v, want %#v", tt.name, k, got, v)
			}
		}
	}
}

func TestGetInstanceNotFound(t *testing.T) {
	p, _ := newProvider(t)
	paths := []*cim.ObjectPath{
		policyPath("another-uuid"),
		labelPath("shop", kindVM, "nosuch"),
		labelPath("other", kindVM, "web"),
		labelPath("shop", kindRes, "web"), // a VM label asked as a resource label
		labelPath("shop", "CS", "1"),
		conflictSetPath("shop", 0),
		conflictSetPath("shop", 3),
		{Namespace: Namespace, ClassName: ClassConflictSet, Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:shop:CS:01"}}},
		resourcePath("phy:/dev/sdc"),
		resourcePath("phy:sdb1"), // not the normalised name
		resourcePath("bad"),
		{Namespace: Namespace, ClassName: ClassSecurityService, Keys: []cim.KeyBinding{{Name: "Name", Value: "x"}}},
		assocPath(ClassElementSecurityLabel, "SecurityLevel", labelRef(kindVM, "web"), "ManagedElement", computerSystemPath(dbUUID)),
		assocPath(ClassElementSecurityLabel, "SecurityLevel", labelRef(kindVM, "web"), "ManagedElement", computerSystemPath("nosuch")),
		assocPath(ClassPolicyLabel, "GroupComponent", policyPath("x"), "PartComponent", labelRef(kindVM, "web")),
	}
	for _, path := range paths {
		_, err := p.GetInstance(ctx, Namespace, path)
		if status(err) != cim.StatusNotFound {
			t.Errorf("GetInstance(%s): %v, want CIM_ERR_NOT_FOUND", path, err)
		}
	}
	if _, err := p.GetInstance(ctx, "interop", policyPath(testRef)); status(err) != cim.StatusInvalidNamespace {
		t.Errorf("GetInstance in interop: %v", err)
	}
}

func TestAssociationInstances(t *testing.T) {
	p, _ := newProvider(t)
	got := map[string]bool{}
	for _, path := range must(p.EnumerateInstanceNames(ctx, Namespace, ClassElementSecurityLabel)) {
		label, _ := path.Key("SecurityLevel")
		elem, _ := path.Key("ManagedElement")
		got[label.(*cim.ObjectPath).Keys[0].Value.(string)+" <- "+keyOf(elem.(*cim.ObjectPath))] = true
		// GetInstance finds every enumerated association.
		if _, err := p.GetInstance(ctx, Namespace, path); err != nil {
			t.Errorf("GetInstance(%s): %v", path, err)
		}
	}
	want := []string{
		"Xen:shop:VM:SystemManagement <- " + dom0UUID,
		"Xen:shop:VM:db <- " + dbUUID,
		"Xen:shop:VM:__UNLABELED__ <- " + plainUUID,
		"Xen:shop:VM:web <- " + webUUID,
		"Xen:shop:RES:db-disk <- file:/srv/db.img",
		"Xen:shop:RES:web-disk <- phy:/dev/sdb1",
	}
	if len(got) != len(want) {
		t.Errorf("Xen_ElementSecurityLabel: %v, want %v", got, want)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %s", w)
		}
	}
	if n := len(must(p.EnumerateInstanceNames(ctx, Namespace, ClassPolicyLabel))); n != 6 {
		t.Errorf("%d Xen_PolicyLabel, want 6", n)
	}
	if n := len(must(p.EnumerateInstanceNames(ctx, Namespace, ClassPolicyConflictSet))); n != 2 {
		t.Errorf("%d Xen_PolicyConflictSet, want 2", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// keyOf returns the Name or ResourceName key of an element path.
func keyOf(p *cim.ObjectPath) string {
	if v, ok := keyString(p, "Name"); ok {
		return v
	}
	v, _ := keyString(p, "ResourceName")
	return v
}

func TestReferencesTo(t *testing.T) {
	p, _ := newProvider(t)
	// Paths as a client sends them: no namespace.
	rel := func(q *cim.ObjectPath) *cim.ObjectPath { c := *q; c.Namespace = ""; return &c }
	tests := []struct {
		name   string
		assoc  string
		target *cim.ObjectPath
		role   string
		want   []string // the other end's Name, ResourceName or InstanceID
	}{
		{"domain to its label", ClassElementSecurityLabel, computerSystemPath(webUUID), "", []string{"Xen:shop:VM:web"}},
		{"domain, relative path", ClassElementSecurityLabel, rel(computerSystemPath(dbUUID)), "ManagedElement", []string{"Xen:shop:VM:db"}},
		{"domain, wrong role", ClassElementSecurityLabel, computerSystemPath(webUUID), "SecurityLevel", nil},
		{"domain with an invalidated label", ClassElementSecurityLabel, computerSystemPath(staleUUID), "", nil},
		{"unknown domain", ClassElementSecurityLabel, computerSystemPath("nosuch"), "", nil},
		{"domain by name is not its path", ClassElementSecurityLabel, computerSystemPath("web1"), "", nil},
		{"resource to its label", ClassElementSecurityLabel, resourcePath("phy:/dev/sdb1"), "", []string{"Xen:shop:RES:web-disk"}},
		{"invalidated resource", ClassElementSecurityLabel, resourcePath("vlan:12"), "", nil},
		{"VM label to its domains", ClassElementSecurityLabel, labelRef(kindVM, "web"), "", []string{webUUID}},
		{"unlabeled label", ClassElementSecurityLabel, rel(labelRef(kindVM, "__UNLABELED__")), "SecurityLevel", []string{plainUUID}},
		{"resource label to its resources", ClassElementSecurityLabel, labelRef(kindRes, "db-disk"), "", []string{"file:/srv/db.img"}},
		{"label, wrong role", ClassElementSecurityLabel, labelRef(kindVM, "web"), "ManagedElement", nil},
		{"policy to labels", ClassPolicyLabel, policyPath(testRef), "GroupComponent", []string{
			"Xen:shop:VM:__UNLABELED__", "Xen:shop:VM:SystemManagement", "Xen:shop:VM:db", "Xen:shop:VM:web",
			"Xen:shop:RES:db-disk", "Xen:shop:RES:web-disk"}},
		{"label to policy", ClassPolicyLabel, labelRef(kindRes, "web-disk"), "", []string{"Xen:ACMPolicy:" + testRef}},
		{"other policy", ClassPolicyLabel, policyPath("x"), "", nil},
		{"policy to sets", ClassPolicyConflictSet, rel(policyPath(testRef)), "", []string{"Xen:shop:CS:1", "Xen:shop:CS:2"}},
		{"set to policy", ClassPolicyConflictSet, conflictSetPath("shop", 2), "PartComponent", []string{"Xen:ACMPolicy:" + testRef}},
		{"set, wrong role", ClassPolicyConflictSet, conflictSetPath("shop", 2), "GroupComponent", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, inst := range collect(t, p.ReferencesTo(ctx, Namespace, tt.assoc, tt.target, tt.role)) {
				if inst.ClassName != tt.assoc {
					t.Errorf("instance of %s", inst.ClassName)
				}
				for _, pr := range inst.Properties {
					ref, ok := pr.Value.(*cim.ObjectPath)
					if !ok {
						t.Fatalf("property %s is not a reference", pr.Name)
					}
					if ref.Equal(absolute(tt.target)) {
						continue
					}
					if v, ok := keyString(ref, "InstanceID"); ok {
						got = append(got, v)
					} else {
						got = append(got, keyOf(ref))
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCreateInstance(t *testing.T) {
	newInst := func(class, name, label string) *cim.Instance {
		inst := &cim.Instance{ClassName: class}
		if name != "" {
			inst.Properties = append(inst.Properties, cim.Property{Name: "ResourceName", Type: cim.TypeString, Value: name})
		}
		if label != "" {
			inst.Properties = append(inst.Properties, cim.Property{Name: "SecurityLabel", Type: cim.TypeString, Value: label})
		}
		return inst
	}
	refused := &acm.Error{Code: acm.XSErrResourceInUse, Msg: "The resource is in use"}
	tests := []struct {
		name     string
		inst     *cim.Instance
		err      error // of SetResourceLabel
		want     cim.Status
		wantPath string
		wantCall string
		wantDesc string
	}{
		{"labels and normalises", newInst(ClassLabeledResource, "phy:sdc1", "ACM:shop:db-disk"), nil, cim.StatusOK,
			"phy:/dev/sdc1", "SetResourceLabel(phy:/dev/sdc1, ACM:shop:db-disk, )", ""},
		{"relative file", newInst(ClassLabeledResource, "file:img/a.img", "ACM:shop:web-disk"), nil, cim.StatusOK,
			"file:/work/img/a.img", "SetResourceLabel(file:/work/img/a.img, ACM:shop:web-disk, )", ""},
		{"already labeled", newInst(ClassLabeledResource, "phy:sdb1", "ACM:shop:db-disk"), nil, cim.StatusAlreadyExists, "", "", ""},
		{"refused", newInst(ClassLabeledResource, "phy:sdd", "ACM:shop:db-disk"), refused, cim.StatusFailed, "", "", "The resource is in use"},
		{"bare code", newInst(ClassLabeledResource, "phy:sdd", "ACM:shop:nosuch"), acm.XSErrBadLabel, cim.StatusFailed, "", "", "The label is bad"},
		{"bad resource", newInst(ClassLabeledResource, "sdd", "ACM:shop:db-disk"), nil, cim.StatusFailed, "", "", ""},
		{"no name", newInst(ClassLabeledResource, "", "ACM:shop:db-disk"), nil, cim.StatusInvalidParameter, "", "", ""},
		{"no label", newInst(ClassLabeledResource, "phy:sdd", ""), nil, cim.StatusInvalidParameter, "", "", ""},
		{"other class", newInst(ClassSecurityLabel, "x", "y"), nil, cim.StatusNotSupported, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newProvider(t)
			f.errs["SetResourceLabel"] = tt.err
			path, err := p.CreateInstance(ctx, Namespace, tt.inst)
			if status(err) != tt.want {
				t.Fatalf("CreateInstance: %v, want %v", err, tt.want)
			}
			if tt.wantDesc != "" {
				var ce *cim.Error
				if !errors.As(err, &ce) || ce.Description != tt.wantDesc {
					t.Errorf("description %v, want %q", err, tt.wantDesc)
				}
			}
			if tt.want != cim.StatusOK {
				return
			}
			if got, _ := keyString(path, "ResourceName"); got != tt.wantPath {
				t.Errorf("path %s, want ResourceName %s", path, tt.wantPath)
			}
			if got := f.lastCall(); got != tt.wantCall {
				t.Errorf("call %q, want %q", got, tt.wantCall)
			}
			if _, err := p.GetInstance(ctx, Namespace, path); err != nil {
				t.Errorf("the new instance is not found: %v", err)
			}
		})
	}
}

func TestDeleteInstance(t *testing.T) {
	tests := []struct {
		name     string
		path     *cim.ObjectPath
		err      error
		want     cim.Status
		wantCall string
	}{
		{"removes with the current label as old", resourcePath("phy:/dev/sdb1"), nil, cim.StatusOK, "SetResourceLabel(phy:/dev/sdb1, , ACM:shop:web-disk)"},
		{"invalidated label", resourcePath("vlan:12"), nil, cim.StatusOK, "SetResourceLabel(vlan:12, , INV_ACM:old:net)"},
		{"in use", resourcePath("phy:/dev/sdb1"), &acm.Error{Code: acm.XSErrResourceInUse, Msg: "The resource is in use"}, cim.StatusFailed, ""},
		{"unknown", resourcePath("phy:/dev/sdz"), nil, cim.StatusNotFound, ""},
		{"other class", labelRef(kindVM, "web"), nil, cim.StatusNotSupported, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := newProvider(t)
			f.errs["SetResourceLabel"] = tt.err
			err := p.DeleteInstance(ctx, Namespace, tt.path)
			if status(err) != tt.want {
				t.Fatalf("DeleteInstance: %v, want %v", err, tt.want)
			}
			if tt.want != cim.StatusOK {
				return
			}
			if got := f.lastCall(); got != tt.wantCall {
				t.Errorf("call %q, want %q", got, tt.wantCall)
			}
			if _, err := p.GetInstance(ctx, Namespace, tt.path); status(err) != cim.StatusNotFound {
				t.Errorf("after delete GetInstance: %v", err)
			}
		})
	}
	p, _ := newProvider(t)
	if err := p.ModifyInstance(ctx, Namespace, resourcePath("vlan:12"), &cim.Instance{}, nil); status(err) != cim.StatusNotSupported {
		t.Errorf("ModifyInstance: %v", err)
	}
}

// TestConcurrentReads reads from many goroutines at once while the enforced policy
// changes, for the race detector: the caches are shared.
func TestConcurrentReads(t *testing.T) {
	p, f := newProvider(t)
	dflt, err := acm.Compile(acm.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	shop := f.compiled
	var policy = []*acm.Compiled{shop, dflt}
	var mu sync.Mutex
	f2 := &switchingTS{fakeTS: f, mu: &mu, policies: policy}
	p.ts = f2
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if g == 0 && i%5 == 0 {
					f2.next()
				}
				for _, class := range []string{ClassSecurityLabel, ClassACMPolicy, ClassElementSecurityLabel, ClassConflictSet} {
					for _, err := range p.EnumerateInstances(ctx, Namespace, class) {
						if err != nil {
							t.Error(err)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
}

// switchingTS is a fake whose enforced policy alternates.
type switchingTS struct {
	*fakeTS
	mu       *sync.Mutex
	policies []*acm.Compiled
	i        int
}

func (s *switchingTS) next() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.i++
}

func (s *switchingTS) Enforced() *acm.Compiled {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policies[s.i%len(s.policies)]
}
