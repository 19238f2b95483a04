package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/store"
	slocal "github.com/govix/govix/store/local"
)

// ServeNAR over the embedded store (stored bytes, cached layouts) gives
// the bytes nix-store --dump gives, whole and from any offset, every time.
func TestServeNAR(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	makeTree(t, filepath.Join(root, "tree"))
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("a single file"), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := slocal.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Stored == nil {
		t.Fatal("the embedded store has no StoredBlobs")
	}
	for _, name := range []string{"tree", "file"} {
		t.Run(name, func(t *testing.T) {
			want := dumpNix(t, filepath.Join(root, name))
			res := ingest(t, st.Castore(), want)
			for _, off := range []int{0, 0, 1, 13, len(want) / 2, len(want) - 1, len(want)} {
				r, err := st.ServeNAR(ctx, res.Node)
				if err != nil {
					t.Fatal(err)
				}
				if r.Size() != int64(len(want)) {
					t.Fatalf("Size = %d, want %d", r.Size(), len(want))
				}
				if _, err := r.Seek(int64(off), io.SeekStart); err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				n, err := r.WriteTo(&got)
				r.Close()
				if err != nil || n != int64(len(want)-off) {
					t.Fatalf("WriteTo from %d = %d, %v", off, n, err)
				}
				if !bytes.Equal(got.Bytes(), want[off:]) {
					t.Fatalf("NAR from %d differs from nix-store --dump", off)
				}
			}
		})
	}
}

type failingWriter struct {
	n   int // bytes accepted before failing
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestServeNARErrors(t *testing.T) {
	ctx := context.Background()
	st, err := slocal.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root := t.TempDir()
	makeTree(t, root)
	res := ingest(t, st.Castore(), dumpNix(t, root))

	t.Run("writer fails", func(t *testing.T) {
		errBroken := errors.New("broken pipe")
		for _, after := range []int{0, 100, 600 << 10} {
			r, err := st.ServeNAR(ctx, res.Node)
			if err != nil {
				t.Fatal(err)
			}
			n, err := r.WriteTo(&failingWriter{n: after, err: errBroken})
			if !errors.Is(err, errBroken) || n != int64(after) {
				t.Errorf("WriteTo = %d, %v; want %d, %v", n, err, after, errBroken)
			}
		}
	})
	t.Run("missing blob", func(t *testing.T) {
		n := castore.FileNode(castore.Sum([]byte("nowhere")), 7, false)
		r, err := st.ServeNAR(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.WriteTo(io.Discard); !errors.Is(err, castore.ErrNotFound) {
			t.Errorf("WriteTo = %v, want ErrNotFound", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		r, err := st.ServeNAR(ctx, res.Node)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.WriteTo(io.Discard); !errors.Is(err, context.Canceled) {
			t.Errorf("WriteTo = %v, want context.Canceled", err)
		}
	})
}

// BenchmarkServeNAR writes a whole NAR from the embedded store as
// nar-bridge does, the stored bytes copied out of the packs.
func BenchmarkServeNAR(b *testing.B) {
	data := benchNAR(b)
	ctx := context.Background()
	st, err := slocal.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	res, err := store.IngestNAR(ctx, st.Blobs, st.Directories, bytes.NewReader(data), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := st.ServeNAR(ctx, res.Node)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
