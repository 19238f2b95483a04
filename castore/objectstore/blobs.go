package objectstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/chunked"
)

// blobService is castore's chunked blob service over the objects (whose
// Put uploads chunks in parallel, within the store's bound on chunks in
// flight: objects implements chunked.WriteSlots), with an Open that fetches
// a blob of one chunk with one request and reads chunked blobs ahead.
type blobService struct {
	*chunked.Service
	o *objects
}

var _ castore.BlobService = (*blobService)(nil)

func newBlobService(o *objects) *blobService {
	return &blobService{Service: chunked.New(o), o: o}
}

// Open reads a blob of one chunk (most blobs) with one request, and a
// chunked blob through chunked.Service's verifying reader, reading ahead.
func (b *blobService) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	data, err := b.o.ReadChunk(ctx, d, nil)
	if errors.Is(err, castore.ErrNotFound) {
		chunks, err := b.o.Manifest(ctx, d)
		if errors.Is(err, castore.ErrNotFound) {
			return nil, fmt.Errorf("blob %s: %w", d, castore.ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		return b.o.openChunked(ctx, d, chunks)
	}
	if err != nil {
		return nil, err
	}
	if got := castore.Sum(data); got != d {
		return nil, fmt.Errorf("blob %s: %w: stored bytes hash to %s", d, castore.ErrCorrupt, got)
	}
	return bytesReadCloser{bytes.NewReader(data)}, nil
}

type bytesReadCloser struct{ *bytes.Reader }

func (bytesReadCloser) Close() error { return nil }
