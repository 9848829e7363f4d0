package swtpm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/vtpm"
)

// installHint is part of every "swtpm missing" error: the fix for the operator.
const installHint = "install it with: apt-get install -y swtpm swtpm-tools"

// Options configure a Backend.
type Options struct {
	// Root is the folder the backend owns (created 0700 when missing).
	Root string
	// Logger receives lifecycle events; nil means logrus' standard logger.
	Logger *logrus.Entry
	// SwtpmPath and SetupPath locate swtpm and swtpm_setup; empty means PATH.
	SwtpmPath string
	SetupPath string
	// LocalCAPath locates swtpm_localca; empty means next to swtpm_setup, then PATH.
	LocalCAPath string
}

// Backend runs TPMs with swtpm. It implements vtpm.Backend; methods are safe for
// concurrent use on different ids.
type Backend struct {
	root    string
	log     *logrus.Entry
	swtpm   string
	setup   string
	localca string
	version string // swtpm version from --print-capabilities

	caMu sync.Mutex // serialises writing the CA configuration and creating the CA

	mu      sync.Mutex
	running map[string]*Instance // nil value: a Start/Adopt in progress
}

var _ vtpm.Backend = (*Backend)(nil)

// New checks that swtpm (with TPM 2.0), swtpm_setup and swtpm_localca are usable
// and prepares Root. Missing tools give an error wrapping vtpm.ErrBackendMissing.
func New(o Options) (*Backend, error) {
	if o.Root == "" {
		return nil, errors.New("swtpm: Options.Root is required")
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, fmt.Errorf("swtpm: root: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	b := &Backend{
		root:    root,
		log:     log.WithField("component", "vtpm/swtpm"),
		running: make(map[string]*Instance),
	}
	if b.swtpm, err = findTool(o.SwtpmPath, "swtpm", ""); err != nil {
		return nil, err
	}
	if b.setup, err = findTool(o.SetupPath, "swtpm_setup", ""); err != nil {
		return nil, err
	}
	if b.localca, err = findTool(o.LocalCAPath, "swtpm_localca", filepath.Dir(b.setup)); err != nil {
		return nil, err
	}
	if b.version, err = checkCapabilities(b.swtpm); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("swtpm: root: %w", err)
	}
	// The folder holds sockets that accept unauthenticated TPM and control
	// commands and the CA's signing key: nobody else may enter it.
	if err := os.Chmod(root, 0o700); err != nil {
		return nil, fmt.Errorf("swtpm: root: %w", err)
	}
	return b, nil
}

// findTool resolves a tool: the explicit path, else dir/name when dir is set and
// holds it, else PATH.
func findTool(explicit, name, dir string) (string, error) {
	p := explicit
	if p == "" && dir != "" {
		if cand := filepath.Join(dir, name); isExecutable(cand) {
			p = cand
		}
	}
	if p == "" {
		lp, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%w: %s not found (%v); %s", vtpm.ErrBackendMissing, name, err, installHint)
		}
		p = lp
	}
	if !isExecutable(p) {
		return "", fmt.Errorf("%w: %s is not an executable file; %s", vtpm.ErrBackendMissing, p, installHint)
	}
	return filepath.Abs(p)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// checkCapabilities runs `swtpm socket --tpm2 --print-capabilities` and requires
// the tpm-2.0 feature; it returns swtpm's version.
func checkCapabilities(swtpm string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, swtpm, "socket", "--tpm2", "--print-capabilities").Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s --print-capabilities: %v; %s", vtpm.ErrBackendMissing, swtpm, err, installHint)
	}
	var caps struct {
		Features []string `json:"features"`
		Version  string   `json:"version"`
	}
	if err := json.Unmarshal(out, &caps); err != nil {
		return "", fmt.Errorf("%w: %s --print-capabilities: %v", vtpm.ErrBackendMissing, swtpm, err)
	}
	if !slices.Contains(caps.Features, "tpm-2.0") {
		return "", fmt.Errorf("%w: %s has no TPM 2.0 support; %s", vtpm.ErrBackendMissing, swtpm, installHint)
	}
	return caps.Version, nil
}

// Version is the swtpm version reported by --print-capabilities.
func (b *Backend) Version() string { return b.version }

// idPattern admits UUIDs and similar names, nothing that could leave Root.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func checkID(id string) error {
	if !idPattern.MatchString(id) || id == caDirName {
		return fmt.Errorf("swtpm: invalid TPM id %q", id)
	}
	return nil
}

// paths of one TPM.
type paths struct {
	dir, state, run                      string
	sock                                 string // folder of the sockets: run, or a short one
	permall, volatile                    string
	dataSock, ctrlSock, pidFile, logFile string
}

func (b *Backend) paths(id string) paths {
	dir := filepath.Join(b.root, id)
	p := paths{dir: dir, state: filepath.Join(dir, "tpm"), run: filepath.Join(dir, "run")}
	p.permall = filepath.Join(p.state, "tpm2-00.permall")
	p.volatile = filepath.Join(p.state, "tpm2-00.volatilestate")
	p.sock = p.run
	if len(filepath.Join(p.run, "data.sock")) > maxSockPath {
		// A unix socket path holds at most 107 bytes; a deep data directory
		// exceeds it. The sockets then live in a short private folder of the
		// system's temporary directory, named after the root and the id, so that
		// an adopting manager finds them again.
		sum := sha256.Sum256([]byte(b.root + "\x00" + id))
		p.sock = filepath.Join(shortSockRoot(), hex.EncodeToString(sum[:8]))
	}
	p.dataSock = filepath.Join(p.sock, "data.sock")
	p.ctrlSock = filepath.Join(p.sock, "ctrl.sock")
	p.pidFile = filepath.Join(p.run, "swtpm.pid")
	p.logFile = filepath.Join(p.run, "swtpm.log")
	return p
}

// mkdirs creates the TPM's folders with mode 0700.
func (p paths) mkdirs() error {
	for _, d := range []string{p.dir, p.state, p.run} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("swtpm: %w", err)
		}
	}
	if p.sock != p.run {
		if err := privateDir(filepath.Dir(p.sock)); err != nil {
			return err
		}
		if err := privateDir(p.sock); err != nil {
			return err
		}
	}
	return nil
}

// shortSockRoot is the folder of the short socket folders: one per user in the
// system's temporary directory (a variable for the tests).
var shortSockRoot = func() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("shypecim-swtpm-%d", os.Getuid()))
}

// privateDir creates dir with mode 0700, or checks that the existing one is a real
// folder of ours that nobody else can enter: the sockets it holds accept
// unauthenticated TPM commands, and the temporary directory is shared.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("swtpm: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("swtpm: socket folder %s is not a private folder of this user", dir)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// reserve marks id busy in this Backend; it fails with ErrRunning when an
// instance runs or is being started.
func (b *Backend) reserve(id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.running[id]; ok {
		return fmt.Errorf("swtpm: %s: %w", id, vtpm.ErrRunning)
	}
	b.running[id] = nil
	return nil
}

// settle records the outcome of a reservation: the instance, or nothing.
func (b *Backend) settle(id string, inst *Instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if inst == nil {
		delete(b.running, id)
		return
	}
	b.running[id] = inst
}

// forget drops inst from the table (after it stopped).
func (b *Backend) forget(id string, inst *Instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running[id] == inst {
		delete(b.running, id)
	}
}

func (b *Backend) instance(id string) *Instance {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running[id]
}

// isBusy says whether id runs in this Backend or in a live swtpm found by its
// pid file (left by an earlier manager).
func (b *Backend) isBusy(id string) bool {
	b.mu.Lock()
	_, ok := b.running[id]
	b.mu.Unlock()
	if ok {
		return true
	}
	pid, _ := b.livePID(b.paths(id))
	return pid != 0
}

// ReadState returns the state files of the stopped TPM id.
func (b *Backend) ReadState(ctx context.Context, id string) (vtpm.Blobs, error) {
	if err := checkID(id); err != nil {
		return vtpm.Blobs{}, err
	}
	if b.isBusy(id) {
		return vtpm.Blobs{}, fmt.Errorf("swtpm: read state of %s: %w", id, vtpm.ErrRunning)
	}
	p := b.paths(id)
	perm, err := os.ReadFile(p.permall)
	if errors.Is(err, os.ErrNotExist) {
		return vtpm.Blobs{}, fmt.Errorf("swtpm: read state of %s: %w", id, vtpm.ErrNoState)
	}
	if err != nil {
		return vtpm.Blobs{}, fmt.Errorf("swtpm: read state: %w", err)
	}
	vol, err := os.ReadFile(p.volatile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return vtpm.Blobs{}, fmt.Errorf("swtpm: read state: %w", err)
	}
	if len(vol) == 0 {
		vol = nil
	}
	return vtpm.Blobs{Permanent: perm, Volatile: vol}, nil
}

// WriteState replaces the state files of the stopped TPM id, creating its
// folders when it is new here (a TPM arriving by migration).
func (b *Backend) WriteState(ctx context.Context, id string, s vtpm.Blobs) error {
	if err := checkID(id); err != nil {
		return err
	}
	if len(s.Permanent) == 0 {
		return fmt.Errorf("swtpm: write state of %s: empty permanent state", id)
	}
	if err := b.reserve(id); err != nil {
		return err
	}
	defer b.settle(id, nil)
	p := b.paths(id)
	if pid, _ := b.livePID(p); pid != 0 {
		return fmt.Errorf("swtpm: write state of %s: %w", id, vtpm.ErrRunning)
	}
	if err := p.mkdirs(); err != nil {
		return err
	}
	if err := writeAtomic(p.permall, s.Permanent); err != nil {
		return err
	}
	if s.Volatile == nil {
		return wipeFile(p.volatile)
	}
	return writeAtomic(p.volatile, s.Volatile)
}

// Destroy stops TPM id if it runs and wipes its state.
func (b *Backend) Destroy(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if inst := b.instance(id); inst != nil {
		if err := inst.Stop(ctx, false); err != nil && !errors.Is(err, vtpm.ErrNotRunning) {
			return fmt.Errorf("swtpm: destroy %s: %w", id, err)
		}
	} else if err := b.reserve(id); err != nil {
		return fmt.Errorf("swtpm: destroy %s: %w", id, err) // a Start is in progress
	} else {
		defer b.settle(id, nil)
		p := b.paths(id)
		if pid, _ := b.livePID(p); pid != 0 {
			// Left by an earlier manager: shut it down before wiping its files.
			inst := &Instance{b: b, id: id, p: p, pid: pid, ctrl: ctrlClient{path: p.ctrlSock}}
			inst.terminate(ctx)
		}
	}
	p := b.paths(id)
	if err := wipeDir(p.state); err != nil {
		return fmt.Errorf("swtpm: destroy %s: %w", id, err)
	}
	if err := os.RemoveAll(p.dir); err != nil {
		return fmt.Errorf("swtpm: destroy %s: %w", id, err)
	}
	if p.sock != p.run {
		os.RemoveAll(p.sock)
	}
	b.log.WithField("tpm", id).Info("TPM state destroyed")
	return nil
}

// writeAtomic writes data to path through a synced temporary file and a rename,
// so a crash leaves the old or the new content, never a torn file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	return nil
}

// wipeFile overwrites a regular file with zeros, syncs it and removes it. A
// missing file is not an error.
func wipeFile(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	if fi.Mode().IsRegular() && fi.Size() > 0 {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("swtpm: %w", err)
		}
		_, werr := f.Write(make([]byte, fi.Size()))
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			return fmt.Errorf("swtpm: wipe %s: %w", path, err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("swtpm: %w", err)
	}
	return nil
}

// wipeDir wipes every regular file directly in dir (the swtpm state folder is flat).
func wipeDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("swtpm: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if e.Type().IsRegular() {
			errs = append(errs, wipeFile(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// tail returns at most the last n bytes of b, for error messages.
func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
