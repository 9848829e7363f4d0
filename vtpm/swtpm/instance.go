package swtpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-tpm/tpm2"

	"github.com/shypecim/shypecim/vtpm"
)

// Timeouts of the process lifecycle (vtpm.md §6.4).
const (
	readyTimeout = 5 * time.Second // spawn → data socket accepting
	exitTimeout  = 2 * time.Second // SHUTDOWN → process gone, before SIGTERM
	termTimeout  = 1 * time.Second // SIGTERM → process gone, before SIGKILL
	probeTimeout = 2 * time.Second // Adopt's sanity command
	maxSockPath  = len(syscall.RawSockaddrUnix{}.Path) - 1
)

// Instance is one running swtpm. It implements vtpm.Instance.
type Instance struct {
	b    *Backend
	id   string
	p    paths
	pid  int
	ctrl ctrlClient
	data *stream

	// done is closed when the child was reaped; nil for an adopted process,
	// which is not our child and is watched through /proc instead.
	done chan struct{}

	mu      sync.Mutex
	stopped bool
}

var _ vtpm.Instance = (*Instance)(nil)

// Send implements transport.TPM: one TPM 2.0 command, its whole response.
func (in *Instance) Send(cmd []byte) ([]byte, error) {
	if in.data == nil {
		return nil, fmt.Errorf("swtpm: %s: %w", in.id, vtpm.ErrNotRunning)
	}
	return in.data.Send(cmd)
}

// PID is the swtpm process id, 0 once stopped.
func (in *Instance) PID() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return 0
	}
	return in.pid
}

// Reset power-cycles the TPM (CMD_INIT, dropping any stored volatile state) and
// sends TPM2_Startup(CLEAR): a reboot of the domain. swtpm applies
// --flags startup-clear only at process start, hence the explicit Startup.
func (in *Instance) Reset(ctx context.Context) error {
	if in.isStopped() {
		return fmt.Errorf("swtpm: reset %s: %w", in.id, vtpm.ErrNotRunning)
	}
	if err := in.ctrl.Init(ctx, initDeleteVolatile); err != nil {
		return fmt.Errorf("swtpm: reset %s: %w", in.id, err)
	}
	if err := startupClear(in); err != nil {
		return fmt.Errorf("swtpm: reset %s: %w", in.id, err)
	}
	return nil
}

// startupClear sends TPM2_Startup(CLEAR); TPM_RC_INITIALIZE means it is already
// started, which is what we want.
func startupClear(t *Instance) error {
	_, err := tpm2.Startup{StartupType: tpm2.TPMSUClear}.Execute(t)
	if err != nil && !errors.Is(err, tpm2.TPMRCInitialize) {
		return fmt.Errorf("TPM2_Startup: %w", err)
	}
	return nil
}

func (in *Instance) isStopped() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stopped
}

// Stop ends the process: with suspend after STORE_VOLATILE (so a Start with
// Resume continues), else after dropping any kept volatile state. SHUTDOWN
// first, then SIGTERM and SIGKILL when the process does not leave in time.
func (in *Instance) Stop(ctx context.Context, suspend bool) error {
	in.mu.Lock()
	if in.stopped {
		in.mu.Unlock()
		return fmt.Errorf("swtpm: stop %s: %w", in.id, vtpm.ErrNotRunning)
	}
	in.mu.Unlock()
	log := in.b.log.WithField("tpm", in.id).WithField("pid", in.pid)
	if suspend {
		// A failed store must not be followed by a shutdown: the TPM would
		// lose its volatile state. The instance stays usable.
		if err := in.ctrl.StoreVolatile(ctx); err != nil {
			return fmt.Errorf("swtpm: suspend %s: %w", in.id, err)
		}
	}
	in.mu.Lock()
	in.stopped = true
	in.mu.Unlock()
	graceful := in.terminate(ctx)
	in.b.forget(in.id, in)
	in.removeRunFiles()
	if !suspend {
		if err := wipeFile(in.p.volatile); err != nil {
			return err
		}
	}
	if !graceful {
		log.Warn("swtpm did not shut down on request and was killed")
	}
	log.WithField("suspend", suspend).Info("TPM stopped")
	return nil
}

// terminate ends the process: control SHUTDOWN, then SIGTERM, then SIGKILL. It
// reports whether the process left on SHUTDOWN. It always closes the data channel.
func (in *Instance) terminate(ctx context.Context) bool {
	defer func() {
		if in.data != nil {
			in.data.Close()
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, exitTimeout)
	defer cancel()
	// An error here mostly means the process is already gone; the wait decides.
	_ = in.ctrl.Shutdown(sctx)
	if in.waitExit(sctx) {
		return true
	}
	// Signals go to the pid only: swtpm does not fork, and pid reuse is bounded
	// by the liveness checks in waitExit.
	if in.alive() {
		_ = syscall.Kill(in.pid, syscall.SIGTERM)
	}
	tctx, tcancel := context.WithTimeout(context.Background(), termTimeout)
	defer tcancel()
	if in.waitExit(tctx) {
		return false
	}
	if in.alive() {
		_ = syscall.Kill(in.pid, syscall.SIGKILL)
	}
	kctx, kcancel := context.WithTimeout(context.Background(), termTimeout)
	defer kcancel()
	in.waitExit(kctx)
	return false
}

// alive says whether the process still runs (not reaped, not a zombie).
func (in *Instance) alive() bool {
	if in.done != nil {
		select {
		case <-in.done:
			return false
		default:
			return true
		}
	}
	return processAlive(in.pid)
}

// waitExit waits until the process is gone or ctx ends; it reports whether it is gone.
func (in *Instance) waitExit(ctx context.Context) bool {
	if in.done != nil {
		select {
		case <-in.done:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		if !processAlive(in.pid) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
	}
}

// removeRunFiles removes the sockets and the pid file of a dead process; the
// log stays for diagnosis.
func (in *Instance) removeRunFiles() { removeRunFiles(in.p) }

func removeRunFiles(p paths) {
	for _, f := range []string{p.dataSock, p.ctrlSock, p.pidFile} {
		os.Remove(f)
	}
}

// processAlive says whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may contain spaces.
	i := bytes.LastIndexByte(st, ')')
	if i < 0 || i+2 >= len(st) {
		return false
	}
	return st[i+2] != 'Z' && st[i+2] != 'X'
}

// livePID returns the pid from the TPM's pid file when that process is alive and
// is a swtpm on this TPM's state folder; 0 otherwise.
func (b *Backend) livePID(p paths) (int, error) {
	raw, err := os.ReadFile(p.pidFile)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("swtpm: bad pid file %s", p.pidFile)
	}
	if !processAlive(pid) {
		return 0, fmt.Errorf("swtpm: process %d is gone", pid)
	}
	if !isOurSwtpm(pid, p.state) {
		return 0, fmt.Errorf("swtpm: process %d is not swtpm on %s", pid, p.state)
	}
	return pid, nil
}

// isOurSwtpm checks /proc/<pid>/cmdline: a swtpm whose --tpmstate is state (a
// reused pid would not match).
func isOurSwtpm(pid int, state string) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if len(args) < 2 || filepath.Base(args[0]) != "swtpm" || args[1] != "socket" {
		return false
	}
	want := tpmstateArg(state)
	for i, a := range args {
		if a == "--tpmstate" && i+1 < len(args) && args[i+1] == want {
			return true
		}
	}
	return false
}

func tpmstateArg(state string) string { return "dir=" + state + ",mode=0600" }

// Start runs TPM id. Without Resume it powers on fresh (Startup CLEAR, PCRs
// zero, a kept volatile state is dropped); with Resume it continues from the
// volatile state its last Stop(suspend) kept.
func (b *Backend) Start(ctx context.Context, id string, o vtpm.StartOptions) (vtpm.Instance, error) {
	inst, err := b.start(ctx, id, o.Resume)
	if err != nil {
		return nil, err
	}
	return inst, nil
}

func (b *Backend) start(ctx context.Context, id string, resume bool) (*Instance, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := b.reserve(id); err != nil {
		return nil, err
	}
	var inst *Instance
	defer func() { b.settle(id, inst) }()
	p := b.paths(id)
	if !exists(p.permall) {
		return nil, fmt.Errorf("swtpm: start %s: %w", id, vtpm.ErrNoState)
	}
	if pid, _ := b.livePID(p); pid != 0 {
		return nil, fmt.Errorf("swtpm: start %s: process %d runs it (adopt it): %w", id, pid, vtpm.ErrRunning)
	}
	if resume {
		if !exists(p.volatile) {
			return nil, fmt.Errorf("swtpm: resume %s: %w", id, vtpm.ErrNoVolatileState)
		}
	} else if err := wipeFile(p.volatile); err != nil {
		// A fresh power-on must not pick up a suspended state.
		return nil, err
	}
	if err := p.mkdirs(); err != nil {
		return nil, err
	}
	removeRunFiles(p)
	in, err := b.spawn(ctx, id, p, resume)
	if err != nil {
		return nil, err
	}
	inst = in
	b.log.WithField("tpm", id).WithField("pid", in.pid).WithField("resume", resume).Info("TPM started")
	return inst, nil
}

// spawn starts `swtpm socket` as a child in its own process group (a Ctrl-C to
// the server must not kill the TPMs behind the manager's back), waits for the
// data socket and checks the TPM answers.
func (b *Backend) spawn(ctx context.Context, id string, p paths, resume bool) (*Instance, error) {
	args := []string{"socket", "--tpm2",
		"--tpmstate", tpmstateArg(p.state),
		"--server", "type=unixio,path=" + p.dataSock + ",mode=0600",
		"--ctrl", "type=unixio,path=" + p.ctrlSock + ",mode=0600",
		"--pid", "file=" + p.pidFile,
		// level 1 logs errors and lifecycle, never command or state bytes.
		"--log", "file=" + p.logFile + ",level=1",
	}
	if !resume {
		args = append(args, "--flags", "not-need-init,startup-clear")
	}
	logf, err := os.OpenFile(p.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("swtpm: %w", err)
	}
	logStart, _ := logf.Seek(0, 2)
	cmd := exec.Command(b.swtpm, args...)
	// Not CommandContext: the TPM outlives the request that started it.
	cmd.Stdout, cmd.Stderr = logf, logf // a file, not a pipe: no SIGPIPE after a manager crash
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	logf.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: starting %s: %v", vtpm.ErrBackendMissing, b.swtpm, err)
	}
	in := &Instance{b: b, id: id, p: p, pid: cmd.Process.Pid, ctrl: ctrlClient{path: p.ctrlSock}, done: make(chan struct{})}
	go func() {
		cmd.Wait() // reap; the exit status is in the log
		close(in.done)
	}()
	fail := func(err error) (*Instance, error) {
		in.stopped = true
		in.terminate(context.Background())
		removeRunFiles(p)
		return nil, fmt.Errorf("swtpm: start %s: %w%s", id, err, logTail(p.logFile, logStart))
	}
	conn, err := dialReady(ctx, p.dataSock, in.done)
	if err != nil {
		return fail(err)
	}
	in.data = newStream(conn)
	if resume {
		// Without flags the TPM is off until CMD_INIT, which resumes the stored
		// volatile state; no Startup then.
		if err := in.ctrl.Init(ctx, 0); err != nil {
			return fail(fmt.Errorf("resume: %w", err))
		}
		// swtpm 0.7.1 keeps tpm2-00.volatilestate after resuming from it, and
		// a later CMD_INIT (even with DELETE_VOLATILE, which deletes only after
		// loading) or a Resume after a crash would go back to this stale
		// state [verified]. It has been consumed: wipe it.
		if err := wipeFile(p.volatile); err != nil {
			return fail(err)
		}
	}
	if err := sanity(in); err != nil {
		return fail(err)
	}
	return in, nil
}

// dialReady connects to the data socket, polling with a short backoff until swtpm
// listens, the process exits, ctx ends or readyTimeout passes.
func dialReady(ctx context.Context, path string, exited <-chan struct{}) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var d net.Dialer
	var last error
	for delay := 500 * time.Microsecond; ; delay = min(2*delay, 20*time.Millisecond) {
		conn, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			return conn, nil
		}
		last = err
		select {
		case <-exited:
			return nil, errors.New("swtpm exited during start")
		case <-ctx.Done():
			return nil, fmt.Errorf("data socket not ready: %w (%v)", ctx.Err(), last)
		case <-time.After(delay):
		}
	}
}

// sanity checks that the TPM executes commands.
func sanity(t *Instance) error {
	_, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTManufacturer),
		PropertyCount: 1,
	}.Execute(t)
	if err != nil {
		return fmt.Errorf("sanity GetCapability: %w", err)
	}
	return nil
}

// logTail returns the swtpm log written since offset, for error messages.
func logTail(path string, offset int64) string {
	raw, err := os.ReadFile(path)
	if err != nil || int64(len(raw)) <= offset {
		return ""
	}
	if t := tail(raw[offset:], 400); t != "" {
		return " (swtpm log: " + t + ")"
	}
	return ""
}

// Adopt reattaches to TPM id left running by an earlier manager process. A dead
// or foreign process gives ErrNotRunning after the stale run files are removed;
// a live swtpm of ours that does not answer is shut down first.
func (b *Backend) Adopt(ctx context.Context, id string) (vtpm.Instance, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := b.reserve(id); err != nil {
		return nil, err
	}
	var inst *Instance
	defer func() { b.settle(id, inst) }()
	p := b.paths(id)
	pid, err := b.livePID(p)
	if pid == 0 {
		removeRunFiles(p)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			err = errors.New("no pid file")
		}
		return nil, fmt.Errorf("swtpm: adopt %s: %v: %w", id, err, vtpm.ErrNotRunning)
	}
	in := &Instance{b: b, id: id, p: p, pid: pid, ctrl: ctrlClient{path: p.ctrlSock}}
	dctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "unix", p.dataSock)
	if err == nil {
		in.data = newStream(conn)
		// The probe must not hang on a swtpm still serving another client:
		// closing the connection at the deadline fails the Send.
		stop := context.AfterFunc(dctx, func() { in.data.Close() })
		err = sanity(in)
		if !stop() && err == nil {
			err = dctx.Err()
		}
	}
	if err != nil {
		// Ours but unusable: it would keep the state locked forever.
		in.stopped = true
		in.terminate(ctx)
		removeRunFiles(p)
		return nil, fmt.Errorf("swtpm: adopt %s: process %d does not answer (%v), shut down: %w", id, pid, err, vtpm.ErrNotRunning)
	}
	inst = in
	b.log.WithField("tpm", id).WithField("pid", pid).Info("TPM adopted")
	return inst, nil
}
