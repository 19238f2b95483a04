package chunked

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/zeebo/blake3"

	"github.com/govix/govix/castore"
)

// bytesReader serves a blob held in memory, already verified.
type bytesReader struct {
	data []byte
	pos  int64
}

func (r *bytesReader) Read(p []byte) (int, error) {
	if r.pos >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.pos:])
	r.pos += int64(n)
	return n, nil
}

// WriteTo writes the rest of the blob to w in one call, sparing io.Copy a
// buffer.
func (r *bytesReader) WriteTo(w io.Writer) (int64, error) {
	if r.pos >= int64(len(r.data)) {
		return 0, nil
	}
	n, err := w.Write(r.data[r.pos:])
	r.pos += int64(n)
	return int64(n), err
}

func (r *bytesReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("castore: negative offset")
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *bytesReader) Seek(off int64, whence int) (int64, error) {
	pos, err := seekPos(r.pos, int64(len(r.data)), off, whence)
	if err != nil {
		return r.pos, err
	}
	r.pos = pos
	return pos, nil
}

func (r *bytesReader) Close() error { r.data = nil; return nil }

func seekPos(cur, size, off int64, whence int) (int64, error) {
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = off
	case io.SeekCurrent:
		pos = cur + off
	case io.SeekEnd:
		pos = size + off
	default:
		return 0, fmt.Errorf("castore: bad whence %d", whence)
	}
	if pos < 0 {
		return 0, fmt.Errorf("castore: seek to negative offset %d", pos)
	}
	return pos, nil
}

// reader serves a chunked blob, loading and verifying one chunk at a time.
// While chunks are loaded in order from the first, it also hashes them into
// the whole-blob digest, and checks that before handing out the last chunk,
// so a sequential read also catches a manifest that does not add up to the
// blob.
type reader struct {
	ctx    context.Context
	store  Store
	blob   castore.Digest
	chunks []castore.ChunkMeta
	starts []int64 // starts[i] is the offset of chunk i; starts[len] the size
	pos    int64

	cur int    // index of the chunk in buf, or -1
	buf []byte // its verified bytes

	whole    *blake3.Hasher
	nextHash int // the chunk whole expects next; -1 once the order broke
}

func newReader(ctx context.Context, store Store, blob castore.Digest, chunks []castore.ChunkMeta) (*reader, error) {
	starts := make([]int64, len(chunks)+1)
	var off uint64
	for i, c := range chunks {
		off += c.Size
		if off < c.Size || off > 1<<62 || c.Size == 0 {
			return nil, fmt.Errorf("blob %s: %w: bad manifest (chunk %d of size %d)", blob, castore.ErrCorrupt, i, c.Size)
		}
		starts[i+1] = int64(off)
	}
	r := &reader{ctx: ctx, store: store, blob: blob, chunks: chunks, starts: starts, cur: -1}
	if trustsManifests(store) {
		r.nextHash = -1 << 62
	} else {
		r.whole = blake3.New()
	}
	return r, nil
}

func (r *reader) size() int64 { return r.starts[len(r.chunks)] }

// load makes chunk i the current one, reading and verifying it.
func (r *reader) load(i int) error {
	if r.cur == i {
		return nil
	}
	data, err := r.fetch(i, r.buf[:0])
	if err != nil {
		return err
	}
	r.cur, r.buf = i, data
	return nil
}

// fetch appends chunk i to buf, verified, and returns the result.
func (r *reader) fetch(i int, buf []byte) ([]byte, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	c := r.chunks[i]
	data, err := r.store.ReadChunk(r.ctx, c.Digest, buf)
	if err != nil {
		if errors.Is(err, castore.ErrNotFound) {
			return nil, fmt.Errorf("blob %s: chunk %d (%s) is missing: %w", r.blob, i, c.Digest, err)
		}
		return nil, fmt.Errorf("blob %s: chunk %d: %w", r.blob, i, err)
	}
	data = data[len(buf):]
	if uint64(len(data)) != c.Size || castore.Digest(blake3.Sum256(data)) != c.Digest {
		return nil, fmt.Errorf("blob %s: %w: chunk %d (%s) does not match its digest", r.blob, castore.ErrCorrupt, i, c.Digest)
	}
	if r.nextHash == i {
		r.whole.Write(data)
		r.nextHash++
		if r.nextHash == len(r.chunks) {
			var got castore.Digest
			r.whole.Sum(got[:0])
			if got != r.blob {
				return nil, fmt.Errorf("blob %s: %w: its chunks hash to %s", r.blob, castore.ErrCorrupt, got)
			}
		}
	} else if i > r.nextHash {
		r.nextHash = -1 << 62 // skipped ahead: the whole-blob check is off for good
	}
	return data, nil
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt reads from off, loading the chunks the range covers. It moves the
// current chunk, so it is not safe for concurrent use.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("castore: negative offset")
	}
	total := 0
	for len(p) > 0 {
		if off >= r.size() {
			return total, io.EOF
		}
		i := sort.Search(len(r.chunks), func(i int) bool { return r.starts[i+1] > off })
		if size := int(r.chunks[i].Size); off == r.starts[i] && len(p) >= size && r.cur != i {
			// p takes the whole chunk: read it straight into p,
			// sparing a copy through the reader's buffer.
			data, err := r.fetch(i, p[:0:size])
			if err != nil {
				return total, err
			}
			if &data[0] != &p[0] {
				copy(p, data) // the store used a buffer of its own
			}
			p = p[size:]
			off += int64(size)
			total += size
			continue
		}
		if err := r.load(i); err != nil {
			return total, err
		}
		n := copy(p, r.buf[off-r.starts[i]:])
		p = p[n:]
		off += int64(n)
		total += n
	}
	return total, nil
}

// WriteTo writes the rest of the blob to w a verified chunk at a time.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.pos < r.size() {
		i := sort.Search(len(r.chunks), func(i int) bool { return r.starts[i+1] > r.pos })
		if err := r.load(i); err != nil {
			return total, err
		}
		n, err := w.Write(r.buf[r.pos-r.starts[i]:])
		r.pos += int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (r *reader) Seek(off int64, whence int) (int64, error) {
	pos, err := seekPos(r.pos, r.size(), off, whence)
	if err != nil {
		return r.pos, err
	}
	r.pos = pos
	return pos, nil
}

func (r *reader) Close() error { r.buf = nil; r.cur = -1; return nil }
