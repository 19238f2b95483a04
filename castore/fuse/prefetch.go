package fuse

import (
	"io"
	"sync"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
)

// Prefetching small files.
//
// Reading a tree (tar, cp -r, grep -r, a compiler reading headers) lists a
// directory and then reads each of its files: one synchronous round trip
// through the kernel per small file, which dominates the time for trees of
// many small files. Since contents never change, the server can instead
// push them into the kernel's page cache (FUSE_NOTIFY_STORE) in the
// background, ahead of the reader, and the reads find them there.
//
// This is speculation, so it is bounded. It starts only when a file is read
// that was handed to the kernel by a listing (READDIRPLUS), and then covers
// the other files of that listing: listing alone (ls -l, find, du) reads no
// contents, and neither does reading a file looked up by name. Only files up
// to the configured size are pushed, by a few workers, from a queue that
// drops what it cannot take.

// prefetchWorkers read and push files concurrently with the reader; they
// spend much of their time in system calls, so more than the cores help.
const prefetchWorkers = 4

// prefetchQueue bounds the files waiting to be pushed.
const prefetchQueue = 4096

// prefetchGroup is the files listed in one directory, over all the
// READDIRPLUS calls that listed it.
type prefetchGroup struct {
	mu      sync.Mutex
	files   []*inode
	started bool // a file was read: the group's files are being pushed
}

// startPrefetch starts the workers; they stop when fs.ctx ends.
func (fs *fileSystem) startPrefetch(srv *gofuse.Server) {
	if fs.prefetchMax <= 0 {
		return
	}
	fs.notify = srv
	fs.prefetchQ = make(chan *inode, prefetchQueue)
	for range prefetchWorkers {
		go fs.prefetchLoop()
	}
}

// listed records the files a listing of dir handed to the kernel: reading
// one of them pushes the others.
func (fs *fileSystem) listed(dir *inode, files []*inode) {
	if fs.prefetchQ == nil || len(files) == 0 {
		return
	}
	g := dir.listing.Load()
	if g == nil {
		dir.listing.CompareAndSwap(nil, &prefetchGroup{})
		g = dir.listing.Load()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, f := range files {
		if f.group.Swap(g) == g {
			continue // listed before
		}
		g.files = append(g.files, f)
		if g.started {
			fs.queue(f)
		}
	}
}

// readStarted is called at a file's first read: it queues the other files
// of its directory's listing for pushing, once per directory.
func (fs *fileSystem) readStarted(in *inode) {
	g := in.group.Load()
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return
	}
	g.started = true
	for _, f := range g.files {
		if f != in {
			fs.queue(f)
		}
	}
}

// queue queues f for pushing unless it is read, too big, queued before, or
// the queue is full (then the kernel will ask for it when needed).
func (fs *fileSystem) queue(f *inode) {
	if f.read.Load() || f.node.Size == 0 || f.node.Size > uint64(fs.prefetchMax) || !f.prefetched.CompareAndSwap(false, true) {
		return
	}
	select {
	case fs.prefetchQ <- f:
	default:
		f.prefetched.Store(false)
	}
}

func (fs *fileSystem) prefetchLoop() {
	buf := make([]byte, fs.prefetchMax)
	for {
		select {
		case <-fs.ctx.Done():
			return
		case in := <-fs.prefetchQ:
			fs.push(in, buf[:in.node.Size])
		}
	}
}

// push reads a whole file and stores it in the kernel's page cache. Errors
// are left for a real read to find and report.
func (fs *fileSystem) push(in *inode, buf []byte) {
	fs.mu.Lock()
	live := fs.nodes[in.id] == in
	fs.mu.Unlock()
	if !live || in.read.Load() {
		return // forgotten, or read already
	}
	r, err := fs.blobs.Open(fs.ctx, in.node.Digest)
	if err != nil {
		return
	}
	_, err = io.ReadFull(r, buf)
	r.Close()
	if err != nil {
		return
	}
	// ENOENT means the kernel forgot the inode meanwhile: a read will
	// fetch the file if it is wanted after all.
	_ = fs.notify.InodeNotifyStoreCache(in.id, 0, buf)
}
