package glue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Options configure a Glue.
type Options struct {
	// Store is where paths are written and read. Nil with OpenStore nil
	// means no store: paths are computed and kept in memory only.
	Store *store.Store
	// OpenStore, when Store is nil, opens the store the first time one is
	// needed (a fetch, a read of a path not created in this evaluation,
	// Flush), so that evaluations that need none never open it.
	OpenStore func(ctx context.Context) (*store.Store, error)
	// ReadOnly computes paths without writing them, as Nix's read-only
	// mode (nix-instantiate --eval) does; Flush then writes nothing.
	// Fetchers still store what they download: that is their cache.
	ReadOnly bool
	// StoreDir is the store directory paths are computed for; default
	// the evaluator's (eval.Options.StoreDir), else /nix/store.
	StoreDir storepath.StoreDir
	// HTTPClient is used by the fetchers; default http.DefaultClient.
	HTTPClient *http.Client
	// CacheDir holds the fetchers' metadata cache (URL to store path);
	// default none (every fetch downloads again unless its hash is known
	// and its path stored).
	CacheDir string
	// TempDir is where fetchers unpack; default os.TempDir().
	TempDir string
	// Stderr receives warnings; default os.Stderr.
	Stderr io.Writer
	// Realise, if set, builds derivation outputs that an evaluation reads
	// (import from derivation): it makes the named outputs of the store
	// derivation drvPath valid in st, building them if needed. The
	// derivations and sources of this evaluation are written to st first.
	// Without it, reading an unbuilt output is an error.
	Realise func(ctx context.Context, st *store.Store, drvPath string, outputs []string) error
}

// Glue connects one evaluator to a store. It is used from the
// evaluator's goroutine (evaluation is single-threaded); Flush and Close
// are called after evaluation.
type Glue struct {
	opts   Options
	dir    storepath.StoreDir
	io     eval.IO // the evaluator's IO below the store view
	stderr io.Writer

	// features are the evaluator's experimental features.
	features map[string]bool
	pure     bool

	hasher *derivation.Hasher
	aterm  []byte // scratch space for the ATerm of a derivation
	// paths are the store paths created in this evaluation, by printed
	// path; pending are those not yet written, in creation order (every
	// path's references come before it).
	paths   map[string]*pathEntry
	pending []*pathEntry

	storeOnce sync.Once
	st        *store.Store
	stErr     error
	ownStore  bool

	// fetched remembers fetches (see cachedFetch); gitTmp holds mirrors of
	// remote git repositories when there is no CacheDir.
	fetched map[string]fetchRecord
	gitTmp  string

	// storeView caches what the store says of store paths read through
	// the IO.
	view *storeView
}

// New returns a Glue with the given options.
func New(opts Options) *Glue {
	g := &Glue{
		opts:     opts,
		dir:      opts.StoreDir,
		stderr:   opts.Stderr,
		paths:    map[string]*pathEntry{},
		features: map[string]bool{},
		fetched:  map[string]fetchRecord{},
	}
	if g.stderr == nil {
		g.stderr = os.Stderr
	}
	g.st = opts.Store
	return g
}

// Configure plugs the glue into evaluator options: the store hook, the
// store-aware builtins, the internal files and an IO that serves the
// store paths of this evaluation. Call it once, before eval.New.
func (g *Glue) Configure(o *eval.Options) {
	if g.dir == "" {
		g.dir = storepath.StoreDir(o.StoreDir)
	}
	if g.dir == "" {
		g.dir = storepath.DefaultStoreDir
	}
	o.StoreDir = string(g.dir)
	g.io = o.IO
	if g.io == nil {
		g.io = eval.OSIO()
	}
	g.view = newStoreView(g)
	o.IO = &storeIO{g: g, base: g.io}
	o.Store = storeHook{g}
	for _, f := range o.ExperimentalFeatures {
		g.features[f] = true
	}
	g.pure = o.PureEval
	o.Builtins = append(o.Builtins, g.builtins()...)
	if o.InternalFiles == nil {
		o.InternalFiles = map[string][]byte{}
	}
	for name, src := range internalFiles {
		if _, ok := o.InternalFiles[name]; !ok {
			o.InternalFiles[name] = src
		}
	}
	g.hasher = derivation.NewHasher(g.dir, g.loadDerivation)
}

// storeHook is the eval.Store the evaluator calls to copy paths used in
// strings.
type storeHook struct{ g *Glue }

func (h storeHook) CopyPathToStore(ctx context.Context, path string) (string, error) {
	return h.g.copyPathToStore(ctx, path)
}

// RealiseContext implements eval.ContextRealiser.
func (h storeHook) RealiseContext(ctx context.Context, elems []string) error {
	return h.g.realiseContext(ctx, elems)
}

// store returns the store, opening it on first use.
func (g *Glue) store(ctx context.Context) (*store.Store, error) {
	if g.st != nil {
		return g.st, nil
	}
	g.storeOnce.Do(func() {
		if g.opts.OpenStore == nil {
			g.stErr = errNoStore
			return
		}
		g.st, g.stErr = g.opts.OpenStore(ctx)
		g.ownStore = g.stErr == nil
	})
	if g.stErr != nil {
		return nil, g.stErr
	}
	return g.st, nil
}

// hasStore reports whether a store is or can be opened.
func (g *Glue) hasStore() bool { return g.st != nil || g.opts.OpenStore != nil }

var errNoStore = errors.New("this evaluation has no store")

// Close closes the store if the glue opened it. It does not flush.
func (g *Glue) Close() error {
	if g.gitTmp != "" {
		os.RemoveAll(g.gitTmp)
		g.gitTmp = ""
	}
	if g.ownStore && g.st != nil {
		err := g.st.Close()
		g.st = nil
		return err
	}
	return nil
}

// StoreDir is the store directory paths are computed for.
func (g *Glue) StoreDir() storepath.StoreDir { return g.dir }

func (g *Glue) warnf(format string, args ...any) {
	fmt.Fprintf(g.stderr, "warning: "+format+"\n", args...)
}
