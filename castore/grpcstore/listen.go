package grpcstore

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// Listen opens the listener for a server address: unix:///path/to.sock (a
// stale socket file left by a dead server is replaced) or host:port.
func Listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix://"); ok {
		if path == "" || !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("listen address %q: want unix:///absolute/path", addr)
		}
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			// Only remove a socket nobody answers on.
			if c, err := net.Dial("unix", path); err == nil {
				c.Close()
				return nil, fmt.Errorf("listen address %q: a server is already listening there", addr)
			}
			os.Remove(path)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("listening on %s: %w", addr, err)
		}
		return l, nil
	}
	if strings.Contains(addr, "://") {
		return nil, fmt.Errorf("listen address %q: want unix:///path or host:port", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return l, nil
}
