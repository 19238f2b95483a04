package wire

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// allocStep is how much a reader reserves at once for a string whose bytes
// have not arrived yet. Strings up to this size are allocated in one go;
// longer ones grow as they are read, so a peer claiming a huge length and
// then sending nothing costs at most this much.
const allocStep = 64 << 10

// Reader reads protocol primitives from a stream. It does not buffer: wrap
// a network connection or file in a bufio.Reader first. It counts the bytes
// it consumed (Offset), which archive readers use for error positions.
//
// At the very start of a value, the end of the stream is reported as io.EOF;
// in the middle of one it is io.ErrUnexpectedEOF.
type Reader struct {
	r   io.Reader
	off int64
	buf [8]byte
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

// readFull is io.ReadFull that counts and reports a clean end of stream at
// the start as io.EOF.
func (r *Reader) readFull(p []byte) error {
	n, err := io.ReadFull(r.r, p)
	r.off += int64(n)
	return err
}

// ReadUint64 reads a little-endian 64-bit integer.
func (r *Reader) ReadUint64() (uint64, error) {
	if err := r.readFull(r.buf[:]); err != nil {
		return 0, err
	}
	return uint64(r.buf[0]) | uint64(r.buf[1])<<8 | uint64(r.buf[2])<<16 | uint64(r.buf[3])<<24 |
		uint64(r.buf[4])<<32 | uint64(r.buf[5])<<40 | uint64(r.buf[6])<<48 | uint64(r.buf[7])<<56, nil
}

// ReadBool reads a boolean, an integer that must be 0 or 1.
func (r *Reader) ReadBool() (bool, error) {
	n, err := r.ReadUint64()
	if err != nil {
		return false, err
	}
	switch n {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("%w: %d", ErrBadBool, n)
}

// ReadBytes reads a byte string of at most max bytes.
func (r *Reader) ReadBytes(max uint64) ([]byte, error) {
	return r.ReadBytesTo(nil, max)
}

// ReadBytesTo reads a byte string of at most max bytes into dst's storage
// (from dst[:0]), growing it if needed, and returns the result. Reusing one
// buffer avoids an allocation per string in hot loops.
func (r *Reader) ReadBytesTo(dst []byte, max uint64) ([]byte, error) {
	n, err := r.ReadUint64()
	if err != nil {
		return dst[:0], err
	}
	if n > max {
		return dst[:0], tooLong("string", n, max)
	}
	dst, err = r.readN(dst[:0], n)
	if err != nil {
		return dst, noEOF(err)
	}
	return dst, noEOF(r.readPadding(n))
}

// readN appends exactly n bytes from the stream to dst, reserving memory
// only as bytes arrive once past allocStep.
func (r *Reader) readN(dst []byte, n uint64) ([]byte, error) {
	for n > 0 {
		step := min(n, allocStep)
		dst = slices.Grow(dst, int(step))
		start := len(dst)
		dst = dst[:start+int(step)]
		if err := r.readFull(dst[start:]); err != nil {
			return dst[:start], err
		}
		n -= step
	}
	return dst, nil
}

// ReadString reads a string of at most max bytes.
func (r *Reader) ReadString(max uint64) (string, error) {
	b, err := r.ReadBytesTo(nil, max)
	return string(b), err
}

// ReadStrings reads a list of at most maxCount strings of at most maxLen
// bytes each.
func (r *Reader) ReadStrings(maxCount, maxLen uint64) ([]string, error) {
	n, err := r.ReadUint64()
	if err != nil {
		return nil, err
	}
	if n > maxCount {
		return nil, fmt.Errorf("%w: list of %d strings, at most %d allowed", ErrTooLong, n, maxCount)
	}
	// Reserve no more than a small amount up front: the count is
	// the peer's claim, the strings are evidence.
	ss := make([]string, 0, min(n, 1024))
	var buf []byte
	for i := uint64(0); i < n; i++ {
		buf, err = r.ReadBytesTo(buf, maxLen)
		if err != nil {
			return nil, noEOF(err)
		}
		ss = append(ss, string(buf))
	}
	return ss, nil
}

// Read reads raw bytes from the stream, counting them: for contents whose
// length the caller read with ReadUint64 (and whose padding it then checks
// with ReadPadding).
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.off += int64(n)
	return n, err
}

// ReadPadding reads and checks the zero bytes that follow a string of n
// bytes whose contents the caller consumed itself.
func (r *Reader) ReadPadding(n uint64) error { return noEOF(r.readPadding(n)) }

func (r *Reader) readPadding(n uint64) error {
	p := Padding(n)
	if p == 0 {
		return nil
	}
	if err := r.readFull(r.buf[:p]); err != nil {
		return err
	}
	for _, c := range r.buf[:p] {
		if c != 0 {
			return ErrBadPadding
		}
	}
	return nil
}

// BytesReader reads the length of a byte string of at most max bytes and
// returns a reader for its contents, for strings too large to hold in
// memory. The contents must be read to the end (io.EOF) before the Reader
// is used again; the padding is checked when they are.
func (r *Reader) BytesReader(max uint64) (io.Reader, uint64, error) {
	n, err := r.ReadUint64()
	if err != nil {
		return nil, 0, err
	}
	if n > max {
		return nil, 0, tooLong("string", n, max)
	}
	return &bytesReader{r: r, size: n, left: n}, n, nil
}

type bytesReader struct {
	r          *Reader
	size, left uint64
	done       bool
	err        error
}

func (b *bytesReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left == 0 {
		if !b.done {
			b.done = true
			if err := b.r.readPadding(b.size); err != nil {
				b.err = noEOF(err)
				return 0, b.err
			}
		}
		return 0, io.EOF
	}
	if uint64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.r.Read(p)
	b.r.off += int64(n)
	b.left -= uint64(n)
	if err == io.EOF {
		if b.left > 0 {
			err = io.ErrUnexpectedEOF
		} else {
			err = nil
		}
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// noEOF turns a clean end of stream into an unexpected one: used once a
// value has started.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
