package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cmd/shypectl/xmconfig"
)

func domainCommands() []*command {
	const g = "Domain commands"
	state := func(name, help string, req uint16) *command {
		return &command{name: name, args: "<Domain>", help: help, group: g,
			run: func(a *app, args []string) error { return a.cmdState(name, args, req) }}
	}
	return []*command{
		{name: "create", args: "<ConfigFile>", group: g,
			help: "Define (or update the halted domain of that name) and start a domain from an xm config file.",
			run:  (*app).cmdCreate},
		state("destroy", "Terminate a domain immediately.", reqDestroy),
		state("shutdown", "Shutdown a domain.", reqShutdown),
		state("reboot", "Reboot a domain.", reqReboot),
		state("pause", "Pause execution of a domain.", reqPause),
		state("unpause", "Unpause a paused domain.", reqStart),
		state("suspend", "Suspend a domain.", reqSuspend),
		state("resume", "Resume a suspended domain.", reqStart),
		{name: "delete", args: "<Domain>", group: g,
			help: "Remove a halted domain's definition.",
			run:  (*app).cmdDelete},
		{name: "list", args: "[options] [Domain, ...]", group: g,
			help: "List information about all/some domains (--all: halted ones too; --label: with their security labels).",
			run:  (*app).cmdList},
		{name: "block-attach", args: "<Domain> <BackDev> <FrontDev> <Mode>", group: g,
			help: "Create a new virtual block device.",
			run:  (*app).cmdBlockAttach},
		{name: "block-detach", args: "<Domain> <DevId>", group: g,
			help: "Destroy a domain's virtual block device.",
			run:  (*app).cmdBlockDetach},
	}
}

// cmdState requests a power state change: no output on success.
func (a *app) cmdState(name string, args []string, req uint16) error {
	if len(args) != 1 {
		return &usageError{cmd: name, msg: fmt.Sprintf("'shypectl %s' requires 1 argument.", name)}
	}
	d, err := a.findDomain(args[0])
	if err != nil {
		return err
	}
	_, err = a.invokeDMTF(d.Path, "RequestStateChange", uint16Param("RequestedState", req))
	return err
}

func (a *app) cmdDelete(args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: "delete", msg: "'shypectl delete' requires 1 argument."}
	}
	d, err := a.findDomain(args[0])
	if err != nil {
		return err
	}
	_, err = a.vsmsCall("DestroySystem", refParam("AffectedSystem", d.Path))
	return err
}

// cmdList is xm list: xm_brief_list, or xm_label_list with --label.
func (a *app) cmdList(args []string) error {
	var all, label bool
	var names []string
	for _, arg := range args {
		switch arg {
		case "--all", "-a":
			all = true
		case "--label":
			label = true
		default:
			if strings.HasPrefix(arg, "-") {
				return &usageError{cmd: "list", msg: fmt.Sprintf("option %s not recognized", arg)}
			}
			names = append(names, arg)
		}
	}
	doms, err := a.domains()
	if err != nil {
		return err
	}
	var shown []*domain
	if len(names) > 0 {
		for _, n := range names {
			d := matchDomain(doms, n)
			if d == nil {
				return errorf("Domain '%s' does not exist.", n)
			}
			shown = append(shown, d)
		}
	} else {
		for _, d := range doms {
			if all || d.State != stateHalted {
				shown = append(shown, d)
			}
		}
	}
	if label {
		writeLabelList(a.stdout, shown)
	} else {
		writeBriefList(a.stdout, shown)
	}
	return nil
}

// stateString is xm's six-flag state column (running, blocked, paused,
// shutdown, crashed, dying): a simulated domain is never blocked, and a halted
// or suspended one has no flag set, as xend reported them.
func stateString(d *domain) string {
	switch d.State {
	case stateRunning:
		return "r-----"
	case statePaused:
		return "--p---"
	}
	return "------"
}

func domidString(d *domain) string {
	if d.live() {
		return fmt.Sprint(d.ID)
	}
	return ""
}

// writeBriefList prints domains as xm_brief_list of Xen 3.4 did; the
// simulation has no CPU time, hence 0.0.
func writeBriefList(w io.Writer, doms []*domain) {
	fmt.Fprintf(w, "%-40s %5s %5s %5s %10s %9s\n", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)")
	for _, d := range doms {
		fmt.Fprintf(w, "%-40s %5s %5d %5d %10s %8.1f\n", d.Name, domidString(d), d.MemMiB, d.VCPUs, stateString(d), 0.0)
	}
}

// writeLabelList prints domains as xm_label_list of Xen 3.4 did: with the
// label column, sorted by label case-insensitively (a stable sort, as Python's).
func writeLabelList(w io.Writer, doms []*domain) {
	fmt.Fprintf(w, "%-40s %5s %5s %5s %10s %9s %-10s\n", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "Label")
	sorted := append([]*domain(nil), doms...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return strings.ToLower(seclabel(sorted[i])) < strings.ToLower(seclabel(sorted[j]))
	})
	for _, d := range sorted {
		fmt.Fprintf(w, "%-40s %5s %5d %5d %10s %8.1f %10s\n", d.Name, domidString(d), d.MemMiB, d.VCPUs, stateString(d), 0.0, seclabel(d))
	}
}

// seclabel is xm's parse_security_label: the label when it has three parts,
// else nothing.
func seclabel(d *domain) string {
	if strings.Count(d.Label, ":") != 2 {
		return ""
	}
	return d.Label
}

// findConfigFile resolves a config file as xm did: an absolute path as it is,
// a relative one in the working directory, then in /etc/xen.
func (a *app) findConfigFile(name string) (string, error) {
	if name == "" {
		return "", errorf("Configuration file '' not found.")
	}
	if filepath.IsAbs(name) {
		if isFile(name) {
			return name, nil
		}
		return "", errorf("Configuration file '%s' not found.", name)
	}
	for _, dir := range []string{a.wd, "/etc/xen"} {
		p := filepath.Join(dir, name)
		if isFile(p) {
			return p, nil
		}
	}
	return "", errorf("Configuration file '%s' not found.", name)
}

// readConfigFile finds a config file as findConfigFile does and reads it.
func (a *app) readConfigFile(name string) (path string, data []byte, err error) {
	if path, err = a.findConfigFile(name); err != nil {
		return "", nil, err
	}
	if data, err = os.ReadFile(path); err != nil {
		return "", nil, errorf("Configuration file '%s' not found.", name)
	}
	return path, data, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// loadConfig reads and parses an xm config file; a file xm rejects is an
// error with xmconfig's position and message.
func (a *app) loadConfig(name string) (*xmconfig.Config, error) {
	p, err := a.findConfigFile(name)
	if err != nil {
		return nil, err
	}
	cfg, err := xmconfig.ParseFile(p)
	if err != nil {
		return nil, configError(err)
	}
	// xm made the kernel and ramdisk paths absolute against its working directory.
	for _, s := range []*string{&cfg.Kernel, &cfg.Ramdisk} {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(a.wd, *s)
		}
	}
	return cfg, nil
}

// parseConfigBytes parses config source as xm create would.
func parseConfigBytes(name string, data []byte) (*xmconfig.Config, error) {
	return xmconfig.Parse(name, data)
}

// configError turns a rejected config file into the message xm printed: for
// an access_control entry the acm message, else "file:line:col: message".
func configError(err error) error {
	var xe *xmconfig.Error
	if errors.As(err, &xe) {
		var ae *acm.Error
		if errors.As(xe.Err, &ae) {
			return &cliError{msg: ae.Msg}
		}
		return &cliError{msg: xe.Error()}
	}
	return &cliError{msg: err.Error()}
}

// configInstances maps a config onto the embedded instances DefineSystem and
// DryRun take (cim-model.md §1): the VSSD and one RASD per disk and VIF. A
// non-empty uuid names an existing domain (ModifySystemSettings).
func configInstances(cfg *xmconfig.Config, uuid string) (*cim.Instance, []*cim.Instance) {
	vssd := &cim.Instance{ClassName: classVSSD}
	if uuid != "" {
		vssd.Properties = append(vssd.Properties,
			stringProp("InstanceID", "Xen:"+uuid),
			stringProp("VirtualSystemIdentifier", uuid))
	}
	label := ""
	if cfg.AccessControl != nil {
		label = cfg.AccessControl.SecLabel().String()
	}
	vssd.Properties = append(vssd.Properties,
		stringProp("ElementName", cfg.Name),
		stringProp("VirtualSystemType", "Xen"),
		stringProp("Kernel", cfg.Kernel),
		stringProp("Ramdisk", cfg.Ramdisk),
		cim.Property{Name: "Memory", Type: cim.TypeUint64, Value: cfg.MemoryMiB},
		cim.Property{Name: "VCPUs", Type: cim.TypeUint32, Value: cfg.VCPUs},
		stringProp("SecurityLabel", label),
	)
	var rasds []*cim.Instance
	for _, d := range cfg.Disks {
		rasds = append(rasds, diskInstance(d.Uname, d.Dev, d.Mode))
	}
	for _, v := range cfg.VIFs {
		rasds = append(rasds, vifInstance(v.MAC, v.Bridge, v.Label))
	}
	return vssd, rasds
}

func diskInstance(uname, vdev, mode string) *cim.Instance {
	if mode == "w!" {
		mode = "w" // the contract knows r and w; w! only forced sharing in xm
	}
	return &cim.Instance{ClassName: classDisk, Properties: []cim.Property{
		{Name: "ResourceType", Type: cim.TypeUint16, Value: uint16(31)},
		stringProp("Address", uname),
		stringProp("VirtualDevice", vdev),
		stringProp("Mode", mode),
	}}
}

func vifInstance(mac, bridge, label string) *cim.Instance {
	return &cim.Instance{ClassName: classNet, Properties: []cim.Property{
		{Name: "ResourceType", Type: cim.TypeUint16, Value: uint16(10)},
		stringProp("Address", mac),
		stringProp("Bridge", bridge),
		stringProp("SecurityLabel", label),
	}}
}

// activePolicy returns the name of the enforced policy.
func (a *app) activePolicy() (string, error) {
	pi, err := a.policyInfo()
	if err != nil {
		return "", err
	}
	return pi.name, nil
}

// cmdCreate is xm create: define (or update the halted domain of that name)
// and start; a refused start leaves the definition as it was before.
func (a *app) cmdCreate(args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: "create", msg: "'shypectl create' requires 1 argument."}
	}
	cfg, err := a.loadConfig(args[0])
	if err != nil {
		return err
	}
	if cfg.AccessControl != nil {
		active, err := a.activePolicy()
		if err != nil {
			return err
		}
		if err := cfg.AccessControl.CheckPolicy(active); err != nil {
			var ae *acm.Error
			if errors.As(err, &ae) {
				return &cliError{msg: ae.Msg}
			}
			return err
		}
	}
	doms, err := a.domains()
	if err != nil {
		return err
	}
	var existing *domain
	for _, d := range doms {
		if d.Name == cfg.Name {
			existing = d
		}
	}
	if existing == nil {
		return a.createNew(cfg)
	}
	if existing.State != stateHalted {
		if existing.live() {
			return errorf("VM name '%s' already in use by domain %d", cfg.Name, existing.ID)
		}
		return errorf("Domain '%s' is not halted.", cfg.Name)
	}
	return a.createUpdate(cfg, existing)
}

func (a *app) createNew(cfg *xmconfig.Config) error {
	vssd, rasds := configInstances(cfg, "")
	out, err := a.vsmsCall("DefineSystem", instParam("SystemSettings", vssd), instsParam("ResourceSettings", rasds))
	if err != nil {
		return err
	}
	sys := out.path("ResultingSystem")
	if sys == nil {
		d, err := a.findDomain(cfg.Name)
		if err != nil {
			return err
		}
		sys = d.Path
	}
	if sys.Namespace == "" {
		sys.Namespace = ns
	}
	if _, err := a.invokeDMTF(sys, "RequestStateChange", uint16Param("RequestedState", reqStart)); err != nil {
		// The domain this command defined is gone again.
		a.vsmsCall("DestroySystem", refParam("AffectedSystem", sys))
		return err
	}
	fmt.Fprintf(a.stdout, "Started domain %s\n", cfg.Name)
	return nil
}

// rasds returns the device settings of the domain with uuid.
func (a *app) rasds(uuid string) ([]cim.Object, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	prefix := "Xen:" + uuid + "/"
	var out []cim.Object
	for _, class := range []string{classDisk, classNet} {
		objs, err := c.EnumerateInstances(a.ctx, ns, class)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if o.Instance == nil || !strings.HasPrefix(propString(o.Instance, "InstanceID"), prefix) {
				continue
			}
			if o.Path == nil {
				o.Path = rasdPath(class, propString(o.Instance, "InstanceID"))
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// deviceKey identifies a device setting for the comparison of an old and a
// new definition; a VIF whose new MAC is empty matches any MAC.
func deviceKey(in *cim.Instance, withMAC bool) string {
	if strings.EqualFold(in.ClassName, classDisk) {
		return "disk|" + propString(in, "Address") + "|" + propString(in, "VirtualDevice") + "|" + propString(in, "Mode")
	}
	mac := ""
	if withMAC {
		mac = strings.ToLower(propString(in, "Address"))
	}
	return "vif|" + mac + "|" + propString(in, "Bridge") + "|" + propString(in, "SecurityLabel")
}

func sameDevices(old []cim.Object, next []*cim.Instance) bool {
	if len(old) != len(next) {
		return false
	}
	// A config VIF without mac= gets one made up by the server, so MACs are
	// compared only when the config gives every one.
	withMAC := true
	for _, in := range next {
		if strings.EqualFold(in.ClassName, classNet) && propString(in, "Address") == "" {
			withMAC = false
		}
	}
	var a, b []string
	for i, o := range old {
		a = append(a, deviceKey(o.Instance, withMAC))
		b = append(b, deviceKey(next[i], withMAC))
	}
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// copyDevice rebuilds a device setting as DefineSystem-style input.
func copyDevice(in *cim.Instance) *cim.Instance {
	if strings.EqualFold(in.ClassName, classDisk) {
		return diskInstance(propString(in, "Address"), propString(in, "VirtualDevice"), propString(in, "Mode"))
	}
	return vifInstance(propString(in, "Address"), propString(in, "Bridge"), propString(in, "SecurityLabel"))
}

// replaceDevices removes the devices old and adds next to the domain's settings.
func (a *app) replaceDevices(d *domain, old []cim.Object, next []*cim.Instance) error {
	if len(old) > 0 {
		paths := make([]*cim.ObjectPath, len(old))
		for i, o := range old {
			paths[i] = o.Path
		}
		if _, err := a.vsmsCall("RemoveResourceSettings", refsParam("ResourceSettings", paths)); err != nil {
			return err
		}
	}
	if len(next) > 0 {
		if _, err := a.vsmsCall("AddResourceSettings", refParam("AffectedConfiguration", d.VSSDPath), instsParam("ResourceSettings", next)); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) createUpdate(cfg *xmconfig.Config, d *domain) error {
	vssd, rasds := configInstances(cfg, d.UUID)
	oldDevs, err := a.rasds(d.UUID)
	if err != nil {
		return err
	}
	oldVSSD := restoreSettings(d)
	if _, err := a.vsmsCall("ModifySystemSettings", instParam("SystemSettings", vssd)); err != nil {
		return err
	}
	devsChanged := !sameDevices(oldDevs, rasds)
	undo := func() {
		a.vsmsCall("ModifySystemSettings", instParam("SystemSettings", oldVSSD))
		if devsChanged {
			cur, err := a.rasds(d.UUID)
			if err != nil {
				return
			}
			var back []*cim.Instance
			for _, o := range oldDevs {
				back = append(back, copyDevice(o.Instance))
			}
			a.replaceDevices(d, cur, back)
		}
	}
	if devsChanged {
		if err := a.replaceDevices(d, oldDevs, rasds); err != nil {
			undo()
			return err
		}
	}
	if _, err := a.invokeDMTF(d.Path, "RequestStateChange", uint16Param("RequestedState", reqStart)); err != nil {
		undo()
		return err
	}
	fmt.Fprintf(a.stdout, "Started domain %s\n", cfg.Name)
	return nil
}

// restoreSettings is the VSSD that puts a domain's settings back as d has them.
func restoreSettings(d *domain) *cim.Instance {
	in := &cim.Instance{ClassName: classVSSD, Properties: []cim.Property{
		stringProp("InstanceID", "Xen:"+d.UUID),
		stringProp("VirtualSystemIdentifier", d.UUID),
		stringProp("ElementName", propString(d.VSSD, "ElementName")),
		stringProp("Kernel", propString(d.VSSD, "Kernel")),
		stringProp("Ramdisk", propString(d.VSSD, "Ramdisk")),
		cim.Property{Name: "Memory", Type: cim.TypeUint64, Value: d.MemMiB},
		cim.Property{Name: "VCPUs", Type: cim.TypeUint32, Value: uint32(d.VCPUs)},
		stringProp("SecurityLabel", propString(d.VSSD, "SecurityLabel")),
	}}
	if in.Properties[2].Value == "" {
		in.Properties[2].Value = d.Name
	}
	return in
}

// absResource makes the path of a relative file: or tap: resource absolute
// against wd: the server cannot know the client's working directory (acm.md §0).
func absResource(res, wd string) string {
	switch {
	case strings.HasPrefix(res, "file:"):
		p := res[len("file:"):]
		if p != "" && !filepath.IsAbs(p) {
			return "file:" + filepath.Join(wd, p)
		}
	case strings.HasPrefix(res, "tap:"):
		sub, p, ok := strings.Cut(res[len("tap:"):], ":")
		if ok && p != "" && !filepath.IsAbs(p) {
			return "tap:" + sub + ":" + filepath.Join(wd, p)
		}
	}
	return res
}

func (a *app) cmdBlockAttach(args []string) error {
	if len(args) != 4 {
		return &usageError{cmd: "block-attach", msg: "'shypectl block-attach' requires 4 arguments."}
	}
	d, err := a.findDomain(args[0])
	if err != nil {
		return err
	}
	mode := args[3]
	if mode != "r" && mode != "w" && mode != "w!" {
		return &usageError{cmd: "block-attach", msg: "Invalid block device mode: " + mode}
	}
	disk := diskInstance(absResource(args[1], a.wd), strings.TrimPrefix(args[2], "/dev/"), mode)
	_, err = a.vsmsCall("AddResourceSettings", refParam("AffectedConfiguration", d.VSSDPath), instsParam("ResourceSettings", []*cim.Instance{disk}))
	return err
}

func (a *app) cmdBlockDetach(args []string) error {
	if len(args) != 2 {
		return &usageError{cmd: "block-detach", msg: "'shypectl block-detach' requires 2 arguments."}
	}
	d, err := a.findDomain(args[0])
	if err != nil {
		return err
	}
	vdev := strings.TrimPrefix(args[1], "/dev/")
	p := rasdPath(classDisk, "Xen:"+d.UUID+"/"+vdev)
	_, err = a.vsmsCall("RemoveResourceSettings", refsParam("ResourceSettings", []*cim.ObjectPath{p}))
	return err
}
