package fuse

import (
	"io"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
)

// Prefetching small files.
//
// Reading a tree (tar, cp -r, grep -r, a compiler reading headers) lists a
// directory and then reads each of its files: one synchronous round trip
// through the kernel per small file, which dominates the time for trees of
// many small files. Since contents never change, the server can instead
// push them into the kernel's page cache (FUSE_NOTIFY_STORE) right after a
// listing, in the background, and the reads find them there.
//
// This is speculation, so it is bounded: only files up to the configured
// size, only files whose inode the listing just handed to the kernel, a
// queue that drops what it cannot take, and a few workers.

// prefetchWorkers read and push files concurrently with the reader.
const prefetchWorkers = 2

// prefetchQueue bounds the files waiting to be pushed.
const prefetchQueue = 4096

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

// prefetch queues a file the kernel just learned about through a listing.
func (fs *fileSystem) prefetch(in *inode) {
	if fs.prefetchQ == nil || in.node.Size == 0 || in.node.Size > uint64(fs.prefetchMax) || !in.prefetched.CompareAndSwap(false, true) {
		return
	}
	select {
	case fs.prefetchQ <- in:
	default: // busy: the kernel will ask when it needs the file
		in.prefetched.Store(false)
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
	// ENOENT means the kernel forgot the inode meanwhile, or has not
	// linked it yet: a read will fetch the file then.
	if st := fs.notify.InodeNotifyStoreCache(in.id, 0, buf); st == gofuse.OK {
		fs.prefetchStats.Add(1)
	}
}
