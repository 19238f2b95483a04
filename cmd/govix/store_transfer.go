package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/govix/govix/castore/fsio"
	cgrpc "github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
	"github.com/govix/govix/store/nixlocal"
)

func newStoreImportCmd() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "import [--from NIXSTORE] PATH...",
		Short: "Copy store paths and their closures from the local Nix store",
		Long: `Copy the given store paths, with everything they refer to, from Nix's
store into govix's: metadata (references, NAR hash, deriver, content
address, signatures) from nix path-info --json, contents from
nix store dump-path, each NAR checked against the hash Nix recorded.
Paths the store has already are skipped. --from names another Nix store
(Nix's --store, e.g. a chroot store directory).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer closeWholeStore(st, &err)
			var mu sync.Mutex
			n := 0
			infos, err := nixlocal.Import(cmd.Context(), st, args, &nixlocal.Options{
				NixStore: from,
				Progress: func(info *store.PathInfo, skipped bool) {
					mu.Lock()
					defer mu.Unlock()
					if !skipped {
						n++
					}
				},
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "imported %d paths (%d already present)\n", n, len(infos)-n)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "Nix store to import from (default: Nix's own)")
	return cmd
}

func parseKeys(ss []string) ([]narinfo.PublicKey, error) {
	var keys []narinfo.PublicKey
	for _, s := range ss {
		for _, f := range strings.Fields(s) {
			k, err := narinfo.ParsePublicKey(f)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func newStoreCopyCmd() *cobra.Command {
	var from, to string
	var keys []string
	var noCheckSigs, noClosure, stats bool
	cmd := &cobra.Command{
		Use:   "copy [--from URL] [--to URL] PATH...",
		Short: "Copy store paths and their closures between stores",
		Long: `Copy store paths, with their closures, from one store to another: any two
store URLs (the default store when one is left out), including Nix binary
caches as sources (nix+https://..., nix+file:///...).

Only what the destination lacks is sent: paths it has are skipped, and of
the others only the blobs it does not have (each verified by digest on
arrival). A path must carry a valid signature by one of the
--trusted-public-keys unless it is content-addressed or --no-check-sigs is
given. --stats prints what was sent.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if from == "" && to == "" {
				return errors.New("store copy: give --from, --to or both")
			}
			paths, err := parseStorePaths(args)
			if err != nil {
				return err
			}
			def, err := storeURL(cmd)
			if err != nil {
				return err
			}
			if from == "" {
				from = def
			}
			if to == "" {
				to = def
			}
			tk, err := parseKeys(keys)
			if err != nil {
				return err
			}
			dst, err := backend.Open(cmd.Context(), to)
			if err != nil {
				return err
			}
			defer closeWholeStore(dst, &err)
			// A binary cache source ingests straight into the destination.
			src, err := backend.OpenWith(cmd.Context(), from, &backend.Options{IngestInto: dst.Castore()})
			if err != nil {
				return err
			}
			defer closeWholeStore(src, &err)
			var s store.CopyStats
			err = store.CopyPaths(cmd.Context(), src, dst, paths, &store.CopyOptions{
				TrustedKeys: tk, NoCheckSigs: noCheckSigs, NoClosure: noClosure, Stats: &s,
			})
			if err != nil {
				return err
			}
			if stats {
				fmt.Fprintf(cmd.ErrOrStderr(), "paths: %d copied, %d present; blobs: %d sent (%d bytes), %d present (%d bytes); directories: %d sent (%d bytes)\n",
					s.Paths.Load(), s.PathsSkipped.Load(), s.Blobs.Load(), s.BlobBytes.Load(), s.BlobsSkipped.Load(), s.BytesShared.Load(), s.Directories.Load(), s.DirBytes.Load())
				if tc, ok := dst.Blobs.(interface{ Traffic() *cgrpc.Traffic }); ok && tc.Traffic() != nil {
					t := tc.Traffic()
					fmt.Fprintf(cmd.ErrOrStderr(), "wire: %d bytes sent, %d received\n", t.Sent.Load(), t.Received.Load())
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "store URL to copy from (default: the store)")
	fl.StringVar(&to, "to", "", "store URL to copy to (default: the store)")
	fl.StringArrayVar(&keys, "trusted-public-keys", nil, "keys (name:base64) whose signatures are trusted (repeatable, or space-separated)")
	fl.BoolVar(&noCheckSigs, "no-check-sigs", false, "accept paths without a trusted signature")
	fl.BoolVar(&noClosure, "no-closure", false, "copy only the paths given, not their references")
	fl.BoolVar(&stats, "stats", false, "print what was sent")
	return cmd
}

func newStoreVerifyCmd() *cobra.Command {
	var all bool
	var keys []string
	cmd := &cobra.Command{
		Use:   "verify [--all | PATH...] [--trusted-public-keys K]",
		Short: "Check store paths' contents against their NAR hashes",
		Long: `Render each path's NAR from the castore (reading and verifying every blob)
and check its size and sha256 against the PathInfo, like
nix-store --verify --check-contents. With --trusted-public-keys, paths
without a valid signature by one of them (and not content-addressed) are
reported too. Exits 1 if anything is wrong.`,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if all == (len(args) > 0) {
				return errors.New("store verify: give store paths or --all")
			}
			tk, err := parseKeys(keys)
			if err != nil {
				return err
			}
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer closeWholeStore(st, &err)
			var infos []*store.PathInfo
			if all {
				for info, err := range st.PathInfo.List(cmd.Context()) {
					if err != nil {
						return err
					}
					infos = append(infos, info)
				}
			} else {
				paths, err := parseStorePaths(args)
				if err != nil {
					return err
				}
				for _, p := range paths {
					info, err := st.PathInfo.Get(cmd.Context(), p.Digest)
					if err != nil {
						return fmt.Errorf("path '%s' is not valid: %w", storepath.DefaultStoreDir.Print(p), err)
					}
					infos = append(infos, info)
				}
			}
			bad := 0
			stderr := cmd.ErrOrStderr()
			for _, info := range infos {
				p := storepath.DefaultStoreDir.Print(info.StorePath)
				size, sum, err := store.CalculateNAR(cmd.Context(), st.Blobs, st.Directories, info.Node)
				switch {
				case err != nil:
					fmt.Fprintf(stderr, "path '%s' is unreadable: %v\n", p, err)
					bad++
				case size != info.NarSize || sum != info.NarSHA256:
					got, _ := nixhash.New(nixhash.SHA256, sum[:])
					fmt.Fprintf(stderr, "path '%s' was modified! expected hash '%s', got '%s'\n", p, info.NarHash().Format(nixhash.Nix32, true), got.Format(nixhash.Nix32, true))
					bad++
				}
				if len(tk) > 0 {
					if ok, err := store.Trusted(info, tk); err != nil || !ok {
						fmt.Fprintf(stderr, "path '%s' is untrusted\n", p)
						bad++
					}
				}
			}
			if bad > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d of %d paths failed verification", bad, len(infos))}
			}
			fmt.Fprintf(stderr, "%d paths verified\n", len(infos))
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "verify every path in the store")
	cmd.Flags().StringArrayVar(&keys, "trusted-public-keys", nil, "also require a signature by one of these keys")
	return cmd
}

func newStoreExportCmd() *cobra.Command {
	var output, dir string
	cmd := &cobra.Command{
		Use:   "export PATH [-o FILE | --dir DIR]",
		Short: "Write a store path's NAR, or its tree, out of the store",
		Long: `Write the NAR of a store path (byte-identical to nix-store --dump of it)
to standard output or -o FILE, or with --dir write the tree itself to DIR
(which must not exist; it is written under a temporary name and renamed
into place when complete).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			paths, err := parseStorePaths(args)
			if err != nil {
				return err
			}
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer closeWholeStore(st, &err)
			info, err := st.PathInfo.Get(cmd.Context(), paths[0].Digest)
			if err != nil {
				return fmt.Errorf("path '%s' is not valid: %w", storepath.DefaultStoreDir.Print(paths[0]), err)
			}
			if dir != "" {
				return fsio.Export(cmd.Context(), st.Castore(), info.Node, dir, nil)
			}
			r, err := store.NewNARReader(cmd.Context(), st.Blobs, st.Directories, info.Node)
			if err != nil {
				return err
			}
			defer r.Close()
			var w io.Writer = cmd.OutOrStdout()
			if output != "" {
				f, err := os.Create(output)
				if err != nil {
					return err
				}
				defer func() {
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}()
				w = f
			}
			_, err = io.Copy(w, r)
			return err
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the NAR to FILE")
	cmd.Flags().StringVar(&dir, "dir", "", "write the tree to DIR instead of a NAR")
	return cmd
}
