// Package secpolicy is the provider of the access control classes (cim-model.md §2):
// the managed sHype ACM policy, the labels and Chinese Wall conflict sets of the
// enforced policy, the labeled resources, who carries which label, and the
// Xen_SecurityService whose methods administer the policy and the labels and ask
// the access control module for decisions.
//
// It serves, in namespace root/cimv2 only:
//
//   - Xen_ACMPolicy: the managed policy, InstanceID "Xen:ACMPolicy:<uuid>";
//   - Xen_SecurityLabel: one per VM label and per resource label of the enforced
//     policy, InstanceID "Xen:<policy>:VM:<label>" or "Xen:<policy>:RES:<label>";
//   - Xen_ConflictSet: one per conflict set, "Xen:<policy>:CS:<n>", n 1-based in the
//     binary policy's order (sorted names);
//   - Xen_LabeledResource: one per labeled resource; CreateInstance labels a
//     resource, DeleteInstance removes its label;
//   - Xen_SecurityService: the one service, with the methods of xen.mof;
//   - the associations Xen_PolicyLabel, Xen_PolicyConflictSet and
//     Xen_ElementSecurityLabel, with the association fast path, so that traversing
//     from one domain, resource or label builds only the instances that touch it.
//
// The provider keeps no state of its own: everything is read from the toolstack
// (package providers/toolstack, xend's layer) at every call, and class definitions
// come from Options.Lookup. Following cim-model.md §0, a Xen_SecurityService method
// that the access control refuses returns the XSERR code with Xen's message in its
// OUT Message; CIM errors are kept for protocol faults (an unknown domain, a missing
// parameter). README.md in this folder documents the classes, properties, methods
// and errors.
package secpolicy
