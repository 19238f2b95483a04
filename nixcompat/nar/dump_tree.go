package nar

import (
	"fmt"
	"io"
	"io/fs"
	"path"
)

// tree is what dumping needs of a file system. Its methods may be called
// concurrently, except readDir, which only the walker calls.
type tree interface {
	lstat(name string) (fs.FileInfo, error)
	readDir(name string) ([]dirEntry, error) // sorted by name
	readLink(name string) (string, error)
	// join returns the path of entry name of directory dir, and name
	// itself if dir is "".
	join(dir, name string) string
	// files returns a fileReader for one goroutine.
	files() fileReader
}

// fileReader opens and reads the regular files of a tree one at a time.
// Each goroutine that reads files has its own, so that it can keep things
// open from one file to the next (a directory, say).
type fileReader interface {
	// open opens the regular file name of directory dir (see tree.join)
	// and returns its size and whether its owner may execute it (Nix's
	// criterion for the executable bit).
	open(dir, name string) (size int64, exec bool, err error)
	// Read reads the open file.
	io.Reader
	// closeFile closes the open file.
	closeFile()
	// release closes whatever the reader still holds.
	release()
}

// fileMapper is a fileReader that can map the open file into memory.
type fileMapper interface {
	// mapFile maps n bytes of the open file from offset off, a multiple
	// of mapWindow; unmap undoes it.
	mapFile(off int64, n int) ([]byte, error)
}

// dirEntry is an entry of a directory: its name and type bits.
type dirEntry struct {
	name string
	mode fs.FileMode
}

func fromDirEntries(entries []fs.DirEntry) []dirEntry {
	des := make([]dirEntry, len(entries))
	for i, e := range entries {
		des[i] = dirEntry{name: e.Name(), mode: e.Type()}
	}
	return des
}

type fsTree struct{ fsys fs.FS }

func (t fsTree) lstat(name string) (fs.FileInfo, error) { return fs.Lstat(t.fsys, name) }
func (t fsTree) readDir(name string) ([]dirEntry, error) {
	entries, err := fs.ReadDir(t.fsys, name)
	return fromDirEntries(entries), err
}
func (t fsTree) readLink(name string) (string, error) { return fs.ReadLink(t.fsys, name) }
func (t fsTree) files() fileReader                    { return &fsFiles{openFile: t.fsys.Open, join: t.join} }

func (fsTree) join(dir, name string) string {
	if dir == "" {
		return name
	}
	return path.Join(dir, name)
}

// fsFiles reads files opened through an fs.FS-style open function;
// join makes the name to open from a directory and an entry.
type fsFiles struct {
	openFile func(name string) (fs.File, error)
	join     func(dir, name string) string
	f        fs.File
}

func (r *fsFiles) open(dir, name string) (int64, bool, error) {
	name = r.join(dir, name)
	f, err := r.openFile(name)
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

func (r *fsFiles) Read(p []byte) (int, error) { return r.f.Read(p) }
func (r *fsFiles) closeFile()                 { r.f.Close(); r.f = nil }
func (r *fsFiles) release()                   {}

func errNotRegular(name string) error {
	return fmt.Errorf("%s changed while being archived: no longer a regular file", name)
}

func errShorter(name string) error {
	return fmt.Errorf("%s changed while being archived: shorter than its size", name)
}
