// Package compile gives MOF its meaning (DSP0004 2.x): it follows #pragma include,
// #pragma namespace and #pragma locale, checks qualifier declarations and their use,
// resolves inheritance (cim.Resolve) and types every value, and produces CIM qualifier
// types, classes and instances per namespace.
//
// Errors carry file:line:col positions and are all collected; a class with an error is
// left out (and so are its subclasses, without further noise), the rest compiles on.
// Files are read and parsed in parallel, in the order includes name them, while the
// declarations are checked in order on the calling goroutine.
//
// The result can be written into any Sink (the repository satisfies it) once the
// compilation is free of errors.
package compile
