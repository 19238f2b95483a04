package grpcstore

import (
	"sync"

	"google.golang.org/grpc"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// Defaults for ServerOptions.
const (
	// DefaultReadChunkSize is how many bytes of a blob one BlobChunk message
	// carries on Read.
	DefaultReadChunkSize = 1 << 20
	// DefaultMaxBlobSize bounds one uploaded blob.
	DefaultMaxBlobSize = 64 << 30
	// DefaultMaxClosureBytes bounds the canonical encodings of the distinct
	// Directories of one uploaded closure, which the server holds in memory
	// until the closure is complete.
	DefaultMaxClosureBytes = 256 << 20
	// MaxMessageSize is the largest message the server and client accept:
	// room for a Directory of about 100,000 entries.
	MaxMessageSize = 16 << 20
)

// ServerOptions tune a Server. The zero value gives the defaults.
type ServerOptions struct {
	// ReadChunkSize is the number of blob bytes per BlobChunk on Read
	// (default DefaultReadChunkSize; at most MaxMessageSize/2).
	ReadChunkSize int
	// MaxBlobSize bounds an uploaded blob (default DefaultMaxBlobSize).
	MaxBlobSize int64
	// MaxClosureBytes bounds the encoded size of one uploaded closure
	// (default DefaultMaxClosureBytes).
	MaxClosureBytes int64
	// CheckBlobs makes directory uploads refuse a Directory naming a file
	// whose blob is not stored, or is stored with another size than the
	// FileNode claims. Clients then must upload blobs before the
	// directories that name them (as Tvix's and govix's importers do).
	CheckBlobs bool
}

func (o ServerOptions) withDefaults() ServerOptions {
	if o.ReadChunkSize <= 0 {
		o.ReadChunkSize = DefaultReadChunkSize
	}
	o.ReadChunkSize = min(o.ReadChunkSize, MaxMessageSize/2)
	if o.MaxBlobSize <= 0 {
		o.MaxBlobSize = DefaultMaxBlobSize
	}
	if o.MaxClosureBytes <= 0 {
		o.MaxClosureBytes = DefaultMaxClosureBytes
	}
	return o
}

// Server exposes a blob and a directory service as tvix.castore.v1's
// BlobService and DirectoryService, and govix's extensions to them
// (govix.castore.v1.CastoreExtService, see castore/protos/govix_ext.proto).
type Server struct {
	blobs   castore.BlobService
	dirs    castore.DirectoryService
	opts    ServerOptions
	staging sync.Pool // *[]byte of ReadChunkSize bytes, Read reads into
}

// NewServer returns a server for the services of store. opts may be nil.
func NewServer(store *castore.Store, opts *ServerOptions) *Server {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	s := &Server{blobs: store.Blobs, dirs: store.Directories, opts: o.withDefaults()}
	s.staging.New = func() any { b := make([]byte, s.opts.ReadChunkSize); return &b }
	return s
}

// Register adds both services to r, which may serve other services too
// (a store's PathInfoService, say).
func (s *Server) Register(r grpc.ServiceRegistrar) {
	castorepb.RegisterBlobServiceServer(r, &blobServer{s: s})
	castorepb.RegisterDirectoryServiceServer(r, &directoryServer{s: s})
	castorepb.RegisterCastoreExtServiceServer(r, &extServer{s: s})
}

// MaxStreamsPerConnection bounds the calls one client connection has open
// at once: each directory upload may hold up to MaxClosureBytes until it
// completes.
const MaxStreamsPerConnection = 256

// GRPCServerOptions are the options a grpc.Server that registers a Server
// should have: message size limits that fit the protocol's messages, and a
// bound on the calls a connection has open at once.
func GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.MaxConcurrentStreams(MaxStreamsPerConnection),
	}
}

// NewGRPCServer returns a grpc.Server with GRPCServerOptions (and extra)
// serving s.
func (s *Server) NewGRPCServer(extra ...grpc.ServerOption) *grpc.Server {
	gs := grpc.NewServer(append(GRPCServerOptions(), extra...)...)
	s.Register(gs)
	return gs
}
