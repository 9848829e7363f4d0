package hypervisor

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them with context ("hvsim: start web: %w").
var (
	// ErrNoDomain: no domain of that name, or no domain with that id in the hypervisor.
	ErrNoDomain = errors.New("hypervisor: no such domain")
	// ErrExists: a domain of that name is already defined.
	ErrExists = errors.New("hypervisor: domain already exists")
	// ErrBadState: the operation is not valid in the domain's current state.
	ErrBadState = errors.New("hypervisor: domain is in the wrong state")
	// ErrDomain0: the operation is not permitted on Domain-0.
	ErrDomain0 = errors.New("hypervisor: not permitted on Domain-0")
	// ErrDenied: the access control module refused the operation.
	ErrDenied = errors.New("hypervisor: denied by the access control module")
	// ErrInvalid: an argument is malformed (an empty name, a duplicate device).
	ErrInvalid = errors.New("hypervisor: invalid argument")
	// ErrNoDevice: the domain has no device of that name.
	ErrNoDevice = errors.New("hypervisor: no such device")
	// ErrNoChannel: no event channel at that port, or no grant mapping with that handle.
	ErrNoChannel = errors.New("hypervisor: no such channel")
	// ErrNotSupported: the backend cannot do this (no access control module for a
	// security hypercall, for instance).
	ErrNotSupported = errors.New("hypervisor: not supported")
)

// DomainID is a hypervisor domain id (Xen's domid). Domain-0 is 0; guests get ids
// from 1 up to below FirstReservedID.
type DomainID uint32

const (
	// Dom0 is Domain-0's id.
	Dom0 DomainID = 0
	// FirstReservedID is Xen's DOMID_FIRST_RESERVED: ids from here up are not domains.
	FirstReservedID DomainID = 0x7FF0
	// InvalidID is Xen's DOMID_INVALID, the id of a domain that does not exist in the
	// hypervisor (Halted, Suspended).
	InvalidID DomainID = 0x7FF4
)

// Domain0Name is the name of Domain-0, which always exists and always runs.
const Domain0Name = "Domain-0"

// State is a domain's power state, as Xen-API names them.
type State int

// The states. Only Running and Paused domains exist in the hypervisor (have a
// DomainID and an ssidref); a Suspended domain has been saved and destroyed there.
const (
	Halted State = iota
	Running
	Paused
	Suspended
)

var stateNames = [...]string{"Halted", "Running", "Paused", "Suspended"}

// String returns the Xen-API name of s.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Live reports whether a domain in state s exists in the hypervisor.
func (s State) Live() bool { return s == Running || s == Paused }

// DeviceKind says what a virtual device is.
type DeviceKind int

const (
	// Block is a virtual block device (VBD); its Resource is the uname, such as
	// "phy:/dev/sda1" or "file:/srv/web.img".
	Block DeviceKind = iota + 1
	// Network is a virtual network interface (VIF); its Resource is what it plugs
	// into (a bridge or "vlan:<n>").
	Network
)

// String returns "vbd" or "vif".
func (k DeviceKind) String() string {
	switch k {
	case Block:
		return "vbd"
	case Network:
		return "vif"
	}
	return fmt.Sprintf("DeviceKind(%d)", int(k))
}

// Device is a virtual device of a domain's configuration. A Running or Paused domain
// has all of its configured devices attached.
type Device struct {
	Kind DeviceKind
	// Name is the frontend name, unique per domain: "xvda", "hda" for a VBD, "0",
	// "1" (the vif index) for a VIF.
	Name string
	// Resource is the backend resource (see DeviceKind), as the toolstack normalised it.
	Resource string
	// Mode is "r" or "w" for a VBD, empty for a VIF.
	Mode string
	// MAC is a VIF's address, empty for a VBD.
	MAC string
	// Uname is a VBD's resource as the configuration wrote it ("phy:sdb1"), kept so
	// that messages can name it as the user did. The backend stores it and never
	// interprets it.
	Uname string `json:",omitempty"`
	// Label is a VIF's security label ("ACM:<policy>:<label>"), empty if unlabeled.
	Label string
}

// Config defines a domain.
type Config struct {
	// Name is unique and not Domain0Name.
	Name string
	// UUID identifies the domain; a backend assigns one when it is empty.
	UUID string
	// MemoryMiB and VCPUs size the domain.
	MemoryMiB uint64
	VCPUs     uint32
	// Kernel and Ramdisk are the boot images; the backend stores them and never
	// interprets them.
	Kernel  string `json:",omitempty"`
	Ramdisk string `json:",omitempty"`
	// Label is the domain's stored security label, as the toolstack keeps it
	// ("ACM:<policy>:<label>", "INV_ACM:..."), empty if unlabeled. The backend stores
	// it and never interprets it.
	Label string
	// Devices are the domain's virtual devices.
	Devices []Device
}

// Domain is a snapshot of one domain.
type Domain struct {
	Config
	State State
	// ID is the domain's id in the hypervisor, InvalidID unless State.Live().
	ID DomainID
	// SSIDRef is the ssidref the hypervisor enforces for the domain; 0 unless
	// State.Live().
	SSIDRef uint32
}

// StartOptions carry what the toolstack decided before a start or resume.
type StartOptions struct {
	// SSIDRef is the domain's ssidref, computed by the toolstack from its label.
	SSIDRef uint32
	// CheckDevice, when set, is called for each configured device, in order, after
	// the access control module admitted the domain and before the device is
	// attached. An error undoes the start entirely and is returned wrapped. It runs
	// under the backend's lock and must not call back into the Hypervisor.
	CheckDevice func(Device) error
}

// Hypervisor is the required contract of a backend.
//
// Every method is safe for concurrent use. Domain-0 always exists, always Running,
// with id 0; lifecycle operations on it fail with ErrDomain0. A method that names a
// domain that is not defined fails with ErrNoDomain; one that is not valid in the
// domain's state fails with ErrBadState and changes nothing.
type Hypervisor interface {
	// Domains returns every domain, Domain-0 first, then the others by name.
	Domains(ctx context.Context) ([]Domain, error)
	// Domain returns the domain called name.
	Domain(ctx context.Context, name string) (Domain, error)
	// DomainByID returns the domain that has id in the hypervisor.
	DomainByID(ctx context.Context, id DomainID) (Domain, error)

	// Start boots a Halted domain: the hypervisor creates it with opts.SSIDRef
	// (the access control module may refuse: ErrDenied), checks and attaches its
	// devices, and connects it to Domain-0. Any failure leaves no trace.
	Start(ctx context.Context, name string, opts StartOptions) error
	// Pause stops a Running domain's vcpus (Running → Paused).
	Pause(ctx context.Context, name string) error
	// Unpause resumes a Paused domain (Paused → Running).
	Unpause(ctx context.Context, name string) error
	// Suspend saves a Running domain and destroys it in the hypervisor
	// (Running → Suspended).
	Suspend(ctx context.Context, name string) error
	// Resume restores a Suspended domain: a new creation, checked as Start is.
	Resume(ctx context.Context, name string, opts StartOptions) error
	// Shutdown stops a Running domain cleanly (Running → Halted).
	Shutdown(ctx context.Context, name string) error
	// Destroy stops a Running, Paused or Suspended domain at once (→ Halted),
	// discarding a suspended image.
	Destroy(ctx context.Context, name string) error
}

// Creator is implemented by backends that define domains themselves.
type Creator interface {
	// Create defines a new Halted domain. An invalid cfg fails with ErrInvalid, a
	// name in use with ErrExists.
	Create(ctx context.Context, cfg Config) (Domain, error)
	// Delete removes a Halted domain's definition.
	Delete(ctx context.Context, name string) error
	// SetLabels replaces the stored labels of the named domains (Domain-0's too) in
	// one step: all or nothing. It does not change what the hypervisor enforces (see
	// Security.Relabel).
	SetLabels(ctx context.Context, labels map[string]string) error
	// Modify replaces the definition of the Halted domain whose UUID is cfg.UUID
	// (compared case-insensitively) in one step, devices and label included; the
	// name may change but must stay unique (ErrExists). An unknown UUID fails with
	// ErrNoDomain, Domain-0 with ErrDomain0, another state with ErrBadState, an
	// invalid cfg with ErrInvalid; a refusal changes nothing.
	Modify(ctx context.Context, cfg Config) error
}

// Devices is implemented by backends that can change a domain's devices.
type Devices interface {
	// AttachDevice adds dev to the domain's configuration and, if the domain is
	// live, attaches it. check, when not nil, is called first under the backend's
	// lock; its error refuses the attach, which changes nothing. check must not
	// call back into the Hypervisor.
	AttachDevice(ctx context.Context, name string, dev Device, check func(Device) error) error
	// DetachDevice removes the device devName (a frontend name) of kind.
	DetachDevice(ctx context.Context, name string, kind DeviceKind, devName string) error
}

// Port is an event channel port of one domain.
type Port uint32

// EventChannel is an inter-domain event channel: Port of Domain is bound to
// RemotePort of Remote.
type EventChannel struct {
	Domain     DomainID
	Port       Port
	Remote     DomainID
	RemotePort Port
}

// Grant is a grant mapping: Mapper maps a page Granter granted; Handle names the
// mapping within Mapper.
type Grant struct {
	Mapper  DomainID
	Handle  uint32
	Granter DomainID
}

// Channels is implemented by backends that let callers set up sharing between
// domains, each decision going through the access control module.
type Channels interface {
	// BindEventChannel connects dom and remote: dom allocates an unbound port for
	// remote (hook evtchn_unbound, decided for dom), then remote binds to it (hook
	// evtchn_interdomain, decided for remote). A refusal wraps ErrDenied and creates
	// nothing. Both domains must be live.
	BindEventChannel(ctx context.Context, dom, remote DomainID) (EventChannel, error)
	// CloseEventChannel closes port of dom, and so the channel at both ends.
	CloseEventChannel(ctx context.Context, dom DomainID, port Port) error
	// MapGrant maps into mapper a page granter granted (hook grant_mapref, decided
	// for mapper).
	MapGrant(ctx context.Context, mapper, granter DomainID) (Grant, error)
	// UnmapGrant removes mapper's mapping handle.
	UnmapGrant(ctx context.Context, mapper DomainID, handle uint32) error
	// EventChannels returns every channel once, ordered by Domain then Port, with
	// Domain < Remote (or Port < RemotePort when a domain binds to itself).
	EventChannels(ctx context.Context) ([]EventChannel, error)
	// Grants returns every mapping, ordered by Mapper then Handle.
	Grants(ctx context.Context) ([]Grant, error)
}

// Stats are the STE hook statistics of ACMOP_dumpstats (acm.md §4): an evaluation
// is a decision the cache could not answer.
type Stats struct {
	EvtchnEvals, EvtchnDenied, EvtchnCacheHits uint64
	GrantEvals, GrantDenied, GrantCacheHits    uint64
}

// PolicyChange is the input of the chgpolicy hypercall (acm.md §3.4).
type PolicyChange struct {
	// Policy is the new binary policy, handed to the access control module as is.
	Policy []byte
	// Delete lists the old VM label indices the new policy deletes.
	Delete []uint32
	// Change lists (old index, new index) pairs of renamed or re-indexed VM labels.
	Change [][2]uint32
}

// Relabeling gives a live domain a new ssidref (the relabeldoms hypercall).
type Relabeling struct {
	ID      DomainID
	SSIDRef uint32
}

// DecisionOp names the question of the getdecision hypercall.
type DecisionOp int

// The getdecision hooks, numbered as acm_ops.h numbers them.
const (
	DecideSharing       DecisionOp = 1 // may A and B share (STE)
	DecideAuthorization DecisionOp = 2 // may B run given A, normally Domain-0
	DecideConflictSet   DecisionOp = 3 // would A start without a Chinese Wall conflict
)

// Subject names one side of a decision: a live domain by ID, or an ssidref.
type Subject struct {
	ByID    bool
	ID      DomainID
	SSIDRef uint32
}

// Security is implemented by backends that expose the ACM hypercalls.
type Security interface {
	// ChangePolicy installs a new policy if the access control module accepts it
	// against every domain and channel (acm.md §3.4). A refusal returns the
	// module's error tuples and an error wrapping ErrDenied, and changes nothing.
	// On success each live domain gets its translated ssidref and every decision
	// cache is cleared.
	ChangePolicy(ctx context.Context, change PolicyChange) ([]ErrorTuple, error)
	// Relabel gives live domains new ssidrefs if the access control module accepts
	// them against every domain and channel; a refusal is as for ChangePolicy.
	// Decision caches are not cleared (acm.md §4, as Xen did).
	Relabel(ctx context.Context, relabel []Relabeling) ([]ErrorTuple, error)
	// Decide answers getdecision: true is PERMITTED. b is ignored for
	// DecideConflictSet.
	Decide(ctx context.Context, op DecisionOp, a, b Subject) (bool, error)
	// Stats returns the STE hook statistics.
	Stats(ctx context.Context) (Stats, error)
}

// Resetter is implemented by simulations that can simulate a host boot.
type Resetter interface {
	// ResetHost destroys every guest (all Halted), restarts Domain-0 with its boot
	// ssidref, closes every channel and clears caches and statistics.
	ResetHost(ctx context.Context) error
}
