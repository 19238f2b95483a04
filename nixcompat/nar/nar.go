// Package nar reads and writes Nix archives (NARs), the serialisation of a
// file system tree that Nix hashes, signs and ships between stores.
//
// A NAR holds one root node: a regular file (with an executable bit), a
// symbolic link, or a directory of named entries sorted bytewise. Nothing
// else is recorded (no times, owners or permissions beyond the executable
// bit), so the same tree always gives the same bytes.
//
// Writer encodes a tree given node by node in archive order, from any
// source; DumpPath and DumpFS feed it from a file system, reading files
// concurrently while the archive is produced in order. Reader decodes an
// archive with a pull API like archive/tar's and validates it strictly: it
// accepts exactly the canonical archives Nix writes, with bounded name,
// link-target and nesting sizes, so hostile input gets a clear error and
// never a large allocation. Restore recreates a tree on disk, List builds
// the listing that binary caches publish as .ls files.
//
// Paths inside an archive are written as Nix writes them: "/" for the root
// and "/dir/file" below it.
package nar

import (
	"errors"
	"fmt"

	"github.com/govix/govix/nixcompat/wire"
)

// Magic is the string every archive starts with.
const Magic = "nix-archive-1"

// Limits that keep hostile archives from costing much. Writer enforces the
// same ones, so everything it writes can be read back.
const (
	// MaxNameLen is the longest entry name, as on Linux (NAME_MAX).
	MaxNameLen = 255
	// MaxTargetLen is the longest symbolic link target, as on Linux
	// (PATH_MAX without its terminating NUL).
	MaxTargetLen = 4095
	// MaxDepth is how deeply directories may nest below the root.
	MaxDepth = 1024
)

// tokenMax bounds the length of the structural strings of the format
// ("(", "type", "directory", ...), the longest of which is the magic.
const tokenMax = 16

// Type is the kind of a node.
type Type uint8

// The kinds of nodes an archive holds.
const (
	TypeRegular Type = iota + 1
	TypeDirectory
	TypeSymlink
)

func (t Type) String() string {
	switch t {
	case TypeRegular:
		return "regular"
	case TypeDirectory:
		return "directory"
	case TypeSymlink:
		return "symlink"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Header describes one node of an archive.
type Header struct {
	// Path is "/" for the root node and "/a/b" for entry b of directory
	// entry a of the root.
	Path string
	Type Type
	// Executable and Size describe a regular file.
	Executable bool
	Size       int64
	// LinkTarget is a symbolic link's target, which may be anything but
	// empty (absolute, dangling, ...).
	LinkTarget string
}

// Errors found in archives and trees, wrapped in an *Error; test with
// errors.Is. A truncated archive gives io.ErrUnexpectedEOF.
var (
	ErrNotNAR       = errors.New("not a Nix archive")
	ErrSyntax       = errors.New("malformed archive")
	ErrInvalidName  = errors.New("invalid entry name")
	ErrNotSorted    = errors.New("entries not sorted")
	ErrDuplicate    = errors.New("duplicate entry")
	ErrInvalidLink  = errors.New("invalid symlink target")
	ErrTooDeep      = errors.New("directories nested too deeply")
	ErrTooLong      = wire.ErrTooLong
	ErrBadPadding   = wire.ErrBadPadding
	ErrUnsupported  = errors.New("unsupported file type")
	ErrWrongSize    = errors.New("file contents do not match the announced size")
	ErrOutOfOrder   = errors.New("node out of archive order")
	ErrArchiveEnded = errors.New("archive already complete")
)

// Error reports a problem at a position of an archive or of a tree being
// written.
type Error struct {
	// Offset is the archive offset where the problem was found, or -1
	// when it does not apply.
	Offset int64
	// Path is the node concerned, in archive form ("/a/b"), if known.
	Path string
	Err  error
}

func (e *Error) Error() string {
	s := "nar: "
	if e.Offset >= 0 {
		s += fmt.Sprintf("offset %d: ", e.Offset)
	}
	if p := e.Path; p != "" {
		// Hostile archives can nest paths kilobytes deep; the ends
		// say enough.
		if len(p) > 200 {
			p = p[:80] + "..." + p[len(p)-80:]
		}
		s += fmt.Sprintf("%q: ", p)
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// CheckName reports whether name may be the name of a directory entry: not
// empty, ".", or "..", no '/' or NUL, at most MaxNameLen bytes.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes long, at most %d allowed", ErrInvalidName, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return fmt.Errorf("%w: %q contains %q", ErrInvalidName, name, name[i])
		}
	}
	return nil
}

// validTarget reports whether target may be a symbolic link's target.
func validTarget(target string) error {
	switch {
	case target == "":
		return fmt.Errorf("%w: empty", ErrInvalidLink)
	case len(target) > MaxTargetLen:
		return fmt.Errorf("%w: %d bytes long, at most %d allowed", ErrInvalidLink, len(target), MaxTargetLen)
	}
	for i := 0; i < len(target); i++ {
		if target[i] == 0 {
			return fmt.Errorf("%w: %q contains NUL", ErrInvalidLink, target)
		}
	}
	return nil
}

// join returns the archive path of entry name of directory dir.
func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// splitPath splits an archive path into its directory and entry name. The
// root has no name; a malformed path yields an invalid name.
func splitPath(p string) (dir, name string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			if i == 0 {
				return "/", p[1:]
			}
			return p[:i], p[i+1:]
		}
	}
	return "", p
}
