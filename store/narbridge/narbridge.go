// Package narbridge serves a store to Nix as an HTTP binary cache, the
// protocol of `nix copy --to/--from http://...` and of substituters:
//
//	GET  /nix-cache-info             the cache's parameters
//	GET  /HASH.narinfo (and HEAD)    a store path's narinfo, signed
//	PUT  /HASH.narinfo               publish a path whose NAR was uploaded
//	GET  /HASH.ls (and HEAD)         the NAR's listing (files and offsets)
//	GET  /nar/NAME (and HEAD)        a NAR, with range requests
//	PUT  /nar/NAME                   upload a NAR (.nar, .nar.xz, .nar.zst,
//	                                 .nar.bz2)
//
// NARs are rendered from the castore on demand; the narinfo it serves
// points at nar/<path hash>-<NAR hash>.nar, uncompressed (GET of the same
// name with .xz or .zst added compresses on the fly). A whole NAR is
// written with store.Store.ServeNAR: from the embedded store, its files'
// bytes are copied out of the packs without being hashed again (the store
// hashed them when it wrote them, and Nix checks the NAR's hash on
// arrival); range requests read through the verifying blob readers.
//
// Uploads follow Nix's order: the NAR first (PUT nar/<file hash>.nar[.ext]),
// then the narinfo naming it. A NAR is streamed into the castore while its
// file hash, NAR hash and NAR size are computed; once it has arrived whole
// and checks out it is remembered under its name, and a narinfo PUT that
// names it (with the same NAR hash and size) turns it into a store path.
// Nothing is visible before that, so a half-sent NAR never appears.
//
// Uploaded names stay servable (compressed on the fly as their extension
// says) because the uploading Nix caches the narinfo it sent and fetches
// that URL later. They are remembered in memory (MaxUploads of them) and,
// when Options.Uploads is set (govix nar-bridge uses the embedded store's
// key-value map), on disk, so a restarted bridge still serves them.
//
// # Who may write
//
// Reads are open. Writes (PUT) are open too unless Options.ReadOnly
// refuses them all or Options.UploadCredentials lists who may write:
// a bearer token or a user and password (HTTP basic auth, which Nix sends
// for uploads from the netrc-file it is configured with). Anything
// uploaded is verified (its hashes, sizes and narinfo must agree), but an
// open bridge lets anyone who can reach it add store paths and signatures
// (narinfo it serves is signed with the bridge's own key): listen on
// loopback, or set credentials, or put it behind a proxy that
// authenticates.
package narbridge

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/internal/lru"
)

// Options configure a Server. The zero value serves read-write, unsigned,
// at priority 40.
type Options struct {
	// SigningKeys sign every narinfo served (replacing older signatures
	// by the same key names).
	SigningKeys []narinfo.SecretKey
	// Priority is advertised in nix-cache-info (lower is preferred).
	Priority int
	// ReadOnly refuses uploads.
	ReadOnly bool
	// MaxUploads bounds the uploaded NAR names remembered (default
	// 100000); the least recently used are forgotten first.
	MaxUploads int
	// Uploads, if set, keeps uploaded NAR names beyond a restart.
	Uploads UploadIndex
	// UploadCredentials, if set, are the credentials a write must
	// present (any one of them).
	UploadCredentials []Credentials
	// Logger receives a line per failed request (default slog.Default()).
	Logger *slog.Logger
}

// Server is an http.Handler serving a store as a binary cache.
type Server struct {
	st      *store.Store
	opts    Options
	dir     storepath.StoreDir
	log     *slog.Logger
	pending *lru.Cache[string, upload]

	// uploading serialises uploads of the same NAR name, so that two
	// clients sending the same NAR do not both ingest it.
	mu        sync.Mutex
	uploading map[string]*sync.Mutex
}

// upload is a NAR that arrived whole and verified.
type upload struct {
	res      *store.IngestResult
	fileHash [32]byte
	fileSize uint64
	at       time.Time
}

// New returns a server for st.
func New(st *store.Store, opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Priority == 0 {
		o.Priority = 40
	}
	if o.MaxUploads <= 0 {
		o.MaxUploads = 100000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Server{
		st:        st,
		opts:      o,
		dir:       storepath.DefaultStoreDir,
		log:       o.Logger,
		pending:   lru.New[string, upload](o.MaxUploads),
		uploading: map[string]*sync.Mutex{},
	}
}

// ServeHTTP dispatches by path and method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		t0 := time.Now()
		defer func() {
			s.log.Debug("nar-bridge", "method", r.Method, "path", r.URL.Path, "took", time.Since(t0))
		}()
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	switch {
	case p == "nix-cache-info":
		s.onlyGet(w, r, s.cacheInfo)
	case strings.HasPrefix(p, "nar/") && !strings.Contains(p[4:], "/"):
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.getNAR(w, r, p[4:])
		case http.MethodPut:
			s.putNAR(w, r, p[4:])
		default:
			methodNotAllowed(w, "GET, HEAD, PUT")
		}
	case strings.HasSuffix(p, ".narinfo") && !strings.Contains(p, "/"):
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.getNarInfo(w, r, strings.TrimSuffix(p, ".narinfo"))
		case http.MethodPut:
			s.putNarInfo(w, r, strings.TrimSuffix(p, ".narinfo"))
		default:
			methodNotAllowed(w, "GET, HEAD, PUT")
		}
	case strings.HasSuffix(p, ".ls") && !strings.Contains(p, "/"):
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.getListing(w, r, strings.TrimSuffix(p, ".ls"))
		case http.MethodPut:
			// Nix uploads listings when asked to (write-nar-listing);
			// they are computed from the castore instead.
			s.discard(w, r)
		default:
			methodNotAllowed(w, "GET, HEAD, PUT")
		}
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) onlyGet(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	if r.Method == http.MethodPut && !s.opts.ReadOnly {
		// Nix writes nix-cache-info to a cache that lacks one; ours is
		// computed.
		s.discard(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	h(w, r)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

func (s *Server) discard(w http.ResponseWriter, r *http.Request) {
	if s.refuseWrite(w, r) {
		return
	}
	r.Body.Close()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) cacheInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/x-nix-cache-info")
	fmt.Fprintf(w, "StoreDir: %s\nWantMassQuery: 1\nPriority: %d\n", s.dir, s.opts.Priority)
}

// fail answers with status and a one-line message, logging it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status >= 500 || status == http.StatusBadRequest {
		s.log.Warn("nar-bridge", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	http.Error(w, err.Error(), status)
}
