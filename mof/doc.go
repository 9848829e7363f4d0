// Package mof reads the Managed Object Format of DSP0004 2.x (Annex A): it turns MOF
// text into a syntax tree, with positions on every node and all syntax errors of a
// file collected rather than only the first.
//
// It knows the syntax only. Meaning — includes, namespaces, qualifier declarations,
// inheritance, value types — is the job of package mof/compile.
//
// The layout follows go/token, go/scanner, go/ast and go/parser folded into one
// package: token.go (tokens and positions), scanner.go, ast.go, parser.go, errors.go.
package mof
