package eval

import (
	"context"
	"errors"

	"github.com/govix/govix/eval/syntax"
)

// Store is what the evaluator needs from a Nix store. The evaluator itself
// knows nothing of stores; the glue package implements this interface
// (and adds the store-aware builtins — derivationStrict, toFile, path,
// storePath, fetchers — through Options.Builtins). Without a Store,
// operations that need one fail with an error saying so.
type Store interface {
	// CopyPathToStore adds the file or directory at path (read through the
	// evaluator's IO) to the store as Nix does when a path is used in a
	// string ("${./foo}"), and returns its store path. In read-only
	// evaluation it may only compute the path.
	CopyPathToStore(ctx context.Context, path string) (storePath string, err error)
}

// ContextRealiser is implemented by stores that make the store paths a
// string's context names available before a path built from that string
// is read (import, readFile, readDir, ...), as Nix's realiseContext does:
// outputs of derivations must be built then (import from derivation). An
// error stops the evaluation. Stores without it are not asked.
type ContextRealiser interface {
	RealiseContext(ctx context.Context, elems []string) error
}

// realiseContext asks the store to realise the context of a path about
// to be read.
func (ev *Evaluator) realiseContext(pos syntax.Pos, c *Context) {
	if c == nil {
		return
	}
	r, ok := ev.store.(ContextRealiser)
	if !ok {
		return
	}
	if err := r.RealiseContext(ev.ctx, c.Elems()); err != nil {
		ev.raise(EvalError, pos, "%v", err)
	}
}

// errNoStore is the reason operations that need a store fail without one.
var errNoStore = errors.New("this evaluation has no store (the operation needs one)")

// ErrNoStore reports that an operation needs a store and the evaluator was
// created without one.
var ErrNoStore = errNoStore
