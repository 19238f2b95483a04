package nar

import (
	"encoding/binary"
	"hash"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"unsafe"
)

// On Linux the dumper talks to the kernel directly: os.ReadDir's and
// os.File's allocations, finalizers and extra system calls show when
// hashing trees of many small files.

// readDir lists a directory with getdents64.
func (t *osTree) readDir(name string) ([]dirEntry, error) {
	fd, err := openat(-1, name, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var entries []dirEntry
	if t.direntBuf == nil {
		t.direntBuf = make([]byte, 16<<10)
	}
	buf := t.direntBuf
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "getdents", Path: name, Err: err}
		}
		if n <= 0 {
			break
		}
		if entries, err = parseDirents(entries, buf[:n], name); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(entries, func(a, b dirEntry) int { return strings.Compare(a.name, b.name) })
	return entries, nil
}

// parseDirents appends the entries of a getdents64 buffer: records of
// inode (8 bytes), offset (8), record length (2), type (1) and a
// NUL-terminated name.
func parseDirents(entries []dirEntry, buf []byte, dir string) ([]dirEntry, error) {
	for len(buf) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
		if reclen < 19 || reclen > len(buf) {
			return entries, &fs.PathError{Op: "getdents", Path: dir, Err: syscall.EIO}
		}
		rec := buf[:reclen]
		buf = buf[reclen:]
		ino := binary.NativeEndian.Uint64(rec[0:8])
		typ := rec[18]
		nameb := rec[19:]
		if i := slices.Index(nameb, 0); i >= 0 {
			nameb = nameb[:i]
		}
		if ino == 0 || string(nameb) == "." || string(nameb) == ".." {
			continue
		}
		name := string(nameb)
		var mode fs.FileMode
		switch typ {
		case syscall.DT_REG:
			mode = 0
		case syscall.DT_DIR:
			mode = fs.ModeDir
		case syscall.DT_LNK:
			mode = fs.ModeSymlink
		case syscall.DT_UNKNOWN:
			// Some file systems do not say; ask.
			fi, err := os.Lstat(dir + "/" + name)
			if err != nil {
				return entries, err
			}
			mode = fi.Mode().Type()
		default:
			mode = fs.ModeIrregular
		}
		entries = append(entries, dirEntry{name: name, mode: mode})
	}
	return entries, nil
}

// openat opens name relative to the directory dirfd, or the working
// directory if dirfd is -1.
func openat(dirfd int, name string, flags int) (fd int, err error) {
	for {
		if dirfd < 0 {
			fd, err = syscall.Open(name, flags, 0)
		} else {
			fd, err = syscall.Openat(dirfd, name, flags, 0)
		}
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func (t *osTree) files() fileReader { return &osFiles{tree: t, dirfd: -1, fd: -1} }

// osFiles reads files with plain system calls, opening them relative to
// their directory, which stays open while its files are read.
type osFiles struct {
	tree     *osTree
	dir      string // the directory open as dirfd
	dirfd    int
	fd       int // the open file
	fileDir  string
	fileName string // and where it is, for errors
}

func (r *osFiles) open(dir, name string) (int64, bool, error) {
	dirfd := -1
	if dir != "" {
		if dir != r.dir || r.dirfd < 0 {
			r.release()
			fd, err := openat(-1, dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
			if err != nil {
				return 0, false, &fs.PathError{Op: "open", Path: dir, Err: err}
			}
			r.dir, r.dirfd = dir, fd
		}
		dirfd = r.dirfd
	}
	r.fileDir, r.fileName = dir, name
	fd, err := openat(dirfd, name, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW)
	if err != nil {
		return 0, false, &fs.PathError{Op: "open", Path: r.path(), Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return 0, false, &fs.PathError{Op: "fstat", Path: r.path(), Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return 0, false, errNotRegular(r.path())
	}
	r.fd = fd
	return st.Size, st.Mode&0o100 != 0, nil
}

func (r *osFiles) path() string { return r.tree.join(r.fileDir, r.fileName) }

func (r *osFiles) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(r.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: r.path(), Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (r *osFiles) closeFile() {
	syscall.Close(r.fd)
	r.fd = -1
}

func (r *osFiles) release() {
	if r.dirfd >= 0 {
		syscall.Close(r.dirfd)
		r.dir, r.dirfd = "", -1
	}
}

func (r *osFiles) mapFile(off int64, n int) ([]byte, error) {
	// MAP_POPULATE maps all the pages now, in the reader, rather than
	// one fault at a time in the writer.
	b, err := syscall.Mmap(r.fd, off, n, syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return nil, &fs.PathError{Op: "mmap", Path: r.path(), Err: err}
	}
	return b, nil
}

func unmap(b []byte) { syscall.Munmap(b) }

// mapsSafely reports whether files may be mapped when writing to w. A
// file that shrinks while mapped turns reading the pages it lost into a
// fault (SIGBUS), which crashes the program unless the goroutine reading
// them asked to panic instead (see writeMapped). A hash (as in hashing a
// path, where mapping pays most) reads what it is given in the calling
// goroutine, and a file gets it through a system call, which fails
// cleanly; other writers might hand the bytes to another goroutine (an
// io.Pipe does), so they get copies.
func mapsSafely(w io.Writer) bool {
	switch w.(type) {
	case hash.Hash, *os.File:
		return true
	}
	return false
}

// writeMapped writes b, which maps part of the file at path, to w (see
// mapsSafely): a fault reading b, because the file shrank, is an error.
func writeMapped(w io.Writer, b []byte, path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
			if f, ok := r.(interface{ Addr() uintptr }); ok && f.Addr()-start < uintptr(cap(b)) {
				err = errShorter(path)
				return
			}
			panic(r)
		}
	}()
	_, err = w.Write(b)
	return err
}
