// Package backend opens whole stores (castore and PathInfoService
// together) by URL, the one way commands pick a store:
//
//	memory://                         everything in process memory
//	local:///path/to/store (or PATH)  the embedded on-disk store
//	grpc+unix:///path.sock            a govix store daemon (castore and
//	grpc+http://host:port, ...        PathInfo services on one server)
//	objectstore+file:///dir           object storage: castore objects and
//	objectstore+s3://bucket?...       PathInfos in the same bucket
//	nix+https://host?trusted-public-keys=K1,K2 (nix+http://, nix+file:///dir)
//	                                  a Nix binary cache, read-only: paths
//	                                  are fetched, verified and ingested
//	cache://?near=URL&far=URL         near in front of far: reads fill
//	                                  near, writes go to both
//
// The schemes are a table inside Open, not a global registry.
package backend

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/govix/govix/castore/backend"
	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/local"
	"github.com/govix/govix/store/memory"
)

type opener func(ctx context.Context, u *url.URL) (*store.Store, error)

// Open opens the store named by rawURL. A URL without a scheme is a path
// to a local store.
func Open(ctx context.Context, rawURL string) (*store.Store, error) {
	if !strings.Contains(rawURL, "://") {
		return local.Open(ctx, rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: bad store URL: %w", err)
	}
	openers := map[string]opener{
		"memory": openMemory,
		"local":  openLocal,
	}
	open, ok := openers[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("store: unknown store URL scheme %q in %s", u.Scheme, u.Redacted())
	}
	return open(ctx, u)
}

func openMemory(_ context.Context, u *url.URL) (*store.Store, error) {
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("store: memory:// takes no path or parameters: %s", u.Redacted())
	}
	return store.NewStore(cmemory.New(), memory.New(), nil, nil), nil
}

func openLocal(ctx context.Context, u *url.URL) (*store.Store, error) {
	p, err := backend.LocalPath(u)
	if err != nil {
		return nil, err
	}
	return local.Open(ctx, p)
}
