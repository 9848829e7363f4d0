package mof

import (
	"fmt"
	"sort"
	"sync"
	"unicode/utf8"
)

// Token is the kind of a lexical token.
type Token uint8

// The tokens of MOF. Keywords are IDENTs: MOF lets most of them be names too, so the
// parser tells them apart by context.
const (
	EOF Token = iota
	ILLEGAL
	IDENT  // CIM_ManagedElement, class, uint32
	INT    // 12, -3, 0x1F, 017, 101b
	REAL   // 1.5, -.2e3
	STRING // "text" (the literal holds the decoded text)
	CHAR   // 'c' (the literal holds the decoded character)
	ALIAS  // $name (the literal holds the name)
	LPAREN
	RPAREN
	LBRACE
	RBRACE
	LBRACK
	RBRACK
	SEMI
	COMMA
	COLON
	ASSIGN
	HASH
)

var tokenNames = [...]string{
	EOF: "end of file", ILLEGAL: "illegal character", IDENT: "identifier", INT: "integer",
	REAL: "real", STRING: "string", CHAR: "char16 literal", ALIAS: "alias",
	LPAREN: "'('", RPAREN: "')'", LBRACE: "'{'", RBRACE: "'}'", LBRACK: "'['",
	RBRACK: "']'", SEMI: "';'", COMMA: "','", COLON: "':'", ASSIGN: "'='", HASH: "'#'",
}

func (t Token) String() string {
	if int(t) < len(tokenNames) {
		return tokenNames[t]
	}
	return fmt.Sprintf("token(%d)", t)
}

// Pos is a compact position in a FileSet: the file's base plus a byte offset. The
// zero value NoPos means "no position".
type Pos int

// NoPos is the zero Pos.
const NoPos Pos = 0

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p != NoPos }

// Position is a printable position: file, line and column (both from 1; the column
// counts characters).
type Position struct {
	Filename string
	Offset   int
	Line     int
	Column   int
}

// String returns "file:line:col", or "file" when the line is unknown.
func (p Position) String() string {
	if p.Line == 0 {
		if p.Filename == "" {
			return "-"
		}
		return p.Filename
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// SourceFile is one source file in a FileSet.
type SourceFile struct {
	name string
	base int
	src  string

	once  sync.Once
	lines []int // offsets of line starts, computed on first use
}

// Name returns the file's name as given to AddFile.
func (f *SourceFile) Name() string { return f.name }

// Base returns the Pos of the file's first byte.
func (f *SourceFile) Base() int { return f.base }

// Pos returns the position of byte offset off in f.
func (f *SourceFile) Pos(off int) Pos { return Pos(f.base + off) }

// Offset returns the byte offset of p in f.
func (f *SourceFile) Offset(p Pos) int { return int(p) - f.base }

// Position returns the printable form of p, which must lie in f.
func (f *SourceFile) Position(p Pos) Position {
	off := int(p) - f.base
	if off < 0 || off > len(f.src) {
		return Position{Filename: f.name}
	}
	f.once.Do(func() {
		f.lines = append(f.lines, 0)
		for i := 0; i < len(f.src); i++ {
			if f.src[i] == '\n' {
				f.lines = append(f.lines, i+1)
			}
		}
	})
	line := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	start := f.lines[line]
	return Position{Filename: f.name, Offset: off, Line: line + 1, Column: utf8.RuneCountInString(f.src[start:off]) + 1}
}

// FileSet maps positions to files. It is safe for concurrent use.
type FileSet struct {
	mu    sync.RWMutex
	base  int
	files []*SourceFile
}

// NewFileSet returns an empty FileSet.
func NewFileSet() *FileSet { return &FileSet{base: 1} }

// AddFile adds a file with the given name and content and returns it.
func (s *FileSet) AddFile(name, src string) *SourceFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &SourceFile{name: name, base: s.base, src: src}
	s.base += len(src) + 1
	s.files = append(s.files, f)
	return f
}

// File returns the file that holds p, or nil.
func (s *FileSet) File(p Pos) *SourceFile {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].base > int(p) }) - 1
	if i < 0 || int(p) > s.files[i].base+len(s.files[i].src) {
		return nil
	}
	return s.files[i]
}

// Position returns the printable form of p.
func (s *FileSet) Position(p Pos) Position {
	if !p.IsValid() {
		return Position{}
	}
	if f := s.File(p); f != nil {
		return f.Position(p)
	}
	return Position{}
}
