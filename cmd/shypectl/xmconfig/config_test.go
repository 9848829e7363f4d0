package xmconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/acm"
)

// base returns a Config with xm's defaults for the file name "t.cfg".
func base(mod func(c *Config)) *Config {
	c := &Config{Name: "t.cfg", MemoryMiB: 128, VCPUs: 1, Extra: map[string]string{}}
	if mod != nil {
		mod(c)
	}
	return c
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *Config
	}{
		{"empty file: defaults, name from the file", "", base(nil)},
		{"comments and blank lines", "# a comment\n\n   # indented comment\nname = 'vm' # trailing\n", base(func(c *Config) { c.Name = "vm" })},
		{"every typed key", `
name = "bank-vm"
kernel = '/boot/vmlinuz-2.6.18-xen'
ramdisk = "/boot/initrd.img"
memory = 256
vcpus = 2
disk = ['phy:sdb1,xvda1,w', 'file:/srv/img/a.img,xvda2,r']
vif = ['mac=00:16:3e:00:00:01,bridge=xenbr0', '']
access_control = ['policy=acme,label=bank']
on_reboot = 'restart'
extra = "console=hvc0 xencons=tty"
root = "/dev/xvda1 ro"
builder = 'linux'
`, &Config{
			Name: "bank-vm", Kernel: "/boot/vmlinuz-2.6.18-xen", Ramdisk: "/boot/initrd.img",
			MemoryMiB: 256, VCPUs: 2,
			Disks: []Disk{{Uname: "phy:sdb1", Dev: "xvda1", Mode: "w"}, {Uname: "file:/srv/img/a.img", Dev: "xvda2", Mode: "r"}},
			VIFs: []VIF{
				{MAC: "00:16:3e:00:00:01", Bridge: "xenbr0", Raw: map[string]string{"mac": "00:16:3e:00:00:01", "bridge": "xenbr0"}},
				{Raw: map[string]string{}},
			},
			AccessControl: &acm.AccessControl{Policy: "acme", Label: "bank"},
			Extra:         map[string]string{"on_reboot": "restart", "extra": "console=hvc0 xencons=tty", "root": "/dev/xvda1 ro", "builder": "linux"},
		}},
		{"multi-line lists, trailing commas, comments inside", `disk = [
    'phy:sdb1,xvda1,w',   # system
    # data disk
    'file:/srv/img/a.img,xvda2,w!',
]
`, base(func(c *Config) {
			c.Disks = []Disk{{Uname: "phy:sdb1", Dev: "xvda1", Mode: "w"}, {Uname: "file:/srv/img/a.img", Dev: "xvda2", Mode: "w!"}}
		})},
		{"disk with backend and protocol", "disk = ['phy:sdb1,xvda1,w,dom1,x86_32-abi']", base(func(c *Config) {
			c.Disks = []Disk{{Uname: "phy:sdb1", Dev: "xvda1", Mode: "w", Backend: "dom1", Protocol: "x86_32-abi"}}
		})},
		{"quoting and escapes", `name = "it's"` + "\n" + `kernel = 'a\tb\\c\'d\x41\101\q'` + "\n" + `ramdisk = r'C:\new\'x'`, base(func(c *Config) {
			c.Name, c.Kernel, c.Ramdisk = "it's", "a\tb\\c'dAA\\q", `C:\new\'x`
		})},
		{"triple quotes span lines", "extra = '''one\ntwo \"x\" ''x'''\nroot = \"\"\"r\"\"\"", base(func(c *Config) {
			c.Extra = map[string]string{"extra": "one\ntwo \"x\" ''x", "root": "r"}
		})},
		{"unicode prefix and escapes", `name = u'caf\u00e9'`, base(func(c *Config) { c.Name = "café" })},
		{"string concatenation: adjacent and +", "kernel = '/boot/' \"vmlinuz\" + '-' + 'xen'\nname = ('a'\n  'b')", base(func(c *Config) {
			c.Kernel, c.Name = "/boot/vmlinuz-xen", "ab"
		})},
		{"names assigned earlier", "img = '/srv/img/'\ndisk = ['file:' + img + 'a.img,xvda,w']\nmb = 100\nmemory = mb + 28", base(func(c *Config) {
			c.Disks = []Disk{{Uname: "file:/srv/img/a.img", Dev: "xvda", Mode: "w"}}
			c.MemoryMiB = 128
			c.Extra = map[string]string{"img": "/srv/img/", "mb": "100"}
		})},
		{"duplicated keys: the last wins", "memory = 512\nname = 'a'\nmemory = 1024\nname = 'b'", base(func(c *Config) { c.MemoryMiB, c.Name = 1024, "b" })},
		{"None, True, False and tuples are dropped as xm dropped them", "memory = 512\nmemory = None\nvcpus = True\ndisk = ('phy:a,b,w',)\nname = False\nflag = True", base(nil)},
		{"integers: hex, octal, long, sign, numeric strings", "memory = 0x100\nvcpus = '  3 '\nshadow_memory = 010\nmaxmem = 1024L\ncpu_weight = -(-5)", base(func(c *Config) {
			c.MemoryMiB, c.VCPUs = 256, 3
			c.Extra = map[string]string{"shadow_memory": "8", "maxmem": "1024", "cpu_weight": "5"}
		})},
		{"zero memory and vcpus keep the defaults (xm skipped falsy values)", "memory = 0\nvcpus = 0\nname = 0", base(nil)},
		{"lists kept in Extra as Python repr", "pci = ['0000:00:1d.0', \"it's\"]\ncpus = 3", base(func(c *Config) {
			c.Extra = map[string]string{"pci": `['0000:00:1d.0', "it's"]`, "cpus": "3"}
		})},
		{"semicolons and backslash continuation", "name = 'a'; memory = \\\n  300", base(func(c *Config) { c.Name, c.MemoryMiB = "a", 300 })},
		{"docstring and bare expressions", "\"\"\"A domain.\"\"\"\nname = 'a'\n", base(func(c *Config) { c.Name = "a" })},
		{"tuples inside lists and bracketed tuples", "x = [('a', 1), ()]\ny = 1, 2", base(func(c *Config) {
			c.Extra = map[string]string{"x": "[('a', 1), ()]"}
		})},
		{"VIF label and other keys", "vif = [' mac = 00:16:3e:00:00:02 , bridge=xenbr1, policy=acme,label=net-a, script=vif-bridge ', 'bridge=x,bridge=y']", base(func(c *Config) {
			c.VIFs = []VIF{
				{MAC: "00:16:3e:00:00:02", Bridge: "xenbr1", Label: "ACM:acme:net-a", Raw: map[string]string{"mac": "00:16:3e:00:00:02", "bridge": "xenbr1", "policy": "acme", "label": "net-a", "script": "vif-bridge"}},
				{Bridge: "y", Raw: map[string]string{"bridge": "y"}},
			}
		})},
		{"access_control with spaces, reversed keys", "access_control = [ ' label = bank , policy = acme ' ]", base(func(c *Config) {
			c.AccessControl = &acm.AccessControl{Policy: "acme", Label: "bank"}
		})},
		{"empty access_control is no label", "access_control = []", base(nil)},
		{"CRLF line ends", "name = 'a'\r\nmemory = 64\r\n", base(func(c *Config) { c.Name, c.MemoryMiB = "a", 64 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("t.cfg", []byte(tc.src))
			if err != nil {
				t.Fatalf("Parse() error %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse() =\n%#v\nwant\n%#v", got, tc.want)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		msg   string // the whole error text
		cause error
	}{
		{"unterminated string", "name = 'abc\n", "t.cfg:1:8: EOL while scanning string literal", ErrSyntax},
		{"unterminated triple string", "extra = '''abc\n", "t.cfg:1:9: EOF while scanning triple-quoted string literal", ErrSyntax},
		{"unclosed list", "disk = ['a,b,w',\n", "t.cfg:2:1: unexpected end of file inside brackets", ErrSyntax},
		{"unmatched bracket", "x = 1]\n", "t.cfg:1:6: unmatched ']'", ErrSyntax},
		{"missing comma in list", "disk = ['a' 1]", "t.cfg:1:13: invalid syntax: unexpected number 1", ErrSyntax},
		{"unexpected indent", "name = 'a'\n  memory = 1\n", "t.cfg:2:3: unexpected indent", ErrSyntax},
		{"function call", "name = f(1)", "t.cfg:1:9: invalid syntax: unexpected \"(\"", ErrSyntax},
		{"dict literal", "x = {'a': 1}", "t.cfg:1:5: invalid syntax: unexpected '{'", ErrSyntax},
		{"float", "memory = 1.5", "t.cfg:1:10: floating-point number 1.5 is not supported", ErrSyntax},
		{"bad octal", "memory = 08", "t.cfg:1:10: invalid number \"08\"", ErrSyntax},
		{"huge integer", "memory = 99999999999999999999", "t.cfg:1:10: integer 99999999999999999999 is too large", ErrSyntax},
		{"assignment to a literal", "'a' = 1", "t.cfg:1:1: can't assign to this expression (only NAME = value is supported)", ErrSyntax},
		{"augmented assignment", "x = 1\nx += 1", "t.cfg:2:3: unsupported operator '+='", ErrSyntax},
		{"missing value", "name =\n", "t.cfg:1:7: invalid syntax: unexpected end of line", ErrSyntax},
		{"two statements on a line", "name = 'a' memory = 1", "t.cfg:1:12: invalid syntax: unexpected \"memory\"", ErrSyntax},
		{"garbage after continuation", "x = 1 \\ y", "t.cfg:1:7: unexpected character after line continuation character", ErrSyntax},
		{"syntax error after a runtime one: syntax first", "x = y\nz = (", "t.cfg:2:6: unexpected end of file inside brackets", ErrSyntax},
		{"undefined name", "memory = mem", "t.cfg:1:10: name 'mem' is not defined", ErrEval},
		{"str + int", "name = 'a' + 1", "t.cfg:1:8: cannot concatenate 'str' and 'int' objects", ErrEval},
		{"list - list", "x = [] - []", "t.cfg:1:5: unsupported operand type(s) for -: 'list' and 'list'", ErrEval},
		{"unary minus on str", "x = -'a'", "t.cfg:1:5: bad operand type for unary -: 'str'", ErrEval},
		{"memory as a word", `memory = "lots"`, "t.cfg:1:10: invalid literal for int() with base 10: 'lots'", ErrValue},
		{"memory as a list", "memory = [256]", "t.cfg:1:10: int() argument must be a string or a number, not 'list'", ErrValue},
		{"negative vcpus", "vcpus = -1", "t.cfg:1:9: Invalid value: -1", ErrValue},
		{"vcpus too large", "vcpus = 4294967296", "t.cfg:1:9: Invalid value: 4294967296", ErrValue},
		{"disk with two fields", "disk = ['phy:sdb1,xvda1', 'phy:sdb2,xvda2,w']", "t.cfg:1:9: Invalid disk specifier: phy:sdb1,xvda1", ErrValue},
		{"disk with six fields", "disk = [\n 'phy:a,b,w,c,d,e']", "t.cfg:2:2: Invalid disk specifier: phy:a,b,w,c,d,e", ErrValue},
		{"disk as a string: xm iterated its characters", "disk = 'phy:sdb1,xvda1,w'", "t.cfg:1:8: Invalid disk specifier: p", ErrValue},
		{"disk entry not a string", "disk = [1]", "t.cfg:1:9: 'int' object has no attribute 'split'", ErrValue},
		{"disk as an int", "disk = 3", "t.cfg:1:8: 'int' object is not iterable", ErrValue},
		{"disk mode", "disk = ['phy:sdb1,xvda1,rw']", "t.cfg:1:9: Invalid mode", ErrValue},
		{"disk without type", "disk = ['sdb1,xvda1,w']", "t.cfg:1:9: Block device must have physical details specified", ErrValue},
		{"disk checked before access_control", "access_control = ['x']\ndisk = ['a']", "t.cfg:2:9: Invalid disk specifier: a", ErrValue},
		{"access_control: two entries", "access_control = ['policy=a,label=b', 'policy=a,label=c']", "t.cfg:1:18: Multiple access_control definitions.", acm.XSErrBadLabelFormat},
		{"access_control: three pairs", "access_control = ['policy=a,label=b,x=y']", "t.cfg:1:19: Too many elements in access_control specifier: policy=a,label=b,x=y", acm.XSErrBadLabelFormat},
		{"access_control: unknown key", "access_control = ['policy=a,lbl=b']", "t.cfg:1:19: Invalid access_control specifier: policy=a,lbl=b", acm.XSErrBadLabelFormat},
		{"access_control: no label", "access_control = ['policy=a']", "t.cfg:1:19: Invalid access_control specifier: policy=a", acm.XSErrBadLabelFormat},
		{"access_control as a string", "access_control = 'policy=a,label=b'", "t.cfg:1:18: Multiple access_control definitions.", acm.XSErrBadLabelFormat},
		{"vif without =", "vif = ['mac=00:16:3e:00:00:01, xenbr0']", "t.cfg:1:8:  xenbr0 should be a pair, separated by an equals sign.", ErrValue},
		{"vif unknown key", "vif = ['bridge=xenbr0,colour=red,size=2']", "t.cfg:1:8: Invalid vif option: colour", ErrValue},
		{"vif entry not a string", "vif = [None]", "t.cfg:1:8: 'NoneType' object has no attribute 'strip'", ErrValue},
		{"name as a list", "name = ['a']", "t.cfg:1:8: name must be a string, not 'list'", ErrValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.cfg", []byte(tc.src))
			if err == nil {
				t.Fatalf("Parse() = %+v, want error %q", c, tc.msg)
			}
			if err.Error() != tc.msg {
				t.Errorf("Parse() error\n %q\nwant\n %q", err.Error(), tc.msg)
			}
			if !errors.Is(err, tc.cause) {
				t.Errorf("Parse() error %v does not match %v", err, tc.cause)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("Parse() error %T is not *Error", err)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.cfg")
	if err := os.WriteFile(path, []byte("memory = 96\naccess_control = ['policy=acme,label=web']\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ParseFile(path)
	if err != nil {
		t.Fatalf("ParseFile() error %v", err)
	}
	if c.Name != "web.cfg" || c.MemoryMiB != 96 || c.AccessControl == nil || *c.AccessControl != (acm.AccessControl{Policy: "acme", Label: "web"}) {
		t.Errorf("ParseFile() = %+v", c)
	}

	bad := filepath.Join(dir, "bad.cfg")
	if err := os.WriteFile(bad, []byte("\nmemory = 'x'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":2:10: ") {
		t.Errorf("ParseFile(bad) error %v, want it to start with %s:2:10", err, bad)
	}

	_, err = ParseFile(filepath.Join(dir, "missing.cfg"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile(missing) error %v, want os.ErrNotExist", err)
	}
}

// TestReprRoundTrip checks that a string kept in Extra as Python's repr
// parses back to the same text.
func TestReprRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", "it's", `say "hi"`, `both ' and "`, "tab\tnl\nbs\\", "\x01\xff"} {
		c, err := Parse("t.cfg", []byte("x = ["+acm.PyRepr(s)+"]\ny = "+acm.PyRepr(s)))
		if err != nil {
			t.Fatalf("Parse(repr of %q) error %v", s, err)
		}
		if c.Extra["y"] != s || c.Extra["x"] != "["+acm.PyRepr(s)+"]" {
			t.Errorf("repr round trip of %q: x=%q y=%q", s, c.Extra["x"], c.Extra["y"])
		}
	}
}

func TestParseNestingLimit(t *testing.T) {
	for _, src := range []string{
		"x = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"x = " + strings.Repeat("-", 100000) + "1",
		"x = " + strings.Repeat("(", 150) + "1" + strings.Repeat(")", 150),
	} {
		_, err := Parse("t.cfg", []byte(src))
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "too many nested") {
			t.Errorf("Parse(%.12q…) error %v, want too many nested", src, err)
		}
	}
	if _, err := Parse("t.cfg", []byte("x = "+strings.Repeat("[", 50)+strings.Repeat("]", 50))); err != nil {
		t.Errorf("Parse(50 nested lists) error %v", err)
	}
}

func TestParseLongChain(t *testing.T) {
	src := "memory = 0" + strings.Repeat(" + 1", 200000)
	c, err := Parse("t.cfg", []byte(src))
	if err != nil || c.MemoryMiB != 200000 {
		t.Fatalf("Parse(long chain) = %v, %v; want memory 200000", c, err)
	}
}

func TestParseValueLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("a = 'xxxxxxxx'\n")
	for i := range 40 {
		b.WriteString(string(rune('b'+i%20)) + strings.Repeat("x", i/20) + " = ")
		prev := "a"
		if i > 0 {
			prev = string(rune('b'+(i-1)%20)) + strings.Repeat("x", (i-1)/20)
		}
		b.WriteString(prev + " + " + prev + "\n")
	}
	_, err := Parse("t.cfg", []byte(b.String()))
	if !errors.Is(err, ErrEval) || !strings.Contains(err.Error(), "value longer than") {
		t.Fatalf("Parse(doubling strings) error %v, want value longer than", err)
	}
}

func TestParseLongStringChain(t *testing.T) {
	src := "extra = 'a'" + strings.Repeat(" + 'b'", 100000) + " + 'c'"
	c, err := Parse("t.cfg", []byte(src))
	if err != nil || c.Extra["extra"] != "a"+strings.Repeat("b", 100000)+"c" {
		t.Fatalf("Parse(long string chain) error %v", err)
	}
	if _, err := Parse("t.cfg", []byte("x = 'a' + 'b' + 1")); err == nil || err.Error() != "t.cfg:1:5: cannot concatenate 'str' and 'int' objects" {
		t.Errorf("Parse(str chain + int) error %v", err)
	}
}
