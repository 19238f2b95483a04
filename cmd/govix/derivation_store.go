package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// storeDrvReader reads .drv files for `govix derivation show`: from disk,
// and store derivations that are not on disk from the store the command
// works on (opened on first need), where `govix instantiate` writes them.
type storeDrvReader struct {
	cmd *cobra.Command
	dir storepath.StoreDir
	st  *store.Store
}

func newStoreDrvReader(cmd *cobra.Command, dir storepath.StoreDir) *storeDrvReader {
	return &storeDrvReader{cmd: cmd, dir: dir}
}

func (r *storeDrvReader) read(ctx context.Context, name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return data, err
	}
	sp, perr := r.dir.ParseCanonical(name)
	if perr != nil {
		return nil, err
	}
	if r.st == nil {
		st, oerr := openStore(r.cmd)
		if oerr != nil {
			return nil, fmt.Errorf("%w (and opening the store: %w)", err, oerr)
		}
		r.st = st
	}
	info, gerr := r.st.PathInfo.Get(ctx, sp.Digest)
	if gerr != nil || info.StorePath != sp || info.Node.Kind != castore.KindFile {
		return nil, err
	}
	f, oerr := r.st.Blobs.Open(ctx, info.Node.Digest)
	if oerr != nil {
		return nil, fmt.Errorf("reading %s from the store: %w", name, oerr)
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (r *storeDrvReader) close() {
	if r.st != nil {
		r.st.Close()
	}
}
