package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/internal/datadir"
	"github.com/shypecim/shypecim/mof"
	"github.com/shypecim/shypecim/mof/compile"
	"github.com/shypecim/shypecim/mof/schema"
)

// load compiles MOF files on top of a server's schema and stores the result in the
// server's data directory, as CreateClass and CreateInstance from a client would: the
// server serves it from its next start on.
func load(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("mofc load [-data dir] [-schema dir] [-n namespace] FILE...\n"+
		"Stores the files' qualifier types, classes and instances in the data directory of a stopped shyped.", stderr)
	data := fs.String("data", datadir.Default(), "the server's data `directory`")
	schemaDir := fs.String("schema", "", "the `directory` of the full DMTF schema, when the server runs with --schema")
	ns := namespaceFlag(fs)
	if !parse(fs, args) {
		return 2
	}
	unlock, err := datadir.Lock(*data)
	if err != nil {
		fmt.Fprintln(stderr, "mofc:", err)
		return 1
	}
	defer unlock()
	repo, err := repository.Open(datadir.Repository(*data))
	if err == nil {
		err = repo.Load(func(l *repository.Loader) error {
			_, err := schema.Load(l, *schemaDir, schema.Namespaces...)
			return err
		})
	}
	if err == nil {
		err = repo.Replay()
	}
	if err != nil {
		fmt.Fprintln(stderr, "mofc:", err)
		return 1
	}
	c := compile.New(compile.Options{
		Namespace: *ns,
		Base:      repo,
		Warn:      func(pos mof.Position, msg string) { fmt.Fprintf(stderr, "%s: warning: %s\n", pos, msg) },
	})
	failed := false
	for _, f := range fs.Args() {
		if err := c.CompileFile(f); err != nil {
			failed = true
			printErrors(stderr, err)
		}
	}
	if failed {
		fmt.Fprintln(stdout, "nothing stored")
		return 1
	}
	// One batch: everything is stored with one write, or nothing is.
	err = repo.Batch(func(b *repository.Batch) error { return c.Result().WriteTo(clientSink{b}) })
	if err != nil {
		fmt.Fprintln(stderr, "mofc:", err)
		fmt.Fprintln(stdout, "nothing stored")
		return 1
	}
	fmt.Fprintf(stdout, "stored %s in %s\n", c.Result().Counts(), *data)
	return 0
}

// clientSink stores declarations as a client's CreateClass and CreateInstance would,
// so that they are persisted.
type clientSink struct{ r *repository.Batch }

func (s clientSink) namespace(ns string) error {
	if s.r.HasNamespace(ns) {
		return nil
	}
	return s.r.CreateNamespace(ns)
}

func (s clientSink) PutQualifierType(ns string, qt *cim.QualifierType) error {
	if err := s.namespace(ns); err != nil {
		return err
	}
	return s.r.SetQualifierType(ns, qt)
}

func (s clientSink) PutClass(ns string, c *cim.Class) error {
	if err := s.namespace(ns); err != nil {
		return err
	}
	return s.r.CreateClass(ns, c)
}

func (s clientSink) PutInstance(ns string, in *cim.Instance) error {
	_, err := s.r.CreateInstance(ns, in)
	return err
}

func printErrors(w io.Writer, err error) {
	var list mof.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}
