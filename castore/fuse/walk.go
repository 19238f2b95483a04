package fuse

import (
	"context"
	"errors"
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
//
// A walker must never hold up the reader or an unmount: it holds no lock
// of the server's across a system call, its only waits (for a directory,
// for room in the push queue) end with walkCtx, it gives up on a call a
// signal keeps interrupting, and it never leaves its own mount (openOwn).
// Its requests are answered by the server's request goroutines, which
// never wait for a walker. Unmounting stops the walkers first.

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
	fd, err := fs.openOwn(p)
	if err != nil {
		return
	}
	for fs.walkCtx.Err() == nil {
		n, err := fs.retryEINTR(func() (int, error) { return unix.Getdents(fd, buf) })
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

// openOwn opens directory p (relative to the mount point) of this mount,
// and only of it: the walkers must never list another file system's tree,
// whose server may be this one's reader, or stalled. The mount point stops
// leading to this mount when it is detached (umount -l, fusermount3 -u -z)
// while busy, and another mount may then be made there (a benchmark
// remounting the same directory): then walking stops for good. The path
// is resolved beneath the mount's root, never out of it.
func (fs *fileSystem) openOwn(p string) (int, error) {
	dev := fs.dev.Load()
	if dev == 0 {
		return -1, errNotOwnMount // Mount has not returned yet
	}
	root, err := fs.retryEINTR(func() (int, error) {
		return unix.Open(fs.mountpoint, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return -1, err
	}
	defer unix.Close(root)
	var st unix.Stat_t
	if err := unix.Fstat(root, &st); err != nil {
		return -1, err
	}
	if st.Dev != dev {
		fs.stopWalk()
		return -1, errNotOwnMount
	}
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_SYMLINKS,
	}
	return fs.retryEINTR(func() (int, error) {
		fd, err := unix.Openat2(root, p, &how)
		if err == unix.ENOSYS { // before Linux 5.6
			fd, err = unix.Openat(root, p, int(how.Flags), 0)
		}
		return fd, err
	})
}

// errNotOwnMount: the mount point does not lead to this mount.
var errNotOwnMount = errors.New("the mount point leads to another file system")

// walkRetries bounds the calls of a walker's system call a signal
// interrupts: a walker gives up rather than spin (it is speculation; the
// reader will ask for what it needs itself).
const walkRetries = 3

// retryEINTR calls f again, a few times, while a signal interrupts it and
// walking goes on.
func (fs *fileSystem) retryEINTR(f func() (int, error)) (int, error) {
	for i := 1; ; i++ {
		n, err := f()
		if err != unix.EINTR || i >= walkRetries || fs.walkCtx.Err() != nil {
			return n, err
		}
	}
}
