// Package interop is the provider of the interop namespace (cimxml.md §5,
// cim-model.md §5): how clients find out what this server is and what it serves.
//
// It serves, in the namespace "interop" only:
//
//   - CIM_ObjectManager: exactly one instance, the server itself (ElementName
//     "shypecim", Description "shypecim version X.Y.Z");
//   - CIM_Namespace: one instance per namespace of the repository; CreateInstance
//     creates a namespace, DeleteInstance removes an empty one;
//   - CIM_RegisteredProfile: the management profiles the server implements, always
//     DMTF "Profile Registration" 1.0.0 (DSP1033) and those given in Options;
//   - CIM_ElementConformsToProfile: each profile joined to its central instances,
//     which may live in other namespaces (DSP1033 central class methodology);
//   - CIM_NamespaceInManager: the object manager joined to each namespace.
//
// That is what pywbem's WBEMServer (and so pywbemcli's server, namespace and profile
// commands) asks for, in this order: EnumerateInstanceNames of CIM_Namespace in
// "interop" to find the interop namespace, EnumerateInstances of CIM_Namespace for
// the namespaces, EnumerateInstances of CIM_ObjectManager for the brand and version,
// EnumerateInstances of CIM_RegisteredProfile for the profiles, and
// AssociatorNames(profile, AssocClass CIM_ElementConformsToProfile, ResultRole
// ManagedElement) for the central instances of a profile.
//
// The provider keeps no state of its own: namespaces come from Options.Namespaces
// (the repository), central instances from each Profile's Central function, class
// definitions from Options.Lookup, at every call. It is safe for concurrent use as
// far as those are. README.md in this folder documents the instances, properties and
// errors.
package interop
