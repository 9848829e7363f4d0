package acm

import (
	"errors"
	"os"
	"testing"
)

// FuzzLoad checks that the parser never panics and that every rejection is
// an *Error carrying an XSERR code; accepted policies must compile, and their
// binary must dump.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"acme-security_policy.xml", "test-wld-security_policy.xml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(DefaultXML("x"))
	f.Add([]byte(`<SecurityPolicyDefinition xmlns="http://www.ibm.com"/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse() error %T %v is not *Error", err, err)
			}
			if _, ok := e.Code.index(); !ok || e.Code == XSErrSuccess {
				t.Fatalf("Parse() error code %d unknown", int(e.Code))
			}
			return
		}
		c, err := Compile(p)
		if err != nil {
			t.Fatalf("Compile() of a parsed policy = %v", err)
		}
		if _, err := Dump(c.Binary(), 0x00010001); err != nil {
			t.Fatalf("Dump() of a compiled policy = %v", err)
		}
	})
}

// FuzzDump checks that Dump never panics on any buffer.
func FuzzDump(f *testing.F) {
	c, err := Compile(DefaultPolicy())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Binary(), uint32(0x00010001))
	f.Fuzz(func(t *testing.T, bin []byte, dom0 uint32) {
		if _, err := Dump(bin, dom0); err != nil && !errors.Is(err, XSErrPolicyLoadFailed) {
			t.Fatalf("Dump() = %v", err)
		}
	})
}

// FuzzChineseWall drives create/destroy sequences on test-wld: the counters
// always equal a recomputation from the running domains, and no two running
// domains ever hold types of one conflict set (unless one label holds both).
func FuzzChineseWall(f *testing.F) {
	c, err := Compile(mustParse(f, "testdata/test-wld-security_policy.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{3, 9, 0x83, 9, 4, 7})
	f.Fuzz(func(t *testing.T, ops []byte) {
		s := c.NewState()
		var running []uint32
		for _, op := range ops {
			i := uint32(op&0x7f) % uint32(len(c.vmNames)+1) // one beyond: out of range
			r := i<<16 | i
			if op&0x80 != 0 { // destroy a running domain with this index, if any
				if k := indexOf(running, r); k >= 0 {
					s.Destroy(r)
					running = append(running[:k], running[k+1:]...)
				}
				continue
			}
			if s.Create(r) == nil {
				running = append([]uint32{r}, running...)
			}
			re, tuple := c.Recompute(running)
			if tuple != nil {
				t.Fatalf("running %x violate a conflict set: %v", running, tuple)
			}
			for k := range s.running {
				if re.running[k] != s.running[k] || re.aggregate[k] != s.aggregate[k] {
					t.Fatalf("counters differ from a recomputation over %x", running)
				}
			}
		}
	})
}

func indexOf(s []uint32, v uint32) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func mustParse(tb testing.TB, path string) *Policy {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
