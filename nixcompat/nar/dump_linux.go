package nar

import (
	"encoding/binary"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// readDir lists a directory with getdents64 directly: os.ReadDir's
// allocations and extra system calls show when hashing large trees.
func (t *osTree) readDir(name string) ([]dirEntry, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
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
