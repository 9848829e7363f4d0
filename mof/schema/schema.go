// Package schema embeds the project's MOF: the qualifier declarations of DSP0004, the part
// of the DMTF CIM Schema 2.49 that shypecim uses, and the project's own Xen_ classes.
//
// By default the server compiles Entry from FS into each of its namespaces. With a full
// DMTF schema directory it compiles DMTFEntry from that directory instead, then Xen from
// FS on top of it. The files name no namespace; the server chooses the target namespaces.
// README.md in this directory lists the classes and how to check the files.
package schema

import "embed"

// FS holds the embedded MOF files, at the same relative paths as in this directory, so
// that the #pragma include directives of Entry resolve inside it.
//
//go:embed qualifiers.mof dmtf.mof dmtf xen.mof shypecim.mof
var FS embed.FS

const (
	// Entry is the file of FS that includes the whole embedded schema: Qualifiers, the
	// DMTF subset (dmtf.mof, which includes dmtf/*.mof) and Xen, in that order.
	Entry = "shypecim.mof"

	// Qualifiers is the file of FS that declares the 70 qualifiers of DSP0004 (the
	// standard and the optional ones) as DMTF CIM Schema 2.49 declares them.
	Qualifiers = "qualifiers.mof"

	// Xen is the file of FS that holds the project's own classes. It declares no
	// qualifier and no CIM_ class, so it compiles on top of the embedded DMTF subset as
	// well as on top of the full DMTF schema.
	Xen = "xen.mof"

	// DMTFEntry is the name of the entry file inside a full DMTF CIM Schema 2.49
	// directory (the server's --schema DIR): it includes the DMTF qualifiers and every
	// DMTF class.
	DMTFEntry = "cim_schema_2.49.0.mof"
)
