package hvsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/shypecim/shypecim/hypervisor"
)

// The files of the data directory.
const (
	defsFile = "domains.json"
	runFile  = "running.json"
	version  = 1
)

// ErrCorrupt is returned by Open when a state file cannot be read back consistently.
var ErrCorrupt = errors.New("hvsim: state file is corrupt")

type defsState struct {
	Version int                 `json:"version"`
	Domains []hypervisor.Config `json:"domains"` // Domain-0 first, for its label
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

func (h *HV) sortedNames() []string {
	names := make([]string, 0, len(h.doms))
	for n := range h.doms {
		if n != hypervisor.Domain0Name {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return append([]string{hypervisor.Domain0Name}, names...)
}

func (h *HV) saveDefs() error {
	if h.dir == "" {
		return nil
	}
	st := defsState{Version: version}
	for _, n := range h.sortedNames() {
		st.Domains = append(st.Domains, h.doms[n].cfg)
	}
	return writeJSON(h.dir, defsFile, st)
}

func (h *HV) saveRun() error {
	if h.dir == "" {
		return nil
	}
	st := runState{Version: version, NextID: h.nextID}
	for _, n := range h.sortedNames() {
		d := h.doms[n]
		if d.state == hypervisor.Halted {
			continue
		}
		e := runEntry{Name: n, State: d.state}
		if d.state.Live() {
			e.ID, e.SSIDRef, e.NextP, e.NextH = d.id, d.ssidref, uint32(d.nextP), d.nextH
			for p, ep := range d.ports {
				e.Ports = append(e.Ports, portRec{Port: uint32(p), Remote: ep.remote, RemotePort: uint32(ep.port)})
			}
			slices.SortFunc(e.Ports, func(a, b portRec) int { return int(a.Port) - int(b.Port) })
			for hd, g := range d.maps {
				e.Maps = append(e.Maps, grantRec{Handle: hd, Granter: g})
			}
			slices.SortFunc(e.Maps, func(a, b grantRec) int { return int(a.Handle) - int(b.Handle) })
		}
		st.Domains = append(st.Domains, e)
	}
	return writeJSON(h.dir, runFile, st)
}

// writeJSON replaces dir/name atomically: a temporary file, fsync, rename, fsync of
// the folder, so that a crash leaves the old file or the new one.
func writeJSON(dir, name string, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return fmt.Errorf("hvsim: encode %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("hvsim: %w", err)
	}
	f, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return fmt.Errorf("hvsim: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(data, '\n'))
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
		return fmt.Errorf("hvsim: write %s: %w", name, err)
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("hvsim: sync %s: %w", dir, err)
		}
	}
	return nil
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
// state, replaying the create hook for every live domain.
func (h *HV) load(reset bool) error {
	var defs defsState
	var run runState
	if h.dir != "" {
		if _, err := readJSON(h.dir, defsFile, &defs); err != nil {
			return err
		}
		if !reset {
			if _, err := readJSON(h.dir, runFile, &run); err != nil {
				return err
			}
		}
	}
	for _, cfg := range defs.Domains {
		if cfg.Name == hypervisor.Domain0Name {
			h.doms[cfg.Name].cfg.Label = cfg.Label
			continue
		}
		if err := validConfig(cfg); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrCorrupt, defsFile, err)
		}
		if _, dup := h.doms[cfg.Name]; dup {
			return fmt.Errorf("%w: %s: %s twice", ErrCorrupt, defsFile, cfg.Name)
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
		return h.saveAll()
	}
	if err := h.restoreRun(run); err != nil {
		return err
	}
	return h.saveAll()
}

func (h *HV) saveAll() error {
	if err := h.saveDefs(); err != nil {
		return err
	}
	return h.saveRun()
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, runFile, fmt.Sprintf(format, args...))
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
