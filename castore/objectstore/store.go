package objectstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// Layout constants; see the package documentation.
const (
	formatKey     = "govix-castore-format"
	formatContent = "govix castore objectstore layout 1\n"

	chunksDir = "chunks/b3/"
	blobsDir  = "blobs/b3/"
	dirsDir   = "dirs/b3/"

	// maxObjectSize bounds what is read of one chunk or directory object,
	// and a chunk's decompressed size: far above what castore writes, far
	// below what would hurt.
	maxObjectSize = 32 << 20
	// maxIndexSize bounds a chunk index: about 800,000 chunks, 200 GB.
	maxIndexSize = 64 << 20

	contentType = "application/octet-stream"
)

// objects is the raw storage: typed reads and writes of objects under
// prefix in bucket, with at most cap(sem) requests at a time. It implements
// chunked.Store and castore.DirectoryStore.
type objects struct {
	bucket *blob.Bucket
	prefix string
	sem    chan struct{} // request slots
	// inFlight bounds the chunks held in memory for uploads, across all
	// Puts.
	inFlight chan struct{}
	fsync    bool // a fileblob bucket: sync each file before it is renamed into place

	enc *zstd.Encoder
	dec *zstd.Decoder

	// Background reads (read-ahead) run under closing, which close
	// cancels before it waits for them.
	closing context.Context
	stop    context.CancelFunc
	bg      sync.WaitGroup
}

func newObjects(bucket *blob.Bucket, prefix string, concurrency int, fsync bool) (*objects, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(concurrency), zstd.WithEncoderCRC(false))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(concurrency), zstd.WithDecoderMaxMemory(maxObjectSize))
	if err != nil {
		return nil, err
	}
	closing, stop := context.WithCancel(context.Background())
	return &objects{bucket: bucket, prefix: prefix, sem: make(chan struct{}, concurrency), inFlight: make(chan struct{}, 2*concurrency), fsync: fsync, enc: enc, dec: dec, closing: closing, stop: stop}, nil
}

func (o *objects) close() error {
	o.stop()
	o.bg.Wait()
	o.dec.Close()
	return o.bucket.Close()
}

// background runs f in a goroutine that close waits for, with a context
// that ends with ctx or when the store closes.
func (o *objects) background(ctx context.Context, f func(ctx context.Context)) {
	o.bg.Add(1)
	go func() {
		defer o.bg.Done()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(o.closing, cancel)()
		f(ctx)
	}()
}

func (o *objects) key(dir string, d castore.Digest) string {
	h := d.Hex()
	return o.prefix + dir + h[:4] + "/" + h
}

// acquire takes one of the store's request slots.
func (o *objects) acquire(ctx context.Context) error {
	select {
	case o.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (o *objects) release() { <-o.sem }

// AcquireWrite takes one of the store's slots for chunks being uploaded
// (chunked.WriteSlots).
func (o *objects) AcquireWrite(ctx context.Context) error {
	select {
	case o.inFlight <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ReleaseWrite gives a slot back.
func (o *objects) ReleaseWrite() { <-o.inFlight }

func notFound(err error) bool { return gcerrors.Code(err) == gcerrors.NotFound }

// exists reports whether the object at key exists.
func (o *objects) exists(ctx context.Context, key string) (bool, error) {
	if err := o.acquire(ctx); err != nil {
		return false, err
	}
	defer o.release()
	ok, err := o.bucket.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("objectstore: %s: %w", key, err)
	}
	return ok, nil
}

// read appends the object at key (at most limit bytes) to buf. A missing
// object is an error wrapping castore.ErrNotFound.
func (o *objects) read(ctx context.Context, key string, limit int64, buf []byte) ([]byte, error) {
	if err := o.acquire(ctx); err != nil {
		return nil, err
	}
	defer o.release()
	r, err := o.bucket.NewReader(ctx, key, nil)
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("objectstore: %s: %w", key, castore.ErrNotFound)
		}
		return nil, fmt.Errorf("objectstore: %s: %w", key, err)
	}
	defer r.Close()
	if size := r.Size(); size > limit {
		return nil, fmt.Errorf("objectstore: %s: %w: object of %d bytes, more than the %d expected", key, castore.ErrCorrupt, size, limit)
	} else if n := len(buf) + int(size); n > cap(buf) {
		buf = append(make([]byte, 0, n), buf...)
	}
	w := bytes.NewBuffer(buf)
	n, err := w.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("objectstore: reading %s: %w", key, err)
	}
	if n > limit {
		return nil, fmt.Errorf("objectstore: %s: %w: more than the %d bytes expected", key, castore.ErrCorrupt, limit)
	}
	return w.Bytes(), nil
}

// write stores data at key, so that it appears whole or not at all.
func (o *objects) write(ctx context.Context, key string, data []byte) error {
	if err := o.acquire(ctx); err != nil {
		return err
	}
	defer o.release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // aborts the write unless Close succeeded
	var file *os.File
	opts := &blob.WriterOptions{ContentType: contentType}
	if o.fsync {
		opts.BeforeWrite = func(as func(any) bool) error {
			as(&file)
			return nil
		}
	}
	w, err := o.bucket.NewWriter(ctx, key, opts)
	if err != nil {
		return fmt.Errorf("objectstore: writing %s: %w", key, err)
	}
	_, err = w.Write(data)
	if err == nil && file != nil {
		// The bytes reach the disk before the rename that makes them
		// visible, so a power cut cannot leave an empty object behind.
		err = file.Sync()
	}
	if err != nil {
		cancel()
		w.Close()
		return fmt.Errorf("objectstore: writing %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("objectstore: writing %s: %w", key, err)
	}
	return nil
}

// checkFormat reads the layout marker, writing it into an empty store.
func (o *objects) checkFormat(ctx context.Context) error {
	b, err := o.read(ctx, o.prefix+formatKey, 1<<10, nil)
	switch {
	case errors.Is(err, castore.ErrNotFound):
		err := o.write(ctx, o.prefix+formatKey, []byte(formatContent))
		if notFound(err) {
			// Writing finds nothing only when the bucket is missing.
			return fmt.Errorf("the bucket does not exist (govix does not create buckets; create it with the object store's own tools): %w", err)
		}
		return err
	case err != nil:
		return err
	case string(b) != formatContent:
		return fmt.Errorf("objectstore: %s holds %q: not a layout this govix reads", o.prefix+formatKey, b)
	}
	return nil
}

// Chunks (chunked.Store).

func (o *objects) HasChunk(ctx context.Context, d castore.Digest) (bool, error) {
	return o.exists(ctx, o.key(chunksDir, d))
}

func (o *objects) ReadChunk(ctx context.Context, d castore.Digest, buf []byte) ([]byte, error) {
	z, err := o.read(ctx, o.key(chunksDir, d), maxObjectSize, nil)
	if err != nil {
		return nil, err
	}
	data, err := o.dec.DecodeAll(z, buf)
	if err != nil {
		return nil, fmt.Errorf("objectstore: chunk %s: %w: %w", d, castore.ErrCorrupt, err)
	}
	return data, nil
}

func (o *objects) WriteChunk(ctx context.Context, d castore.Digest, data []byte) error {
	z := o.enc.EncodeAll(data, make([]byte, 0, len(data)/2+64))
	return o.write(ctx, o.key(chunksDir, d), z)
}

// Chunk indexes.

func (o *objects) Manifest(ctx context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	b, err := o.read(ctx, o.key(blobsDir, d), maxIndexSize, nil)
	if err != nil {
		return nil, err
	}
	chunks, err := parseIndex(b)
	if err != nil {
		return nil, fmt.Errorf("objectstore: chunk index of %s: %w", d, err)
	}
	if len(chunks) == 1 && chunks[0].Digest == d {
		// Tvix writes an index for a blob of one chunk too: the blob is
		// stored whole, as that chunk.
		return nil, fmt.Errorf("objectstore: blob %s is one chunk: %w", d, castore.ErrNotFound)
	}
	return chunks, nil
}

// parseIndex decodes a stored chunk index: at least one chunk, each with a
// digest and a size, the sizes adding up to at most 2^62. (Whether the
// chunks make up the blob is checked when they are read.)
func parseIndex(b []byte) ([]castore.ChunkMeta, error) {
	var msg castorepb.StatBlobResponse
	if err := proto.Unmarshal(b, &msg); err != nil {
		return nil, fmt.Errorf("%w: %w", castore.ErrCorrupt, err)
	}
	if n := len(msg.GetChunks()); n < 1 {
		return nil, fmt.Errorf("%w: %d chunks", castore.ErrCorrupt, n)
	}
	chunks := make([]castore.ChunkMeta, len(msg.GetChunks()))
	var total uint64
	for i, c := range msg.GetChunks() {
		cd, err := castore.DigestFromBytes(c.GetDigest())
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d: %w", castore.ErrCorrupt, i, err)
		}
		total += c.GetSize()
		if c.GetSize() == 0 || total < c.GetSize() || total > 1<<62 {
			return nil, fmt.Errorf("%w: chunk %d has size %d", castore.ErrCorrupt, i, c.GetSize())
		}
		chunks[i] = castore.ChunkMeta{Digest: cd, Size: c.GetSize()}
	}
	return chunks, nil
}

func (o *objects) WriteManifest(ctx context.Context, d castore.Digest, chunks []castore.ChunkMeta) error {
	msg := &castorepb.StatBlobResponse{Chunks: make([]*castorepb.StatBlobResponse_ChunkMeta, len(chunks))}
	for i, c := range chunks {
		msg.Chunks[i] = &castorepb.StatBlobResponse_ChunkMeta{Digest: c.Digest[:], Size: c.Size}
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return err
	}
	return o.write(ctx, o.key(blobsDir, d), b)
}

// Directories (castore.DirectoryStore; PutDirectories is in dirs.go).

func (o *objects) GetDirectory(ctx context.Context, d castore.Digest) ([]byte, error) {
	return o.read(ctx, o.key(dirsDir, d), maxObjectSize, nil)
}
