package castoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/govix/govix/castore"
)

// RandomBytes returns n deterministic pseudo-random bytes.
func RandomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// RunBlobs checks a BlobService.
func RunBlobs(t *testing.T, newStore Factory) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", []byte("Hello World!")},
		{"one-byte", []byte{1}},
		{"64KiB", RandomBytes(1, 64<<10)},
		{"1MiB", RandomBytes(2, 1<<20)},
		{"large", RandomBytes(3, 7<<20+12345)},
		{"zeros", make([]byte, 3<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, s := open(t, newStore)
			want := castore.Sum(tc.data)
			d, n, err := s.Blobs.Put(ctx, bytes.NewReader(tc.data))
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if d != want || n != uint64(len(tc.data)) {
				t.Fatalf("Put = %s, %d; want %s, %d", d, n, want, len(tc.data))
			}
			checkBlob(t, s, d, tc.data)
			// Putting again gives the same answer.
			d2, n2, err := s.Blobs.Put(ctx, iotestHalfReader(tc.data))
			if err != nil || d2 != d || n2 != n {
				t.Fatalf("second Put = %s, %d, %v", d2, n2, err)
			}
			checkBlob(t, s, d, tc.data)
		})
	}

	t.Run("empty-digest", func(t *testing.T) {
		ctx, s := open(t, newStore)
		d, _, err := s.Blobs.Put(ctx, bytes.NewReader(nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Hex(); got != "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262" {
			t.Errorf("empty blob digest %s", got)
		}
	})

	t.Run("missing", func(t *testing.T) {
		ctx, s := open(t, newStore)
		d := castore.Sum([]byte("not stored"))
		if ok, err := s.Blobs.Has(ctx, d); ok || err != nil {
			t.Errorf("Has = %v, %v; want false, nil", ok, err)
		}
		if _, err := s.Blobs.Open(ctx, d); !errors.Is(err, castore.ErrNotFound) {
			t.Errorf("Open error %v, want ErrNotFound", err)
		}
		if _, err := s.Blobs.Chunks(ctx, d); !errors.Is(err, castore.ErrNotFound) {
			t.Errorf("Chunks error %v, want ErrNotFound", err)
		}
	})

	t.Run("ranges", func(t *testing.T) {
		ctx, s := open(t, newStore)
		data := RandomBytes(4, 5<<20+77)
		d, _, err := s.Blobs.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Blobs.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if end, err := r.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
			t.Fatalf("Seek(0, End) = %d, %v; want %d", end, err, len(data))
		}
		rng := rand.New(rand.NewPCG(5, 6))
		for i := 0; i < 200; i++ {
			off := rng.Int64N(int64(len(data)) + 10)
			n := rng.IntN(3 << 20)
			if i%3 == 0 {
				n = rng.IntN(100)
			}
			if pos, err := r.Seek(off, io.SeekStart); err != nil || pos != off {
				t.Fatalf("Seek(%d) = %d, %v", off, pos, err)
			}
			buf := make([]byte, n)
			got, err := io.ReadFull(r, buf)
			wantN := max(0, min(n, len(data)-int(off)))
			if got != wantN {
				t.Fatalf("read %d bytes at %d: got %d (%v), want %d", n, off, got, err, wantN)
			}
			if !bytes.Equal(buf[:got], data[min(int(off), len(data)):min(int(off), len(data))+got]) {
				t.Fatalf("read %d bytes at %d: wrong contents", n, off)
			}
		}
		// Relative seeks.
		r.Seek(100, io.SeekStart)
		if pos, _ := r.Seek(-50, io.SeekCurrent); pos != 50 {
			t.Errorf("Seek(-50, Current) from 100 = %d", pos)
		}
		if pos, _ := r.Seek(-10, io.SeekEnd); pos != int64(len(data))-10 {
			t.Errorf("Seek(-10, End) = %d", pos)
		}
		if _, err := r.Seek(-1, io.SeekStart); err == nil {
			t.Errorf("Seek(-1) succeeded")
		}
	})

	t.Run("similar-share-chunks", func(t *testing.T) {
		ctx, s := open(t, newStore)
		a := RandomBytes(7, 8<<20)
		b := bytes.Clone(a)
		copy(b[4<<20:], "a change in the middle")
		da, _, err := s.Blobs.Put(ctx, bytes.NewReader(a))
		if err != nil {
			t.Fatal(err)
		}
		db, _, err := s.Blobs.Put(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		ca, err := s.Blobs.Chunks(ctx, da)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := s.Blobs.Chunks(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(ca) == 0 {
			t.Skip("backend does not chunk")
		}
		shared := map[castore.Digest]bool{}
		for _, c := range ca {
			shared[c.Digest] = true
		}
		n := 0
		for _, c := range cb {
			if shared[c.Digest] {
				n++
			}
		}
		if n < len(cb)-2 {
			t.Errorf("only %d of %d chunks shared after a one-place change", n, len(cb))
		}
	})

	t.Run("reader-error", func(t *testing.T) {
		ctx, s := open(t, newStore)
		boom := errors.New("boom")
		_, _, err := s.Blobs.Put(ctx, io.MultiReader(bytes.NewReader(RandomBytes(8, 3<<20)), errReader{boom}))
		if !errors.Is(err, boom) {
			t.Errorf("Put error %v, want the reader's", err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		ctx, s := open(t, newStore)
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for i := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Overlapping contents: 8 distinct blobs, each put 4 times.
				data := RandomBytes(uint64(100+i%8), 100<<10*(i%8))
				d, _, err := s.Blobs.Put(ctx, bytes.NewReader(data))
				if err == nil && d != castore.Sum(data) {
					err = fmt.Errorf("digest %s, want %s", d, castore.Sum(data))
				}
				if err == nil {
					err = readBack(ctx, s, d, data)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// iotestHalfReader returns a reader that hands out data in small, uneven
// pieces, to check that Put does not depend on how reads are split.
func iotestHalfReader(data []byte) io.Reader {
	return &unevenReader{data: data}
}

type unevenReader struct {
	data []byte
	n    int
}

func (r *unevenReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.n++
	k := min(len(p), len(r.data), 1+(r.n*7919)%65536)
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func readBack(ctx context.Context, s *castore.Store, d castore.Digest, data []byte) error {
	r, err := s.Blobs.Open(ctx, d)
	if err != nil {
		return err
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("blob %s: read back %d bytes, differing from the %d put", d, len(got), len(data))
	}
	return nil
}

func checkBlob(t *testing.T, s *castore.Store, d castore.Digest, data []byte) {
	t.Helper()
	ctx := t.Context()
	if ok, err := s.Blobs.Has(ctx, d); !ok || err != nil {
		t.Fatalf("Has = %v, %v", ok, err)
	}
	if err := readBack(ctx, s, d, data); err != nil {
		t.Fatal(err)
	}
	chunks, err := s.Blobs.Chunks(ctx, d)
	if err != nil {
		t.Fatalf("Chunks: %v", err)
	}
	var off uint64
	for i, c := range chunks {
		if c.Size == 0 {
			t.Fatalf("chunk %d is empty", i)
		}
		end := off + c.Size
		if end > uint64(len(data)) {
			t.Fatalf("chunks add up to more than the blob's %d bytes", len(data))
		}
		if castore.Sum(data[off:end]) != c.Digest {
			t.Fatalf("chunk %d (%s) does not hash to its digest", i, c.Digest)
		}
		if ok, err := s.Blobs.Has(ctx, c.Digest); !ok || err != nil {
			t.Fatalf("Has(chunk %d) = %v, %v", i, ok, err)
		}
		if i == 0 || i == len(chunks)-1 {
			if err := readBack(ctx, s, c.Digest, data[off:end]); err != nil {
				t.Fatalf("chunk %d: %v", i, err)
			}
		}
		off = end
	}
	if len(chunks) > 0 && off != uint64(len(data)) {
		t.Fatalf("chunks add up to %d bytes, blob has %d", off, len(data))
	}
}
