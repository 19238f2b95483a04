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
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/backend"
	ccache "github.com/govix/govix/castore/cache"
	cgrpc "github.com/govix/govix/castore/grpcstore"
	cmemory "github.com/govix/govix/castore/memory"
	cobjectstore "github.com/govix/govix/castore/objectstore"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/cache"
	"github.com/govix/govix/store/grpcstore"
	"github.com/govix/govix/store/local"
	"github.com/govix/govix/store/memory"
	"github.com/govix/govix/store/nixcache"
	"github.com/govix/govix/store/objectstore"
)

type opener func(ctx context.Context, u *url.URL, o *Options) (*store.Store, error)

// Options change how Open opens a store.
type Options struct {
	// IngestInto is the castore a binary cache source (nix+...) ingests
	// the paths it fetches into; default a new in-memory one. A copy
	// from a binary cache into a store passes the destination's castore,
	// so that the NARs land there directly.
	IngestInto *castore.Store
}

// Open opens the store named by rawURL. A URL without a scheme is a path
// to a local store.
func Open(ctx context.Context, rawURL string) (*store.Store, error) {
	return OpenWith(ctx, rawURL, nil)
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, rawURL string, opts *Options) (*store.Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if !strings.Contains(rawURL, "://") {
		return local.Open(ctx, rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: bad store URL: %w", err)
	}
	openers := map[string]opener{
		"memory":                openMemory,
		"local":                 openLocal,
		"cache":                 openCache,
		cgrpc.SchemeUnix:        openGRPC,
		cgrpc.SchemeHTTP:        openGRPC,
		cgrpc.SchemeHTTPS:       openGRPC,
		cobjectstore.SchemeFile: openObjectStore,
		cobjectstore.SchemeS3:   openObjectStore,
		nixcache.SchemeHTTP:     openNixCache,
		nixcache.SchemeHTTPS:    openNixCache,
		nixcache.SchemeFile:     openNixCache,
	}
	open, ok := openers[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("store: unknown store URL scheme %q in %s", u.Scheme, u.Redacted())
	}
	return open(ctx, u, &o)
}

func openObjectStore(ctx context.Context, u *url.URL, _ *Options) (*store.Store, error) {
	cas, err := cobjectstore.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	pis, closeBucket, err := objectstore.Open(ctx, u)
	if err != nil {
		cas.Close()
		return nil, err
	}
	return store.NewStore(cas, pis, nil, func() error { return errors.Join(closeBucket(), cas.Close()) }), nil
}

func openGRPC(ctx context.Context, u *url.URL, _ *Options) (*store.Store, error) {
	return grpcstore.Open(ctx, u)
}

func openNixCache(_ context.Context, u *url.URL, o *Options) (*store.Store, error) {
	base, nopts, err := nixcache.ParseURL(u)
	if err != nil {
		return nil, err
	}
	cas := o.IngestInto
	if cas == nil {
		cas = cmemory.New()
	}
	s, err := nixcache.New(base, cas, nopts)
	if err != nil {
		return nil, err
	}
	return store.NewStore(cas, s, nil, nil), nil
}

func openCache(ctx context.Context, u *url.URL, _ *Options) (*store.Store, error) {
	q := u.Query()
	nearURL, farURL := q.Get("near"), q.Get("far")
	if nearURL == "" || farURL == "" || len(q) != 2 {
		return nil, fmt.Errorf("store: cache store URL needs exactly near= and far= parameters: %s", u.Redacted())
	}
	near, err := Open(ctx, nearURL)
	if err != nil {
		return nil, fmt.Errorf("cache near store: %w", err)
	}
	// A binary cache as far ingests straight into near's castore.
	far, err := OpenWith(ctx, farURL, &Options{IngestInto: near.Castore()})
	if err != nil {
		near.Close()
		return nil, fmt.Errorf("cache far store: %w", err)
	}
	closeBoth := func() error { return errors.Join(near.Close(), far.Close()) }
	nearCas, farCas := near.Castore(), far.Castore()
	cas := nearCas
	if far.Blobs != near.Blobs {
		cas = ccache.New(nearCas, farCas)
	} else {
		farCas = nearCas
	}
	return store.NewStore(cas, cache.New(near.PathInfo, nearCas, far.PathInfo, farCas), nil, closeBoth), nil
}

func openMemory(_ context.Context, u *url.URL, _ *Options) (*store.Store, error) {
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("store: memory:// takes no path or parameters: %s", u.Redacted())
	}
	return store.NewStore(cmemory.New(), memory.New(), nil, nil), nil
}

func openLocal(ctx context.Context, u *url.URL, _ *Options) (*store.Store, error) {
	p, err := backend.LocalPath(u)
	if err != nil {
		return nil, err
	}
	return local.Open(ctx, p)
}
