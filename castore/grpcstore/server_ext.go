package grpcstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// MaxDigestsPerCall bounds the digests of one MissingBlobs,
// MissingDirectories or StatBlobs call, and the chunks of one PutChunked.
const MaxDigestsPerCall = 1 << 16

// extServer implements govix.castore.v1.CastoreExtService: the govix
// extensions that let clients send only what the server lacks.
type extServer struct {
	castorepb.UnimplementedCastoreExtServiceServer
	s *Server
}

func requestDigests(req *castorepb.Digests) ([]castore.Digest, error) {
	if len(req.GetDigests()) > MaxDigestsPerCall {
		return nil, status.Errorf(codes.InvalidArgument, "%d digests in one call; at most %d", len(req.GetDigests()), MaxDigestsPerCall)
	}
	out := make([]castore.Digest, len(req.GetDigests()))
	for i, b := range req.GetDigests() {
		d, err := requestDigest(b)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// missingResponse answers which of the requested digests lacking (one of
// castore.MissingBlobs and castore.MissingDirectories) says the backend
// lacks, in the order they were asked.
func missingResponse[S any](ctx context.Context, req *castorepb.Digests, backend S,
	lacking func(context.Context, S, []castore.Digest) (map[castore.Digest]bool, error)) (*castorepb.Digests, error) {
	ds, err := requestDigests(req)
	if err != nil {
		return nil, err
	}
	lacks, err := lacking(ctx, backend, ds)
	if err != nil {
		return nil, statusError("", err)
	}
	resp := &castorepb.Digests{}
	for _, d := range ds {
		if lacks[d] {
			resp.Digests = append(resp.Digests, d[:])
		}
	}
	return resp, nil
}

func (x *extServer) MissingBlobs(ctx context.Context, req *castorepb.Digests) (*castorepb.Digests, error) {
	return missingResponse(ctx, req, x.s.blobs, castore.MissingBlobs)
}

func (x *extServer) MissingDirectories(ctx context.Context, req *castorepb.Digests) (*castorepb.Digests, error) {
	return missingResponse(ctx, req, x.s.dirs, castore.MissingDirectories)
}

func (x *extServer) StatBlobs(ctx context.Context, req *castorepb.Digests) (*castorepb.BlobSizes, error) {
	ds, err := requestDigests(req)
	if err != nil {
		return nil, err
	}
	sizes := make([]uint64, len(ds))
	found := make([]bool, len(ds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, d := range ds {
		g.Go(func() error {
			size, err := castore.BlobSize(gctx, x.s.blobs, d)
			if errors.Is(err, castore.ErrNotFound) {
				return nil
			}
			sizes[i], found[i] = size, err == nil
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, statusError("", err)
	}
	resp := &castorepb.BlobSizes{}
	for i, d := range ds {
		if found[i] {
			resp.Blobs = append(resp.Blobs, &castorepb.BlobSizes_Entry{Digest: d[:], Size: sizes[i]})
		}
	}
	return resp, nil
}

func (x *extServer) PutChunked(ctx context.Context, req *castorepb.PutChunkedRequest) (*castorepb.PutChunkedResponse, error) {
	cp, ok := x.s.blobs.(castore.ChunkedPutter)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this server's blob store cannot put blobs by their chunks")
	}
	d, err := requestDigest(req.GetDigest())
	if err != nil {
		return nil, err
	}
	if len(req.GetChunks()) > MaxDigestsPerCall {
		return nil, status.Errorf(codes.InvalidArgument, "%d chunks; at most %d", len(req.GetChunks()), MaxDigestsPerCall)
	}
	chunks := make([]castore.ChunkMeta, len(req.GetChunks()))
	var total uint64
	for i, c := range req.GetChunks() {
		cd, err := requestDigest(c.GetDigest())
		if err != nil {
			return nil, err
		}
		if c.GetSize() == 0 || c.GetSize() > 1<<30 {
			return nil, status.Errorf(codes.InvalidArgument, "chunk %d: size %d", i, c.GetSize())
		}
		total += c.GetSize()
		chunks[i] = castore.ChunkMeta{Digest: cd, Size: c.GetSize()}
	}
	if total > uint64(x.s.opts.MaxBlobSize) {
		return nil, status.Errorf(codes.ResourceExhausted, "blob of %d bytes: more than %d bytes, the server's limit", total, x.s.opts.MaxBlobSize)
	}
	if err := cp.PutChunked(ctx, d, chunks); err != nil {
		return nil, statusError("blob "+d.String(), err)
	}
	return &castorepb.PutChunkedResponse{}, nil
}

// PutDirectories is directoryServer.Put through a partial putter: what the
// client sends is checked as it arrives, and directories it names but did
// not send must be stored here already.
func (x *extServer) PutDirectories(stream grpc.ClientStreamingServer[castorepb.Directory, castorepb.PutDirectoryResponse]) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	return x.s.receiveClosure(ctx, stream, castore.NewPartialPutter(ctx, x.s.dirs))
}

// receiveClosure reads a closure from stream into putter, checking blobs
// when the server is set to, and answers with its root.
func (s *Server) receiveClosure(ctx context.Context, stream grpc.ClientStreamingServer[castorepb.Directory, castorepb.PutDirectoryResponse], putter castore.DirectoryPutter) error {
	var checker *blobChecker
	if s.opts.CheckBlobs {
		checker = newBlobChecker(ctx, s.blobs)
	}
	var total int64
	for n := 0; ; n++ {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		dir, err := castore.DirectoryFromProto(msg)
		if err != nil {
			return statusError(fmt.Sprintf("directory message %d", n), err)
		}
		total += int64(dir.EncodedLen()) + 1
		if total > s.opts.MaxClosureBytes {
			return status.Errorf(codes.ResourceExhausted, "closure larger than the server's limit of %d bytes", s.opts.MaxClosureBytes)
		}
		if err := putter.Put(dir); err != nil {
			return statusError(fmt.Sprintf("directory message %d (%s)", n, dir.Digest()), err)
		}
		if checker != nil {
			checker.check(dir)
		}
	}
	if checker != nil {
		if err := checker.wait(); err != nil {
			return statusError("", err)
		}
	}
	root, err := putter.Close()
	if err != nil {
		return statusError("", err)
	}
	return stream.SendAndClose(&castorepb.PutDirectoryResponse{RootDigest: root[:]})
}
