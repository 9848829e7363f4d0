package vtpm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeRecord persists a record crash-safely: a reader after a crash finds the
// old record or the new one, never a torn file.
func (m *Manager) writeRecord(r *record) error {
	p := m.recordPath(r.UUID)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("vtpm: record folder: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("vtpm: encode record: %w", err)
	}
	if err := writeFileAtomic(p, b, 0o600); err != nil {
		return err
	}
	// The record's folder may be new: make its entry in instances/ durable too.
	syncDir(m.instancesDir())
	return nil
}

// writeFileAtomic writes data to a temporary file next to path, fsyncs it,
// renames it over path and fsyncs the folder.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("vtpm: write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("vtpm: write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vtpm: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vtpm: write %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes the entries of a folder (renames, creations) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("vtpm: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("vtpm: sync %s: %w", dir, err)
	}
	return nil
}

// removeTemps deletes what an interrupted writeFileAtomic left in dir.
func removeTemps(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") && strings.HasSuffix(de.Name(), ".tmp") {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}
