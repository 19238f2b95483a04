// Package cache combines two castore stores: a near one (fast, small:
// memory or local disk) in front of a far one (slow, complete: a server or
// object storage). Store URL: cache://?near=URL&far=URL.
//
// Reads try near first; on a miss they read from far, verify, and fill near
// so the next read is a hit: a blob read from far is written into near as
// it is read (the first byte comes as soon as far sends it; a read that
// seeks or stops early fills nothing), a directory brings its whole
// closure. Writes go to both, near first, so
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
	fr, err := b.far.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	return newFillReader(ctx, fr, b.near, d), nil
}

// errAbandoned ends a fill the reader gave up on (it seeked or closed
// early).
var errAbandoned = errors.New("cache: fill abandoned")

// fillReader reads a blob from far and writes what it reads into near
// (through a pipe into near's Put), as long as it is read in order from
// the start; far's reader verifies the bytes, and near's Put must arrive
// at the same digest.
type fillReader struct {
	far     io.ReadSeekCloser
	d       castore.Digest
	pw      *io.PipeWriter
	done    chan error // near's Put's outcome
	filling bool
	pos     int64
}

func newFillReader(ctx context.Context, far io.ReadSeekCloser, near castore.BlobService, d castore.Digest) *fillReader {
	pr, pw := io.Pipe()
	f := &fillReader{far: far, d: d, pw: pw, done: make(chan error, 1), filling: true}
	go func() {
		got, _, err := near.Put(ctx, pr)
		if err == nil && got != d {
			err = fmt.Errorf("cache: blob %s: %w: far store sent bytes hashing to %s", d, castore.ErrCorrupt, got)
		}
		pr.CloseWithError(err) // unblocks the writer if Put stopped early
		f.done <- err
	}()
	return f
}

func (f *fillReader) Read(p []byte) (int, error) {
	n, err := f.far.Read(p)
	f.pos += int64(n)
	if f.filling && n > 0 {
		if _, werr := f.pw.Write(p[:n]); werr != nil {
			f.stop(werr) // near failed: go on serving from far
		}
	}
	if f.filling && err == io.EOF {
		// far's reader checked the whole blob before saying EOF.
		f.pw.Close()
		f.filling = false
		if ferr := <-f.done; ferr != nil {
			return n, fmt.Errorf("cache: filling blob %s: %w", f.d, ferr)
		}
	} else if f.filling && err != nil {
		f.stop(err)
	}
	return n, err
}

// stop gives the fill up, waiting for near's Put to end.
func (f *fillReader) stop(why error) {
	if !f.filling {
		return
	}
	f.filling = false
	f.pw.CloseWithError(why)
	<-f.done
}

func (f *fillReader) Seek(off int64, whence int) (int64, error) {
	if (whence == io.SeekCurrent && off == 0) || (whence == io.SeekStart && off == f.pos) {
		return f.pos, nil // where it is: the fill goes on
	}
	f.stop(errAbandoned)
	pos, err := f.far.Seek(off, whence)
	if err == nil {
		f.pos = pos
	}
	return pos, err
}

func (f *fillReader) Close() error {
	f.stop(errAbandoned)
	return f.far.Close()
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
