// Package xmconfig reads Xen xm domain configuration files as `xm create`
// (Xen 3.4, tools/python/xen/xm/create.py and opts.py) read them.
//
// An xm config file is Python source that xm executed; the variables it
// left behind became the domain's settings. This package accepts the part
// of Python such files use — assignments, # comments, single, double and
// triple quoted strings with their escapes and r/u prefixes, adjacent
// string literals, `+` on strings, integers and lists, lists and tuples
// spanning lines with trailing commas, integers (decimal, 0x, 0o, 0b,
// Python 2 octal 0755 and the L suffix), True, False, None, unary minus,
// names assigned earlier in the file, `;` and backslash continuations —
// and reports anything else as an error at file:line:col.
//
// Evaluation follows Python and xm: a name assigned twice keeps its last
// value; only str, int and list values are taken (opts.py's vtypes), so a
// variable set to None, True, False or a tuple leaves the setting at its
// default. The typed settings are then checked in xm's order (disk,
// access_control, vif, then xend's memory and vcpus conversion) with xm's
// messages; every other variable is kept in Config.Extra.
package xmconfig
