package fuse

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadTree reads every file of the test tree through a fresh
// mount (so nothing is in the kernel's caches), as tar would.
func BenchmarkReadTree(b *testing.B) {
	for _, prefetch := range []struct {
		name string
		max  int
	}{{"prefetch", 0}, {"noprefetch", -1}} {
		b.Run(prefetch.name, func(b *testing.B) {
			benchReadTree(b, prefetch.max)
		})
	}
}

func benchReadTree(b *testing.B, prefetchMax int) {
	requireFUSE(b)
	src := testTree(b)
	s := newTestStore()
	root := importTree(b, s, src)
	var total int64
	for b.Loop() {
		b.StopTimer()
		mnt := b.TempDir()
		srv := mountTree(b, s, NodeRoot(root), mnt, Options{PrefetchMax: prefetchMax})
		b.StartTimer()
		total = 0
		err := filepath.WalkDir(mnt, func(p string, de os.DirEntry, err error) error {
			if err != nil || !de.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(p)
			total += int64(len(data))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := srv.Unmount(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.SetBytes(total)
}
