package syntax

import (
	"fmt"
	"sort"
	"sync"
)

// Pos is a compact source position: an offset into a FileSet, like
// go/token.Pos. The zero value NoPos means "no position". A Pos is four bytes
// so that every AST node and every runtime value that remembers where it came
// from stays small.
type Pos uint32

// NoPos is the zero Pos: no position known.
const NoPos Pos = 0

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p != NoPos }

// Position is a decoded Pos: file name, 1-based line and column.
type Position struct {
	Filename string // "«string»", "«stdin»" or a path, as Nix names them
	Offset   int    // byte offset in the file, 0-based
	Line     int    // 1-based
	Column   int    // 1-based, in bytes
}

// IsValid reports whether the position names a line.
func (p Position) IsValid() bool { return p.Line > 0 }

// String formats the position as Nix does in messages: "file:line:col".
func (p Position) String() string {
	if !p.IsValid() {
		return p.Filename
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// File is one source file registered in a FileSet.
type File struct {
	name  string
	base  int // Pos of the first byte
	size  int
	src   []byte
	mu    sync.Mutex
	lines []int // offsets of line starts, computed lazily
}

// Name is the file's name as given to AddFile.
func (f *File) Name() string { return f.name }

// Base is the Pos of the file's first byte.
func (f *File) Base() int { return f.base }

// Size is the length of the file in bytes.
func (f *File) Size() int { return f.size }

// Source returns the file's contents (used to show the offending line in errors).
func (f *File) Source() []byte { return f.src }

// Pos returns the Pos of a byte offset in the file.
func (f *File) Pos(offset int) Pos { return Pos(f.base + offset) }

// Offset returns the byte offset of p within the file.
func (f *File) Offset(p Pos) int { return int(p) - f.base }

// Position decodes p, which must belong to f.
func (f *File) Position(p Pos) Position {
	off := int(p) - f.base
	f.mu.Lock()
	if f.lines == nil {
		// Like Nix, a line ends at LF, CR LF or a lone CR.
		f.lines = append(f.lines, 0)
		for i, c := range f.src {
			if c == '\n' || c == '\r' && (i+1 == len(f.src) || f.src[i+1] != '\n') {
				f.lines = append(f.lines, i+1)
			}
		}
	}
	lines := f.lines
	f.mu.Unlock()
	i := sort.Search(len(lines), func(i int) bool { return lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return Position{Filename: f.name, Offset: off, Line: i + 1, Column: off - lines[i] + 1}
}

// FileSet maps compact Pos values back to files, lines and columns. It is
// safe for concurrent use. One FileSet serves a whole evaluation.
type FileSet struct {
	mu    sync.RWMutex
	base  int
	files []*File
}

// NewFileSet returns an empty FileSet.
func NewFileSet() *FileSet { return &FileSet{base: 1} }

// AddFile registers src under name and returns its File. Positions of the
// file are base..base+len(src) inclusive (the end-of-file position is valid).
func (s *FileSet) AddFile(name string, src []byte) *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &File{name: name, base: s.base, size: len(src), src: src}
	s.base += len(src) + 1
	s.files = append(s.files, f)
	return f
}

// File returns the file containing p, or nil.
func (s *FileSet) File(p Pos) *File {
	if p == NoPos {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].base > int(p) }) - 1
	if i < 0 {
		return nil
	}
	f := s.files[i]
	if int(p) > f.base+f.size {
		return nil
	}
	return f
}

// Position decodes p; the zero Position if p is unknown.
func (s *FileSet) Position(p Pos) Position {
	if f := s.File(p); f != nil {
		return f.Position(p)
	}
	return Position{}
}
