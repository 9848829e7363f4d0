package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	if _, err := Lock(dir); !errors.Is(err, ErrInUse) {
		t.Errorf("second Lock = %v, want ErrInUse", err)
	}
	unlock()
	unlock2, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

func TestDefault(t *testing.T) {
	t.Setenv("SHYPE_DATA", "/srv/shype")
	if got := Default(); got != "/srv/shype" {
		t.Errorf("Default() = %q with SHYPE_DATA set", got)
	}
	t.Setenv("SHYPE_DATA", "")
	t.Setenv("HOME", "/home/u")
	if got := Default(); got != "/home/u/.local/state/shypecim" {
		t.Errorf("Default() = %q, want ~/.local/state/shypecim", got)
	}
	if got := Repository("/d"); got != "/d/repository" {
		t.Errorf("Repository = %q", got)
	}
}
