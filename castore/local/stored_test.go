package local_test

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
)

func TestOpenStored(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	blobs := map[string][]byte{
		"small": []byte("a small blob"),
		"large": castoretest.RandomBytes(5, 3<<20+17), // several chunks
	}
	for name, data := range blobs {
		t.Run(name, func(t *testing.T) {
			d := put(t, s, data)
			// Before and after the index entries are committed.
			for _, sync := range []bool{false, true} {
				if sync {
					if err := s.Sync(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				b, err := s.OpenStored(t.Context(), d)
				if err != nil {
					t.Fatal(err)
				}
				if b.Size() != int64(len(data)) {
					t.Fatalf("Size = %d, want %d", b.Size(), len(data))
				}
				got, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("whole blob: %v, equal %v", err, bytes.Equal(got, data))
				}
				for _, r := range [][2]int{{0, 1}, {3, 5}, {len(data) - 1, 1}, {len(data) / 3, len(data) / 2}} {
					p := make([]byte, r[1])
					if n, err := b.ReadAt(p, int64(r[0])); err != nil || n != r[1] || !bytes.Equal(p, data[r[0]:r[0]+r[1]]) {
						t.Errorf("ReadAt(%d bytes at %d) = %d, %v", r[1], r[0], n, err)
					}
				}
				p := make([]byte, 10)
				if n, err := b.ReadAt(p, int64(len(data))-4); n != 4 || err != io.EOF {
					t.Errorf("ReadAt past the end = %d, %v; want 4, EOF", n, err)
				}
			}
		})
	}
	if _, err := s.OpenStored(t.Context(), castore.Sum([]byte("absent"))); !errors.Is(err, castore.ErrNotFound) {
		t.Errorf("OpenStored of an absent blob: %v; want ErrNotFound", err)
	}
}

// A record header that does not name the blob (an index pointing at the
// wrong bytes) is refused.
func TestOpenStoredChecksHeader(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	d := put(t, s, []byte("a small blob"))
	s.Close()
	flipByte(t, filepath.Join(dir, "packs", "00000001.pack"), 8) // in the digest
	s = open(t, dir)
	defer s.Close()
	if _, err := s.OpenStored(t.Context(), d); !errors.Is(err, castore.ErrCorrupt) {
		t.Errorf("OpenStored with a damaged header: %v; want ErrCorrupt", err)
	}
}
