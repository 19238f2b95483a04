package castore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"
)

// Optional abilities of a BlobService, which callers look for with a type
// assertion and do without when absent (BlobService itself stays small).

// BlobSizer is a BlobService that knows a blob's size without reading it.
type BlobSizer interface {
	// Size returns the size of blob d, or an error wrapping ErrNotFound.
	Size(ctx context.Context, d Digest) (uint64, error)
}

// ChunkedPutter is a BlobService that can store a blob as the
// concatenation of chunks it holds already, as blobs of their own: a
// client that sent only the chunks a server lacked then names the blob
// they make. Implementations check that every chunk is there with the
// size given and that together they hash to d, before d becomes visible.
type ChunkedPutter interface {
	PutChunked(ctx context.Context, d Digest, chunks []ChunkMeta) error
}

// BlobSize returns the size of blob d: from bs's Size if it has one, else
// the sum of its chunks' sizes, else by opening it and seeking to its end
// (which may read it).
func BlobSize(ctx context.Context, bs BlobService, d Digest) (uint64, error) {
	if s, ok := bs.(BlobSizer); ok {
		return s.Size(ctx, d)
	}
	chunks, err := bs.Chunks(ctx, d)
	if err != nil {
		return 0, err
	}
	if len(chunks) > 0 {
		var size uint64
		for _, c := range chunks {
			size += c.Size
		}
		return size, nil
	}
	r, err := bs.Open(ctx, d)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", d, err)
	}
	return uint64(n), nil
}

// BlobsMissing is a BlobService that answers in one call which of many
// blobs it lacks (a remote one saves a round trip per blob).
type BlobsMissing interface {
	MissingBlobs(ctx context.Context, ds []Digest) ([]Digest, error)
}

// DirectoriesMissing is a DirectoryService that answers in one call which
// of many directories it lacks.
type DirectoriesMissing interface {
	MissingDirectories(ctx context.Context, ds []Digest) ([]Digest, error)
}

// PartialPutterMaker is a DirectoryService whose putters may also be sent
// Directories that refer to directories it holds already, which then need
// not be sent (see NewPartialPutter): a closure can be completed by
// sending only what the service lacks.
type PartialPutterMaker interface {
	NewPartialPutter(ctx context.Context) DirectoryPutter
}

// MissingBlobs returns which of ds bs lacks, in one call if bs can, else
// asking Has for each, a few at a time.
func MissingBlobs(ctx context.Context, bs BlobService, ds []Digest) (map[Digest]bool, error) {
	if m, ok := bs.(BlobsMissing); ok {
		missing, err := m.MissingBlobs(ctx, ds)
		return digestSet(missing), err
	}
	return missingEach(ctx, ds, bs.Has)
}

// MissingDirectories returns which of digests dirs lacks, in one call if
// it can, else asking Get for each, a few at a time.
func MissingDirectories(ctx context.Context, dirs DirectoryService, digests []Digest) (map[Digest]bool, error) {
	if m, ok := dirs.(DirectoriesMissing); ok {
		missing, err := m.MissingDirectories(ctx, digests)
		return digestSet(missing), err
	}
	return missingEach(ctx, digests, func(ctx context.Context, d Digest) (bool, error) {
		_, err := dirs.Get(ctx, d)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
}

func digestSet(ds []Digest) map[Digest]bool {
	out := make(map[Digest]bool, len(ds))
	for _, d := range ds {
		out[d] = true
	}
	return out
}

func missingEach(ctx context.Context, ds []Digest, has func(context.Context, Digest) (bool, error)) (map[Digest]bool, error) {
	found := make([]bool, len(ds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, d := range ds {
		g.Go(func() error {
			ok, err := has(gctx, d)
			found[i] = ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[Digest]bool)
	for i, d := range ds {
		if !found[i] {
			out[d] = true
		}
	}
	return out, nil
}
