// Package toolstack is xend: the management layer between the CIM providers and
// the two halves of the system beneath them, the access control module (package
// acm) and the hypervisor (package hypervisor). It defines, starts, stops and
// reconfigures domains with xend's checks in xend's order (acm.md §5.2), labels
// domains and resources (§5.3, §5.4) and administers the policy (§5.5), keeping
// the stored labels of domains and resources in step with every policy change.
//
// It knows nothing of CIM: providers/system and providers/secpolicy map its
// operations onto classes and methods, cmd/shyped wires it to a concrete
// hypervisor. Management operations serialise on one lock, as xend's did on its
// domains lock, so that the running state a policy check reads stays true while it
// is applied; reads take no management lock.
//
// Errors: a refusal of the access control carries *acm.Error (errors.As) whose Msg is
// Xen's message and Code the XSERR value; the hypervisor's sentinel errors
// (hypervisor.ErrNoDomain, ErrBadState, …) are wrapped with %w, and Message(err) gives
// the text a user sees.
package toolstack

import (
	"context"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

// Backend is what the toolstack needs of a hypervisor: the required contract and
// the optional interfaces for defining domains, changing their devices, their
// sharing and the security hypercalls. hvsim.HV satisfies it.
type Backend interface {
	hypervisor.Hypervisor
	hypervisor.Creator
	hypervisor.Devices
	hypervisor.Channels
	hypervisor.Security
}

// Options configure New.
type Options struct {
	// HV is the hypervisor, opened with Hooks as its access control module.
	HV Backend
	// Admin is the policy administration, opened with Hooks.Engine() as its engine
	// and ChangePolicy set to the toolstack's (see ChangePolicyHook).
	Admin *acm.Admin
	// Hooks is the access control module as the hypervisor calls it.
	Hooks *acm.Hooks
	// Resources is the resource label store.
	Resources *acm.ResourceStore
	// WorkDir is the folder relative file:/tap: resource names are made absolute
	// against (acm.md §0); "" means the process's working directory.
	WorkDir string
	// VTPMs, when set, follows every domain's lifecycle with its virtual TPM
	// (*vtpm.Manager satisfies it).
	VTPMs VTPMs
	// PolicyChanged, when set, is called after every change of the enforced policy
	// (load, update, reset, activation) with the new compiled binary policy (not the
	// live buffer, whose Chinese Wall counters change with every domain), under the
	// management lock: the host measures it for AttestPolicy. It cannot refuse
	// the change, which has happened.
	PolicyChanged func(ctx context.Context, binary []byte)
	// Denied, when set, is called after every access control refusal of a domain
	// start, resume or reboot (authorization, Chinese Wall, device), of a device
	// hot-plugged into a live domain, and of a relabel that would break sharing,
	// under the management lock: providers/secpolicy raises
	// Xen_AccessDeniedIndication from it. It must not call back into the
	// toolstack's mutating methods; the refusal stands whatever it does.
	Denied func(ctx context.Context, d Denial)
}

// Hook is the access control hook that refused a decision
// (Xen_AccessDeniedIndication.Hook).
type Hook uint16

const (
	// HookSharing: a domain may not share with a resource or another domain: a
	// device at start or attach, a relabel that breaks sharing.
	HookSharing Hook = 1
	// HookAuthorization: Domain-0 may not run a domain of that label.
	HookAuthorization Hook = 2
	// HookConflictSet: a running domain's label is in a Chinese Wall conflict set
	// with the label.
	HookConflictSet Hook = 3
)

// Denial is one refused access control decision (Options.Denied).
type Denial struct {
	// Op is what was refused: "start" (also the start half of a reboot),
	// "resume", "attach" or "relabel".
	Op string
	// Domain and UUID name the domain concerned.
	Domain, UUID string
	// SubjectLabel is the domain's label ("ACM:<policy>:<label>", the effective
	// one for an unlabeled domain).
	SubjectLabel string
	// ObjectLabel is the label of what the domain was refused: Domain-0's for an
	// authorization, the resource's for a device (ACM:<policy>:__UNLABELED__ when
	// it has none), the new label for a relabel; the domain's own label for a
	// Chinese Wall conflict, whose conflicting domain is not known.
	ObjectLabel string
	// Resource is the device's resource for a device refusal ("phy:/dev/sdb1",
	// the VIF's bridge), else "".
	Resource string
	Hook     Hook
	// Code is the XSERR value and Message Xen's message, as the caller sees them.
	Code    acm.XSErr
	Message string
}

// VTPMs is the vTPM manager as the toolstack drives it. Domains are named by UUID;
// a domain without a vTPM is no error. An error of DomainStarted or DomainResumed
// undoes the domain's start or resume (a domain never runs without its vTPM).
type VTPMs interface {
	DomainStarted(ctx context.Context, domain string) error
	DomainStopped(ctx context.Context, domain string) error
	DomainSuspended(ctx context.Context, domain string) error
	DomainResumed(ctx context.Context, domain string) error
	DomainRebooted(ctx context.Context, domain string) error
	DomainDeleted(ctx context.Context, domain string) error
}

// Disk is a virtual block device of a domain's configuration.
type Disk struct {
	// Uname is the resource exactly as the configuration wrote it ("phy:sdb1").
	Uname string
	// Resource is Uname normalised (acm.NormalizeResource): "phy:/dev/sdb1". Set by
	// the toolstack; ignored on input.
	Resource string
	// VirtualDevice is the guest's device name ("xvda1"), unique per domain.
	VirtualDevice string
	// Mode is "r" or "w".
	Mode string
}

// VIF is a virtual network interface of a domain's configuration.
type VIF struct {
	// Index is the interface number n of vif<n>, unique per domain. On input a
	// negative Index means the next free number.
	Index int
	// MAC is the interface's address; the toolstack makes one up (00:16:3e:…) when
	// it is empty.
	MAC string
	// Bridge is the host bridge, or the resource the VIF plugs into ("vlan:12").
	Bridge string
	// Label is the VIF's resource label "ACM:<policy>:<label>", "" if unlabeled.
	Label string
}

// Config is a domain's definition, what an xm config file or a CIM
// VirtualSystemSettingData with its RASDs says.
type Config struct {
	Name string
	// UUID is assigned by Define when empty; it never changes afterwards.
	UUID      string
	Kernel    string
	Ramdisk   string
	MemoryMiB uint64
	VCPUs     uint32
	// Label is the stored label "ACM:<policy>:<label>" ("INV_ACM:…" after an update
	// deleted it), "" when unlabeled.
	Label string
	Disks []Disk
	VIFs  []VIF
}

// Domain is a snapshot of one defined domain.
type Domain struct {
	Config
	State hypervisor.State
	// ID is the hypervisor's domain id, hypervisor.InvalidID unless State.Live().
	ID hypervisor.DomainID
	// SSIDRef is what the hypervisor enforces, 0 unless State.Live().
	SSIDRef uint32
	// EffectiveLabel is the label the domain carries under the active policy:
	// Label, or ACM:<active>:__UNLABELED__ when it has none (acm.DomainLabel).
	EffectiveLabel string
}

// Settings are the parts of a halted domain's definition ModifySystemSettings may
// change; a nil field is left as it is.
type Settings struct {
	Name      *string
	Kernel    *string
	Ramdisk   *string
	MemoryMiB *uint64
	VCPUs     *uint32
	// Label replaces the stored label without validation (as relabelling a halted
	// domain does, acm.md §5.3); "" removes it.
	Label *string
}

// Transition is a requested power state change (CIM RequestStateChange values).
type Transition int

const (
	// Start boots a halted domain, resumes a suspended one, unpauses a paused one.
	Start Transition = 2
	// Destroy stops a running, paused or suspended domain at once (xm destroy).
	Destroy Transition = 3
	// Shutdown stops a running domain in order (xm shutdown).
	Shutdown Transition = 4
	// Suspend saves a running domain (xm suspend).
	Suspend Transition = 6
	// Pause pauses a running domain (xm pause).
	Pause Transition = 9
	// Reboot is shutdown then start, with the start checks.
	Reboot Transition = 10
)

// LabeledResource is one entry of the resource label store.
type LabeledResource struct {
	// Resource is the normalised name ("phy:/dev/sdb1", "file:/srv/a.img", "vlan:12").
	Resource string
	Label    acm.ResourceLabel
}

// DryRun is the report of `xm dry-run`: its lines as xm prints them (without the
// final "Dry Run: PASSED|FAILED" line) and the verdict.
type DryRun struct {
	Lines     []string
	Permitted bool
}

// Toolstack is the management layer of one host. Its methods are safe for
// concurrent use. A domain is named by ref: its name, its UUID or its decimal
// domain id.
type Toolstack struct {
	o Options
	// Filled in by the implementation.
	impl
}

// New returns the toolstack of a host whose hypervisor and policy administration
// are already open: it stores Domain-0's label when none is stored yet
// (ACM:<active>:<bootstrap>).
func New(o Options) (*Toolstack, error) { return newToolstack(o) }

// --- domains -------------------------------------------------------------------

// Domains returns every defined domain, Domain-0 first, then by name.
func (t *Toolstack) Domains(ctx context.Context) ([]Domain, error) { return t.domains(ctx) }

// Domain returns the domain named by ref (name, UUID or decimal domain id);
// hypervisor.ErrNoDomain if there is none.
func (t *Toolstack) Domain(ctx context.Context, ref string) (Domain, error) {
	return t.domain(ctx, ref)
}

// Define defines a new halted domain (DefineSystem, the first half of xm create). A
// label naming a policy other than the active one is refused with xm's "Security
// policy (<p>) incompatible with enforced policy (<active>)." (XSErrBadPolicyName);
// a name in use fails with hypervisor.ErrExists.
func (t *Toolstack) Define(ctx context.Context, cfg Config) (Domain, error) {
	return t.define(ctx, cfg)
}

// Modify changes a halted domain's settings (ModifySystemSettings); other states
// fail with hypervisor.ErrBadState.
func (t *Toolstack) Modify(ctx context.Context, ref string, s Settings) (Domain, error) {
	return t.modify(ctx, ref, s)
}

// Delete undefines a halted domain (DestroySystem, xm delete); "Domain '<name>' is
// not halted." (hypervisor.ErrBadState) otherwise.
func (t *Toolstack) Delete(ctx context.Context, ref string) error { return t.delete(ctx, ref) }

// RequestState changes the domain's power state. Start and resume run xend's checks
// in §5.2's order (label, authorization, Chinese Wall, then each device); a refusal
// changes nothing and carries *acm.Error with Xen's message.
func (t *Toolstack) RequestState(ctx context.Context, ref string, to Transition) error {
	return t.requestState(ctx, ref, to)
}

// AttachDisk adds a block device to the domain (xm block-attach,
// AddResourceSettings): to the definition of a halted domain, hot-plugged into a
// running one after the resource check (a refusal leaves the domain running
// without it, with Xen's "VM's access to block device '<uname>' denied").
func (t *Toolstack) AttachDisk(ctx context.Context, ref string, d Disk) (Disk, error) {
	return t.attachDisk(ctx, ref, d)
}

// AttachVIF adds a network interface, with the VIF checks of §5.2 when it is live.
func (t *Toolstack) AttachVIF(ctx context.Context, ref string, v VIF) (VIF, error) {
	return t.attachVIF(ctx, ref, v)
}

// DetachDisk removes the block device whose VirtualDevice is vdev (xm block-detach).
func (t *Toolstack) DetachDisk(ctx context.Context, ref, vdev string) error {
	return t.detachDisk(ctx, ref, vdev)
}

// DetachVIF removes network interface index.
func (t *Toolstack) DetachVIF(ctx context.Context, ref string, index int) error {
	return t.detachVIF(ctx, ref, index)
}

// ModifyDisk changes a halted domain's block device (ModifyResourceSettings).
func (t *Toolstack) ModifyDisk(ctx context.Context, ref string, d Disk) error {
	return t.modifyDisk(ctx, ref, d)
}

// SetVIFLabel labels VIF index of a domain (Xen-API VIF.set_security_label, xm
// addlabel <l> vif-<n> <dom>): XSErrResourceInUse while the domain runs,
// XSErrBadLabel when old does not match; "" removes.
func (t *Toolstack) SetVIFLabel(ctx context.Context, ref string, index int, label, old string) error {
	return t.setVIFLabel(ctx, ref, index, label, old)
}

// --- labels --------------------------------------------------------------------

// SetDomainLabel relabels a domain, Domain-0 included (acm.md §5.3,
// VM.set_security_label): the new ssidref for a running or paused domain, else 0.
func (t *Toolstack) SetDomainLabel(ctx context.Context, ref, label, old string) (uint32, error) {
	return t.setDomainLabel(ctx, ref, label, old)
}

// SetResourceLabel labels (label "ACM:<p>:<l>") or unlabels (label "") a resource
// with set_resource_label's checks (§5.4); res is normalised first.
func (t *Toolstack) SetResourceLabel(ctx context.Context, res, label, old string) error {
	return t.setResourceLabel(ctx, res, label, old)
}

// ResourceLabel returns the label of res (normalised first); ok false if none.
func (t *Toolstack) ResourceLabel(res string) (l acm.ResourceLabel, ok bool, err error) {
	return t.resourceLabel(res)
}

// Resources returns the labeled resources, sorted by name.
func (t *Toolstack) Resources() []LabeledResource { return t.resources() }

// NormalizeResource normalises a resource name as the label store keys it.
func (t *Toolstack) NormalizeResource(res string) (string, error) {
	return acm.NormalizeResource(res, t.o.WorkDir)
}

// --- policy --------------------------------------------------------------------

// Policy is the managed policy (get_xspolicy, Xen_ACMPolicy).
func (t *Toolstack) Policy() acm.PolicyInfo { return t.o.Admin.GetPolicy() }

// Enforced is the compiled policy in force.
func (t *Toolstack) Enforced() *acm.Compiled { return t.o.Hooks.Engine().Policy() }

// SetPolicy loads or updates the policy (set_xspolicy, xm setpolicy). On success the
// stored labels of every domain (running ones from the plan, the others through
// Result.VMLabel) and every resource follow the new policy.
func (t *Toolstack) SetPolicy(ctx context.Context, xml []byte, flags uint32, overwrite bool) (*acm.Result, error) {
	return t.setPolicy(ctx, xml, flags, overwrite)
}

// ResetPolicy returns to the DEFAULT policy (reset_xspolicy, xm resetpolicy).
func (t *Toolstack) ResetPolicy(ctx context.Context) (*acm.Result, error) {
	return t.resetPolicy(ctx)
}

// ActivatePolicy is activate_xspolicy: it returns the flags now in effect.
func (t *Toolstack) ActivatePolicy(ctx context.Context, flags uint32) (uint32, error) {
	return t.activatePolicy(ctx, flags)
}

// RemoveBootPolicy is rm_xsbootpolicy.
func (t *Toolstack) RemoveBootPolicy(ctx context.Context) error { return t.removeBootPolicy(ctx) }

// CanRun is can_run: XSErrSuccess, XSErrVMNotAuthorized, XSErrVMInConflict, or the
// label's error code (XSErrBadLabel, XSErrBadLabelFormat, XSErrBadPolicyName, …).
func (t *Toolstack) CanRun(label string) acm.XSErr { return t.canRun(label) }

// Decide is getdecision between two labels ("ACM:<p>:<l>"); label2 is ignored for
// hypervisor.DecideConflictSet.
func (t *Toolstack) Decide(ctx context.Context, op hypervisor.DecisionOp, label1, label2 string) (bool, error) {
	return t.decide(ctx, op, label1, label2)
}

// DryRunDomain is xm dry-run over a defined domain.
func (t *Toolstack) DryRunDomain(ctx context.Context, ref string) (DryRun, error) {
	return t.dryRunDomain(ctx, ref)
}

// DryRunConfig is xm dry-run over a configuration that need not be defined.
func (t *Toolstack) DryRunConfig(ctx context.Context, cfg Config) (DryRun, error) {
	return t.dryRunConfig(ctx, cfg)
}

// DumpPolicy is xm dumppolicy of the enforced binary.
func (t *Toolstack) DumpPolicy(ctx context.Context) (string, error) { return t.dumpPolicy(ctx) }

// EnforcedBinary is the hypervisor's live binary policy (get_enforced_binary).
func (t *Toolstack) EnforcedBinary() []byte { return t.o.Hooks.Engine().LiveBinary() }

// ChangePolicyHook is the function to pass as acm.AdminOptions.ChangePolicy: the
// policy load through the hypervisor's chgpolicy. Because the admin is opened
// before the toolstack exists, cmd/shyped passes a closure that calls it.
func ChangePolicyHook(hv hypervisor.Security, hooks *acm.Hooks) func(*acm.Compiled, *acm.UpdatePlan) error {
	return changePolicyHook(hv, hooks)
}

// Message is the text a user sees for err: an *acm.Error's Msg (Xen's message), a
// hypervisor error's message without its "hvsim: …" prefix chain where the
// toolstack gave one, else err.Error().
func Message(err error) string { return message(err) }
