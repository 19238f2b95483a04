package grpcstore_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	cgrpc "github.com/govix/govix/castore/grpcstore"
	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/grpcstore"
	"github.com/govix/govix/store/memory"
	"github.com/govix/govix/store/pathinfotest"
)

// serve starts a whole store server over a memory store on a unix socket
// and returns a client store.
func serve(t *testing.T) (server, client *store.Store) {
	t.Helper()
	server = store.NewStore(cmemory.New(), memory.New(), nil, nil)
	sock := filepath.Join(t.TempDir(), "store.sock")
	l, err := cgrpc.Listen("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	gs := cgrpc.NewServer(server.Castore(), nil).NewGRPCServer()
	grpcstore.NewServer(server).Register(gs)
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	client, err = grpcstore.Open(context.Background(), &url.URL{Scheme: "grpc+unix", Path: sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return server, client
}

func TestConformance(t *testing.T) {
	pathinfotest.Run(t, func(t *testing.T) *store.Store {
		_, c := serve(t)
		return c
	})
}

func TestCalculateNARAndMissingContents(t *testing.T) {
	ctx := context.Background()
	server, client := serve(t)
	info := pathinfotest.Fixture(t, client, "calc", "contents to hash")
	size, sum, err := client.NAR.CalculateNAR(ctx, info.Node)
	if err != nil || size != info.NarSize || sum != info.NarSHA256 {
		t.Fatalf("CalculateNAR = %d %x %v, want %d %x", size, sum, err, info.NarSize, info.NarSHA256)
	}
	// A PathInfo whose contents the server lacks is refused.
	other := pathinfotest.Fixture(t, store.NewStore(cmemory.New(), memory.New(), nil, nil), "absent", "not on the server")
	if _, err := client.PathInfo.Put(ctx, other); err == nil {
		t.Fatal("server accepted a PathInfo whose blob it does not have")
	}
	if _, err := server.PathInfo.Get(ctx, other.StorePath.Digest); err == nil {
		t.Fatal("refused PathInfo is stored")
	}
}
