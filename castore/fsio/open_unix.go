//go:build unix

package fsio

import (
	"os"
	"syscall"
)

// openRead and createExcl open files without os.OpenFile's attempt to add
// them to the network poller, which for a regular file costs five wasted
// system calls (fcntl to make it non-blocking and back, a failing
// epoll_ctl): a tenth of the work per file when a tree has many small ones.

func openRead(path string) (*os.File, error) {
	fd, err := retryEINTR(func() (int, error) { return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0) })
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func createExcl(path string, mode os.FileMode) (*os.File, error) {
	fd, err := retryEINTR(func() (int, error) {
		return syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, uint32(mode.Perm()))
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		fd, err := f()
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// umask returns the process's file mode creation mask (reading it means
// setting it, so it is set straight back).
func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}
