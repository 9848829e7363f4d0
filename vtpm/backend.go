package vtpm

import (
	"context"
	"errors"

	"github.com/google/go-tpm/tpm2/transport"
)

// The contract between the manager and a TPM backend (vtpm.md §6.1). The one
// backend is vtpm/swtpm: one swtpm process per running TPM, its state in a folder
// per TPM.

// Blobs is the state of a TPM as swtpm keeps it: the permanent state (seeds, NV,
// persistent objects: tpm2-00.permall) and, for a suspended TPM, the volatile state
// (tpm2-00.volatilestate); Volatile is nil when there is none.
type Blobs struct {
	Permanent []byte
	Volatile  []byte
}

// ProvisionOptions say how to manufacture a new TPM.
type ProvisionOptions struct {
	// PCRBanks are the active PCR banks; nil means {"sha256"}.
	PCRBanks []string
}

// Endorsement is what provisioning made: the RSA endorsement key (persistent
// handle 0x81010001) and its certificate, issued by the backend's local CA.
type Endorsement struct {
	EKPublicPEM   []byte // PEM "PUBLIC KEY" (SubjectPublicKeyInfo)
	EKCertPEM     []byte // PEM "CERTIFICATE"
	Manufacturer  string // TPM_PT_MANUFACTURER as text ("IBM" on swtpm)
	SpecMajor     int    // 2
	SpecMinor     int    // 0
	PCRBanks      []string
	FirmwareLabel string // free text, e.g. "swtpm 0.7.1"
}

// StartOptions say how to power a TPM on.
type StartOptions struct {
	// Resume resumes the TPM from the volatile state its last Stop(suspend) kept
	// (PCRs and sessions as they were); without it the TPM is powered on fresh
	// (Startup CLEAR, PCRs reset). Resume without a kept volatile state is
	// ErrNoVolatileState.
	Resume bool
}

// Backend manufactures, runs and wipes TPMs, each named by an opaque id (the
// manager uses the vTPM's UUID). Methods are safe for concurrent use on different
// ids; the manager serialises the calls for one id.
type Backend interface {
	// Provision manufactures the state of a new TPM id (swtpm_setup with an EK and
	// an EK certificate from the backend's CA). It fails with ErrExists if id
	// already has state.
	Provision(ctx context.Context, id string, o ProvisionOptions) (Endorsement, error)
	// Start runs TPM id and returns it ready for commands. A TPM already running is
	// ErrRunning (a second process on one state is impossible).
	Start(ctx context.Context, id string, o StartOptions) (Instance, error)
	// Adopt reattaches to TPM id left running by an earlier manager process (after
	// a crash). If it does not run, or cannot be reached, Adopt cleans up what is
	// left (stale pid file, sockets) and returns ErrNotRunning.
	Adopt(ctx context.Context, id string) (Instance, error)
	// ReadState returns the state of the stopped TPM id (for a migration).
	ReadState(ctx context.Context, id string) (Blobs, error)
	// WriteState replaces the state of the stopped TPM id (creating it when it does
	// not exist: a TPM arriving by migration). A nil Volatile removes a kept
	// volatile state.
	WriteState(ctx context.Context, id string, b Blobs) error
	// Destroy stops TPM id if it runs and wipes its state (overwritten before it is
	// removed). Destroying an id without state is not an error.
	Destroy(ctx context.Context, id string) error
	// CACertificatesPEM returns the certificates (issuer, then root) that EK
	// certificates chain to.
	CACertificatesPEM() ([]byte, error)
}

// Instance is one running TPM. Send is go-tpm's transport.TPM: tpm2 command
// structs execute on it directly. Send, Reset and Stop must not be called
// concurrently (the manager holds a lock per TPM); after Stop the Instance is dead.
type Instance interface {
	transport.TPM
	// Reset power-cycles the TPM and starts it again (Startup CLEAR): a reboot
	// of its domain. PCRs read zero afterwards.
	Reset(ctx context.Context) error
	// Stop ends the TPM's process. With suspend, the volatile state is kept first
	// (STORE_VOLATILE) so that Start with Resume continues where it stopped;
	// otherwise it is shut down (a kept volatile state is dropped).
	Stop(ctx context.Context, suspend bool) error
	// PID is the process id of the TPM's process, 0 if none.
	PID() int
}

// Sentinel errors of the backend contract.
var (
	ErrExists          = errors.New("vtpm: TPM state already exists")
	ErrRunning         = errors.New("vtpm: TPM is already running")
	ErrNotRunning      = errors.New("vtpm: TPM is not running")
	ErrNoState         = errors.New("vtpm: TPM has no state")
	ErrNoVolatileState = errors.New("vtpm: TPM has no suspended state to resume")
	ErrBackendMissing  = errors.New("vtpm: swtpm is not available")
	ErrBackendProtocol = errors.New("vtpm: TPM backend protocol error")
)
