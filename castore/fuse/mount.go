package fuse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/govix/govix/castore"
)

// Options tune a mount. The zero value is fine.
type Options struct {
	// AllowOther lets users other than the one who mounted access the
	// file system (for a non-root user, /etc/fuse.conf must say
	// user_allow_other). Permissions follow the modes shown.
	AllowOther bool

	// Name is the source shown in /proc/mounts and df; default "castore".
	Name string

	// CacheTimeout is how long the kernel may trust entries and
	// attributes it was told. Everything below the root is immutable, so
	// it can be long; default one hour.
	CacheTimeout time.Duration

	// PrefetchMax is the size of the largest file the server pushes into
	// the kernel's page cache ahead of a reader, in the background, once
	// the reader reads files of a listing; and once it reads a tree (tar,
	// cp -r, grep -r), directories are listed ahead of it too. So reading
	// a tree of small files does not wait for round trips per file and
	// per directory; see prefetch.go. It costs reading files that may not
	// be read. Default DefaultPrefetchMax; negative turns prefetching off.
	PrefetchMax int

	// Logger receives a line for each backend error (which the reader
	// sees as EIO) and, with Debug, every FUSE request. Default
	// slog.Default().
	Logger *slog.Logger

	// Debug logs every FUSE request and reply.
	Debug bool
}

// DefaultPrefetchMax is Options.PrefetchMax's default: most source files
// are smaller.
const DefaultPrefetchMax = 128 << 10

// Server is a mounted file system.
type Server struct {
	mountpoint string
	srv        *gofuse.Server
	fs         *fileSystem
	log        *slog.Logger
	served     chan struct{} // closed when serving ended
	stopWatch  func() bool   // stops the unmount on ctx's cancellation

	mu        sync.Mutex
	unmounted bool
}

// Mount mounts root at mountpoint, read-only, serving it from blobs and
// dirs, and returns once the kernel can use it. It stays mounted until
// Unmount, or until ctx is cancelled, when it is unmounted, lazily if it
// is busy (it disappears at once and goes on serving those who use it until
// they let go). Wait waits for the end.
func Mount(ctx context.Context, mountpoint string, blobs castore.BlobService, dirs castore.DirectoryService, root Root, opts *Options) (*Server, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CacheTimeout <= 0 {
		o.CacheTimeout = time.Hour
	}
	if o.PrefetchMax == 0 {
		o.PrefetchMax = DefaultPrefetchMax
	}
	if o.Name == "" {
		o.Name = "castore"
	}
	if err := checkMountpoint(mountpoint, root); err != nil {
		return nil, err
	}
	// Walkers list directories ahead through the mount (walk.go).
	walkFrom := ""
	if root.lister != nil || root.node.Kind == castore.KindDirectory {
		// Absolute: the working directory may change while mounted.
		abs, err := filepath.Abs(mountpoint)
		if err != nil {
			return nil, fmt.Errorf("mounting %s: %w", mountpoint, err)
		}
		walkFrom = abs
	}

	// Backend calls outlive ctx: a busy mount detached on cancellation
	// still serves its users. They end when serving does.
	fsCtx, cancelFS := context.WithCancel(context.WithoutCancel(ctx))
	fsys := newFileSystem(fsCtx, blobs, dirs, root, walkFrom, o.Logger, o.CacheTimeout, o.PrefetchMax)
	srv, err := gofuse.NewServer(fsys, mountpoint, &gofuse.MountOptions{
		AllowOther:    o.AllowOther,
		FsName:        o.Name,
		Name:          "castore",
		Options:       []string{"ro", "default_permissions"},
		MaxWrite:      maxRead, // also max_read: big reads for big files
		MaxBackground: 64,      // concurrent readahead requests
		DirectMount:   true,    // as root; falls back to fusermount3
		// fusermount3's flags, and read-only for the mount as well as
		// the file system ("ro" above).
		DirectMountFlags: syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_RDONLY,
		DisableXAttrs:    true,
		// Replies come from memory: splicing them costs more syscalls
		// than copying.
		DisableSplice: true,
		// Symlinks never change: the kernel may keep their targets.
		EnableSymlinkCaching: true,
		Debug:                o.Debug,
		Logger:               slog.NewLogLogger(o.Logger.Handler(), slog.LevelInfo),
	})
	if err != nil {
		cancelFS()
		return nil, fmt.Errorf("mounting %s: %w", mountpoint, err)
	}
	s := &Server{mountpoint: mountpoint, srv: srv, fs: fsys, log: o.Logger, served: make(chan struct{})}
	go func() {
		defer close(s.served)
		defer cancelFS()
		srv.Serve()
	}()
	if err := waitMount(srv, mountpoint, root); err != nil {
		_ = srv.Unmount()
		<-s.served
		return nil, fmt.Errorf("mounting %s: %w", mountpoint, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(mountpoint, &st); err == nil {
		// Walkers check that the mount point still leads here.
		fsys.dev.Store(st.Dev)
	}
	setReadAhead(mountpoint, o.Logger)
	s.stopWatch = context.AfterFunc(ctx, func() {
		if err := s.unmount(true); err != nil {
			s.log.Error("castore fuse: " + err.Error())
		}
	})
	return s, nil
}

// checkMountpoint refuses a root that cannot be mounted where asked: the
// kernel takes the root's type from the mount point's.
func checkMountpoint(mountpoint string, root Root) error {
	fi, err := os.Stat(mountpoint)
	if err != nil {
		return fmt.Errorf("mount point: %w", err)
	}
	if root.lister != nil {
		if !fi.IsDir() {
			return fmt.Errorf("mount point %s is not a directory", mountpoint)
		}
		return nil
	}
	if err := root.node.Validate(); err != nil {
		return fmt.Errorf("root node: %w", err)
	}
	switch root.node.Kind {
	case castore.KindDirectory:
		if !fi.IsDir() {
			return fmt.Errorf("mount point %s is not a directory, but the root is one", mountpoint)
		}
	case castore.KindFile:
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("the root is a file: mount it on a regular file, not on %s", mountpoint)
		}
	default:
		return fmt.Errorf("the root is a %s, which cannot be a mount point; mount a directory holding it", root.node.Kind)
	}
	return nil
}

// waitMount waits until the kernel serves the mount and, like go-fuse's
// WaitMount, makes it ask POLL once, so that it learns that FUSE files do
// not support it before this process's own runtime poller opens one. For a
// file root, go-fuse's way (opening a magic name in the root directory)
// does not apply: the file is polled itself.
func waitMount(srv *gofuse.Server, mountpoint string, root Root) error {
	if root.lister != nil || root.node.Kind == castore.KindDirectory {
		return srv.WaitMount()
	}
	fd, err := unix.Open(mountpoint, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, _ = unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
	return nil
}

// setReadAhead raises the kernel's readahead for the mount to maxRead, so
// that sequential reads of large files arrive as READs of that size: the
// kernel caps FUSE readahead at its default of 128 KiB otherwise, and the
// round trips halve large-file throughput. Only root may; for others the
// default stays.
func setReadAhead(mountpoint string, log *slog.Logger) {
	var st unix.Stat_t
	if err := unix.Stat(mountpoint, &st); err != nil {
		return
	}
	p := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	if err := os.WriteFile(p, fmt.Appendf(nil, "%d", maxRead>>10), 0); err != nil {
		log.Debug("castore fuse: readahead stays at the default: " + err.Error())
	}
}

// Unmount unmounts the file system and waits until serving ended. While
// files in it are in use it fails with an error wrapping syscall.EBUSY and
// leaves the mount in place.
func (s *Server) Unmount() error {
	if err := s.unmount(false); err != nil {
		return err
	}
	s.stopWatch()
	s.Wait()
	return nil
}

// unmount unmounts, or with lazy, detaches the mount if it is busy.
func (s *Server) unmount(lazy bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.served: // unmounted from outside, e.g. by fusermount3 -u
		return nil
	default:
	}
	if s.unmounted {
		return nil
	}
	s.fs.stopWalking() // the walkers must not keep the mount busy
	err := unmount(s.mountpoint, 0)
	if errors.Is(err, syscall.EBUSY) && lazy {
		s.log.Warn("castore fuse: " + s.mountpoint + " is busy; detached it, it goes on serving the files in use")
		err = unmount(s.mountpoint, syscall.MNT_DETACH)
	}
	if err != nil {
		return fmt.Errorf("unmounting %s: %w", s.mountpoint, err)
	}
	s.unmounted = true
	return nil
}

// unmount unmounts directly as root, else through fusermount3. A busy
// mount is tried again for a moment: the kernel releases files a little
// after their last close.
func unmount(mountpoint string, flags int) error {
	var err error
	for delay := 5 * time.Millisecond; ; delay *= 2 {
		if os.Geteuid() == 0 {
			err = syscall.Unmount(mountpoint, flags)
		} else {
			args := []string{"-u", "-q"}
			if flags&syscall.MNT_DETACH != 0 {
				args = append(args, "-z")
			}
			out, runErr := exec.Command("fusermount3", append(args, mountpoint)...).CombinedOutput()
			err = runErr
			if runErr != nil {
				err = fmt.Errorf("fusermount3: %s: %w", bytes.TrimSpace(out), runErr)
				if bytes.Contains(out, []byte("busy")) {
					err = fmt.Errorf("%w: %w", syscall.EBUSY, err)
				}
			}
		}
		if !errors.Is(err, syscall.EBUSY) || delay > 200*time.Millisecond {
			return err
		}
		time.Sleep(delay)
	}
}

// Wait blocks until the file system is unmounted and serving ended.
func (s *Server) Wait() { <-s.served }

// Done is closed when serving ended.
func (s *Server) Done() <-chan struct{} { return s.served }
