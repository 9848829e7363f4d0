package swtpm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/shypecim/shypecim/vtpm"
)

// TPM 2.0 command/response header: tag (2), size (4), code (4).
const headerSize = 10

// maxResponse bounds a response size read from the wire; swtpm's buffer is 4 KiB.
const maxResponse = 64 << 10

// commandTimeout bounds one TPM command; RSA key generation is the slowest
// (tens of ms to ~1 s), so this only catches a wedged process.
const commandTimeout = 60 * time.Second

// errClosed is returned by Send after the connection was closed.
var errClosed = errors.New("swtpm: data channel closed")

// stream is the data-channel transport: one connection, one command at a time,
// responses read exactly by the size in their header (a single Read may return
// only part of a response on a stream socket, vtpm.md §4.3).
type stream struct {
	mu     sync.Mutex
	conn   net.Conn
	broken error
}

func newStream(conn net.Conn) *stream { return &stream{conn: conn} }

// Send implements transport.TPM.
func (s *stream) Send(cmd []byte) ([]byte, error) {
	if len(cmd) < headerSize {
		return nil, fmt.Errorf("swtpm: command of %d bytes is shorter than a TPM header", len(cmd))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return nil, fmt.Errorf("%w: %w", vtpm.ErrNotRunning, s.broken)
	}
	rsp, err := s.roundTrip(cmd)
	if err != nil {
		// After a failed exchange the stream position is unknown: never reuse it.
		s.broken = err
		s.conn.Close()
		return nil, err
	}
	return rsp, nil
}

func (s *stream) roundTrip(cmd []byte) ([]byte, error) {
	if err := s.conn.SetDeadline(time.Now().Add(commandTimeout)); err != nil {
		return nil, fmt.Errorf("swtpm: data channel: %w", err)
	}
	if _, err := s.conn.Write(cmd); err != nil {
		return nil, fmt.Errorf("swtpm: data channel write: %w", err)
	}
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(s.conn, hdr); err != nil {
		return nil, fmt.Errorf("swtpm: data channel read: %w", err)
	}
	size := binary.BigEndian.Uint32(hdr[2:6])
	if size < headerSize || size > maxResponse {
		return nil, fmt.Errorf("swtpm: response size %d: %w", size, vtpm.ErrBackendProtocol)
	}
	rsp := make([]byte, size)
	copy(rsp, hdr)
	if _, err := io.ReadFull(s.conn, rsp[headerSize:]); err != nil {
		return nil, fmt.Errorf("swtpm: data channel read: %w", err)
	}
	return rsp, nil
}

// Close closes the connection; later Sends fail.
func (s *stream) Close() error {
	// Close first, without the lock, so that a Send blocked on a wedged TPM
	// returns at once.
	err := s.conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken == nil {
		s.broken = errClosed
	}
	return err
}
