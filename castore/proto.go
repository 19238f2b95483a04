package castore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/govix/govix/castore/castorepb"
)

// Conversions between the castore types and the generated protobuf messages
// used on the wire. The From functions validate: everything arriving as a
// protobuf message is untrusted.

// DirectoryFromProto converts and validates a Directory message: each list
// sorted with names unique across all three, valid names, digests and
// targets, and a size that does not overflow.
func DirectoryFromProto(pd *castorepb.Directory) (*Directory, error) {
	d := &Directory{Entries: make([]Entry, 0, len(pd.GetDirectories())+len(pd.GetFiles())+len(pd.GetSymlinks()))}
	add := func(kind Kind, name []byte, n Node, err error) error {
		if err != nil {
			return err
		}
		if prev := len(d.Entries) - 1; prev >= 0 && d.Entries[prev].Kind == kind {
			switch p := d.Entries[prev].Name; {
			case p == string(name):
				return fmt.Errorf("%w: duplicate name %q", ErrInvalid, name)
			case p > string(name):
				return fmt.Errorf("%w: %s entries not sorted: %q after %q", ErrInvalid, kind, name, p)
			}
		}
		d.Entries = append(d.Entries, Entry{Name: string(name), Node: n})
		return nil
	}
	for _, e := range pd.GetDirectories() {
		n, err := nodeFromDirectoryNode(e)
		if err := add(KindDirectory, e.GetName(), n, err); err != nil {
			return nil, err
		}
	}
	for _, e := range pd.GetFiles() {
		n, err := nodeFromFileNode(e)
		if err := add(KindFile, e.GetName(), n, err); err != nil {
			return nil, err
		}
	}
	for _, e := range pd.GetSymlinks() {
		n := SymlinkNode(string(e.GetTarget()))
		if err := add(KindSymlink, e.GetName(), n, nil); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(d.Entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

func nodeFromDirectoryNode(e *castorepb.DirectoryNode) (Node, error) {
	dg, err := DigestFromBytes(e.GetDigest())
	if err != nil {
		return Node{}, fmt.Errorf("directory %q: %w", e.GetName(), err)
	}
	return DirectoryNode(dg, e.GetSize()), nil
}

func nodeFromFileNode(e *castorepb.FileNode) (Node, error) {
	dg, err := DigestFromBytes(e.GetDigest())
	if err != nil {
		return Node{}, fmt.Errorf("file %q: %w", e.GetName(), err)
	}
	return FileNode(dg, e.GetSize(), e.GetExecutable()), nil
}

// ToProto converts d to its protobuf message.
func (d *Directory) ToProto() *castorepb.Directory {
	pd := &castorepb.Directory{}
	for i := range d.Entries {
		e := &d.Entries[i]
		switch e.Kind {
		case KindDirectory:
			pd.Directories = append(pd.Directories, &castorepb.DirectoryNode{Name: []byte(e.Name), Digest: e.Digest[:], Size: e.Size})
		case KindFile:
			pd.Files = append(pd.Files, &castorepb.FileNode{Name: []byte(e.Name), Digest: e.Digest[:], Size: e.Size, Executable: e.Executable})
		case KindSymlink:
			pd.Symlinks = append(pd.Symlinks, &castorepb.SymlinkNode{Name: []byte(e.Name), Target: []byte(e.Target)})
		}
	}
	return pd
}

// NodeToProto converts a node called name (empty for a root node) to a Node
// message.
func NodeToProto(name string, n Node) *castorepb.Node {
	switch n.Kind {
	case KindDirectory:
		return &castorepb.Node{Node: &castorepb.Node_Directory{Directory: &castorepb.DirectoryNode{Name: []byte(name), Digest: n.Digest[:], Size: n.Size}}}
	case KindFile:
		return &castorepb.Node{Node: &castorepb.Node_File{File: &castorepb.FileNode{Name: []byte(name), Digest: n.Digest[:], Size: n.Size, Executable: n.Executable}}}
	case KindSymlink:
		return &castorepb.Node{Node: &castorepb.Node_Symlink{Symlink: &castorepb.SymlinkNode{Name: []byte(name), Target: []byte(n.Target)}}}
	}
	return &castorepb.Node{}
}

// NodeFromProto converts and validates a Node message, returning its name
// (empty for a root node; otherwise it must be a valid name) and the node.
func NodeFromProto(pn *castorepb.Node) (string, Node, error) {
	var name []byte
	var n Node
	var err error
	switch x := pn.GetNode().(type) {
	case *castorepb.Node_Directory:
		name = x.Directory.GetName()
		n, err = nodeFromDirectoryNode(x.Directory)
	case *castorepb.Node_File:
		name = x.File.GetName()
		n, err = nodeFromFileNode(x.File)
	case *castorepb.Node_Symlink:
		name = x.Symlink.GetName()
		n = SymlinkNode(string(x.Symlink.GetTarget()))
	default:
		return "", Node{}, fmt.Errorf("%w: Node message with no node set", ErrInvalid)
	}
	if err != nil {
		return "", Node{}, err
	}
	if len(name) > 0 {
		if err := ValidateName(string(name)); err != nil {
			return "", Node{}, err
		}
	}
	if err := n.Validate(); err != nil {
		return "", Node{}, err
	}
	return string(name), n, nil
}
