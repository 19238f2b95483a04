package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// AddOptions say how AddPath names a path. The zero value adds like
// nix-store --add: the NAR hashed with sha256, named after the file.
type AddOptions struct {
	// Name is the store path's name; default the base name of the path.
	Name string
	// Flat and Algorithm are the content address: the NAR (or with Flat,
	// a regular file's contents) hashed with Algorithm (default sha256),
	// like nix-store --add-fixed [--recursive] ALGO.
	Flat      bool
	Algorithm nixhash.Algorithm
	// StoreDir is the store directory paths are computed for; default
	// /nix/store.
	StoreDir storepath.StoreDir
}

// AddPath stores the file system tree at path (not following a symlink
// at path itself) as a content-addressed store path, as nix-store --add
// does, and returns its PathInfo. The tree is read once: its NAR is
// produced by a concurrent dumper and ingested as it streams.
func AddPath(ctx context.Context, st *Store, path string, opts *AddOptions) (*PathInfo, error) {
	var o AddOptions
	if opts != nil {
		o = *opts
	}
	if o.Algorithm == 0 {
		o.Algorithm = nixhash.SHA256
	}
	if o.StoreDir == "" {
		o.StoreDir = storepath.DefaultStoreDir
	}
	if o.Name == "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		o.Name = filepath.Base(abs)
	}
	if err := storepath.ValidateName(o.Name); err != nil {
		return nil, fmt.Errorf("cannot add %s: %w", path, err)
	}

	var flat nixhash.Hash
	if o.Flat {
		fi, err := os.Lstat(path)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("cannot add %s as a flat file: not a regular file", path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		flat, _, err = nixhash.SumReader(o.Algorithm, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", path, err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	go func() {
		var d nar.Dumper
		pw.CloseWithError(d.DumpPath(ctx, pw, path))
	}()
	var r io.Reader = pr
	narOther := o.Algorithm.New()
	if !o.Flat && o.Algorithm != nixhash.SHA256 {
		r = io.TeeReader(pr, narOther)
	}
	res, err := IngestNAR(ctx, st.Blobs, st.Directories, r, nil)
	pr.CloseWithError(err)
	if err != nil {
		return nil, fmt.Errorf("adding %s: %w", path, err)
	}

	info := &PathInfo{Node: res.Node, NarSize: res.NarSize, NarSHA256: res.NarSHA256}
	var ca storepath.ContentAddress
	switch {
	case o.Flat:
		ca = storepath.ContentAddress{Method: storepath.Flat, Hash: flat}
	case o.Algorithm == nixhash.SHA256:
		ca = storepath.ContentAddress{Method: storepath.Recursive, Hash: info.NarHash()}
	default:
		h, err := nixhash.New(o.Algorithm, narOther.Sum(nil))
		if err != nil {
			return nil, err
		}
		ca = storepath.ContentAddress{Method: storepath.Recursive, Hash: h}
	}
	info.CA = ca
	info.StorePath, err = o.StoreDir.MakePath(o.Name, ca, nil, false)
	if err != nil {
		return nil, fmt.Errorf("adding %s: %w", path, err)
	}
	return st.PathInfo.Put(ctx, info)
}
