package tests

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
)

// More vTPM end-to-end tests through CIM: a crash of shyped with its swtpm
// processes left running (adoption) or killed too (cleanup), a migration locked
// by an export then aborted and one done by hand step by step with replays, and a
// server that cannot find swtpm.

// shypedOn starts shyped on a free loopback port with the data directory data
// and, when env is not nil, exactly that environment; like startServer it waits
// until the server listens, and the test's cleanup stops it with SIGTERM if it
// still runs.
func shypedOn(t *testing.T, data string, env []string) *server {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "shyped"), "--listen", "127.0.0.1:0", "--data", data)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, notify: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			s.mu.Lock()
			s.all = append(s.all, sc.Text())
			s.mu.Unlock()
			s.poke()
		}
		s.mu.Lock()
		s.eof = true
		s.mu.Unlock()
		s.poke()
		close(s.done)
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
			}
			cmd.Wait()
		}
	})
	m := servingRx.FindStringSubmatch(s.waitFor(t, "serving"))
	if m == nil {
		t.Fatal("shyped logged no address")
	}
	s.addr = m[1]
	return s
}

// crash kills shyped with SIGKILL, as a crash would end it: it gets no chance to
// park its swtpm processes, which run in their own process groups.
func crash(t *testing.T, s *server) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
	s.cmd.Wait()
}

// alive says whether pid is a live process (not a zombie).
func alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitDead waits until pid has gone: the process is not the test's child, so
// there is nothing to wait on but its disappearance.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive after SIGKILL", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// swtpmPID is the pid in the pid file of the vTPM with the given UUID under
// data (0 when there is no pid file), and whether a live swtpm has that pid.
func swtpmPID(t *testing.T, data, uuid string) (pid int, live bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "vtpm", "swtpm", "*", "run", "swtpm.pid"))
	for _, f := range files {
		if !strings.Contains(strings.ToLower(f), strings.ToLower(uuid)) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, false
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return pid, alive(pid) && strings.Contains(string(cmdline), "swtpm")
	}
	return 0, false
}

// vtpmCall invokes a method and returns its return value as a string ("" when
// the call raised a CIM error, which is then err) and its OUT parameters by name
// in lower case.
func vtpmCall(t *testing.T, cl *cimclient.Client, target *cim.ObjectPath, method string, in ...cim.ParamValue) (string, map[string]any, error) {
	t.Helper()
	ret, out, err := cl.InvokeMethod(context.Background(), target, method, in)
	if err != nil {
		return "", nil, err
	}
	m := make(map[string]any)
	for _, p := range out {
		m[strings.ToLower(p.Name)] = p.Value
	}
	return fmt.Sprint(ret), m, nil
}

// mustCall is vtpmCall that fails the test unless the method returned 0.
func mustCall(t *testing.T, cl *cimclient.Client, target *cim.ObjectPath, method string, in ...cim.ParamValue) map[string]any {
	t.Helper()
	ret, out, err := vtpmCall(t, cl, target, method, in...)
	if err != nil || ret != "0" {
		t.Fatalf("%s = %q %v %v", method, ret, out, err)
	}
	return out
}

func strParam(name, v string) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeString, Value: v}
}

// vtpmSvcOf is the path of the server's Xen_VTPMManagementService.
func vtpmSvcOf(t *testing.T, cl *cimclient.Client) *cim.ObjectPath {
	t.Helper()
	paths, err := cl.EnumerateInstanceNames(context.Background(), "root/cimv2", "Xen_VTPMManagementService")
	if err != nil || len(paths) != 1 {
		t.Fatalf("Xen_VTPMManagementService: %d instances, %v", len(paths), err)
	}
	return paths[0]
}

// defineAs defines a halted domain name with the given UUID ("" lets the server
// choose) and returns its path.
func defineAs(t *testing.T, cl *cimclient.Client, vsms *cim.ObjectPath, name, uuid string) *cim.ObjectPath {
	t.Helper()
	in := defineParams(name, "", "")
	if uuid != "" {
		vssd := in[0].Value.(*cim.Instance)
		vssd.Properties = append(vssd.Properties, strProp("VirtualSystemIdentifier", uuid))
	}
	out := mustCall(t, cl, vsms, "DefineSystem", in...)
	for k, v := range out {
		if k == "resultingsystem" {
			if ref, ok := v.(*cim.ObjectPath); ok {
				return ref
			}
		}
	}
	t.Fatalf("DefineSystem %s: no ResultingSystem in %v", name, out)
	return nil
}

// newVTPM creates the vTPM of the halted domain dom and returns its path.
func newVTPM(t *testing.T, cl *cimclient.Client, svc, dom *cim.ObjectPath) *cim.ObjectPath {
	t.Helper()
	out := mustCall(t, cl, svc, "CreateVTPM", refParam("System", dom))
	ref, ok := out["vtpm"].(*cim.ObjectPath)
	if !ok {
		t.Fatalf("CreateVTPM: no VTPM in %v", out)
	}
	return ref
}

// props reads the named properties of the instance at path, as strings.
func props(t *testing.T, cl *cimclient.Client, path *cim.ObjectPath, names ...string) []string {
	t.Helper()
	inst, err := cl.GetInstance(context.Background(), path)
	if err != nil {
		t.Fatalf("GetInstance %v: %v", path, err)
	}
	vs := make([]string, len(names))
	for i, n := range names {
		if p := inst.Property(n); p != nil && p.Value != nil {
			vs[i] = fmt.Sprint(p.Value)
		}
	}
	return vs
}

// readPCR reads one sha256 PCR through ReadPCRs: its value in hex, or the
// non-zero return value and message of a refused read.
func readPCR(t *testing.T, cl *cimclient.Client, svc, vt *cim.ObjectPath, pcr uint32) (value, ret, msg string) {
	t.Helper()
	ret, out, err := vtpmCall(t, cl, svc, "ReadPCRs", refParam("VTPM", vt), strParam("Bank", "sha256"),
		cim.ParamValue{Name: "PCRs", Type: cim.TypeUint32, IsArray: true, Value: []any{pcr}})
	if err != nil {
		t.Fatalf("ReadPCRs: %v", err)
	}
	if ret != "0" {
		return "", ret, fmt.Sprint(out["message"])
	}
	vs, ok := out["values"].([]any)
	if !ok || len(vs) != 1 {
		t.Fatalf("ReadPCRs returned 0 with Values %v", out["values"])
	}
	return strings.ToLower(fmt.Sprint(vs[0])), ret, ""
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// shortDir is a fresh data directory with a short path: the test's name would
// make t.TempDir's too long for swtpm's unix sockets (108 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vtpm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestVTPMCrashAdoption: after a crash of shyped the next one adopts the vTPM's
// still running swtpm with its PCRs (vtpm.md §6.4 "Manager restart"); when the
// swtpm died with it, the next one cleans up and the vTPM follows its domain.
func TestVTPMCrashAdoption(t *testing.T) {
	data := t.TempDir()
	noProcessesLeft(t, data)
	s := shypedOn(t, data, nil)
	requireVTPM(t, s)
	cl := cimClient(t, s)
	_, vsms := benchPaths(t)
	svc := vtpmSvcOf(t, cl)
	dom := defineAs(t, cl, vsms, "crashy", "")
	vt := newVTPM(t, cl, svc, dom)
	mustCall(t, cl, dom, "RequestStateChange", stateParam(2)...)
	m := sha256.Sum256([]byte("crashy kernel"))
	extendPCR(t, s, "crashy", 16, m[:])
	want := hexOf(extended(zeroPCR, m[:]))
	if v, ret, msg := readPCR(t, cl, svc, vt, 16); v != want {
		t.Fatalf("PCR16 after ExtendPCR = %q (%s %s), want %s", v, ret, msg, want)
	}
	uuid := props(t, cl, vt, "UUID")[0]
	pid, live := swtpmPID(t, data, uuid)
	if !live {
		t.Fatalf("no live swtpm for the running vTPM %s (pid file: %d)", uuid, pid)
	}

	// First crash: swtpm survives and is adopted with its PCRs.
	crash(t, s)
	if !alive(pid) {
		t.Fatalf("swtpm %d died with shyped; it should run in its own process group", pid)
	}
	s = shypedOn(t, data, nil)
	cl = cimClient(t, s)
	if got := props(t, cl, dom, "EnabledState")[0]; got != "2" {
		t.Errorf("domain EnabledState %q after the crash, want 2 (it kept running)", got)
	}
	if got := props(t, cl, vt, "EnabledState", "MigrationState"); got[0] != "2" || got[1] != "2" {
		t.Errorf("vTPM EnabledState, MigrationState = %v after the crash, want [2 2] (adopted)", got)
	}
	if v, ret, msg := readPCR(t, cl, svc, vt, 16); v != want {
		t.Errorf("PCR16 after adoption = %q (%s %s), want %s", v, ret, msg, want)
	}
	if p, live := swtpmPID(t, data, uuid); p != pid || !live {
		t.Errorf("swtpm after adoption: pid %d live %v, want the adopted %d", p, live, pid)
	}

	// Second crash, and swtpm is killed too: the vTPM is not adopted, its stale
	// run files are cleaned up, and its state matches its process.
	crash(t, s)
	pid, _ = swtpmPID(t, data, uuid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing swtpm %d: %v", pid, err)
	}
	waitDead(t, pid)
	s = shypedOn(t, data, nil)
	cl = cimClient(t, s)
	domState := props(t, cl, dom, "EnabledState")[0]
	got := props(t, cl, vt, "EnabledState", "MigrationState")
	p, live := swtpmPID(t, data, uuid)
	t.Logf("after the second crash: domain %s, vTPM EnabledState %s, swtpm pid %d live %v", domState, got[0], p, live)
	if got[1] != "2" {
		t.Errorf("vTPM MigrationState %q after the second crash, want 2", got[1])
	}
	switch got[0] {
	case "2":
		if !live || p == pid {
			t.Errorf("vTPM reads running but its swtpm is pid %d (live %v; the killed one was %d)", p, live, pid)
		}
		if v, ret, msg := readPCR(t, cl, svc, vt, 16); v != hexOf(zeroPCR) {
			t.Errorf("PCR16 of the restarted vTPM = %q (%s %s), want zero (a fresh TPM reset)", v, ret, msg)
		}
	case "3":
		if live {
			t.Errorf("vTPM reads stopped but swtpm %d runs", p)
		}
		if domState == "2" {
			t.Errorf("the domain runs but its vTPM is stopped: a vTPM follows its domain (cim-model.md §3)")
		}
		if v, ret, _ := readPCR(t, cl, svc, vt, 16); ret == "0" {
			t.Errorf("ReadPCRs of a stopped vTPM answered 0 with %q", v)
		}
	default:
		t.Errorf("vTPM EnabledState %q after the second crash, want 2 or 3", got[0])
	}
	if domState == "2" && got[0] != "2" {
		t.Errorf("domain running with vTPM EnabledState %s", got[0])
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("shyped exit %d after SIGTERM; log:\n%s", code, strings.Join(s.log, "\n"))
	}
}

// TestVTPMMigrationAbortAndReplay drives the migration methods one by one
// (cim-model.md §3, vtpm.md §6.8): an export locks the source until an abort
// unlocks it with its PCRs; a full exchange succeeds, and neither the import nor
// the commit can be replayed.
func TestVTPMMigrationAbortAndReplay(t *testing.T) {
	srcData, dstData := shortDir(t), shortDir(t)
	noProcessesLeft(t, srcData, dstData)
	src := vtpmServer(t, srcData)
	requireVTPM(t, src)
	dst := vtpmServer(t, dstData)
	cs, cd := cimClient(t, src), cimClient(t, dst)
	_, vsms := benchPaths(t)
	svcS, svcD := vtpmSvcOf(t, cs), vtpmSvcOf(t, cd)

	// The source domain runs with its vTPM, extends a PCR, and is suspended.
	dom := defineAs(t, cs, vsms, "mover", "")
	vt := newVTPM(t, cs, svcS, dom)
	mustCall(t, cs, dom, "RequestStateChange", stateParam(2)...)
	m := sha256.Sum256([]byte("mover kernel"))
	extendPCR(t, src, "mover", 16, m[:])
	want := hexOf(extended(zeroPCR, m[:]))
	mustCall(t, cs, dom, "RequestStateChange", stateParam(6)...)
	uuid, _ := dom.Key("Name")
	ddom := defineAs(t, cd, vsms, "mover", fmt.Sprint(uuid))
	if got, _ := ddom.Key("Name"); !strings.EqualFold(fmt.Sprint(got), fmt.Sprint(uuid)) {
		t.Fatalf("destination domain %v, want the source's UUID %v", got, uuid)
	}

	prepare := func() (id, key string) {
		t.Helper()
		out := mustCall(t, cd, svcD, "PrepareIncomingVTPM", refParam("System", ddom))
		id, key = fmt.Sprint(out["migrationid"]), fmt.Sprint(out["destinationkey"])
		if id == "" || key == "" {
			t.Fatalf("PrepareIncomingVTPM: MigrationID %q DestinationKey %q", id, key)
		}
		return id, key
	}
	export := func(id, key string) string {
		t.Helper()
		out := mustCall(t, cs, svcS, "ExportVTPM", refParam("VTPM", vt), strParam("MigrationID", id), strParam("DestinationKey", key))
		blob := fmt.Sprint(out["blob"])
		if _, err := base64.StdEncoding.DecodeString(blob); err != nil || blob == "" {
			t.Fatalf("ExportVTPM: Blob %.40q… is not base64: %v", blob, err)
		}
		return blob
	}
	refused := func(what, ret string, out map[string]any, err error) {
		t.Helper()
		if err == nil && (ret == "0" || ret == "") {
			t.Errorf("%s was accepted: %q %v", what, ret, out)
		}
		t.Logf("%s: refused with %q %v %v", what, ret, out["message"], err)
	}

	// Export locks the source: no second vTPM, no resume.
	id1, key1 := prepare()
	export(id1, key1)
	if got := props(t, cs, vt, "MigrationState")[0]; got != "3" {
		t.Errorf("source MigrationState %q after ExportVTPM, want 3 (migrating)", got)
	}
	ret, out, err := vtpmCall(t, cs, svcS, "CreateVTPM", refParam("System", dom))
	refused("CreateVTPM of the locked domain", ret, out, err)
	ret, out, err = vtpmCall(t, cs, dom, "RequestStateChange", stateParam(2)...)
	refused("resuming the domain of a locked vTPM", ret, out, err)
	if got := props(t, cs, vt, "EnabledState", "MigrationState"); got[0] == "2" || got[1] != "3" {
		t.Errorf("locked vTPM EnabledState, MigrationState = %v after the refused resume, want not running and 3", got)
	}

	// Abort unlocks it; the domain resumes with its vTPM and PCRs.
	mustCall(t, cs, svcS, "AbortVTPMMigration", refParam("VTPM", vt), strParam("MigrationID", id1))
	if got := props(t, cs, vt, "MigrationState")[0]; got != "2" {
		t.Errorf("source MigrationState %q after AbortVTPMMigration, want 2 (resident)", got)
	}
	mustCall(t, cs, dom, "RequestStateChange", stateParam(2)...)
	if got := props(t, cs, vt, "EnabledState")[0]; got != "2" {
		t.Errorf("vTPM EnabledState %q after the domain resumed, want 2", got)
	}
	if v, ret, msg := readPCR(t, cs, svcS, vt, 16); v != want {
		t.Errorf("PCR16 after the abort = %q (%s %s), want %s as before the export", v, ret, msg, want)
	}

	// A full exchange by hand.
	mustCall(t, cs, dom, "RequestStateChange", stateParam(6)...)
	id2, key2 := prepare()
	if id2 == id1 {
		t.Errorf("PrepareIncomingVTPM reused the migration id %s", id1)
	}
	blob := export(id2, key2)
	out = mustCall(t, cd, svcD, "ImportVTPM", refParam("System", ddom), strParam("MigrationID", id2), strParam("Blob", blob))
	dvt, ok := out["vtpm"].(*cim.ObjectPath)
	if !ok {
		t.Fatalf("ImportVTPM: no VTPM in %v", out)
	}
	mustCall(t, cs, svcS, "CommitVTPMMigration", refParam("VTPM", vt), strParam("MigrationID", id2))
	if got := props(t, cs, vt, "EnabledState", "MigrationState"); got[0] != "3" || got[1] != "4" {
		t.Errorf("source EnabledState, MigrationState = %v after commit, want [3 4] (tombstone)", got)
	}
	dprops := []string{"UUID", "InstanceNumber", "EnabledState", "MigrationState"}
	before := props(t, cd, dvt, dprops...)
	if !strings.EqualFold(before[0], props(t, cs, vt, "UUID")[0]) || before[3] != "2" {
		t.Errorf("destination vTPM %v %v, want the source's UUID, resident", dprops, before)
	}
	enum := func() int {
		t.Helper()
		paths, err := cd.EnumerateInstanceNames(context.Background(), "root/cimv2", "Xen_VTPM")
		if err != nil {
			t.Fatal(err)
		}
		return len(paths)
	}
	n := enum()

	// Replays are refused and change nothing.
	ret, out, err = vtpmCall(t, cd, svcD, "ImportVTPM", refParam("System", ddom), strParam("MigrationID", id2), strParam("Blob", blob))
	refused("ImportVTPM replayed with the used migration id", ret, out, err)
	if after := props(t, cd, dvt, dprops...); strings.Join(after, " ") != strings.Join(before, " ") || enum() != n {
		t.Errorf("destination vTPM %v after the replayed import, was %v (%d vTPMs, was %d)", after, before, enum(), n)
	}
	for _, id := range []string{id2, id1} {
		ret, out, err = vtpmCall(t, cs, svcS, "CommitVTPMMigration", refParam("VTPM", vt), strParam("MigrationID", id))
		refused("CommitVTPMMigration again with "+id, ret, out, err)
	}
	if got := props(t, cs, vt, "EnabledState", "MigrationState"); got[0] != "3" || got[1] != "4" {
		t.Errorf("source EnabledState, MigrationState = %v after the replayed commits, want [3 4]", got)
	}
	src.stop(t)
	dst.stop(t)
}

// TestVTPMWithoutSwtpm: a shyped that cannot find swtpm serves no vTPM, says
// how to install swtpm, does not register the Virtual TPM profile, and cannot
// attest its policy.
func TestVTPMWithoutSwtpm(t *testing.T) {
	data := t.TempDir()
	noProcessesLeft(t, data)
	s := shypedOn(t, data, []string{"PATH=/nonexistent"})
	cl := cimClient(t, s)
	ctx := context.Background()
	svcSec, vsms := benchPaths(t)
	svc := vtpmSvcOf(t, cl)
	dom := defineAs(t, cl, vsms, "plain", "")

	ret, out, err := vtpmCall(t, cl, svc, "CreateVTPM", refParam("System", dom))
	if err != nil || ret != "32770" || !strings.Contains(fmt.Sprint(out["message"]), "apt-get install") {
		t.Errorf("CreateVTPM without swtpm = %q %v %v, want 32770 with how to install it (apt-get install)", ret, out, err)
	}
	if vs, err := cl.EnumerateInstanceNames(ctx, "root/cimv2", "Xen_VTPM"); err != nil || len(vs) != 0 {
		t.Errorf("Xen_VTPM enumerates %v, %v; want none", vs, err)
	}

	profiles, err := cl.EnumerateInstances(ctx, "interop", "CIM_RegisteredProfile")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, o := range profiles {
		if p := o.Instance.Property("RegisteredName"); p != nil {
			names[fmt.Sprint(p.Value)] = true
		}
	}
	if !names["sHype Access Control"] || names["Virtual TPM"] {
		t.Errorf("registered profiles %v, want sHype Access Control and no Virtual TPM", names)
	}

	nonce := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	ret, out, err = vtpmCall(t, cl, svcSec, "AttestPolicy", strParam("Nonce", nonce))
	if err != nil || ret != "4097" || !strings.Contains(fmt.Sprint(out["message"]), "swtpm") {
		t.Errorf("AttestPolicy without swtpm = %q %v %v, want 4097 with a message naming swtpm", ret, out, err)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("shyped exit %d after SIGTERM; log:\n%s", code, strings.Join(s.log, "\n"))
	}
}
