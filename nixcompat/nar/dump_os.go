package nar

import (
	"io/fs"
	"os"
)

// osTree is the operating system's file system, addressed by paths.
type osTree struct {
	// direntBuf is readDir's buffer, reused for every directory: only
	// the walker lists directories.
	direntBuf []byte
}

func (*osTree) lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
func (*osTree) readLink(name string) (string, error)   { return os.Readlink(name) }
func (*osTree) join(dir, name string) string {
	switch {
	case dir == "":
		return name
	case dir[len(dir)-1] == '/':
		return dir + name
	}
	return dir + "/" + name
}
