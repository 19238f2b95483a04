package castore

import (
	"fmt"
	"strings"
)

// Limits from the data model; both match what Linux allows.
const (
	// MaxNameLen is the longest entry name in bytes.
	MaxNameLen = 255
	// MaxTargetLen is the longest symlink target in bytes.
	MaxTargetLen = 4095
)

// Kind tells which of the three node types a Node is.
type Kind uint8

// The node kinds. The zero Kind is not a valid node.
const (
	KindDirectory Kind = iota + 1
	KindFile
	KindSymlink
)

func (k Kind) String() string {
	switch k {
	case KindDirectory:
		return "directory"
	case KindFile:
		return "file"
	case KindSymlink:
		return "symlink"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Node is a directory, a file or a symlink, without its name. Which fields
// mean something depends on Kind:
//
//   - KindDirectory: Digest names a Directory, Size is that directory's Size.
//   - KindFile: Digest names a blob of Size bytes; Executable is the exec bit.
//   - KindSymlink: Target is the link target.
//
// Node is a small value type; copy it freely.
type Node struct {
	Kind       Kind
	Digest     Digest
	Size       uint64
	Executable bool
	Target     string
}

// DirectoryNode returns a node for the directory d, whose digest is digest.
func DirectoryNode(digest Digest, size uint64) Node {
	return Node{Kind: KindDirectory, Digest: digest, Size: size}
}

// FileNode returns a node for a file with the given contents digest and size.
func FileNode(digest Digest, size uint64, executable bool) Node {
	return Node{Kind: KindFile, Digest: digest, Size: size, Executable: executable}
}

// SymlinkNode returns a node for a symlink to target.
func SymlinkNode(target string) Node { return Node{Kind: KindSymlink, Target: target} }

// Validate checks the node's own fields: a known kind, a valid symlink
// target, and no fields set that the kind does not have (they would be lost
// in the protobuf encoding, so a node that has them cannot round-trip).
func (n Node) Validate() error {
	switch n.Kind {
	case KindDirectory:
		if n.Executable || n.Target != "" {
			return fmt.Errorf("%w: directory node with file or symlink fields", ErrInvalid)
		}
	case KindFile:
		if n.Target != "" {
			return fmt.Errorf("%w: file node with a symlink target", ErrInvalid)
		}
	case KindSymlink:
		if !n.Digest.IsZero() || n.Size != 0 || n.Executable {
			return fmt.Errorf("%w: symlink node with digest, size or exec bit", ErrInvalid)
		}
		return ValidateSymlinkTarget(n.Target)
	default:
		return fmt.Errorf("%w: node of unknown kind %d", ErrInvalid, n.Kind)
	}
	return nil
}

// String describes the node for messages and debugging.
func (n Node) String() string {
	switch n.Kind {
	case KindDirectory:
		return fmt.Sprintf("directory %s (size %d)", n.Digest, n.Size)
	case KindFile:
		x := ""
		if n.Executable {
			x = ", executable"
		}
		return fmt.Sprintf("file %s (%d bytes%s)", n.Digest, n.Size, x)
	case KindSymlink:
		return fmt.Sprintf("symlink -> %q", n.Target)
	}
	return "invalid node"
}

// ValidateName checks an entry name: non-empty, at most MaxNameLen bytes, no
// '/' or NUL, and neither "." nor "..".
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrInvalid)
	case name == "." || name == "..":
		return fmt.Errorf("%w: name %q", ErrInvalid, name)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: name of %d bytes is longer than %d", ErrInvalid, len(name), MaxNameLen)
	case strings.IndexByte(name, '/') >= 0:
		return fmt.Errorf("%w: name %q contains '/'", ErrInvalid, name)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%w: name %q contains NUL", ErrInvalid, name)
	}
	return nil
}

// ValidateSymlinkTarget checks a symlink target: non-empty, at most
// MaxTargetLen bytes, no NUL.
func ValidateSymlinkTarget(target string) error {
	switch {
	case target == "":
		return fmt.Errorf("%w: empty symlink target", ErrInvalid)
	case len(target) > MaxTargetLen:
		return fmt.Errorf("%w: symlink target of %d bytes is longer than %d", ErrInvalid, len(target), MaxTargetLen)
	case strings.IndexByte(target, 0) >= 0:
		return fmt.Errorf("%w: symlink target %q contains NUL", ErrInvalid, target)
	}
	return nil
}
