// Package cimxml is the CIM-XML codec of the server: it turns a request body
// (DSP0201 2.4, DTD DSP0203 2.4.0) into a typed cim.Op, and writes a cim.Result or an
// error back as a response document. It knows nothing of HTTP headers, providers or
// the repository; the HTTP layer maps a *ProtocolError to a status and a CIMError
// header (cimxml.md §1.5).
//
// # Decoding
//
// Decode reads the whole body (the HTTP layer limits its size) and checks it in the
// order of cimxml.md §1.5: well-formedness (a small strict XML 1.0 scanner: UTF-8,
// XML characters, names, entities, nesting), then validity against the DTD as far as
// the elements of a request go (root and envelope, allowed children, required
// attributes, value text of typed values, at most 1000 keybindings), then the CIM,
// DTD and protocol versions. A DOCTYPE is refused as request-not-valid: requests never
// carry one, and refusing it keeps entity declarations out. Unknown attributes are
// ignored; unknown elements are refused.
//
// Problems of the operation itself (an unknown intrinsic method, an unknown,
// duplicated, ill-typed or missing IPARAMVALUE) are not protocol errors: they are
// answered with HTTP 200 and an ERROR element, so Decode returns them in Request.Err.
//
// Values are typed where the request says the type (PROPERTY, QUALIFIER, KEYVALUE
// TYPE, PARAMVALUE PARAMTYPE). Where it does not (KEYVALUE with VALUETYPE only,
// PARAMVALUE without PARAMTYPE, SetProperty's NewValue) the dispatcher types them
// against the class: keys hold string, bool, int64, uint64 or float64, parameters a
// string or a []any of strings (cim.TypeInvalid), references a *cim.ObjectPath.
// Paths of the request that have no namespace of their own (INSTANCENAME, CLASSNAME)
// get the request's namespace.
//
// # Encoding
//
// WriteResponse writes through a bufio.Writer with a hand-written escaper that uses the
// five named entities only (wbemcli decodes no numeric references), keeps TAB, LF and
// CR literal, and replaces characters XML 1.0 forbids (U+0000–U+0008, U+000B, U+000C,
// U+000E–U+001F, U+FFFE, U+FFFF and invalid UTF-8) by U+FFFD, since no escape of
// them is legal. It emits only the elements and attributes real clients accept
// (cimxml.md §2.8): no xml:lang, no comments, no self-closing PROPERTY, a single
// EmbeddedObject spelling, VALUETYPE and TYPE on every KEYVALUE, PARAMTYPE on
// RETURNVALUE and output PARAMVALUEs; EmbeddedObject on PROPERTY.ARRAY only when the
// array holds values (wbemcli refuses it there). References are always full
// INSTANCEPATHs or CLASSPATHs with HOST; a path without a namespace takes that of the
// object holding it, else the request's. Result.Objects is written as it is consumed,
// so memory stays flat however long the enumeration.
//
// The presentation of classes follows the request's flags (LocalOnly,
// IncludeQualifiers, IncludeClassOrigin, PropertyList of GetClass, Associators and
// References); instances are written as the dispatcher filtered them, never with
// qualifiers, with CLASSORIGIN when IncludeClassOrigin asks for it.
package cimxml
