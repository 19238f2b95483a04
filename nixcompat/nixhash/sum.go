package nixhash

import (
	"hash"
	"io"
)

// Sum returns the hash of data with algorithm a.
func Sum(a Algorithm, data []byte) Hash {
	h := Hash{algo: a}
	hh := a.New()
	hh.Write(data)
	hh.Sum(h.digest[:0])
	return h
}

// SumString is Sum for a string, like Nix's hashString.
func SumString(a Algorithm, s string) Hash {
	h := Hash{algo: a}
	hh := a.New()
	io.WriteString(hh, s)
	hh.Sum(h.digest[:0])
	return h
}

// SumReader hashes everything r yields and returns the hash and the number
// of bytes read.
func SumReader(a Algorithm, r io.Reader) (Hash, int64, error) {
	w := NewWriter(a)
	n, err := io.Copy(w, r)
	if err != nil {
		return Hash{}, n, err
	}
	return w.Sum(), n, nil
}

// Writer is an io.Writer that hashes what is written to it and counts the
// bytes, like Nix's HashSink.
type Writer struct {
	algo Algorithm
	h    hash.Hash
	n    int64
}

// NewWriter returns a Writer for algorithm a. It panics if a is not valid.
func NewWriter(a Algorithm) *Writer {
	return &Writer{algo: a, h: a.New()}
}

// Write hashes p; it never fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return w.h.Write(p)
}

// Sum returns the hash of what has been written so far; more may be
// written afterwards.
func (w *Writer) Sum() Hash {
	h := Hash{algo: w.algo}
	w.h.Sum(h.digest[:0])
	return h
}

// Len returns the number of bytes written.
func (w *Writer) Len() int64 { return w.n }

// Reset forgets everything written.
func (w *Writer) Reset() {
	w.h.Reset()
	w.n = 0
}
