package tests

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
)

// End-to-end benchmarks of the vTPM operations: the built shyped with its real
// swtpm backend, driven over HTTP with cimom/cimclient like the benchmarks of
// sec_bench_test.go. Each reports the whole CIM-XML round trip of one method
// call (plus, for migration, the source driving the destination).

// vtpmBenchServers starts n shyped servers (benchServer) and registers, before
// their own cleanups so that it runs after they stopped, a check that no process
// (swtpm) with one of their data directories on its command line outlived them;
// stragglers are killed by pid and fail the benchmark.
func vtpmBenchServers(b *testing.B, n int) []*cimclient.Client {
	b.Helper()
	if _, err := exec.LookPath("swtpm"); err != nil {
		b.Skip("swtpm is not installed: apt-get install -y swtpm swtpm-tools")
	}
	// benchServer's data directories are numbered entries of the same per-benchmark
	// temporary root as this one.
	root := filepath.Dir(b.TempDir())
	b.Cleanup(func() {
		out, err := exec.Command("pgrep", "-f", root).Output()
		if err != nil {
			return // pgrep exits 1 when nothing matches
		}
		for _, f := range strings.Fields(string(out)) {
			pid, err := strconv.Atoi(f)
			if err != nil || pid == os.Getpid() {
				continue
			}
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			b.Errorf("process %d outlived its shyped: %s", pid, strings.ReplaceAll(string(cmdline), "\x00", " "))
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cs := make([]*cimclient.Client, n)
	for i := range cs {
		cs[i] = benchServer(b)
	}
	return cs
}

// vtpmService is the path of the server's Xen_VTPMManagementService.
func vtpmService(b *testing.B, c *cimclient.Client) *cim.ObjectPath {
	b.Helper()
	paths, err := c.EnumerateInstanceNames(context.Background(), "root/cimv2", "Xen_VTPMManagementService")
	if err != nil || len(paths) != 1 {
		b.Fatalf("Xen_VTPMManagementService: %d instances, %v", len(paths), err)
	}
	return paths[0]
}

func refParam(name string, p *cim.ObjectPath) cim.ParamValue {
	return cim.ParamValue{Name: name, Type: cim.TypeReference, Value: p}
}

// createVTPM runs CreateVTPM for the halted domain dom and returns the new vTPM's path.
func createVTPM(b *testing.B, c *cimclient.Client, svc, dom *cim.ObjectPath) *cim.ObjectPath {
	out := invokeOK(b, c, svc, "CreateVTPM", []cim.ParamValue{refParam("System", dom)})
	for _, p := range out {
		if strings.EqualFold(p.Name, "VTPM") {
			if ref, ok := p.Value.(*cim.ObjectPath); ok {
				return ref
			}
		}
	}
	b.Fatalf("CreateVTPM: no VTPM in %v", out)
	return nil
}

// vtpmOfDomain is the path of the vTPM of the domain dom (SystemName = its UUID).
func vtpmOfDomain(b *testing.B, c *cimclient.Client, dom *cim.ObjectPath) *cim.ObjectPath {
	b.Helper()
	uuid, _ := dom.Key("Name")
	paths, err := c.EnumerateInstanceNames(context.Background(), "root/cimv2", "Xen_VTPM")
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range paths {
		if v, ok := p.Key("SystemName"); ok && strings.EqualFold(fmt.Sprint(v), fmt.Sprint(uuid)) {
			return p
		}
	}
	b.Fatalf("no vTPM of domain %v among %v", uuid, paths)
	return nil
}

// uintProp is the value of an unsigned integer property of inst as a string ("" if
// it is missing).
func uintProp(inst *cim.Instance, name string) string {
	if p := inst.Property(name); p != nil && p.Value != nil {
		return fmt.Sprint(p.Value)
	}
	return ""
}

// undefine destroys the halted domain dom's vTPM (or tombstone) when it has one,
// then the domain.
func undefine(b *testing.B, c *cimclient.Client, svc, vsms, dom, vtpm *cim.ObjectPath) {
	b.Helper()
	if vtpm != nil {
		invokeOK(b, c, svc, "DestroyVTPM", []cim.ParamValue{refParam("VTPM", vtpm)})
	}
	invokeOK(b, c, vsms, "DestroySystem", []cim.ParamValue{refParam("AffectedSystem", dom)})
}

// BenchmarkVTPMCreateCIM times CreateVTPM on a halted domain (a new swtpm state:
// its EK and certificates are made). Not timed: DefineSystem of a fresh domain
// before, DestroyVTPM and DestroySystem after, so the host holds no other vTPM.
func BenchmarkVTPMCreateCIM(b *testing.B) {
	c := vtpmBenchServers(b, 1)[0]
	_, vsms := benchPaths(b)
	svc := vtpmService(b, c)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dom := define(b, c, vsms, fmt.Sprintf("vcreate%d", i), "", "")
		b.StartTimer()
		vtpm := createVTPM(b, c, svc, dom)
		b.StopTimer()
		undefine(b, c, svc, vsms, dom, vtpm)
		b.StartTimer()
	}
}

// BenchmarkVTPMStartCIM times RequestStateChange(2) of one halted domain with a
// vTPM, which starts the vTPM's swtpm with the domain. Not timed: defining the
// domain and creating its vTPM once, checking after the first start that the vTPM
// runs, and RequestStateChange(3) after each start.
func BenchmarkVTPMStartCIM(b *testing.B) {
	c := vtpmBenchServers(b, 1)[0]
	_, vsms := benchPaths(b)
	svc := vtpmService(b, c)
	dom := define(b, c, vsms, "vstart", "", "")
	vtpm := createVTPM(b, c, svc, dom)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		invokeOK(b, c, dom, "RequestStateChange", stateParam(2))
		b.StopTimer()
		if i == 0 {
			inst, err := c.GetInstance(context.Background(), vtpm)
			if err != nil {
				b.Fatal(err)
			}
			if s := uintProp(inst, "EnabledState"); s != "2" {
				b.Fatalf("vTPM EnabledState %q after the domain started, want 2 (running)", s)
			}
		}
		invokeOK(b, c, dom, "RequestStateChange", stateParam(3))
		b.StartTimer()
	}
}

// quotePCRs are the PCRs BenchmarkGetQuoteCIM quotes.
var quotePCRs = []any{uint32(0), uint32(1), uint32(2), uint32(3), uint32(4), uint32(5), uint32(6), uint32(7)}

// BenchmarkGetQuoteCIM times GetQuote of the running vTPM of a running domain: a
// fresh 32-byte nonce each time, the sha256 bank, PCRs 0 to 7. Not timed: defining
// the domain, creating its vTPM and starting the domain, once.
func BenchmarkGetQuoteCIM(b *testing.B) {
	c := vtpmBenchServers(b, 1)[0]
	_, vsms := benchPaths(b)
	svc := vtpmService(b, c)
	dom := define(b, c, vsms, "vquote", "", "")
	vtpm := createVTPM(b, c, svc, dom)
	invokeOK(b, c, dom, "RequestStateChange", stateParam(2))
	nonce := make([]byte, 32)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rand.Read(nonce)
		out := invokeOK(b, c, svc, "GetQuote", []cim.ParamValue{
			refParam("VTPM", vtpm),
			{Name: "Nonce", Type: cim.TypeString, Value: base64.StdEncoding.EncodeToString(nonce)},
			{Name: "Bank", Type: cim.TypeString, Value: "sha256"},
			{Name: "PCRs", Type: cim.TypeUint32, IsArray: true, Value: quotePCRs},
		})
		var quoted, sig bool
		var values int
		for _, p := range out {
			switch strings.ToLower(p.Name) {
			case "quoted":
				quoted = fmt.Sprint(p.Value) != ""
			case "signature":
				sig = fmt.Sprint(p.Value) != ""
			case "pcrvalues":
				if vs, ok := p.Value.([]any); ok {
					values = len(vs)
				}
			}
		}
		if !quoted || !sig || values != len(quotePCRs) {
			b.Fatalf("GetQuote returned Quoted %v, Signature %v, %d PCR values; want both and %d: %v",
				quoted, sig, values, len(quotePCRs), out)
		}
	}
}

// BenchmarkVTPMMigrateCIM times MigrateVTPM of a halted domain's vTPM from server A
// to server B on loopback: the whole exchange A drives over CIM-XML (B defines the
// domain, prepares, A exports, B imports, A commits). Not timed: defining the
// domain and creating its vTPM on A before; after, checking that B holds the vTPM,
// then destroying A's tombstone and domain, and B's vTPM and domain.
func BenchmarkVTPMMigrateCIM(b *testing.B) {
	cs := vtpmBenchServers(b, 2)
	a, dst := cs[0], cs[1]
	_, vsms := benchPaths(b)
	svcA, svcB := vtpmService(b, a), vtpmService(b, dst)
	destURL := "http://" + dst.URL.Host
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dom := define(b, a, vsms, fmt.Sprintf("vmig%d", i), "", "")
		vtpm := createVTPM(b, a, svcA, dom)
		b.StartTimer()
		invokeOK(b, a, svcA, "MigrateVTPM", []cim.ParamValue{
			refParam("VTPM", vtpm),
			{Name: "Destination", Type: cim.TypeString, Value: destURL},
			{Name: "UserName", Type: cim.TypeString, Value: ""},
			{Name: "Password", Type: cim.TypeString, Value: ""},
		})
		b.StopTimer()
		inst, err := a.GetInstance(context.Background(), vtpm)
		if err != nil {
			b.Fatal(err)
		}
		if s := uintProp(inst, "MigrationState"); s != "4" {
			b.Fatalf("source vTPM MigrationState %q after MigrateVTPM, want 4 (migrated away)", s)
		}
		undefine(b, a, svcA, vsms, dom, vtpm)
		undefine(b, dst, svcB, vsms, dom, vtpmOfDomain(b, dst, dom))
		b.StartTimer()
	}
}
