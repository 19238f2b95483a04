//go:build !linux

package nar

import (
	"io"
	"io/fs"
	"os"
)

func (*osTree) readDir(name string) ([]dirEntry, error) {
	entries, err := os.ReadDir(name)
	return fromDirEntries(entries), err
}

func (t *osTree) files() fileReader { return &fsFiles{openFile: openOS, join: t.join} }

func openOS(name string) (fs.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil fs.File
	}
	return f, nil
}

// Files are mapped into memory only on Linux.

func mapsSafely(io.Writer) bool { return false }

func writeMapped(w io.Writer, b []byte, _ string) error {
	_, err := w.Write(b)
	return err
}

func unmap([]byte) {}
