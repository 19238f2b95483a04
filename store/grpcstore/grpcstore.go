// Package grpcstore serves a PathInfoService over gRPC as Tvix's
// tvix.store.v1 PathInfoService, and connects to such servers.
//
// The server trusts nothing a client sends: every PathInfo is validated
// (store path, root node, references and their names, signatures,
// content address), and, when it has the castore, a Put is refused unless
// the root node's contents are stored (for a directory, its root
// Directory, which implies its closure; for a file, its blob).
//
// The client trusts nothing the server sends either: every PathInfo is
// validated, and Get checks that the answer is the path asked for.
//
// Together with castore/grpcstore on the same gRPC server this is a whole
// store: store URLs grpc+unix:///path.sock and grpc+http://host:port.
package grpcstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
	cgrpc "github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/storepb"
)

// Server implements tvix.store.v1.PathInfoService over a store.
type Server struct {
	storepb.UnimplementedPathInfoServiceServer
	st *store.Store
}

// NewServer returns a server for st's PathInfoService (and its castore,
// which Put checks and CalculateNAR reads).
func NewServer(st *store.Store) *Server { return &Server{st: st} }

// Register adds the service to a gRPC server.
func (s *Server) Register(r grpc.ServiceRegistrar) { storepb.RegisterPathInfoServiceServer(r, s) }

// errorCodes are the store's kinds of error and their gRPC codes: the
// castore's, and two of the store's own.
var errorCodes = []cgrpc.ErrorCode{
	{Err: store.ErrNotFound, Code: codes.NotFound},
	{Err: store.ErrInvalid, Code: codes.InvalidArgument},
	{Err: store.ErrReadOnly, Code: codes.PermissionDenied},
	{Err: store.ErrNotListable, Code: codes.Unimplemented},
	{Err: store.ErrCorrupt, Code: codes.DataLoss},
	{Err: context.Canceled, Code: codes.Canceled},
	{Err: context.DeadlineExceeded, Code: codes.DeadlineExceeded},
}

// toStatus maps store errors to gRPC codes.
func toStatus(what string, err error) error {
	if err == nil {
		return nil
	}
	return status.Errorf(cgrpc.CodeOf(err, errorCodes), "%s: %v", what, err)
}

// fromStatus maps gRPC errors back to store errors.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	kind := cgrpc.ErrorOf(st.Code(), errorCodes)
	if kind == nil {
		return fmt.Errorf("store server: %s", st.Message())
	}
	return fmt.Errorf("store server: %s: %w", st.Message(), kind)
}

// Get implements tvix.store.v1.PathInfoService.Get.
func (s *Server) Get(ctx context.Context, req *storepb.GetPathInfoRequest) (*storepb.PathInfo, error) {
	h := req.GetByOutputHash()
	if len(h) != storepath.DigestSize {
		return nil, status.Errorf(codes.InvalidArgument, "by_output_hash is %d bytes, want %d", len(h), storepath.DigestSize)
	}
	info, err := s.st.PathInfo.Get(ctx, [storepath.DigestSize]byte(h))
	if err != nil {
		return nil, toStatus("get", err)
	}
	return info.ToProto(), nil
}

// Put implements tvix.store.v1.PathInfoService.Put.
func (s *Server) Put(ctx context.Context, pp *storepb.PathInfo) (*storepb.PathInfo, error) {
	info, err := store.FromProto(pp)
	if err != nil {
		return nil, toStatus("put", err)
	}
	if err := s.checkContents(ctx, info.Node); err != nil {
		return nil, toStatus("put "+info.StorePath.String(), err)
	}
	out, err := s.st.PathInfo.Put(ctx, info)
	if err != nil {
		return nil, toStatus("put "+info.StorePath.String(), err)
	}
	return out.ToProto(), nil
}

// checkContents refuses a root node whose contents are not stored.
func (s *Server) checkContents(ctx context.Context, n castore.Node) error {
	switch n.Kind {
	case castore.KindDirectory:
		d, err := s.st.Directories.Get(ctx, n.Digest)
		if err != nil {
			return fmt.Errorf("%w: root directory %s is not stored (%w)", store.ErrInvalid, n.Digest, err)
		}
		if d.Size() != n.Size {
			return fmt.Errorf("%w: root directory %s has size %d, the node says %d", store.ErrInvalid, n.Digest, d.Size(), n.Size)
		}
	case castore.KindFile:
		ok, err := s.st.Blobs.Has(ctx, n.Digest)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: blob %s of the root file is not stored", store.ErrInvalid, n.Digest)
		}
	}
	return nil
}

// CalculateNAR implements tvix.store.v1.PathInfoService.CalculateNAR.
func (s *Server) CalculateNAR(ctx context.Context, pn *castorepb.Node) (*storepb.CalculateNARResponse, error) {
	_, n, err := castore.NodeFromProto(pn)
	if err != nil {
		return nil, toStatus("calculate NAR", err)
	}
	size, sum, err := s.st.NAR.CalculateNAR(ctx, n)
	if err != nil {
		return nil, toStatus("calculate NAR", err)
	}
	return &storepb.CalculateNARResponse{NarSize: size, NarSha256: sum[:]}, nil
}

// List implements tvix.store.v1.PathInfoService.List.
func (s *Server) List(_ *storepb.ListPathInfoRequest, stream grpc.ServerStreamingServer[storepb.PathInfo]) error {
	for info, err := range s.st.PathInfo.List(stream.Context()) {
		if err != nil {
			return toStatus("list", err)
		}
		if err := stream.Send(info.ToProto()); err != nil {
			return err
		}
	}
	return nil
}

// Client is a PathInfoService and NARCalculator talking to a server.
type Client struct {
	c storepb.PathInfoServiceClient
}

var (
	_ store.PathInfoService = (*Client)(nil)
	_ store.NARCalculator   = (*Client)(nil)
)

// NewClient returns a client calling the server on cc.
func NewClient(cc grpc.ClientConnInterface) *Client {
	return &Client{c: storepb.NewPathInfoServiceClient(cc)}
}

// Get asks the server for a PathInfo and checks the answer.
func (c *Client) Get(ctx context.Context, digest [storepath.DigestSize]byte) (*store.PathInfo, error) {
	pp, err := c.c.Get(ctx, &storepb.GetPathInfoRequest{ByWhat: &storepb.GetPathInfoRequest_ByOutputHash{ByOutputHash: digest[:]}})
	if err != nil {
		return nil, fromStatus(err)
	}
	info, err := store.FromProto(pp)
	if err != nil {
		return nil, fmt.Errorf("store server sent a bad path info: %w", errors.Join(store.ErrCorrupt, err))
	}
	if info.StorePath.Digest != digest {
		return nil, fmt.Errorf("store server: %w: asked for %s, got %s", store.ErrCorrupt, storepath.StorePath{Digest: digest, Name: "x"}.HashPart(), info.StorePath)
	}
	return info, nil
}

// Put sends a PathInfo.
func (c *Client) Put(ctx context.Context, info *store.PathInfo) (*store.PathInfo, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	pp, err := c.c.Put(ctx, info.ToProto())
	if err != nil {
		return nil, fromStatus(err)
	}
	out, err := store.FromProto(pp)
	if err != nil {
		return nil, fmt.Errorf("store server sent a bad path info: %w", errors.Join(store.ErrCorrupt, err))
	}
	if out.StorePath != info.StorePath || out.Node != info.Node {
		return nil, fmt.Errorf("store server: %w: Put answered with another path", store.ErrCorrupt)
	}
	return out, nil
}

// List streams every PathInfo from the server.
func (c *Client) List(ctx context.Context) iter.Seq2[*store.PathInfo, error] {
	return func(yield func(*store.PathInfo, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.c.List(ctx, &storepb.ListPathInfoRequest{})
		if err != nil {
			yield(nil, fromStatus(err))
			return
		}
		for {
			pp, err := stream.Recv()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, fromStatus(err))
				return
			}
			info, err := store.FromProto(pp)
			if err != nil {
				yield(nil, fmt.Errorf("store server sent a bad path info: %w", errors.Join(store.ErrCorrupt, err)))
				return
			}
			if !yield(info, nil) {
				return
			}
		}
	}
}

// CalculateNAR asks the server for a node's NAR size and sha256.
func (c *Client) CalculateNAR(ctx context.Context, n castore.Node) (uint64, [32]byte, error) {
	var sum [32]byte
	resp, err := c.c.CalculateNAR(ctx, castore.NodeToProto("", n))
	if err != nil {
		return 0, sum, fromStatus(err)
	}
	if len(resp.GetNarSha256()) != len(sum) {
		return 0, sum, fmt.Errorf("store server: %w: CalculateNAR answered a %d-byte hash", store.ErrCorrupt, len(resp.GetNarSha256()))
	}
	copy(sum[:], resp.GetNarSha256())
	return resp.GetNarSize(), sum, nil
}
