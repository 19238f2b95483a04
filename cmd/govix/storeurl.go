package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/backend"
	"github.com/govix/govix/castore/local"
)

// govixHome is the directory govix keeps its data in: $GOVIX_HOME, else
// $XDG_DATA_HOME/govix, else ~/.local/share/govix.
func govixHome() (string, error) {
	if h := os.Getenv("GOVIX_HOME"); h != "" {
		return h, nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "govix"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the default store: %w (set GOVIX_HOME or use --store)", err)
	}
	return filepath.Join(home, ".local", "share", "govix"), nil
}

// storeURL returns the store the command works on: the --store flag, or
// the embedded store in govixHome()/store.
func storeURL(cmd *cobra.Command) (string, error) {
	if f := cmd.Flags().Lookup("store"); f != nil && f.Value.String() != "" {
		return f.Value.String(), nil
	}
	return defaultStoreURL()
}

// defaultStoreURL is the embedded store in govixHome()/store.
func defaultStoreURL() (string, error) {
	home, err := govixHome()
	if err != nil {
		return "", err
	}
	return "local://" + filepath.Join(home, "store"), nil
}

// openCastore opens the castore of the command's store.
func openCastore(cmd *cobra.Command) (*castore.Store, error) {
	s, _, err := openCastoreLocal(cmd)
	return s, err
}

// openCastoreLocal is openCastore that, for the embedded store, also
// returns the local.Store, whose database other data (the import stat
// cache, PathInfo) can share; otherwise that is nil.
func openCastoreLocal(cmd *cobra.Command) (*castore.Store, *local.Store, error) {
	u, err := storeURL(cmd)
	if err != nil {
		return nil, nil, err
	}
	if dir, ok, err := backend.IsLocal(u); err != nil {
		return nil, nil, err
	} else if ok {
		ls, err := local.Open(cmd.Context(), dir, nil)
		if err != nil {
			return nil, nil, err
		}
		return ls.Castore(), ls, nil
	}
	s, err := backend.Open(cmd.Context(), u)
	if err != nil {
		return nil, nil, err
	}
	return s, nil, nil
}

// closeStore closes s, keeping the first error: a store flushes on close,
// so its error matters.
func closeStore(s *castore.Store, err *error) {
	if cerr := s.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

// openDefaultLocal opens the embedded store under govixHome(), whatever
// --store says: for data kept beside any store, such as the import stat
// cache.
func openDefaultLocal(cmd *cobra.Command) (*local.Store, error) {
	home, err := govixHome()
	if err != nil {
		return nil, err
	}
	return local.Open(cmd.Context(), filepath.Join(home, "store"), nil)
}
