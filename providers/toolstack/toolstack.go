package toolstack

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

// impl is the toolstack's state: the management lock. Everything else lives in the
// hypervisor, the policy administration and the resource store, so that a restart
// of the management layer loses nothing.
type impl struct {
	// mu serialises every mutating operation, policy operations included, as xend's
	// domains lock did: a policy check reads the running state and must stay true
	// until the hypervisor applied the change.
	mu sync.Mutex
}

// userError carries the message a user sees for a failure the toolstack itself
// diagnosed, while Unwrap keeps the hypervisor's sentinel reachable for errors.Is.
type userError struct {
	msg string
	err error
}

func (e *userError) Error() string { return "toolstack: " + e.msg }
func (e *userError) Unwrap() error { return e.err }

func userErr(sentinel error, format string, args ...any) error {
	return &userError{msg: fmt.Sprintf(format, args...), err: sentinel}
}

// wrapUser gives err a user message unless it already carries one (an ACM refusal or
// a userError), keeping err in the chain.
func wrapUser(err error, format string, args ...any) error {
	var ae *acm.Error
	var ue *userError
	if errors.As(err, &ae) || errors.As(err, &ue) {
		return err
	}
	return &userError{msg: fmt.Sprintf(format, args...), err: err}
}

func message(err error) string {
	if err == nil {
		return ""
	}
	var ae *acm.Error
	if errors.As(err, &ae) {
		return ae.Msg
	}
	var ue *userError
	if errors.As(err, &ue) {
		return ue.msg
	}
	var code acm.XSErr
	if errors.As(err, &code) {
		return code.Message()
	}
	return err.Error()
}

func newToolstack(o Options) (*Toolstack, error) {
	if o.HV == nil || o.Admin == nil || o.Hooks == nil || o.Resources == nil {
		return nil, errors.New("toolstack: Options need HV, Admin, Hooks and Resources")
	}
	t := &Toolstack{o: o}
	ctx := context.Background()
	d0, err := o.HV.Domain(ctx, hypervisor.Domain0Name)
	if err != nil {
		return nil, fmt.Errorf("toolstack: reading Domain-0: %w", err)
	}
	if d0.Label == "" {
		pol := o.Hooks.Engine().Policy()
		label := acm.NewLabel(pol.Name(), pol.Policy().Bootstrap).String()
		if err := o.HV.SetLabels(ctx, map[string]string{hypervisor.Domain0Name: label}); err != nil {
			return nil, fmt.Errorf("toolstack: storing Domain-0's label: %w", err)
		}
	}
	return t, nil
}

func (t *Toolstack) engine() *acm.Engine { return t.o.Hooks.Engine() }

func (t *Toolstack) active() string { return t.engine().Policy().Name() }

// --- mapping between the toolstack's and the hypervisor's configurations ------

func toDomain(hd hypervisor.Domain, active string) Domain {
	d := Domain{State: hd.State, ID: hd.ID, SSIDRef: hd.SSIDRef}
	d.Config = Config{Name: hd.Name, UUID: hd.UUID, Kernel: hd.Kernel, Ramdisk: hd.Ramdisk,
		MemoryMiB: hd.MemoryMiB, VCPUs: hd.VCPUs, Label: hd.Label}
	for _, dev := range hd.Devices {
		switch dev.Kind {
		case hypervisor.Block:
			d.Disks = append(d.Disks, Disk{Uname: dev.Uname, Resource: dev.Resource, VirtualDevice: dev.Name, Mode: dev.Mode})
		case hypervisor.Network:
			idx, _ := strconv.Atoi(dev.Name)
			d.VIFs = append(d.VIFs, VIF{Index: idx, MAC: dev.MAC, Bridge: dev.Resource, Label: dev.Label})
		}
	}
	d.EffectiveLabel = acm.DomainLabel(hd.Label, active)
	return d
}

func diskDevice(d Disk) hypervisor.Device {
	return hypervisor.Device{Kind: hypervisor.Block, Name: d.VirtualDevice, Resource: d.Resource, Uname: d.Uname, Mode: d.Mode}
}

func vifDevice(v VIF) hypervisor.Device {
	return hypervisor.Device{Kind: hypervisor.Network, Name: strconv.Itoa(v.Index), Resource: v.Bridge, MAC: v.MAC, Label: v.Label}
}

func toHV(c Config) hypervisor.Config {
	hc := hypervisor.Config{Name: c.Name, UUID: c.UUID, Kernel: c.Kernel, Ramdisk: c.Ramdisk,
		MemoryMiB: c.MemoryMiB, VCPUs: c.VCPUs, Label: c.Label}
	for _, d := range c.Disks {
		hc.Devices = append(hc.Devices, diskDevice(d))
	}
	for _, v := range c.VIFs {
		hc.Devices = append(hc.Devices, vifDevice(v))
	}
	return hc
}

// --- domains -------------------------------------------------------------------

func (t *Toolstack) domains(ctx context.Context) ([]Domain, error) {
	hds, err := t.o.HV.Domains(ctx)
	if err != nil {
		return nil, err
	}
	active := t.active()
	out := make([]Domain, len(hds))
	for i, hd := range hds {
		out[i] = toDomain(hd, active)
	}
	return out, nil
}

func (t *Toolstack) domain(ctx context.Context, ref string) (Domain, error) {
	hd, err := t.resolve(ctx, ref)
	if err != nil {
		return Domain{}, err
	}
	return toDomain(hd, t.active()), nil
}

// resolve finds the domain named by ref: its name, then its UUID (case-insensitive),
// then a decimal domain id of a live domain.
func (t *Toolstack) resolve(ctx context.Context, ref string) (hypervisor.Domain, error) {
	hd, err := t.o.HV.Domain(ctx, ref)
	if err == nil {
		return hd, nil
	}
	if !errors.Is(err, hypervisor.ErrNoDomain) {
		return hypervisor.Domain{}, err
	}
	if id, perr := strconv.ParseUint(ref, 10, 32); perr == nil {
		if hd, err := t.o.HV.DomainByID(ctx, hypervisor.DomainID(id)); err == nil {
			return hd, nil
		}
	} else if ref != "" {
		hds, err := t.o.HV.Domains(ctx)
		if err != nil {
			return hypervisor.Domain{}, err
		}
		for _, hd := range hds {
			if strings.EqualFold(hd.UUID, ref) {
				return hd, nil
			}
		}
	}
	return hypervisor.Domain{}, userErr(hypervisor.ErrNoDomain, "Domain '%s' does not exist.", ref)
}

// guest resolves ref for an operation Domain-0 does not allow.
func (t *Toolstack) guest(ctx context.Context, ref string) (hypervisor.Domain, error) {
	hd, err := t.resolve(ctx, ref)
	if err != nil {
		return hd, err
	}
	if hd.Name == hypervisor.Domain0Name {
		return hd, userErr(hypervisor.ErrDomain0, "Operation not permitted on Domain-0.")
	}
	return hd, nil
}

func (t *Toolstack) define(ctx context.Context, cfg Config) (Domain, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := validName(cfg.Name); err != nil {
		return Domain{}, err
	}
	if cfg.Label != "" {
		l, err := acm.ParseLabel(cfg.Label)
		if err != nil {
			return Domain{}, err
		}
		ac := acm.AccessControl{Policy: l.Policy, Label: l.Label}
		if err := ac.CheckPolicy(t.active()); err != nil {
			return Domain{}, err
		}
	}
	var err error
	if cfg.Disks, err = t.normDisks(cfg.Disks); err != nil {
		return Domain{}, err
	}
	if cfg.VIFs, err = prepareVIFs(cfg.VIFs); err != nil {
		return Domain{}, err
	}
	if cfg.UUID == "" {
		if cfg.UUID, err = newUUID(); err != nil {
			return Domain{}, err
		}
	}
	hd, err := t.o.HV.Create(ctx, toHV(cfg))
	if err != nil {
		if errors.Is(err, hypervisor.ErrExists) {
			return Domain{}, wrapUser(err, "Domain '%s' already exists.", cfg.Name)
		}
		return Domain{}, wrapUser(err, "Cannot define domain '%s': %v", cfg.Name, err)
	}
	return toDomain(hd, t.active()), nil
}

func validName(name string) error {
	switch {
	case name == "":
		return userErr(hypervisor.ErrInvalid, "A domain needs a name.")
	case name == hypervisor.Domain0Name:
		return userErr(hypervisor.ErrExists, "Domain '%s' already exists.", name)
	}
	return nil
}

// normDisks normalises every disk's resource and checks the virtual devices.
func (t *Toolstack) normDisks(disks []Disk) ([]Disk, error) {
	out := make([]Disk, 0, len(disks))
	for _, d := range disks {
		nd, err := t.normDisk(d)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o Disk) bool { return o.VirtualDevice == nd.VirtualDevice }) {
			return nil, userErr(hypervisor.ErrInvalid, "Virtual device '%s' is used twice.", nd.VirtualDevice)
		}
		out = append(out, nd)
	}
	return out, nil
}

func (t *Toolstack) normDisk(d Disk) (Disk, error) {
	if d.VirtualDevice == "" {
		return d, userErr(hypervisor.ErrInvalid, "Block device '%s' needs a virtual device.", d.Uname)
	}
	switch d.Mode {
	case "":
		d.Mode = "w"
	case "r", "w":
	default:
		return d, userErr(hypervisor.ErrInvalid, "Invalid mode '%s' of block device '%s'.", d.Mode, d.Uname)
	}
	res, err := acm.NormalizeResource(d.Uname, t.o.WorkDir)
	if err != nil {
		return d, fmt.Errorf("toolstack: block device %q: %w: %w", d.Uname, hypervisor.ErrInvalid, err)
	}
	d.Resource = res
	return d, nil
}

// prepareVIFs assigns missing indexes and MACs and refuses duplicate indexes.
func prepareVIFs(vifs []VIF) ([]VIF, error) {
	out := make([]VIF, 0, len(vifs))
	used := map[int]bool{}
	for _, v := range vifs {
		if v.Index >= 0 {
			if used[v.Index] {
				return nil, userErr(hypervisor.ErrInvalid, "Network interface %d is defined twice.", v.Index)
			}
			used[v.Index] = true
		}
	}
	for _, v := range vifs {
		if v.Index < 0 {
			v.Index = nextFree(used)
			used[v.Index] = true
		}
		if err := fillMAC(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func nextFree(used map[int]bool) int {
	for i := 0; ; i++ {
		if !used[i] {
			return i
		}
	}
}

func fillMAC(v *VIF) error {
	if v.MAC != "" {
		return nil
	}
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("toolstack: making up a MAC: %w", err)
	}
	// 00:16:3e is Xen's OUI, which xend used for the MACs it made up.
	v.MAC = fmt.Sprintf("00:16:3e:%02x:%02x:%02x", b[0]&0x7f, b[1], b[2])
	return nil
}

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("toolstack: making up a UUID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

func (t *Toolstack) modify(ctx context.Context, ref string, s Settings) (Domain, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return Domain{}, err
	}
	if hd.State != hypervisor.Halted {
		return Domain{}, notHalted(hd.Name)
	}
	cfg := hd.Config
	if s.Name != nil {
		if err := validName(*s.Name); err != nil {
			return Domain{}, err
		}
		cfg.Name = *s.Name
	}
	if s.Kernel != nil {
		cfg.Kernel = *s.Kernel
	}
	if s.Ramdisk != nil {
		cfg.Ramdisk = *s.Ramdisk
	}
	if s.MemoryMiB != nil {
		cfg.MemoryMiB = *s.MemoryMiB
	}
	if s.VCPUs != nil {
		cfg.VCPUs = *s.VCPUs
	}
	if s.Label != nil {
		cfg.Label = *s.Label
	}
	if err := t.o.HV.Modify(ctx, cfg); err != nil {
		if errors.Is(err, hypervisor.ErrExists) {
			return Domain{}, wrapUser(err, "Domain '%s' already exists.", cfg.Name)
		}
		return Domain{}, t.hvErr(err, hd.Name)
	}
	return t.domain(ctx, cfg.UUID)
}

func notHalted(name string) error {
	return userErr(hypervisor.ErrBadState, "Domain '%s' is not halted.", name)
}

func notRunning(name string) error {
	return userErr(hypervisor.ErrBadState, "Domain '%s' is not running.", name)
}

// hvErr gives a hypervisor error of domain name a user message.
func (t *Toolstack) hvErr(err error, name string) error {
	switch {
	case errors.Is(err, hypervisor.ErrNoDomain):
		return wrapUser(err, "Domain '%s' does not exist.", name)
	case errors.Is(err, hypervisor.ErrDomain0):
		return wrapUser(err, "Operation not permitted on Domain-0.")
	case errors.Is(err, hypervisor.ErrBadState):
		return wrapUser(err, "Domain '%s' is in the wrong state for this operation.", name)
	case errors.Is(err, hypervisor.ErrDenied):
		// A refusal without the ACM's own error: the hypervisor's sharing hooks
		// refused the channels every guest has with Domain-0.
		return wrapUser(err, "Domain '%s' was refused by the access control module.", name)
	}
	return err
}

func (t *Toolstack) delete(ctx context.Context, ref string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return err
	}
	if hd.State != hypervisor.Halted {
		return notHalted(hd.Name)
	}
	if err := t.o.HV.Delete(ctx, hd.Name); err != nil {
		return t.hvErr(err, hd.Name)
	}
	if t.o.VTPMs != nil {
		if err := t.o.VTPMs.DomainDeleted(ctx, hd.UUID); err != nil {
			return fmt.Errorf("toolstack: %s was deleted but its vTPM was not: %w", hd.Name, err)
		}
	}
	return nil
}

func (t *Toolstack) requestState(ctx context.Context, ref string, to Transition) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return err
	}
	name := hd.Name
	running := func() error {
		if hd.State != hypervisor.Running {
			return notRunning(name)
		}
		return nil
	}
	switch to {
	case Start:
		switch hd.State {
		case hypervisor.Halted, hypervisor.Suspended:
			return t.boot(ctx, hd)
		case hypervisor.Paused:
			err = t.o.HV.Unpause(ctx, name)
		default:
			return userErr(hypervisor.ErrBadState, "Domain '%s' is already running.", name)
		}
	case Destroy:
		if hd.State == hypervisor.Halted {
			return notRunning(name)
		}
		if err = t.o.HV.Destroy(ctx, name); err == nil {
			return t.vtpm(ctx, hd, "stop", t.vtpmStopped)
		}
	case Shutdown:
		if err := running(); err != nil {
			return err
		}
		if err = t.o.HV.Shutdown(ctx, name); err == nil {
			return t.vtpm(ctx, hd, "stop", t.vtpmStopped)
		}
	case Suspend:
		if err := running(); err != nil {
			return err
		}
		if err = t.o.HV.Suspend(ctx, name); err == nil {
			return t.vtpm(ctx, hd, "suspend", t.vtpmSuspended)
		}
	case Pause:
		if err := running(); err != nil {
			return err
		}
		err = t.o.HV.Pause(ctx, name)
	case Reboot:
		if err := running(); err != nil {
			return err
		}
		if err := t.o.HV.Shutdown(ctx, name); err != nil {
			return t.hvErr(err, name)
		}
		// The start runs every check again; a refusal leaves the domain halted, as
		// a domain xend could not restart stayed down. The vTPM is power-cycled
		// (PCRs reset) rather than stopped and started: a reboot.
		hd.State = hypervisor.Halted
		if err := t.bootOnly(ctx, hd); err != nil {
			return errors.Join(err, t.vtpm(ctx, hd, "stop", t.vtpmStopped))
		}
		if err := t.vtpm(ctx, hd, "reset", t.vtpmRebooted); err != nil {
			return errors.Join(err, t.undoStart(ctx, hd))
		}
		return nil
	default:
		return userErr(hypervisor.ErrInvalid, "Invalid state transition %d.", int(to))
	}
	if err != nil {
		return t.hvErr(err, name)
	}
	return nil
}

// boot starts a halted or resumes a suspended domain after xend's checks (acm.md
// §5.2): label, authorization against Domain-0, Chinese Wall, then each device. The
// hypervisor's create hook re-checks the Chinese Wall atomically.
func (t *Toolstack) boot(ctx context.Context, hd hypervisor.Domain) error {
	if err := t.bootOnly(ctx, hd); err != nil {
		return err
	}
	how, f := "start", t.vtpmStarted
	if hd.State == hypervisor.Suspended {
		how, f = "resume", t.vtpmResumed
	}
	if err := t.vtpm(ctx, hd, how, f); err != nil {
		return errors.Join(err, t.undoStart(ctx, hd))
	}
	return nil
}

// undoStart takes back a start (or resume) whose vTPM failed: the domain returns
// to the state it came from.
func (t *Toolstack) undoStart(ctx context.Context, hd hypervisor.Domain) error {
	if hd.State == hypervisor.Suspended {
		return t.o.HV.Suspend(ctx, hd.Name)
	}
	return t.o.HV.Destroy(ctx, hd.Name)
}

// vtpm tells the vTPM manager about a lifecycle step of hd, if there is one.
func (t *Toolstack) vtpm(ctx context.Context, hd hypervisor.Domain, how string, f func(context.Context, string) error) error {
	if t.o.VTPMs == nil {
		return nil
	}
	if err := f(ctx, hd.UUID); err != nil {
		return fmt.Errorf("toolstack: %s the vTPM of %s: %w", how, hd.Name, err)
	}
	return nil
}

func (t *Toolstack) vtpmStarted(ctx context.Context, u string) error {
	return t.o.VTPMs.DomainStarted(ctx, u)
}
func (t *Toolstack) vtpmStopped(ctx context.Context, u string) error {
	return t.o.VTPMs.DomainStopped(ctx, u)
}
func (t *Toolstack) vtpmSuspended(ctx context.Context, u string) error {
	return t.o.VTPMs.DomainSuspended(ctx, u)
}
func (t *Toolstack) vtpmResumed(ctx context.Context, u string) error {
	return t.o.VTPMs.DomainResumed(ctx, u)
}
func (t *Toolstack) vtpmRebooted(ctx context.Context, u string) error {
	return t.o.VTPMs.DomainRebooted(ctx, u)
}

// bootOnly is boot without the vTPM.
func (t *Toolstack) bootOnly(ctx context.Context, hd hypervisor.Domain) error {
	d0, err := t.o.HV.Domain(ctx, hypervisor.Domain0Name)
	if err != nil {
		return err
	}
	devs, err := t.startDevices(hd)
	if err != nil {
		return err
	}
	ssid, err := t.engine().CheckDomainStart(acm.StartInput{Label: hd.Label, Dom0: d0.SSIDRef, Devices: devs})
	if err != nil {
		t.deniedStart(ctx, hd, d0, devs, err)
		return fmt.Errorf("toolstack: start %s: %w: %w", hd.Name, hypervisor.ErrDenied, err)
	}
	opts := hypervisor.StartOptions{SSIDRef: ssid}
	if hd.State == hypervisor.Suspended {
		err = t.o.HV.Resume(ctx, hd.Name, opts)
	} else {
		err = t.o.HV.Start(ctx, hd.Name, opts)
	}
	if err != nil {
		// A Chinese Wall refusal of the create hook carries the *acm.Error in the
		// chain, so Message gives Xen's text.
		err = t.hvErr(err, hd.Name)
		t.deniedStart(ctx, hd, d0, devs, err)
		return err
	}
	return nil
}

// startDevices lists the domain's devices as the start checks see them: disks with
// the label of their normalised resource, VIFs with their own label.
func (t *Toolstack) startDevices(hd hypervisor.Domain) ([]acm.StartDevice, error) {
	out := make([]acm.StartDevice, 0, len(hd.Devices))
	for _, dev := range hd.Devices {
		sd, err := t.startDevice(dev)
		if err != nil {
			return nil, err
		}
		out = append(out, sd)
	}
	return out, nil
}

func (t *Toolstack) startDevice(dev hypervisor.Device) (acm.StartDevice, error) {
	if dev.Kind == hypervisor.Network {
		l, err := vifLabel(dev.Label)
		return acm.StartDevice{Network: true, Label: l}, err
	}
	uname := cmp.Or(dev.Uname, dev.Resource)
	l, _ := t.o.Resources.Get(dev.Resource)
	return acm.StartDevice{Resource: uname, Label: l}, nil
}

func vifLabel(s string) (acm.ResourceLabel, error) {
	if s == "" {
		return acm.ResourceLabel{}, nil
	}
	l, err := acm.ParseLabel(s)
	if err != nil {
		return acm.ResourceLabel{}, err
	}
	return acm.ResourceLabel{Type: l.Type, Policy: l.Policy, Label: l.Label}, nil
}

// --- devices ---------------------------------------------------------------------

func (t *Toolstack) attachDisk(ctx context.Context, ref string, d Disk) (Disk, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return Disk{}, err
	}
	if d, err = t.normDisk(d); err != nil {
		return Disk{}, err
	}
	for _, dev := range hd.Devices {
		if dev.Kind == hypervisor.Block && dev.Name == d.VirtualDevice {
			return Disk{}, userErr(hypervisor.ErrInvalid, "Virtual device '%s' already exists in domain '%s'.", d.VirtualDevice, hd.Name)
		}
	}
	dev := diskDevice(d)
	if err := t.o.HV.AttachDevice(ctx, hd.Name, dev, t.attachCheck(hd)); err != nil {
		err = t.hvErr(err, hd.Name)
		t.deniedAttach(ctx, hd, dev, d.Resource, err)
		return Disk{}, err
	}
	return d, nil
}

// attachCheck is the device check of a hot-plug into a live domain, run by the
// hypervisor under its lock; nil for a domain that is not live, whose devices are
// checked when it starts.
func (t *Toolstack) attachCheck(hd hypervisor.Domain) func(hypervisor.Device) error {
	if !hd.State.Live() {
		return nil
	}
	return func(dev hypervisor.Device) error {
		sd, err := t.startDevice(dev)
		if err == nil {
			err = t.engine().CheckAttach(hd.SSIDRef, sd)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", hypervisor.ErrDenied, err)
		}
		return nil
	}
}

func (t *Toolstack) attachVIF(ctx context.Context, ref string, v VIF) (VIF, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return VIF{}, err
	}
	used := map[int]bool{}
	for _, dev := range hd.Devices {
		if dev.Kind == hypervisor.Network {
			i, _ := strconv.Atoi(dev.Name)
			used[i] = true
		}
	}
	if v.Index < 0 {
		v.Index = nextFree(used)
	} else if used[v.Index] {
		return VIF{}, userErr(hypervisor.ErrInvalid, "Network interface %d already exists in domain '%s'.", v.Index, hd.Name)
	}
	if err := fillMAC(&v); err != nil {
		return VIF{}, err
	}
	if err := t.o.HV.AttachDevice(ctx, hd.Name, vifDevice(v), t.attachCheck(hd)); err != nil {
		err = t.hvErr(err, hd.Name)
		t.deniedAttach(ctx, hd, vifDevice(v), v.Bridge, err)
		return VIF{}, err
	}
	return v, nil
}

func (t *Toolstack) detachDisk(ctx context.Context, ref, vdev string) error {
	return t.detach(ctx, ref, hypervisor.Block, vdev)
}

func (t *Toolstack) detachVIF(ctx context.Context, ref string, index int) error {
	return t.detach(ctx, ref, hypervisor.Network, strconv.Itoa(index))
}

func (t *Toolstack) detach(ctx context.Context, ref string, kind hypervisor.DeviceKind, name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return err
	}
	if err := t.o.HV.DetachDevice(ctx, hd.Name, kind, name); err != nil {
		if errors.Is(err, hypervisor.ErrNoDevice) {
			return wrapUser(err, "Device '%s' not found in domain '%s'.", name, hd.Name)
		}
		return t.hvErr(err, hd.Name)
	}
	return nil
}

func (t *Toolstack) modifyDisk(ctx context.Context, ref string, d Disk) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return err
	}
	if hd.State != hypervisor.Halted {
		return notHalted(hd.Name)
	}
	if d, err = t.normDisk(d); err != nil {
		return err
	}
	cfg := hd.Config
	cfg.Devices = slices.Clone(cfg.Devices)
	i := slices.IndexFunc(cfg.Devices, func(o hypervisor.Device) bool {
		return o.Kind == hypervisor.Block && o.Name == d.VirtualDevice
	})
	if i < 0 {
		return userErr(hypervisor.ErrNoDevice, "Device '%s' not found in domain '%s'.", d.VirtualDevice, hd.Name)
	}
	cfg.Devices[i] = diskDevice(d)
	if err := t.o.HV.Modify(ctx, cfg); err != nil {
		return t.hvErr(err, hd.Name)
	}
	return nil
}

func (t *Toolstack) setVIFLabel(ctx context.Context, ref string, index int, label, old string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.guest(ctx, ref)
	if err != nil {
		return err
	}
	cfg := hd.Config
	cfg.Devices = slices.Clone(cfg.Devices)
	name := strconv.Itoa(index)
	i := slices.IndexFunc(cfg.Devices, func(o hypervisor.Device) bool {
		return o.Kind == hypervisor.Network && o.Name == name
	})
	if i < 0 {
		return userErr(hypervisor.ErrNoDevice, "Network interface %d not found in domain '%s'.", index, hd.Name)
	}
	// A VIF label obeys the rules of a resource label (existence in the policy, the
	// old-label check, in use while the domain runs); the key is private to this
	// check, so the VLAN rules of the store never apply to it.
	key := "vif:" + hd.UUID + "/" + name
	cur := map[string]acm.ResourceLabel{}
	if l, err := vifLabel(cfg.Devices[i].Label); err == nil && cfg.Devices[i].Label != "" {
		cur[key] = l
	}
	entry, err := acm.CheckResourceLabelChange(t.engine().Policy(), cur, acm.ResourceLabelChange{
		Resource: key, Label: label, Old: old, InUse: hd.State.Live(),
	})
	if err != nil {
		return err
	}
	if hd.State != hypervisor.Halted {
		return notHalted(hd.Name)
	}
	cfg.Devices[i].Label = ""
	if label != "" {
		cfg.Devices[i].Label = acm.SecLabel(entry).String()
	}
	if err := t.o.HV.Modify(ctx, cfg); err != nil {
		return t.hvErr(err, hd.Name)
	}
	return nil
}

// --- labels --------------------------------------------------------------------

func vmState(s hypervisor.State) acm.VMState {
	switch s {
	case hypervisor.Halted:
		return acm.VMHalted
	case hypervisor.Running:
		return acm.VMRunning
	case hypervisor.Paused:
		return acm.VMPaused
	case hypervisor.Suspended:
		return acm.VMSuspended
	}
	return acm.VMOther
}

func (t *Toolstack) setDomainLabel(ctx context.Context, ref, label, old string) (uint32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hd, err := t.resolve(ctx, ref)
	if err != nil {
		return 0, err
	}
	in := acm.RelabelInput{
		Domain0: hd.Name == hypervisor.Domain0Name,
		State:   vmState(hd.State),
		Stored:  hd.Label,
		New:     label,
		Old:     old,
	}
	live := in.Domain0 || hd.State.Live()
	if live {
		in.ID = uint32(hd.ID)
		if in.Devices, err = t.startDevices(hd); err != nil {
			return 0, err
		}
		rs, _, err := t.running(ctx)
		if err != nil {
			return 0, err
		}
		in.Live = acm.UpdateInput{Domains: rs.Domains, Channels: rs.Channels}
	}
	ssid, err := acm.CheckVMRelabel(t.engine().Policy(), in)
	if err != nil {
		t.deniedRelabel(ctx, hd, label, err)
		return 0, err
	}
	if live {
		tuples, err := t.o.HV.Relabel(ctx, []hypervisor.Relabeling{{ID: hd.ID, SSIDRef: ssid}})
		if err != nil {
			if len(tuples) > 0 {
				err = fmt.Errorf("toolstack: relabel %s: %w: %w", hd.Name, err,
					&acm.Error{Code: acm.XSErrHVOpFailed, Msg: acm.XSErrHVOpFailed.Message()})
				t.deniedRelabel(ctx, hd, label, err)
				return 0, err
			}
			return 0, t.hvErr(err, hd.Name)
		}
	}
	if err := t.o.HV.SetLabels(ctx, map[string]string{hd.Name: label}); err != nil {
		if live {
			// Put the hypervisor back, so that the stored label and what it enforces agree.
			_, _ = t.o.HV.Relabel(ctx, []hypervisor.Relabeling{{ID: hd.ID, SSIDRef: hd.SSIDRef}})
		}
		return 0, err
	}
	return ssid, nil
}

func (t *Toolstack) setResourceLabel(ctx context.Context, res, label, old string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	norm, err := acm.NormalizeResource(res, t.o.WorkDir)
	if err != nil {
		return err
	}
	hds, err := t.o.HV.Domains(ctx)
	if err != nil {
		return err
	}
	inUse := false
	for _, hd := range hds {
		if !hd.State.Live() {
			continue
		}
		for _, dev := range hd.Devices {
			inUse = inUse || (dev.Kind == hypervisor.Block && dev.Resource == norm)
		}
	}
	entry, err := acm.CheckResourceLabelChange(t.engine().Policy(), t.o.Resources.List(), acm.ResourceLabelChange{
		Resource: norm, Label: label, Old: old, InUse: inUse,
	})
	if err != nil {
		return err
	}
	if label == "" {
		return t.o.Resources.Remove(norm, old)
	}
	return t.o.Resources.Set(norm, entry, old)
}

func (t *Toolstack) resourceLabel(res string) (acm.ResourceLabel, bool, error) {
	norm, err := acm.NormalizeResource(res, t.o.WorkDir)
	if err != nil {
		return acm.ResourceLabel{}, false, err
	}
	l, ok := t.o.Resources.Get(norm)
	return l, ok, nil
}

func (t *Toolstack) resources() []LabeledResource {
	m := t.o.Resources.List()
	out := make([]LabeledResource, 0, len(m))
	for r, l := range m {
		out = append(out, LabeledResource{Resource: r, Label: l})
	}
	slices.SortFunc(out, func(a, b LabeledResource) int { return cmp.Compare(a.Resource, b.Resource) })
	return out
}
