package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom/cimclient"
	"github.com/shypecim/shypecim/hypervisor"
	"github.com/shypecim/shypecim/providers/secpolicy"
	"github.com/shypecim/shypecim/providers/toolstack"
	"github.com/shypecim/shypecim/providers/tpm"
	"github.com/shypecim/shypecim/vtpm"
	"github.com/shypecim/shypecim/vtpm/swtpm"
)

// vtpms is the vTPM side of the server: the manager under <data>/vtpm with its
// swtpm backend, and the host TPM that measures the enforced policies (its own
// swtpm, or the device of --host-tpm). Without swtpm the manager has no backend:
// every vTPM operation answers 32770 with how to install it.
type vtpms struct {
	mgr        *vtpm.Manager
	host       *vtpm.Host
	log        *logrus.Entry
	hasBackend bool
}

// openVTPMs opens the manager (resuming the vTPMs a clean shutdown parked, or
// adopting those a crash left running) and the host TPM; resetHost is a host boot,
// which starts the host's measurements anew.
func openVTPMs(ctx context.Context, dataDir string, resetHost bool, hostDevice string, log *logrus.Entry) (*vtpms, error) {
	v := &vtpms{log: log}
	root := filepath.Join(dataDir, "vtpm")
	var backend vtpm.Backend
	b, err := swtpm.New(swtpm.Options{Root: filepath.Join(root, "swtpm"), Logger: log})
	switch {
	case err == nil:
		backend, v.hasBackend = b, true
	case errors.Is(err, vtpm.ErrBackendMissing):
		log.Warn("vTPMs disabled: swtpm is not installed; add them with: apt-get install -y swtpm swtpm-tools")
	default:
		return nil, fmt.Errorf("starting the swtpm backend: %w", err)
	}
	v.mgr, err = vtpm.Open(ctx, vtpm.Options{Root: root, Backend: backend, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("opening the vTPM manager: %w", err)
	}
	if backend != nil || hostDevice != "" {
		v.host, err = vtpm.OpenHost(ctx, vtpm.HostOptions{Backend: backend, Root: filepath.Join(root, "host"), Device: hostDevice, Reset: resetHost})
		if err != nil {
			v.mgr.Close(ctx)
			return nil, fmt.Errorf("opening the host TPM: %w", err)
		}
	}
	return v, nil
}

// reconcile brings every vTPM into its domain's state: after a host boot every
// domain is halted, after a crash a vTPM may not have been adopted.
func (v *vtpms) reconcile(ctx context.Context, ts *toolstack.Toolstack) {
	for _, t := range v.mgr.List() {
		if t.Migration != vtpm.Resident {
			continue
		}
		d, err := ts.Domain(ctx, t.Domain)
		var step func(context.Context, string) error
		switch {
		case errors.Is(err, hypervisor.ErrNoDomain):
			continue
		case err != nil:
			v.log.WithError(err).Warn("vTPM of an unknown domain")
			continue
		case d.State.Live() && t.State != vtpm.Running:
			step = v.mgr.DomainStarted
		case d.State == hypervisor.Suspended && t.State == vtpm.Running:
			step = v.mgr.DomainSuspended
		case d.State == hypervisor.Halted && t.State != vtpm.Stopped:
			step = v.mgr.DomainStopped
		}
		if step != nil {
			if err := step(ctx, t.Domain); err != nil {
				v.log.WithError(err).WithField("domain", d.Name).Warn("the vTPM could not follow its domain")
			}
		}
	}
}

// measure extends the host's PCR 10 with the policy binary (toolstack.Options.PolicyChanged).
func (v *vtpms) measure(ctx context.Context, binary []byte) {
	if v.host == nil {
		return
	}
	if err := v.host.Measure(ctx, binary); err != nil {
		v.log.WithError(err).Error("the host TPM could not measure the policy")
	}
}

// close parks the running vTPMs and the host TPM so that the next start resumes
// them with their PCRs, leaving no swtpm process behind.
func (v *vtpms) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if v.host != nil {
		if err := v.host.Close(ctx); err != nil {
			v.log.WithError(err).Warn("closing the host TPM")
		}
	}
	if err := v.mgr.Close(ctx); err != nil {
		v.log.WithError(err).Warn("closing the vTPM manager")
	}
}

// attestor adapts the host TPM to Xen_SecurityService.AttestPolicy.
type attestor struct{ h *vtpm.Host }

func (a attestor) AttestPolicy(ctx context.Context, nonce []byte) (secpolicy.PolicyEvidence, error) {
	ev, err := a.h.Attest(ctx, nonce)
	if err != nil {
		return secpolicy.PolicyEvidence{}, err
	}
	return secpolicy.PolicyEvidence{Quote: ev.Quoted, Signature: ev.Signature, AKPublicPEM: ev.AKPublicPEM,
		PolicyHash: ev.PolicyHash, PCRValue: ev.PCRValue, EventLog: ev.EventLog}, nil
}

// dialCIM opens a CIM-XML client to another server for MigrateVTPM.
func dialCIM(url, user, password string) (tpm.Remote, error) {
	opts := []cimclient.Option{cimclient.WithHTTPClient(&http.Client{Timeout: 60 * time.Second})}
	if user != "" {
		opts = append(opts, cimclient.WithAuth(user, password))
	}
	return cimclient.New(url, opts...)
}

// manager is the manager as the vTPM provider takes it: nil when swtpm is missing,
// so that every vTPM method answers 32770.
func (v *vtpms) manager() tpm.Manager {
	if !v.hasBackend {
		return nil
	}
	return v.mgr
}

// measureAtStart measures the enforced policy unless the host's event log already
// ends with it (a management restart): after a host boot, or with a fresh host
// TPM, the log starts anew.
func (v *vtpms) measureAtStart(ctx context.Context, binary []byte) {
	if v.host == nil {
		return
	}
	sum := sha256.Sum256(binary)
	if log := v.host.EventLog(); len(log) > 0 && log[len(log)-1] == hex.EncodeToString(sum[:]) {
		return
	}
	v.measure(ctx, binary)
}
