package grpcstore_test

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/castore/memory"
	"github.com/govix/govix/castore/objectstore"
)

// serve starts a server for backend on a unix socket (unix true) or a
// loopback TCP port, stopped when the test ends, and returns its store URL.
func serve(t testing.TB, backend *castore.Store, opts *grpcstore.ServerOptions, unix bool) *url.URL {
	t.Helper()
	var addr string
	if unix {
		addr = "unix://" + filepath.Join(t.TempDir(), "castore.sock")
	} else {
		addr = "127.0.0.1:0"
	}
	l, err := grpcstore.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	gs := grpcstore.NewServer(backend, opts).NewGRPCServer()
	done := make(chan error, 1)
	go func() { done <- gs.Serve(l) }()
	t.Cleanup(func() {
		gs.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		backend.Close()
	})
	if unix {
		return &url.URL{Scheme: grpcstore.SchemeUnix, Path: l.Addr().String()}
	}
	return &url.URL{Scheme: grpcstore.SchemeHTTP, Host: l.Addr().(*net.TCPAddr).String()}
}

// connect opens a client store for u, closed when the test ends.
func connect(t testing.TB, u *url.URL) *castore.Store {
	t.Helper()
	s, err := grpcstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceUnix(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		return connect(t, serve(t, memory.New(), nil, true))
	})
}

func TestConformanceTCP(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		return connect(t, serve(t, memory.New(), nil, false))
	})
}

// TestConformanceChained serves a gRPC client store: a server in front of a
// server, as a proxy would be.
func TestConformanceChained(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		inner := connect(t, serve(t, memory.New(), nil, true))
		return connect(t, serve(t, inner, nil, true))
	})
}

func objectStoreURL(dir string) (*url.URL, error) {
	return url.Parse(objectstore.SchemeFile + "://" + dir + "?fsync=false")
}
