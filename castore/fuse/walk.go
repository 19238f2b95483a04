package fuse

import (
	"context"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// Listing directories ahead of a reader (see prefetch.go for when).
//
// The kernel takes entries only as answers to its own requests, so the
// server lists a directory ahead by asking the kernel to list it: a walker
// opens it through the mount and reads it to the end. The kernel's requests
// come back to this server, and what it answers stays in the kernel's
// caches for the reader. Walkers go depth first, in listing order, which is
// the order tar and cp -r read in.

// walkBufSize is a walker's getdents buffer: the kernel asks for a listing
// as big as the buffer, so most directories take one round trip (and one
// more for the end).
const walkBufSize = 64 << 10

// dirStack is the directories waiting to be listed ahead, the next on top.
type dirStack struct {
	mu    sync.Mutex
	dirs  []*inode
	ready chan struct{} // holds a token while dirs may not be empty
}

func (s *dirStack) push(dirs []*inode) {
	s.mu.Lock()
	// Reversed, so that the first listed is listed first.
	for _, d := range slices.Backward(dirs) {
		s.dirs = append(s.dirs, d)
	}
	s.mu.Unlock()
	s.signal()
}

func (s *dirStack) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// pop waits for a directory; it returns nil when ctx ends.
func (s *dirStack) pop(ctx context.Context) *inode {
	for {
		s.mu.Lock()
		if n := len(s.dirs); n > 0 {
			d := s.dirs[n-1]
			s.dirs[n-1] = nil
			s.dirs = s.dirs[:n-1]
			more := n > 1
			s.mu.Unlock()
			if more {
				s.signal() // for the other walkers
			}
			return d
		}
		s.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil
		}
	}
}

// walkAhead queues directories to be listed ahead, each once.
func (fs *fileSystem) walkAhead(dirs []*inode) {
	if fs.walkCtx == nil || len(dirs) == 0 {
		return
	}
	todo := make([]*inode, 0, len(dirs))
	for _, d := range dirs {
		if d.walked.CompareAndSwap(false, true) {
			todo = append(todo, d)
		}
	}
	if len(todo) > 0 {
		fs.walks.push(todo)
	}
}

func (fs *fileSystem) walkLoop() {
	buf := make([]byte, walkBufSize)
	for {
		d := fs.walks.pop(fs.walkCtx)
		if d == nil {
			return
		}
		fs.listAhead(d, buf)
	}
}

// listAhead lists directory d through the mount, then pushes its small
// files and queues its subdirectories. Errors end the speculation quietly:
// a reader that gets there finds them.
func (fs *fileSystem) listAhead(d *inode, buf []byte) {
	p, ok := fs.path(d)
	if !ok {
		return
	}
	fd, err := retryEINTR(func() (int, error) {
		return unix.Open(filepath.Join(fs.mountpoint, p), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return
	}
	for fs.walkCtx.Err() == nil {
		n, err := retryEINTR(func() (int, error) { return unix.Getdents(fd, buf) })
		if err != nil || n == 0 {
			break
		}
	}
	unix.Close(fd)

	// The listing was answered now, or before (then it came from the
	// kernel's cache, and the group was filled then).
	g := d.listing.Load()
	if g == nil {
		return
	}
	g.mu.Lock()
	g.started, g.walked = true, true
	files, dirs := slices.Clone(g.files), slices.Clone(g.dirs)
	g.mu.Unlock()
	fs.walkAhead(dirs)
	for _, f := range files {
		fs.queueWait(fs.walkCtx, f)
	}
}

// retryEINTR calls f again while a signal interrupts it.
func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR {
			return n, err
		}
	}
}
