package mof

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dmtfDir is the DMTF CIM Schema 2.49 beside the project (../shared); tests that need
// it fail when it is missing.
const dmtfDir = "../../shared/schema/cim-2.49.0"

func TestParseDMTFSchema(t *testing.T) {
	fset := NewFileSet()
	files, classes := 0, 0
	err := filepath.WalkDir(dmtfDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".mof") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, perr := ParseFile(fset, path, string(src))
		if perr != nil {
			t.Errorf("%v", perr)
		}
		files++
		for _, d := range f.Decls {
			if _, ok := d.(*ClassDecl); ok {
				classes++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the DMTF schema: %v", err)
	}
	if files != 1634 || classes != 1631 {
		t.Errorf("parsed %d files with %d classes, want 1634 files with 1631 classes", files, classes)
	}
}
