package grpcstore

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// directoryServer implements castorepb.DirectoryServiceServer over
// Server.dirs.
type directoryServer struct {
	castorepb.UnimplementedDirectoryServiceServer
	s *Server
}

// Get sends the requested Directory and, when asked, its closure, root
// first, each Directory once. The backend verifies what it reads.
func (ds *directoryServer) Get(req *castorepb.GetDirectoryRequest, stream grpc.ServerStreamingServer[castorepb.Directory]) error {
	if req.GetByWhat() == nil {
		return status.Error(codes.InvalidArgument, "GetDirectoryRequest: by_what is not set")
	}
	d, err := requestDigest(req.GetDigest())
	if err != nil {
		return err
	}
	ctx := stream.Context()
	if !req.GetRecursive() {
		dir, err := ds.s.dirs.Get(ctx, d)
		if err != nil {
			return statusError("", err)
		}
		return stream.Send(dir.ToProto())
	}
	for dir, err := range ds.s.dirs.GetRecursive(ctx, d) {
		if err != nil {
			return statusError("", err)
		}
		if err := stream.Send(dir.ToProto()); err != nil {
			return err
		}
	}
	return nil
}

// Put receives a closure, leaves first, and stores it once it is complete.
// Every message is validated as it arrives (the backend's putter checks
// each Directory against those sent before it), so a bad message ends the
// stream at once with InvalidArgument, and nothing of a refused closure is
// stored.
func (ds *directoryServer) Put(stream grpc.ClientStreamingServer[castorepb.Directory, castorepb.PutDirectoryResponse]) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel() // abandons the putter unless Close succeeded
	return ds.s.receiveClosure(ctx, stream, ds.s.dirs.NewPutter(ctx))
}

// blobChecker checks, in the background and a few at a time, that the
// files named by uploaded Directories are stored with the sizes claimed.
type blobChecker struct {
	blobs castore.BlobService
	g     *errgroup.Group
	ctx   context.Context
	mu    sync.Mutex
	seen  map[castore.Digest]uint64
}

func newBlobChecker(ctx context.Context, blobs castore.BlobService) *blobChecker {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	return &blobChecker{blobs: blobs, g: g, ctx: gctx, seen: make(map[castore.Digest]uint64)}
}

func (c *blobChecker) check(dir *castore.Directory) {
	for _, e := range dir.Entries {
		if e.Kind != castore.KindFile {
			continue
		}
		c.mu.Lock()
		size, dup := c.seen[e.Digest]
		if !dup {
			c.seen[e.Digest] = e.Size
		}
		c.mu.Unlock()
		if dup {
			if size != e.Size {
				c.g.Go(func() error {
					return fmt.Errorf("%w: file %q claims blob %s has %d bytes, another file in the closure claims %d", castore.ErrInvalid, e.Name, e.Digest, e.Size, size)
				})
			}
			continue
		}
		c.g.Go(func() error {
			got, err := castore.BlobSize(c.ctx, c.blobs, e.Digest)
			switch {
			case err != nil:
				return fmt.Errorf("%w: file %q names blob %s: %w", castore.ErrInvalid, e.Name, e.Digest, err)
			case got != e.Size:
				return fmt.Errorf("%w: file %q claims blob %s has %d bytes, but it has %d", castore.ErrInvalid, e.Name, e.Digest, e.Size, got)
			}
			return nil
		})
	}
}

func (c *blobChecker) wait() error { return c.g.Wait() }

// BlobSize returns the size of blob d (see castore.BlobSize).
//
// Deprecated: use castore.BlobSize.
func BlobSize(ctx context.Context, bs castore.BlobService, d castore.Digest) (uint64, error) {
	return castore.BlobSize(ctx, bs, d)
}
