package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// parseStorePaths parses command-line store paths: absolute paths in
// /nix/store (or below one) or base names.
func parseStorePaths(args []string) ([]storepath.StorePath, error) {
	out := make([]storepath.StorePath, 0, len(args))
	for _, a := range args {
		var p storepath.StorePath
		var err error
		if len(a) > 0 && a[0] == '/' {
			p, _, err = storepath.DefaultStoreDir.SplitPath(a)
		} else {
			p, err = storepath.ParseBase(a)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func newStorePathInfoCmd() *cobra.Command {
	var asJSON, recursive bool
	cmd := &cobra.Command{
		Use:   "path-info [--json] [-r] PATH...",
		Short: "Show store paths' metadata (like nix path-info)",
		Long: `Print the given store paths, or with --json their metadata as
nix path-info --json does: NAR hash and size, references, content address,
deriver and signatures. With -r the paths' closures are shown.`,
		Args: cobra.MinimumNArgs(1),
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
			var infos []*store.PathInfo
			if recursive {
				infos, err = store.Closure(cmd.Context(), st.PathInfo, paths)
				if err != nil {
					return err
				}
			} else {
				for _, p := range paths {
					info, err := st.PathInfo.Get(cmd.Context(), p.Digest)
					if err != nil || info.StorePath != p {
						return fmt.Errorf("path '%s' is not valid", storepath.DefaultStoreDir.Print(p))
					}
					infos = append(infos, info)
				}
				slices.SortFunc(infos, func(a, b *store.PathInfo) int { return a.StorePath.Compare(b.StorePath) })
				infos = slices.CompactFunc(infos, func(a, b *store.PathInfo) bool { return a.StorePath == b.StorePath })
			}
			out := cmd.OutOrStdout()
			if !asJSON {
				for _, i := range infos {
					fmt.Fprintln(out, storepath.DefaultStoreDir.Print(i.StorePath))
				}
				return nil
			}
			b, err := pathInfoJSON(infos)
			if err != nil {
				return err
			}
			// Nix 2.8 ends the JSON without a newline.
			_, err = out.Write(b)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON as nix path-info --json")
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "show the closure of the paths")
	return cmd
}

// pathInfoJSON renders infos as Nix 2.8's nix path-info --json: keys in
// its order, the NAR hash in SRI form, full paths.
func pathInfoJSON(infos []*store.PathInfo) ([]byte, error) {
	var b bytes.Buffer
	str := func(s string) {
		j, _ := json.Marshal(s)
		b.Write(j)
	}
	b.WriteByte('[')
	for n, i := range infos {
		if n > 0 {
			b.WriteByte(',')
		}
		dir := storepath.DefaultStoreDir
		b.WriteString(`{"path":`)
		str(dir.Print(i.StorePath))
		b.WriteString(`,"narHash":`)
		str(i.NarHash().Format(nixhash.SRI, true))
		fmt.Fprintf(&b, `,"narSize":%d,"references":[`, i.NarSize)
		for k, r := range i.References {
			if k > 0 {
				b.WriteByte(',')
			}
			str(dir.Print(r))
		}
		b.WriteByte(']')
		if !i.CA.Hash.IsZero() {
			b.WriteString(`,"ca":`)
			str(i.CA.String())
		}
		if !i.Deriver.IsZero() {
			b.WriteString(`,"deriver":`)
			str(dir.Print(i.Deriver))
		}
		if len(i.Signatures) > 0 {
			b.WriteString(`,"signatures":[`)
			for k, s := range i.Signatures {
				if k > 0 {
					b.WriteByte(',')
				}
				str(s)
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}
