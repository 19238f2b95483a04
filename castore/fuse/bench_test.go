package fuse

import (
	"bytes"
	"fmt"
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

// BenchmarkReadSmallFiles reads a tree shaped like a source tree (many
// directories of small files, as in GOROOT) through a fresh mount: what
// listing ahead and pushing files into the page cache are for.
func BenchmarkReadSmallFiles(b *testing.B) {
	src := b.TempDir()
	for d := range 60 {
		dir := filepath.Join(src, fmt.Sprintf("pkg%02d", d/6), fmt.Sprintf("sub%02d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 40 {
			data := bytes.Repeat(fmt.Appendf(nil, "package %d // file %d\n", d, f), 1+(d*40+f)%300)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.go", f)), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, prefetch := range []struct {
		name string
		max  int
	}{{"prefetch", 0}, {"noprefetch", -1}} {
		b.Run(prefetch.name, func(b *testing.B) {
			benchRead(b, src, prefetch.max)
		})
	}
}

func benchReadTree(b *testing.B, prefetchMax int) {
	benchRead(b, testTree(b), prefetchMax)
}

// benchRead reads every file of src through fresh mounts of it, walking
// in order as tar does.
func benchRead(b *testing.B, src string, prefetchMax int) {
	requireFUSE(b)
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
