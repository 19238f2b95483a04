package nar

import (
	"fmt"
	"hash"
	"io"

	"github.com/govix/govix/nixcompat/wire"
)

// writeBufSize is how many bytes of structure a Writer gathers before
// passing them on; file contents of this size or more bypass the buffer.
const writeBufSize = 64 << 10

// Writer encodes an archive. Nodes are given in archive order with
// WriteHeader: the root first, then each directory's entries in bytewise
// order of their names, each directory's contents right after it. A regular
// file's contents follow its header through Write. Close finishes the
// archive.
//
// Writer checks the order and the names as it goes, so any tree source (a
// file system, a content-addressed store, a tree in memory) produces a valid
// archive or gets an error saying which node is wrong. Errors stick: once a
// call fails, every later one returns the same error.
type Writer struct {
	w      io.Writer
	buf    []byte
	direct int // contents at least this long bypass buf
	err    error

	started bool
	done    bool
	dirs    []openDir // directories whose entries are still being written

	// The regular file whose contents are being written.
	inFile   bool
	filePath string
	fileSize int64
	left     int64
}

type openDir struct {
	path string
	last string // name of the last entry written, "" before the first
}

// NewWriter returns a Writer writing an archive to w.
func NewWriter(w io.Writer) *Writer {
	nw := &Writer{w: w, buf: make([]byte, 0, writeBufSize), direct: writeBufSize / 2}
	if _, ok := w.(hash.Hash); ok {
		// A hash is as happy with small writes as with large ones
		// and buffers what it needs itself: copying file contents
		// into buf first would only cost time.
		nw.direct = 512
	}
	return nw
}

func (w *Writer) fail(path string, err error) error {
	w.err = &Error{Offset: -1, Path: path, Err: err}
	return w.err
}

func (w *Writer) flushIfFull() error {
	if len(w.buf) >= writeBufSize-512 {
		return w.flush()
	}
	return nil
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// endFile finishes the regular file being written, if any.
func (w *Writer) endFile() error {
	if !w.inFile {
		return nil
	}
	if w.left != 0 {
		return w.fail(w.filePath, fmt.Errorf("%w: %d of %d bytes missing", ErrWrongSize, w.left, w.fileSize))
	}
	w.inFile = false
	w.buf = append(w.buf, zeroPadding[:wire.Padding(uint64(w.fileSize))]...)
	w.closeNode(w.filePath == "/")
	return nil
}

// closeNode ends a node, and the directory entry holding it unless it is
// the root.
func (w *Writer) closeNode(root bool) {
	w.buf = append(w.buf, tokClose...)
	if !root {
		w.buf = append(w.buf, tokClose...)
	}
}

// popDir closes the innermost open directory.
func (w *Writer) popDir() {
	d := w.dirs[len(w.dirs)-1]
	w.dirs = w.dirs[:len(w.dirs)-1]
	w.closeNode(d.path == "/")
}

// WriteHeader starts the node h. It finishes the previous node, closing the
// directories h is not in.
func (w *Writer) WriteHeader(h *Header) error {
	if w.err != nil {
		return w.err
	}
	if err := w.endFile(); err != nil {
		return err
	}
	if w.done {
		return w.fail(h.Path, ErrArchiveEnded)
	}
	if !w.started {
		if h.Path != "/" {
			return w.fail(h.Path, fmt.Errorf("%w: the first node must be the root \"/\"", ErrOutOfOrder))
		}
		w.started = true
		w.buf = append(w.buf, tokMagic...)
	} else {
		dir, name := splitPath(h.Path)
		if err := CheckName(name); err != nil {
			return w.fail(h.Path, err)
		}
		for len(w.dirs) > 0 && w.dirs[len(w.dirs)-1].path != dir {
			w.popDir()
		}
		if len(w.dirs) == 0 {
			w.done = true
			return w.fail(h.Path, fmt.Errorf("%w: not in an open directory (a directory's entries must follow it)", ErrOutOfOrder))
		}
		d := &w.dirs[len(w.dirs)-1]
		switch {
		case name == d.last:
			return w.fail(h.Path, ErrDuplicate)
		case name < d.last:
			return w.fail(h.Path, fmt.Errorf("%w: %q after %q", ErrNotSorted, name, d.last))
		}
		d.last = name
		w.buf = appendEntryStart(w.buf, name)
	}
	switch h.Type {
	case TypeRegular:
		if h.Size < 0 {
			return w.fail(h.Path, fmt.Errorf("%w: negative size %d", ErrWrongSize, h.Size))
		}
		w.buf = appendRegularStart(w.buf, h.Executable, h.Size)
		w.inFile, w.filePath, w.fileSize, w.left = true, h.Path, h.Size, h.Size
	case TypeSymlink:
		if err := validTarget(h.LinkTarget); err != nil {
			return w.fail(h.Path, err)
		}
		w.buf = append(w.buf, tokSymlink...)
		w.buf = wire.AppendString(w.buf, h.LinkTarget)
		w.closeNode(h.Path == "/")
		if h.Path == "/" {
			w.done = true
		}
	case TypeDirectory:
		if len(w.dirs) > MaxDepth {
			return w.fail(h.Path, ErrTooDeep)
		}
		w.buf = append(w.buf, tokDirectory...)
		w.dirs = append(w.dirs, openDir{path: h.Path})
	default:
		return w.fail(h.Path, fmt.Errorf("%w: %v", ErrUnsupported, h.Type))
	}
	if h.Path == "/" && h.Type == TypeRegular {
		// Close will finish the root file; nothing may follow it.
		w.done = true
	}
	return w.flushIfFull()
}

// Write writes contents of the current regular file; all in all exactly
// the Size its header announced.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if !w.inFile {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, w.fail("", fmt.Errorf("%w: contents written outside a regular file", ErrOutOfOrder))
	}
	if int64(len(p)) > w.left {
		return 0, w.fail(w.filePath, fmt.Errorf("%w: %d bytes more than the %d announced", ErrWrongSize, int64(len(p))-w.left, w.fileSize))
	}
	if len(p) >= w.direct {
		// Large contents go straight through, saving a copy.
		if err := w.flush(); err != nil {
			return 0, err
		}
		n, err := w.w.Write(p)
		w.left -= int64(n)
		if err != nil {
			w.err = err
		}
		return n, err
	}
	if len(p) > cap(w.buf)-len(w.buf) {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	w.buf = append(w.buf, p...)
	w.left -= int64(len(p))
	return len(p), nil
}

// ReadFrom copies a regular file's remaining contents from r, which must
// hold exactly as many bytes. It lets io.Copy use the Writer's buffer.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if !w.inFile {
		// Copying a node without contents copies nothing.
		var probe [1]byte
		if n, _ := r.Read(probe[:]); n == 0 {
			return 0, nil
		}
		return 0, w.fail("", fmt.Errorf("%w: contents written outside a regular file", ErrOutOfOrder))
	}
	var total int64
	for w.left > 0 {
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return total, err
			}
		}
		room := min(int64(cap(w.buf)-len(w.buf)), w.left)
		n, err := r.Read(w.buf[len(w.buf) : int64(len(w.buf))+room])
		w.buf = w.buf[:len(w.buf)+n]
		w.left -= int64(n)
		total += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return total, err
		}
	}
	// Anything more than announced is an error too.
	var probe [1]byte
	if n, _ := r.Read(probe[:]); n > 0 {
		return total, w.fail(w.filePath, fmt.Errorf("%w: more than the %d bytes announced", ErrWrongSize, w.fileSize))
	}
	return total, nil
}

// Close finishes the archive, closing any open directories, and flushes
// it. It does not close the underlying writer. It fails if no root was
// written or a file is missing contents.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		return w.fail("", fmt.Errorf("%w: archive has no root node", ErrOutOfOrder))
	}
	if err := w.endFile(); err != nil {
		return err
	}
	for len(w.dirs) > 0 {
		w.popDir()
	}
	w.done = true
	if err := w.flush(); err != nil {
		return err
	}
	w.err = &Error{Offset: -1, Err: ErrArchiveEnded}
	return nil
}
