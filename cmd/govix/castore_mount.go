package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/govix/govix/castore"
	castorefuse "github.com/govix/govix/castore/fuse"
)

func newCastoreMountCmd() *cobra.Command {
	var (
		allowOther bool
		executable bool
		prefetch   int
		debug      bool
	)
	cmd := &cobra.Command{
		Use:   "mount DIGEST MOUNTPOINT",
		Short: "Mount the directory tree or file with DIGEST read-only through FUSE",
		Long: `Serve the directory or blob named by DIGEST (b3:BASE64 as import prints it,
or hexadecimal) read-only at MOUNTPOINT through FUSE, until interrupted
(SIGINT or SIGTERM), which unmounts it. A directory is mounted on a
directory; a blob is mounted on a regular file.

Files read as the store's verified blobs: a corrupt one reads as an I/O
error (EIO) and is named on stderr. Identical files and directories share
an inode, with the same inode number every time. If files in the mount are
still in use when interrupted, the mount is detached at once and goes on
serving them until they are closed.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			d, err := castore.ParseDigest(args[0])
			if err != nil {
				return err
			}
			s, err := openCastore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(s, &err)
			root, err := rootNode(cmd.Context(), s, d, executable)
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			if prefetch == 0 {
				prefetch = -1 // Options: 0 means the default
			}
			srv, err := castorefuse.Mount(cmd.Context(), args[1], s.Blobs, s.Directories, castorefuse.NodeRoot(root), &castorefuse.Options{
				AllowOther:  allowOther,
				PrefetchMax: prefetch,
				Logger:      logger,
				Debug:       debug,
			})
			if err != nil {
				return err
			}
			if f := os.Getenv("GOVIX_CPUPROFILE"); f != "" {
				// Profiles the server while mounted.
				stop, err := startCPUProfile(f)
				if err != nil {
					return err
				}
				defer stop()
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "mounted %s on %s; interrupt to unmount\n", d, args[1])
			srv.Wait()
			fmt.Fprintf(cmd.ErrOrStderr(), "unmounted %s\n", args[1])
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&allowOther, "allow-other", false, "let other users access the mount (needs user_allow_other in /etc/fuse.conf unless root)")
	f.BoolVar(&executable, "executable", false, "when DIGEST is a blob, show the file as executable")
	f.IntVar(&prefetch, "prefetch", castorefuse.DefaultPrefetchMax, "when files are read, push files up to this many bytes into the page cache ahead of the reader, and list directories ahead of a reader of the tree (0: off)")
	f.BoolVar(&debug, "debug", false, "log every FUSE request to stderr")
	return cmd
}
