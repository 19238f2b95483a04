package local_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/local"
	"github.com/govix/govix/castore/memory"
)

func benchStores(b *testing.B, f func(b *testing.B, s *castore.Store)) {
	b.Run("memory", func(b *testing.B) { f(b, memory.New()) })
	b.Run("local", func(b *testing.B) {
		ls, err := local.Open(b.Context(), b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ls.Close()
		f(b, ls.Castore())
	})
}

// BenchmarkPutBlob stores new blobs of several sizes.
func BenchmarkPutBlob(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 16 << 20} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			benchStores(b, func(b *testing.B, s *castore.Store) {
				data := castoretest.RandomBytes(1, size)
				b.SetBytes(int64(size))
				i := 0
				for b.Loop() {
					i++
					copy(data, fmt.Sprint(i)) // a new blob each time
					if _, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkReadBlob reads a stored blob from start to end, verifying it.
func BenchmarkReadBlob(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 16 << 20} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			benchStores(b, func(b *testing.B, s *castore.Store) {
				data := castoretest.RandomBytes(2, size)
				d, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size))
				buf := make([]byte, 1<<20)
				for b.Loop() {
					r, err := s.Blobs.Open(b.Context(), d)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
						b.Fatal(err)
					}
					r.Close()
				}
			})
		})
	}
}

// BenchmarkPutDirectories stores closures of 100 directories of 50
// entries each.
func BenchmarkPutDirectories(b *testing.B) {
	benchStores(b, func(b *testing.B, s *castore.Store) {
		round := 0
		for b.Loop() {
			round++
			p := s.Directories.NewPutter(b.Context())
			var top []castore.Entry
			for i := range 100 {
				var es []castore.Entry
				for j := range 50 {
					es = append(es, castore.Entry{Name: fmt.Sprintf("file%03d", j), Node: castore.FileNode(castore.Sum([]byte(fmt.Sprint(round, i, j))), 100, false)})
				}
				d := &castore.Directory{Entries: es}
				if err := p.Put(d); err != nil {
					b.Fatal(err)
				}
				top = append(top, castore.Entry{Name: fmt.Sprintf("dir%03d", i), Node: d.Node()})
			}
			if err := p.Put(&castore.Directory{Entries: top}); err != nil {
				b.Fatal(err)
			}
			if _, err := p.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetRecursive reads back such a closure.
func BenchmarkGetRecursive(b *testing.B) {
	benchStores(b, func(b *testing.B, s *castore.Store) {
		p := s.Directories.NewPutter(b.Context())
		var top []castore.Entry
		for i := range 100 {
			var es []castore.Entry
			for j := range 50 {
				es = append(es, castore.Entry{Name: fmt.Sprintf("file%03d", j), Node: castore.FileNode(castore.Sum([]byte(fmt.Sprint(i, j))), 100, false)})
			}
			d := &castore.Directory{Entries: es}
			p.Put(d)
			top = append(top, castore.Entry{Name: fmt.Sprintf("dir%03d", i), Node: d.Node()})
		}
		p.Put(&castore.Directory{Entries: top})
		root, err := p.Close()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := castore.Closure(b.Context(), s.Directories, root); err != nil {
				b.Fatal(err)
			}
		}
	})
}
