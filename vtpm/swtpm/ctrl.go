package swtpm

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/shypecim/shypecim/vtpm"
)

// Control-channel command codes (swtpm include/swtpm/tpm_ioctl.h, vtpm.md §2.5).
const (
	cmdGetCapability uint32 = 0x01
	cmdInit          uint32 = 0x02
	cmdShutdown      uint32 = 0x03
	cmdStoreVolatile uint32 = 0x0a
	cmdGetStateBlob  uint32 = 0x0c
	cmdSetStateBlob  uint32 = 0x0d
	cmdStop          uint32 = 0x0e
)

// INIT flag: drop a stored volatile state instead of resuming it.
const initDeleteVolatile uint32 = 1

// State blob types of GET/SET_STATEBLOB.
const (
	blobPermanent uint32 = 1
	blobVolatile  uint32 = 2
)

// stateFlagDecrypt asks GET_STATEBLOB for the plain blob when a state key is set.
const stateFlagDecrypt uint32 = 1

// maxBlob bounds what we accept from the control channel; real blobs are a few KiB.
const maxBlob = 1 << 20

// defaultCtrlTimeout bounds one control command when the context has no deadline,
// so a wedged swtpm cannot hang the manager.
const defaultCtrlTimeout = 10 * time.Second

// CtrlError is a failure code returned by swtpm's control channel (a TPM 1.2-style
// ptm_res, e.g. 0xa or 0xd). It matches vtpm.ErrBackendProtocol with errors.Is.
type CtrlError struct {
	Cmd  uint32
	Code uint32
}

func (e *CtrlError) Error() string {
	return fmt.Sprintf("swtpm: control command 0x%02x failed with 0x%x", e.Cmd, e.Code)
}

// Is makes a control error an instance of vtpm.ErrBackendProtocol.
func (e *CtrlError) Is(target error) bool { return target == vtpm.ErrBackendProtocol }

// ctrlClient speaks swtpm's control channel on a unix socket. Each command uses
// its own connection: swtpm serves one control client at a time and a fresh
// connection never inherits a half-read response from an earlier failure.
type ctrlClient struct {
	path string
}

// do sends req and lets read consume the response. Errors answered by swtpm are
// only the 4-byte result (quirk §2.5a), so readers must read the result first.
func (c ctrlClient) do(ctx context.Context, req []byte, read func(r io.Reader) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultCtrlTimeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		return fmt.Errorf("swtpm: control channel: %w", err)
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	if err := conn.SetDeadline(dl); err != nil {
		return fmt.Errorf("swtpm: control channel: %w", err)
	}
	// Closing on cancellation unblocks I/O before the deadline.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := conn.Write(req); err != nil {
		return fmt.Errorf("swtpm: control channel write: %w", err)
	}
	if err := read(conn); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("swtpm: control channel: %w", ctx.Err())
		}
		return err
	}
	return nil
}

func be32(vs ...uint32) []byte {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// readResult reads the 4-byte result word and turns a non-zero code into a CtrlError.
func readResult(r io.Reader, cmd uint32) error {
	var res [4]byte
	if _, err := io.ReadFull(r, res[:]); err != nil {
		return fmt.Errorf("swtpm: control command 0x%02x: reading result: %w (%w)", cmd, err, vtpm.ErrBackendProtocol)
	}
	if code := binary.BigEndian.Uint32(res[:]); code != 0 {
		return &CtrlError{Cmd: cmd, Code: code}
	}
	return nil
}

// simple runs a command whose response is the result word only.
func (c ctrlClient) simple(ctx context.Context, cmd uint32, payload ...uint32) error {
	return c.do(ctx, be32(append([]uint32{cmd}, payload...)...), func(r io.Reader) error {
		return readResult(r, cmd)
	})
}

// GetCapability returns the control channel's capability mask. swtpm answers this
// one with the bare 8-byte mask, without a result word.
func (c ctrlClient) GetCapability(ctx context.Context) (uint64, error) {
	var caps uint64
	err := c.do(ctx, be32(cmdGetCapability), func(r io.Reader) error {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return fmt.Errorf("swtpm: GET_CAPABILITY: %w (%w)", err, vtpm.ErrBackendProtocol)
		}
		caps = binary.BigEndian.Uint64(b[:])
		return nil
	})
	return caps, err
}

// Init power-cycles the TPM (CMD_INIT). Without initDeleteVolatile a stored or
// previously set volatile state is resumed.
func (c ctrlClient) Init(ctx context.Context, flags uint32) error {
	return c.simple(ctx, cmdInit, flags)
}

// Shutdown ends the swtpm process.
func (c ctrlClient) Shutdown(ctx context.Context) error { return c.simple(ctx, cmdShutdown) }

// StoreVolatile writes the volatile state to tpm2-00.volatilestate.
func (c ctrlClient) StoreVolatile(ctx context.Context) error {
	return c.simple(ctx, cmdStoreVolatile)
}

// Stop stops the TPM; the process stays and accepts SET_STATEBLOB and INIT.
func (c ctrlClient) Stop(ctx context.Context) error { return c.simple(ctx, cmdStop) }

// GetStateBlob returns the decrypted state blob of the given type. It must be
// called while the TPM runs (after STOP swtpm answers 0xa, quirk §2.5b).
func (c ctrlClient) GetStateBlob(ctx context.Context, typ uint32) ([]byte, error) {
	var blob []byte
	for {
		offset := uint32(len(blob))
		var total uint32
		err := c.do(ctx, be32(cmdGetStateBlob, stateFlagDecrypt, typ, offset), func(r io.Reader) error {
			if err := readResult(r, cmdGetStateBlob); err != nil {
				return err
			}
			var h [12]byte // state_flags, totlength, length
			if _, err := io.ReadFull(r, h[:]); err != nil {
				return fmt.Errorf("swtpm: GET_STATEBLOB header: %w (%w)", err, vtpm.ErrBackendProtocol)
			}
			total = binary.BigEndian.Uint32(h[4:8])
			n := binary.BigEndian.Uint32(h[8:12])
			if total > maxBlob || n > total-offset {
				return fmt.Errorf("swtpm: GET_STATEBLOB: implausible length %d/%d: %w", n, total, vtpm.ErrBackendProtocol)
			}
			chunk := make([]byte, n)
			if _, err := io.ReadFull(r, chunk); err != nil {
				return fmt.Errorf("swtpm: GET_STATEBLOB data: %w (%w)", err, vtpm.ErrBackendProtocol)
			}
			blob = append(blob, chunk...)
			if n == 0 && uint32(len(blob)) < total {
				return fmt.Errorf("swtpm: GET_STATEBLOB: no progress at %d/%d: %w", len(blob), total, vtpm.ErrBackendProtocol)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		// On sockets swtpm sends the whole blob at once; the loop covers a
		// transport that splits it.
		if uint32(len(blob)) >= total {
			return blob, nil
		}
	}
}

// SetStateBlob loads a plain state blob of the given type; the TPM must not be
// running (before INIT, or after STOP).
func (c ctrlClient) SetStateBlob(ctx context.Context, typ uint32, data []byte) error {
	if len(data) > maxBlob {
		return fmt.Errorf("swtpm: SET_STATEBLOB: blob of %d bytes is too large", len(data))
	}
	req := append(be32(cmdSetStateBlob, 0, typ, uint32(len(data))), data...)
	return c.do(ctx, req, func(r io.Reader) error { return readResult(r, cmdSetStateBlob) })
}
