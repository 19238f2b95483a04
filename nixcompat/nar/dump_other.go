//go:build !linux

package nar

import (
	"io"
	"os"
)

func (*osTree) readDir(name string) ([]dirEntry, error) {
	entries, err := os.ReadDir(name)
	return fromDirEntries(entries), err
}

func (t *osTree) files() fileReader { return &osFiles{tree: t} }

// osFiles reads files through os.File.
type osFiles struct {
	tree *osTree
	f    *os.File
}

func (r *osFiles) open(dir, name string) (int64, bool, error) {
	name = r.tree.join(dir, name)
	f, err := os.Open(name)
	if err != nil {
		return 0, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, false, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return 0, false, errNotRegular(name)
	}
	r.f = f
	return fi.Size(), fi.Mode()&0o100 != 0, nil
}

func (r *osFiles) Read(p []byte) (int, error) { return r.f.Read(p) }
func (r *osFiles) closeFile()                 { r.f.Close(); r.f = nil }
func (r *osFiles) release()                   {}

// Files are mapped into memory only on Linux.

func mapsSafely(io.Writer) bool { return false }

func writeMapped(w io.Writer, b []byte, _ string) error {
	_, err := w.Write(b)
	return err
}

func unmap([]byte) {}
