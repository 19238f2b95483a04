package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/govix/govix/build/graph"
	"github.com/govix/govix/nixcompat/storepath"
)

func newLogCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "log DRV|OUTPUT",
		Short: "Print the build log of a derivation",
		Long: `Print the log govix build kept for a store derivation, or for the
derivation that built a store path (its deriver), like nix-store -l. The
log is written as the build runs, so this also shows a build in progress.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			dir := storepath.DefaultStoreDir
			if sd := os.Getenv("NIX_STORE_DIR"); sd != "" {
				dir = storepath.StoreDir(sd)
			}
			p, err := dir.ParseCanonical(strings.TrimSuffix(args[0], "/"))
			if err != nil {
				return err
			}
			drv := p
			if !p.IsDerivation() {
				st, err := openStore(cmd)
				if err != nil {
					return err
				}
				defer closeWholeStore(st, &err)
				info, err := st.PathInfo.Get(cmd.Context(), p.Digest)
				if err != nil || info.StorePath != p || info.Deriver.IsZero() {
					return fmt.Errorf("build log of '%s' is not available", args[0])
				}
				drv = info.Deriver
			}
			home, err := govixHome()
			if err != nil {
				return err
			}
			f, err := graph.NewLogs(filepath.Join(home, "log")).Open(drv)
			if errors.Is(err, graph.ErrNoLog) {
				return fmt.Errorf("build log of derivation '%s' is not available", dir.Print(drv))
			}
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(cmd.OutOrStdout(), f)
			return err
		},
	}
}
