//go:build !unix

package fsio

import "os"

func openRead(path string) (*os.File, error) { return os.Open(path) }

func createExcl(path string, mode os.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
}

func umask() os.FileMode { return 0 }
