package nar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Restore recreates the tree of the archive read from r at path, which
// must not exist yet, like nix-store --restore. Files get mode 0666 and
// executables 0777, less the umask; directories 0777 less the umask.
//
// Every file is created through an os.Root of its directory with a single
// validated name, so no archive can write outside path, and no existing
// file is overwritten. On error the partial tree is left in place.
func Restore(ctx context.Context, r io.Reader, path string) error {
	parent, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer parent.Close()
	base := filepath.Base(path)
	if base == "." || base == ".." || base == string(filepath.Separator) {
		return fmt.Errorf("nar: cannot restore to %q: not a new file name", path)
	}

	type dir struct {
		narPath string
		root    *os.Root
	}
	var dirs []dir
	defer func() {
		for _, d := range dirs {
			d.root.Close()
		}
	}()

	nr := NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := nr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		// Find the directory to create the node in.
		in, name := parent, base
		if h.Path != "/" {
			var dirPath string
			dirPath, name = splitPath(h.Path)
			for len(dirs) > 0 && dirs[len(dirs)-1].narPath != dirPath {
				dirs[len(dirs)-1].root.Close()
				dirs = dirs[:len(dirs)-1]
			}
			if len(dirs) == 0 {
				// The Reader only yields entries of open directories.
				return fmt.Errorf("nar: internal error: no directory for %q", h.Path)
			}
			in = dirs[len(dirs)-1].root
		}
		if err := restoreNode(in, name, h, nr); err != nil {
			return &Error{Offset: -1, Path: h.Path, Err: err}
		}
		if h.Type == TypeDirectory {
			sub, err := in.OpenRoot(name)
			if err != nil {
				return &Error{Offset: -1, Path: h.Path, Err: err}
			}
			dirs = append(dirs, dir{narPath: h.Path, root: sub})
		}
	}
}

func restoreNode(in *os.Root, name string, h *Header, contents io.Reader) error {
	switch h.Type {
	case TypeDirectory:
		return in.Mkdir(name, 0o777)
	case TypeSymlink:
		return in.Symlink(h.LinkTarget, name)
	case TypeRegular:
		f, err := in.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, contents); err != nil {
			f.Close()
			return err
		}
		if h.Executable {
			// As Nix does: add every executable bit to what the
			// umask left.
			fi, err := f.Stat()
			if err == nil {
				err = f.Chmod(fi.Mode().Perm() | 0o111)
			}
			if err != nil {
				f.Close()
				return err
			}
		}
		return f.Close()
	}
	return errors.ErrUnsupported
}

// Find advances r to the node at path ("/" or "/a/b") and returns its
// header; for a regular file r is then positioned at its contents. It
// returns an error wrapping fs.ErrNotExist if the archive has no such node.
// Only nodes not yet passed can be found.
func (r *Reader) Find(path string) (*Header, error) {
	for {
		h, err := r.Next()
		if err == io.EOF {
			return nil, &Error{Offset: -1, Path: path, Err: fs.ErrNotExist}
		}
		if err != nil {
			return nil, err
		}
		if h.Path == path {
			return h, nil
		}
	}
}
