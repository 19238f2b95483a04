package oci

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCanonicalise gives a tree a store path's metadata, as Nix's
// canonicalisePathMetaData: modes 0444 or 0555 (executable by the owner
// means executable), no setuid bits, modification time 1, no extended
// attributes, the given owner.
func TestCanonicalise(t *testing.T) {
	root := filepath.Join(t.TempDir(), "out")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "d"), 0o777))
	must(os.WriteFile(filepath.Join(root, "d", "exe"), []byte("x"), 0o700))
	must(os.WriteFile(filepath.Join(root, "plain"), []byte("x"), 0o666))
	must(os.WriteFile(filepath.Join(root, "suid"), []byte("x"), 0o644))
	must(os.Chmod(filepath.Join(root, "suid"), 0o4755|os.ModeSetuid))
	must(os.Symlink("plain", filepath.Join(root, "link")))
	xattrs := true
	if err := unix.Lsetxattr(filepath.Join(root, "plain"), "user.govix", []byte("v"), 0); err != nil {
		if !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EPERM) {
			t.Fatal(err)
		}
		xattrs = false
		t.Log("no user extended attributes on this file system")
	}
	size, err := canonicalise(root, os.Getuid(), os.Getgid())
	must(err)
	if want := int64(1 + 1 + 1 + len("plain")); size != want {
		t.Errorf("size %d, want %d", size, want)
	}
	for name, want := range map[string]os.FileMode{
		"":      os.ModeDir | 0o555,
		"d":     os.ModeDir | 0o555,
		"d/exe": 0o555,
		"plain": 0o444,
		"suid":  0o555,
		"link":  os.ModeSymlink | 0o777,
	} {
		p := filepath.Join(root, name)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
		if fi.ModTime().Unix() != 1 {
			t.Errorf("%s: modified at %v", name, fi.ModTime())
		}
	}
	if xattrs {
		if n, err := unix.Llistxattr(filepath.Join(root, "plain"), make([]byte, 256)); err != nil || n != 0 {
			t.Errorf("extended attributes left: %d bytes, %v", n, err)
		}
	}
}
