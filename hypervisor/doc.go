// Package hypervisor is the contract between the layers above (the toolstack rules of
// package acm's callers, the CIM providers) and a hypervisor backend: the embedded
// simulation hypervisor/hvsim today, Xen's toolstack or libvirt later. It imports only
// the standard library.
//
// # The contract
//
// Hypervisor is the required interface: the domains, their state and ssidref, and
// their lifecycle. A backend may lack the rest, which sits in optional interfaces that
// callers find with a type assertion, as net/http does with Flusher: Creator (define,
// modify and delete domains, store their labels), Devices (virtual block devices and network
// interfaces), Channels (event channels and grant mappings between domains), Security
// (the ACM hypercalls: policy change, relabel, decisions, statistics) and Resetter (a
// simulated host boot). Domains are named by their unique Name; a DomainID exists only
// while the domain exists in the hypervisor (Running or Paused) and changes at every
// start and resume, as Xen's domids do.
//
// Errors wrap the sentinel errors below ("hypervisor: ..."), so callers test them with
// errors.Is; a refusal by the access control module wraps ErrDenied and, where the
// module gave one, its own error too.
//
// # The access control module
//
// A backend asks its access control module through ACM, a hook interface in plain
// ssidrefs and domain ids (acm.md §4), so that package acm satisfies it without
// importing this package; cmd/shyped wires the two together. The hypervisor calls it
// under its own lock, serialising the hooks of one hypervisor.
//
// # Who checks what (acm.md §4, §5.2)
//
// The hypervisor mediates only what Xen's HV mediated: domain creation (the Chinese
// Wall check through ACM.DomainCreate) and sharing through event channels and grant
// mappings (ACM.Share, behind the per-domain decision cache). It never sees labels of
// disks or networks. The toolstack checks of a domain start, in §5.2's order — label
// format and policy name, label to ssidref, authorization against Domain-0, then
// after the hypervisor's create hook each block device and network interface — are
// xend's, and belong to the layer above this package (the toolstack code that uses
// package acm, called by providers/system and shypectl). That layer computes the
// ssidref it passes in StartOptions.SSIDRef and checks devices through
// StartOptions.CheckDevice, which a backend calls after the create hook and before it
// attaches each device, so that a refused device undoes the start entirely. The same
// layer checks Devices.AttachDevice through its check argument, so that a refused
// attach leaves a running domain without the device.
package hypervisor
