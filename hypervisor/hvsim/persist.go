package hvsim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/shypecim/shypecim/hypervisor"
)

// The files of the data directory: the snapshot and the journal of the changes
// since; defsFile and runFile are the format before the journal, which Open migrates.
const (
	snapFile    = "state.json"
	walFile     = "journal"
	snapVersion = 2
	defsFile    = "domains.json"
	runFile     = "running.json"
	version     = 1
)

// ErrCorrupt is returned by Open when a state file cannot be read back consistently.
var ErrCorrupt = errors.New("hvsim: state file is corrupt")

type defsState struct {
	Version int                 `json:"version"`
	Domains []hypervisor.Config `json:"domains"` // Domain-0 first, for its label
}

// snapState is the snapshot: every definition, the running state, and the sequence
// number of the last journal record it covers.
type snapState struct {
	Version int                 `json:"version"`
	Seq     uint64              `json:"seq"`
	Domains []hypervisor.Config `json:"domains"` // Domain-0 first, for its label
	NextID  domainID            `json:"nextId"`
	Running []runEntry          `json:"running"` // every domain not Halted, Domain-0 first
}

type runState struct {
	Version int        `json:"version"`
	NextID  domainID   `json:"nextId"`
	Domains []runEntry `json:"domains"` // every domain not Halted, Domain-0 first
}

type runEntry struct {
	Name    string     `json:"name"`
	State   state      `json:"state"`
	ID      domainID   `json:"id,omitempty"`
	SSIDRef uint32     `json:"ssidref,omitempty"`
	Ports   []portRec  `json:"ports,omitempty"`
	NextP   uint32     `json:"nextPort,omitempty"`
	Maps    []grantRec `json:"grants,omitempty"`
	NextH   uint32     `json:"nextHandle,omitempty"`
}

type portRec struct {
	Port, RemotePort uint32
	Remote           domainID
}

type grantRec struct {
	Handle  uint32
	Granter domainID
}

// sortNames sorts names with Domain-0 first, the order of the state files.
func sortNames(names []string) {
	slices.SortFunc(names, func(a, b string) int {
		if a == hypervisor.Domain0Name || b == hypervisor.Domain0Name {
			return boolCmp(b == hypervisor.Domain0Name, a == hypervisor.Domain0Name)
		}
		return cmp.Compare(a, b)
	})
}

func (h *HV) sortedNames() []string {
	names := make([]string, 0, len(h.doms))
	for n := range h.doms {
		names = append(names, n)
	}
	sortNames(names)
	return names
}

// runEntryOf is the saved running state of d; a Halted entry means none.
func runEntryOf(d *domain) runEntry {
	e := runEntry{Name: d.cfg.Name, State: d.state}
	if d.state.Live() {
		e.ID, e.SSIDRef, e.NextP, e.NextH = d.id, d.ssidref, uint32(d.nextP), d.nextH
		for p, ep := range d.ports {
			e.Ports = append(e.Ports, portRec{Port: uint32(p), Remote: ep.remote, RemotePort: uint32(ep.port)})
		}
		slices.SortFunc(e.Ports, func(a, b portRec) int { return cmp.Compare(a.Port, b.Port) })
		for hd, g := range d.maps {
			e.Maps = append(e.Maps, grantRec{Handle: hd, Granter: g})
		}
		slices.SortFunc(e.Maps, func(a, b grantRec) int { return cmp.Compare(a.Handle, b.Handle) })
	}
	return e
}

// markRun records that d's running state changed and must go into the next write.
func (h *HV) markRun(d *domain) {
	if h.dir != "" {
		h.dirty[d] = struct{}{}
	}
}

// saveDefs commits a definition change: the definitions named del removed, those
// of put added or replaced.
func (h *HV) saveDefs(del []string, put ...*domain) error {
	rec := &record{Del: del}
	for _, d := range put {
		rec.Defs = append(rec.Defs, d.cfg)
	}
	return h.commit(rec)
}

// saveRun commits the running-state changes made since the last write.
func (h *HV) saveRun() error {
	return h.commit(&record{})
}

// commit appends rec, with every pending running-state change and the next domain
// id, to the journal, compacting it when it has grown past the snapshot. Without a
// usable journal (an earlier append left it in an unknown state) it writes a
// snapshot instead. An error means that the change is not recorded.
func (h *HV) commit(rec *record) error {
	if h.dir == "" {
		return nil
	}
	if h.broken {
		return h.compact()
	}
	for d := range h.dirty {
		if h.doms[d.cfg.Name] == d { // a deleted domain has no running state
			rec.Run = append(rec.Run, runEntryOf(d))
		}
	}
	slices.SortFunc(rec.Run, func(a, b runEntry) int { return cmp.Compare(a.Name, b.Name) })
	rec.NextID = h.nextID
	rec.Seq = h.seq + 1
	buf, err := frame(rec)
	if err != nil {
		return err
	}
	if err := appendFrame(h.dir, h.walSize, buf); err != nil {
		// The journal's end is unknown now, the record may even be on disk: the
		// next change writes a snapshot instead, covering this sequence number so
		// that a replay never applies the record.
		h.seq = rec.Seq
		h.broken, h.brokenErr = true, err
		return err
	}
	h.seq = rec.Seq
	h.walSize += int64(len(buf))
	clear(h.dirty)
	if h.walSize > max(minCompact, h.snapSize) {
		// The change is durable already; a failed compaction is retried by the
		// next change.
		_ = h.compact()
	}
	return nil
}

// compact writes the whole state as a new snapshot covering every record so far,
// then starts an empty journal. The snapshot's rename is the commit point: an error
// means that it did not happen. A crash after it leaves the old journal, whose
// records the snapshot's sequence number marks as applied; a failure to reset the
// journal makes later changes compact again until it works.
func (h *HV) compact() error {
	st := snapState{Version: snapVersion, Seq: h.seq, NextID: h.nextID}
	for _, n := range h.sortedNames() {
		d := h.doms[n]
		st.Domains = append(st.Domains, d.cfg)
		if d.state != hypervisor.Halted {
			st.Running = append(st.Running, runEntryOf(d))
		}
	}
	size, err := writeJSON(h.dir, snapFile, st)
	if err != nil {
		// The rename may have happened with the folder's sync failing: the next
		// change writes a snapshot of what the caller then keeps.
		h.broken, h.brokenErr = true, err
		return err
	}
	h.snapSize = size
	clear(h.dirty)
	if err := resetWAL(h.dir); err != nil {
		h.broken, h.brokenErr = true, err
		return nil
	}
	h.walSize, h.broken, h.brokenErr = 0, false, nil
	return nil
}

// resetWAL makes the journal an empty file.
func resetWAL(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, walFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("hvsim: journal: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("hvsim: journal: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeJSON replaces dir/name atomically: a temporary file, fsync, rename, fsync of
// the folder, so that a crash leaves the old file or the new one. It returns the
// size written.
func writeJSON(dir, name string, v any) (int64, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("hvsim: encode %s: %w", name, err)
	}
	data = append(data, '\n')
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("hvsim: %w", err)
	}
	f, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return 0, fmt.Errorf("hvsim: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("hvsim: write %s: %w", name, err)
	}
	if err := syncDir(dir); err != nil {
		return 0, fmt.Errorf("hvsim: sync %s: %w", dir, err)
	}
	return int64(len(data)), nil
}

// readJSON reads dir/name into v; a missing file leaves v alone and returns false.
func readJSON(dir, name string, v any) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hvsim: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, fmt.Errorf("%w: %s: %w", ErrCorrupt, name, err)
	}
	return true, nil
}

// load restores the saved state (Open): definitions, then, unless reset, the running
// state, replaying the create hook for every live domain. It ends with a compaction,
// which also migrates the files of the format before the journal.
func (h *HV) load(reset bool) error {
	if h.dir == "" {
		return h.bootDom0(h.dom0SSIDRef)
	}
	defs, run, err := h.readState(reset)
	if err != nil {
		return err
	}
	for _, cfg := range defs.Domains {
		if cfg.Name == hypervisor.Domain0Name {
			h.doms[cfg.Name].cfg.Label = cfg.Label
			continue
		}
		if err := validConfig(cfg); err != nil {
			return fmt.Errorf("%w: definitions: %w", ErrCorrupt, err)
		}
		if _, dup := h.doms[cfg.Name]; dup {
			return fmt.Errorf("%w: definitions: %s twice", ErrCorrupt, cfg.Name)
		}
		if cfg.UUID == "" {
			cfg.UUID = nameUUID(cfg.Name)
		}
		h.doms[cfg.Name] = &domain{cfg: cfg, id: hypervisor.InvalidID}
	}
	if len(run.Domains) == 0 {
		// A host boot: nothing ran before.
		if err := h.bootDom0(h.dom0SSIDRef); err != nil {
			return err
		}
	} else if err := h.restoreRun(run); err != nil {
		return err
	}
	if err := h.compact(); err != nil {
		return err
	}
	if h.broken {
		return h.brokenErr
	}
	// The snapshot holds everything now: the old files and any temporary file a
	// crash left go.
	stale, _ := filepath.Glob(filepath.Join(h.dir, "*.tmp*"))
	for _, f := range append(stale, filepath.Join(h.dir, defsFile), filepath.Join(h.dir, runFile)) {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("hvsim: %w", err)
		}
	}
	if err := syncDir(h.dir); err != nil {
		return fmt.Errorf("hvsim: sync %s: %w", h.dir, err)
	}
	return nil
}

// readState reads the snapshot (or the files of the old format) and replays the
// journal's records that the snapshot does not cover.
func (h *HV) readState(reset bool) (defsState, runState, error) {
	var defs defsState
	var run runState
	var snap snapState
	ok, err := readJSON(h.dir, snapFile, &snap)
	switch {
	case err != nil:
		return defs, run, err
	case ok && snap.Version != snapVersion:
		return defs, run, fmt.Errorf("%w: %s: version %d", ErrCorrupt, snapFile, snap.Version)
	case ok:
		defs.Domains = snap.Domains
		run = runState{NextID: snap.NextID, Domains: snap.Running}
		h.seq = snap.Seq
	default:
		if _, err := readJSON(h.dir, defsFile, &defs); err != nil {
			return defs, run, err
		}
		if !reset {
			if _, err := readJSON(h.dir, runFile, &run); err != nil {
				return defs, run, err
			}
		}
	}
	data, err := readWAL(h.dir)
	if err != nil {
		return defs, run, err
	}
	recs, _, err := readJournal(data)
	if err != nil {
		return defs, run, err
	}
	for len(recs) > 0 && recs[0].Seq <= h.seq {
		recs = recs[1:] // in the snapshot already: a crash before the journal's reset
	}
	if len(recs) > 0 {
		if defs, run, err = replay(defs, run, recs); err != nil {
			return defs, run, err
		}
		h.seq = recs[len(recs)-1].Seq
	}
	if reset {
		run = runState{}
	}
	return defs, run, nil
}

// replay applies recs to the state read from the snapshot.
func replay(defs defsState, run runState, recs []record) (defsState, runState, error) {
	cfgs := make(map[string]hypervisor.Config, len(defs.Domains))
	for _, c := range defs.Domains {
		if _, dup := cfgs[c.Name]; dup {
			return defs, run, fmt.Errorf("%w: %s: %s twice", ErrCorrupt, snapFile, c.Name)
		}
		cfgs[c.Name] = c
	}
	entries := make(map[string]runEntry, len(run.Domains))
	for _, e := range run.Domains {
		entries[e.Name] = e
	}
	for _, r := range recs {
		for _, n := range r.Del {
			delete(cfgs, n)
			delete(entries, n) // a definition deleted has no running state
		}
		for _, c := range r.Defs {
			cfgs[c.Name] = c
		}
		for _, e := range r.Run {
			if e.State == hypervisor.Halted {
				delete(entries, e.Name)
			} else {
				entries[e.Name] = e
			}
		}
		run.NextID = r.NextID
	}
	names := slices.Collect(maps.Keys(cfgs))
	sortNames(names)
	defs.Domains = defs.Domains[:0]
	for _, n := range names {
		defs.Domains = append(defs.Domains, cfgs[n])
	}
	names = slices.Collect(maps.Keys(entries))
	sortNames(names)
	run.Domains = run.Domains[:0]
	for _, n := range names {
		run.Domains = append(run.Domains, entries[n])
	}
	return defs, run, nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: running state: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// restoreRun rebuilds the live state of a management restart. It checks the file
// fully before the first hook call.
func (h *HV) restoreRun(run runState) error {
	if run.Domains[0].Name != hypervisor.Domain0Name || run.Domains[0].ID != 0 || !run.Domains[0].State.Live() {
		return corrupt("Domain-0 is not the first live domain")
	}
	byID := map[domainID]*runEntry{}
	for i := range run.Domains {
		e := &run.Domains[i]
		d, ok := h.doms[e.Name]
		if !ok {
			return corrupt("%s is not defined", e.Name)
		}
		switch {
		case e.State == hypervisor.Suspended:
			d.state = e.State
			continue
		case !e.State.Live():
			return corrupt("%s has state %v", e.Name, e.State)
		case e.ID >= hypervisor.FirstReservedID || (e.ID == 0) != (e.Name == hypervisor.Domain0Name) || byID[e.ID] != nil:
			return corrupt("%s has id %d", e.Name, e.ID)
		}
		byID[e.ID] = e
	}
	for _, e := range byID {
		for _, p := range e.Ports {
			r := byID[p.Remote]
			if r == nil || !slices.Contains(r.Ports, portRec{Port: p.RemotePort, Remote: e.ID, RemotePort: p.Port}) {
				return corrupt("%s port %d has no other end", e.Name, p.Port)
			}
		}
		for _, g := range e.Maps {
			if byID[g.Granter] == nil {
				return corrupt("%s maps a grant of missing domain %d", e.Name, g.Granter)
			}
		}
	}
	h.nextID = run.NextID
	ids := make([]domainID, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		e := byID[id]
		d := h.doms[e.Name]
		if id == hypervisor.Dom0 {
			if err := h.bootDom0(e.SSIDRef); err != nil {
				return err
			}
		} else {
			if h.acm != nil {
				if err := h.acm.DomainCreate(uint32(id), e.SSIDRef); err != nil {
					h.restoreErrs = append(h.restoreErrs, fmt.Errorf("hvsim: restore %s: halted: %w: %w", e.Name, hypervisor.ErrDenied, err))
					d.state = hypervisor.Halted
					continue
				}
			}
			h.makeLive(d, id, e.SSIDRef)
		}
		d.state = e.State
		d.nextP, d.nextH = hypervisor.Port(max(e.NextP, 1)), max(e.NextH, 1)
		for _, p := range e.Ports {
			d.ports[hypervisor.Port(p.Port)] = endpoint{remote: p.Remote, port: hypervisor.Port(p.RemotePort)}
			d.nextP = max(d.nextP, hypervisor.Port(p.Port)+1)
		}
		for _, g := range e.Maps {
			d.maps[g.Handle] = g.Granter
			d.nextH = max(d.nextH, g.Handle+1)
		}
	}
	// Channels to a domain that could not be restored close, as its destruction
	// would have closed them.
	for _, d := range h.live {
		for p, ep := range d.ports {
			if h.live[ep.remote] == nil {
				delete(d.ports, p)
			}
		}
		for hd, g := range d.maps {
			if h.live[g] == nil {
				delete(d.maps, hd)
			}
		}
	}
	return nil
}
