//go:build !unix

package fsio

import (
	"io"
	"os"
)

func openRead(path string) (*os.File, error) { return os.Open(path) }

func createExcl(path string, mode os.FileMode) (outFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, err
	}
	// Hides *os.File's ReadFrom, which would make io.CopyBuffer ignore the
	// reader's WriteTo and the buffer and fall back to small reads.
	return struct {
		io.Writer
		io.Closer
	}{f, f}, nil
}

func umask() os.FileMode { return 0 }
