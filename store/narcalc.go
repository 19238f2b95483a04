package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/store/internal/lru"
)

// narCalculator computes NAR sizes and hashes from a castore, remembering
// the last ones it computed: nodes are immutable, so the answer never
// changes.
type narCalculator struct {
	blobs castore.BlobService
	dirs  castore.DirectoryService
	cache *lru.Cache[castore.Node, narSum]
}

type narSum struct {
	size uint64
	sum  [sha256.Size]byte
}

// NewNARCalculator returns a NARCalculator reading from blobs and dirs,
// with a cache of recent results.
func NewNARCalculator(blobs castore.BlobService, dirs castore.DirectoryService) NARCalculator {
	return &narCalculator{blobs: blobs, dirs: dirs, cache: lru.New[castore.Node, narSum](4096)}
}

func (c *narCalculator) CalculateNAR(ctx context.Context, n castore.Node) (uint64, [sha256.Size]byte, error) {
	if s, ok := c.cache.Get(n); ok {
		return s.size, s.sum, nil
	}
	size, sum, err := CalculateNAR(ctx, c.blobs, c.dirs, n)
	if err != nil {
		return 0, sum, err
	}
	c.cache.Add(n, narSum{size, sum})
	return size, sum, nil
}

// CalculateNAR renders the NAR of n and returns its size and sha256.
func CalculateNAR(ctx context.Context, blobs castore.BlobService, dirs castore.DirectoryService, n castore.Node) (uint64, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	r, err := NewNARReader(ctx, blobs, dirs, n)
	if err != nil {
		return 0, sum, err
	}
	defer r.Close()
	h := sha256.New()
	written, err := io.Copy(h, r)
	if err != nil {
		return 0, sum, fmt.Errorf("computing NAR hash: %w", err)
	}
	if written != r.Size() {
		return 0, sum, fmt.Errorf("computing NAR hash: %w: rendered %d bytes of %d", ErrCorrupt, written, r.Size())
	}
	h.Sum(sum[:0])
	return uint64(written), sum, nil
}
