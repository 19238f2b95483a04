package store_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/store"
)

// benchNAR is the NAR of a tree like a package: many small files and a
// few large ones, 64 MiB in all.
func benchNAR(b *testing.B) []byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	var buf bytes.Buffer
	w := nar.NewWriter(&buf)
	w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeDirectory})
	total := 0
	for i := 0; total < 64<<20; i++ {
		size := 1 + rng.IntN(32<<10)
		if i%100 == 0 {
			size = 4 << 20
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		w.WriteHeader(&nar.Header{Path: fmt.Sprintf("/f%06d", i), Type: nar.TypeRegular, Size: int64(size)})
		w.Write(data)
		total += size
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkIngestNAR(b *testing.B) {
	data := benchNAR(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		cas := cmemory.New()
		if _, err := store.IngestNAR(context.Background(), cas.Blobs, cas.Directories, bytes.NewReader(data), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderNAR(b *testing.B) {
	data := benchNAR(b)
	cas := cmemory.New()
	res, err := store.IngestNAR(context.Background(), cas.Blobs, cas.Directories, bytes.NewReader(data), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := store.NewNARReader(context.Background(), cas.Blobs, cas.Directories, res.Node)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

func BenchmarkRenderNARRead(b *testing.B) {
	data := benchNAR(b)
	cas := cmemory.New()
	res, err := store.IngestNAR(context.Background(), cas.Blobs, cas.Directories, bytes.NewReader(data), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 32<<10)
	for b.Loop() {
		r, err := store.NewNARReader(context.Background(), cas.Blobs, cas.Directories, res.Node)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
