package schema

import (
	"fmt"
	"path/filepath"

	"github.com/shypecim/shypecim/mof/compile"
)

// Namespaces are the namespaces the server serves the schema in (cim-model.md).
var Namespaces = []string{"root/cimv2", "interop"}

// Compile compiles the schema the server serves. With dmtfDir empty it is the embedded
// project schema (Entry); otherwise the full DMTF schema from dmtfDir/DMTFEntry with
// the project's own classes (Xen) compiled on top of it. The results come in the
// order they must be loaded.
func Compile(dmtfDir string) ([]*compile.Result, error) {
	if dmtfDir == "" {
		c := compile.New(compile.Options{ReadFile: compile.FS(FS)})
		if err := c.CompileFile(Entry); err != nil {
			return nil, fmt.Errorf("compiling the embedded schema: %w", err)
		}
		return []*compile.Result{c.Result()}, nil
	}
	base := compile.New(compile.Options{})
	entry := filepath.ToSlash(filepath.Join(dmtfDir, DMTFEntry))
	if err := base.CompileFile(entry); err != nil {
		return nil, fmt.Errorf("compiling the DMTF schema in %s: %w", dmtfDir, err)
	}
	own := compile.New(compile.Options{ReadFile: compile.FS(FS), Base: base.Result()})
	if err := own.CompileFile(Xen); err != nil {
		return nil, fmt.Errorf("compiling the project's classes on top of %s: %w", entry, err)
	}
	return []*compile.Result{base.Result(), own.Result()}, nil
}

// Load compiles the schema (see Compile) and puts it into sink once per namespace
// given. It returns what one namespace received.
func Load(sink compile.Sink, dmtfDir string, namespaces ...string) (compile.Counts, error) {
	results, err := Compile(dmtfDir)
	if err != nil {
		return compile.Counts{}, err
	}
	var counts compile.Counts
	for _, r := range results {
		counts = counts.Add(r.Counts())
	}
	for _, ns := range namespaces {
		for _, r := range results {
			if err := r.WriteTo(compile.Renamed(sink, ns)); err != nil {
				return counts, fmt.Errorf("loading the schema into %s: %w", ns, err)
			}
		}
	}
	return counts, nil
}
