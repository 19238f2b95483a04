package fuse

import (
	"context"
	"io"
	"slices"
	"sync"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/govix/govix/castore"
)

// Prefetching.
//
// Reading a tree (tar, cp -r, grep -r, a compiler reading headers) lists a
// directory and then reads each of its files, descending into each
// subdirectory: one synchronous round trip through the kernel per small
// file and two per directory (its entries, then the empty answer that ends
// the listing), which dominates the time for trees of many small files.
// Since nothing ever changes, the server can instead do that work ahead of
// the reader, in the background, and the reader finds it in the kernel's
// caches:
//
//   - Files are pushed into the page cache (FUSE_NOTIFY_STORE).
//   - Directories are listed ahead through the mount itself, by the
//     server's own "walkers", which leaves their entries, with attributes,
//     in the kernel's dentry cache and their listings in its directory
//     cache (FOPEN_CACHE_DIR).
//
// This is speculation, so it waits for the reader to show what it does:
//
//   - Reading a file handed out by a listing (READDIRPLUS) pushes the other
//     small files of that listing. Listing alone (ls -l, find, du) reads
//     no contents, and neither does reading a file looked up by name.
//   - Listing a subdirectory of a directory one of whose files was read
//     means the reader reads trees: then the whole subtree of that
//     directory is listed ahead, depth first in listing order as tar or
//     cp -r go, and each directory the walkers list has its small files
//     pushed.
//
// Only files up to the configured size are pushed, by a few workers, from
// a bounded queue: from a reader's listing the queue drops what it cannot
// take (the kernel will ask for it), while the walkers wait for room, so
// they stay at most a queue ahead of the pushers.

// prefetchWorkers read and push files concurrently with the reader; they
// spend much of their time in system calls, so more than the cores help.
const prefetchWorkers = 4

// prefetchQueue bounds the files waiting to be pushed.
const prefetchQueue = 4096

// walkWorkers list directories ahead; each waits for a round trip most of
// the time.
const walkWorkers = 2

// prefetchGroup is the entries listed in one directory, over all the
// READDIRPLUS calls that listed it.
type prefetchGroup struct {
	mu      sync.Mutex
	files   []*inode
	dirs    []*inode
	started bool // a file was read: the group's files are being pushed
	walked  bool // its subdirectories are being listed ahead
}

// startPrefetch starts the pushers and the walkers; they stop when fs.ctx
// ends, the walkers also at stopWalking.
func (fs *fileSystem) startPrefetch(srv *gofuse.Server) {
	if fs.prefetchMax <= 0 {
		return
	}
	fs.notify = srv
	fs.prefetchQ = make(chan *inode, prefetchQueue)
	for range prefetchWorkers {
		go fs.prefetchLoop()
	}
	if fs.mountpoint == "" {
		return
	}
	fs.walkCtx, fs.stopWalk = context.WithCancel(fs.ctx)
	fs.walks.ready = make(chan struct{}, 1)
	for range walkWorkers {
		fs.walking.Go(fs.walkLoop)
	}
}

// stopWalking stops the walkers and waits for them: they use the mount,
// which must not be busy with them when it is unmounted.
func (fs *fileSystem) stopWalking() {
	if fs.stopWalk != nil {
		fs.stopWalk()
		fs.walking.Wait()
	}
}

// listed records the files and directories a listing of dir handed to the
// kernel.
func (fs *fileSystem) listed(dir *inode, files, dirs []*inode) {
	if fs.prefetchQ == nil {
		return
	}
	g := dir.listing.Load()
	if g == nil {
		dir.listing.CompareAndSwap(nil, &prefetchGroup{})
		g = dir.listing.Load()
	}
	var walk []*inode
	g.mu.Lock()
	for _, f := range files {
		if f.group.Swap(g) == g {
			continue // listed before
		}
		g.files = append(g.files, f)
		if g.started {
			fs.queue(f)
		}
	}
	for _, d := range dirs {
		if d.group.Swap(g) == g {
			continue
		}
		g.dirs = append(g.dirs, d)
		if g.walked {
			walk = append(walk, d)
		}
	}
	g.mu.Unlock()
	fs.walkAhead(walk)

	// A reader lists a subdirectory of a directory whose files it reads:
	// list the rest of that directory's subtree ahead of it. (What the
	// walkers list themselves is marked walked.)
	if parent := dir.group.Load(); parent != nil && !dir.walked.Load() {
		var subtree []*inode
		parent.mu.Lock()
		if parent.started && !parent.walked {
			parent.walked = true
			subtree = slices.Clone(parent.dirs)
		}
		parent.mu.Unlock()
		fs.walkAhead(subtree)
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

// wantPush reports whether f should be pushed, and marks it so only once.
func (fs *fileSystem) wantPush(f *inode) bool {
	return !f.read.Load() && f.node.Size > 0 && f.node.Size <= uint64(fs.prefetchMax) && f.prefetched.CompareAndSwap(false, true)
}

// queue queues f for pushing unless it is read, too big, queued before, or
// the queue is full (then the kernel will ask for it when needed).
func (fs *fileSystem) queue(f *inode) {
	if !fs.wantPush(f) {
		return
	}
	select {
	case fs.prefetchQ <- f:
	default:
		f.prefetched.Store(false)
	}
}

// queueWait queues f for pushing like queue, but waits for room.
func (fs *fileSystem) queueWait(ctx context.Context, f *inode) {
	if !fs.wantPush(f) {
		return
	}
	select {
	case fs.prefetchQ <- f:
	case <-ctx.Done():
		f.prefetched.Store(false)
	}
}

// blobAppender is a BlobService that reads a whole blob, verified, into a
// buffer of the caller's (chunked.Service does): a pushed file's bytes are
// then copied once on their way from the store to the kernel.
type blobAppender interface {
	AppendBlob(ctx context.Context, d castore.Digest, buf []byte) ([]byte, error)
}

func (fs *fileSystem) prefetchLoop() {
	buf := make([]byte, fs.prefetchMax)
	for {
		select {
		case <-fs.ctx.Done():
			return
		case in := <-fs.prefetchQ:
			fs.push(in, buf)
		}
	}
}

// push reads a whole file into buf (which is large enough) and stores it
// in the kernel's page cache. Errors are left for a real read to find and
// report.
func (fs *fileSystem) push(in *inode, buf []byte) {
	fs.mu.Lock()
	live := fs.nodes[in.id] == in
	fs.mu.Unlock()
	if !live || in.read.Load() {
		return // forgotten, or read already
	}
	data, err := fs.readWhole(in, buf)
	if err != nil || uint64(len(data)) != in.node.Size {
		return
	}
	// ENOENT means the kernel forgot the inode meanwhile: a read will
	// fetch the file if it is wanted after all.
	_ = fs.notify.InodeNotifyStoreCache(in.id, 0, data)
}

// readWhole reads file in, verified, into buf if it fits.
func (fs *fileSystem) readWhole(in *inode, buf []byte) ([]byte, error) {
	if a, ok := fs.blobs.(blobAppender); ok {
		return a.AppendBlob(fs.ctx, in.node.Digest, buf[:0])
	}
	r, err := fs.blobs.Open(fs.ctx, in.node.Digest)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf = buf[:in.node.Size]
	_, err = io.ReadFull(r, buf)
	return buf, err
}
