package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/govix/govix/castore/grpcstore"
)

func newCastoreServeCmd() *cobra.Command {
	var listen string
	var opts grpcstore.ServerOptions
	cmd := &cobra.Command{
		Use:   "serve --listen ADDR",
		Short: "Serve the castore over gRPC (tvix.castore.v1)",
		Long: `Serve the blob and directory services of the store chosen by --store over
gRPC, as Tvix's tvix.castore.v1 BlobService and DirectoryService, until
interrupted (SIGINT or SIGTERM stop it gracefully).

ADDR is unix:///path/to.sock or host:port. Clients use the store URL
grpc+unix:///path/to.sock or grpc+http://host:port, which the server prints
when it is ready.

The server validates everything clients send: every Directory, complete
closures with the right sizes, and, unless --check-blobs=false, that every
file a Directory names is stored with the size it claims (clients upload
blobs before the directories that name them).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if listen == "" {
				return fmt.Errorf("castore serve: --listen is required (unix:///path or host:port)")
			}
			s, err := openCastore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(s, &err)
			gs := grpcstore.NewServer(s, &opts).NewGRPCServer()
			return serveGRPC(cmd.Context(), cmd.ErrOrStderr(), "castore serve", "--store", listen, gs)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on: unix:///path/to.sock or host:port")
	cmd.Flags().BoolVar(&opts.CheckBlobs, "check-blobs", true, "refuse directories naming blobs that are not stored with the claimed size")
	cmd.Flags().Int64Var(&opts.MaxBlobSize, "max-blob-size", grpcstore.DefaultMaxBlobSize, "largest blob a client may upload, in bytes")
	return cmd
}
