package compile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/mof"
)

// DefaultNamespace is the namespace declarations go into until a #pragma namespace
// says otherwise, when Options.Namespace is empty.
const DefaultNamespace = "root/cimv2"

// Lookup gives access to a schema that already exists (for example a repository), so
// that MOF can be compiled on top of it. Both methods return nil for unknown names.
type Lookup interface {
	QualifierType(ns, name string) *cim.QualifierType
	Class(ns, name string) *cim.Class
}

// Options configure a Compiler. The zero value compiles files from the operating
// system into DefaultNamespace.
type Options struct {
	// Namespace is the initial target namespace; "" means DefaultNamespace.
	Namespace string
	// ReadFile reads a file by its slash-separated name; nil means os.ReadFile.
	ReadFile func(name string) ([]byte, error)
	// Base is an existing schema the declarations may refer to; may be nil.
	Base Lookup
	// Warn receives warnings (ignored pragmas, unusual locales); may be nil.
	Warn func(pos mof.Position, msg string)
	// Embedded compiles instances that are embedded objects (method parameters,
	// DSP0004 EmbeddedInstance): their key properties may be NULL.
	Embedded bool
}

// FS returns a ReadFile function for Options that reads from fsys.
func FS(fsys fs.FS) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) { return fs.ReadFile(fsys, path.Clean(name)) }
}

// Compiler compiles MOF files into a Result. It is not safe for concurrent use.
type Compiler struct {
	opts   Options
	fset   *mof.FileSet
	result *Result
	errs   mof.ErrorList

	stack    []string           // files being compiled, for include cycles
	failed   map[string]bool    // failKey of classes left out for errors
	classPos map[string]mof.Pos // failKey → where the class was declared
	aliases  map[string]*alias  // lower-cased alias names of instances
	loader   *loader
	// pending EmbeddedInstance checks, done when a compilation ends
	embedded []embeddedRef
}

type embeddedRef struct {
	ns, class string
	pos       mof.Pos
}

// New returns a Compiler with the given options.
func New(opts Options) *Compiler {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	return &Compiler{
		opts:     opts,
		fset:     mof.NewFileSet(),
		result:   newResult(),
		failed:   map[string]bool{},
		classPos: map[string]mof.Pos{},
		aliases:  map[string]*alias{},
	}
}

// Result returns what has been compiled so far.
func (c *Compiler) Result() *Result { return c.result }

// Errors returns every error found so far, sorted by position.
func (c *Compiler) Errors() mof.ErrorList {
	c.errs.Sort()
	return c.errs
}

// FileSet returns the positions of the files compiled.
func (c *Compiler) FileSet() *mof.FileSet { return c.fset }

// CompileFile compiles the named file and the files it includes into the current
// namespace. It returns the errors of this call (an ErrorList), or nil.
func (c *Compiler) CompileFile(name string) error {
	return c.run(func() {
		p := c.loader.request(name)
		c.compileParsed(p, mof.Position{}, c.opts.Namespace)
	})
}

// CompileSource compiles MOF text given in src under the name name. Its includes are
// read with Options.ReadFile relative to name.
func (c *Compiler) CompileSource(name, src string) error {
	return c.run(func() {
		f, err := mof.ParseFile(c.fset, name, src)
		c.addSyntaxErrors(err)
		c.compileFile(f, c.opts.Namespace)
	})
}

func (c *Compiler) run(body func()) (err error) {
	before := len(c.errs)
	c.loader = newLoader(c.fset, c.opts.ReadFile)
	defer func() {
		c.loader.close()
		if r := recover(); r != nil {
			// A panic here is a bug in the compiler; report it as an error of the
			// compilation rather than take the caller down.
			c.errs.Add(mof.Position{}, fmt.Sprintf("internal compiler error: %v", r))
		}
		c.checkEmbedded()
		if len(c.errs) > before {
			list := make(mof.ErrorList, len(c.errs)-before)
			copy(list, c.errs[before:])
			list.Sort()
			err = list
		}
	}()
	body()
	return nil
}

func (c *Compiler) addSyntaxErrors(err error) {
	var list mof.ErrorList
	if errors.As(err, &list) {
		c.errs = append(c.errs, list...)
	} else if err != nil {
		c.errs.Add(mof.Position{}, err.Error())
	}
}

func (c *Compiler) errorf(pos mof.Pos, format string, args ...any) {
	c.errs.Add(c.fset.Position(pos), fmt.Sprintf(format, args...))
}

func (c *Compiler) warnf(pos mof.Pos, format string, args ...any) {
	if c.opts.Warn != nil {
		c.opts.Warn(c.fset.Position(pos), fmt.Sprintf(format, args...))
	}
}

// compileParsed waits for a file's parse and compiles it; from is the position of the
// include that named it (or none).
func (c *Compiler) compileParsed(p *parsed, from mof.Position, ns string) {
	<-p.done
	if p.readErr != nil {
		msg := p.readErr.Error()
		if errors.Is(p.readErr, fs.ErrNotExist) {
			msg = fmt.Sprintf("cannot read %s: no such file", p.name)
		}
		if from.Filename == "" {
			from = mof.Position{Filename: p.name}
		}
		c.errs.Add(from, msg)
		return
	}
	c.addSyntaxErrors(p.synErr)
	c.compileFile(p.file, ns)
}

func (c *Compiler) compileFile(f *mof.File, ns string) {
	for _, s := range c.stack {
		if s == f.Name {
			c.errs.Add(mof.Position{Filename: f.Name}, "include cycle: "+strings.Join(append(c.stack, f.Name), " includes "))
			return
		}
	}
	c.stack = append(c.stack, f.Name)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *mof.Pragma:
			ns = c.pragma(f, d, ns)
		case *mof.QualifierDecl:
			c.qualifierDecl(ns, d)
		case *mof.ClassDecl:
			c.classDecl(ns, d)
		case *mof.InstanceDecl:
			c.instanceDecl(ns, d)
		}
	}
}

// pragma carries out a compiler directive and returns the namespace in force after it.
func (c *Compiler) pragma(f *mof.File, d *mof.Pragma, ns string) string {
	switch strings.ToLower(d.Name) {
	case "include":
		if d.Value == "" {
			c.errorf(d.ValuePos, "#pragma include needs a file name")
			return ns
		}
		p := c.loader.request(joinPath(f.Name, d.Value))
		c.compileParsed(p, c.fset.Position(d.ValuePos), ns)
	case "namespace":
		v := d.Value
		if strings.HasPrefix(v, "//") || strings.Contains(v, ":") {
			c.errorf(d.ValuePos, "#pragma namespace(%q): a namespace cannot name a host", v)
			return ns
		}
		v = strings.Trim(v, "/")
		if v == "" {
			c.errorf(d.ValuePos, "#pragma namespace needs a namespace name")
			return ns
		}
		return v
	case "locale":
		if !strings.EqualFold(strings.ReplaceAll(d.Value, "-", "_"), "en_US") {
			c.warnf(d.ValuePos, "#pragma locale(%q): only en_US is supported; values are taken as they are", d.Value)
		}
	default:
		c.warnf(d.NamePos, "#pragma %s is not supported; ignored", d.Name)
	}
	return ns
}

// joinPath resolves an include name relative to the including file.
func joinPath(from, name string) string {
	if strings.HasPrefix(name, "/") {
		return path.Clean(name)
	}
	return path.Join(path.Dir(from), name)
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
