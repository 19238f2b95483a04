//go:build linux

package eval

import (
	"io/fs"
	"syscall"
)

// readFile is os.ReadFile with the system calls alone: os.Open also
// switches every file to non-blocking mode and offers it to the network
// poller (which refuses regular files) and back, four more calls for each
// of the thousands of files an evaluation of nixpkgs reads.
func readFile(name string) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	size := 0
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) == nil && st.Size > 0 && int64(int(st.Size)) == st.Size {
		size = int(st.Size)
	}
	// One byte more than the size, so that the read that finds the end
	// needs no growing (files in /proc say 0).
	data := make([]byte, 0, max(size+1, 512))
	for {
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n <= 0 {
			return data, nil
		}
		data = data[:len(data)+n]
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}
