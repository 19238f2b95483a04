package main

import (
	"github.com/spf13/cobra"

	cbackend "github.com/govix/govix/castore/backend"
	clocal "github.com/govix/govix/castore/local"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
	storelocal "github.com/govix/govix/store/local"
)

// openStore opens the whole store (castore and path infos) the command
// works on: --store, or the embedded default.
func openStore(cmd *cobra.Command) (*store.Store, error) {
	u, err := storeURL(cmd)
	if err != nil {
		return nil, err
	}
	return backend.Open(cmd.Context(), u)
}

// openStoreLocal is openStore that, for the embedded store, also returns
// its castore/local.Store, whose key-value maps other data can use;
// otherwise that is nil.
func openStoreLocal(cmd *cobra.Command) (*store.Store, *clocal.Store, error) {
	u, err := storeURL(cmd)
	if err != nil {
		return nil, nil, err
	}
	dir, ok, err := cbackend.IsLocal(u)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		st, err := backend.Open(cmd.Context(), u)
		return st, nil, err
	}
	ls, err := clocal.Open(cmd.Context(), dir, nil)
	if err != nil {
		return nil, nil, err
	}
	pis, err := storelocal.New(ls)
	if err != nil {
		ls.Close()
		return nil, nil, err
	}
	return store.NewStore(ls.Castore(), pis, nil, ls.Close), ls, nil
}

// closeWholeStore closes s, keeping the first error: the embedded store
// flushes on close, so its error matters.
func closeWholeStore(s *store.Store, err *error) {
	if cerr := s.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
