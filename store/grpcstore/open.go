package grpcstore

import (
	"context"
	"net/url"

	"google.golang.org/grpc"

	"github.com/govix/govix/castore"
	cgrpc "github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/store"
)

// Open connects to the store server (castore and PathInfo services on one
// gRPC server) named by a grpc+unix://, grpc+http:// or grpc+https:// URL.
// Closing the store closes the connection. NAR hashes are computed by the
// server.
func Open(_ context.Context, u *url.URL) (*store.Store, error) {
	t := new(cgrpc.Traffic)
	cc, err := cgrpc.DialURLCounted(u, t)
	if err != nil {
		return nil, err
	}
	cas := castoreOf(cc)
	cas.Blobs.(*cgrpc.BlobClient).SetTraffic(t)
	c := NewClient(cc)
	return store.NewStore(cas, c, c, cc.Close), nil
}

func castoreOf(cc grpc.ClientConnInterface) *castore.Store {
	return castore.NewStore(cgrpc.NewBlobClient(cc), cgrpc.NewDirectoryClient(cc), nil)
}
