// Package cim is the CIM data model shared by the whole server: types and values,
// qualifier types and qualifiers, classes, instances and object paths, with the
// inheritance rules of DSP0004 (class origin, propagation, override) in resolve.go.
//
// It imports only the standard library; every other layer (the MOF compiler, the
// repository, the CIM-XML codec, the dispatcher and the providers) speaks in its types.
//
// Names of elements (classes, properties, methods, parameters, qualifiers) are compared
// case-insensitively, as DSP0004 requires; the spelling of the definition is kept.
package cim
