package chunked_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/chunked"
)

// mapStore is a chunked.Store whose contents tests can tamper with.
type mapStore struct {
	mu        sync.Mutex
	chunks    map[castore.Digest][]byte
	manifests map[castore.Digest][]castore.ChunkMeta
}

func newMapStore() *mapStore {
	return &mapStore{chunks: map[castore.Digest][]byte{}, manifests: map[castore.Digest][]castore.ChunkMeta{}}
}

func (m *mapStore) HasChunk(_ context.Context, d castore.Digest) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.chunks[d]
	return ok, nil
}

func (m *mapStore) ReadChunk(_ context.Context, d castore.Digest, buf []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.chunks[d]
	if !ok {
		return nil, castore.ErrNotFound
	}
	return append(buf, b...), nil
}

func (m *mapStore) WriteChunk(_ context.Context, d castore.Digest, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chunks[d] = bytes.Clone(data)
	return nil
}

func (m *mapStore) Manifest(_ context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.manifests[d]
	if !ok {
		return nil, castore.ErrNotFound
	}
	return c, nil
}

func (m *mapStore) WriteManifest(_ context.Context, d castore.Digest, c []castore.ChunkMeta) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.manifests[d] = c
	return nil
}

func TestConformance(t *testing.T) {
	castoretest.Run(t, func(*testing.T) *castore.Store {
		return castore.NewStore(chunked.New(newMapStore()), castore.NewDirectoryService(&memDirs{m: map[castore.Digest][]byte{}}), nil)
	})
}

type memDirs struct {
	mu sync.Mutex
	m  map[castore.Digest][]byte
}

func (s *memDirs) GetDirectory(_ context.Context, d castore.Digest) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.m[d]; ok {
		return b, nil
	}
	return nil, castore.ErrNotFound
}

func (s *memDirs) PutDirectories(_ context.Context, c []castore.EncodedDirectory) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range c {
		s.m[e.Digest] = e.Bytes
	}
	return nil
}

// readAll reads r with Read (not WriteTo) or with WriteTo.
func readAll(r io.Reader, writeTo bool) ([]byte, error) {
	var buf bytes.Buffer
	if writeTo {
		_, err := r.(io.WriterTo).WriteTo(&buf)
		return buf.Bytes(), err
	}
	_, err := io.Copy(&buf, struct{ io.Reader }{r})
	return buf.Bytes(), err
}

// TestLyingManifest: every chunk is genuine, but the manifest of A lists
// B's chunks. Reading A through must fail before B's last chunk is handed
// out.
func TestLyingManifest(t *testing.T) {
	for _, writeTo := range []bool{false, true} {
		t.Run(fmt.Sprint("writeTo=", writeTo), func(t *testing.T) {
			ctx := t.Context()
			st := newMapStore()
			s := chunked.New(st)
			a, b := castoretest.RandomBytes(1, 4<<20), castoretest.RandomBytes(2, 4<<20)
			da, _, _ := s.Put(ctx, bytes.NewReader(a))
			db, _, _ := s.Put(ctx, bytes.NewReader(b))
			st.manifests[da] = st.manifests[db]
			r, err := s.Open(ctx, da)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(r, writeTo)
			if !errors.Is(err, castore.ErrCorrupt) {
				t.Fatalf("read = %v, want ErrCorrupt", err)
			}
			last := st.manifests[db][len(st.manifests[db])-1]
			if len(got) > len(b)-int(last.Size) {
				t.Errorf("handed out %d bytes, past the start of the last chunk", len(got))
			}
		})
	}
}

func TestDamagedChunk(t *testing.T) {
	for _, writeTo := range []bool{false, true} {
		t.Run(fmt.Sprint("writeTo=", writeTo), func(t *testing.T) {
			ctx := t.Context()
			st := newMapStore()
			s := chunked.New(st)
			a := castoretest.RandomBytes(3, 4<<20)
			da, _, _ := s.Put(ctx, bytes.NewReader(a))
			c := st.manifests[da][2]
			st.chunks[c.Digest][7] ^= 1
			r, err := s.Open(ctx, da)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(r, writeTo)
			if !errors.Is(err, castore.ErrCorrupt) {
				t.Fatalf("read = %v, want ErrCorrupt", err)
			}
			if !bytes.Equal(got, a[:len(got)]) {
				t.Error("damaged bytes handed out")
			}
			// A range before the damage still reads.
			r.Seek(10, io.SeekStart)
			buf := make([]byte, 100)
			if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, a[10:110]) {
				t.Errorf("range before the damage: %v", err)
			}
			// A small blob is checked whole.
			ds, _, _ := s.Put(ctx, bytes.NewReader([]byte("small")))
			st.chunks[ds][0] = 'S'
			if _, err := s.Open(ctx, ds); !errors.Is(err, castore.ErrCorrupt) {
				t.Errorf("damaged small blob: %v", err)
			}
		})
	}
}

func BenchmarkPut(b *testing.B) {
	s := chunked.New(newMapStore())
	data := castoretest.RandomBytes(9, 32<<20)
	b.SetBytes(int64(len(data)))
	i := 0
	for b.Loop() {
		i++
		copy(data, fmt.Sprint(i))
		if _, _, err := s.Put(b.Context(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendBlob: a whole blob, small or chunked, is appended to the
// caller's buffer as Open would read it, into the buffer itself when it
// has room; damage is reported, not handed out.
func TestAppendBlob(t *testing.T) {
	ctx := t.Context()
	st := newMapStore()
	s := chunked.New(st)
	small := []byte("a small blob")
	large := castoretest.RandomBytes(4, 4<<20)
	ds, _, _ := s.Put(ctx, bytes.NewReader(small))
	dl, _, _ := s.Put(ctx, bytes.NewReader(large))
	for _, c := range []struct {
		name string
		d    castore.Digest
		want []byte
	}{{"small", ds, small}, {"chunked", dl, large}} {
		t.Run(c.name, func(t *testing.T) {
			buf := make([]byte, 3, 3+len(c.want))
			copy(buf, "pre")
			got, err := s.AppendBlob(ctx, c.d, buf)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, append([]byte("pre"), c.want...)) {
				t.Fatal("appended bytes differ from the blob")
			}
			if &got[0] != &buf[0] {
				t.Error("a buffer with room was not used")
			}
		})
	}
	if _, err := s.AppendBlob(ctx, castore.Sum([]byte("absent")), nil); !errors.Is(err, castore.ErrNotFound) {
		t.Errorf("absent blob: %v, want ErrNotFound", err)
	}
	st.chunks[ds][0] ^= 1
	if _, err := s.AppendBlob(ctx, ds, nil); !errors.Is(err, castore.ErrCorrupt) {
		t.Errorf("damaged small blob: %v, want ErrCorrupt", err)
	}
	st.chunks[st.manifests[dl][1].Digest][5] ^= 1
	if _, err := s.AppendBlob(ctx, dl, nil); !errors.Is(err, castore.ErrCorrupt) {
		t.Errorf("damaged chunk: %v, want ErrCorrupt", err)
	}
}

// TestReadAtRanges: ranges that cover whole chunks (read straight into
// the caller's buffer) and ranges that cut chunks read the same bytes, in
// any order.
func TestReadAtRanges(t *testing.T) {
	ctx := t.Context()
	st := newMapStore()
	s := chunked.New(st)
	data := castoretest.RandomBytes(5, 3<<20)
	d, _, _ := s.Put(ctx, bytes.NewReader(data))
	if len(st.manifests[d]) < 3 {
		t.Fatalf("blob of %d chunks, want several", len(st.manifests[d]))
	}
	r, err := s.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	ra := r.(io.ReaderAt)
	for _, c := range []struct{ off, n int }{
		{0, len(data)}, {0, 1 << 20}, {1 << 20, 1 << 20}, {5, 1 << 20}, {len(data) - 100, 100},
		{int(st.manifests[d][0].Size), int(st.manifests[d][1].Size)}, {0, 1}, {1, int(st.manifests[d][0].Size)},
	} {
		got := make([]byte, c.n)
		if _, err := ra.ReadAt(got, int64(c.off)); err != nil && err != io.EOF {
			t.Fatalf("ReadAt(%d, %d): %v", c.off, c.n, err)
		}
		if !bytes.Equal(got, data[c.off:c.off+c.n]) {
			t.Errorf("ReadAt(%d, %d) read other bytes", c.off, c.n)
		}
	}
}

// BenchmarkReadSequential reads a chunked blob as the FUSE server does
// for a large file: 1 MiB at a time, in order.
func BenchmarkReadSequential(b *testing.B) {
	s := chunked.New(newMapStore())
	data := castoretest.RandomBytes(6, 32<<20)
	d, _, err := s.Put(b.Context(), bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := s.Open(b.Context(), d)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := io.ReadFull(r, buf); err == io.EOF {
				break
			} else if err != nil && err != io.ErrUnexpectedEOF {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

// BenchmarkAppendBlob reads small blobs whole, as the FUSE server pushes
// them into the page cache.
func BenchmarkAppendBlob(b *testing.B) {
	s := chunked.New(newMapStore())
	var ds []castore.Digest
	for i := range 256 {
		d, _, err := s.Put(b.Context(), bytes.NewReader(castoretest.RandomBytes(uint64(i), 4<<10+i*97)))
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, d)
	}
	buf := make([]byte, 0, 64<<10)
	i := 0
	for b.Loop() {
		if _, err := s.AppendBlob(b.Context(), ds[i%len(ds)], buf[:0]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
