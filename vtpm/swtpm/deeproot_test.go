package swtpm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/vtpm"
)

// TestDeepRoot: a root too deep for unix socket paths (107 bytes) still works: the
// sockets go to a private short folder that a new backend on the same root finds
// again (adoption), and Destroy removes it.
func TestDeepRoot(t *testing.T) {
	root := newRoot(t)
	// A socket root of this test's own: others run beside it and share the real one.
	short, err := os.MkdirTemp("", "swtpm-short")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	saved := shortSockRoot
	shortSockRoot = func() string { return filepath.Join(short, "s") }
	t.Cleanup(func() { shortSockRoot = saved })
	deep := filepath.Join(root, strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := newBackend(t, deep)
	provisioned(t, b, "deep")
	p := b.paths("deep")
	if p.sock == p.run || len(p.dataSock) > maxSockPath {
		t.Fatalf("sockets at %s for a root of %d bytes", p.dataSock, len(deep))
	}
	inst := start(t, b, "deep", false)
	extend(t, inst, 1)
	var fi os.FileInfo
	fi, err = os.Stat(p.sock)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket folder %s: %v %v", p.sock, fi, err)
	}
	pid := inst.PID()
	abandon(inst)
	b2 := newBackend(t, deep)
	inst2, err := b2.Adopt(ctx, "deep")
	if err != nil {
		t.Fatalf("Adopt with short sockets: %v", err)
	}
	stopOnCleanup(t, inst2)
	if inst2.PID() != pid || pcr16(t, inst2) != pcrVector[1] {
		t.Errorf("adopted pid %d PCR16 %s, want %d %s", inst2.PID(), pcr16(t, inst2), pid, pcrVector[1])
	}
	if err := b2.Destroy(ctx, "deep"); err != nil {
		t.Fatal(err)
	}
	<-inst.(*Instance).done
	if exists(p.sock) {
		t.Errorf("Destroy left the socket folder %s", p.sock)
	}
	// A folder others may enter in its place is refused.
	provisioned(t, b2, "deep2")
	if err := os.Chmod(shortSockRoot(), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(shortSockRoot(), 0o700)
	if _, err := b2.Start(ctx, "deep2", vtpm.StartOptions{}); err == nil || !strings.Contains(err.Error(), "private") {
		t.Errorf("Start with a shared socket folder = %v, want a refusal", err)
	}
}
