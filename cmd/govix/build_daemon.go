package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/govix/govix/build/grpcbuild"
	cgrpc "github.com/govix/govix/castore/grpcstore"
)

func newBuildDaemonCmd() *cobra.Command {
	var listen, binSh string
	cmd := &cobra.Command{
		Use:   "build-daemon --listen ADDR",
		Short: "Serve the build protocol over gRPC",
		Long: `Run builds for other machines or processes: serve Tvix's
tvix.build.v1.BuildService over gRPC, running each request in a runc
sandbox on this machine, until interrupted (SIGINT or SIGTERM).

The daemon reads a request's inputs from the store chosen by --store, by
their castore digests, and puts the outputs there: clients must use the
same store (a govix store daemon, object storage). govix build --builder
grpc+unix:///path.sock (or grpc+http://host:port) sends its builds here.
ADDR is unix:///path/to.sock or host:port. --bin-sh names the host file
offered as /bin/sh to requests that want one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if listen == "" {
				return fmt.Errorf("build daemon: --listen is required (unix:///path or host:port)")
			}
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer closeWholeStore(st, &err)
			svc, closeSvc, err := localBuilder(cmd.Context(), st, binSh)
			if err != nil {
				return err
			}
			defer closeSvc()
			gs := grpc.NewServer(cgrpc.GRPCServerOptions()...)
			grpcbuild.NewServer(svc).Register(gs)
			return serveGRPC(cmd.Context(), cmd.ErrOrStderr(), "build daemon", "--builder", listen, gs)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on: unix:///path/to.sock or host:port")
	cmd.Flags().StringVar(&binSh, "bin-sh", "", "host file offered as /bin/sh to builds that want one")
	return cmd
}
