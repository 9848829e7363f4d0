// Command mofc compiles MOF files (DSP0004 2.x): it checks them, prints the compiled
// result as canonical MOF, and lists what they declare.
//
// Usage:
//
//	mofc check [-n namespace] [-q] FILE...
//	mofc dump [-n namespace] [-resolved] [-class A,B] FILE...
//	mofc list [-n namespace] [-tree] FILE...
//	mofc load [-data dir] [-schema dir] [-n namespace] FILE...
//
// Files are compiled in the order given, into one schema, so later files may build on
// earlier ones. Errors print as file:line:col: message; the exit status is 1 when any
// error was found, 2 for a usage error.
package main

import (
	"flag"
	"strings"

	"fmt"
	"github.com/shypecim/shypecim/mof/compile"
	"io"
	"os"
	"runtime/debug"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	// The compiler allocates a few tens of MB that live to the end; a lazier collector
	// saves a good part of the run time of a one-shot compile.
	debug.SetGCPercent(400)
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "check":
		return check(args[1:], stdout, stderr)
	case "dump":
		return dump(args[1:], stdout, stderr)
	case "list":
		return list(args[1:], stdout, stderr)
	case "load":
		return load(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "mofc: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: mofc <command> [flags] FILE...

commands:
  check   compile the files, print errors and a summary line
  dump    compile the files and print the result as canonical MOF
  list    compile the files and list the classes (with -tree: as a hierarchy)
  load    compile the files on top of a server's schema and store them in its data directory

Run 'mofc <command> -h' for the flags of a command.
`)
}

// newFlags makes the flag set of a command; its errors and usage go to stderr.
func newFlags(usage string, stderr io.Writer) *flag.FlagSet {
	name, _, _ := strings.Cut(strings.TrimPrefix(usage, "mofc "), " ")
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses a command's arguments, which must name at least one file; false means
// the command ends with status 2.
func parse(fs *flag.FlagSet, args []string) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return false
	}
	return true
}

func namespaceFlag(fs *flag.FlagSet) *string {
	return fs.String("n", compile.DefaultNamespace, "target `namespace` until a #pragma namespace")
}
