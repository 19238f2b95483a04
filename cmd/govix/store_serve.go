package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/govix/govix/castore/fuse"
	cgrpc "github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/store/grpcstore"
	"github.com/govix/govix/store/storefs"
)

func newStoreDaemonCmd() *cobra.Command {
	var listen string
	var opts cgrpc.ServerOptions
	cmd := &cobra.Command{
		Use:   "daemon --listen ADDR",
		Short: "Serve the store (castore and path infos) over gRPC",
		Long: `Serve the store chosen by --store over gRPC as Tvix's tvix.castore.v1
BlobService and DirectoryService and tvix.store.v1 PathInfoService, in one
process, until interrupted (SIGINT or SIGTERM stop it gracefully).

ADDR is unix:///path/to.sock or host:port. Other govix commands use the
daemon with --store grpc+unix:///path/to.sock or grpc+http://host:port,
which it prints when ready. It validates everything clients send; a
PathInfo is refused unless its contents are stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if listen == "" {
				return fmt.Errorf("store daemon: --listen is required (unix:///path or host:port)")
			}
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer closeWholeStore(st, &err)
			gs := cgrpc.NewServer(st.Castore(), &opts).NewGRPCServer()
			grpcstore.NewServer(st).Register(gs)
			return serveGRPC(cmd.Context(), cmd.ErrOrStderr(), "store daemon", "--store", listen, gs)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on: unix:///path/to.sock or host:port")
	cmd.Flags().BoolVar(&opts.CheckBlobs, "check-blobs", true, "refuse directories naming blobs that are not stored with the claimed size")
	return cmd
}

func newStoreMountCmd() *cobra.Command {
	var allowOther bool
	cmd := &cobra.Command{
		Use:   "mount MOUNTPOINT",
		Short: "Mount the store read-only as a /nix/store directory (FUSE)",
		Long: `Mount the whole store at MOUNTPOINT as a read-only FUSE file system laid
out like /nix/store: each store path is an entry, looked up in the store
when first used (so paths added later appear too), its contents read from
the castore on demand. Listing the mount point lists every path (stores
that cannot list, like binary caches, refuse it). Unmounts on SIGINT or
SIGTERM, or with fusermount3 -u.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer closeWholeStore(st, &err)
			opts := storefsOptions(allowOther)
			srv, err := storefs.Mount(cmd.Context(), args[0], st, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "store mount: mounted at %s\n", args[0])
			srv.Wait()
			return nil
		},
	}
	cmd.Flags().BoolVar(&allowOther, "allow-other", os.Geteuid() == 0, "let other users read the mount")
	return cmd
}

func storefsOptions(allowOther bool) *fuse.Options {
	return &fuse.Options{Name: "govix-store", AllowOther: allowOther}
}
