package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
)

// The vTPM end-to-end tests run the real shyped with its real swtpm backend:
// once the server serves the vTPM classes, a missing swtpm fails them.

const vtpmListHeader = "Domain                           Instance UUID                                 State     Migration\n"

// vtpmListLine is one line of vtpm-list.
func vtpmListLine(domain string, n int, uuid, state, migration string) string {
	return fmt.Sprintf("%-32s %8d %-36s %-9s %s\n", domain, n, uuid, state, migration)
}

// guestConfig is an xm config of a small unlabeled guest.
func guestConfig(name string) string {
	return "kernel = \"/boot/vmlinuz\"\nmemory = 64\nname = \"" + name + "\"\n"
}

// vtpmServer starts shyped on the data directory data and stops it with
// SIGTERM when the test ends, so that its manager shuts its swtpm processes
// down (a killed shyped would leave them behind).
func vtpmServer(t *testing.T, data string) *server {
	t.Helper()
	s := startServer(t, "--data", data)
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.stop(t)
		}
	})
	return s
}

// noProcessesLeft registers a check, run when the test ends and its servers
// have stopped, that no process (swtpm) still runs with one of dirs on its
// command line; stragglers are killed by pid and fail the test.
func noProcessesLeft(t *testing.T, dirs ...string) {
	t.Cleanup(func() {
		for _, dir := range dirs {
			out, err := exec.Command("pgrep", "-f", dir).Output()
			if err != nil {
				continue // pgrep exits 1 when nothing matches
			}
			for _, f := range strings.Fields(string(out)) {
				pid, err := strconv.Atoi(f)
				if err != nil || pid == os.Getpid() {
					continue
				}
				cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				t.Errorf("process %d outlived the test: %s", pid, strings.ReplaceAll(string(cmdline), "\x00", " "))
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

// requireVTPM skips the test while shyped does not serve the vTPM classes;
// once it does, swtpm must be installed.
func requireVTPM(t *testing.T, s *server) {
	t.Helper()
	cl := cimClient(t, s)
	paths, err := cl.EnumerateInstanceNames(context.Background(), "root/cimv2", "Xen_VTPMManagementService")
	if err != nil || len(paths) == 0 {
		t.Skipf("shyped does not serve the vTPM classes yet (%v)", err)
	}
	if _, err := exec.LookPath("swtpm"); err != nil {
		t.Fatalf("shyped serves the vTPM classes but swtpm is missing: apt-get install -y swtpm swtpm-tools")
	}
}

func cimClient(t *testing.T, s *server) *cimclient.Client {
	t.Helper()
	cl, err := cimclient.New("http://" + s.addr)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// extendPCR extends a PCR of the domain's vTPM through the CIM method
// ExtendPCR, as a guest's measurement would.
func extendPCR(t *testing.T, s *server, domainName string, pcr uint32, digest []byte) {
	t.Helper()
	ctx := context.Background()
	cl := cimClient(t, s)
	systems, err := cl.EnumerateInstances(ctx, "root/cimv2", "Xen_ComputerSystem")
	if err != nil {
		t.Fatal(err)
	}
	var uuid string
	for _, o := range systems {
		if p := o.Instance.Property("ElementName"); p != nil && p.Value == domainName {
			uuid = fmt.Sprint(o.Instance.Property("Name").Value)
		}
	}
	vtpms, err := cl.EnumerateInstances(ctx, "root/cimv2", "Xen_VTPM")
	if err != nil {
		t.Fatal(err)
	}
	var vtpm *cim.ObjectPath
	for _, o := range vtpms {
		if p := o.Instance.Property("SystemName"); p != nil && strings.EqualFold(fmt.Sprint(p.Value), uuid) {
			vtpm = o.Path
		}
	}
	svcs, err := cl.EnumerateInstanceNames(ctx, "root/cimv2", "Xen_VTPMManagementService")
	if err != nil || len(svcs) != 1 || vtpm == nil {
		t.Fatalf("no vTPM service (%v) or no vTPM of %s (%s)", err, domainName, uuid)
	}
	ret, out, err := cl.InvokeMethod(ctx, svcs[0], "ExtendPCR", []cim.ParamValue{
		{Name: "VTPM", Type: cim.TypeReference, Value: vtpm},
		{Name: "Bank", Type: cim.TypeString, Value: "sha256"},
		{Name: "PCR", Type: cim.TypeUint32, Value: pcr},
		{Name: "Digest", Type: cim.TypeString, Value: hex.EncodeToString(digest)},
	})
	if err != nil || fmt.Sprint(ret) != "0" {
		t.Fatalf("ExtendPCR = %v %v %v", ret, out, err)
	}
}

// extended is the SHA-256 PCR value after extending old with digest.
func extended(old, digest []byte) []byte {
	h := sha256.New()
	h.Write(old)
	h.Write(digest)
	return h.Sum(nil)
}

var zeroPCR = make([]byte, sha256.Size)

func pcrLine(n int, v []byte) string { return fmt.Sprintf("PCR%d: %x\n", n, v) }

var vtpmUUIDRx = regexp.MustCompile(`(?m)^(\S+) +(\d+) ([0-9a-fA-F-]{36}) `)

// vtpmUUID returns the UUID vtpm-list shows for domain.
func vtpmUUID(t *testing.T, c *shypectl, domain string) string {
	t.Helper()
	out, errOut, code := c.run("vtpm-list")
	for _, m := range vtpmUUIDRx.FindAllStringSubmatch(out, -1) {
		if m[1] == domain {
			return m[3]
		}
	}
	t.Fatalf("vtpm-list shows no vTPM of %s: exit %d\n%s%s", domain, code, out, errOut)
	return ""
}

// TestVTPMLifecycle: a vTPM follows its domain through start, suspend,
// resume, reboot and a restart of the server, and quotes verify.
func TestVTPMLifecycle(t *testing.T) {
	data := t.TempDir()
	noProcessesLeft(t, data)
	s := vtpmServer(t, data)
	requireVTPM(t, s)
	c := newShypectl(t, s, t.TempDir())
	c.write("guest.cfg", guestConfig("guest"))

	// Only a halted domain gets a vTPM.
	c.ok("Started domain guest\n", "create", "guest.cfg")
	out, errOut, code := c.run("vtpm-create", "guest")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, "halted") {
		t.Errorf("vtpm-create on a running domain: exit %d\n%s%s", code, out, errOut)
	}
	c.ok(vtpmListHeader, "vtpm-list")
	c.ok("", "shutdown", "guest")
	c.ok("Created vTPM 5 for guest\n", "vtpm-create", "guest", "--instance", "5")
	uuid := vtpmUUID(t, c, "guest")
	c.ok(vtpmListHeader+vtpmListLine("guest", 5, uuid, "stopped", "resident"), "vtpm-list")
	out, errOut, code = c.run("vtpm-create", "guest")
	if code != 1 || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, "already has a vTPM") {
		t.Errorf("second vtpm-create: exit %d\n%s%s", code, out, errOut)
	}

	// The vTPM runs with its domain; its PCRs start from a TPM reset.
	c.ok("Started domain guest\n", "create", "guest.cfg")
	c.ok(vtpmListHeader+vtpmListLine("guest", 5, uuid, "running", "resident"), "vtpm-list")
	out, errOut, code = c.run("vtpm-pcrs", "guest")
	if code != 0 || errOut != "" || strings.Count(out, "\n") != 24 || !strings.Contains(out, pcrLine(16, zeroPCR)) {
		t.Errorf("vtpm-pcrs: exit %d\n%s%s", code, out, errOut)
	}

	// Suspend and resume keep the PCRs, a reboot resets them.
	m := sha256.Sum256([]byte("measurement"))
	pcr16 := extended(zeroPCR, m[:])
	extendPCR(t, s, "guest", 16, m[:])
	c.ok(pcrLine(16, pcr16), "vtpm-pcrs", "guest", "16")
	c.ok("", "suspend", "guest")
	c.ok(vtpmListHeader+vtpmListLine("guest", 5, uuid, "suspended", "resident"), "vtpm-list")
	c.ok("", "resume", "guest")
	c.ok(pcrLine(16, pcr16)+pcrLine(0, zeroPCR), "vtpm-pcrs", "guest", "--bank", "sha256", "16", "0")
	c.ok("", "reboot", "guest")
	c.ok(pcrLine(16, zeroPCR), "vtpm-pcrs", "guest", "16")

	// Quotes: trusted; against references that match, trusted; that differ, untrusted.
	extendPCR(t, s, "guest", 16, m[:])
	out, errOut, code = c.run("vtpm-quote", "guest", "--pcrs", "0,16")
	if code != 0 || errOut != "" || !strings.HasSuffix(out, "Result: trusted\n") || !strings.Contains(out, pcrLine(16, pcr16)) {
		t.Errorf("vtpm-quote: exit %d\n%s%s", code, out, errOut)
	}
	golden, _, _ := c.run("vtpm-pcrs", "guest")
	c.write("golden.txt", golden)
	out, errOut, code = c.run("vtpm-quote", "guest", "--expect", "golden.txt", "--nonce", strings.Repeat("0123456789abcdef", 2))
	if code != 0 || errOut != "" || !strings.HasSuffix(out, "Result: trusted\n") || !strings.Contains(out, "Nonce: "+strings.Repeat("0123456789abcdef", 2)+"\n") {
		t.Errorf("vtpm-quote --expect matching: exit %d\n%s%s", code, out, errOut)
	}
	c.write("other.txt", strings.Replace(golden, pcrLine(16, pcr16), pcrLine(16, zeroPCR), 1))
	out, errOut, code = c.run("vtpm-quote", "guest", "--expect", "other.txt")
	if code != 1 || errOut != "" || !strings.HasSuffix(out, "Result: untrusted\n") {
		t.Errorf("vtpm-quote --expect mismatching: exit %d\n%s%s", code, out, errOut)
	}

	// A restart of the server parks the running vTPM and resumes it.
	if code := s.stop(t); code != 0 {
		t.Fatalf("shyped exit %d after SIGTERM; log:\n%s", code, strings.Join(s.log, "\n"))
	}
	s = vtpmServer(t, data)
	c = newShypectl(t, s, t.TempDir())
	c.ok(vtpmListHeader+vtpmListLine("guest", 5, uuid, "running", "resident"), "vtpm-list")
	c.ok(pcrLine(16, pcr16), "vtpm-pcrs", "guest", "16")

	// A vTPM is destroyed only with its domain halted.
	out, errOut, code = c.run("vtpm-destroy", "guest")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, "halted") {
		t.Errorf("vtpm-destroy of a running domain: exit %d\n%s%s", code, out, errOut)
	}
	c.ok("", "destroy", "guest")
	c.ok("", "vtpm-destroy", "guest")
	c.ok(vtpmListHeader, "vtpm-list")
	c.fails("Error: Domain 'guest' has no vTPM.\n", "vtpm-pcrs", "guest")
	if code := s.stop(t); code != 0 {
		t.Errorf("shyped exit %d after SIGTERM", code)
	}
}

// TestVTPMMigration moves vTPMs of a halted and of a suspended domain between
// two servers on loopback.
func TestVTPMMigration(t *testing.T) {
	srcData, dstData := t.TempDir(), t.TempDir()
	noProcessesLeft(t, srcData, dstData)
	src := vtpmServer(t, srcData)
	requireVTPM(t, src)
	dst := vtpmServer(t, dstData)
	cs := newShypectl(t, src, t.TempDir())
	cd := newShypectl(t, dst, t.TempDir())
	dstURL := "http://" + dst.addr
	for _, c := range []*shypectl{cs, cd} {
		c.write("alpha.cfg", guestConfig("alpha"))
		c.write("beta.cfg", guestConfig("beta"))
	}

	// A halted domain: its vTPM moves, the source keeps a tombstone.
	cs.ok("Started domain alpha\n", "create", "alpha.cfg")
	cs.ok("", "shutdown", "alpha")
	cs.ok("Created vTPM 1 for alpha\n", "vtpm-create", "alpha")
	alpha := vtpmUUID(t, cs, "alpha")
	cs.ok("Migrated vTPM of alpha to "+dstURL+"\n", "vtpm-migrate", "alpha", dstURL)
	cd.ok(vtpmListHeader+vtpmListLine("alpha", 1, alpha, "stopped", "resident"), "vtpm-list")
	cs.ok(vtpmListHeader+vtpmListLine("alpha", 1, alpha, "stopped", "migrated to "+dstURL), "vtpm-list")
	cd.ok("Started domain alpha\n", "create", "alpha.cfg")
	cd.ok(vtpmListHeader+vtpmListLine("alpha", 1, alpha, "running", "resident"), "vtpm-list")

	// The tombstone can never run again on the source: its domain does not
	// start (the server refuses it rather than starting it without its vTPM).
	tombstoned := func(what string, out, errOut string, code int) {
		t.Helper()
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, "migrated away") {
			t.Errorf("%s: exit %d\n%s%s", what, code, out, errOut)
		}
	}
	out, errOut, code := cs.run("create", "alpha.cfg")
	tombstoned("starting the migrated-away alpha on the source", out, errOut, code)
	cs.ok(listOut(false, "alpha||64|1|------"), "list", "alpha")
	cs.ok(vtpmListHeader+vtpmListLine("alpha", 1, alpha, "stopped", "migrated to "+dstURL), "vtpm-list")
	out, errOut, code = cs.run("vtpm-migrate", "alpha", dstURL)
	tombstoned("migrating a tombstone again", out, errOut, code)

	// A suspended domain: PCRs are equal after the move.
	cs.ok("Started domain beta\n", "create", "beta.cfg")
	cs.ok("", "shutdown", "beta")
	cs.ok("Created vTPM 2 for beta\n", "vtpm-create", "beta", "--instance", "2")
	beta := vtpmUUID(t, cs, "beta")
	cs.ok("Started domain beta\n", "create", "beta.cfg")
	m := sha256.Sum256([]byte("beta kernel"))
	extendPCR(t, src, "beta", 8, m[:])
	before, _, _ := cs.run("vtpm-pcrs", "beta")
	if !strings.Contains(before, pcrLine(8, extended(zeroPCR, m[:]))) {
		t.Fatalf("beta's PCRs before the move:\n%s", before)
	}
	out, errOut, code = cs.run("vtpm-migrate", "beta", dstURL)
	if code != 1 || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, "halted or suspended") {
		t.Errorf("migrating the vTPM of a running domain: exit %d\n%s%s", code, out, errOut)
	}
	cs.ok("", "suspend", "beta")
	cs.ok("Migrated vTPM of beta to "+dstURL+"\n", "vtpm-migrate", "beta", dstURL)
	out, _, _ = cd.run("vtpm-list")
	if !strings.Contains(out, vtpmListLine("beta", 2, beta, "suspended", "resident")) {
		t.Errorf("destination after beta's move:\n%s", out)
	}
	cd.ok("Started domain beta\n", "create", "beta.cfg")
	cd.ok(before, "vtpm-pcrs", "beta")
	out, errOut, code = cd.run("vtpm-quote", "beta", "--pcrs", "8")
	if code != 0 || !strings.HasSuffix(out, "Result: trusted\n") {
		t.Errorf("vtpm-quote on the destination: exit %d\n%s%s", code, out, errOut)
	}

	// On the source the suspended beta does not resume; it can be destroyed,
	// and the tombstone stays until vtpm-destroy removes it.
	out, errOut, code = cs.run("resume", "beta")
	tombstoned("resuming the migrated-away beta on the source", out, errOut, code)
	cs.ok("", "destroy", "beta")
	cs.ok(listOut(false, "beta||64|1|------"), "list", "beta")
	out, errOut, code = cs.run("create", "beta.cfg")
	tombstoned("starting the migrated-away beta on the source", out, errOut, code)
	cs.ok(vtpmListHeader+
		vtpmListLine("alpha", 1, alpha, "stopped", "migrated to "+dstURL)+
		vtpmListLine("beta", 2, beta, "stopped", "migrated to "+dstURL), "vtpm-list")
	cs.ok("", "vtpm-destroy", "beta")
	cs.ok(vtpmListHeader+vtpmListLine("alpha", 1, alpha, "stopped", "migrated to "+dstURL), "vtpm-list")
	cs.ok("Started domain beta\n", "create", "beta.cfg")

	src.stop(t)
	dst.stop(t)
}

var (
	replayedRx = regexp.MustCompile(`(?m)^PCR10 \(replayed\): ([0-9a-f]{64})$`)
	eventRx    = regexp.MustCompile(`(?m)^  \d+: [0-9a-f]{64}$`)
)

// TestAttestPolicy: the host TPM attests the enforced policy, and a new
// policy is one more event that changes PCR 10.
func TestAttestPolicy(t *testing.T) {
	data := t.TempDir()
	noProcessesLeft(t, data)
	s := vtpmServer(t, data)
	requireVTPM(t, s)
	polDir := t.TempDir()
	c := newShypectl(t, s, polDir)

	attest := func() (replayed string, events int) {
		t.Helper()
		out, errOut, code := c.run("attest")
		m := replayedRx.FindStringSubmatch(out)
		if code != 0 || errOut != "" || !strings.HasSuffix(out, "Result: trusted\n") || m == nil {
			t.Fatalf("attest: exit %d\n%s%s", code, out, errOut)
		}
		return m[1], len(eventRx.FindAllString(out, -1))
	}
	pcr1, n1 := attest()
	if n1 < 1 {
		t.Errorf("the event log has %d entries at start, want the boot policy at least", n1)
	}
	c.write("wld.ez", testWLD)
	c.ok("", "ezpolicy", "-o", acm.PolicyXMLPath(polDir, wld), "wld.ez")
	out, errOut, code := c.run("setpolicy", "ACM", wld)
	if code != 0 {
		t.Fatalf("setpolicy: exit %d\n%s%s", code, out, errOut)
	}
	pcr2, n2 := attest()
	if n2 != n1+1 || pcr2 == pcr1 {
		t.Errorf("after setpolicy: %d events (was %d), PCR 10 %s (was %s)", n2, n1, pcr2, pcr1)
	}
	out, errOut, code = c.run("attest", "--nonce", "00")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, "16 to 64") {
		t.Errorf("attest with a 1-byte nonce: exit %d\n%s%s", code, out, errOut)
	}
	s.stop(t)
}
