// Package storefs presents a store as a /nix/store directory: a FUSE root
// (castore/fuse) whose entries are the store paths, looked up by name in
// the PathInfoService when the kernel asks, and whose contents come from
// the castore.
package storefs

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fuse"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Lister is a fuse.RootLister over a PathInfoService.
type Lister struct {
	pis store.PathInfoService
}

var _ fuse.RootLister = (*Lister)(nil)

// NewLister returns the lister of pis's store paths.
func NewLister(pis store.PathInfoService) *Lister { return &Lister{pis: pis} }

// Lookup returns the root node of the store path with base name name.
func (l *Lister) Lookup(ctx context.Context, name string) (castore.Node, error) {
	p, err := storepath.ParseBase(name)
	if err != nil {
		return castore.Node{}, fmt.Errorf("%s: %w", name, castore.ErrNotFound)
	}
	info, err := l.pis.Get(ctx, p.Digest)
	if err != nil {
		return castore.Node{}, err
	}
	if info.StorePath != p {
		// The hash is there, under another name.
		return castore.Node{}, fmt.Errorf("%s: %w", name, castore.ErrNotFound)
	}
	return info.Node, nil
}

// List yields every store path, or ErrListingDisabled for stores that
// cannot list (binary caches).
func (l *Lister) List(ctx context.Context) iter.Seq2[castore.Entry, error] {
	return func(yield func(castore.Entry, error) bool) {
		for info, err := range l.pis.List(ctx) {
			if errors.Is(err, store.ErrNotListable) {
				yield(castore.Entry{}, fuse.ErrListingDisabled)
				return
			}
			if err != nil {
				yield(castore.Entry{}, err)
				return
			}
			if !yield(castore.Entry{Name: info.StorePath.String(), Node: info.Node}, nil) {
				return
			}
		}
	}
}

// Mount mounts st at mountpoint, read-only, until ctx is cancelled or it
// is unmounted.
func Mount(ctx context.Context, mountpoint string, st *store.Store, opts *fuse.Options) (*fuse.Server, error) {
	o := fuse.Options{Name: "govix-store"}
	if opts != nil {
		o = *opts
	}
	return fuse.Mount(ctx, mountpoint, st.Blobs, st.Directories, fuse.ListerRoot(NewLister(st.PathInfo)), &o)
}
