package wire

import (
	"errors"
	"fmt"
	"io"
)

// flushAt is the buffered size at which a Writer passes its bytes on.
const flushAt = 32 << 10

// Writer writes protocol primitives to a stream. It buffers small values;
// call Flush before waiting for the peer's answer. The first error sticks:
// every later call returns it.
type Writer struct {
	w   io.Writer
	buf []byte
	err error
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (w *Writer) maybeFlush() error {
	if len(w.buf) >= flushAt {
		return w.Flush()
	}
	return w.err
}

// Flush writes any buffered bytes to the underlying stream.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		_, w.err = w.w.Write(w.buf)
		w.buf = w.buf[:0]
	}
	return w.err
}

// WriteUint64 writes a little-endian 64-bit integer.
func (w *Writer) WriteUint64(n uint64) error {
	w.buf = AppendUint64(w.buf, n)
	return w.maybeFlush()
}

// WriteBool writes a boolean as 1 or 0.
func (w *Writer) WriteBool(b bool) error {
	w.buf = AppendBool(w.buf, b)
	return w.maybeFlush()
}

// WriteString writes a length-prefixed, zero-padded string.
func (w *Writer) WriteString(s string) error {
	if len(s) >= flushAt {
		if err := w.WriteUint64(uint64(len(s))); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if _, err := io.WriteString(w.w, s); err != nil {
			w.err = err
			return err
		}
		w.buf = append(w.buf, zeros[:Padding(uint64(len(s)))]...)
		return nil
	}
	w.buf = AppendString(w.buf, s)
	return w.maybeFlush()
}

// WriteBytes writes a length-prefixed, zero-padded byte string.
func (w *Writer) WriteBytes(b []byte) error {
	if len(b) >= flushAt {
		if err := w.WriteUint64(uint64(len(b))); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if _, err := w.w.Write(b); err != nil {
			w.err = err
			return err
		}
		w.buf = append(w.buf, zeros[:Padding(uint64(len(b)))]...)
		return nil
	}
	w.buf = AppendBytes(w.buf, b)
	return w.maybeFlush()
}

// WriteStrings writes a list of strings: their number, then each string.
func (w *Writer) WriteStrings(ss []string) error {
	if err := w.WriteUint64(uint64(len(ss))); err != nil {
		return err
	}
	for _, s := range ss {
		if err := w.WriteString(s); err != nil {
			return err
		}
	}
	return nil
}

// ErrShortWrite is returned by the writer from BytesWriter when it is
// closed before, or written past, the length it announced.
var ErrShortWrite = errors.New("wire: byte string length does not match what was announced")

// BytesWriter writes the length n of a byte string and returns a writer for
// its contents, for strings too large to hold in memory. Exactly n bytes
// must be written to it before it is closed; Close writes the padding.
func (w *Writer) BytesWriter(n uint64) (io.WriteCloser, error) {
	if err := w.WriteUint64(n); err != nil {
		return nil, err
	}
	return &bytesWriter{w: w, size: n, left: n}, nil
}

type bytesWriter struct {
	w          *Writer
	size, left uint64
}

func (b *bytesWriter) Write(p []byte) (int, error) {
	if uint64(len(p)) > b.left {
		return 0, fmt.Errorf("%w: %d bytes over", ErrShortWrite, uint64(len(p))-b.left)
	}
	if b.w.err != nil {
		return 0, b.w.err
	}
	if len(p) >= flushAt {
		if err := b.w.Flush(); err != nil {
			return 0, err
		}
		n, err := b.w.w.Write(p)
		b.left -= uint64(n)
		if err != nil {
			b.w.err = err
		}
		return n, err
	}
	b.w.buf = append(b.w.buf, p...)
	b.left -= uint64(len(p))
	return len(p), b.w.maybeFlush()
}

func (b *bytesWriter) Close() error {
	if b.left != 0 {
		return fmt.Errorf("%w: %d of %d bytes missing", ErrShortWrite, b.left, b.size)
	}
	b.w.buf = append(b.w.buf, zeros[:Padding(b.size)]...)
	return b.w.maybeFlush()
}
