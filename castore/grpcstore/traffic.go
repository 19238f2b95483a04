package grpcstore

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/stats"
)

// Traffic counts the bytes a client connection sent and received on the
// wire: gRPC messages as framed (after compression, before TLS), headers
// not counted. A copy reports with it what crossed the network.
type Traffic struct {
	Sent, Received atomic.Int64
}

// handler is Traffic's grpc stats.Handler.
type trafficHandler struct{ t *Traffic }

func (h trafficHandler) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}

func (h trafficHandler) HandleRPC(_ context.Context, s stats.RPCStats) {
	switch p := s.(type) {
	case *stats.OutPayload:
		h.t.Sent.Add(int64(p.WireLength))
	case *stats.InPayload:
		h.t.Received.Add(int64(p.WireLength))
	}
}

func (h trafficHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (h trafficHandler) HandleConn(context.Context, stats.ConnStats) {}
