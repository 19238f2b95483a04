package wire

import (
	"fmt"
	"io"
)

// Framed streams carry data of unknown length in the daemon protocol
// (worker protocol 1.23 and later): a sequence of frames, each a 64-bit
// length followed by that many bytes without padding, ended by an empty
// frame.

// FramedReader reads the data of a framed stream. Read returns io.EOF after
// the empty frame that ends it.
type FramedReader struct {
	r        *Reader
	maxFrame uint64
	left     uint64
	done     bool
	err      error
}

// NewFramedReader returns a reader of a framed stream read from r, which
// rejects frames longer than maxFrame bytes.
func NewFramedReader(r *Reader, maxFrame uint64) *FramedReader {
	return &FramedReader{r: r, maxFrame: maxFrame}
}

func (f *FramedReader) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	for f.left == 0 {
		if f.done {
			return 0, io.EOF
		}
		n, err := f.r.ReadUint64()
		if err != nil {
			f.err = noEOF(err)
			return 0, f.err
		}
		if n == 0 {
			f.done = true
			return 0, io.EOF
		}
		if n > f.maxFrame {
			f.err = fmt.Errorf("%w: frame of %d bytes, at most %d allowed", ErrTooLong, n, f.maxFrame)
			return 0, f.err
		}
		f.left = n
	}
	if uint64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.r.Read(p)
	f.r.off += int64(n)
	f.left -= uint64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		f.err = err
	}
	return n, err
}

// FramedWriter writes a framed stream: each Write becomes a frame (split
// into frames of at most the configured size). Close writes the empty frame
// that ends the stream; it does not flush the underlying Writer.
type FramedWriter struct {
	w        *Writer
	maxFrame int
}

// NewFramedWriter returns a writer of a framed stream onto w with frames of
// at most maxFrame bytes (at least 1).
func NewFramedWriter(w *Writer, maxFrame int) *FramedWriter {
	return &FramedWriter{w: w, maxFrame: max(maxFrame, 1)}
}

func (f *FramedWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), f.maxFrame)
		if err := f.w.WriteUint64(uint64(n)); err != nil {
			return written, err
		}
		if n >= flushAt {
			if err := f.w.Flush(); err != nil {
				return written, err
			}
			if _, err := f.w.w.Write(p[:n]); err != nil {
				f.w.err = err
				return written, err
			}
		} else {
			f.w.buf = append(f.w.buf, p[:n]...)
			if err := f.w.maybeFlush(); err != nil {
				return written, err
			}
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

// Close ends the stream with an empty frame.
func (f *FramedWriter) Close() error { return f.w.WriteUint64(0) }
