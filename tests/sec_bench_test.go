package tests

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
)

// End-to-end benchmarks: the built shyped, driven over HTTP with cimom/cimclient, as
// a management tool drives it. They measure whole requests (encoding, HTTP on
// loopback, dispatch, providers, toolstack, ACM, simulated hypervisor, and the
// client's decoding), not one layer. Go runs them only with -bench.

// benchServer starts shyped on a free loopback port with a fresh data directory and
// returns a client of it. Its log is drained all along (one line a request would
// otherwise fill the pipe and stall it); the server is stopped at cleanup.
func benchServer(tb testing.TB) *cimclient.Client {
	tb.Helper()
	cmd := exec.Command(filepath.Join(binDir, "shyped"), "--listen", "127.0.0.1:0", "--data", tb.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		found := false
		for sc.Scan() {
			if !found && strings.Contains(sc.Text(), "serving") {
				if m := servingRx.FindStringSubmatch(sc.Text()); m != nil {
					addr <- m[1]
					found = true
				}
			}
		}
		if !found {
			close(addr)
		}
	}()
	var a string
	select {
	case v, ok := <-addr:
		if !ok {
			tb.Fatal("shyped exited before serving")
		}
		a = v
	case <-time.After(60 * time.Second):
		tb.Fatal("shyped did not start serving")
	}
	c, err := cimclient.New("http://" + a)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchPaths are the paths of the two services of the server's host.
func benchPaths(tb testing.TB) (svc, vsms *cim.ObjectPath) {
	h := hostName(tb)
	key := func(k, v string) cim.KeyBinding { return cim.KeyBinding{Name: k, Value: v} }
	svc = &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_SecurityService", Keys: []cim.KeyBinding{
		key("CreationClassName", "Xen_SecurityService"), key("Name", "Xen Security Service"),
		key("SystemCreationClassName", "Xen_HostSystem"), key("SystemName", h)}}
	vsms = &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_VirtualSystemManagementService", Keys: []cim.KeyBinding{
		key("SystemCreationClassName", "Xen_HostSystem"), key("SystemName", h),
		key("CreationClassName", "Xen_VirtualSystemManagementService"), key("Name", "Xen Virtual System Management Service")}}
	return svc, vsms
}

func strProp(name, v string) cim.Property {
	return cim.Property{Name: name, Type: cim.TypeString, Value: v}
}

// defineParams are DefineSystem's parameters for a domain name with label (""
// none), one disk when disk is not "", and one VIF.
func defineParams(name, label, disk string) []cim.ParamValue {
	vssd := &cim.Instance{ClassName: "Xen_VirtualSystemSettingData", Properties: []cim.Property{
		strProp("ElementName", name),
		strProp("Kernel", "/boot/vmlinuz-2.6.18-xen"),
		{Name: "Memory", Type: cim.TypeUint64, Value: uint64(64)},
		{Name: "VCPUs", Type: cim.TypeUint32, Value: uint32(1)},
	}}
	if label != "" {
		vssd.Properties = append(vssd.Properties, strProp("SecurityLabel", label))
	}
	var rasds []any
	if disk != "" {
		rasds = append(rasds, &cim.Instance{ClassName: "Xen_DiskSettingData", Properties: []cim.Property{
			strProp("Address", disk), strProp("VirtualDevice", "xvda1"), strProp("Mode", "w")}})
	}
	rasds = append(rasds, &cim.Instance{ClassName: "Xen_NetworkPortSettingData", Properties: []cim.Property{strProp("Bridge", "xenbr0")}})
	return []cim.ParamValue{
		{Name: "SystemSettings", Type: cim.TypeString, Value: vssd, EmbeddedObject: "instance"},
		{Name: "ResourceSettings", Type: cim.TypeString, IsArray: true, Value: rasds, EmbeddedObject: "instance"},
	}
}

// invokeOK calls method and fails unless it returned 0; it returns the OUT
// parameters.
func invokeOK(tb testing.TB, c *cimclient.Client, target *cim.ObjectPath, method string, in []cim.ParamValue) []cim.ParamValue {
	ret, out, err := c.InvokeMethod(context.Background(), target, method, in)
	if err != nil {
		tb.Fatalf("%s: %v", method, err)
	}
	if fmt.Sprint(ret) != "0" {
		tb.Fatalf("%s returned %v %v", method, ret, out)
	}
	return out
}

// define runs DefineSystem and returns the path of the new Xen_ComputerSystem.
func define(tb testing.TB, c *cimclient.Client, vsms *cim.ObjectPath, name, label, disk string) *cim.ObjectPath {
	out := invokeOK(tb, c, vsms, "DefineSystem", defineParams(name, label, disk))
	for _, p := range out {
		if strings.EqualFold(p.Name, "ResultingSystem") {
			if ref, ok := p.Value.(*cim.ObjectPath); ok {
				return ref
			}
		}
	}
	tb.Fatalf("DefineSystem %s: no ResultingSystem in %v", name, out)
	return nil
}

func stateParam(state uint16) []cim.ParamValue {
	return []cim.ParamValue{{Name: "RequestedState", Type: cim.TypeUint16, Value: state}}
}

// loadE2EPolicy loads testdata/sec's e2e policy through SetPolicy.
func loadE2EPolicy(tb testing.TB, c *cimclient.Client, svc *cim.ObjectPath) {
	xml, err := os.ReadFile("testdata/sec/e2e-security_policy.xml")
	if err != nil {
		tb.Fatal(err)
	}
	invokeOK(tb, c, svc, "SetPolicy", []cim.ParamValue{
		{Name: "Policy", Type: cim.TypeString, Value: string(xml)},
		{Name: "Flags", Type: cim.TypeUint32, Value: uint32(2)},
		{Name: "Overwrite", Type: cim.TypeBoolean, Value: false},
	})
}

// BenchmarkDomainStartCIM times, per iteration, DefineSystem of a domain with one
// disk and one VIF followed by RequestStateChange(2), each a full CIM-XML round
// trip, under the DEFAULT policy (the domain and its disk unlabeled, so the start
// runs every access check and passes). Not timed: stopping the domain
// (RequestStateChange 3) and undefining it (DestroySystem), so the host stays at
// Domain-0 and one guest.
func BenchmarkDomainStartCIM(b *testing.B) {
	c := benchServer(b)
	_, vsms := benchPaths(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dom := define(b, c, vsms, fmt.Sprintf("bench%d", i), "", "phy:sdc1")
		invokeOK(b, c, dom, "RequestStateChange", stateParam(2))
		b.StopTimer()
		invokeOK(b, c, dom, "RequestStateChange", stateParam(3))
		invokeOK(b, c, vsms, "DestroySystem", []cim.ParamValue{{Name: "AffectedSystem", Type: cim.TypeReference, Value: dom}})
		b.StartTimer()
	}
}

// BenchmarkCanRunCIM times Xen_SecurityService.CanRun under the e2e policy with a
// guest running, which asks the ACM for the authorization and the Chinese Wall
// decisions: one client in turn (serial) and as many as GOMAXPROCS at once
// (parallel). calls/s is the rate of answered calls.
func BenchmarkCanRunCIM(b *testing.B) {
	c := benchServer(b)
	svc, vsms := benchPaths(b)
	loadE2EPolicy(b, c, svc)
	dom := define(b, c, vsms, "acme", "ACM:e2e:acme", "")
	invokeOK(b, c, dom, "RequestStateChange", stateParam(2))
	in := []cim.ParamValue{{Name: "Label", Type: cim.TypeString, Value: "ACM:e2e:globex"}}
	check := func(tb testing.TB) {
		ret, _, err := c.InvokeMethod(context.Background(), svc, "CanRun", in)
		if err != nil || fmt.Sprint(ret) != "4123" {
			tb.Fatalf("CanRun globex beside acme = %v, %v; want 4123", ret, err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			check(b)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				check(b)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
}

// enumDomains is the size of BenchmarkEnumerateDomains10k's host, Domain-0 aside.
const enumDomains = 10000

// BenchmarkEnumerateDomains10k defines 10,000 halted domains once (not timed; eight
// clients at once), half labeled acme and half globex under the e2e policy, then
// times EnumerateInstances of Xen_ComputerSystem (all 10,001 instances, each with
// its SecurityLabel), and AssociatorNames from the acme label to the 5,000 domains
// that carry it (Xen_ElementSecurityLabel).
func BenchmarkEnumerateDomains10k(b *testing.B) {
	c := benchServer(b)
	svc, vsms := benchPaths(b)
	loadE2EPolicy(b, c, svc)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= enumDomains {
					return
				}
				if i > 0 && i%2000 == 0 {
					// The rate of definitions as the host fills up.
					b.Logf("%d domains defined after %v", i, time.Since(start).Round(time.Millisecond))
				}
				label := "ACM:e2e:acme"
				if i%2 == 1 {
					label = "ACM:e2e:globex"
				}
				ret, out, err := c.InvokeMethod(context.Background(), vsms, "DefineSystem", defineParams(fmt.Sprintf("dom%05d", i), label, ""))
				if err == nil && fmt.Sprint(ret) != "0" {
					err = fmt.Errorf("DefineSystem returned %v %v", ret, out)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.Logf("defined %d domains in %v", enumDomains, time.Since(start).Round(time.Millisecond))

	b.Run("EnumerateInstances", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			objs, err := c.EnumerateInstances(context.Background(), "root/cimv2", "Xen_ComputerSystem")
			if err != nil {
				b.Fatal(err)
			}
			if len(objs) != enumDomains+1 {
				b.Fatalf("%d instances, want %d", len(objs), enumDomains+1)
			}
			if p := objs[len(objs)-1].Instance.Property("SecurityLabel"); p == nil || !strings.HasPrefix(fmt.Sprint(p.Value), "ACM:e2e:") {
				b.Fatalf("last instance's SecurityLabel %v", p)
			}
		}
		b.ReportMetric(float64(b.N*(enumDomains+1))/b.Elapsed().Seconds(), "instances/s")
	})
	label := &cim.ObjectPath{Namespace: "root/cimv2", ClassName: "Xen_SecurityLabel",
		Keys: []cim.KeyBinding{{Name: "InstanceID", Value: "Xen:e2e:VM:acme"}}}
	b.Run("AssociatorNamesOfLabel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			paths, err := c.AssociatorNames(context.Background(), label, "Xen_ElementSecurityLabel", "Xen_ComputerSystem")
			if err != nil {
				b.Fatal(err)
			}
			if len(paths) != enumDomains/2 {
				b.Fatalf("%d domains carry acme, want %d", len(paths), enumDomains/2)
			}
		}
	})
}
