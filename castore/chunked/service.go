package chunked

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/zeebo/blake3"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fastcdc"
)

// Service is a castore.BlobService over a Store.
type Service struct {
	store     Store
	chunker   *fastcdc.Chunker
	bufs      sync.Pool // *[]byte of 2*Max bytes, Put's window
	small     sync.Pool // *[]byte of Min+1 bytes, for blobs that are one chunk
	chunkBufs sync.Pool // *[]byte of Max bytes, a chunk being written
}

var _ castore.BlobService = (*Service)(nil)

// New returns a BlobService over store that chunks with
// fastcdc.DefaultParams.
func New(store Store) *Service {
	s, err := NewWithParams(store, fastcdc.DefaultParams)
	if err != nil {
		panic(err) // DefaultParams are valid
	}
	return s
}

// NewWithParams returns a BlobService over store that chunks with p.
func NewWithParams(store Store, p fastcdc.Params) (*Service, error) {
	c, err := fastcdc.New(p)
	if err != nil {
		return nil, err
	}
	s := &Service{store: store, chunker: c}
	s.bufs.New = func() any { b := make([]byte, 2*p.Max); return &b }
	s.small.New = func() any { b := make([]byte, p.Min+1); return &b }
	s.chunkBufs.New = func() any { b := make([]byte, 0, p.Max); return &b }
	return s, nil
}

// Has reports whether d is stored, as a chunk or as a chunked blob.
func (s *Service) Has(ctx context.Context, d castore.Digest) (bool, error) {
	ok, err := s.store.HasChunk(ctx, d)
	if err != nil || ok {
		return ok, err
	}
	_, err = s.store.Manifest(ctx, d)
	if errors.Is(err, castore.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Chunks returns the chunk list of a chunked blob, nothing for a blob
// stored as one chunk.
func (s *Service) Chunks(ctx context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	chunks, err := s.store.Manifest(ctx, d)
	if err == nil {
		return chunks, nil
	}
	if !errors.Is(err, castore.ErrNotFound) {
		return nil, err
	}
	ok, err := s.store.HasChunk(ctx, d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", d, castore.ErrNotFound)
	}
	return nil, nil
}

// Open returns a verifying reader of blob d.
func (s *Service) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	// Most blobs are one chunk: look for that first.
	data, err := s.store.ReadChunk(ctx, d, nil)
	if err == nil {
		if castore.Sum(data) != d {
			return nil, fmt.Errorf("blob %s: %w: the stored bytes hash to %s", d, castore.ErrCorrupt, castore.Sum(data))
		}
		return &bytesReader{data: data}, nil
	}
	if !errors.Is(err, castore.ErrNotFound) {
		return nil, err
	}
	r, err := s.openManifest(ctx, d)
	if err != nil {
		return nil, err // not a nil *reader in a non-nil interface
	}
	return r, nil
}

// openManifest opens blob d, stored as several chunks, for reading.
func (s *Service) openManifest(ctx context.Context, d castore.Digest) (*reader, error) {
	chunks, err := s.store.Manifest(ctx, d)
	if err != nil {
		if errors.Is(err, castore.ErrNotFound) {
			return nil, fmt.Errorf("blob %s: %w", d, castore.ErrNotFound)
		}
		return nil, err
	}
	return newReader(ctx, s.store, d, chunks)
}

// AppendBlob appends the contents of blob d to buf, verified, and returns
// the result: for a blob stored as one chunk, its bytes are copied once,
// straight into buf, where Open would copy them into a buffer of its own.
func (s *Service) AppendBlob(ctx context.Context, d castore.Digest, buf []byte) ([]byte, error) {
	out, err := s.store.ReadChunk(ctx, d, buf)
	if err == nil {
		if got := castore.Sum(out[len(buf):]); got != d {
			return nil, fmt.Errorf("blob %s: %w: the stored bytes hash to %s", d, castore.ErrCorrupt, got)
		}
		return out, nil
	}
	if !errors.Is(err, castore.ErrNotFound) {
		return nil, err
	}
	r, err := s.openManifest(ctx, d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	w := bytes.NewBuffer(buf)
	if _, err := r.WriteTo(w); err != nil {
		return nil, err
	}
	return w.Bytes(), nil
}

// Put chunks what r yields, stores the chunks the store lacks and, for more
// than one chunk, the manifest.
func (s *Service) Put(ctx context.Context, r io.Reader) (castore.Digest, uint64, error) {
	// Most blobs are small: read up to Min+1 bytes into a small buffer
	// first, and only take a full window if there is more.
	sp := s.small.Get().(*[]byte)
	defer s.small.Put(sp)
	small := *sp
	n, eof, err := fill(r, small)
	if err != nil {
		return castore.Digest{}, 0, err
	}
	if eof { // at most Min bytes: one chunk
		data := small[:n]
		d := castore.Digest(blake3.Sum256(data))
		return d, uint64(n), s.writeChunk(ctx, d, data)
	}

	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	copy(buf, small[:n])
	max := s.chunker.Params().Max

	// More than one chunk, or one large one: cut here, hashing the whole
	// blob in order, while writers hash and store each chunk on copies of
	// its bytes (the window moves on). At most a bounded number of chunks
	// are in flight: the store's own bound (WriteSlots), else a few per
	// core.
	pw := s.newParallelWrite(ctx)
	defer pw.abandon()
	whole := blake3.New()
	var total uint64
	start, end := 0, n
	for {
		// Keep at least Max bytes in the window unless the stream ended.
		if !eof && end-start < max {
			copy(buf, buf[start:end])
			end -= start
			start = 0
			n, eof, err = fill(r, buf[end:])
			end += n
			if err != nil {
				return castore.Digest{}, 0, pw.fail(err)
			}
			if err := ctx.Err(); err != nil {
				return castore.Digest{}, 0, pw.fail(err)
			}
		}
		if start == end { // the stream has ended and all of it is cut
			break
		}
		n := s.chunker.Cut(buf[start:end])
		data := buf[start : start+n]
		if pw.count() == 0 && eof && n == end-start {
			// The whole blob is one chunk: its digest is the blob's.
			d := castore.Digest(blake3.Sum256(data))
			if err := s.writeChunk(ctx, d, data); err != nil {
				return castore.Digest{}, 0, err
			}
			return d, uint64(n), nil
		}
		whole.Write(data)
		if err := pw.write(data); err != nil {
			return castore.Digest{}, 0, pw.fail(err)
		}
		total += uint64(n)
		start += n
	}
	chunks, err := pw.wait()
	if err != nil {
		return castore.Digest{}, 0, err
	}
	var blob castore.Digest
	whole.Sum(blob[:0])
	ok, err := s.Has(ctx, blob)
	if err == nil && !ok {
		err = s.store.WriteManifest(ctx, blob, chunks)
	}
	if err != nil {
		return castore.Digest{}, 0, fmt.Errorf("castore: storing blob %s: %w", blob, err)
	}
	return blob, total, nil
}

// fill reads from r until buf is full or r ends.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, fmt.Errorf("castore: reading blob: %w", err)
		}
	}
	return n, false, nil
}

func (s *Service) writeChunk(ctx context.Context, d castore.Digest, data []byte) error {
	ok, err := s.store.HasChunk(ctx, d)
	if err == nil && !ok {
		err = s.store.WriteChunk(ctx, d, data)
	}
	if err != nil {
		return fmt.Errorf("castore: storing chunk %s: %w", d, err)
	}
	return nil
}
