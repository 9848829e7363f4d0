// Package datadir finds and guards the server's data directory, for the binaries that
// use it (shyped, and mofc load).
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Default returns $SHYPE_DATA, else ~/.local/state/shypecim.
func Default() string {
	if d := os.Getenv("SHYPE_DATA"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".shypecim"
	}
	return filepath.Join(home, ".local", "state", "shypecim")
}

// ErrInUse is returned by Lock when another process holds the directory.
var ErrInUse = errors.New("datadir: in use by another process")

// Lock creates dir if needed (mode 0700) and takes an exclusive lock on it, so that
// two processes never work on one data directory: the repository, the policies and
// the vTPM state are not built for it. The returned function releases the lock; the
// lock also ends with the process.
func Lock(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, "shyped.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s: %w", dir, ErrInUse)
		}
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	return func() { f.Close() }, nil
}

// Repository returns the folder of the class repository within dir.
func Repository(dir string) string { return filepath.Join(dir, "repository") }
