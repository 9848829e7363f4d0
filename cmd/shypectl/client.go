package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// ns is the namespace of every class shypectl uses.
const ns = "root/cimv2"

// Class names of the CIM contract (cim-model.md §1, §2).
const (
	classCS       = "Xen_ComputerSystem"
	classVSSD     = "Xen_VirtualSystemSettingData"
	classDisk     = "Xen_DiskSettingData"
	classNet      = "Xen_NetworkPortSettingData"
	classVSMS     = "Xen_VirtualSystemManagementService"
	classSecurity = "Xen_SecurityService"
	classLabel    = "Xen_SecurityLabel"
)

// EnabledState values of Xen_ComputerSystem (DSP1057).
const (
	stateRunning   = 2
	stateHalted    = 3
	stateSuspended = 6
	statePaused    = 9
)

// RequestStateChange values (cim-model.md §1).
const (
	reqStart    = 2
	reqDestroy  = 3
	reqShutdown = 4
	reqSuspend  = 6
	reqPause    = 9
	reqReboot   = 10
)

// domain is a Xen_ComputerSystem joined with its Xen_VirtualSystemSettingData.
type domain struct {
	Path  *cim.ObjectPath
	Name  string
	UUID  string
	ID    int64 // -1 while not live
	State uint64
	// Label is the label the domain carries (the computer system's
	// SecurityLabel: ACM:<active>:__UNLABELED__ for an unlabeled one).
	Label    string
	MemMiB   uint64
	VCPUs    uint64
	VSSD     *cim.Instance
	VSSDPath *cim.ObjectPath
}

// live reports whether the domain has a domain id (running or paused).
func (d *domain) live() bool { return d.ID >= 0 }

// domains returns every defined domain, Domain-0 first, then by name.
func (a *app) domains() ([]*domain, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	systems, err := c.EnumerateInstances(a.ctx, ns, classCS)
	if err != nil {
		return nil, err
	}
	settings, err := c.EnumerateInstances(a.ctx, ns, classVSSD)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]cim.Object, len(settings))
	for _, o := range settings {
		if o.Instance != nil {
			byID[propString(o.Instance, "InstanceID")] = o
		}
	}
	var doms []*domain
	for _, o := range systems {
		in := o.Instance
		if in == nil {
			continue
		}
		d := &domain{
			Path:  o.Path,
			Name:  propString(in, "ElementName"),
			UUID:  propString(in, "Name"),
			ID:    -1,
			Label: propString(in, "SecurityLabel"),
		}
		if d.Path == nil {
			d.Path = csPath(d.UUID)
		}
		if id, ok := propUint(in, "DomainID"); ok {
			d.ID = int64(id)
		}
		d.State, _ = propUint(in, "EnabledState")
		if s, ok := byID["Xen:"+d.UUID]; ok {
			d.VSSD, d.VSSDPath = s.Instance, s.Path
			d.MemMiB, _ = propUint(s.Instance, "Memory")
			d.VCPUs, _ = propUint(s.Instance, "VCPUs")
		}
		if d.VSSDPath == nil {
			d.VSSDPath = vssdPath(d.UUID)
		}
		doms = append(doms, d)
	}
	sort.SliceStable(doms, func(i, j int) bool {
		if (doms[i].ID == 0) != (doms[j].ID == 0) {
			return doms[i].ID == 0
		}
		return doms[i].Name < doms[j].Name
	})
	return doms, nil
}

// findDomain returns the domain that ref names: a name, a domain id or a UUID.
func (a *app) findDomain(ref string) (*domain, error) {
	doms, err := a.domains()
	if err != nil {
		return nil, err
	}
	if d := matchDomain(doms, ref); d != nil {
		return d, nil
	}
	return nil, errorf("Domain '%s' does not exist.", ref)
}

func matchDomain(doms []*domain, ref string) *domain {
	for _, d := range doms {
		if d.Name == ref {
			return d
		}
	}
	for _, d := range doms {
		if strings.EqualFold(d.UUID, ref) {
			return d
		}
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id >= 0 {
		for _, d := range doms {
			if d.ID == id {
				return d
			}
		}
	}
	return nil
}

func csPath(uuid string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: ns, ClassName: classCS, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: classCS},
		{Name: "Name", Value: uuid},
	}}
}

func vssdPath(uuid string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: ns, ClassName: classVSSD, Keys: []cim.KeyBinding{
		{Name: "InstanceID", Value: "Xen:" + uuid},
	}}
}

func rasdPath(class, instanceID string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: ns, ClassName: class, Keys: []cim.KeyBinding{
		{Name: "InstanceID", Value: instanceID},
	}}
}

// service returns the path of the single instance of a service class.
func (a *app) service(class string, cache **cim.ObjectPath) (*cim.ObjectPath, error) {
	if *cache != nil {
		return *cache, nil
	}
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	paths, err := c.EnumerateInstanceNames(a.ctx, ns, class)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errorf("The server has no %s.", class)
	}
	p := paths[0]
	if p.Namespace == "" {
		p.Namespace = ns
	}
	*cache = p
	return p, nil
}

// outParams is the output of a method call by parameter name (lower case).
type outParams map[string]any

func (o outParams) str(name string) string {
	s, _ := o[strings.ToLower(name)].(string)
	return s
}

func (o outParams) uint(name string) uint64 {
	n, _ := toUint(o[strings.ToLower(name)])
	return n
}

func (o outParams) path(name string) *cim.ObjectPath {
	switch v := o[strings.ToLower(name)].(type) {
	case *cim.ObjectPath:
		return v
	case string:
		p, err := cim.ParseObjectPath(v)
		if err == nil {
			return p
		}
	}
	return nil
}

func (o outParams) strings(name string) []string {
	var out []string
	switch v := o[strings.ToLower(name)].(type) {
	case []any:
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
	case []string:
		out = v
	}
	return out
}

func (o outParams) uints(name string) []uint64 {
	var out []uint64
	if v, ok := o[strings.ToLower(name)].([]any); ok {
		for _, e := range v {
			n, _ := toUint(e)
			out = append(out, n)
		}
	}
	return out
}

// invoke calls method on target and returns its return value as a number and
// its output parameters.
func (a *app) invoke(target *cim.ObjectPath, method string, in ...cim.ParamValue) (uint64, outParams, error) {
	c, err := a.client()
	if err != nil {
		return 0, nil, err
	}
	ret, out, err := c.InvokeMethod(a.ctx, target, method, in)
	if err != nil {
		return 0, nil, err
	}
	params := make(outParams, len(out))
	for _, p := range out {
		params[strings.ToLower(p.Name)] = p.Value
	}
	code, _ := toUint(ret)
	return code, params, nil
}

// invokeDMTF calls a DSP1042/DSP1057 method: refusals arrive as CIM errors
// (cim-model.md §0); a return value other than 0 is a failure too.
func (a *app) invokeDMTF(target *cim.ObjectPath, method string, in ...cim.ParamValue) (outParams, error) {
	code, out, err := a.invoke(target, method, in...)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, errorf("%s failed with return code %d.", method, code)
	}
	return out, nil
}

// vsmsCall invokes a method of the Xen_VirtualSystemManagementService.
func (a *app) vsmsCall(method string, in ...cim.ParamValue) (outParams, error) {
	svc, err := a.service(classVSMS, &a.vsms)
	if err != nil {
		return nil, err
	}
	return a.invokeDMTF(svc, method, in...)
}

// secCall invokes a method of the Xen_SecurityService, which returns an
// XSERR code and Xen's message rather than raising CIM errors.
func (a *app) secCall(method string, in ...cim.ParamValue) (uint64, outParams, error) {
	svc, err := a.service(classSecurity, &a.secsvc)
	if err != nil {
		return 0, nil, err
	}
	return a.invoke(svc, method, in...)
}

// Parameter constructors.

func strParam(name, v string) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeString, Value: v}
}

func uint32Param(name string, v uint32) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeUint32, Value: v}
}

func uint16Param(name string, v uint16) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeUint16, Value: v}
}

func boolParam(name string, v bool) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeBoolean, Value: v}
}

func refParam(name string, p *cim.ObjectPath) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeReference, Value: p}
}

func refsParam(name string, ps []*cim.ObjectPath) cim.ParamValue {
	vals := make([]any, len(ps))
	for i, p := range ps {
		vals[i] = p
	}
	return cim.ParamValue{Name: name, Type: cim.TypeReference, IsArray: true, Value: vals}
}

func instParam(name string, in *cim.Instance) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeString, Value: in, EmbeddedObject: "instance"}
}

func instsParam(name string, ins []*cim.Instance) cim.ParamValue {
	vals := make([]any, len(ins))
	for i, in := range ins {
		vals[i] = in
	}
	return cim.ParamValue{Name: name, Type: cim.TypeString, IsArray: true, Value: vals, EmbeddedObject: "instance"}
}

// Property readers, lenient about the types a server sends.

func propString(in *cim.Instance, name string) string {
	if in == nil {
		return ""
	}
	p := in.Property(name)
	if p == nil || p.Value == nil {
		return ""
	}
	switch v := p.Value.(type) {
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func propUint(in *cim.Instance, name string) (uint64, bool) {
	if in == nil {
		return 0, false
	}
	p := in.Property(name)
	if p == nil || p.Value == nil {
		return 0, false
	}
	return toUint(p.Value)
}

func toUint(v any) (uint64, bool) {
	switch n := v.(type) {
	case uint8:
		return uint64(n), true
	case uint16:
		return uint64(n), true
	case uint32:
		return uint64(n), true
	case uint64:
		return n, true
	case int8:
		return uint64(n), n >= 0
	case int16:
		return uint64(n), n >= 0
	case int32:
		return uint64(n), n >= 0
	case int64:
		return uint64(n), n >= 0
	case int:
		return uint64(n), n >= 0
	case string:
		u, err := strconv.ParseUint(strings.TrimSpace(n), 10, 64)
		return u, err == nil
	}
	return 0, false
}

func stringProp(name, v string) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeString, Value: v}
}
