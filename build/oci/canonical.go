package oci

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// canonicalise gives a tree the metadata of a Nix store path, owned by
// uid and gid, and returns the bytes of file contents (and symlink
// targets) in it.
func canonicalise(root string, uid, gid int) (int64, error) {
	var size int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return canonicaliseOne(p, d.Type(), uid, gid)
	})
	return size, err
}

func canonicaliseOne(p string, typ fs.FileMode, uid, gid int) error {
	if err := os.Lchown(p, uid, gid); err != nil {
		return err
	}
	if err := removeXattrs(p); err != nil {
		return err
	}
	if typ&fs.ModeSymlink == 0 {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o444)
		if fi.IsDir() || fi.Mode()&0o100 != 0 {
			mode = 0o555
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{{Sec: 1}, {Sec: 1}}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "utimes", Path: p, Err: err}
	}
	return nil
}

// keptXattrs are the extended attributes Nix leaves on store paths (its
// ignored-acls setting's default).
var keptXattrs = map[string]bool{"security.selinux": true, "system.nfs4_acl": true, "security.csm": true}

// removeXattrs removes the extended attributes (and so ACLs) of p, as
// Nix's canonicalisePathMetaData does: a build cannot leave any on the
// outputs other builds see.
func removeXattrs(p string) error {
	buf := make([]byte, 1024)
	for {
		n, err := unix.Llistxattr(p, buf)
		switch {
		case errors.Is(err, unix.ERANGE):
			size, err := unix.Llistxattr(p, nil)
			if err != nil {
				return &fs.PathError{Op: "llistxattr", Path: p, Err: err}
			}
			buf = make([]byte, size)
			continue
		case errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.ENODATA):
			return nil
		case err != nil:
			return &fs.PathError{Op: "llistxattr", Path: p, Err: err}
		}
		for _, name := range strings.Split(string(buf[:n]), "\x00") {
			if name == "" || keptXattrs[name] {
				continue
			}
			if err := unix.Lremovexattr(p, name); err != nil {
				return &fs.PathError{Op: "lremovexattr " + name, Path: p, Err: err}
			}
		}
		return nil
	}
}
