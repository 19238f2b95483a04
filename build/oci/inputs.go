package oci

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fsio"
)

// inputCache materialises castore nodes as host files, once per node, in
// a directory shared by every build (and by every process using the same
// directory): a node's files appear under a name derived from its digest,
// written completely under a temporary name and renamed into place. They
// look like a Nix store path: read-only (0444 files, 0555 executables and
// directories), modification time 1, and owned by the build user, as
// Nix 2.8's sandbox without build users shows store paths (its user
// namespace maps the store's owner to the build user). Only root can
// enter the cache directory (0700), so the owner's host account cannot
// reach them; builds see them through read-only bind mounts.
type inputCache struct {
	dir      string
	store    *castore.Store
	uid, gid int

	mu      sync.Mutex
	pending map[string]*materialising
}

type materialising struct {
	done chan struct{}
	err  error
}

func newInputCache(dir string, store *castore.Store, uid, gid int) (*inputCache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("oci: input cache: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("oci: input cache: %w", err)
	}
	return &inputCache{dir: dir, store: store, uid: uid, gid: gid, pending: map[string]*materialising{}}, nil
}

// key names a node in the cache.
func key(n castore.Node) string {
	switch n.Kind {
	case castore.KindDirectory:
		return "d-" + n.Digest.Hex()
	case castore.KindFile:
		if n.Executable {
			return "x-" + n.Digest.Hex()
		}
		return "f-" + n.Digest.Hex()
	default:
		sum := sha256.Sum256([]byte(n.Target))
		return "l-" + hex.EncodeToString(sum[:])
	}
}

// path returns the host path holding n's contents, materialising it first
// if needed.
func (c *inputCache) path(ctx context.Context, n castore.Node) (string, error) {
	k := key(n)
	p := filepath.Join(c.dir, k)
	if _, err := os.Lstat(p); err == nil {
		return p, nil
	}
	c.mu.Lock()
	m, ok := c.pending[k]
	if !ok {
		m = &materialising{done: make(chan struct{})}
		c.pending[k] = m
		go func() {
			// Not the caller's ctx: another build may be waiting for it.
			m.err = c.materialise(context.WithoutCancel(ctx), n, p)
			close(m.done)
			c.mu.Lock()
			delete(c.pending, k)
			c.mu.Unlock()
		}()
	}
	c.mu.Unlock()
	select {
	case <-m.done:
		if m.err != nil {
			return "", m.err
		}
		return p, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *inputCache) materialise(ctx context.Context, n castore.Node, dest string) error {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(c.dir, fmt.Sprintf(".tmp-%d-%s", os.Getpid(), hex.EncodeToString(rnd[:])))
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("oci: materialising input: %w", err)
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "x")
	if err := fsio.Export(ctx, c.store, n, staged, nil); err != nil {
		return fmt.Errorf("oci: materialising input: %w", err)
	}
	if err := canonicalise(staged, c.uid, c.gid); err != nil {
		return fmt.Errorf("oci: materialising input: %w", err)
	}
	if err := os.Rename(staged, dest); err != nil {
		// Another process may have put it there first.
		if _, serr := os.Lstat(dest); serr == nil {
			return nil
		}
		return fmt.Errorf("oci: materialising input: %w", err)
	}
	return nil
}

// adopt makes the tree at p, whose contents are n's, the cache's copy of
// n, if it has none yet: a build's output becomes the input of the next
// build without being exported again. p is moved; on failure it is left
// for the caller to remove.
func (c *inputCache) adopt(p string, n castore.Node) {
	dest := filepath.Join(c.dir, key(n))
	if _, err := os.Lstat(dest); err == nil {
		return
	}
	if canonicalise(p, c.uid, c.gid) != nil {
		return
	}
	// A rename onto an existing directory fails; onto an existing file
	// it replaces a copy with the same contents.
	_ = os.Rename(p, dest)
}

// canonicalise gives a tree the metadata of a Nix store path, owned by
// uid and gid.
func canonicalise(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return canonicaliseOne(p, d.Type(), uid, gid)
	})
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

var errNoBinSh = errors.New("the request wants /bin/sh and this builder has none (set its BinSh)")
