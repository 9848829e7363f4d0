package acm

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Binary policy constants (xen/include/public/xsm/acm.h, acmpolicy.py 3.4).
const (
	Magic            = 0x0001debc // ACM_MAGIC
	PolicyVersion    = 4          // ACM_POLICY_VERSION of 3.3/3.4 binaries
	chwallVersion    = 1
	steVersion       = 1
	headerSize       = 60 // "!iiiiiiiiii20s"
	chwallHeaderSize = 36 // "!iiiiiiiii"
	steHeaderSize    = 20 // "!iiiii"
)

// Policy codes of the binary policy's components.
const (
	CodeNull      = 0
	CodeCHWall    = 1
	CodeSTE       = 2
	CodeUndefined = 15
)

// Compiled is a policy compiled as Xen 3.4's xend compiles it: ssidrefs,
// type matrices, the map file and the binary policy. It is immutable and safe
// for concurrent use; every decision method is a few bit operations.
//
// The sorted VM label list is [__UNLABELED__, bootstrap, other VM labels in
// byte order]; the VM label at index i has ssidref (i<<16)|i. Resource label
// j (sorted, __UNLABELED__ excluded) has STE index 1+#VM labels+j and
// ssidref index<<16 (acm.md §2.1).
type Compiled struct {
	policy *Policy

	steTypes []string // sorted
	chwTypes []string // sorted
	vmNames  []string // sorted VM list; index = ssid of both components
	resNames []string // sorted resource labels without the first __UNLABELED__

	unlabeledCHW bool // the policy defines a VM label __UNLABELED__
	vmByName     map[string]*Label
	resByName    map[string]*Label
	vmIndex      map[string]int
	resIndex     map[string]int

	steW, chwW   int      // uint64 words per type vector
	steRows      int      // max_ste_ssids
	chwRows      int      // max_chw_ssids
	ste          []uint64 // steRows × steW
	chw          []uint64 // chwRows × chwW
	cfs          []uint64 // conflict sets (sorted by name) × chwW
	cfsRows      int
	chwTypeIdx   [][]uint16 // per CHWALL ssid: its type indices
	contribution [][]uint16 // per CHWALL ssid: aggregate increments, one entry per increment

	major, minor uint32 // the policy's version numbers

	mapText string
	bin     []byte
}

// Compile compiles a validated policy. It fails only for a Policy that did
// not come from Parse and breaks one of Parse's rules; the error is an
// *Error with the code Parse would have given. A Policy built in code has no
// XML: its binary carries the SHA-1 of no bytes.
func Compile(p *Policy) (*Compiled, error) {
	if p.xml == nil {
		ps := &parser{
			vmLines:  make([]int, len(p.VMLabels)),
			resLines: make([]int, len(p.ResourceLabels)),
			cfsLines: make([]int, len(p.ConflictSets)),
		}
		if err := p.check(ps); err != nil {
			return nil, err
		}
	}
	major, minor, err := parseVersion(p.Version)
	if err != nil {
		return nil, errf(XSErrBadXML, 0, "%v", err)
	}
	c := &Compiled{policy: p, major: major, minor: minor}
	c.steTypes = sortedCopy(p.STETypes)
	c.chwTypes = sortedCopy(p.CHWallTypes)
	c.vmNames = sortedVMNames(p)
	c.vmByName = make(map[string]*Label, len(p.VMLabels))
	for i := range p.VMLabels {
		c.vmByName[p.VMLabels[i].Name] = &p.VMLabels[i]
	}
	c.vmIndex = make(map[string]int, len(c.vmNames))
	for i, n := range c.vmNames {
		c.vmIndex[n] = i
	}
	skipped := false
	for _, l := range p.ResourceLabels {
		if l.Name == LabelUnlabeled && !skipped {
			skipped = true
			continue
		}
		c.resNames = append(c.resNames, l.Name)
	}
	slices.Sort(c.resNames)
	c.resIndex = make(map[string]int, len(c.resNames))
	for j, n := range c.resNames {
		c.resIndex[n] = len(c.vmNames) + j
	}
	_, c.unlabeledCHW = p.VMLabel(LabelUnlabeled)

	c.buildMatrices()
	c.mapText = c.buildMap(XendPolicyDir)
	c.bin = c.buildBinary()
	return c, nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// sortedVMNames is policy_get_virtualmachinelabel_names_sorted.
func sortedVMNames(p *Policy) []string {
	var rest []string
	for _, l := range p.VMLabels {
		if l.Name != p.Bootstrap && l.Name != LabelUnlabeled {
			rest = append(rest, l.Name)
		}
	}
	slices.Sort(rest)
	out := []string{LabelUnlabeled}
	if p.Bootstrap != LabelUnlabeled {
		out = append(out, p.Bootstrap)
	}
	return append(out, rest...)
}

func words(n int) int { return max(1, (n+63)/64) }

// vector sets, in row, the bit of every name of set found in types (sorted).
func vector(row []uint64, types, set []string) {
	for _, t := range set {
		if i, ok := slices.BinarySearch(types, t); ok {
			row[i/64] |= 1 << (i % 64)
		}
	}
}

func (c *Compiled) vmLabel(name string) Label {
	if l := c.vmByName[name]; l != nil {
		return *l
	}
	return Label{}
}

func (c *Compiled) buildMatrices() {
	p := c.policy
	c.steW, c.chwW = words(len(c.steTypes)), words(len(c.chwTypes))
	c.chwRows = len(c.vmNames)
	c.steRows = len(c.vmNames) + len(c.resNames)
	c.ste = make([]uint64, c.steRows*c.steW)
	for i, n := range c.vmNames {
		vector(c.ste[i*c.steW:(i+1)*c.steW], c.steTypes, c.vmLabel(n).STE)
	}
	resByName := make(map[string]*Label, len(p.ResourceLabels))
	for i := range p.ResourceLabels {
		if _, ok := resByName[p.ResourceLabels[i].Name]; !ok {
			resByName[p.ResourceLabels[i].Name] = &p.ResourceLabels[i]
		}
	}
	c.resByName = resByName
	for j, n := range c.resNames {
		l := *resByName[n]
		i := len(c.vmNames) + j
		vector(c.ste[i*c.steW:(i+1)*c.steW], c.steTypes, l.STE)
	}
	c.chw = make([]uint64, c.chwRows*c.chwW)
	for i, n := range c.vmNames {
		vector(c.chw[i*c.chwW:(i+1)*c.chwW], c.chwTypes, c.vmLabel(n).CHWall)
	}
	// Conflict sets in sorted-name order; equal names keep document order.
	sets := slices.Clone(p.ConflictSets)
	slices.SortStableFunc(sets, func(a, b ConflictSet) int { return strings.Compare(a.Name, b.Name) })
	c.cfsRows = len(sets)
	c.cfs = make([]uint64, c.cfsRows*c.chwW)
	for i, s := range sets {
		vector(c.cfs[i*c.chwW:(i+1)*c.chwW], c.chwTypes, s.Types)
	}
	c.chwTypeIdx = make([][]uint16, c.chwRows)
	c.contribution = make([][]uint16, c.chwRows)
	for i := range c.chwRows {
		row := c.chw[i*c.chwW : (i+1)*c.chwW]
		c.chwTypeIdx[i] = bitIndices(row)
		for s := range c.cfsRows {
			set := c.cfs[s*c.chwW : (s+1)*c.chwW]
			if !intersects(set, row) {
				continue
			}
			for w := range set {
				for b := set[w] &^ row[w]; b != 0; b &= b - 1 {
					c.contribution[i] = append(c.contribution[i], uint16(w*64+bits.TrailingZeros64(b)))
				}
			}
		}
	}
}

func bitIndices(row []uint64) []uint16 {
	var out []uint16
	for w, v := range row {
		for b := v; b != 0; b &= b - 1 {
			out = append(out, uint16(w*64+bits.TrailingZeros64(b)))
		}
	}
	return out
}

func intersects(a, b []uint64) bool {
	for i := range a {
		if a[i]&b[i] != 0 {
			return true
		}
	}
	return false
}

func (c *Compiled) steBit(row, t int) bool {
	return c.ste[row*c.steW+t/64]&(1<<(t%64)) != 0
}

func (c *Compiled) chwBit(row, t int) bool {
	return c.chw[row*c.chwW+t/64]&(1<<(t%64)) != 0
}

func (c *Compiled) cfsBit(row, t int) bool {
	return c.cfs[row*c.chwW+t/64]&(1<<(t%64)) != 0
}

// Policy returns the policy c was compiled from.
func (c *Compiled) Policy() *Policy { return c.policy }

// Name returns the policy name.
func (c *Compiled) Name() string { return c.policy.Name }

// VMLabels returns the sorted VM label list; index i is the ssid of label i.
// Index 0 is always __UNLABELED__, defined or not.
func (c *Compiled) VMLabels() []string { return slices.Clone(c.vmNames) }

// ResourceLabels returns the sorted resource labels that have an ssid
// (__UNLABELED__ excluded: unlabeled resources use ssid 0).
func (c *Compiled) ResourceLabels() []string { return slices.Clone(c.resNames) }

// STETypes returns the sorted STE types; the index is the type's bit.
func (c *Compiled) STETypes() []string { return slices.Clone(c.steTypes) }

// CHWallTypes returns the sorted Chinese Wall types; the index is the type's
// bit, as in Chinese Wall error tuples.
func (c *Compiled) CHWallTypes() []string { return slices.Clone(c.chwTypes) }

// HasUnlabeled reports whether the policy defines the VM label __UNLABELED__,
// so that unlabeled domains may run (with ssidref 0).
func (c *Compiled) HasUnlabeled() bool { return c.unlabeledCHW }

// VMSSIDRef returns the ssidref of VM label name ((i<<16)|i,
// vmlabel_to_ssidref). __UNLABELED__ is 0 even when the policy lacks it,
// as in xend; callers that need the label to exist check HasUnlabeled.
func (c *Compiled) VMSSIDRef(name string) (uint32, bool) {
	i, ok := c.vmIndex[name]
	if !ok {
		return 0, false
	}
	return uint32(i)<<16 | uint32(i), true
}

// ResourceSSIDRef returns the ssidref of resource label name: its STE index
// in the high half, 0 in the Chinese Wall half. __UNLABELED__ (and an
// unlabeled resource) is 0.
func (c *Compiled) ResourceSSIDRef(name string) (uint32, bool) {
	if name == LabelUnlabeled {
		return 0, true
	}
	i, ok := c.resIndex[name]
	if !ok {
		return 0, false
	}
	return uint32(i) << 16, true
}

// VMLabelOf returns the VM label of a running domain's ssidref, read from its
// low half as xend does (policy_get_domain_label_by_ssidref).
func (c *Compiled) VMLabelOf(ssidref uint32) (string, bool) {
	i := int(ssidref & 0xffff)
	if i >= len(c.vmNames) {
		return "", false
	}
	return c.vmNames[i], true
}

// Map returns the map file as xend 3.4 writes it, its POLICFILE and
// BINARYFILE lines naming files below dir ("" for XendPolicyDir).
func (c *Compiled) Map(dir string) string {
	if dir == "" || withSlash(dir) == withSlash(XendPolicyDir) {
		return c.mapText
	}
	return c.buildMap(dir)
}

// buildMap follows the format strings of policy_create_map_and_bin.
func (c *Compiled) buildMap(dir string) string {
	p := c.policy
	var b strings.Builder
	f := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	vms := c.vmNames[1:] // vms_with_chws and vms_with_stes: every VM label but __UNLABELED__
	unlabeled := LabelNull
	if c.unlabeledCHW {
		unlabeled = LabelUnlabeled
	}
	f("POLICYREFERENCENAME    %s\n", p.Name)
	f("MAGIC                  %08x\n", Magic)
	f("POLICFILE              %s\n", PolicyXMLPath(dir, p.Name))
	f("BINARYFILE             %s\n", PolicyFilePath(dir, p.Name, ".bin"))
	f("MAX-CHWALL-TYPES       %08x\n", len(c.chwTypes))
	f("MAX-CHWALL-SSIDS       %08x\n", c.chwRows)
	f("MAX-CHWALL-LABELS      %08x\n", c.chwRows)
	f("MAX-STE-TYPES          %08x\n", len(c.steTypes))
	f("MAX-STE-SSIDS          %08x\n", c.steRows)
	f("MAX-STE-LABELS         %08x\n", c.steRows)
	f("\n")
	switch {
	case len(c.chwTypes) > 0 && len(c.steTypes) > 0:
		f("PRIMARY                CHWALL\n")
		f("SECONDARY              STE\n")
	case len(c.chwTypes) > 0:
		f("PRIMARY                CHWALL\n")
		f("SECONDARY             NULL\n")
	case len(c.steTypes) > 0:
		f("PRIMARY                STE\n")
		f("SECONDARY             NULL\n")
	default:
		f("SECONDARY             NULL\n")
	}
	f("\n")
	if len(vms) > 0 {
		f("LABEL->SSID ANY CHWALL %-20s %x\n", unlabeled, 0)
		for i, v := range vms {
			f("LABEL->SSID VM  CHWALL %-20s %x\n", v, i+1)
		}
		f("\n")
	}
	if len(vms) > 0 || len(c.resNames) > 0 {
		f("LABEL->SSID ANY STE    %-20s %08x\n", unlabeled, 0)
		for i, v := range vms {
			f("LABEL->SSID VM  STE    %-20s %x\n", v, i+1)
		}
		for j, r := range c.resNames {
			f("LABEL->SSID RES STE    %-20s %x\n", r, j+len(vms)+1)
		}
		f("\n")
	}
	if len(vms) > 0 {
		f("SSID->TYPE CHWALL      %08x\n", 0)
		for i, v := range vms {
			f("SSID->TYPE CHWALL      %08x", i+1)
			for _, t := range c.vmLabel(v).CHWall {
				f(" %s", t)
			}
			f("\n")
		}
		f("\n")
	}
	if len(vms) > 0 || len(c.resNames) > 0 {
		f("SSID->TYPE STE         %08x\n", 0)
		i := 1
		for _, v := range vms {
			f("SSID->TYPE STE         %08x", i)
			for _, t := range c.vmLabel(v).STE {
				f(" %s", t)
			}
			f("\n")
			i++
		}
		for _, r := range c.resNames {
			f("SSID->TYPE STE         %08x", i)
			for _, t := range c.resByName[r].STE {
				f(" %s", t)
			}
			f("\n")
			i++
		}
		f("\n")
	}
	if len(c.chwTypes) > 0 {
		for i, t := range c.chwTypes {
			f("TYPE CHWALL            %-20s %d\n", t, i)
		}
		f("\n")
	}
	if len(c.steTypes) > 0 {
		for i, t := range c.steTypes {
			f("TYPE STE               %-20s %d\n", t, i)
		}
		f("\n")
	}
	f("\n")
	return b.String()
}

func roundup8(n int) int { return (n + 7) &^ 7 }

// Binary returns the binary policy as xend 3.4 builds it (acm.md §2.4): all
// integers big-endian, [header][policy reference][CHWALL][STE] with the
// parts after the 60-byte header padded to 8 bytes, and the SHA-1 of the
// policy XML as received in the header.
func (c *Compiled) Binary() []byte { return slices.Clone(c.bin) }

// primaryCodes returns the component codes xend writes (see acm.md §10.10).
func (c *Compiled) primaryCodes() (prim, sec uint32) {
	prim, sec = CodeUndefined, CodeUndefined
	if len(c.chwTypes) > 0 {
		return CodeCHWall, CodeSTE
	}
	if len(c.steTypes) > 0 {
		prim = CodeSTE
	}
	return prim, sec
}

func (c *Compiled) buildBinary() []byte { return c.liveBinary(nil, nil) }

// liveBinary builds the binary policy; with Chinese Wall counters it is the
// hypervisor's getpolicy form.
func (c *Compiled) liveBinary(running, aggregate []uint16) []byte {
	be := binary.BigEndian
	name := []byte(c.policy.Name)
	pr := make([]byte, roundup8(4+len(name)+1))
	be.PutUint32(pr, uint32(len(name)+1))
	copy(pr[4:], name)

	chw := c.chwallBuffer(running, aggregate)
	ste := c.steBuffer()

	prim, sec := c.primaryCodes()
	total := headerSize + len(pr) + len(chw) + len(ste)
	primOff := headerSize + len(pr)
	secOff := primOff
	switch prim {
	case CodeCHWall:
		secOff = primOff + len(chw)
	case CodeSTE:
		secOff = primOff + len(ste)
	}
	out := make([]byte, 0, total)
	out = be.AppendUint32(out, Magic)
	out = be.AppendUint32(out, PolicyVersion)
	out = be.AppendUint32(out, uint32(total))
	out = be.AppendUint32(out, headerSize)
	out = be.AppendUint32(out, prim)
	out = be.AppendUint32(out, uint32(primOff))
	out = be.AppendUint32(out, sec)
	out = be.AppendUint32(out, uint32(secOff))
	out = be.AppendUint32(out, c.major)
	out = be.AppendUint32(out, c.minor)
	sum := sha1.Sum(c.policy.xml)
	out = append(out, sum[:]...)
	out = append(out, pr...)
	out = append(out, chw...)
	out = append(out, ste...)
	return out
}

// chwallBuffer builds the Chinese Wall part; with running and aggregate
// counters it is the hypervisor's live form (getpolicy), which appends them.
func (c *Compiled) chwallBuffer(running, aggregate []uint16) []byte {
	be := binary.BigEndian
	nt := len(c.chwTypes)
	ssidOff := chwallHeaderSize
	cfsOff := ssidOff + 2*nt*c.chwRows
	runOff, aggOff := 0, 0
	if running != nil {
		runOff = cfsOff + 2*nt*c.cfsRows
		aggOff = runOff + 2*nt
	}
	out := make([]byte, 0, roundup8(cfsOff+2*nt*(c.cfsRows+2)))
	for _, v := range []int{chwallVersion, CodeCHWall, nt, c.chwRows, c.cfsRows, ssidOff, cfsOff, runOff, aggOff} {
		out = be.AppendUint32(out, uint32(v))
	}
	for i := range c.chwRows {
		for t := range nt {
			out = be.AppendUint16(out, b2u(c.chwBit(i, t)))
		}
	}
	for s := range c.cfsRows {
		for t := range nt {
			out = be.AppendUint16(out, b2u(c.cfsBit(s, t)))
		}
	}
	if running != nil {
		for t := range nt {
			out = be.AppendUint16(out, running[t])
		}
		for t := range nt {
			out = be.AppendUint16(out, aggregate[t])
		}
	}
	return pad8(out)
}

func (c *Compiled) steBuffer() []byte {
	be := binary.BigEndian
	nt := len(c.steTypes)
	out := make([]byte, 0, roundup8(steHeaderSize+2*nt*c.steRows))
	for _, v := range []int{steVersion, CodeSTE, nt, c.steRows, steHeaderSize} {
		out = be.AppendUint32(out, uint32(v))
	}
	for i := range c.steRows {
		for t := range nt {
			out = be.AppendUint16(out, b2u(c.steBit(i, t)))
		}
	}
	return pad8(out)
}

func pad8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func b2u(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}
