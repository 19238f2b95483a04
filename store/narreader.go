package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/govix/govix/castore"
)

// NARReader renders the NAR of a castore node. It reads, seeks and writes
// itself to a writer (io.Copy uses that); a read of a byte range opens
// only the blobs that the range covers. Its output is byte-identical to
// what Nix's nix-store --dump gives for the same tree.
//
// A NARReader is not safe for concurrent use.
type NARReader struct {
	ctx   context.Context
	blobs castore.BlobService
	l     *narLayout
	pos   uint64

	// The blob being read: the segment it belongs to and the reader's
	// position in the blob.
	cur   int
	br    io.ReadSeekCloser
	brPos uint64
}

// NewNARReader computes the NAR layout of n (fetching its directories, but
// no file contents) and returns a reader of its NAR.
func NewNARReader(ctx context.Context, blobs castore.BlobService, dirs castore.DirectoryService, n castore.Node) (*NARReader, error) {
	l, err := computeLayout(ctx, dirs, n, false)
	if err != nil {
		return nil, fmt.Errorf("rendering NAR: %w", err)
	}
	return &NARReader{ctx: ctx, blobs: blobs, l: l, cur: -1}, nil
}

// Size returns the NAR's size in bytes.
func (r *NARReader) Size() int64 { return int64(r.l.size) }

// Seek sets the offset of the next Read.
func (r *NARReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = int64(r.pos) + offset
	case io.SeekEnd:
		abs = int64(r.l.size) + offset
	default:
		return 0, errors.New("store: NAR reader: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("store: NAR reader: seek to a negative offset")
	}
	r.pos = uint64(abs)
	return abs, nil
}

// Read reads NAR bytes from the current offset.
func (r *NARReader) Read(p []byte) (int, error) {
	if r.pos >= r.l.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.pos < r.l.size {
		m, err := r.readSeg(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// readSeg reads from the segment holding r.pos.
func (r *NARReader) readSeg(p []byte) (int, error) {
	i := r.l.find(r.pos)
	s := &r.l.segs[i]
	within := r.pos - s.off
	avail := s.size - within
	if uint64(len(p)) > avail {
		p = p[:avail]
	}
	if s.lit >= 0 {
		n := copy(p, r.l.lit[s.lit+int64(within):])
		r.pos += uint64(n)
		return n, nil
	}
	if err := r.openBlob(i, within); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(r.br, p)
	r.brPos += uint64(n)
	r.pos += uint64(n)
	if err != nil {
		r.closeBlob()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, fmt.Errorf("blob %s: %w: shorter than the %d bytes its file node says", s.digest, ErrCorrupt, s.size)
		}
		return n, fmt.Errorf("blob %s: %w", s.digest, err)
	}
	if r.brPos == s.size {
		// The whole blob was read: check it ends here.
		var one [1]byte
		m, err := r.br.Read(one[:])
		r.closeBlob()
		if m > 0 {
			return n, fmt.Errorf("blob %s: %w: longer than the %d bytes its file node says", s.digest, ErrCorrupt, s.size)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return n, fmt.Errorf("blob %s: %w", s.digest, err)
		}
	}
	return n, nil
}

func (r *NARReader) openBlob(i int, within uint64) error {
	if r.cur != i {
		r.closeBlob()
		br, err := r.blobs.Open(r.ctx, r.l.segs[i].digest)
		if err != nil {
			return fmt.Errorf("rendering NAR: %w", err)
		}
		r.cur, r.br, r.brPos = i, br, 0
	}
	if r.brPos != within {
		if _, err := r.br.Seek(int64(within), io.SeekStart); err != nil {
			r.closeBlob()
			return fmt.Errorf("blob %s: %w", r.l.segs[i].digest, err)
		}
		r.brPos = within
	}
	return nil
}

func (r *NARReader) closeBlob() {
	if r.br != nil {
		r.br.Close()
		r.br = nil
	}
	r.cur = -1
}

// Close releases the blob being read.
func (r *NARReader) Close() error {
	r.closeBlob()
	return nil
}

// WriteTo writes the NAR from the current offset to the end to w.
func (r *NARReader) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 256<<10)
	var total int64
	for r.pos < r.l.size {
		n, err := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
