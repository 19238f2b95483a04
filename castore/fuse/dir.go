package fuse

import (
	"errors"
	"fmt"
	"iter"
	"sync"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/govix/govix/castore"
)

// Directory streams number their entries: offset 0 is ".", 1 is "..", and
// 2+i is the i-th entry. A dirent's Off is the offset of the entry after it.
const firstEntry = 2

// dirHandle is an open directory: a castore Directory, or the root lister's
// listing being pulled.
type dirHandle struct {
	dir *castore.Directory // nil for a lister root

	mu   sync.Mutex
	next func() (castore.Entry, error, bool) // the listing, nil until needed
	stop func()
	cur  castore.Entry // the entry at offset at, when at >= firstEntry
	at   uint64
}

func (fs *fileSystem) OpenDir(_ <-chan struct{}, in *gofuse.OpenIn, out *gofuse.OpenOut) gofuse.Status {
	n := fs.node(in.NodeId)
	if n == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	h := &dirHandle{}
	if n.id == rootID && fs.lister != nil {
		h.at = firstEntry - 1
	} else {
		d, status := fs.directory(n)
		if !status.Ok() {
			return status
		}
		if fs.noOpenDir {
			// A Directory needs no handle: from now on the kernel
			// sends no OPENDIR or RELEASEDIR, reads directories
			// with handle 0, and caches them.
			return gofuse.ENOSYS
		}
		h.dir = d
		// The kernel may keep the listing: it cannot change.
		out.OpenFlags = gofuse.FOPEN_KEEP_CACHE | gofuse.FOPEN_CACHE_DIR
	}
	fs.hmu.Lock()
	fs.nextFh++
	out.Fh = fs.nextFh
	fs.dirsOpen[out.Fh] = h
	fs.hmu.Unlock()
	return gofuse.OK
}

func (fs *fileSystem) ReleaseDir(in *gofuse.ReleaseIn) {
	fs.hmu.Lock()
	h := fs.dirsOpen[in.Fh]
	delete(fs.dirsOpen, in.Fh)
	fs.hmu.Unlock()
	if h != nil {
		h.mu.Lock()
		if h.stop != nil {
			h.stop()
		}
		h.mu.Unlock()
	}
}

func (fs *fileSystem) ReadDir(_ <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList) gofuse.Status {
	return fs.readDir(in, out, false)
}

// ReadDirPlus answers a listing with each entry's attributes, which spares
// the kernel a LOOKUP per entry (tar, ls -l, find all want them).
func (fs *fileSystem) ReadDirPlus(_ <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList) gofuse.Status {
	return fs.readDir(in, out, true)
}

func (fs *fileSystem) readDir(in *gofuse.ReadIn, out *gofuse.DirEntryList, plus bool) gofuse.Status {
	dir := fs.node(in.NodeId)
	if dir == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	var h *dirHandle
	if in.Fh == 0 && fs.noOpenDir {
		d, status := fs.directory(dir)
		if !status.Ok() {
			return status
		}
		h = &dirHandle{dir: d}
	} else {
		fs.hmu.Lock()
		h = fs.dirsOpen[in.Fh]
		fs.hmu.Unlock()
	}
	if h == nil {
		return gofuse.EBADF
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	// Files and directories handed to the kernel, for prefetching.
	var files, dirs []*inode
	if plus && h.dir != nil {
		defer func() { fs.listed(dir, files, dirs) }()
	}
	added := false
	for off := in.Offset; ; off++ {
		var e castore.Entry
		switch {
		case off == 0:
			e = castore.Entry{Name: ".", Node: castore.Node{Kind: castore.KindDirectory}}
		case off == 1:
			e = castore.Entry{Name: "..", Node: castore.Node{Kind: castore.KindDirectory}}
		case h.dir != nil:
			i := off - firstEntry
			if i >= uint64(len(h.dir.Entries)) {
				return gofuse.OK
			}
			e = h.dir.Entries[i]
		default:
			var ok bool
			var err error
			e, ok, err = fs.listerEntry(h, off)
			if err != nil {
				if added {
					// Hand out what we have; the error comes back
					// at the next call, for this offset.
					return gofuse.OK
				}
				if errors.Is(err, ErrListingDisabled) {
					return gofuse.EPERM
				}
				return fs.fail(fmt.Errorf("listing the root: %w", err))
			}
			if !ok {
				return gofuse.OK
			}
		}
		de := gofuse.DirEntry{Name: e.Name, Mode: kindMode(e.Kind), Off: off + 1}
		if off >= firstEntry {
			de.Ino = inoOf(keyOf(e.Node))
		}
		if !plus {
			if !out.AddDirEntry(de) {
				return gofuse.OK
			}
			added = true
			continue
		}
		eo := out.AddDirLookupEntry(de)
		if eo == nil {
			return gofuse.OK
		}
		added = true
		// "." and ".." get no attributes (node id 0), and neither do the
		// lister's entries: a /nix/store listing should not make the
		// kernel hold an inode per store path. The kernel looks those up
		// when they are used.
		if off >= firstEntry && h.dir != nil {
			child := fs.ref(dir, e.Name, e.Node)
			fs.fillEntry(child, eo)
			switch e.Kind {
			case castore.KindFile:
				files = append(files, child)
			case castore.KindDirectory:
				dirs = append(dirs, child)
			}
		}
	}
}

// listerEntry returns the entry at offset off of the root lister's
// listing, pulling the listing as far as needed and restarting it when the
// reader went back (rewinddir, seekdir).
func (fs *fileSystem) listerEntry(h *dirHandle, off uint64) (castore.Entry, bool, error) {
	if off < h.at || h.next == nil {
		if h.stop != nil {
			h.stop()
		}
		h.next, h.stop = iter.Pull2(fs.lister.List(fs.ctx))
		h.at = firstEntry - 1
	}
	for h.at < off {
		e, err, ok := h.next()
		if !ok {
			return castore.Entry{}, false, nil
		}
		if err == nil {
			err = validEntry(e.Name, e.Node)
		}
		if err != nil {
			// Start over next time rather than skip the entry.
			h.stop()
			h.next, h.stop = nil, nil
			return castore.Entry{}, false, err
		}
		h.cur = e
		h.at++
	}
	return h.cur, true, nil
}

func kindMode(k castore.Kind) uint32 {
	switch k {
	case castore.KindFile:
		return syscall.S_IFREG
	case castore.KindSymlink:
		return syscall.S_IFLNK
	}
	return syscall.S_IFDIR
}
