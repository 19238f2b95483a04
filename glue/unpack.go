package glue

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// unpackArchive extracts the archive in file (tar, possibly compressed
// with gzip, bzip2, xz or zstd, or zip; told apart by their first bytes)
// into dir, as Nix's unpackTarfile does with libarchive: permissions
// (the executable bit is what a store path keeps), symbolic links and
// modification times are restored; entries that would land outside dir
// are refused.
func unpackArchive(ctx context.Context, file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(6)
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")), bytes.HasPrefix(magic, []byte("PK\x05\x06")):
		return unpackZip(ctx, f, dir)
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer gz.Close()
		r = gz
	case bytes.HasPrefix(magic, []byte("BZh")):
		r = bzip2.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		xr, err := xz.NewReader(br)
		if err != nil {
			return err
		}
		r = xr
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	}
	return unpackTar(ctx, r, dir)
}

// target returns where an archive entry goes, refusing names that leave
// dir.
func target(dir, name string) (string, error) {
	name = strings.TrimPrefix(filepath.ToSlash(name), "/")
	clean := filepath.Clean("/" + name)
	if clean == "/" {
		return dir, nil
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("archive entry '%s' is outside the archive", name)
		}
	}
	p := filepath.Join(dir, clean)
	// Refuse to write through a symbolic link the archive made
	// (libarchive's SECURE_SYMLINKS).
	for q := filepath.Dir(p); len(q) > len(dir); q = filepath.Dir(q) {
		if fi, err := os.Lstat(q); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return "", fmt.Errorf("archive entry '%s' is below a symbolic link", name)
		}
	}
	return p, nil
}

// fileMode is the permissions an unpacked file gets: the store keeps only
// the owner's executable bit.
func fileMode(m int64) os.FileMode {
	if m&0o100 != 0 {
		return 0o755
	}
	return 0o644
}

type dirTime struct {
	path  string
	mtime time.Time
}

func unpackTar(ctx context.Context, r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	var dirs []dirTime
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		p, err := target(dir, h.Name)
		if err != nil {
			return err
		}
		if p == dir {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, dirTime{p, h.ModTime})
		case tar.TypeReg, tar.TypeGNUSparse:
			if err := writeFile(p, tr, fileMode(h.Mode), h.ModTime); err != nil {
				return err
			}
		case tar.TypeSymlink:
			os.Remove(p)
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
		case tar.TypeLink:
			src, err := target(dir, h.Linkname)
			if err != nil {
				return err
			}
			in, err := os.Open(src)
			if err != nil {
				return fmt.Errorf("hard link '%s': %w", h.Name, err)
			}
			fi, _ := in.Stat()
			err = writeFile(p, in, fi.Mode().Perm(), fi.ModTime())
			in.Close()
			if err != nil {
				return err
			}
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
		default:
			return fmt.Errorf("archive entry '%s' has an unsupported type", h.Name)
		}
	}
	return restoreDirTimes(dirs)
}

// restoreDirTimes sets directories' modification times once their
// contents are written, deepest first.
func restoreDirTimes(dirs []dirTime) error {
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i].path, dirs[i].mtime, dirs[i].mtime); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(p string, r io.Reader, mode os.FileMode, mtime time.Time) error {
	os.Remove(p)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(p, mtime, mtime)
}

func unpackZip(ctx context.Context, f *os.File, dir string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return err
	}
	var dirs []dirTime
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := target(dir, zf.Name)
		if err != nil {
			return err
		}
		if p == dir {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		m := zf.Mode()
		switch {
		case m.IsDir():
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, dirTime{p, zf.Modified})
		case m&os.ModeSymlink != 0:
			rc, err := zf.Open()
			if err != nil {
				return err
			}
			t, err := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			if err != nil {
				return err
			}
			os.Remove(p)
			if err := os.Symlink(string(t), p); err != nil {
				return err
			}
		case m.IsRegular():
			rc, err := zf.Open()
			if err != nil {
				return err
			}
			err = writeFile(p, rc, fileMode(int64(m.Perm())), zf.Modified)
			rc.Close()
			if err != nil {
				return err
			}
		default:
			return errors.New("zip entry '" + zf.Name + "' has an unsupported type")
		}
	}
	return restoreDirTimes(dirs)
}
