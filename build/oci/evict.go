package oci

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// cacheEntry is what trim knows of an entry.
type cacheEntry struct {
	key     string
	size    int64
	lastUse time.Time
}

// trim removes the entries used least recently, that no build of any
// process is using, until the cache holds at most 90% of max bytes, if it
// holds more than max. It measures the cache afresh, since other
// processes add to it too; entries without a recorded size (made by an
// older govix) are measured and count as used long ago.
func (c *inputCache) trim() {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	over := c.total < 0 || c.total > c.max
	c.mu.Unlock()
	if !over {
		return
	}
	dirents, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	var entries []cacheEntry
	var total int64
	for _, d := range dirents {
		if !isEntry(d.Name()) {
			continue
		}
		e := cacheEntry{key: d.Name()}
		lp := filepath.Join(c.dir, locksDir, e.key)
		data, err := os.ReadFile(lp)
		if n, perr := strconv.ParseInt(string(data), 10, 64); err == nil && perr == nil && n >= 0 {
			e.size = n
			if fi, err := os.Stat(lp); err == nil {
				e.lastUse = fi.ModTime()
			}
		} else {
			e.size = treeSize(filepath.Join(c.dir, e.key))
			if f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
				_, _ = f.WriteAt([]byte(strconv.FormatInt(e.size, 10)), 0)
				_ = unix.Futimes(int(f.Fd()), []unix.Timeval{{}, {}})
				f.Close()
			}
		}
		total += e.size
		entries = append(entries, e)
	}
	// Lock files of entries that are gone (materialising failed, or an
	// older govix evicted them).
	if locks, err := os.ReadDir(filepath.Join(c.dir, locksDir)); err == nil && len(locks) > len(entries) {
		have := map[string]bool{}
		for _, e := range entries {
			have[e.key] = true
		}
		for _, l := range locks {
			if !have[l.Name()] {
				c.removeLock(l.Name())
			}
		}
	}
	if total > c.max {
		slices.SortFunc(entries, func(a, b cacheEntry) int { return a.lastUse.Compare(b.lastUse) })
		target := c.max / 10 * 9
		for _, e := range entries {
			if total <= target {
				break
			}
			if c.evict(e.key) {
				total -= e.size
			}
		}
	}
	c.mu.Lock()
	c.total = total
	c.mu.Unlock()
}

// evict removes entry k unless a build uses it.
func (c *inputCache) evict(k string) bool {
	c.mu.Lock()
	busy := c.inUse[k] != nil || c.pending[k] != nil
	c.mu.Unlock()
	if busy {
		return false
	}
	lp := filepath.Join(c.dir, locksDir, k)
	f, err := os.OpenFile(lp, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if flock(f, unix.LOCK_EX|unix.LOCK_NB) != nil || !sameFile(f, lp) {
		return false // in use by another process, or just evicted
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	trash := filepath.Join(c.dir, fmt.Sprintf(".tmp-%d-%s", os.Getpid(), hex.EncodeToString(rnd[:])))
	if err := os.Rename(filepath.Join(c.dir, k), trash); err != nil {
		return false
	}
	// Whoever waits for this lock file finds it gone and takes a new one.
	os.Remove(lp)
	f.Close()
	_ = os.RemoveAll(trash)
	return true
}

// removeLock removes the lock file of an entry that is not in the cache,
// unless someone holds it (and may be materialising the entry).
func (c *inputCache) removeLock(k string) {
	c.mu.Lock()
	busy := c.inUse[k] != nil
	c.mu.Unlock()
	if busy {
		return
	}
	lp := filepath.Join(c.dir, locksDir, k)
	f, err := os.OpenFile(lp, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if flock(f, unix.LOCK_EX|unix.LOCK_NB) == nil && sameFile(f, lp) {
		if _, err := os.Lstat(filepath.Join(c.dir, k)); errors.Is(err, fs.ErrNotExist) {
			os.Remove(lp)
		}
	}
}

// treeSize is the bytes of file contents (and symlink targets) under p.
func treeSize(p string) int64 {
	var size int64
	_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	return size
}
