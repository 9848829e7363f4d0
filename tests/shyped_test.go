package tests

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the binaries built once for the package's tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shypecim-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+"/", "../cmd/...")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building the binaries: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running shyped whose log is read line by line.
type server struct {
	cmd  *exec.Cmd
	addr string

	// The reader goroutine appends every line of the server's log to all, so that
	// a chatty server never blocks on a full pipe; waitFor reads from next on.
	mu     sync.Mutex
	all    []string
	eof    bool
	notify chan struct{} // receives a token after each append and at EOF
	done   chan struct{} // closed at EOF
	next   int
	log    []string // the lines waitFor and stop have consumed
}

var servingRx = regexp.MustCompile(`listen="?([0-9.:]+)"?`)

// startServer starts shyped on a free loopback port with a fresh data directory and
// waits until it says where it listens. The test's cleanup stops it with SIGTERM,
// so that it parks its swtpm processes instead of orphaning them.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	data := t.TempDir()
	args = append([]string{"--listen", "127.0.0.1:0", "--data", data}, args...)
	cmd := exec.Command(filepath.Join(binDir, "shyped"), args...)
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
	line := s.waitFor(t, "serving")
	m := servingRx.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	s.addr = m[1]
	return s
}

func (s *server) poke() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// waitFor returns the first log line not yet consumed that contains substr; it fails
// the test if the server exits first. The deadline only guards against a hung server.
func (s *server) waitFor(t *testing.T, substr string) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		for s.next < len(s.all) {
			line := s.all[s.next]
			s.next++
			s.log = append(s.log, line)
			if strings.Contains(line, substr) {
				s.mu.Unlock()
				return line
			}
		}
		eof := s.eof
		s.mu.Unlock()
		if eof {
			t.Fatalf("shyped exited before logging %q; log:\n%s", substr, strings.Join(s.log, "\n"))
		}
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("shyped did not log %q; log:\n%s", substr, strings.Join(s.log, "\n"))
		}
	}
}

// stop sends SIGTERM and returns the exit code once the process has ended; the
// whole log is then in s.log.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-s.done
	s.mu.Lock()
	s.log = append(s.log, s.all[s.next:]...)
	s.next = len(s.all)
	s.mu.Unlock()
	s.cmd.Wait()
	return s.cmd.ProcessState.ExitCode()
}

func TestShypedVersion(t *testing.T) {
	out, err := exec.Command(filepath.Join(binDir, "shyped"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^shyped \d+\.\d+\.\d+\n$`).Match(out) {
		t.Errorf("shyped --version = %q", out)
	}
}

func TestShypedServesAndStops(t *testing.T) {
	s := startServer(t)
	loaded := strings.Join(s.log, "\n")
	if !regexp.MustCompile(`loaded \d+ classes \(\d+ associations, \d+ indications\), 70 qualifier types`).MatchString(loaded) {
		t.Errorf("no schema summary in the log:\n%s", loaded)
	}
	// A real GetClass, as wbemcli sends it.
	body := `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ>
<IMETHODCALL NAME="GetClass"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>
<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="CIM_ManagedElement"/></IPARAMVALUE>
<IPARAMVALUE NAME="LocalOnly"><VALUE>FALSE</VALUE></IPARAMVALUE>
</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
	req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+"/cimom", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header["Content-Type"] = []string{`application/xml; charset="utf-8"`}
	req.Header["CIMOperation"] = []string{"MethodCall"}
	req.Header["CIMMethod"] = []string{"GetClass"}
	req.Header["CIMObject"] = []string{"root%2Fcimv2"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("CIMOperation") != "MethodResponse" {
		t.Errorf("GetClass = %d CIMOperation %q, want 200 MethodResponse", resp.StatusCode, resp.Header.Get("CIMOperation"))
	}
	for _, want := range []string{`<IMETHODRESPONSE NAME="GetClass">`, `<CLASS NAME="CIM_ManagedElement"`, `NAME="ElementName"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("no %s in the GetClass response:\n%s", want, got)
		}
	}
	if strings.Contains(string(got), "<ERROR") {
		t.Errorf("GetClass answered an error:\n%s", got)
	}
	// One log line per request, written as the response goes out.
	if line := s.waitFor(t, "cim_method=GetClass"); !strings.Contains(line, "status=200") {
		t.Errorf("request log line %q, want status=200", line)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; log:\n%s", code, strings.Join(s.log, "\n"))
	}
	if !strings.Contains(strings.Join(s.log, "\n"), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", strings.Join(s.log, "\n"))
	}
}

func TestShypedFullDMTFSchema(t *testing.T) {
	s := startServer(t, "--schema", "../../shared/schema/cim-2.49.0")
	// wbemcli reads the whole schema: every class name, every class.
	U := "http://" + s.addr + "/root/cimv2"
	if out := wbemOK(t, "ecn", U); strings.Count(out, "\n") < 1631+20 {
		t.Errorf("ecn listed %d classes, want the 1631 of DMTF and the project's", strings.Count(out, "\n"))
	}
	if out := wbemOK(t, "ec", U); strings.Count(out, "\n") < 1631+20 || !strings.Contains(out, ":CIM_ComputerSystem ") {
		t.Errorf("ec listed %d classes", strings.Count(out, "\n"))
	}
	if out := wbemOK(t, "gc", U+":CIM_VirtualSystemManagementService"); !strings.Contains(out, "CIM_VirtualSystemManagementService ") {
		t.Errorf("gc: %q", out)
	}
	line := strings.Join(s.log, "\n")
	// 1631 DMTF classes plus the project's own.
	m := regexp.MustCompile(`loaded (\d+) classes`).FindStringSubmatch(line)
	if n, _ := strconv.Atoi(m1(m)); n <= 1631 {
		t.Errorf("log does not show more than 1631 classes loaded:\n%s", line)
	}
	s.stop(t)
}

func TestShypedBadSchemaDir(t *testing.T) {
	cmd := exec.Command(filepath.Join(binDir, "shyped"), "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--schema", t.TempDir())
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "cim_schema_2.49.0.mof: no such file") {
		t.Errorf("shyped with an empty --schema dir: exit %d, output:\n%s", cmd.ProcessState.ExitCode(), out)
	}
}

func m1(m []string) string {
	if len(m) < 2 {
		return ""
	}
	return m[1]
}

func TestShypedDataDirInUse(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, "--data", data)
	cmd := exec.Command(filepath.Join(binDir, "shyped"), "--listen", "127.0.0.1:0", "--data", data)
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "in use by another process") {
		t.Errorf("second shyped on one data directory: exit %d, output:\n%s", cmd.ProcessState.ExitCode(), out)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("first shyped exit %d", code)
	}
}
