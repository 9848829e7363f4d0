package tpm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// The destination's classes MigrateVTPM uses beyond the provider's own.
const (
	classVSMS        = "Xen_VirtualSystemManagementService"
	classVSSD        = "Xen_VirtualSystemSettingData"
	classDisk        = "Xen_DiskSettingData"
	classNetworkPort = "Xen_NetworkPortSettingData"

	resourceEthernet    uint16 = 10 // Ethernet Adapter (DSP1050)
	resourceLogicalDisk uint16 = 31 // Logical Disk (DSP1047)
)

// remoteError is a non-zero code returned by a method of the destination's
// service: MigrateVTPM returns the same code, with the destination's message.
type remoteError struct {
	code uint32
	msg  string
}

func (e *remoteError) Error() string { return e.msg }

// migrateVTPM runs the whole migration of cim-model.md §3 against the destination
// server: define the domain there when it is missing, PrepareIncomingVTPM there,
// Export here, ImportVTPM there, Commit here. A failure between Export and the
// destination's import aborts here, so the source stays usable (the manager also
// aborts by itself when no commit comes in time); once the destination imported,
// the source stays locked even if its commit fails, so two copies never run.
func (p *Provider) migrateVTPM(c *call) error {
	v, d, err := p.migratable(c)
	if err != nil {
		return err
	}
	dest, err := c.str("Destination", true)
	if err != nil {
		return err
	}
	if u, err := url.Parse(dest); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidf("parameter Destination must be the http or https URL of the destination server, not %q", dest)
	}
	user, err := c.str("UserName", false)
	if err != nil {
		return err
	}
	password, err := c.str("Password", false)
	if err != nil {
		return err
	}
	if p.dial == nil {
		return &codeError{kind: errNotSupported, msg: "this server is not set up to reach another server (no Dial)"}
	}
	r, err := p.dial(dest, user, password)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", dest, err)
	}
	if cl, ok := r.(io.Closer); ok {
		defer cl.Close()
	}
	m := &migration{ctx: c.ctx, r: r, dest: dest}
	sys := ComputerSystemPath(d.UUID)
	if err := m.ensureDomain(sys, &d); err != nil {
		return err
	}
	svc, err := m.instanceOf(ClassService)
	if err != nil {
		return err
	}
	out, err := m.invoke(svc, "PrepareIncomingVTPM", refParam("System", sys))
	if err != nil {
		return err
	}
	id, err := m.base64Out(out, "PrepareIncomingVTPM", "MigrationID")
	if err != nil {
		return err
	}
	key, err := m.base64Out(out, "PrepareIncomingVTPM", "DestinationKey")
	if err != nil {
		return err
	}
	blob, err := p.mgr.Export(c.ctx, v.UUID, id, key)
	if err != nil {
		return err
	}
	_, err = m.invoke(svc, "ImportVTPM",
		refParam("System", sys),
		stringParam("MigrationID", base64.StdEncoding.EncodeToString(id)),
		stringParam("Blob", base64.StdEncoding.EncodeToString(blob)))
	if err == nil {
		// The destination holds the vTPM now: never unlock the source again. A
		// failed commit leaves it locked (Migrating) for an operator to commit.
		if err := p.mgr.Commit(context.WithoutCancel(c.ctx), v.UUID, id, dest); err != nil {
			return fmt.Errorf("the destination imported the vTPM but committing here failed: %w", err)
		}
		return nil
	}
	{
		// The source must stay usable: unlock it. The abort runs even when the
		// request's context is done, so that a cancelled call does not leave it
		// locked until the manager's own timeout.
		if aerr := p.mgr.Abort(context.WithoutCancel(c.ctx), v.UUID, id); aerr != nil {
			return fmt.Errorf("%w (and aborting the export failed: %v)", err, aerr)
		}
		return err
	}
}

// migration is the destination side of one MigrateVTPM.
type migration struct {
	ctx  context.Context
	r    Remote
	dest string
}

// fail returns err of a call to the destination as a failure (code 2) naming the
// destination and what was being done.
func (m *migration) fail(what string, err error) error {
	msg := err.Error()
	if ce, ok := errors.AsType[*cim.Error](err); ok && ce.Description != "" {
		msg = ce.Description
	}
	return fmt.Errorf("destination %s: %s: %s", m.dest, what, msg)
}

// ensureDomain defines the domain on the destination, halted, with the same UUID,
// name and settings, unless it is there already.
func (m *migration) ensureDomain(sys *cim.ObjectPath, d *toolstack.Domain) error {
	_, err := m.r.GetInstance(m.ctx, sys)
	if err == nil {
		return nil
	}
	if cim.StatusOf(err) != cim.StatusNotFound {
		return m.fail("looking up domain "+d.UUID, err)
	}
	vsms, err := m.instanceOf(classVSMS)
	if err != nil {
		return err
	}
	vssd, rasds := settingsOf(d)
	if _, err := m.invoke(vsms, "DefineSystem", embeddedParam("SystemSettings", vssd), embeddedArrayParam("ResourceSettings", rasds)); err != nil {
		var re *remoteError
		if errors.As(err, &re) {
			// DefineSystem's codes are DSP1042's, not the vTPM service's.
			return fmt.Errorf("%s", re.msg)
		}
		return err
	}
	return nil
}

// instanceOf returns the path of the one instance of class on the destination,
// in root/cimv2.
func (m *migration) instanceOf(class string) (*cim.ObjectPath, error) {
	paths, err := m.r.EnumerateInstanceNames(m.ctx, Namespace, class)
	if err != nil {
		return nil, m.fail("finding its "+class, err)
	}
	if len(paths) == 0 || paths[0] == nil {
		return nil, fmt.Errorf("destination %s serves no %s", m.dest, class)
	}
	svc := *paths[0]
	if svc.Namespace == "" {
		svc.Namespace = Namespace
	}
	return &svc, nil
}

// invoke calls method on the destination's target; a non-zero return is a
// *remoteError carrying the code and the destination's Message.
func (m *migration) invoke(target *cim.ObjectPath, method string, in ...cim.ParamValue) ([]cim.ParamValue, error) {
	ret, out, err := m.r.InvokeMethod(m.ctx, target, method, in)
	if err != nil {
		return nil, m.fail(method, err)
	}
	code, ok := toUint(ret)
	if !ok {
		return nil, fmt.Errorf("destination %s: %s returned %v, not a code", m.dest, method, ret)
	}
	if code != 0 {
		msg := ""
		if pv := providers.Param(out, "Message"); pv != nil {
			msg, _ = pv.Value.(string)
		}
		return nil, &remoteError{code: uint32(code), msg: fmt.Sprintf("destination %s: %s returned %d: %s", m.dest, method, code, msg)}
	}
	return out, nil
}

// base64Out returns the bytes of the base64 OUT parameter name of method.
func (m *migration) base64Out(out []cim.ParamValue, method, name string) ([]byte, error) {
	pv := providers.Param(out, name)
	s := ""
	if pv != nil {
		s, _ = pv.Value.(string)
	}
	b, err := decodeBase64(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("destination %s: %s returned no valid %s", m.dest, method, name)
	}
	return b, nil
}

// settingsOf returns the embedded instances DefineSystem takes for d
// (cim-model.md §1): its VSSD, and a RASD per disk and per network interface.
func settingsOf(d *toolstack.Domain) (*cim.Instance, []*cim.Instance) {
	vssd := &cim.Instance{ClassName: classVSSD, Properties: []cim.Property{
		prop("InstanceID", "Xen:"+d.UUID),
		prop("VirtualSystemIdentifier", d.UUID),
		prop("ElementName", d.Name),
		prop("Kernel", d.Kernel),
		prop("Ramdisk", d.Ramdisk),
		prop("Memory", d.MemoryMiB),
		prop("VCPUs", d.VCPUs),
		prop("SecurityLabel", d.Label),
	}}
	var rasds []*cim.Instance
	for _, dk := range d.Disks {
		rasds = append(rasds, &cim.Instance{ClassName: classDisk, Properties: []cim.Property{
			prop("ResourceType", resourceLogicalDisk),
			prop("Address", dk.Uname),
			prop("VirtualDevice", dk.VirtualDevice),
			prop("Mode", dk.Mode),
		}})
	}
	for _, vf := range d.VIFs {
		rasds = append(rasds, &cim.Instance{ClassName: classNetworkPort, Properties: []cim.Property{
			prop("ResourceType", resourceEthernet),
			prop("Address", vf.MAC),
			prop("Bridge", vf.Bridge),
			prop("SecurityLabel", vf.Label),
		}})
	}
	return vssd, rasds
}

func refParam(name string, ref *cim.ObjectPath) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeReference, Value: ref}
}

func stringParam(name, v string) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeString, Value: v}
}

func embeddedParam(name string, inst *cim.Instance) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeString, Value: inst, EmbeddedObject: "instance"}
}

func embeddedArrayParam(name string, insts []*cim.Instance) cim.ParamValue {
	a := make([]any, len(insts))
	for i, inst := range insts {
		a[i] = inst
	}
	return cim.ParamValue{Name: name, Type: cim.TypeString, IsArray: true, Value: a, EmbeddedObject: "instance"}
}
