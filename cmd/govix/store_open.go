package main

import (
	"github.com/spf13/cobra"

	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
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

// closeWholeStore closes s, keeping the first error: the embedded store
// flushes on close, so its error matters.
func closeWholeStore(s *store.Store, err *error) {
	if cerr := s.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
