package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/nixhash"
)

// newHashCmd is the `govix hash` group: like `nix hash` and nix-hash.
func newHashCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hash",
		Short: "Compute and convert cryptographic hashes (like nix hash and nix-hash)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newHashPathCmd(), // hash_path.go
		newHashFileCmd(),
		newHashConvertCmd(),
		newHashToCmd("to-base16", nixhash.Base16),
		newHashToCmd("to-base32", nixhash.Nix32),
		newHashToCmd("to-base64", nixhash.Base64),
		newHashToCmd("to-sri", nixhash.SRI),
	)
	return cmd
}

// hashOutputFlags are the algorithm and output-format flags shared by the
// commands that compute hashes (hash file, hash path): --type ALGO and one
// of --base16, --base32 (nix32), --base64 or --sri, with sha256 and SRI by
// default as in `nix hash path`.
type hashOutputFlags struct {
	algo                        string
	base16, base32, base64, sri bool
}

func (f *hashOutputFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.algo, "type", "sha256", "hash algorithm: md5, sha1, sha256 or sha512")
	fs.StringVar(&f.algo, "hash-algo", "sha256", "same as --type")
	fs.BoolVar(&f.base16, "base16", false, "print the hash in base 16")
	fs.BoolVar(&f.base32, "base32", false, "print the hash in Nix's base 32")
	fs.BoolVar(&f.base64, "base64", false, "print the hash in base 64")
	fs.BoolVar(&f.sri, "sri", false, "print the hash in SRI form, ALGO-BASE64 (the default)")
	cmd.MarkFlagsMutuallyExclusive("base16", "base32", "base64", "sri")
	cmd.MarkFlagsMutuallyExclusive("type", "hash-algo")
}

// algorithm returns the chosen algorithm.
func (f *hashOutputFlags) algorithm() (nixhash.Algorithm, error) {
	return nixhash.ParseAlgorithm(f.algo)
}

// format prints h as chosen: with the algorithm only in SRI form, as Nix's
// `nix hash file/path` and nix-hash do.
func (f *hashOutputFlags) format(h nixhash.Hash) string {
	switch {
	case f.base16:
		return h.Base16()
	case f.base32:
		return h.Nix32()
	case f.base64:
		return h.Base64()
	}
	return h.SRI()
}

func newHashFileCmd() *cobra.Command {
	var flags hashOutputFlags
	cmd := &cobra.Command{
		Use:   "file [--type ALGO] [--base16|--base32|--base64|--sri] FILE...",
		Short: "Print the hash of the contents of regular files (like nix hash file, nix-hash --flat)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			algo, err := flags.algorithm()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, name := range args {
				h, err := hashFile(algo, name)
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

// hashFile streams a file through the hash.
func hashFile(algo nixhash.Algorithm, name string) (nixhash.Hash, error) {
	f, err := os.Open(name)
	if err != nil {
		return nixhash.Hash{}, err
	}
	defer f.Close()
	h, _, err := nixhash.SumReader(algo, f)
	if err != nil {
		return nixhash.Hash{}, fmt.Errorf("reading %s: %w", name, err)
	}
	return h, nil
}

func newHashConvertCmd() *cobra.Command {
	var to, algo string
	cmd := &cobra.Command{
		Use:   "convert [--to base16|nix32|base32|base64|sri] [--hash-algo ALGO] HASH...",
		Short: "Convert hashes between encodings (like nix hash convert)",
		Long: `Convert hashes between encodings. A HASH may be in base 16, Nix's base 32,
base 64, with an "ALGO:" prefix, or in SRI form (ALGO-BASE64); --hash-algo
names the algorithm of hashes that do not say it themselves. The output has
no algorithm prefix except in SRI form (the default).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := nixhash.ParseEncoding(to)
			if err != nil {
				return err
			}
			return convertHashes(cmd, args, algo, enc)
		},
	}
	cmd.Flags().StringVar(&to, "to", "sri", "output encoding: base16, nix32 (or base32), base64 or sri")
	cmd.Flags().StringVar(&algo, "hash-algo", "", "algorithm of hashes without a prefix: md5, sha1, sha256 or sha512")
	cmd.Flags().StringVar(&algo, "type", "", "same as --hash-algo")
	cmd.MarkFlagsMutuallyExclusive("type", "hash-algo")
	return cmd
}

// newHashToCmd makes the Nix 2.8 forms `nix hash to-base16` and so on.
func newHashToCmd(name string, enc nixhash.Encoding) *cobra.Command {
	var algo string
	cmd := &cobra.Command{
		Use:   name + " [--type ALGO] HASH...",
		Short: fmt.Sprintf("Convert hashes to %s (like nix hash %s)", enc, name),
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return convertHashes(cmd, args, algo, enc)
		},
	}
	cmd.Flags().StringVar(&algo, "type", "", "algorithm of hashes without a prefix: md5, sha1, sha256 or sha512")
	return cmd
}

func convertHashes(cmd *cobra.Command, hashes []string, algoName string, enc nixhash.Encoding) error {
	var algo nixhash.Algorithm
	if algoName != "" {
		var err error
		if algo, err = nixhash.ParseAlgorithm(algoName); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	for _, s := range hashes {
		h, err := nixhash.ParseAny(s, algo)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, h.Format(enc, enc == nixhash.SRI))
	}
	return nil
}
