package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// newStoreCmd is the `govix store` group.
func newStoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Work with the store",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newStoreAddCmd())
	cmd.AddCommand(newStorePathInfoCmd())
	cmd.AddCommand(newStoreImportCmd(), newStoreExportCmd(), newStoreCopyCmd(), newStoreVerifyCmd())
	cmd.AddCommand(newStoreDaemonCmd(), newStoreMountCmd())
	return cmd
}

func newStoreAddCmd() *cobra.Command {
	var dryRun, recursive bool
	var fixed, name string
	cmd := &cobra.Command{
		Use:   "add [--dry-run] [--fixed ALGO [--recursive]] [-n NAME] PATH",
		Short: "Add a path to the store and print its store path (like nix-store --add)",
		Long: `Print the store path that nix-store --add PATH gives (the NAR of PATH hashed
with sha256, a "source" path), or with --fixed ALGO what
nix-store --add-fixed [--recursive] ALGO PATH gives (the flat hash of a
regular file's contents, or with --recursive the hash of its NAR). The name
is PATH's base name unless -n says otherwise.

The path is added to the store (its contents to the castore, its
PathInfo with the content address nix-store records); with --dry-run it is
only computed, without a store.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if recursive && fixed == "" {
				return errors.New("store add: --recursive only goes with --fixed ALGO (plain add always hashes the NAR)")
			}
			if !dryRun {
				return storeAdd(cmd, args[0], name, fixed, recursive)
			}
			p, err := storeAddPath(cmd, args[0], name, fixed, recursive)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), storepath.DefaultStoreDir.Print(p))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&dryRun, "dry-run", false, "only print the store path, without a store")
	fl.StringVar(&fixed, "fixed", "", "add as a fixed-output path hashed with ALGO (md5, sha1, sha256, sha512), like nix-store --add-fixed")
	fl.BoolVar(&recursive, "recursive", false, "with --fixed: hash the NAR serialisation instead of a file's contents")
	fl.StringVarP(&name, "name", "n", "", "store path name (default: the base name of PATH)")
	return cmd
}

// storeAddPath computes the store path of src as nix-store --add or
// --add-fixed would add it.
func storeAddPath(cmd *cobra.Command, src, name, fixed string, recursive bool) (storepath.StorePath, error) {
	if name == "" {
		abs, err := filepath.Abs(src)
		if err != nil {
			return storepath.StorePath{}, err
		}
		name = filepath.Base(abs)
	}
	if err := storepath.ValidateName(name); err != nil {
		return storepath.StorePath{}, fmt.Errorf("cannot add %s: %w", src, err)
	}
	algo, method := nixhash.SHA256, storepath.Recursive
	if fixed != "" {
		var err error
		if algo, err = nixhash.ParseAlgorithm(fixed); err != nil {
			return storepath.StorePath{}, err
		}
		if !recursive {
			method = storepath.Flat
		}
	}
	var h nixhash.Hash
	var err error
	if method == storepath.Recursive {
		h, err = hashPath(cmd, algo, src)
	} else {
		if fi, serr := os.Stat(src); serr == nil && !fi.Mode().IsRegular() {
			return storepath.StorePath{}, fmt.Errorf("cannot add %s as a flat file: not a regular file (use --recursive)", src)
		}
		h, err = hashFile(algo, src)
	}
	if err != nil {
		return storepath.StorePath{}, err
	}
	return storepath.DefaultStoreDir.MakeFixedOutputPath(method, h, name, nil, false)
}
