package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/nixcompat/nixhash"
)

func newHashPathCmd() *cobra.Command {
	var flags hashOutputFlags
	cmd := &cobra.Command{
		Use:   "path [--type ALGO] [--base16|--base32|--base64|--sri] PATH...",
		Short: "Print the hash of the NAR serialisation of paths (like nix hash path, nix-hash)",
		Long: `Print the hash of the NAR serialisation of each PATH, as nix-hash and
nix hash path do: sha256 in SRI form by default. Files are read in parallel
while the archive is hashed in order.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			algo, err := flags.algorithm()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, p := range args {
				h, err := hashPath(cmd, algo, p)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, flags.format(h))
			}
			return nil
		},
	}
	flags.register(cmd)
	return cmd
}

// hashPath returns the hash of the archive of the tree at p.
func hashPath(cmd *cobra.Command, algo nixhash.Algorithm, p string) (nixhash.Hash, error) {
	h := algo.New()
	if err := nar.DumpPath(cmd.Context(), h, p); err != nil {
		return nixhash.Hash{}, err
	}
	return nixhash.New(algo, h.Sum(nil))
}
