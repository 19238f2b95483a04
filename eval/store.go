package eval

import (
	"context"
	"errors"
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

// errNoStore is the reason operations that need a store fail without one.
var errNoStore = errors.New("this evaluation has no store (the operation needs one)")

// ErrNoStore reports that an operation needs a store and the evaluator was
// created without one.
var ErrNoStore = errNoStore
