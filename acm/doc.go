// Package acm re-implements the policy side of Xen 3.3/3.4's sHype Access
// Control Module (ACM): Simple Type Enforcement (STE) and Chinese Wall
// (CHWALL) policies, their compilation, and the decisions the hypervisor and
// xend took with them (../shared/docs/acm.md is the specification; its §0
// decisions override the rest, and README.md records ours).
//
// # Policies
//
// Parse (or Load) reads a policy XML document and validates it with the
// 3.2–3.4 schema and xend's extra checks, in xend's order, so a rejection
// carries the XSERR code xend returned: an *Error{Code, Msg, Line}, matched
// with errors.Is(err, acm.XSErrBadLabel). Documents without <Version>
// (3.0.3–3.1) load with a warning. DefaultPolicy and DefaultXML give the
// built-in DEFAULT policy; PolicyXMLPath and PolicyFilePath map policy names
// to xend's file names; CheckVersionUpdate applies the FromPolicy rule.
//
// # Compilation
//
// Compile turns a Policy into an immutable *Compiled: ssidrefs
// (VMSSIDRef, ResourceSSIDRef, VMLabelOf), the map file (Map) and the binary
// policy (Binary) byte for byte as xend 3.4 wrote them. Dump renders a binary
// as `xm dumppolicy` printed it.
//
// # Decisions
//
// Compiled.Sharing, Access and Authorized are pure bit operations on
// precomputed type vectors and never allocate. State holds the Chinese Wall
// counters (running types, conflict aggregate set) with the hypervisor's
// exact create/destroy accounting. Engine combines the enforced policy,
// behind an atomic pointer so decisions take no lock, with one State behind a
// mutex; CheckStart runs xend's start checks in order (label, authorization,
// Chinese Wall) and DomainCreate/DomainDestroy are the hypervisor's hooks.
// CheckUpdate is the pure check of a run-time policy update against running
// domains and their channels, returning Xen's error tuples.
//
// # Labels, resources, domains
//
// ParseLabel and ParseAccessControl read the label strings and domain config
// entries of xm (acm.md §5.1); NormalizeResource and ResourceStore keep the
// resource labels (§5.4) in a file written atomically; CheckStart with a
// StartInput, CheckDevice and CheckVMRelabel give xend's domain start, device
// attach and relabel decisions with its messages (§5.2, §5.3). Hooks adapts an
// Engine to the hypervisor's hook interface (package hypervisor) without
// importing it.
//
// # Administration
//
// Admin (OpenAdmin) manages the one policy of a host on disk as xend did
// (§5.5): load, update with renames, reset, activate, boot policy, the policy
// reference; every refused operation changes nothing, in memory or on disk.
//
// The decisions do no I/O; only Admin and ResourceStore touch files. The
// package knows nothing of CIM nor of the hypervisor's types.
package acm
