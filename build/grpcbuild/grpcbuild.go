// Package grpcbuild serves a build.Service over gRPC as Tvix's
// tvix.build.v1.BuildService, and is a client of such a server.
//
// DoBuild is Tvix's call: a request in, a Build out, or an error. govix
// adds two things that Tvix peers ignore: a failed build's error status
// (ABORTED) carries a Build message in its details with the attempts
// made (exit status, signal, log tail, resources), which the client turns
// back into a *build.FailedError; and DoBuildStreaming, which streams the
// build log while the build runs and ends with the result (the client
// uses it when it is given a log writer).
//
// The server runs requests on the service it wraps, which reads inputs
// from and writes outputs to its own store: client and server must share
// one (a store daemon, object storage) for the nodes to mean the same
// thing on both sides.
package grpcbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/buildpb"
	cgrpc "github.com/govix/govix/castore/grpcstore"
)

// Server serves a build.Service.
type Server struct {
	buildpb.UnimplementedBuildServiceServer
	svc build.Service
}

// NewServer returns a server running builds on svc.
func NewServer(svc build.Service) *Server { return &Server{svc: svc} }

// Register adds the BuildService to a gRPC server.
func (s *Server) Register(gs *grpc.Server) { buildpb.RegisterBuildServiceServer(gs, s) }

// DoBuild runs a request to its end.
func (s *Server) DoBuild(ctx context.Context, p *buildpb.BuildRequest) (*buildpb.Build, error) {
	req, err := build.RequestFromProto(p)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	res, err := s.svc.Build(ctx, req, nil)
	if err != nil {
		return nil, toStatus(err)
	}
	return build.ResultToProto(req, res), nil
}

// DoBuildStreaming runs a request, sending its log as it comes.
func (s *Server) DoBuildStreaming(p *buildpb.BuildRequest, stream buildpb.BuildService_DoBuildStreamingServer) error {
	req, err := build.RequestFromProto(p)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	w := &streamLog{stream: stream}
	res, err := s.svc.Build(stream.Context(), req, w)
	if err != nil {
		return toStatus(err)
	}
	if w.err != nil {
		return w.err
	}
	return stream.Send(&buildpb.BuildEvent{Event: &buildpb.BuildEvent_Result{Result: build.ResultToProto(req, res)}})
}

// streamLog sends log writes as events. The sandbox calls Write from one
// goroutine at a time.
type streamLog struct {
	stream buildpb.BuildService_DoBuildStreamingServer
	err    error
}

func (w *streamLog) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	// gRPC may keep the slice: send a copy.
	if err := w.stream.Send(&buildpb.BuildEvent{Event: &buildpb.BuildEvent_Log{Log: append([]byte(nil), p...)}}); err != nil {
		w.err = err
		return 0, err
	}
	return len(p), nil
}

// toStatus turns a build error into a gRPC status; a failed build's
// attempts go into the details.
func toStatus(err error) error {
	var fe *build.FailedError
	switch {
	case errors.As(err, &fe):
		st := status.New(codes.Aborted, fe.Error())
		if d, derr := st.WithDetails(&buildpb.Build{Attempts: build.AttemptsToProto(fe.Attempts)}); derr == nil {
			st = d
		}
		return st.Err()
	case errors.Is(err, build.ErrInvalidRequest):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// fromStatus turns a gRPC error back into a build error.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if st.Code() == codes.Aborted {
		for _, d := range st.Details() {
			if b, ok := d.(*buildpb.Build); ok {
				return &build.FailedError{Attempts: build.AttemptsFromProto(b.GetAttempts())}
			}
		}
		return &build.FailedError{Attempts: []build.Attempt{{Error: st.Message()}}}
	}
	switch st.Code() {
	case codes.InvalidArgument:
		return fmt.Errorf("%w: %s", build.ErrInvalidRequest, st.Message())
	case codes.Canceled:
		return fmt.Errorf("remote build: %w", context.Canceled)
	}
	return fmt.Errorf("remote build: %w", err)
}

// Client is a build.Service on a remote BuildService.
type Client struct {
	c     buildpb.BuildServiceClient
	close func() error
	once  sync.Once
}

// NewClient returns a client on a connection.
func NewClient(cc grpc.ClientConnInterface) *Client {
	return &Client{c: buildpb.NewBuildServiceClient(cc)}
}

// Dial connects to a build server named by a URL: grpc+unix:///path.sock,
// grpc+http://host:port or grpc+https://host:port.
func Dial(rawURL string) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("builder URL: %w", err)
	}
	cc, err := cgrpc.DialURL(u)
	if err != nil {
		return nil, err
	}
	c := NewClient(cc)
	c.close = cc.Close
	return c, nil
}

// Close closes the connection Dial made.
func (c *Client) Close() error {
	var err error
	c.once.Do(func() {
		if c.close != nil {
			err = c.close()
		}
	})
	return err
}

// Build runs req on the server; with a log writer the log streams.
func (c *Client) Build(ctx context.Context, req *build.Request, log io.Writer) (*build.Result, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	p := req.ToProto()
	var b *buildpb.Build
	if log == nil {
		var err error
		if b, err = c.c.DoBuild(ctx, p); err != nil {
			return nil, fromStatus(err)
		}
	} else {
		stream, err := c.c.DoBuildStreaming(ctx, p)
		if err != nil {
			return nil, fromStatus(err)
		}
		for b == nil {
			ev, err := stream.Recv()
			if err == io.EOF {
				return nil, errors.New("remote build: the stream ended without a result")
			}
			if err != nil {
				return nil, fromStatus(err)
			}
			switch e := ev.GetEvent().(type) {
			case *buildpb.BuildEvent_Log:
				if _, err := log.Write(e.Log); err != nil {
					return nil, fmt.Errorf("remote build: writing the log: %w", err)
				}
			case *buildpb.BuildEvent_Result:
				b = e.Result
			}
		}
	}
	res, err := build.ResultFromProto(req, b)
	if err != nil {
		return nil, fmt.Errorf("remote build: %w", err)
	}
	return res, nil
}
