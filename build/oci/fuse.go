package oci

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"sync"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fuse"
)

// fuseInputs serves inputs from one read-only FUSE mount of the castore
// instead of materialising them: an input is an entry of the mount's
// root, named like its cache entry, registered before a build uses it.
// Nothing is copied; every read of an input goes through the FUSE server
// (the kernel caches pages and entries). BenchmarkInputs compares the two.
type fuseInputs struct {
	dir   string
	srv   *fuse.Server
	nodes sync.Map // key(node) -> castore.Node
}

func newFUSEInputs(ctx context.Context, dir string, store *castore.Store) (*fuseInputs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("oci: FUSE inputs: %w", err)
	}
	fi := &fuseInputs{dir: dir}
	srv, err := fuse.Mount(context.WithoutCancel(ctx), dir, store.Blobs, store.Directories, fuse.ListerRoot(fi),
		&fuse.Options{AllowOther: true, Name: "govix-build-inputs"})
	if err != nil {
		return nil, fmt.Errorf("oci: FUSE inputs: %w", err)
	}
	fi.srv = srv
	return fi, nil
}

// path registers n and returns where the mount shows it.
func (fi *fuseInputs) path(_ context.Context, n castore.Node) (string, func(), error) {
	k := key(n)
	fi.nodes.Store(k, n)
	return filepath.Join(fi.dir, k), func() {}, nil
}

// Lookup implements fuse.RootLister.
func (fi *fuseInputs) Lookup(_ context.Context, name string) (castore.Node, error) {
	if n, ok := fi.nodes.Load(name); ok {
		return n.(castore.Node), nil
	}
	return castore.Node{}, fmt.Errorf("%w: %s", castore.ErrNotFound, name)
}

// List implements fuse.RootLister.
func (fi *fuseInputs) List(context.Context) iter.Seq2[castore.Entry, error] {
	return func(yield func(castore.Entry, error) bool) {
		fi.nodes.Range(func(k, v any) bool {
			return yield(castore.Entry{Name: k.(string), Node: v.(castore.Node)}, nil)
		})
	}
}

func (fi *fuseInputs) close() error { return fi.srv.Unmount() }
