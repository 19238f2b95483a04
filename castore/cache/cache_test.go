package cache_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/cache"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/local"
	"github.com/govix/govix/castore/memory"
)

func TestConformance(t *testing.T) {
	t.Run("memory-over-memory", func(t *testing.T) {
		castoretest.Run(t, func(*testing.T) *castore.Store { return cache.New(memory.New(), memory.New()) })
	})
	t.Run("memory-over-local", func(t *testing.T) {
		castoretest.Run(t, func(t *testing.T) *castore.Store {
			far, err := local.Open(t.Context(), t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return cache.New(memory.New(), far.Castore())
		})
	})
}

// TestFillOnMiss checks that reads of what only far has are answered and
// copied into near.
func TestFillOnMiss(t *testing.T) {
	ctx := t.Context()
	near, far := memory.New(), memory.New()
	c := cache.New(near, far)
	data := castoretest.RandomBytes(1, 3<<20)
	d, _, err := far.Blobs.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fx := castoretest.Fixtures()
	p := far.Directories.NewPutter(ctx)
	p.Put(fx["A"])
	p.Put(fx["B"])
	p.Put(fx["D"])
	root, err := p.Close()
	if err != nil {
		t.Fatal(err)
	}

	if ok, _ := near.Blobs.Has(ctx, d); ok {
		t.Fatal("near has the blob before any read")
	}
	r, err := c.Blobs.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read through cache: %v", err)
	}
	if ok, _ := near.Blobs.Has(ctx, d); !ok {
		t.Error("blob not filled into near")
	}
	if _, err := castore.Closure(ctx, c.Directories, root); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"A", "B", "D"} {
		if _, err := near.Directories.Get(ctx, fx[n].Digest()); err != nil {
			t.Errorf("directory %s not filled into near: %v", n, err)
		}
	}
}

// TestFarLies checks that a far store serving the wrong bytes (against
// BlobService's rule that readers verify) is caught at the end of the read
// as near's Put finds another digest, and nothing is filled.
func TestFarLies(t *testing.T) {
	ctx := t.Context()
	far := memory.New()
	liar := castore.NewStore(lyingBlobs{far.Blobs}, far.Directories, nil)
	near := memory.New()
	c := cache.New(near, liar)
	d, _, err := far.Blobs.Put(ctx, bytes.NewReader([]byte("the truth")))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Blobs.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, castore.ErrCorrupt) {
		t.Errorf("reading = %v, want ErrCorrupt", err)
	}
	if ok, _ := near.Blobs.Has(ctx, d); ok {
		t.Errorf("near was filled with the lie")
	}
}

// TestFillStreams checks that a miss hands out the first bytes before the
// blob is complete in near, and that a read that stops early or seeks
// fills nothing while one read through fills near.
func TestFillStreams(t *testing.T) {
	ctx := t.Context()
	far, near := memory.New(), memory.New()
	c := cache.New(near, far)
	data := castoretest.RandomBytes(9, 5<<20)
	d, _, err := far.Blobs.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Blobs.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1000)
	if _, err := io.ReadFull(r, first); err != nil || !bytes.Equal(first, data[:1000]) {
		t.Fatalf("first bytes: %v", err)
	}
	if ok, _ := near.Blobs.Has(ctx, d); ok {
		t.Errorf("near holds the blob before it was read through")
	}
	r.Close()
	if ok, _ := near.Blobs.Has(ctx, d); ok {
		t.Errorf("a read abandoned early filled near")
	}
	r, err = c.Blobs.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if pos, err := r.Seek(0, io.SeekCurrent); pos != 0 || err != nil {
		t.Fatalf("Seek(0, current) = %d, %v", pos, err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read through: %v", err)
	}
	if ok, _ := near.Blobs.Has(ctx, d); !ok {
		t.Errorf("a read through did not fill near")
	}
}

type lyingBlobs struct{ castore.BlobService }

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

func (l lyingBlobs) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	if ok, _ := l.Has(ctx, d); !ok {
		return nil, castore.ErrNotFound
	}
	return nopCloser{bytes.NewReader([]byte("a lie"))}, nil
}
