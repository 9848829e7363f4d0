package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/mof/printer"
)

func dump(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("mofc dump [-n namespace] [-resolved] [-class A,B] FILE...", stderr)
	ns := namespaceFlag(fs)
	resolved := fs.Bool("resolved", false, "print classes whole, inherited elements marked with their class origin")
	classes := fs.String("class", "", "print only these `classes` (comma-separated), without qualifier declarations")
	if !parse(fs, args) {
		return 2
	}
	c, failed := compileFiles(*ns, true, fs.Args(), stderr)
	if failed {
		return 1
	}
	var only map[string]bool
	if *classes != "" {
		only = map[string]bool{}
		for _, n := range strings.Split(*classes, ",") {
			only[strings.ToLower(strings.TrimSpace(n))] = true
		}
	}
	for _, n := range c.Result().Namespaces {
		p := printer.New(stdout, printer.Config{Resolved: *resolved, QualifierType: n.QualifierType})
		if only == nil {
			p.Pragma("namespace", n.Name)
			for _, qt := range n.QualifierTypes {
				p.QualifierType(qt)
			}
		}
		for _, cl := range n.Classes {
			if only == nil || only[strings.ToLower(cl.Name)] {
				p.Class(cl)
			}
		}
		if only == nil {
			for _, in := range n.Instances {
				p.Instance(in, "")
			}
		}
		if err := p.Flush(); err != nil {
			fmt.Fprintln(stderr, "mofc:", err)
			return 1
		}
	}
	return 0
}

func list(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("mofc list [-n namespace] [-tree] FILE...", stderr)
	ns := namespaceFlag(fs)
	tree := fs.Bool("tree", false, "print the class hierarchy as an indented tree")
	if !parse(fs, args) {
		return 2
	}
	c, failed := compileFiles(*ns, true, fs.Args(), stderr)
	if failed {
		return 1
	}
	for _, n := range c.Result().Namespaces {
		if len(c.Result().Namespaces) > 1 {
			fmt.Fprintf(stdout, "%s:\n", n.Name)
		}
		if !*tree {
			for _, cl := range n.Classes {
				fmt.Fprintln(stdout, cl.Name+kind(cl))
			}
			continue
		}
		children := map[string][]*cim.Class{}
		for _, cl := range n.Classes {
			parent := strings.ToLower(cl.SuperClass)
			if cl.SuperClass != "" && n.Class(cl.SuperClass) == nil {
				parent = "" // derived from a class outside these files
			}
			children[parent] = append(children[parent], cl)
		}
		var walk func(parent string, depth int)
		walk = func(parent string, depth int) {
			kids := children[parent]
			sort.Slice(kids, func(i, j int) bool { return kids[i].Name < kids[j].Name })
			for _, cl := range kids {
				fmt.Fprintln(stdout, strings.Repeat("  ", depth)+cl.Name+kind(cl))
				walk(strings.ToLower(cl.Name), depth+1)
			}
		}
		walk("", 0)
	}
	return 0
}

func kind(c *cim.Class) string {
	switch {
	case c.IsAssociation():
		return " (association)"
	case c.IsIndication():
		return " (indication)"
	}
	return ""
}
