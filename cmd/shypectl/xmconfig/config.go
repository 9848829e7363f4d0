package xmconfig

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shypecim/shypecim/acm"
)

// Defaults of `xm create` for settings a file leaves out (gopts.var in
// create.py@3.4: memory default=128, vcpus default=1).
const (
	DefaultMemoryMiB = 128
	DefaultVCPUs     = 1
)

// Config is a domain configuration as xm create built it from a file.
type Config struct {
	// Name is the domain name; xm used the file's base name when the file
	// set none (create.py parseCommandLine).
	Name string
	// Kernel and Ramdisk are the paths as written (xm made them absolute
	// against its working directory; the caller may do the same).
	Kernel, Ramdisk string
	// MemoryMiB is the memory in MiB, DefaultMemoryMiB when absent.
	MemoryMiB uint64
	// VCPUs is the number of virtual CPUs, DefaultVCPUs when absent.
	VCPUs uint32
	// Disks are the disk entries in order.
	Disks []Disk
	// VIFs are the network interfaces in order; an empty entry '' is a
	// VIF with every field empty.
	VIFs []VIF
	// AccessControl is the domain's label, nil when the file has none.
	AccessControl *acm.AccessControl
	// Extra holds every other variable xm took (str, int, list values):
	// strings as their text, integers in decimal, lists as Python's repr.
	Extra map[string]string
}

// Disk is one entry of disk = ['uname,dev,mode[,backend[,protocol]]'].
type Disk struct {
	// Uname is the backing resource as written, e.g. phy:sdb1 or
	// file:/srv/img/a.img; acm.NormalizeResource gives its label name.
	Uname string
	// Dev is the device the guest sees, e.g. xvda1.
	Dev string
	// Mode is r, w or w!.
	Mode string
	// Backend and Protocol are the optional fourth and fifth fields
	// (backend domain, ring protocol); empty when absent.
	Backend, Protocol string
}

// VIF is one entry of vif = ['key=value,...'].
type VIF struct {
	// MAC and Bridge are the mac= and bridge= values, empty when absent.
	MAC, Bridge string
	// Label is the VIF's security label ACM:<policy>:<label> built from
	// its policy= and label= keys (acm.md §5.1), empty unless both are
	// given.
	Label string
	// Raw holds every key of the entry with its value, stripped.
	Raw map[string]string
}

// vifKeys are the keys configure_vifs accepted (create.py@3.4).
var vifKeys = map[string]bool{
	"backend": true, "bridge": true, "ip": true, "mac": true, "script": true, "type": true,
	"vifname": true, "rate": true, "model": true, "accel": true, "policy": true, "label": true,
}

// ParseFile reads and parses the config file at path; errors name path.
func ParseFile(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("xmconfig: %w", err)
	}
	return Parse(path, src)
}

// Parse parses the config file src; name is used in error positions and,
// through its base name, as the domain name when the file sets none. The
// error is an *Error wrapping ErrSyntax, ErrEval, ErrValue or an
// *acm.Error (access_control). It never panics.
func Parse(name string, src []byte) (*Config, error) {
	stmts, err := parseFile(name, src)
	if err != nil {
		return nil, err
	}
	env, err := run(stmts)
	if err != nil {
		return nil, err
	}
	return build(name, env)
}

func valueErr(p Position, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...), Err: ErrValue}
}

// build turns the variables into a Config, checking them in xm's order:
// preprocess (disk, access_control), make_config (name, vif), then xend's
// conversion of memory and vcpus.
func build(file string, env map[string]value) (*Config, error) {
	get := func(key string) (value, bool) {
		v, ok := env[key]
		return v, ok && v.taken()
	}
	c := &Config{MemoryMiB: DefaultMemoryMiB, VCPUs: DefaultVCPUs, Extra: map[string]string{}}
	var err error
	if v, ok := get("disk"); ok && v.truthy() {
		if c.Disks, err = parseDisks(v); err != nil {
			return nil, err
		}
	}
	if v, ok := get("access_control"); ok && v.truthy() {
		if c.AccessControl, err = parseAccessControl(v); err != nil {
			return nil, err
		}
	}
	if c.Name, err = stringSetting(env, "name"); err != nil {
		return nil, err
	}
	if v, ok := get("name"); !ok || !v.truthy() {
		c.Name = filepath.Base(file)
	}
	if v, ok := get("vif"); ok {
		if c.VIFs, err = parseVIFs(v); err != nil {
			return nil, err
		}
	}
	if v, ok := get("memory"); ok && v.truthy() {
		if c.MemoryMiB, err = intSetting(v, math.MaxUint64/(1<<20)); err != nil {
			return nil, err
		}
	}
	if v, ok := get("vcpus"); ok && v.truthy() {
		n, err := intSetting(v, math.MaxUint32)
		if err != nil {
			return nil, err
		}
		c.VCPUs = uint32(n)
	}
	if c.Kernel, err = stringSetting(env, "kernel"); err != nil {
		return nil, err
	}
	if c.Ramdisk, err = stringSetting(env, "ramdisk"); err != nil {
		return nil, err
	}
	for k, v := range env {
		switch k {
		case "name", "kernel", "ramdisk", "memory", "vcpus", "disk", "vif", "access_control":
			continue
		}
		if v.taken() {
			c.Extra[k] = v.str()
		}
	}
	return c, nil
}

// stringSetting returns a string setting, "" when absent or dropped; an
// integer is written in decimal as str() did; a list is an error.
func stringSetting(env map[string]value, key string) (string, error) {
	v, ok := env[key]
	if !ok || !v.taken() {
		return "", nil
	}
	switch v.kind {
	case kStr:
		return v.s, nil
	case kInt:
		return strconv.FormatInt(v.i, 10), nil
	}
	return "", valueErr(v.pos, "%s must be a string, not '%s'", key, v.kind.typeName())
}

// intSetting converts as xend's int() did: integers, and strings holding
// one (surrounding white space allowed); anything else is Python's
// message. Negative values and values above limit are "Invalid value".
func intSetting(v value, limit uint64) (uint64, error) {
	n := v.i
	switch v.kind {
	case kInt:
	case kStr:
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(v.s), 10, 64); err != nil {
			return 0, valueErr(v.pos, "invalid literal for int() with base 10: %s", acm.PyRepr(v.s))
		}
	default:
		return 0, valueErr(v.pos, "int() argument must be a string or a number, not '%s'", v.kind.typeName())
	}
	if n <= 0 || uint64(n) > limit {
		return 0, valueErr(v.pos, "Invalid value: %d", n)
	}
	return uint64(n), nil
}

// attrErr is Python's AttributeError for a method called on a non-string.
func attrErr(v value, method string) error {
	return valueErr(v.pos, "'%s' object has no attribute '%s'", v.kind.typeName(), method)
}

// parseDisks is preprocess_disk: 3 to 5 comma-separated fields, else
// "Invalid disk specifier: <entry>"; then xend's blkif checks: a uname
// with a type ("Block device must have physical details specified") and a
// mode of r, w or w! ("Invalid mode").
func parseDisks(v value) ([]Disk, error) {
	items, err := v.iter()
	if err != nil {
		return nil, err
	}
	disks := make([]Disk, 0, len(items))
	for _, it := range items {
		if it.kind != kStr {
			return nil, attrErr(it, "split")
		}
		f := strings.Split(it.s, ",")
		if len(f) < 3 || len(f) > 5 {
			return nil, valueErr(it.pos, "Invalid disk specifier: %s", it.s)
		}
		d := Disk{Uname: f[0], Dev: f[1], Mode: f[2]}
		if len(f) > 3 {
			d.Backend = f[3]
		}
		if len(f) > 4 {
			d.Protocol = f[4]
		}
		disks = append(disks, d)
	}
	for i, d := range disks {
		if !strings.Contains(d.Uname, ":") {
			return nil, valueErr(items[i].pos, "Block device must have physical details specified")
		}
		switch d.Mode {
		case "r", "w", "w!":
		default:
			return nil, valueErr(items[i].pos, "Invalid mode")
		}
	}
	return disks, nil
}

// parseAccessControl is preprocess_access_control through acm's parser,
// whose messages are xm's; the error wraps the *acm.Error.
func parseAccessControl(v value) (*acm.AccessControl, error) {
	if v.kind == kInt {
		return nil, valueErr(v.pos, "object of type 'int' has no len()")
	}
	items, err := v.iter()
	if err != nil {
		return nil, err
	}
	entries := make([]string, len(items))
	for i, it := range items {
		if it.kind != kStr && len(items) == 1 {
			return nil, attrErr(it, "split")
		}
		entries[i] = it.s
	}
	ac, ok, err := acm.ParseAccessControl(entries)
	if err != nil {
		msg := err.Error()
		if ae := (*acm.Error)(nil); errors.As(err, &ae) {
			msg = ae.Msg
		}
		p := v.pos
		if len(items) == 1 {
			p = items[0].pos
		}
		return nil, &Error{Pos: p, Msg: msg, Err: err}
	}
	if !ok {
		return nil, nil
	}
	return &ac, nil
}

// parseVIFs is configure_vifs: each entry through comma_sep_kv_to_dict
// ("<item> should be a pair, separated by an equals sign.", later keys
// win), keys limited to xm's list ("Invalid vif option: <key>").
func parseVIFs(v value) ([]VIF, error) {
	if !v.truthy() {
		return nil, nil
	}
	items, err := v.iter()
	if err != nil {
		return nil, err
	}
	vifs := make([]VIF, 0, len(items))
	for _, it := range items {
		if it.kind != kStr {
			return nil, attrErr(it, "strip")
		}
		raw := map[string]string{}
		if s := strings.TrimSpace(it.s); s != "" {
			for _, item := range strings.Split(s, ",") {
				k, val, found := strings.Cut(item, "=")
				if !found {
					return nil, valueErr(it.pos, "%s should be a pair, separated by an equals sign.", item)
				}
				raw[strings.TrimSpace(k)] = strings.TrimSpace(val)
			}
		}
		// Python iterated the dict in hash order; report the smallest
		// unknown key so the message is deterministic.
		bad, invalid := "", false
		for k := range raw {
			if !vifKeys[k] && (!invalid || k < bad) {
				bad, invalid = k, true
			}
		}
		if invalid {
			return nil, valueErr(it.pos, "Invalid vif option: %s", bad)
		}
		vif := VIF{MAC: raw["mac"], Bridge: raw["bridge"], Raw: raw}
		if p, l := raw["policy"], raw["label"]; p != "" && l != "" {
			vif.Label = acm.NewLabel(p, l).String()
		}
		vifs = append(vifs, vif)
	}
	return vifs, nil
}
