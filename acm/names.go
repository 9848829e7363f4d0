package acm

import "strings"

// Default folders of Xen 3.4 (acm.md §1.3); the project's own folders are
// chosen by its callers, these are what the golden map files name.
const (
	// XendPolicyDir is xend's managed policy folder (XML, .map, .bin).
	XendPolicyDir = "/var/lib/xend/security/policies"
	// XenInstallPolicyDir is where `xm setpolicy` looked for source policies.
	XenInstallPolicyDir = "/etc/xen/acm-security/policies"
)

// PolicyXMLPath returns the file of policy name below dir as xend names it
// (path_from_policy_name): dots become folders and the last component gets
// "-security_policy.xml"; example.chwall_ste.test-wld →
// dir/example/chwall_ste/test-wld-security_policy.xml.
func PolicyXMLPath(dir, name string) string {
	return withSlash(dir) + strings.ReplaceAll(name, ".", "/") + "-security_policy.xml"
}

// PolicyFilePath returns the compiled file of policy name with the given
// suffix (".map", ".bin") below dir, exactly as xend's get_filename builds it,
// including the doubled slash of a one-component name
// ("dir//DEFAULT.bin"), which the map file shows.
func PolicyFilePath(dir, name, suffix string) string {
	prefix := withSlash(dir)
	parts := strings.Split(name, ".")
	path := strings.Join(parts[:len(parts)-1], "/")
	if prefix != "" || path != "" {
		return prefix + path + "/" + parts[len(parts)-1] + suffix
	}
	return parts[len(parts)-1] + suffix
}

// BootFileName returns the name of the boot copy of a binary policy:
// "<dotted.name>.bin", placed in /boot.
func BootFileName(name string) string { return name + ".bin" }

func withSlash(dir string) string {
	if dir == "" || strings.HasSuffix(dir, "/") {
		return dir
	}
	return dir + "/"
}

// CompareVersions compares two "M.m" versions numerically as xend does; an
// empty version counts as 0.0. It returns -1, 0 or +1. Versions that do not
// parse compare as 0.0 (Parse refuses them anyway).
func CompareVersions(a, b string) int {
	amaj, amin, _ := parseVersion(a)
	bmaj, bmin, _ := parseVersion(b)
	switch {
	case amaj != bmaj:
		return cmpU32(amaj, bmaj)
	default:
		return cmpU32(amin, bmin)
	}
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CheckVersionUpdate applies xend's version rule for replacing the policy
// cur by next (acm.md §1.4): skipped when either is the DEFAULT policy;
// otherwise cur must have a Version, next's FromPolicy must name cur's name
// and version exactly (string equality), and next's Version must be greater.
// A violation is XSErrVersionPreventsUpdate. next may have another name.
func CheckVersionUpdate(cur, next *Policy) error {
	if cur.IsDefault() || next.IsDefault() {
		return nil
	}
	from := FromPolicy{}
	if next.From != nil {
		from = *next.From
	}
	if cur.Version == "" || cur.Version != from.Version || cur.Name != from.Name {
		return errf(XSErrVersionPreventsUpdate, 0,
			"policy %q version %q does not update %q version %q (FromPolicy %q version %q)",
			next.Name, next.Version, cur.Name, cur.Version, from.Name, from.Version)
	}
	if CompareVersions(next.Version, cur.Version) <= 0 {
		return errf(XSErrVersionPreventsUpdate, 0,
			"version %q of policy %q is not greater than %q", next.Version, next.Name, cur.Version)
	}
	return nil
}
