package oci

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

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
//
// The cache is bounded (see trim): the entries used least recently are
// removed once it holds more than max bytes. An entry in use is never
// removed: each process holds a shared lock (flock) on the entry's lock
// file, .locks/KEY, for as long as one of its builds uses the entry, and
// eviction removes only entries whose lock it can take exclusively. The
// lock file also records the entry's size, and its modification time is
// the entry's last use.
type inputCache struct {
	dir      string
	store    *castore.Store
	uid, gid int
	// max is the bound in bytes of file contents; <= 0 for none.
	max int64

	mu      sync.Mutex
	pending map[string]*materialising
	inUse   map[string]*use
	// total is the cache's size as this process last saw it.
	total int64
}

type materialising struct {
	done chan struct{}
	err  error
}

// use is this process's hold on a cache entry.
type use struct {
	refs  int
	ready chan struct{} // closed once lock (or err) is set
	lock  *os.File
	err   error
}

const locksDir = ".locks"

func newInputCache(dir string, store *castore.Store, uid, gid int, max int64) (*inputCache, error) {
	if err := os.MkdirAll(filepath.Join(dir, locksDir), 0o700); err != nil {
		return nil, fmt.Errorf("oci: input cache: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("oci: input cache: %w", err)
	}
	c := &inputCache{dir: dir, store: store, uid: uid, gid: gid, max: max,
		pending: map[string]*materialising{}, inUse: map[string]*use{}}
	if max > 0 {
		c.total = -1 // unknown: the first trim measures it
		c.trim()
	}
	return c, nil
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

// isEntry reports whether name is a cache entry's.
func isEntry(name string) bool {
	if len(name) < 3 || name[1] != '-' {
		return false
	}
	return strings.ContainsRune("dfxl", rune(name[0]))
}

// path returns the host path holding n's contents, materialising it first
// if needed. The entry stays in the cache at least until release is
// called.
func (c *inputCache) path(ctx context.Context, n castore.Node) (p string, release func(), err error) {
	k := key(n)
	release, err = c.acquire(k)
	if err != nil {
		return "", nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	p = filepath.Join(c.dir, k)
	if _, err := os.Lstat(p); err == nil {
		return p, release, nil
	}
	c.mu.Lock()
	m, ok := c.pending[k]
	if !ok {
		m = &materialising{done: make(chan struct{})}
		c.pending[k] = m
		go func() {
			// Not the caller's ctx: another build may be waiting for it.
			m.err = c.materialise(context.WithoutCancel(ctx), n, k, p)
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
			return "", nil, m.err
		}
		return p, release, nil
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
}

// acquire holds entry k in the cache until the returned function is
// called.
func (c *inputCache) acquire(k string) (func(), error) {
	c.mu.Lock()
	u := c.inUse[k]
	if u == nil {
		u = &use{refs: 1, ready: make(chan struct{})}
		c.inUse[k] = u
		c.mu.Unlock()
		u.lock, u.err = c.lockShared(k)
		close(u.ready)
	} else {
		u.refs++
		c.mu.Unlock()
		<-u.ready
	}
	var once sync.Once
	release := func() { once.Do(func() { c.release(k) }) }
	if u.err != nil {
		release()
		return nil, fmt.Errorf("oci: input cache: %w", u.err)
	}
	return release, nil
}

func (c *inputCache) release(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.inUse[k]
	if u.refs--; u.refs > 0 {
		return
	}
	delete(c.inUse, k)
	if u.lock != nil {
		// The entry's last use, for trim.
		touch(u.lock)
		u.lock.Close()
	}
}

// lockShared opens and share-locks entry k's lock file. A lock file that
// trim removed while this waited for it is not the entry's any more: then
// it tries again with the new one.
func (c *inputCache) lockShared(k string) (*os.File, error) {
	p := filepath.Join(c.dir, locksDir, k)
	for {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if err := flock(f, unix.LOCK_SH); err != nil {
			f.Close()
			return nil, err
		}
		if sameFile(f, p) {
			touch(f)
			return f, nil
		}
		f.Close()
	}
}

// touch sets f's modification time to now, to the microsecond (finer
// than the kernel's own clock for file times).
func touch(f *os.File) {
	tv := unix.NsecToTimeval(time.Now().UnixNano())
	_ = unix.Futimes(int(f.Fd()), []unix.Timeval{tv, tv})
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// sameFile reports whether f is still the file at p.
func sameFile(f *os.File, p string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Stat(p)
	return err == nil && os.SameFile(fi, pi)
}

// recordSize writes entry k's size into its lock file, held by this
// process, and counts it.
func (c *inputCache) recordSize(k string, size int64) {
	c.mu.Lock()
	u := c.inUse[k]
	if c.total >= 0 {
		c.total += size
	}
	c.mu.Unlock()
	if u == nil || u.lock == nil {
		return
	}
	_ = u.lock.Truncate(0)
	_, _ = u.lock.WriteAt([]byte(strconv.FormatInt(size, 10)), 0)
}

func (c *inputCache) materialise(ctx context.Context, n castore.Node, k, dest string) error {
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
	size, err := canonicalise(staged, c.uid, c.gid)
	if err != nil {
		return fmt.Errorf("oci: materialising input: %w", err)
	}
	if err := os.Rename(staged, dest); err != nil {
		// Another process may have put it there first.
		if _, serr := os.Lstat(dest); serr == nil {
			return nil
		}
		return fmt.Errorf("oci: materialising input: %w", err)
	}
	c.recordSize(k, size)
	return nil
}

// adopt makes the tree at p, whose contents are n's, the cache's copy of
// n, if it has none yet: a build's output becomes the input of the next
// build without being exported again. p is moved; on failure it is left
// for the caller to remove.
func (c *inputCache) adopt(p string, n castore.Node) {
	k := key(n)
	release, err := c.acquire(k)
	if err != nil {
		return
	}
	defer release()
	dest := filepath.Join(c.dir, k)
	if _, err := os.Lstat(dest); err == nil {
		return
	}
	size, err := canonicalise(p, c.uid, c.gid)
	if err != nil {
		return
	}
	// A rename onto an existing directory fails; onto an existing file
	// it replaces a copy with the same contents.
	if os.Rename(p, dest) == nil {
		c.recordSize(k, size)
	}
}

var errNoBinSh = errors.New("the request wants /bin/sh and this builder has none (set its BinSh)")
