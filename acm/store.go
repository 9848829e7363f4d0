package acm

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// The policy store on disk (README "Policy administration"):
//
//	<dir>/state                                   the switch: JSON storeState
//	<dir>/gen/<n>/policies/<a>/<b>/<c>-security_policy.xml, <c>.map, <c>.bin
//	<dir>/gen/<n>/boot/<a.b.c>.bin                when it is the boot policy
//
// Every change writes a complete new generation <n> first, then replaces
// the small state file (temp file, fsync, rename, directory fsync), then
// removes older generations. A crash before the rename leaves the old state
// file, naming the old generation, in force; the new generation is garbage
// that the next open removes.

const (
	stateFile   = "state"
	genDir      = "gen"
	stateFormat = 1
)

// storeState is the content of the state file.
type storeState struct {
	Format     int    `json:"format"`
	Reference  string `json:"reference"`  // the policy uuid, created once
	Generation uint64 `json:"generation"` // folder below gen/ holding the files
	Policy     string `json:"policy"`     // the managed policy's name
	Loaded     bool   `json:"loaded"`     // enforced now (else DEFAULT is)
	Boot       bool   `json:"boot"`       // enforced after a host boot (else DEFAULT)
	XMLSHA1    string `json:"xml_sha1"`   // hex SHA-1 of the managed XML
}

// store reads and writes the files of one admin directory.
type store struct {
	dir    string
	mapDir string // folder the map file names
}

func (s *store) genPath(g uint64) string {
	return filepath.Join(s.dir, genDir, fmt.Sprintf("%08d", g))
}

func (s *store) policiesDir(g uint64) string { return filepath.Join(s.genPath(g), "policies") }

// bootPath is the boot copy of a binary policy: /boot/<dotted.name>.bin.
func (s *store) bootPath(g uint64, name string) string {
	return filepath.Join(s.genPath(g), "boot", BootFileName(name))
}

// readState returns the state file, or ok=false when there is none.
func (s *store) readState() (st storeState, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(s.dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fileErr("read state", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, false, fileErr("state file "+filepath.Join(s.dir, stateFile), err)
	}
	if st.Format != stateFormat || st.Reference == "" || st.Policy == "" {
		return st, false, errf(XSErrFileError, 0, "state file %s: unsupported format or missing fields", filepath.Join(s.dir, stateFile))
	}
	return st, true, nil
}

// readPolicy loads and verifies the managed policy of st: the XML must hash
// to st.XMLSHA1 and compile to the stored .bin (and boot copy).
func (s *store) readPolicy(st storeState) (*Compiled, error) {
	pdir := s.policiesDir(st.Generation)
	xml, err := os.ReadFile(PolicyXMLPath(pdir, st.Policy))
	if err != nil {
		return nil, fileErr("read policy", err)
	}
	sum := sha1.Sum(xml)
	if hex.EncodeToString(sum[:]) != st.XMLSHA1 {
		return nil, errf(XSErrFileError, 0, "policy %s: XML does not match its recorded hash", st.Policy)
	}
	p, err := Parse(xml)
	if err != nil {
		return nil, err
	}
	c, err := Compile(p)
	if err != nil {
		return nil, err
	}
	if c.Name() != st.Policy {
		return nil, errf(XSErrFileError, 0, "policy file of %s names policy %s", st.Policy, c.Name())
	}
	bin, err := os.ReadFile(PolicyFilePath(pdir, st.Policy, ".bin"))
	if err != nil {
		return nil, fileErr("read binary policy", err)
	}
	if !bytes.Equal(bin, c.bin) {
		return nil, errf(XSErrFileError, 0, "binary policy of %s does not match its XML", st.Policy)
	}
	if st.Boot && !p.IsDefault() {
		boot, err := os.ReadFile(s.bootPath(st.Generation, st.Policy))
		if err != nil {
			return nil, fileErr("read boot policy", err)
		}
		if !bytes.Equal(boot, c.bin) {
			return nil, errf(XSErrFileError, 0, "boot policy of %s does not match its XML", st.Policy)
		}
	}
	return c, nil
}

// writeGeneration writes every file of st's generation: the managed policy's
// XML, map and binary, and the boot copy when st.Boot.
func (s *store) writeGeneration(st storeState, c *Compiled) error {
	// A crash may have left a generation of this number behind.
	if err := os.RemoveAll(s.genPath(st.Generation)); err != nil {
		return fileErr("remove stale generation", err)
	}
	pdir := s.policiesDir(st.Generation)
	files := []struct {
		path string
		data []byte
	}{
		{PolicyXMLPath(pdir, c.Name()), c.policy.xml},
		{PolicyFilePath(pdir, c.Name(), ".map"), []byte(c.Map(s.mapDir))},
		{PolicyFilePath(pdir, c.Name(), ".bin"), c.bin},
	}
	if st.Boot && !c.policy.IsDefault() {
		files = append(files, struct {
			path string
			data []byte
		}{s.bootPath(st.Generation, c.Name()), c.bin})
	}
	for _, f := range files {
		if err := mkdirAllSync(filepath.Dir(f.path)); err != nil {
			return err
		}
		if err := writeFileAtomic(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// switchState replaces the state file: the commit point of every change.
func (s *store) switchState(st storeState) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fileErr("encode state", err)
	}
	return writeFileAtomic(filepath.Join(s.dir, stateFile), append(data, '\n'))
}

// removeOtherGenerations deletes every generation but keep, superseded ones
// and those a crash left behind, and temporary state files. Failures are
// ignored; the next call retries.
func (s *store) removeOtherGenerations(keep uint64) {
	if tmps, err := filepath.Glob(filepath.Join(s.dir, "."+stateFile+".tmp*")); err == nil {
		for _, t := range tmps {
			_ = os.Remove(t)
		}
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, genDir))
	if err != nil {
		return
	}
	for _, e := range entries {
		if g, err := strconv.ParseUint(e.Name(), 10, 64); err == nil && g == keep {
			continue
		}
		_ = os.RemoveAll(filepath.Join(s.dir, genDir, e.Name()))
	}
	_ = syncDir(filepath.Join(s.dir, genDir))
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder: fsync, rename, fsync of the folder, so that path holds either the
// old or the new bytes after a crash.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fileErr("create temporary file", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fileErr("write "+path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		_ = f.Close()
		return fileErr("chmod "+path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fileErr("sync "+path, err)
	}
	if err := f.Close(); err != nil {
		return fileErr("close "+path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fileErr("rename "+path, err)
	}
	return syncDir(dir)
}

// mkdirAllSync creates dir and its missing parents, syncing each parent so
// that the new entries survive a crash.
func mkdirAllSync(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSync(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fileErr("create folder", err)
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fileErr("open folder", err)
	}
	defer d.Close()
	// Some file systems cannot sync a folder (EINVAL); nothing to do there.
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fileErr("sync folder "+dir, err)
	}
	return nil
}

// fileError is an I/O failure of the store: XSErrFileError, wrapping the
// cause for errors.Is/As.
type fileError struct {
	what string
	err  error
}

func (e *fileError) Error() string {
	return fmt.Sprintf("acm: %s: %v (%s)", e.what, e.err, XSErrFileError.Message())
}

func (e *fileError) Unwrap() []error { return []error{e.err, XSErrFileError} }

func fileErr(what string, err error) error { return &fileError{what: what, err: err} }
