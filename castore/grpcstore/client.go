package grpcstore

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/govix/govix/castore"
)

// URL schemes of castore gRPC servers.
const (
	SchemeUnix  = "grpc+unix"  // grpc+unix:///path/to.sock
	SchemeHTTP  = "grpc+http"  // grpc+http://host:port, plain text
	SchemeHTTPS = "grpc+https" // grpc+https://host:port, TLS with the system's roots
)

// Open connects to the castore gRPC server named by a store URL (see the
// Scheme constants) and returns a store whose services talk to it. Closing
// the store closes the connection. The connection is made lazily, on the
// first call, so ctx is not used.
func Open(_ context.Context, u *url.URL) (*castore.Store, error) {
	t := new(Traffic)
	cc, err := DialURLCounted(u, t)
	if err != nil {
		return nil, err
	}
	b := NewBlobClient(cc)
	b.traffic = t
	return castore.NewStore(b, NewDirectoryClient(cc), cc.Close), nil
}

// DialURL returns a gRPC client connection to the server named by a store
// URL, with the message size limits the castore protocol wants. Other
// services on the same server (a store's PathInfoService) can share it.
func DialURL(u *url.URL) (*grpc.ClientConn, error) { return DialURLCounted(u, nil) }

// DialURLCounted is DialURL, counting the connection's traffic in t (if
// not nil).
func DialURLCounted(u *url.URL, t *Traffic) (*grpc.ClientConn, error) {
	target, creds, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
	}
	if t != nil {
		opts = append(opts, grpc.WithStatsHandler(trafficHandler{t}))
	}
	cc, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("castore: connecting to %s: %w", u.Redacted(), err)
	}
	return cc, nil
}

func parseURL(u *url.URL) (target string, creds credentials.TransportCredentials, err error) {
	if len(u.Query()) > 0 {
		return "", nil, fmt.Errorf("castore: store URL %s: unknown parameters %q", u.Redacted(), u.RawQuery)
	}
	if u.User != nil || u.Fragment != "" {
		return "", nil, fmt.Errorf("castore: store URL %s: user info and fragments are not supported", u.Redacted())
	}
	switch u.Scheme {
	case SchemeUnix:
		if u.Host != "" || u.Path == "" {
			return "", nil, fmt.Errorf("castore: store URL %s: want grpc+unix:///absolute/path/to.sock", u.Redacted())
		}
		p, err := filepath.Abs(u.Path)
		if err != nil {
			return "", nil, err
		}
		return "unix://" + p, insecure.NewCredentials(), nil
	case SchemeHTTP, SchemeHTTPS:
		if u.Host == "" || (u.Path != "" && u.Path != "/") {
			return "", nil, fmt.Errorf("castore: store URL %s: want %s://host:port", u.Redacted(), u.Scheme)
		}
		port := u.Port()
		if port == "" {
			port = "80"
			if u.Scheme == SchemeHTTPS {
				port = "443"
			}
		}
		host := net.JoinHostPort(u.Hostname(), port)
		creds := insecure.NewCredentials()
		if u.Scheme == SchemeHTTPS {
			creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
		}
		return "dns:///" + host, creds, nil
	}
	return "", nil, fmt.Errorf("castore: store URL %s: scheme %q is not a gRPC scheme (want %s, %s or %s)", u.Redacted(), u.Scheme, SchemeUnix, SchemeHTTP, SchemeHTTPS)
}
