// Package dispatch runs one CIM operation (a cim.Op, DSP0200 §5.3) against the schema
// and the providers, and returns a *cim.Result or a *cim.Error. It sits between the
// CIM-XML codec and the providers: it validates the namespace and the parameters,
// types incoming key values and property values against the class, routes instance
// operations to the provider registered for the class (else to the repository's
// static instances), walks subclasses for enumerations, filters properties, follows
// associations, runs queries, keeps the enumeration contexts of the pull operations
// and types the parameters of extrinsic methods (cimxml.md §3).
//
// # Order of checks
//
// DSP0200 asks for the first applicable status code in the list order of each
// operation; the dispatcher checks in this order: the namespace
// (CIM_ERR_INVALID_NAMESPACE), the parameters (CIM_ERR_INVALID_PARAMETER and the
// pull limits), the class (CIM_ERR_INVALID_CLASS for operations that use a class,
// CIM_ERR_NOT_FOUND for operations on it), the object (CIM_ERR_NOT_FOUND), then the
// semantic checks and the provider's answer.
//
// # Decisions
//
// Where DSP0200 and cimxml.md leave a choice:
//
//   - CreateInstance of an abstract class is CIM_ERR_INVALID_CLASS: DSP0004 §5.1.2.1
//     says an abstract class has no instances, so there is no class the new instance
//     could be an instance of; DSP0200 has no code of its own for it.
//   - CreateInstance fills the properties NewInstance omits with the class defaults,
//     so that GetInstance returns every property of the class (wbemcli mi needs them).
//   - DeleteClass refuses a class with subclasses (CIM_ERR_CLASS_HAS_CHILDREN) or
//     with static instances (CIM_ERR_CLASS_HAS_INSTANCES) rather than deleting them
//     in cascade. ModifyClass refuses the same way.
//   - A path without keys is a class path in Associators, AssociatorNames, References
//     and ReferenceNames (a class-level query) and for InvokeMethod (a static call);
//     in other instance operations it is CIM_ERR_INVALID_PARAMETER unless the class has
//     no keys (a singleton).
//   - Pull operations: OperationTimeout 0 ("never") is CIM_ERR_INVALID_OPERATION_TIMEOUT
//     as in Pegasus, since contexts that never expire could only be reclaimed by the
//     per-client limit; EnumerationCount validates the context and then answers
//     CIM_ERR_NOT_SUPPORTED, as Pegasus does (the count is unknown while streaming);
//     OpenQueryInstances with ReturnQueryResultClass=true is CIM_ERR_NOT_SUPPORTED, as
//     in Pegasus 2.14. Results are streamed: an enumeration context holds an iterator
//     over the underlying enumeration (iter.Pull2), which each Pull advances; the list
//     of classes to walk is fixed at Open. A Pull that runs while CloseEnumeration
//     closes its context ends with CIM_ERR_PULL_HAS_BEEN_ABANDONED; a second Pull on a
//     context that is being pulled is CIM_ERR_INVALID_ENUMERATION_CONTEXT. Expired
//     contexts are purged lazily, at every Open and Pull.
//   - Queries (ExecQuery, OpenQueryInstances) and the DMTF:FQL filters of the other
//     Open… operations go through package cimom/query. The FROM class must exist
//     (else CIM_ERR_INVALID_QUERY); results include the instances of its subclasses.
//     Filters are applied to whole instances, before PropertyList.
//   - Associators and References of an instance that does not exist return nothing
//     (DSP0200 lists no CIM_ERR_NOT_FOUND for them). References inside association
//     instances are checked (an endpoint that does not exist is
//     CIM_ERR_INVALID_PARAMETER) and stored typed, with their namespace.
//   - Instance qualifiers are never returned, and LocalOnly is ignored for instances
//     (cimxml.md §3.2). Class results are the stored resolved classes: LocalOnly,
//     IncludeQualifiers, IncludeClassOrigin and PropertyList of class operations are
//     applied by the encoder.
//
// # Errors
//
// Do returns *cim.Error only. Errors of the repository carry their status through a
// CIMStatus method and are translated in one place (toCIMError); a provider's
// *cim.Error is passed on as it is; anything else becomes CIM_ERR_FAILED with a
// generic description, the cause kept in Err for the log.
package dispatch
