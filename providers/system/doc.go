// Package system is the provider of the virtual-system classes (cim-model.md §1, a
// subset of DSP1042 System Virtualization and DSP1057 Virtual System) in namespace
// root/cimv2, over the toolstack (package providers/toolstack):
//
//   - Xen_HostSystem: the one physical host;
//   - Xen_ComputerSystem: one per defined domain, Domain-0 included, keyed by UUID,
//     with RequestStateChange;
//   - Xen_VirtualSystemSettingData, Xen_DiskSettingData, Xen_NetworkPortSettingData:
//     a domain's configuration and its devices;
//   - Xen_VirtualSystemManagementService: the one service that defines, destroys and
//     reconfigures domains (DefineSystem, DestroySystem, AddResourceSettings,
//     RemoveResourceSettings, ModifySystemSettings, ModifyResourceSettings);
//   - the associations Xen_HostedComputerSystem, Xen_SystemSettingData,
//     Xen_VirtualSystemSettingDataComponent and Xen_HostedService.
//
// The provider keeps no copy of the domains: every call reads the toolstack, one
// Domains call per enumeration and one Domain call for anything about one domain, so
// a host with ten thousand domains enumerates cheaply and the association of one
// domain never reads the others. Domain errors become *cim.Error in one function,
// toCIMError (cim-model.md §0: an access control refusal is CIM_ERR_FAILED whose
// description is Xen's message verbatim). README.md in this folder documents the
// classes, properties, methods and errors.
package system
