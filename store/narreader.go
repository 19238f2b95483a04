package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

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
	// stored, if set, is where WriteTo copies blobs from (see ServeNAR).
	stored StoredBlobs
	l      *narLayout
	pos    uint64

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

// WriteTo writes the NAR from the current offset to the end to w. Blobs
// are read (and verified) ahead by a few goroutines while earlier bytes
// are written, within a bounded amount of memory, so writing a NAR uses
// more than one core.
func (r *NARReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	// Finish the segment the offset is in with plain reads.
	if r.pos < r.l.size {
		i := r.l.find(r.pos)
		if s := &r.l.segs[i]; r.pos != s.off {
			buf := make([]byte, 64<<10)
			for end := s.off + s.size; r.pos < end; {
				n, err := r.Read(buf[:min(uint64(len(buf)), end-r.pos)])
				m, werr := w.Write(buf[:n])
				total += int64(m)
				if err != nil {
					return total, err
				}
				if werr != nil {
					return total, werr
				}
			}
		}
	}
	if r.pos >= r.l.size {
		return total, nil
	}
	r.closeBlob()
	write := r.writeSegments
	if r.stored != nil {
		write = r.writeStored
	}
	n, err := write(w, r.l.find(r.pos))
	total += n
	r.pos += uint64(n)
	return total, err
}

// A blobRead is one blob being read ahead: its pieces arrive in order on
// ch, which is closed after the last one (err is then set on failure).
type blobRead struct {
	seg *segment
	ch  chan []byte
	err error
}

const (
	readAheadWorkers = 3
	readAheadBlobs   = 16      // blobs queued ahead of the writer
	readAheadPiece   = 1 << 20 // bytes per piece
	readAheadPieces  = 4       // pieces buffered per blob
)

// writeSegments writes segments from index first to the end.
func (r *NARReader) writeSegments(w io.Writer, first int) (int64, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	order := make(chan *blobRead, readAheadBlobs) // in NAR order, for the writer
	work := make(chan *blobRead, readAheadBlobs)  // for the readers
	var wg sync.WaitGroup
	for range readAheadWorkers {
		wg.Go(func() {
			for br := range work {
				br.err = r.readBlob(ctx, br)
				close(br.ch)
			}
		})
	}
	go func() {
		defer close(work)
		defer close(order)
		for i := first; i < len(r.l.segs); i++ {
			s := &r.l.segs[i]
			br := &blobRead{seg: s}
			if s.lit < 0 {
				br.ch = make(chan []byte, readAheadPieces)
			}
			select {
			case order <- br:
			case <-ctx.Done():
				return
			}
			if s.lit < 0 {
				select {
				case work <- br:
				case <-ctx.Done():
					close(br.ch)
					return
				}
			}
		}
	}()
	defer wg.Wait()
	// Framing and small files come in pieces of a few bytes to a few
	// kilobytes: gather them into large writes.
	bw := bufio.NewWriterSize(w, 256<<10)
	var total int64
	write := func(p []byte) error {
		n, err := bw.Write(p)
		total += int64(n)
		return err
	}
	for br := range order {
		s := br.seg
		if s.lit >= 0 {
			if err := write(r.l.lit[s.lit : s.lit+int64(s.size)]); err != nil {
				return total - int64(bw.Buffered()), err
			}
			continue
		}
		var got uint64
		for piece := range br.ch {
			got += uint64(len(piece))
			err := write(piece)
			putPiece(piece)
			if err != nil {
				return total - int64(bw.Buffered()), err
			}
		}
		if br.err != nil {
			return total, br.err
		}
		if got != s.size {
			return total, fmt.Errorf("blob %s: %w: read %d of %d bytes", s.digest, ErrCorrupt, got, s.size)
		}
	}
	if err := ctx.Err(); err != nil {
		return total - int64(bw.Buffered()), err
	}
	if err := bw.Flush(); err != nil {
		return total - int64(bw.Buffered()), err
	}
	return total, nil
}

// pieces recycles read-ahead buffers.
var pieces = sync.Pool{New: func() any { b := make([]byte, readAheadPiece); return &b }}

func getPiece(n uint64) []byte {
	b := *pieces.Get().(*[]byte)
	return b[:n]
}

func putPiece(b []byte) {
	if cap(b) == readAheadPiece {
		b = b[:cap(b)]
		pieces.Put(&b)
	}
}

// readBlob reads one blob in pieces, checking its length.
func (r *NARReader) readBlob(ctx context.Context, br *blobRead) error {
	s := br.seg
	f, err := r.blobs.Open(ctx, s.digest)
	if err != nil {
		return fmt.Errorf("rendering NAR: %w", err)
	}
	defer f.Close()
	var got uint64
	for got < s.size {
		piece := getPiece(min(readAheadPiece, s.size-got))
		n, err := io.ReadFull(f, piece)
		got += uint64(n)
		if n > 0 {
			select {
			case br.ch <- piece[:n]:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("blob %s: %w: shorter than the %d bytes its file node says", s.digest, ErrCorrupt, s.size)
		}
		if err != nil {
			return fmt.Errorf("blob %s: %w", s.digest, err)
		}
	}
	var one [1]byte
	if m, _ := f.Read(one[:]); m > 0 {
		return fmt.Errorf("blob %s: %w: longer than the %d bytes its file node says", s.digest, ErrCorrupt, s.size)
	}
	return nil
}
