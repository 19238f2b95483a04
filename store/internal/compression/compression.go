// Package compression maps the compression names of Nix binary caches
// ("none", "xz", "zstd", "bzip2") and their file extensions to readers and
// writers.
package compression

import (
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// FromExtension returns the compression a NAR file name's extension
// (after ".nar") stands for: "" is none.
func FromExtension(ext string) (string, bool) {
	switch ext {
	case "":
		return "none", true
	case ".xz":
		return "xz", true
	case ".zst":
		return "zstd", true
	case ".bz2":
		return "bzip2", true
	}
	return "", false
}

// Extension returns the file name extension Nix gives a NAR compressed
// with the named method.
func Extension(compression string) string {
	switch compression {
	case "xz":
		return ".xz"
	case "zstd":
		return ".zst"
	case "bzip2":
		return ".bz2"
	}
	return ""
}

// NewReader returns a reader decompressing r with the named method. The
// empty name means bzip2, as in narinfo files where Nix 2.8 reads a missing
// Compression that way.
func NewReader(compression string, r io.Reader) (io.ReadCloser, error) {
	switch compression {
	case "none":
		return io.NopCloser(r), nil
	case "xz":
		xr, err := xz.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return io.NopCloser(xr), nil
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	case "bzip2", "":
		return io.NopCloser(bzip2.NewReader(r)), nil
	}
	return nil, fmt.Errorf("unsupported compression %q", compression)
}

// NewWriter returns a writer compressing into w with the named method
// (none, xz or zstd). Closing it finishes the stream but does not close w.
func NewWriter(compression string, w io.Writer) (io.WriteCloser, error) {
	switch compression {
	case "none":
		return nopWriteCloser{w}, nil
	case "xz":
		xw, err := xz.NewWriter(w)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return xw, nil
	case "zstd":
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zw, nil
	}
	return nil, fmt.Errorf("cannot compress with %q", compression)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
