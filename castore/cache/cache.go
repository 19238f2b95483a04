// Package cache combines two castore stores: a near one (fast, small:
// memory or local disk) in front of a far one (slow, complete: a server or
// object storage). Store URL: cache://?near=URL&far=URL.
//
// Reads try near first; on a miss they read from far, verify, and fill near
// so the next read is a hit: a whole blob is copied before it is read, a
// directory brings its whole closure. Writes go to both, near first, so
// nothing written through a cache exists only in it. (Tvix's combinator
// writes blobs to near only; here far stays the complete copy.)
package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"golang.org/x/sync/singleflight"

	"github.com/govix/govix/castore"
)

// New returns a store that caches far in near. Closing it closes both.
func New(near, far *castore.Store) *castore.Store {
	b := &blobs{near: near.Blobs, far: far.Blobs}
	d := &dirs{near: near.Directories, far: far.Directories}
	return castore.NewStore(b, d, func() error {
		return errors.Join(near.Close(), far.Close())
	})
}

type blobs struct {
	near, far castore.BlobService
	fills     singleflight.Group
}

func (b *blobs) Has(ctx context.Context, d castore.Digest) (bool, error) {
	if ok, err := b.near.Has(ctx, d); ok || err != nil {
		return ok, err
	}
	return b.far.Has(ctx, d)
}

func (b *blobs) Chunks(ctx context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	c, err := b.near.Chunks(ctx, d)
	if errors.Is(err, castore.ErrNotFound) {
		return b.far.Chunks(ctx, d)
	}
	return c, err
}

func (b *blobs) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	r, err := b.near.Open(ctx, d)
	if !errors.Is(err, castore.ErrNotFound) {
		return r, err
	}
	if err := b.fill(ctx, d); err != nil {
		return nil, err
	}
	return b.near.Open(ctx, d)
}

// fill copies blob d from far to near, once however many readers miss it
// at the same time.
func (b *blobs) fill(ctx context.Context, d castore.Digest) error {
	_, err, _ := b.fills.Do(string(d[:]), func() (any, error) {
		r, err := b.far.Open(ctx, d)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		got, _, err := b.near.Put(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("cache: filling blob %s: %w", d, err)
		}
		if got != d {
			return nil, fmt.Errorf("cache: blob %s: %w: far store sent bytes hashing to %s", d, castore.ErrCorrupt, got)
		}
		return nil, nil
	})
	return err
}

// Put stores the blob in near, then copies it from there to far.
func (b *blobs) Put(ctx context.Context, r io.Reader) (castore.Digest, uint64, error) {
	d, n, err := b.near.Put(ctx, r)
	if err != nil {
		return d, n, err
	}
	if ok, err := b.far.Has(ctx, d); err != nil || ok {
		return d, n, err
	}
	nr, err := b.near.Open(ctx, d)
	if err != nil {
		return castore.Digest{}, 0, err
	}
	defer nr.Close()
	fd, _, err := b.far.Put(ctx, nr)
	if err != nil {
		return castore.Digest{}, 0, fmt.Errorf("cache: writing blob %s to far store: %w", d, err)
	}
	if fd != d {
		return castore.Digest{}, 0, fmt.Errorf("cache: far store took blob %s as %s", d, fd)
	}
	return d, n, nil
}

type dirs struct {
	near, far castore.DirectoryService
	fills     singleflight.Group
}

func (s *dirs) Get(ctx context.Context, d castore.Digest) (*castore.Directory, error) {
	dir, err := s.near.Get(ctx, d)
	if !errors.Is(err, castore.ErrNotFound) {
		return dir, err
	}
	if err := s.fill(ctx, d); err != nil {
		return nil, err
	}
	return s.near.Get(ctx, d)
}

// fill copies the closure of d from far to near. A putter accepts only
// whole closures, so near always holds everything below what it holds.
func (s *dirs) fill(ctx context.Context, d castore.Digest) error {
	_, err, _ := s.fills.Do(string(d[:]), func() (any, error) {
		closure, err := castore.Closure(ctx, s.far, d)
		if err != nil {
			return nil, err
		}
		p := s.near.NewPutter(ctx)
		for _, dir := range castore.LeavesFirst(closure) {
			if err := p.Put(dir); err != nil {
				return nil, fmt.Errorf("cache: filling directory %s: %w", d, err)
			}
		}
		got, err := p.Close()
		if err != nil {
			return nil, fmt.Errorf("cache: filling directory %s: %w", d, err)
		}
		if got != d {
			return nil, fmt.Errorf("cache: directory %s: %w: far store sent a closure rooted at %s", d, castore.ErrCorrupt, got)
		}
		return nil, nil
	})
	return err
}

func (s *dirs) GetRecursive(ctx context.Context, root castore.Digest) iter.Seq2[*castore.Directory, error] {
	return func(yield func(*castore.Directory, error) bool) {
		if _, err := s.Get(ctx, root); err != nil {
			yield(nil, err)
			return
		}
		for d, err := range s.near.GetRecursive(ctx, root) {
			if !yield(d, err) || err != nil {
				return
			}
		}
	}
}

func (s *dirs) NewPutter(ctx context.Context) castore.DirectoryPutter {
	return &putter{near: s.near.NewPutter(ctx), far: s.far.NewPutter(ctx)}
}

// putter sends every directory to both stores.
type putter struct{ near, far castore.DirectoryPutter }

func (p *putter) Put(d *castore.Directory) error {
	if err := p.near.Put(d); err != nil {
		return err
	}
	return p.far.Put(d)
}

func (p *putter) Close() (castore.Digest, error) {
	d, err := p.near.Close()
	if err != nil {
		return d, err
	}
	fd, err := p.far.Close()
	if err != nil {
		return castore.Digest{}, fmt.Errorf("cache: far store: %w", err)
	}
	if fd != d {
		return castore.Digest{}, fmt.Errorf("cache: far store took closure %s as %s", d, fd)
	}
	return d, nil
}
