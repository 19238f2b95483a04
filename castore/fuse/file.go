package fuse

import (
	"container/list"
	"errors"
	"fmt"
	"io"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/govix/govix/castore"
)

// Reading files.
//
// Contents never change, so there is nothing to do when a file is opened or
// closed: Open answers ENOSYS where the kernel supports that (it then
// sends no OPEN or RELEASE at all, and keeps the page cache across opens),
// which halves the round trips for small files. Reads therefore belong to
// an inode, not to a handle. An inode keeps the blob readers it used, each
// at the offset where it stopped, and a read continues with the reader
// positioned where it starts: a sequential read streams through one
// reader, never reopening the blob, and concurrent readers of one file
// each find their own. Readers that read to the end are closed at once;
// idle ones are kept up to maxIdleReaders (least recently used go first)
// and closed when the kernel forgets their inode.

// maxIdleReaders bounds the blob readers kept open between reads (each may
// hold a chunk, up to 1 MiB, in memory).
const maxIdleReaders = 64

// maxIdlePerInode bounds the idle readers kept for one file.
const maxIdlePerInode = 4

// blobReader is an open blob and its offset.
type blobReader struct {
	in   *inode
	r    io.ReadSeekCloser
	pos  int64
	elem *list.Element // in fileSystem.idle while idle
}

// capNoOpendirSupport is Linux's FUSE_NO_OPENDIR_SUPPORT, which go-fuse
// does not name.
const capNoOpendirSupport = 1 << 24

func (fs *fileSystem) Init(srv *gofuse.Server) {
	flags := srv.KernelSettings().Flags64()
	fs.noOpen = flags&gofuse.CAP_NO_OPEN_SUPPORT != 0
	// A lister root needs a handle per listing, so directories get
	// handles when there is one.
	fs.noOpenDir = flags&capNoOpendirSupport != 0 && fs.lister == nil
	fs.startPrefetch(srv)
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
	if fs.noOpen {
		// Zero-message opens from now on, with FOPEN_KEEP_CACHE.
		return gofuse.ENOSYS
	}
	// Keep the page cache across opens; nothing to flush on close.
	out.OpenFlags = gofuse.FOPEN_KEEP_CACHE | gofuse.FOPEN_NOFLUSH
	return gofuse.OK
}

func (fs *fileSystem) Read(_ <-chan struct{}, in *gofuse.ReadIn, buf []byte) (gofuse.ReadResult, gofuse.Status) {
	n := fs.node(in.NodeId)
	if n == nil {
		return nil, gofuse.Status(syscall.ESTALE)
	}
	if n.node.Kind != castore.KindFile {
		return nil, gofuse.EINVAL
	}
	if len(buf) > int(in.Size) {
		buf = buf[:in.Size]
	}
	got, err := fs.readAt(n, buf, int64(in.Offset))
	if err != nil {
		return nil, fs.fail(err)
	}
	return gofuse.ReadResultData(buf[:got]), gofuse.OK
}

// readAt fills buf from off, short only at the end of the file (a short
// read means end of file to the kernel).
func (fs *fileSystem) readAt(in *inode, buf []byte, off int64) (int, error) {
	size := int64(in.node.Size)
	if off >= size {
		return 0, nil
	}
	if rest := size - off; int64(len(buf)) > rest {
		buf = buf[:rest]
	}
	if !in.read.Swap(true) {
		fs.readStarted(in)
	}
	d := in.node.Digest
	br := fs.takeReader(in, off)
	if br == nil {
		r, err := fs.blobs.Open(fs.ctx, d)
		if err != nil {
			return 0, fmt.Errorf("opening blob %s: %w", d, err)
		}
		br = &blobReader{in: in, r: r}
	}
	if br.pos != off {
		if _, err := br.r.Seek(off, io.SeekStart); err != nil {
			br.r.Close()
			return 0, fmt.Errorf("blob %s: seeking to %d: %w", d, off, err)
		}
		br.pos = off
	}
	n, err := io.ReadFull(br.r, buf)
	br.pos += int64(n)
	if err != nil {
		br.r.Close()
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: blob %s ends at %d, but its node has size %d", castore.ErrCorrupt, d, off+int64(n), size)
		}
		return 0, fmt.Errorf("reading blob %s at %d: %w", d, off, err)
	}
	if br.pos >= size {
		br.r.Close() // read to the end: done
	} else {
		fs.putReader(br)
	}
	return n, nil
}

// takeReader returns an idle reader of in, preferably one at off, or nil.
func (fs *fileSystem) takeReader(in *inode, off int64) *blobReader {
	fs.rmu.Lock()
	defer fs.rmu.Unlock()
	if len(in.readers) == 0 {
		return nil
	}
	i := len(in.readers) - 1
	for j, br := range in.readers {
		if br.pos == off {
			i = j
			break
		}
	}
	br := in.readers[i]
	in.readers = append(in.readers[:i], in.readers[i+1:]...)
	fs.idle.Remove(br.elem)
	br.elem = nil
	return br
}

// putReader keeps br for the next read of its inode, closing the least
// recently used readers beyond the limits.
func (fs *fileSystem) putReader(br *blobReader) {
	var evict []*blobReader
	fs.rmu.Lock()
	in := br.in
	if len(in.readers) >= maxIdlePerInode {
		old := in.readers[0]
		in.readers = in.readers[1:]
		fs.idle.Remove(old.elem)
		evict = append(evict, old)
	}
	in.readers = append(in.readers, br)
	br.elem = fs.idle.PushBack(br)
	for fs.idle.Len() > maxIdleReaders {
		old := fs.idle.Remove(fs.idle.Front()).(*blobReader)
		rs := old.in.readers
		for j, x := range rs {
			if x == old {
				old.in.readers = append(rs[:j], rs[j+1:]...)
				break
			}
		}
		evict = append(evict, old)
	}
	fs.rmu.Unlock()
	for _, old := range evict {
		old.r.Close()
	}
}

// closeReaders closes the idle readers of an inode the kernel forgot.
func (fs *fileSystem) closeReaders(in *inode) {
	fs.rmu.Lock()
	rs := in.readers
	in.readers = nil
	for _, br := range rs {
		fs.idle.Remove(br.elem)
	}
	fs.rmu.Unlock()
	for _, br := range rs {
		br.r.Close()
	}
}

// closeAllReaders closes every idle reader, when serving ends.
func (fs *fileSystem) closeAllReaders() {
	fs.rmu.Lock()
	var rs []*blobReader
	for e := fs.idle.Front(); e != nil; e = e.Next() {
		br := e.Value.(*blobReader)
		br.in.readers = nil
		rs = append(rs, br)
	}
	fs.idle.Init()
	fs.rmu.Unlock()
	for _, br := range rs {
		br.r.Close()
	}
}

// Flush answers ENOSYS, so that the kernel stops sending FLUSH on every
// close: there is never anything to flush.
func (fs *fileSystem) Flush(<-chan struct{}, *gofuse.FlushIn) gofuse.Status { return gofuse.ENOSYS }
