package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/storepath"
)

// newDerivationCmd is the `govix derivation` group.
func newDerivationCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "derivation",
		Short: "Work with store derivations (.drv files)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newDerivationShowCmd())
	return cmd
}

func newDerivationShowCmd() *cobra.Command {
	var storeDir string
	var recursive bool
	cmd := &cobra.Command{
		Use:   "show [--recursive] [--store-dir DIR] DRV...",
		Short: "Print store derivations as JSON (like nix show-derivation)",
		Long: `Print store derivations as the JSON of Nix 2.8's nix show-derivation, byte
for byte: an object keyed by derivation path, in sorted order.

Each DRV is a .drv file named like a store derivation (<hash>-<name>.drv); it
is read from where it is, so derivations in a chroot store such as
$TMP/s/nix/store work, and is shown under its path in the store directory
(--store-dir, /nix/store by default). A store derivation that is not on disk
is read from the store (--store, default the embedded one), where govix
instantiate writes them. With --recursive the input derivations are read
from the same directory and shown too.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := storepath.StoreDir(storeDir)
			if err := dir.Validate(); err != nil {
				return err
			}
			sr := newStoreDrvReader(cmd, dir) // derivation_store.go
			defer sr.close()
			drvs, err := readDerivations(cmd.Context(), dir, args, recursive, sr.read)
			if err != nil {
				return err
			}
			return derivation.WriteShowJSON(cmd.OutOrStdout(), dir, drvs)
		},
	}
	cmd.Flags().StringVar(&storeDir, "store-dir", string(storepath.DefaultStoreDir), "store directory the derivations belong to")
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "include the input derivations, recursively")
	return cmd
}

// readDerivations reads the named .drv files, and with recursive their
// input derivations from the same directories, keyed by store path in dir.
func readDerivations(ctx context.Context, dir storepath.StoreDir, files []string, recursive bool, readFile func(ctx context.Context, name string) ([]byte, error)) (map[string]*derivation.Derivation, error) {
	drvs := map[string]*derivation.Derivation{}
	type item struct{ file, drvPath string }
	var queue []item
	for _, f := range files {
		base := filepath.Base(f)
		sp, err := storepath.ParseBase(base)
		if err != nil {
			return nil, fmt.Errorf("'%s' is not named like a store path: %w", f, err)
		}
		if !sp.IsDerivation() {
			return nil, fmt.Errorf("'%s' is not a store derivation", f)
		}
		queue = append(queue, item{f, dir.Print(sp)})
	}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it := queue[0]
		queue = queue[1:]
		if _, done := drvs[it.drvPath]; done {
			continue
		}
		data, err := readFile(ctx, it.file)
		if err != nil {
			return nil, err
		}
		d, err := derivation.ParseIn(dir, data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", it.file, err)
		}
		drvs[it.drvPath] = d
		if recursive {
			for in := range d.InputDrvs {
				queue = append(queue, item{filepath.Join(filepath.Dir(it.file), filepath.Base(in)), in})
			}
		}
	}
	return drvs, nil
}
