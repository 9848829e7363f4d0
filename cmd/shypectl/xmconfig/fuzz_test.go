package xmconfig

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every rejection is an
// *Error with a position inside the file, and that every accepted file has
// xm's invariants (a name, positive memory and vcpus, valid disk modes).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"name = 'vm'\nmemory = 256\nvcpus = 2\n",
		"disk = ['phy:sdb1,xvda1,w', 'file:/srv/img/a.img,xvda2,r']\nvif = ['mac=00:16:3e:00:00:01,bridge=xenbr0', '']\n",
		"access_control = ['policy=acme,label=bank']\n",
		"extra = '''a\\x41\n''' \"b\" + r'\\c'\nx = (1, [2, -3], None, True)\n",
		"memory = 'lots'\n",
		"a = 1\n  b = 2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse("f.cfg", src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse() error %T %v is not *Error", err, err)
			}
			if e.Pos.File != "f.cfg" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Err == nil {
				t.Fatalf("Parse() error %#v has a bad position or no cause", e)
			}
			return
		}
		if c.Name == "" || c.MemoryMiB == 0 || c.VCPUs == 0 || c.Extra == nil {
			t.Fatalf("Parse() = %+v, missing defaults", c)
		}
		for _, d := range c.Disks {
			if d.Mode != "r" && d.Mode != "w" && d.Mode != "w!" {
				t.Fatalf("Parse() accepted disk mode %q", d.Mode)
			}
		}
	})
}
