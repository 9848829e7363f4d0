package main

import (
	"fmt"
	"io"

	"github.com/shypecim/shypecim/mof"
	"github.com/shypecim/shypecim/mof/compile"
)

// compileFiles compiles files in order and prints warnings and errors to stderr. It
// returns the compiler and whether any error was found.
func compileFiles(ns string, quiet bool, files []string, stderr io.Writer) (*compile.Compiler, bool) {
	opts := compile.Options{Namespace: ns}
	if !quiet {
		opts.Warn = func(pos mof.Position, msg string) { fmt.Fprintf(stderr, "%s: warning: %s\n", pos, msg) }
	}
	c := compile.New(opts)
	failed := false
	for _, f := range files {
		if err := c.CompileFile(f); err != nil {
			failed = true
			printErrors(stderr, err)
		}
	}
	return c, failed
}

func check(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("mofc check [-n namespace] [-q] FILE...", stderr)
	ns := namespaceFlag(fs)
	quiet := fs.Bool("q", false, "do not print warnings")
	if !parse(fs, args) {
		return 2
	}
	c, failed := compileFiles(*ns, *quiet, fs.Args(), stderr)
	counts := c.Result().Counts()
	if failed {
		fmt.Fprintf(stdout, "%d errors; compiled %s\n", len(c.Errors()), counts)
		return 1
	}
	fmt.Fprintln(stdout, counts)
	return 0
}
