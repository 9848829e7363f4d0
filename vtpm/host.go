package vtpm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
	"github.com/google/go-tpm/tpm2/transport/linuxtpm"
)

// Host policy attestation (cim-model.md §2, AttestPolicy): every enforced
// security policy is measured into PCR 10 of the host TPM's sha256 bank and
// logged, so that a verifier can replay the log and check a quote over PCR 10.

// PolicyPCR is the host PCR that accumulates policy measurements.
const PolicyPCR = 10

// hostID is the backend id of the host's own TPM when there is no device.
const hostID = "host"

// HostOptions configure the host TPM.
type HostOptions struct {
	Backend Backend // runs the host's own TPM when Device is ""
	Root    string  // folder of the event log; created 0700
	Device  string  // --host-tpm: a TPM character device; "" = own swtpm id "host"
	Reset   bool    // host boot: PCRs and the event log start anew
}

// HostEvidence is a quote over the policy PCR with the log that explains it.
type HostEvidence struct {
	Quoted      []byte // TPMS_ATTEST
	Signature   []byte // TPMT_SIGNATURE
	AKPublicPEM []byte
	PolicyHash  string // hex SHA-256 of the last measured policy
	PCRValue    []byte
	EventLog    []string
}

// Host is the host TPM used for policy attestation. It is safe for concurrent
// use.
type Host struct {
	mu      sync.Mutex
	logPath string
	events  []string
	inst    Instance            // own swtpm
	dev     transport.TPMCloser // device
}

func (h *Host) tpm() transport.TPM {
	if h.inst != nil {
		return h.inst
	}
	return h.dev
}

// OpenHost opens the host TPM and its event log. The own swtpm is adopted when
// still running, resumed when Close suspended it, else powered on fresh; a
// fresh TPM has zero PCRs, so its event log starts anew too.
func OpenHost(ctx context.Context, o HostOptions) (*Host, error) {
	if o.Root == "" {
		return nil, fmt.Errorf("%w: empty Root", ErrInvalid)
	}
	if err := os.MkdirAll(o.Root, 0o700); err != nil {
		return nil, fmt.Errorf("vtpm: host root: %w", err)
	}
	h := &Host{logPath: filepath.Join(o.Root, "host-eventlog.json")}
	fresh := o.Reset
	if o.Device != "" {
		dev, err := linuxtpm.Open(o.Device)
		if err != nil {
			return nil, fmt.Errorf("vtpm: host TPM %s: %w", o.Device, err)
		}
		h.dev = dev
	} else {
		if o.Backend == nil {
			return nil, ErrBackendMissing
		}
		if _, err := o.Backend.Provision(ctx, hostID, ProvisionOptions{}); err != nil && !errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("vtpm: provision host TPM: %w", err)
		}
		inst, err := o.Backend.Adopt(ctx, hostID)
		switch {
		case err == nil && o.Reset:
			if err := inst.Reset(ctx); err != nil {
				inst.Stop(ctx, false)
				return nil, fmt.Errorf("vtpm: reset host TPM: %w", err)
			}
		case err == nil:
		case errors.Is(err, ErrNotRunning):
			inst, err = nil, nil
			if !o.Reset {
				inst, err = o.Backend.Start(ctx, hostID, StartOptions{Resume: true})
				if errors.Is(err, ErrNoVolatileState) {
					inst, err = nil, nil
				}
			}
			if err == nil && inst == nil {
				fresh = true
				inst, err = o.Backend.Start(ctx, hostID, StartOptions{})
			}
			if err != nil {
				return nil, fmt.Errorf("vtpm: start host TPM: %w", err)
			}
		default:
			return nil, fmt.Errorf("vtpm: host TPM: %w", err)
		}
		h.inst = inst
	}
	if !fresh {
		b, err := os.ReadFile(h.logPath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			h.close(ctx)
			return nil, fmt.Errorf("vtpm: host event log: %w", err)
		default:
			if err := json.Unmarshal(b, &h.events); err != nil {
				h.close(ctx)
				return nil, fmt.Errorf("vtpm: host event log is corrupt: %w", err)
			}
		}
	}
	if err := h.saveLog(); err != nil {
		h.close(ctx)
		return nil, err
	}
	return h, nil
}

func (h *Host) saveLog() error {
	ev := h.events
	if ev == nil {
		ev = []string{}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("vtpm: encode host event log: %w", err)
	}
	return writeFileAtomic(h.logPath, b, 0o600)
}

// Measure extends the policy PCR with SHA-256 of a compiled binary policy and
// logs the hash.
func (h *Host) Measure(ctx context.Context, binaryPolicy []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tpm()
	if t == nil {
		return fmt.Errorf("%w: host TPM closed", ErrBadState)
	}
	d := sha256.Sum256(binaryPolicy)
	if err := extendPCR(t, tpm2.TPMAlgSHA256, PolicyPCR, d[:]); err != nil {
		return fmt.Errorf("vtpm: measure policy: %w", err)
	}
	h.events = append(h.events, hex.EncodeToString(d[:]))
	if err := h.saveLog(); err != nil {
		return fmt.Errorf("vtpm: measured, but the event log could not be saved: %w", err)
	}
	return nil
}

// Attest quotes the policy PCR with the verifier's nonce (16…64 bytes).
func (h *Host) Attest(ctx context.Context, nonce []byte) (HostEvidence, error) {
	if len(nonce) < MinNonce || len(nonce) > MaxNonce {
		return HostEvidence{}, fmt.Errorf("%w: nonce must have %d to %d bytes", ErrInvalid, MinNonce, MaxNonce)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tpm()
	if t == nil {
		return HostEvidence{}, fmt.Errorf("%w: host TPM closed", ErrBadState)
	}
	ev, err := quote(t, nonce, tpm2.TPMAlgSHA256, []int{PolicyPCR})
	if err != nil {
		return HostEvidence{}, fmt.Errorf("vtpm: attest policy: %w", err)
	}
	he := HostEvidence{
		Quoted:      ev.Quoted,
		Signature:   ev.Signature,
		AKPublicPEM: ev.AKPublicPEM,
		PCRValue:    ev.PCRValues[0],
		EventLog:    slices.Clone(h.events),
	}
	if n := len(h.events); n > 0 {
		he.PolicyHash = h.events[n-1]
	}
	return he, nil
}

// Close suspends the host's own TPM so that PCR 10 survives a management
// restart (a device is just closed).
// EventLog returns the hashes (hex) extended into PCR 10 so far, in order.
func (h *Host) EventLog() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.close(ctx)
}

func (h *Host) close(ctx context.Context) error {
	var err error
	if h.inst != nil {
		err = h.inst.Stop(ctx, true)
		h.inst = nil
	}
	if h.dev != nil {
		err = h.dev.Close()
		h.dev = nil
	}
	if err != nil {
		return fmt.Errorf("vtpm: close host TPM: %w", err)
	}
	return nil
}

// ReplayPCR computes the sha256 PCR that the hex digests of events produce
// from zero, for verifiers. It returns nil if an event is not a hex SHA-256.
func ReplayPCR(events []string) []byte {
	pcr := make([]byte, sha256.Size)
	for _, ev := range events {
		d, err := hex.DecodeString(ev)
		if err != nil || len(d) != sha256.Size {
			return nil
		}
		s := sha256.Sum256(append(pcr, d...))
		pcr = s[:]
	}
	return pcr
}
