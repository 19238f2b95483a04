package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// storeAdd really adds src to the store and prints its path, as
// nix-store --add (or --add-fixed) does.
func storeAdd(cmd *cobra.Command, src, name, fixed string, recursive bool) (err error) {
	opts := &store.AddOptions{Name: name, Algorithm: nixhash.SHA256}
	if fixed != "" {
		if opts.Algorithm, err = nixhash.ParseAlgorithm(fixed); err != nil {
			return err
		}
		opts.Flat = !recursive
	}
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer closeWholeStore(st, &err)
	info, err := store.AddPath(cmd.Context(), st, src, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), storepath.DefaultStoreDir.Print(info.StorePath))
	return nil
}
