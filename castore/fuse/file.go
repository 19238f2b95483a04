package fuse

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/govix/govix/castore"
)

// fileHandle is an open file. It opens the blob at its first read and keeps
// the reader, so a sequential read streams through it; the kernel may send
// reads for one handle concurrently and out of order, so they take turns.
type fileHandle struct {
	in *inode

	mu  sync.Mutex
	r   io.ReadSeekCloser // nil until the first read, and after an error
	pos int64             // r's offset
}

func (fs *fileSystem) Open(_ <-chan struct{}, in *gofuse.OpenIn, out *gofuse.OpenOut) gofuse.Status {
	n := fs.node(in.NodeId)
	if n == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	if n.node.Kind != castore.KindFile {
		return gofuse.EINVAL
	}
	if in.Flags&syscall.O_ACCMODE != syscall.O_RDONLY || in.Flags&syscall.O_TRUNC != 0 {
		return gofuse.EROFS
	}
	fs.hmu.Lock()
	fs.nextFh++
	fh := fs.nextFh
	fs.files[fh] = &fileHandle{in: n}
	fs.hmu.Unlock()
	out.Fh = fh
	// Contents never change: keep the page cache across opens, and there
	// is nothing to flush on close.
	out.OpenFlags = gofuse.FOPEN_KEEP_CACHE | gofuse.FOPEN_NOFLUSH
	return gofuse.OK
}

func (fs *fileSystem) Read(_ <-chan struct{}, in *gofuse.ReadIn, buf []byte) (gofuse.ReadResult, gofuse.Status) {
	fs.hmu.Lock()
	h := fs.files[in.Fh]
	fs.hmu.Unlock()
	if h == nil {
		return nil, gofuse.EBADF
	}
	if len(buf) > int(in.Size) {
		buf = buf[:in.Size]
	}
	n, err := h.readAt(fs, buf, int64(in.Offset))
	if err != nil {
		return nil, fs.fail(err)
	}
	return gofuse.ReadResultData(buf[:n]), gofuse.OK
}

// readAt fills buf from off, short only at the end of the file (a short
// read means end of file to the kernel).
func (h *fileHandle) readAt(fs *fileSystem, buf []byte, off int64) (int, error) {
	size := int64(h.in.node.Size)
	if off >= size {
		return 0, nil
	}
	if rest := size - off; int64(len(buf)) > rest {
		buf = buf[:rest]
	}
	d := h.in.node.Digest
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.r == nil {
		r, err := fs.blobs.Open(fs.ctx, d)
		if err != nil {
			return 0, fmt.Errorf("opening blob %s: %w", d, err)
		}
		h.r, h.pos = r, 0
	}
	if h.pos != off {
		if _, err := h.r.Seek(off, io.SeekStart); err != nil {
			h.drop()
			return 0, fmt.Errorf("blob %s: seeking to %d: %w", d, off, err)
		}
		h.pos = off
	}
	n, err := io.ReadFull(h.r, buf)
	h.pos += int64(n)
	if err != nil {
		// The blob is shorter than its node says.
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: blob %s ends at %d, but its node has size %d", castore.ErrCorrupt, d, off+int64(n), size)
		}
		h.drop()
		return 0, fmt.Errorf("reading blob %s at %d: %w", d, off, err)
	}
	return n, nil
}

// drop closes the reader after an error, so that the next read starts
// afresh (a transient backend error need not poison the handle).
func (h *fileHandle) drop() {
	if h.r != nil {
		h.r.Close()
		h.r = nil
	}
}

func (fs *fileSystem) Release(_ <-chan struct{}, in *gofuse.ReleaseIn) {
	fs.hmu.Lock()
	h := fs.files[in.Fh]
	delete(fs.files, in.Fh)
	fs.hmu.Unlock()
	if h != nil {
		h.mu.Lock()
		h.drop()
		h.mu.Unlock()
	}
}
