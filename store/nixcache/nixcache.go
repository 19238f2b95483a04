// Package nixcache reads a Nix binary cache (an HTTP server or a directory
// that `nix copy --to file://...` wrote) as a read-only PathInfoService:
// Get fetches the path's narinfo, checks its signatures against trusted
// keys, fetches its NAR (uncompressed, xz, zstd or bzip2), and ingests it
// into a castore, checking the file hash and size, the NAR hash and size
// as the bytes stream past. A path is only returned once all of that
// succeeded; a tampered narinfo or NAR leaves no PathInfo and no directory
// behind.
//
// Store URLs:
//
//	nix+https://cache.example.org?trusted-public-keys=name:KEY,name2:KEY2
//	nix+http://127.0.0.1:5000?trusted-public-keys=...
//	nix+file:///srv/cache?trusted-public-keys=...
//
// As with Nix's require-sigs, a path needs a valid signature by one of the
// trusted keys unless it is content-addressed (its path follows from its
// content address and references); require-sigs=false accepts any.
package nixcache

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/internal/compression"
	"github.com/govix/govix/store/internal/lru"
)

// URL schemes of binary caches.
const (
	SchemeHTTP  = "nix+http"
	SchemeHTTPS = "nix+https"
	SchemeFile  = "nix+file"
)

// maxNarInfoSize bounds a narinfo file: real ones are a few hundred bytes
// plus 100 per reference.
const maxNarInfoSize = 4 << 20

// Options configure a Service.
type Options struct {
	// TrustedKeys are the keys whose signatures make a path trusted.
	TrustedKeys []narinfo.PublicKey
	// NoRequireSigs accepts paths without a valid signature.
	NoRequireSigs bool
	// StoreDir is the cache's store directory (default /nix/store).
	StoreDir storepath.StoreDir
	// Client makes HTTP requests (default: a client with timeouts).
	Client *http.Client
}

// Service is a read-only PathInfoService over a binary cache.
type Service struct {
	base   *url.URL // http(s) URL, or file URL of a directory
	opts   Options
	cas    *castore.Store
	client *http.Client
	sf     singleflight.Group
	done   *lru.Cache[[storepath.DigestSize]byte, *store.PathInfo]
}

var _ store.PathInfoService = (*Service)(nil)

// New returns a service reading the cache at base (an http, https or file
// URL) and ingesting into cas.
func New(base *url.URL, cas *castore.Store, opts *Options) (*Service, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.StoreDir == "" {
		o.StoreDir = storepath.DefaultStoreDir
	}
	switch base.Scheme {
	case "http", "https", "file":
	default:
		return nil, fmt.Errorf("nixcache: unsupported cache URL %s", base.Redacted())
	}
	c := o.Client
	if c == nil {
		c = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			MaxIdleConnsPerHost:   64,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	b := *base
	b.Path = strings.TrimSuffix(b.Path, "/")
	return &Service{base: &b, opts: o, cas: cas, client: c, done: lru.New[[storepath.DigestSize]byte, *store.PathInfo](4096)}, nil
}

// ParseURL splits a nix+http(s)/nix+file store URL into the cache's own
// URL and the options its parameters give (trusted-public-keys,
// require-sigs).
func ParseURL(u *url.URL) (*url.URL, *Options, error) {
	base := *u
	switch u.Scheme {
	case SchemeHTTP, SchemeHTTPS, SchemeFile:
		base.Scheme = strings.TrimPrefix(u.Scheme, "nix+")
	default:
		return nil, nil, fmt.Errorf("nixcache: not a binary cache URL: %s", u.Redacted())
	}
	q := u.Query()
	o := &Options{}
	for _, ks := range q["trusted-public-keys"] {
		for _, k := range strings.FieldsFunc(ks, func(r rune) bool { return r == ',' || r == ' ' }) {
			pk, err := narinfo.ParsePublicKey(k)
			if err != nil {
				return nil, nil, fmt.Errorf("nixcache: trusted-public-keys: %w", err)
			}
			o.TrustedKeys = append(o.TrustedKeys, pk)
		}
	}
	q.Del("trusted-public-keys")
	if v := q.Get("require-sigs"); v != "" {
		switch v {
		case "true", "1":
		case "false", "0":
			o.NoRequireSigs = true
		default:
			return nil, nil, fmt.Errorf("nixcache: require-sigs=%q: want true or false", v)
		}
	}
	q.Del("require-sigs")
	base.RawQuery = q.Encode()
	if base.Scheme == "file" && (base.Host != "" || base.Path == "") {
		return nil, nil, fmt.Errorf("nixcache: want nix+file:///absolute/dir, not %s", u.Redacted())
	}
	return &base, o, nil
}

// open fetches a file of the cache, relative to its root. A missing file
// is an error wrapping store.ErrNotFound.
func (s *Service) open(ctx context.Context, rel string) (io.ReadCloser, error) {
	if !filepath.IsLocal(rel) || strings.Contains(rel, "\\") {
		return nil, fmt.Errorf("%w: cache file name %q", store.ErrInvalid, rel)
	}
	if s.base.Scheme == "file" {
		root, err := os.OpenRoot(s.base.Path)
		if err != nil {
			return nil, fmt.Errorf("nixcache: %w", err)
		}
		defer root.Close()
		f, err := root.Open(rel)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", rel, store.ErrNotFound)
		}
		return f, err
	}
	u := s.base.JoinPath(rel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("nixcache: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp.Body, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %w", u.Redacted(), store.ErrNotFound)
	default:
		resp.Body.Close()
		return nil, fmt.Errorf("nixcache: GET %s: %s", u.Redacted(), resp.Status)
	}
}

// Get fetches, verifies and ingests the path with the given digest.
func (s *Service) Get(ctx context.Context, digest [storepath.DigestSize]byte) (*store.PathInfo, error) {
	if info, ok := s.done.Get(digest); ok {
		return info.Clone(), nil
	}
	hashPart := storepath.StorePath{Digest: digest, Name: "x"}.HashPart()
	v, err, _ := s.sf.Do(hashPart, func() (any, error) {
		info, err := s.fetch(context.WithoutCancel(ctx), hashPart, digest)
		if err == nil {
			s.done.Add(digest, info)
		}
		return info, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*store.PathInfo).Clone(), nil
}

// NarInfo fetches and checks the narinfo of a hash part, without its NAR.
func (s *Service) NarInfo(ctx context.Context, digest [storepath.DigestSize]byte) (*narinfo.NarInfo, error) {
	hashPart := storepath.StorePath{Digest: digest, Name: "x"}.HashPart()
	f, err := s.open(ctx, hashPart+".narinfo")
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxNarInfoSize+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("nixcache: %s.narinfo: %w", hashPart, err)
	}
	if len(data) > maxNarInfoSize {
		return nil, fmt.Errorf("nixcache: %s.narinfo: %w: larger than %d bytes", hashPart, store.ErrInvalid, maxNarInfoSize)
	}
	ni, err := narinfo.Parse(s.opts.StoreDir, string(data))
	if err != nil {
		return nil, fmt.Errorf("nixcache: %s.narinfo: %w", hashPart, err)
	}
	if ni.StorePath.Digest != digest {
		return nil, fmt.Errorf("nixcache: %s.narinfo: %w: it describes %s", hashPart, store.ErrCorrupt, ni.StorePath)
	}
	if ni.NarHash.Algorithm() != nixhash.SHA256 || ni.NarSize == 0 {
		return nil, fmt.Errorf("nixcache: %s.narinfo: %w: no sha256 NarHash and NarSize", hashPart, store.ErrInvalid)
	}
	if !s.opts.NoRequireSigs && !ni.IsContentAddressed() {
		n, err := ni.Verify(s.opts.TrustedKeys...)
		if err != nil {
			return nil, fmt.Errorf("nixcache: %s: %w", ni.StorePath, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("nixcache: %s: %w: no valid signature by a trusted key", ni.StorePath, ErrUntrusted)
		}
	}
	return ni, nil
}

// ErrUntrusted: a path lacks a valid signature by a trusted key.
var ErrUntrusted = errors.New("untrusted path")

func (s *Service) fetch(ctx context.Context, hashPart string, digest [storepath.DigestSize]byte) (*store.PathInfo, error) {
	ni, err := s.NarInfo(ctx, digest)
	if err != nil {
		return nil, err
	}
	f, err := s.open(ctx, ni.URL)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("nixcache: %s: its NAR %s is missing: %w", ni.StorePath, ni.URL, store.ErrCorrupt)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fh := &fileCheck{r: f}
	if !ni.FileHash.IsZero() {
		fh.h = ni.FileHash.Algorithm().New()
	}
	dec, err := compression.NewReader(ni.Compression, fh)
	if err != nil {
		return nil, fmt.Errorf("nixcache: %s: %w", ni.StorePath, err)
	}
	defer dec.Close()
	sum := [32]byte(ni.NarHash.Digest())
	res, err := store.IngestNAR(ctx, s.cas.Blobs, s.cas.Directories, dec, &store.IngestOptions{Size: ni.NarSize, SHA256: &sum})
	if err != nil {
		return nil, fmt.Errorf("nixcache: %s: %w", ni.StorePath, err)
	}
	if _, err := io.Copy(io.Discard, fh); err != nil {
		return nil, fmt.Errorf("nixcache: %s: %w", ni.StorePath, err)
	}
	if fh.h != nil && string(fh.h.Sum(nil)) != string(ni.FileHash.Digest()) {
		return nil, fmt.Errorf("nixcache: %s: %w: %s does not have the FileHash its narinfo says", ni.StorePath, store.ErrCorrupt, ni.URL)
	}
	if ni.FileSize != 0 && fh.n != ni.FileSize {
		return nil, fmt.Errorf("nixcache: %s: %w: %s is %d bytes, its narinfo says %d", ni.StorePath, store.ErrCorrupt, ni.URL, fh.n, ni.FileSize)
	}
	return store.FromNarInfo(ni, res.Node)
}

// fileCheck hashes and counts the bytes of a NAR file.
type fileCheck struct {
	r io.Reader
	h hash.Hash
	n uint64
}

func (f *fileCheck) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.h != nil {
		f.h.Write(p[:n])
	}
	f.n += uint64(n)
	return n, err
}

// Put is refused: a binary cache source is read-only.
func (s *Service) Put(context.Context, *store.PathInfo) (*store.PathInfo, error) {
	return nil, fmt.Errorf("nixcache: %w: %s is a binary cache source", store.ErrReadOnly, s.base.Redacted())
}

// List is refused: binary caches cannot be listed.
func (s *Service) List(context.Context) iter.Seq2[*store.PathInfo, error] {
	return func(yield func(*store.PathInfo, error) bool) {
		yield(nil, fmt.Errorf("nixcache: %w", store.ErrNotListable))
	}
}
