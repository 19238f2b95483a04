package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/narinfo"
	storelocal "github.com/govix/govix/store/local"
	"github.com/govix/govix/store/narbridge"
)

func newNarBridgeCmd() *cobra.Command {
	var listen string
	var keyFiles []string
	var priority int
	var readOnly, verbose bool
	var credFile string
	cmd := &cobra.Command{
		Use:   "nar-bridge --listen ADDR [--store URL] [--secret-key-file F]",
		Short: "Serve the store to Nix as an HTTP binary cache",
		Long: `Serve the store as a Nix HTTP binary cache at ADDR (host:port):

  nix copy --to http://ADDR PATH      uploads into the store (NARs are
                                      verified against their narinfo)
  nix copy --from http://ADDR PATH    and substituters = http://ADDR
                                      download from it

NARs are rendered from the store on demand (with range requests);
narinfo files are signed with each --secret-key-file (Nix's format, as
nix-store --generate-binary-cache-key writes it). Stops on SIGINT/SIGTERM.

Uploads are verified but, by default, open to anyone who can reach ADDR:
listen on loopback, or refuse them (--read-only), or name who may upload
with --upload-credentials-file, a file of lines "USER:PASSWORD" (HTTP
basic auth; Nix sends it from its netrc-file) or "Bearer TOKEN".
With the embedded store, the names NARs were uploaded under are kept in
the store, so a restarted bridge still serves them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if listen == "" {
				return errors.New("nar-bridge: --listen ADDR is required")
			}
			var keys []narinfo.SecretKey
			for _, f := range keyFiles {
				b, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				k, err := narinfo.ParseSecretKey(strings.TrimSpace(string(b)))
				if err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				keys = append(keys, k)
			}
			var creds []narbridge.Credentials
			if credFile != "" {
				b, err := os.ReadFile(credFile)
				if err != nil {
					return err
				}
				if creds, err = narbridge.ParseCredentials(string(b)); err != nil {
					return fmt.Errorf("%s: %w", credFile, err)
				}
			}
			st, ls, err := openStoreLocal(cmd)
			if err != nil {
				return err
			}
			defer closeWholeStore(st, &err)
			var uploads narbridge.UploadIndex
			if ls != nil {
				st.Stored = storelocal.StoredBlobs(ls)
				kv, err := ls.KV("narbridge/uploads")
				if err != nil {
					return err
				}
				uploads = kv
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			srv := &http.Server{
				Handler:           narbridge.New(st, &narbridge.Options{SigningKeys: keys, Priority: priority, ReadOnly: readOnly, Logger: logger, Uploads: uploads, UploadCredentials: creds}),
				ReadHeaderTimeout: 30 * time.Second,
			}
			if f := os.Getenv("GOVIX_CPUPROFILE"); f != "" {
				stop, err := startCPUProfile(f)
				if err != nil {
					return err
				}
				defer stop()
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "nar-bridge: serving http://%s\n", ln.Addr())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-cmd.Context().Done():
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				return srv.Shutdown(ctx)
			}
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on, host:port")
	cmd.Flags().StringArrayVar(&keyFiles, "secret-key-file", nil, "sign narinfo with the key in this file (repeatable)")
	cmd.Flags().IntVar(&priority, "priority", 40, "priority advertised in nix-cache-info (lower is preferred)")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "refuse uploads")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log every request with the time it took")
	cmd.Flags().StringVar(&credFile, "upload-credentials-file", "", "accept uploads only with credentials from this file (lines USER:PASSWORD or Bearer TOKEN)")
	return cmd
}
