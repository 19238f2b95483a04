package chunked

import (
	"context"
	"errors"
	"fmt"

	"github.com/zeebo/blake3"

	"github.com/govix/govix/castore"
)

var (
	_ castore.BlobSizer     = (*Service)(nil)
	_ castore.ChunkedPutter = (*Service)(nil)
)

// Size returns the size of blob d: the sum of its chunks' sizes for a
// chunked blob; for a blob of one chunk, what the store says (ChunkSizer)
// or else the length of its bytes.
func (s *Service) Size(ctx context.Context, d castore.Digest) (uint64, error) {
	chunks, err := s.store.Manifest(ctx, d)
	if err == nil {
		var size uint64
		for _, c := range chunks {
			size += c.Size
		}
		return size, nil
	}
	if !errors.Is(err, castore.ErrNotFound) {
		return 0, err
	}
	if cs, ok := s.store.(ChunkSizer); ok {
		size, err := cs.ChunkSize(ctx, d)
		if errors.Is(err, castore.ErrNotFound) {
			return 0, fmt.Errorf("blob %s: %w", d, castore.ErrNotFound)
		}
		return size, err
	}
	data, err := s.store.ReadChunk(ctx, d, nil)
	if errors.Is(err, castore.ErrNotFound) {
		return 0, fmt.Errorf("blob %s: %w", d, castore.ErrNotFound)
	}
	return uint64(len(data)), err
}

// PutChunked records blob d as the concatenation of chunks, which must be
// stored (as chunks) already. Every chunk is read and checked against its
// digest and size, and the whole against d, before the manifest is
// written; a blob stored already is left as it is.
func (s *Service) PutChunked(ctx context.Context, d castore.Digest, chunks []castore.ChunkMeta) error {
	if len(chunks) == 0 {
		return fmt.Errorf("%w: blob %s: no chunks", castore.ErrInvalid, d)
	}
	if ok, err := s.Has(ctx, d); err != nil || ok {
		return err
	}
	whole := blake3.New()
	var buf []byte
	var err error
	for i, c := range chunks {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf, err = s.store.ReadChunk(ctx, c.Digest, buf[:0])
		if errors.Is(err, castore.ErrNotFound) {
			return fmt.Errorf("%w: blob %s: chunk %d (%s) is not stored", castore.ErrInvalid, d, i, c.Digest)
		}
		if err != nil {
			return fmt.Errorf("blob %s: chunk %d: %w", d, i, err)
		}
		if uint64(len(buf)) != c.Size || castore.Digest(blake3.Sum256(buf)) != c.Digest {
			return fmt.Errorf("%w: blob %s: chunk %d (%s) is not %d bytes with that digest", castore.ErrInvalid, d, i, c.Digest, c.Size)
		}
		whole.Write(buf)
	}
	var got castore.Digest
	whole.Sum(got[:0])
	if got != d {
		return fmt.Errorf("%w: blob %s: its chunks hash to %s", castore.ErrInvalid, d, got)
	}
	if len(chunks) == 1 {
		return nil // the chunk is the blob
	}
	return s.store.WriteManifest(ctx, d, chunks)
}
