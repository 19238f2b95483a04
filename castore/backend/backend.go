// Package backend opens castore stores by URL, the one way commands and
// other packages pick a backend:
//
//	memory://                              in process memory
//	local:///path/to/store (or a path)     the embedded on-disk store
//	cache://?near=URL&far=URL              near in front of far
//	grpc+unix:///path.sock                 a castore gRPC server
//	grpc+http://host:port, grpc+https://…  (see castore/grpcstore)
//	objectstore+file:///dir                object storage in a directory
//	objectstore+s3://bucket?endpoint=…     S3 and compatible servers (see castore/objectstore)
//
// The schemes are a table inside Open, not a global registry: adding a
// backend means adding a line there.
package backend

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/cache"
	"github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/castore/local"
	"github.com/govix/govix/castore/memory"
	"github.com/govix/govix/castore/objectstore"
)

// opener opens one kind of store.
type opener func(ctx context.Context, u *url.URL) (*castore.Store, error)

// Open opens the store named by rawURL. A URL without a scheme is a path to
// a local store.
func Open(ctx context.Context, rawURL string) (*castore.Store, error) {
	if !strings.Contains(rawURL, "://") {
		return openLocal(ctx, &url.URL{Scheme: "local", Path: rawURL})
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("castore: bad store URL: %w", err)
	}
	openers := map[string]opener{
		"memory":               openMemory,
		"local":                openLocal,
		"cache":                openCache,
		grpcstore.SchemeUnix:   grpcstore.Open,
		grpcstore.SchemeHTTP:   grpcstore.Open,
		grpcstore.SchemeHTTPS:  grpcstore.Open,
		objectstore.SchemeFile: objectstore.Open,
		objectstore.SchemeS3:   objectstore.Open,
	}
	open, ok := openers[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("castore: unknown store URL scheme %q in %s", u.Scheme, u.Redacted())
	}
	return open(ctx, u)
}

func openMemory(_ context.Context, u *url.URL) (*castore.Store, error) {
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("castore: memory:// takes no path or parameters: %s", u.Redacted())
	}
	return memory.New(), nil
}

// LocalPath returns the directory a local:// URL names: local:///abs/path,
// local://rel/path (host and path joined) or local:rel/path.
func LocalPath(u *url.URL) (string, error) {
	p := u.Opaque
	if p == "" {
		p = u.Host + u.Path
	}
	if p == "" {
		return "", fmt.Errorf("castore: local store URL %s has no path", u.Redacted())
	}
	if u.RawQuery != "" {
		return "", fmt.Errorf("castore: local store URL %s: unknown parameters %q", u.Redacted(), u.RawQuery)
	}
	return p, nil
}

// IsLocal reports whether rawURL names an embedded on-disk store, and if
// so its directory: packages that keep their own data in that store's
// database (local.Store.DB, local.Store.KV) open it with local.Open
// instead of Open.
func IsLocal(rawURL string) (dir string, ok bool, err error) {
	if !strings.Contains(rawURL, "://") {
		return rawURL, true, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false, fmt.Errorf("castore: bad store URL: %w", err)
	}
	if u.Scheme != "local" {
		return "", false, nil
	}
	dir, err = LocalPath(u)
	return dir, err == nil, err
}

func openLocal(ctx context.Context, u *url.URL) (*castore.Store, error) {
	p, err := LocalPath(u)
	if err != nil {
		return nil, err
	}
	s, err := local.Open(ctx, p, nil)
	if err != nil {
		return nil, err
	}
	return s.Castore(), nil
}

func openCache(ctx context.Context, u *url.URL) (*castore.Store, error) {
	q := u.Query()
	nearURL, farURL := q.Get("near"), q.Get("far")
	if nearURL == "" || farURL == "" || len(q) != 2 {
		return nil, fmt.Errorf("castore: cache store URL needs exactly near= and far= parameters: %s", u.Redacted())
	}
	near, err := Open(ctx, nearURL)
	if err != nil {
		return nil, fmt.Errorf("cache near store: %w", err)
	}
	far, err := Open(ctx, farURL)
	if err != nil {
		near.Close()
		return nil, fmt.Errorf("cache far store: %w", err)
	}
	return cache.New(near, far), nil
}
