// Package tpm is the provider of the virtual TPM classes (cim-model.md §3): one
// Xen_VTPM per vTPM of the vTPM manager (package vtpm), tombstones of migrated-away
// vTPMs included, the Xen_SystemVTPM association that joins each to its domain, and
// the Xen_VTPMManagementService whose methods create and destroy vTPMs, read and
// extend PCRs, quote and verify quotes, and migrate a vTPM between two servers.
//
// It serves, in namespace root/cimv2 only:
//
//   - Xen_VTPM: SystemCreationClassName "Xen_ComputerSystem", SystemName the
//     domain's UUID, CreationClassName "Xen_VTPM", DeviceID "vtpm<number>";
//   - Xen_SystemVTPM: GroupComponent the domain, PartComponent its vTPM, with the
//     association fast path;
//   - Xen_VTPMManagementService: the one service, with the methods of xen.mof.
//
// The provider keeps no state of its own: vTPMs are read from the manager, domains
// from the toolstack (providers/toolstack) at every call. Following cim-model.md §0,
// a service method never raises a CIM error for a refusal: it returns the code of
// §3 (0 success, 1 not supported, 2 failed, 4 invalid parameter, 5 invalid state,
// 32768 the domain already has a vTPM, 32769 not found, 32770 swtpm not available)
// with a message in OUT Message; CIM errors are kept for protocol faults (a target
// that is not the service, an unknown method). MigrateVTPM drives the destination
// server over CIM-XML through Options.Dial. README.md in this folder documents the
// classes, properties, methods and errors.
package tpm
