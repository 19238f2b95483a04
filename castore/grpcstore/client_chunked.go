package grpcstore

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
	"golang.org/x/sync/errgroup"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// chunkBatchBytes is how many bytes of chunks putChunked holds while it
// asks the server which of them it lacks and sends those.
const chunkBatchBytes = 16 << 20

// pendingChunk is a chunk cut but not yet known to be on the server.
type pendingChunk struct {
	meta castore.ChunkMeta
	data []byte
}

// putChunked cuts r into chunks with castore's FastCDC parameters, sends
// the chunks the server lacks a batch at a time, and names the blob by
// them with PutChunked. A blob of one chunk is sent whole if the server
// lacks it.
func (b *BlobClient) putChunked(ctx context.Context, r io.Reader) (castore.Digest, uint64, error) {
	wp := b.windows.Get().(*[]byte)
	defer b.windows.Put(wp)
	buf := *wp
	maxChunk := b.chunker.Params().Max
	whole := blake3.New()
	var chunks []castore.ChunkMeta
	var batch []pendingChunk
	var batchBytes int
	var total uint64
	start, end, eof := 0, 0, false
	for {
		if !eof && end-start < maxChunk {
			copy(buf, buf[start:end])
			end -= start
			start = 0
			for end < len(buf) && !eof {
				n, err := r.Read(buf[end:])
				end += n
				if err == io.EOF {
					eof = true
				} else if err != nil {
					return castore.Digest{}, 0, fmt.Errorf("castore: reading blob: %w", err)
				}
			}
		}
		if start == end && len(chunks) > 0 {
			break
		}
		n := b.chunker.Cut(buf[start:end])
		data := buf[start : start+n]
		if len(chunks) == 0 && eof && n == end-start {
			// One chunk (maybe empty): sent whole, unless the server
			// has it (a copy of a tree it holds costs a question per
			// file, not its bytes).
			d := castore.Sum(data)
			missing, err := b.x.missing(ctx, []castore.Digest{d}, true)
			if err != nil {
				return castore.Digest{}, 0, err
			}
			if !missing[d] {
				return d, uint64(n), nil
			}
			return b.putWhole(ctx, bytes.NewReader(data))
		}
		whole.Write(data)
		m := castore.ChunkMeta{Digest: castore.Sum(data), Size: uint64(n)}
		chunks = append(chunks, m)
		batch = append(batch, pendingChunk{meta: m, data: bytes.Clone(data)})
		batchBytes += n
		total += uint64(n)
		start += n
		if batchBytes >= chunkBatchBytes {
			if err := b.sendMissing(ctx, batch); err != nil {
				return castore.Digest{}, 0, err
			}
			batch, batchBytes = nil, 0
		}
	}
	if err := b.sendMissing(ctx, batch); err != nil {
		return castore.Digest{}, 0, err
	}
	var blob castore.Digest
	whole.Sum(blob[:0])
	req := &castorepb.PutChunkedRequest{Digest: blob[:], Chunks: make([]*castorepb.StatBlobResponse_ChunkMeta, len(chunks))}
	for i, c := range chunks {
		req.Chunks[i] = &castorepb.StatBlobResponse_ChunkMeta{Digest: c.Digest[:], Size: c.Size}
	}
	if _, err := b.x.c.PutChunked(ctx, req); err != nil {
		return castore.Digest{}, 0, fromStatus(err)
	}
	return blob, total, nil
}

// sendMissing sends the chunks of batch the server lacks, a few at a time,
// each as a blob of its own.
func (b *BlobClient) sendMissing(ctx context.Context, batch []pendingChunk) error {
	if len(batch) == 0 {
		return nil
	}
	ds := make([]castore.Digest, len(batch))
	for i, c := range batch {
		ds[i] = c.meta.Digest
	}
	missing, err := b.x.missing(ctx, ds, true)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, c := range batch {
		if !missing[c.meta.Digest] {
			continue
		}
		missing[c.meta.Digest] = false // a chunk repeated in the batch goes once
		g.Go(func() error {
			d, _, err := b.putWhole(gctx, bytes.NewReader(c.data))
			if err != nil {
				return err
			}
			if d != c.meta.Digest {
				return corruptf("chunk %s was stored as %s", c.meta.Digest, d)
			}
			return nil
		})
	}
	return g.Wait()
}

// Size asks the server for blob d's size without reading the blob (a
// govix server), or sums its chunks, or reads it (castore.BlobSize).
func (b *BlobClient) Size(ctx context.Context, d castore.Digest) (uint64, error) {
	if b.x.supports(ctx, extDirectories) {
		size, ok, err := b.x.size(ctx, d)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, fmt.Errorf("blob %s: %w", d, castore.ErrNotFound)
		}
		return size, nil
	}
	return castore.BlobSize(ctx, plainBlobs{b}, d)
}

// plainBlobs hides BlobClient's Size, so that castore.BlobSize takes its
// fallback path.
type plainBlobs struct{ *BlobClient }

func (plainBlobs) Size() {}
