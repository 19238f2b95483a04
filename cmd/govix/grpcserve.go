package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"

	cgrpc "github.com/govix/govix/castore/grpcstore"
)

// serveGRPC listens on listen (unix:///path or host:port) and serves gs
// there until ctx is done, then stops it gracefully: calls in progress get
// ten seconds to finish. Once listening it prints on w which URL clients
// pass with clientFlag, as "NAME: listening; clients use FLAG URL". It
// returns an error if it cannot listen or the server stops by itself.
func serveGRPC(ctx context.Context, w io.Writer, name, clientFlag, listen string, gs *grpc.Server) error {
	l, err := cgrpc.Listen(listen)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- gs.Serve(l) }()
	clientURL := "grpc+http://" + l.Addr().String()
	if strings.HasPrefix(listen, "unix://") {
		clientURL = "grpc+unix://" + l.Addr().String()
	}
	fmt.Fprintf(w, "%s: listening; clients use %s %s\n", name, clientFlag, clientURL)
	select {
	case err := <-served:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	// Let calls in progress finish, but not forever.
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		gs.Stop()
	}
	<-served
	return nil
}
