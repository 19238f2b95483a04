//go:build !unix

package nar

import (
	"io"
	"os"
)

func (*osTree) open(name string) (io.ReadCloser, int64, bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, false, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, false, errNotRegular(name)
	}
	return f, fi.Size(), fi.Mode()&0o100 != 0, nil
}

func (*osTree) readDir(name string) ([]dirEntry, error) {
	entries, err := os.ReadDir(name)
	return fromDirEntries(entries), err
}
