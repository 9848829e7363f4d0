package hypervisor

// The types of the ACM hook are aliases of unnamed types, so that a package that
// implements ACM without importing this one (package acm) can spell the same types:
// []struct{ Code, Data uint32 } is []ErrorTuple.

// ErrorTuple is one (code, data) pair of the hypervisor's error array (acm.md §3.4).
type ErrorTuple = struct{ Code, Data uint32 }

// DomainSSID is a domain that exists in the hypervisor, with its ssidref.
type DomainSSID = struct{ ID, SSIDRef uint32 }

// Link is one end of an existing sharing, as Xen's ste_init_state walks them: for an
// event channel, each of the two domains (ID) has a port bound to the other
// (Remote); for a grant, ID is the granting domain and Remote the mapping one.
type Link = struct{ ID, Remote uint32 }

// The codes of ErrorTuple (acm.md §3.4).
const (
	// ErrEvtchnSharing: an event channel joins domains A and B that share no STE
	// type; Data is A<<16 | B.
	ErrEvtchnSharing uint32 = 0x100
	// ErrGrantSharing: a grant joins A and B that share no STE type; Data A<<16 | B.
	ErrGrantSharing uint32 = 0x101
	// ErrDomainLookup: a grant's peer domain no longer exists; Data is its id.
	ErrDomainLookup uint32 = 0x102
	// ErrChwallConflict: a running domain's Chinese Wall type is in conflict; Data
	// is the type index.
	ErrChwallConflict uint32 = 0x103
	// ErrSSIDRefInUse: a live domain uses a deleted label; Data is its index.
	ErrSSIDRefInUse uint32 = 0x104
)

// ACM is the hook interface through which a hypervisor asks its access control
// module (acm.md §4). Package acm implements it; cmd/shyped hands it to the backend.
//
// The hypervisor calls every method under its own lock, with a consistent view of its
// domains, so one hypervisor never calls two hooks at once; an ACM used by other
// callers too must still be safe for concurrent use. A hook must not call back into
// the hypervisor. Domain ids are Xen domids (DomainID), ssidrefs are 32-bit with the
// Chinese Wall index in the low and the STE index in the high half (acm.md §2.1).
type ACM interface {
	// DomainCreate is domain_create: it admits a domain about to exist with
	// ssidref (index in range, no Chinese Wall conflict) and, if so, adds it to the
	// Chinese Wall state. An error refuses the creation; the hypervisor then
	// undoes it and does not call DomainDestroy. It is called for Domain-0 too, and
	// again for every live domain when the hypervisor's state is restored.
	DomainCreate(domid, ssidref uint32) error
	// DomainDestroy is free_security_domain: a domain admitted by DomainCreate
	// leaves the hypervisor (destroy, shutdown, suspend); its Chinese Wall
	// contributions are removed.
	DomainDestroy(domid, ssidref uint32)
	// Share is the STE sharing decision: true if the two ssidrefs have a common
	// STE type. The hypervisor asks it for event channels and grants when its
	// per-domain decision cache has no answer.
	Share(ssidref1, ssidref2 uint32) bool
	// Authorize is getdecision's authorization: true if ssidref2 may run given
	// ssidref1 (Domain-0's): a superset of its STE types and a common one.
	Authorize(ssidref1, ssidref2 uint32) bool
	// Conflict is getdecision's conflictset: true if a domain with ssidref could
	// not start now because of a Chinese Wall conflict.
	Conflict(ssidref uint32) bool
	// ChangePolicy is chgpolicy (acm.md §3.4). doms are the domains in the
	// hypervisor in id order (creation order, Domain-0 first, unless ids wrapped;
	// Xen's ssid list walks them newest first) with their current ssidrefs; evtchns and grants the
	// existing sharing, in Xen's walk order. It checks the new policy (deleted
	// indices in use, Chinese Wall over the translated ssidrefs, STE over every
	// link) and returns the first violation of each component as error tuples,
	// changing nothing; or it installs the policy and returns each domain's new
	// ssidref, in the order of doms. A non-nil error means the policy could not be
	// considered at all (a malformed binary); nothing changed either.
	ChangePolicy(policy []byte, del []uint32, chg [][2]uint32, doms []DomainSSID, evtchns, grants []Link) (ssidrefs []uint32, errs []ErrorTuple, err error)
	// Relabel is relabeldoms: the domains in relabel get new ssidrefs; doms,
	// evtchns and grants are as for ChangePolicy, with the current ssidrefs. It
	// re-runs the Chinese Wall and STE checks over all domains with the new
	// ssidrefs and either commits its state or returns error tuples, changing
	// nothing.
	Relabel(relabel []DomainSSID, doms []DomainSSID, evtchns, grants []Link) ([]ErrorTuple, error)
}
