package fuse

import (
	"context"
	"errors"
	"iter"

	"github.com/govix/govix/castore"
)

// Root is what a mount serves at its mount point. Make one with NodeRoot or
// ListerRoot.
type Root struct {
	node   castore.Node
	lister RootLister
}

// NodeRoot serves one node: a directory's entries appear at the mount
// point; a file must be mounted on a regular file. A symlink cannot be
// mounted (the kernel follows a mount point that is a symlink).
func NodeRoot(n castore.Node) Root { return Root{node: n} }

// ListerRoot serves a directory whose entries l supplies on demand.
func ListerRoot(l RootLister) Root { return Root{lister: l} }

// RootLister supplies the entries of a root directory on demand, for roots
// too big or too dynamic to be one castore Directory, like /nix/store backed
// by PathInfo lookups.
//
// Entries are looked up by name when the kernel asks for them and cached
// while the kernel keeps them; a name that is not found is asked again next
// time (a store path can appear at any moment). What an entry names must not
// change while mounted (a store path's contents never do).
//
// Implementations must be safe for concurrent use.
type RootLister interface {
	// Lookup returns the node called name, or an error wrapping
	// castore.ErrNotFound when there is none.
	Lookup(ctx context.Context, name string) (castore.Node, error)

	// List yields every entry, each name once, in any order. It runs only
	// when someone lists the root. A lister that must not be listed (too
	// many entries) yields an error wrapping ErrListingDisabled, which
	// reaches the caller as EPERM, without a log line.
	List(ctx context.Context) iter.Seq2[castore.Entry, error]
}

// ErrListingDisabled is what a RootLister's List yields when the root must
// not be listed.
var ErrListingDisabled = errors.New("listing the root is disabled")
