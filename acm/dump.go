package acm

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// codeName is secpol_tool's ACM_POLICY_NAME.
func codeName(c uint32) string {
	switch c {
	case CodeNull:
		return "NULL"
	case CodeCHWall:
		return "CHINESE WALL"
	case CodeSTE:
		return "SIMPLE TYPE ENFORCEMENT"
	case CodeSTE<<4 | CodeCHWall:
		return "CHINESE WALL AND SIMPLE TYPE ENFORCEMENT"
	}
	return "UNDEFINED"
}

// Dump renders a binary policy as `xm dumppolicy` printed it (xensec_tool's
// acm_dump_policy_buffer, acm.md §2.5): header, then each component with its
// matrices, Domain-0's rows (from its ssidref dom0) marked " <-- Domain-0".
// Chinese Wall counters print when the buffer carries them (the live form
// of LiveBinary), else "Not Reported!". A buffer too short for what its
// header announces is an XSErrPolicyLoadFailed error.
func Dump(bin []byte, dom0 uint32) (string, error) {
	r := reader{b: bin}
	refOff := r.u32(12)
	prim, primOff := r.u32(16), r.u32(20)
	sec, secOff := r.u32(24), r.u32(28)
	refLen := r.u32(refOff)
	name := r.str(refOff+4, refLen)
	if r.err != nil {
		return "", r.err
	}
	var b strings.Builder
	f := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	f("\nPolicy dump:\n")
	f("============\n")
	f("POLICY REFERENCE = %s.\n", name)
	f("PolicyVer = %x.\n", r.u32(4))
	f("XML Vers. = %d.%d\n", int32(r.u32(32)), int32(r.u32(36)))
	f("Magic     = %x.\n", r.u32(0))
	f("Len       = %x.\n", r.u32(8))
	f("Primary   = %s (c=%x, off=%x).\n", codeName(prim), prim, primOff)
	f("Secondary = %s (c=%x, off=%x).\n", codeName(sec), sec, secOff)
	chwRef, steRef := dom0&0xffff, dom0>>16
	for i, code := range []uint32{prim, sec} {
		off := []uint32{primOff, secOff}[i]
		switch code {
		case CodeCHWall:
			r.dumpCHWall(f, off, chwRef)
		case CodeSTE:
			r.dumpSTE(f, off, steRef)
		case CodeNull:
			if i == 0 {
				f("Primary policy is NULL Policy (n/a).\n")
			} else {
				f("Secondary policy is NULL Policy (n/a).\n")
			}
		default:
			f("UNKNOWN POLICY!\n")
		}
	}
	if r.err != nil {
		return "", r.err
	}
	return b.String(), nil
}

// reader reads big-endian fields, remembering the first out-of-range access.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(off uint64) {
	if r.err == nil {
		r.err = errf(XSErrPolicyLoadFailed, 0, "binary policy of %d bytes truncated at offset %d", len(r.b), off)
	}
}

func (r *reader) u32(off uint32) uint32 { return r.u32at(uint64(off)) }

func (r *reader) u32at(off uint64) uint32 {
	if off+4 > uint64(len(r.b)) {
		r.fail(off + 4)
		return 0
	}
	return binary.BigEndian.Uint32(r.b[off:])
}

func (r *reader) u16(off uint64) uint16 {
	if off+2 > uint64(len(r.b)) {
		r.fail(off + 2)
		return 0
	}
	return binary.BigEndian.Uint16(r.b[off:])
}

// str reads a NUL-terminated string of at most n bytes at off.
func (r *reader) str(off, n uint32) string {
	end := uint64(off) + uint64(n)
	if end > uint64(len(r.b)) {
		end = uint64(len(r.b))
	}
	if uint64(off) > end {
		r.fail(uint64(off))
		return ""
	}
	s := r.b[off:end]
	if i := strings.IndexByte(string(s), 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// matrix prints rows × cols u16 cells at off; mark (if < rows) gets the
// Domain-0 arrow. It stops at the first out-of-range read.
func (r *reader) matrix(f func(string, ...any), off uint64, rows, cols uint32, prefix string, mark int64) {
	// A corrupt header could announce billions of empty rows; refuse what the
	// buffer cannot hold.
	if uint64(rows)*uint64(max(cols, 1))*2 > uint64(len(r.b)) {
		r.fail(off + uint64(rows)*uint64(max(cols, 1))*2)
		return
	}
	for i := uint32(0); i < rows && r.err == nil; i++ {
		f(prefix, i)
		for j := uint32(0); j < cols && r.err == nil; j++ {
			f("%02x ", r.u16(off+2*(uint64(i)*uint64(cols)+uint64(j))))
		}
		if int64(i) == mark {
			f(" <-- Domain-0")
		}
	}
}

func (r *reader) dumpCHWall(f func(string, ...any), base uint32, ref uint32) {
	at := func(k uint32) uint32 { return r.u32at(uint64(base) + 4*uint64(k)) }
	if at(1) != CodeCHWall {
		f("CHINESE WALL POLICY CODE not found ERROR!!\n")
		return
	}
	types, ssids, sets := at(2), at(3), at(4)
	f("\n\nChinese Wall policy:\n")
	f("====================\n")
	f("Policy version= %x.\n", at(0))
	f("Max Types     = %x.\n", types)
	f("Max Ssidrefs  = %x.\n", ssids)
	f("Max ConfSets  = %x.\n", sets)
	f("Ssidrefs Off  = %x.\n", at(5))
	f("Conflicts Off = %x.\n", at(6))
	f("Runing T. Off = %x.\n", at(7))
	f("C. Agg. Off   = %x.\n", at(8))
	f("\nSSID To CHWALL-Type matrix:\n")
	r.matrix(f, uint64(base)+uint64(at(5)), ssids, types, "\n   ssidref%2x:  ", int64(ref))
	f("\n\nConfict Sets:\n")
	r.matrix(f, uint64(base)+uint64(at(6)), sets, types, "\n   c-set%2x:    ", -1)
	f("\n")
	f("\nRunning\nTypes:         ")
	if off := at(7); off != 0 {
		for i := uint32(0); i < types && r.err == nil; i++ {
			f("%02x ", r.u16(uint64(base)+uint64(off)+2*uint64(i)))
		}
		f("\n")
	} else {
		f("Not Reported!\n")
	}
	f("\nConflict\nAggregate Set: ")
	if off := at(8); off != 0 {
		for i := uint32(0); i < types && r.err == nil; i++ {
			f("%02x ", r.u16(uint64(base)+uint64(off)+2*uint64(i)))
		}
		f("\n\n")
	} else {
		f("Not Reported!\n")
	}
}

func (r *reader) dumpSTE(f func(string, ...any), base uint32, ref uint32) {
	at := func(k uint32) uint32 { return r.u32at(uint64(base) + 4*uint64(k)) }
	if at(1) != CodeSTE {
		f("SIMPLE TYPE ENFORCEMENT POLICY CODE not found ERROR!!\n")
		return
	}
	types, ssids := at(2), at(3)
	f("\nSimple Type Enforcement policy:\n")
	f("===============================\n")
	f("Policy version= %x.\n", at(0))
	f("Max Types     = %x.\n", types)
	f("Max Ssidrefs  = %x.\n", ssids)
	f("Ssidrefs Off  = %x.\n", at(4))
	f("\nSSID To STE-Type matrix:\n")
	r.matrix(f, uint64(base)+uint64(at(4)), ssids, types, "\n   ssidref%2x: ", int64(ref))
	f("\n\n")
}
