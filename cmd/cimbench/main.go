// Command cimbench measures the CIM-XML server end to end, as cimxml.md's clients see
// it: it starts the real shyped on a loopback port with the full DMTF schema and
// 100,000 static instances, loads it with wrk (two threads, two connections) for
// each operation, once with keep-alive and once with a new connection per request,
// and measures the ceiling of the same machine in the same run: a trivial Go handler
// that answers a fixed body of the same size. It also measures the extra memory of
// shyped while it streams the 100,000-instance enumeration.
//
// Usage (make bench-http builds the binaries and runs it):
//
//	cimbench -shyped bin/shyped -mofc bin/mofc -schema ../shared/schema/cim-2.49.0 [-duration 10s] [-instances 100000]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	shyped := flag.String("shyped", "bin/shyped", "the shyped `binary`")
	mofc := flag.String("mofc", "bin/mofc", "the mofc `binary`")
	schema := flag.String("schema", "../shared/schema/cim-2.49.0", "the full DMTF schema `directory`")
	wrkPath := flag.String("wrk", "wrk", "the wrk `binary` (Debian package wrk)")
	duration := flag.Duration("duration", 10*time.Second, "how long wrk loads each case")
	instances := flag.Int("instances", 100000, "static instances to enumerate")
	flag.Parse()
	if err := run(*shyped, *mofc, *schema, *wrkPath, *duration, *instances); err != nil {
		fmt.Fprintln(os.Stderr, "cimbench:", err)
		os.Exit(1)
	}
}

func run(shyped, mofc, schema, wrkPath string, duration time.Duration, n int) error {
	if _, err := exec.LookPath(wrkPath); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install -y wrk): %w", err)
	}
	dir, err := os.MkdirTemp("", "cimbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")

	// The static instances, stored by mofc load as a client's CreateInstance would.
	mof := filepath.Join(dir, "items.mof")
	if err := writeItems(mof, n); err != nil {
		return err
	}
	start := time.Now()
	if out, err := exec.Command(mofc, "load", "-data", data, "-schema", schema, mof).CombinedOutput(); err != nil {
		return fmt.Errorf("mofc load: %v\n%s", err, out)
	}
	fmt.Printf("mofc load of %d instances: %v\n", n, time.Since(start).Round(time.Millisecond))

	srv, err := startShyped(shyped, data, schema)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("shyped start with the DMTF schema and %d instances: %v\n\n", n, srv.startup.Round(time.Millisecond))

	cases := []struct{ name, method, params string }{
		{"GetClass CIM_ComputerSystem (LocalOnly=false, IQ, ICO)", "GetClass",
			`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="CIM_ComputerSystem"/></IPARAMVALUE>` +
				`<IPARAMVALUE NAME="LocalOnly"><VALUE>FALSE</VALUE></IPARAMVALUE>` +
				`<IPARAMVALUE NAME="IncludeQualifiers"><VALUE>TRUE</VALUE></IPARAMVALUE>` +
				`<IPARAMVALUE NAME="IncludeClassOrigin"><VALUE>TRUE</VALUE></IPARAMVALUE>`},
		{"EnumerateClassNames deep", "EnumerateClassNames",
			`<IPARAMVALUE NAME="DeepInheritance"><VALUE>TRUE</VALUE></IPARAMVALUE>`},
		{"GetInstance (small)", "GetInstance",
			`<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="BENCH_Item"><KEYBINDING NAME="ID">` +
				`<KEYVALUE VALUETYPE="numeric" TYPE="uint32">` + strconv.Itoa(n/2) + `</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`},
	}
	fmt.Printf("%-55s %10s %8s %10s %10s %6s %10s %10s %6s\n", "case", "bytes", "", "shyped", "ceiling", "ratio", "shyped", "ceiling", "ratio")
	fmt.Printf("%-55s %10s %8s %10s %10s %6s %10s %10s %6s\n", "", "", "", "keep-alive", "req/s", "", "new conn", "req/s", "")
	for _, c := range cases {
		body := request(c.method, c.params)
		resp, err := post(srv.addr, c.method, body)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if strings.Contains(resp, "<ERROR") {
			return fmt.Errorf("%s answered an error:\n%.500s", c.name, resp)
		}
		ceil, err := startCeiling(resp)
		if err != nil {
			return err
		}
		script := filepath.Join(dir, c.method+".lua")
		if err := writeScript(script, c.method, body); err != nil {
			return err
		}
		var r [4]float64
		for i, target := range []string{srv.addr, ceil.Addr().String(), srv.addr, ceil.Addr().String()} {
			close := i >= 2
			if r[i], err = runWrk(wrkPath, script, target, duration, close); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
		}
		ceil.Close()
		fmt.Printf("%-55s %10d %8s %10.0f %10.0f %5.0f%% %10.0f %10.0f %5.0f%%\n", c.name, len(resp), "",
			r[0], r[1], 100*r[0]/r[1], r[2], r[3], 100*r[2]/r[3])
	}

	// The big enumeration: one request, the response read and dropped as it
	// streams, shyped's memory sampled before and at its peak.
	before, _ := memKB(srv.pid(), "VmRSS")
	// Reset the peak (VmHWM) to the current size, so that it measures this request.
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", srv.pid()), []byte("5"), 0)
	start = time.Now()
	size, err := postDiscard(srv.addr, "EnumerateInstances", request("EnumerateInstances",
		`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="BENCH_Item"/></IPARAMVALUE>`))
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	peak, _ := memKB(srv.pid(), "VmHWM")
	fmt.Printf("\nEnumerateInstances of %d instances: %d bytes in %v (%.0f instances/s); shyped RSS %d MB before, peak %d MB (+%d MB)\n",
		n, size, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), before/1024, peak/1024, (peak-before)/1024)
	return nil
}

func writeItems(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, `[Description("A benchmark item.")]
class BENCH_Item : CIM_ManagedElement {
    [Key] uint32 ID;
    string Label;
    uint64 Size;
};`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "instance of BENCH_Item { ID = %d; Label = \"item %d\"; Size = %d; };\n", i, i, i*1024)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func request(method, params string) string {
	return `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0">` +
		`<SIMPLEREQ><IMETHODCALL NAME="` + method + `"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>` +
		params + `</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

func newRequest(addr, method, body string) (*http.Request, error) {
	req, err := http.NewRequest("POST", "http://"+addr+"/cimom", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header["CIMOperation"] = []string{"MethodCall"}
	req.Header["CIMMethod"] = []string{method}
	req.Header["CIMObject"] = []string{"root/cimv2"}
	return req, nil
}

func post(addr, method, body string) (string, error) {
	req, err := newRequest(addr, method, body)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func postDiscard(addr, method, body string) (int64, error) {
	req, err := newRequest(addr, method, body)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return io.Copy(io.Discard, resp.Body)
}

// startCeiling serves body for every request, as fast as net/http can.
func startCeiling(body string) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := []byte(body)
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}))
	return ln, nil
}

func writeScript(path, method, body string) error {
	bodyPath := path + ".body"
	if err := os.WriteFile(bodyPath, []byte(body), 0o644); err != nil {
		return err
	}
	script := fmt.Sprintf(`local f = io.open(%q, "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = 'application/xml; charset="utf-8"'
wrk.headers["CIMOperation"] = "MethodCall"
wrk.headers["CIMMethod"] = %q
wrk.headers["CIMObject"] = "root/cimv2"
`, bodyPath, method)
	return os.WriteFile(path, []byte(script), 0o644)
}

var rpsRx = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// runWrk loads addr for d with two threads and two connections and returns the
// requests per second; closeConn sends Connection: close, a new connection per request.
func runWrk(wrk, script, addr string, d time.Duration, closeConn bool) (float64, error) {
	args := []string{"-t2", "-c2", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "-s", script}
	if closeConn {
		args = append(args, "-H", "Connection: close")
	}
	args = append(args, "http://"+addr+"/cimom")
	out, err := exec.Command(wrk, args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "Non-2xx") {
		return 0, fmt.Errorf("wrk saw errors:\n%s", out)
	}
	m := rpsRx.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// shyped is a running server.
type shyped struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	addr    string
	startup time.Duration
}

var listenRx = regexp.MustCompile(`listen="?([0-9.:]+)"?`)

func startShyped(bin, data, schema string) (*shyped, error) {
	start := time.Now()
	// At the default log level, as in production (one line per request), into a file
	// as a service's log would go, rather than a pipe this process would have to drain.
	logPath := filepath.Join(filepath.Dir(data), "shyped.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--data", data, "--schema", schema)
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	for {
		b, _ := os.ReadFile(logPath)
		for _, line := range strings.Split(string(b), "\n") {
			if m := listenRx.FindStringSubmatch(line); m != nil && strings.Contains(line, "serving") {
				return &shyped{cmd: cmd, exited: exited, addr: m[1], startup: time.Since(start)}, nil
			}
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("shyped exited before serving:\n%s", b)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *shyped) pid() int { return s.cmd.Process.Pid }

func (s *shyped) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	<-s.exited
}

// memKB reads a memory figure (VmRSS, VmHWM) of process pid in KiB.
func memKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			return strconv.ParseInt(strings.Fields(line)[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
