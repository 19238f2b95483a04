package grpcstore

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// blobServer implements castorepb.BlobServiceServer over Server.blobs.
type blobServer struct {
	castorepb.UnimplementedBlobServiceServer
	s *Server
}

func requestDigest(b []byte) (castore.Digest, error) {
	d, err := castore.DigestFromBytes(b)
	if err != nil {
		return d, status.Errorf(codes.InvalidArgument, "request digest: %v", err)
	}
	return d, nil
}

// Stat answers whether the blob exists and, when asked, its chunks. A BAO
// is never sent: clients verify chunk by chunk instead.
func (b *blobServer) Stat(ctx context.Context, req *castorepb.StatBlobRequest) (*castorepb.StatBlobResponse, error) {
	d, err := requestDigest(req.GetDigest())
	if err != nil {
		return nil, err
	}
	if !req.GetSendChunks() {
		ok, err := b.s.blobs.Has(ctx, d)
		if err != nil {
			return nil, statusError("blob "+d.String(), err)
		}
		if !ok {
			return nil, status.Errorf(codes.NotFound, "blob %s not found", d)
		}
		return &castorepb.StatBlobResponse{}, nil
	}
	chunks, err := b.s.blobs.Chunks(ctx, d)
	if err != nil {
		return nil, statusError("", err)
	}
	resp := &castorepb.StatBlobResponse{Chunks: make([]*castorepb.StatBlobResponse_ChunkMeta, len(chunks))}
	for i, c := range chunks {
		resp.Chunks[i] = &castorepb.StatBlobResponse_ChunkMeta{Digest: c.Digest[:], Size: c.Size}
	}
	return resp, nil
}

// Read streams a blob (or a chunk) in messages of ReadChunkSize bytes. The
// backend's reader verifies what it reads, so a corrupt store ends the
// stream with DataLoss instead of sending bad bytes.
func (b *blobServer) Read(req *castorepb.ReadBlobRequest, stream grpc.ServerStreamingServer[castorepb.BlobChunk]) error {
	d, err := requestDigest(req.GetDigest())
	if err != nil {
		return err
	}
	ctx := stream.Context()
	r, err := b.s.blobs.Open(ctx, d)
	if err != nil {
		return statusError("", err)
	}
	defer r.Close()
	sp := b.s.staging.Get().(*[]byte)
	defer b.s.staging.Put(sp)
	staging := *sp
	for {
		n, err := io.ReadFull(r, staging)
		if n > 0 {
			// Each message gets its own copy, of just the bytes read: gRPC
			// does not promise to be done with a message when Send returns.
			if err := stream.Send(&castorepb.BlobChunk{Data: bytes.Clone(staging[:n])}); err != nil {
				return err
			}
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return nil
		case err != nil:
			return statusError("reading blob "+d.String(), err)
		}
	}
}

// Put stores the bytes of a client stream as one blob, refusing streams
// longer than MaxBlobSize.
func (b *blobServer) Put(stream grpc.ClientStreamingServer[castorepb.BlobChunk, castorepb.PutBlobResponse]) error {
	ctx := stream.Context()
	r := &chunkStreamReader{stream: stream, limit: b.s.opts.MaxBlobSize}
	d, _, err := b.s.blobs.Put(ctx, r)
	if err != nil {
		if r.err != nil && r.err != io.EOF { // the client's stream failed or went over the limit
			err = r.err
		}
		return statusError("storing blob", err)
	}
	return stream.SendAndClose(&castorepb.PutBlobResponse{Digest: d[:]})
}

// chunkStreamReader reads the data of a stream of BlobChunk messages.
type chunkStreamReader struct {
	stream interface {
		Recv() (*castorepb.BlobChunk, error)
	}
	limit int64 // bytes allowed in all; -1 for no limit
	total int64
	buf   []byte
	err   error // sticky: the stream's error, or the limit's
}

func (r *chunkStreamReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		msg, err := r.stream.Recv()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("receiving blob data: %w", err)
			}
			r.err = err
			return 0, err
		}
		r.buf = msg.GetData()
		r.total += int64(len(r.buf))
		if r.limit >= 0 && r.total > r.limit {
			r.buf = nil
			r.err = fmt.Errorf("blob %w: more than %d bytes", errTooLarge, r.limit)
			return 0, r.err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

var _ io.Reader = (*chunkStreamReader)(nil)
