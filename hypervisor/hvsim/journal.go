package hvsim

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shypecim/shypecim/hypervisor"
)

// The journal holds the changes committed since the snapshot, one frame per change:
//
//	length uint32 LE | crc32c(payload) uint32 LE | payload (a JSON record)
//
// Each append is written at the known end of the file and fsync'd before the change
// is acknowledged. A crash mid-append leaves an incomplete or garbled last frame: a
// torn tail, which replay ignores. A bad frame followed by more data cannot come from
// a crash and is reported as ErrCorrupt.
const (
	frameHeader = 8
	// maxRecord bounds a frame's length so that a garbled header is not taken for a
	// huge allocation.
	maxRecord = 1 << 30
)

// minCompact is the journal size below which no compaction happens; above it the
// journal is compacted once it outgrows the snapshot, which keeps the total work
// linear in the number of changes. Tests lower it.
var minCompact int64 = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is one committed change. Replay applies Del, then Defs, then Run, then
// NextID; a record is applied whole or not at all.
type record struct {
	Seq  uint64              `json:"seq"`
	Del  []string            `json:"del,omitempty"`  // definitions removed
	Defs []hypervisor.Config `json:"defs,omitempty"` // definitions added or replaced
	// Run holds the running state of every domain the change touched; a Halted
	// entry removes the domain's running state.
	Run    []runEntry `json:"run,omitempty"`
	NextID domainID   `json:"nextId"`
}

// frame encodes rec as one journal frame.
func frame(rec *record) ([]byte, error) {
	payload, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("hvsim: encode journal record: %w", err)
	}
	buf := make([]byte, frameHeader, frameHeader+len(payload))
	binary.LittleEndian.PutUint32(buf[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[4:], crc32.Checksum(payload, castagnoli))
	return append(buf, payload...), nil
}

// readJournal decodes the frames of data. It returns the records and the length of
// the valid prefix; a torn tail ends the records silently.
func readJournal(data []byte) ([]record, int64, error) {
	var recs []record
	off := 0
	for off < len(data) {
		rest := data[off:]
		if len(rest) < frameHeader {
			break // torn header
		}
		n := binary.LittleEndian.Uint32(rest[0:])
		sum := binary.LittleEndian.Uint32(rest[4:])
		end := frameHeader + int(n)
		if n == 0 || n > maxRecord {
			if allZero(rest) {
				break // space the file system allocated for a write it never finished
			}
			return nil, 0, fmt.Errorf("%w: %s: bad frame length %d at offset %d", ErrCorrupt, walFile, n, off)
		}
		if end > len(rest) {
			break // torn payload
		}
		payload := rest[frameHeader:end]
		if crc32.Checksum(payload, castagnoli) != sum {
			if end == len(rest) || allZero(rest[end:]) {
				break // the last frame, garbled by the crash
			}
			return nil, 0, fmt.Errorf("%w: %s: checksum mismatch at offset %d", ErrCorrupt, walFile, off)
		}
		var rec record
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, 0, fmt.Errorf("%w: %s: record at offset %d: %w", ErrCorrupt, walFile, off, err)
		}
		if len(recs) > 0 && rec.Seq <= recs[len(recs)-1].Seq {
			return nil, 0, fmt.Errorf("%w: %s: sequence %d after %d", ErrCorrupt, walFile, rec.Seq, recs[len(recs)-1].Seq)
		}
		recs = append(recs, rec)
		off += end
	}
	return recs, int64(off), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// appendFrame writes buf at offset size of the journal and syncs it. On failure it
// tries to cut the journal back to size, so that a record reported as failed is
// not found by a replay.
func appendFrame(dir string, size int64, buf []byte) error {
	path := filepath.Join(dir, walFile)
	// No O_CREATE: compaction creates the journal, and a missing one must not be
	// silently replaced by a journal that lacks the records before.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("hvsim: journal: %w", err)
	}
	_, err = f.WriteAt(buf, size)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		// Best effort: the caller replaces the journal by a snapshot anyway.
		if f.Truncate(size) == nil {
			f.Sync()
		}
		f.Close()
		return fmt.Errorf("hvsim: journal append: %w", err)
	}
	// Synced: the record is durable whatever Close reports.
	f.Close()
	return nil
}

// readWAL returns the journal's content, nil if it does not exist.
func readWAL(dir string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, walFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hvsim: %w", err)
	}
	return data, nil
}
