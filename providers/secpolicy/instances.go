package secpolicy

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers"
)

// entry is one instance before it is completed from its class.
type entry = providers.Entry

func str(name, v string) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeString, Value: v}
}

// strs is a string array property; no strings is an empty array, not NULL.
func strs(name string, v []string) cim.Property {
	a := make([]any, len(v))
	for i, s := range v {
		a[i] = s
	}
	return cim.Property{Name: name, Type: cim.TypeString, IsArray: true, Value: a}
}

func u16(name string, v uint16) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeUint16, Value: v}
}

func u32(name string, v uint32) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeUint32, Value: v}
}

func boolean(name string, v bool) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeBoolean, Value: v}
}

// Paths. Every path the provider builds is absolute (namespace root/cimv2).

func policyPath(ref string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassACMPolicy,
		Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:ACMPolicy:" + ref}}}
}

func labelPath(policy, kind, label string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassSecurityLabel,
		Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:" + policy + ":" + kind + ":" + label}}}
}

func conflictSetPath(policy string, n int) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassConflictSet,
		Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:" + policy + ":CS:" + strconv.Itoa(n)}}}
}

func resourcePath(name string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassLabeledResource,
		Keys: []cim.KeyBinding{{Name: "ResourceName", Value: name}}}
}

func computerSystemPath(uuid string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: ClassComputerSystem,
		Keys: []cim.KeyBinding{
			{Name: "CreationClassName", Value: ClassComputerSystem},
			{Name: "Name", Value: uuid},
		}}
}

func assocPath(class, role1 string, ref1 *cim.ObjectPath, role2 string, ref2 *cim.ObjectPath) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, ClassName: class,
		Keys: []cim.KeyBinding{{Name: role1, Value: ref1}, {Name: role2, Value: ref2}}}
}

// Label kinds in a Xen_SecurityLabel InstanceID, and LabelType values.
const (
	kindVM  = "VM"
	kindRes = "RES"

	labelTypeVM  uint16 = 2
	labelTypeRes uint16 = 3

	labelStateValid       uint16 = 2
	labelStateInvalidated uint16 = 3
)

// labelInfo is one Xen_SecurityLabel of the enforced policy.
type labelInfo struct {
	kind      string
	name      string
	ste, chw  []string
	ssidref   uint32
	bootstrap bool
	path      *cim.ObjectPath
}

// policyView is what the classes read of one enforced compiled policy, computed
// once per policy: the labels with their paths (shared by every association
// instance that names them) and the conflict sets in binary order.
type policyView struct {
	c      *acm.Compiled
	name   string
	vm     []labelInfo
	res    []labelInfo
	vmIdx  map[string]int
	resIdx map[string]int
	sets   []acm.ConflictSet
}

// enforcedView returns the view of the enforced policy, from the cache when the
// policy has not changed.
func (p *Provider) enforcedView() *policyView {
	c := p.ts.Enforced()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.view != nil && p.view.c == c {
		return p.view
	}
	p.view = newPolicyView(c)
	return p.view
}

func newPolicyView(c *acm.Compiled) *policyView {
	v := &policyView{c: c, vmIdx: map[string]int{}, resIdx: map[string]int{}}
	if c == nil {
		return v
	}
	pol := c.Policy()
	v.name = c.Name()
	// VM labels in ssid order; __UNLABELED__ holds index 0 whether or not the
	// policy defines it, and is a label of the policy only when it does.
	for _, name := range c.VMLabels() {
		l, ok := pol.VMLabel(name)
		if !ok {
			continue
		}
		ref, _ := c.VMSSIDRef(name)
		v.vmIdx[name] = len(v.vm)
		v.vm = append(v.vm, labelInfo{kind: kindVM, name: name, ste: l.STE, chw: l.CHWall,
			ssidref: ref, bootstrap: name == pol.Bootstrap, path: labelPath(v.name, kindVM, name)})
	}
	// Resource labels: __UNLABELED__ (ssidref 0) first when defined, then in ssid
	// order.
	names := c.ResourceLabels()
	if _, ok := pol.ResourceLabel(acm.LabelUnlabeled); ok {
		names = append([]string{acm.LabelUnlabeled}, names...)
	}
	for _, name := range names {
		l, ok := pol.ResourceLabel(name)
		if !ok {
			continue
		}
		ref, _ := c.ResourceSSIDRef(name)
		v.resIdx[name] = len(v.res)
		v.res = append(v.res, labelInfo{kind: kindRes, name: name, ste: l.STE, chw: l.CHWall,
			ssidref: ref, path: labelPath(v.name, kindRes, name)})
	}
	// The binary orders conflict sets by name; equal names keep document order.
	v.sets = slices.Clone(pol.ConflictSets)
	slices.SortStableFunc(v.sets, func(a, b acm.ConflictSet) int { return cmp.Compare(a.Name, b.Name) })
	return v
}

// label returns the label of kind named name, if the policy has it.
func (v *policyView) label(kind, name string) (*labelInfo, bool) {
	switch kind {
	case kindVM:
		if i, ok := v.vmIdx[name]; ok {
			return &v.vm[i], true
		}
	case kindRes:
		if i, ok := v.resIdx[name]; ok {
			return &v.res[i], true
		}
	}
	return nil, false
}

// labelOf returns the label of kind that the label string s ("ACM:<p>:<l>") names
// under this policy; ok is false for an INV_ACM label, another policy's label or
// a label the policy lacks.
func (v *policyView) labelOf(kind, s string) (*labelInfo, bool) {
	typ, rest, ok := strings.Cut(s, ":")
	if !ok || typ != acm.LabelTypeACM {
		return nil, false
	}
	pol, name, ok := strings.Cut(rest, ":")
	if !ok || pol != v.name || strings.Contains(name, ":") {
		return nil, false
	}
	return v.label(kind, name)
}

// labelByID returns the label a Xen_SecurityLabel InstanceID names.
func (v *policyView) labelByID(id string) (*labelInfo, bool) {
	rest, ok := strings.CutPrefix(id, "Xen:"+v.name+":")
	if !ok {
		return nil, false
	}
	kind, name, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, false
	}
	return v.label(kind, name)
}

func (l *labelInfo) entry(policy string) entry {
	lt := labelTypeVM
	if l.kind == kindRes {
		lt = labelTypeRes
	}
	return providers.KeyEntry(l.path,
		str("SecurityLevel", acm.NewLabel(policy, l.name).String()),
		str("ElementName", l.name),
		u16("LabelType", lt),
		str("PolicyName", policy),
		strs("STETypes", l.ste),
		strs("ChineseWallTypes", l.chw),
		u32("SSIDRef", l.ssidref),
		boolean("IsBootstrap", l.bootstrap),
	)
}

func (v *policyView) conflictSetEntry(n int) entry {
	cs := v.sets[n-1]
	return providers.KeyEntry(conflictSetPath(v.name, n), str("ElementName", cs.Name), strs("Types", cs.Types))
}

// managedPolicy is the parsed managed policy, for the properties of Xen_ACMPolicy
// that PolicyInfo does not carry.
type managedPolicy struct {
	xml []byte
	pol *acm.Policy // nil when the XML does not parse
}

// managedParsed returns the managed policy parsed from info.XML: the enforced
// policy when it is the same document, else parsed once and cached.
func (p *Provider) managedParsed(info *acm.PolicyInfo) *acm.Policy {
	if c := p.ts.Enforced(); c != nil && c.Policy() != nil && bytes.Equal(c.Policy().XML(), info.XML) {
		return c.Policy()
	}
	p.mu.Lock()
	m := p.managed
	p.mu.Unlock()
	if m != nil && bytes.Equal(m.xml, info.XML) {
		return m.pol
	}
	pol, err := acm.Parse(info.XML)
	if err != nil {
		pol = nil
	}
	p.mu.Lock()
	p.managed = &managedPolicy{xml: bytes.Clone(info.XML), pol: pol}
	p.mu.Unlock()
	return pol
}

// binaryHash returns the SHA-1 (hex) of the policy XML recorded in the header of
// a 3.3+ binary policy (acm.md §2.4: ten u32, then the 20-byte hash), "" when the
// binary has no such header.
func binaryHash(bin []byte) string {
	const hashOff, hashLen = 40, 20
	if len(bin) < hashOff+hashLen || binary.BigEndian.Uint32(bin) != acm.Magic ||
		binary.BigEndian.Uint32(bin[4:]) < acm.PolicyVersion {
		return ""
	}
	return hex.EncodeToString(bin[hashOff : hashOff+hashLen])
}

// policyEntry is the Xen_ACMPolicy instance; ok is false when no policy is managed.
func (p *Provider) policyEntry() (entry, bool) {
	info := p.ts.Policy()
	if info.Ref == "" {
		return entry{}, false
	}
	vals := []cim.Property{
		str("ElementName", info.Name),
		str("PolicyName", info.Name),
		str("Version", info.Version),
		u16("PolicyType", uint16(info.Type)),
		u32("Flags", info.Flags),
		str("Repr", string(info.XML)),
		str("Map", info.Map),
		str("Binary", base64.StdEncoding.EncodeToString(info.Binary)),
		str("Hash", binaryHash(info.Binary)),
	}
	if pol := p.managedParsed(&info); pol != nil {
		vals = append(vals,
			str("PolicyURL", pol.URL),
			str("Reference", pol.Reference),
			str("Date", pol.Date),
			str("NameSpaceURL", pol.NameSpaceURL),
			strs("STETypes", pol.STETypes),
			strs("ChineseWallTypes", pol.CHWallTypes),
			str("BootstrapLabel", pol.Bootstrap),
		)
		if pol.From != nil {
			vals = append(vals, str("FromPolicyName", pol.From.Name), str("FromPolicyVersion", pol.From.Version))
		}
	}
	return providers.KeyEntry(policyPath(info.Ref), vals...), true
}

func (p *Provider) serviceEntry() entry {
	return providers.KeyEntry(p.ServicePath(),
		str("ElementName", ServiceName),
		str("Caption", "sHype access control"),
		str("Description", "Administers the sHype ACM policy and the security labels of domains and resources, and answers access decisions."),
		u16("EnabledState", 2),
		u16("RequestedState", 12),
		u16("EnabledDefault", 2),
		cim.Property{Name: "OperationalStatus", Type: cim.TypeUint16, IsArray: true, Value: []any{uint16(2)}},
		boolean("Started", true),
	)
}

func resourceEntry(name string, l acm.ResourceLabel) entry {
	typ, _, _ := strings.Cut(name, ":")
	state := labelStateValid
	if l.Type != acm.LabelTypeACM {
		state = labelStateInvalidated
	}
	return providers.KeyEntry(resourcePath(name),
		str("ElementName", name),
		str("ResourceType", typ),
		str("SecurityLabel", l.String()),
		u16("LabelState", state),
	)
}

// entries returns the entries of class in a stable order. With a target it may
// return only the association entries that can refer to target in role ("": any)
// — a superset the caller filters with refersTo.
func (p *Provider) entries(ctx context.Context, class string, target *cim.ObjectPath, role string) ([]entry, error) {
	switch strings.ToLower(class) {
	case strings.ToLower(ClassACMPolicy):
		if e, ok := p.policyEntry(); ok {
			return []entry{e}, nil
		}
		return nil, nil
	case strings.ToLower(ClassSecurityLabel):
		v := p.enforcedView()
		es := make([]entry, 0, len(v.vm)+len(v.res))
		for i := range v.vm {
			es = append(es, v.vm[i].entry(v.name))
		}
		for i := range v.res {
			es = append(es, v.res[i].entry(v.name))
		}
		return es, nil
	case strings.ToLower(ClassConflictSet):
		v := p.enforcedView()
		es := make([]entry, len(v.sets))
		for i := range v.sets {
			es[i] = v.conflictSetEntry(i + 1)
		}
		return es, nil
	case strings.ToLower(ClassLabeledResource):
		rs := p.ts.Resources()
		es := make([]entry, len(rs))
		for i, r := range rs {
			es[i] = resourceEntry(r.Resource, r.Label)
		}
		return es, nil
	case strings.ToLower(ClassSecurityService):
		return []entry{p.serviceEntry()}, nil
	case strings.ToLower(ClassPolicyLabel):
		return p.policyLabelEntries(target, role), nil
	case strings.ToLower(ClassPolicyConflictSet):
		return p.policyConflictSetEntries(target, role), nil
	case strings.ToLower(ClassElementSecurityLabel):
		return p.elementLabelEntries(ctx, target, role)
	}
	return nil, cim.Errorf(cim.StatusInvalidClass, "the security policy provider does not serve class %s", class)
}

// roleMay reports whether role ("" any) may be the reference named name.
func roleMay(role, name string) bool { return role == "" || strings.EqualFold(role, name) }

func isClass(p *cim.ObjectPath, class string) bool {
	return p != nil && strings.EqualFold(p.ClassName, class)
}

func (p *Provider) policyLabelEntries(target *cim.ObjectPath, role string) []entry {
	ref := p.ts.Policy().Ref
	if ref == "" {
		return nil
	}
	pp := policyPath(ref)
	v := p.enforcedView()
	mk := func(l *labelInfo) entry {
		return providers.KeyEntry(assocPath(ClassPolicyLabel, "GroupComponent", pp, "PartComponent", l.path))
	}
	if isClass(target, ClassSecurityLabel) {
		if !roleMay(role, "PartComponent") {
			return nil
		}
		id, _ := keyString(target, "InstanceID")
		if l, ok := v.labelByID(id); ok {
			return []entry{mk(l)}
		}
		return nil
	}
	if target != nil && (!isClass(target, ClassACMPolicy) || !roleMay(role, "GroupComponent")) {
		return nil
	}
	es := make([]entry, 0, len(v.vm)+len(v.res))
	for i := range v.vm {
		es = append(es, mk(&v.vm[i]))
	}
	for i := range v.res {
		es = append(es, mk(&v.res[i]))
	}
	return es
}

func (p *Provider) policyConflictSetEntries(target *cim.ObjectPath, role string) []entry {
	ref := p.ts.Policy().Ref
	if ref == "" {
		return nil
	}
	pp := policyPath(ref)
	v := p.enforcedView()
	mk := func(n int) entry {
		return providers.KeyEntry(assocPath(ClassPolicyConflictSet, "GroupComponent", pp, "PartComponent", conflictSetPath(v.name, n)))
	}
	if isClass(target, ClassConflictSet) {
		if !roleMay(role, "PartComponent") {
			return nil
		}
		id, _ := keyString(target, "InstanceID")
		s, ok := strings.CutPrefix(id, "Xen:"+v.name+":CS:")
		n, err := strconv.Atoi(s)
		if !ok || err != nil || n < 1 || n > len(v.sets) {
			return nil
		}
		return []entry{mk(n)}
	}
	if target != nil && (!isClass(target, ClassACMPolicy) || !roleMay(role, "GroupComponent")) {
		return nil
	}
	es := make([]entry, len(v.sets))
	for i := range v.sets {
		es[i] = mk(i + 1)
	}
	return es
}

func elementLabelEntry(label, elem *cim.ObjectPath) entry {
	return providers.KeyEntry(assocPath(ClassElementSecurityLabel, "SecurityLevel", label, "ManagedElement", elem))
}

// elementLabelEntries returns the Xen_ElementSecurityLabel entries: each domain
// whose effective label is a label of the enforced policy, each resource with a
// valid label of it. From a domain or a resource only its own entry is built,
// from a label only those of its carriers.
func (p *Provider) elementLabelEntries(ctx context.Context, target *cim.ObjectPath, role string) ([]entry, error) {
	v := p.enforcedView()
	wantDomains, wantResources := true, true
	var only *labelInfo
	switch {
	case target == nil:
	case isClass(target, ClassSecurityLabel):
		if !roleMay(role, "SecurityLevel") {
			return nil, nil
		}
		id, _ := keyString(target, "InstanceID")
		l, ok := v.labelByID(id)
		if !ok {
			return nil, nil
		}
		only = l
		wantDomains, wantResources = l.kind == kindVM, l.kind == kindRes
	case isClass(target, ClassComputerSystem):
		if !roleMay(role, "ManagedElement") {
			return nil, nil
		}
		name, _ := keyString(target, "Name")
		if name == "" {
			return nil, nil
		}
		d, err := p.ts.Domain(ctx, name)
		if errors.Is(err, hypervisor.ErrNoDomain) {
			return nil, nil
		}
		if err != nil {
			return nil, toCIMError(err)
		}
		if l, ok := v.labelOf(kindVM, d.EffectiveLabel); ok {
			return []entry{elementLabelEntry(l.path, computerSystemPath(d.UUID))}, nil
		}
		return nil, nil
	case isClass(target, ClassLabeledResource):
		if !roleMay(role, "ManagedElement") {
			return nil, nil
		}
		name, _ := keyString(target, "ResourceName")
		rl, ok, err := p.labeledResource(name)
		if err != nil || !ok {
			return nil, err
		}
		if l, ok := v.labelOf(kindRes, rl.String()); ok {
			return []entry{elementLabelEntry(l.path, resourcePath(name))}, nil
		}
		return nil, nil
	default:
		return nil, nil
	}
	var es []entry
	if wantDomains {
		doms, err := p.ts.Domains(ctx)
		if err != nil {
			return nil, toCIMError(err)
		}
		es = make([]entry, 0, len(doms))
		for i := range doms {
			l, ok := v.labelOf(kindVM, doms[i].EffectiveLabel)
			if ok && (only == nil || l == only) {
				es = append(es, elementLabelEntry(l.path, computerSystemPath(doms[i].UUID)))
			}
		}
	}
	if wantResources {
		for _, r := range p.ts.Resources() {
			if r.Label.Type != acm.LabelTypeACM || r.Label.Policy != v.name {
				continue
			}
			l, ok := v.label(kindRes, r.Label.Label)
			if ok && (only == nil || l == only) {
				es = append(es, elementLabelEntry(l.path, resourcePath(r.Resource)))
			}
		}
	}
	return es, nil
}

// candidates returns the entries among which the instance at path (local) must be,
// building only those the path can name.
func (p *Provider) candidates(ctx context.Context, path *cim.ObjectPath) ([]entry, error) {
	switch strings.ToLower(path.ClassName) {
	case strings.ToLower(ClassSecurityLabel):
		v := p.enforcedView()
		id, _ := keyString(path, "InstanceID")
		if l, ok := v.labelByID(id); ok {
			return []entry{l.entry(v.name)}, nil
		}
		return nil, nil
	case strings.ToLower(ClassConflictSet):
		v := p.enforcedView()
		id, _ := keyString(path, "InstanceID")
		s, ok := strings.CutPrefix(id, "Xen:"+v.name+":CS:")
		n, err := strconv.Atoi(s)
		if !ok || err != nil || n < 1 || n > len(v.sets) || strconv.Itoa(n) != s {
			return nil, nil
		}
		return []entry{v.conflictSetEntry(n)}, nil
	case strings.ToLower(ClassLabeledResource):
		name, _ := keyString(path, "ResourceName")
		l, ok, err := p.labeledResource(name)
		if err != nil || !ok {
			return nil, err
		}
		return []entry{resourceEntry(name, l)}, nil
	case strings.ToLower(ClassPolicyLabel), strings.ToLower(ClassPolicyConflictSet):
		part, _ := path.Key("PartComponent")
		ref, ok := part.(*cim.ObjectPath)
		if !ok {
			return nil, nil
		}
		return p.entries(ctx, path.ClassName, ref, "PartComponent")
	case strings.ToLower(ClassElementSecurityLabel):
		elem, _ := path.Key("ManagedElement")
		ref, ok := elem.(*cim.ObjectPath)
		if !ok {
			return nil, nil
		}
		return p.entries(ctx, path.ClassName, ref, "ManagedElement")
	}
	return p.entries(ctx, path.ClassName, nil, "")
}

// keyString returns the string key name of path.
func keyString(path *cim.ObjectPath, name string) (string, bool) {
	v, ok := path.Key(name)
	s, isStr := v.(string)
	return s, ok && isStr
}

// propString returns the string property name of inst.
func propString(inst *cim.Instance, name string) (string, bool) {
	pr := inst.Property(name)
	if pr == nil {
		return "", false
	}
	s, ok := pr.Value.(string)
	return s, ok
}
