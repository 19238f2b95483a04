package fsio_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/castore/local"
	"github.com/govix/govix/castore/memory"
)

// benchTree returns the tree to import: $GOVIX_BENCH_TREE if set (e.g. a
// GOROOT), else a generated one of 2000 small files and a few large ones.
func benchTree(b *testing.B) (string, int64) {
	if p := os.Getenv("GOVIX_BENCH_TREE"); p != "" {
		var size int64
		filepath.Walk(p, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				size += fi.Size()
			}
			return nil
		})
		return p, size
	}
	dir := b.TempDir()
	var size int64
	for i := range 2000 {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i%50))
		os.MkdirAll(sub, 0o755)
		data := castoretest.RandomBytes(uint64(i), 100+i*7)
		if i%500 == 0 {
			data = castoretest.RandomBytes(uint64(i), 4<<20)
		}
		os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d", i)), data, 0o644)
		size += int64(len(data))
	}
	return dir, size
}

func openLocal(b *testing.B) *castore.Store {
	s, err := local.Open(b.Context(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s.Castore()
}

// BenchmarkImport imports into a fresh store each time.
func BenchmarkImport(b *testing.B) {
	tree, size := benchTree(b)
	for _, backend := range []string{"memory", "local"} {
		b.Run(backend, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				b.StopTimer()
				s := memory.New()
				if backend == "local" {
					s = openLocal(b)
				}
				b.StartTimer()
				if _, err := fsio.Import(b.Context(), s, tree, nil); err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReimport imports a tree the store already holds.
func BenchmarkReimport(b *testing.B) {
	tree, size := benchTree(b)
	s := openLocal(b)
	if _, err := fsio.Import(b.Context(), s, tree, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		if _, err := fsio.Import(b.Context(), s, tree, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExport writes a stored tree out.
func BenchmarkExport(b *testing.B) {
	tree, size := benchTree(b)
	s := openLocal(b)
	root, err := fsio.Import(b.Context(), s, tree, nil)
	if err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	b.SetBytes(size)
	i := 0
	for b.Loop() {
		i++
		if err := fsio.Export(b.Context(), s, root, filepath.Join(out, fmt.Sprint(i)), nil); err != nil {
			b.Fatal(err)
		}
	}
}
