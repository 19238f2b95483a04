package grpcstore_test

import (
	"bytes"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/memory"
)

const benchBlobSize = 64 << 20

func benchTransports(b *testing.B, f func(b *testing.B, s *castore.Store)) {
	for _, unix := range []bool{true, false} {
		name := "tcp"
		if unix {
			name = "unix"
		}
		b.Run(name, func(b *testing.B) {
			f(b, connect(b, serve(b, memory.New(), nil, unix)))
		})
	}
}

// BenchmarkPutBlob uploads a 64 MiB blob of random bytes (the memory
// backend below chunks and hashes it too).
func BenchmarkPutBlob(b *testing.B) {
	data := castoretest.RandomBytes(1, benchBlobSize)
	benchTransports(b, func(b *testing.B, s *castore.Store) {
		b.SetBytes(int64(len(data)))
		cpu := startCPU()
		for b.Loop() {
			if _, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b, int64(len(data)))
	})
}

// BenchmarkReadBlob reads a 64 MiB blob from start to end (one stream,
// verified chunk by chunk on the client).
func BenchmarkReadBlob(b *testing.B) {
	data := castoretest.RandomBytes(2, benchBlobSize)
	benchTransports(b, func(b *testing.B, s *castore.Store) {
		d, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		cpu := startCPU()
		for b.Loop() {
			r, err := s.Blobs.Open(b.Context(), d)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(n, err)
			}
			r.Close()
		}
		cpu.report(b, int64(len(data)))
	})
}

// BenchmarkReadChunks reads a 64 MiB blob chunk by chunk from the end
// backwards: one Read call per chunk, as after seeks.
func BenchmarkReadChunks(b *testing.B) {
	data := castoretest.RandomBytes(3, benchBlobSize)
	benchTransports(b, func(b *testing.B, s *castore.Store) {
		d, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		chunks, err := s.Blobs.Chunks(b.Context(), d)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		buf := make([]byte, 1<<20)
		cpu := startCPU()
		for b.Loop() {
			r, err := s.Blobs.Open(b.Context(), d)
			if err != nil {
				b.Fatal(err)
			}
			end := int64(len(data))
			for i := len(chunks) - 1; i >= 0; i-- {
				off := end - int64(chunks[i].Size)
				if _, err := r.(io.ReaderAt).ReadAt(buf[:chunks[i].Size], off); err != nil {
					b.Fatal(err)
				}
				end = off
			}
			r.Close()
		}
		cpu.report(b, int64(len(data)))
	})
}

// BenchmarkReadAfterSeek reads a 64 MiB blob from its second chunk to the
// end: after the seek, chunk by chunk with read-ahead.
func BenchmarkReadAfterSeek(b *testing.B) {
	data := castoretest.RandomBytes(4, benchBlobSize)
	benchTransports(b, func(b *testing.B, s *castore.Store) {
		d, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		chunks, err := s.Blobs.Chunks(b.Context(), d)
		if err != nil {
			b.Fatal(err)
		}
		from := int64(chunks[0].Size)
		b.SetBytes(int64(len(data)) - from)
		cpu := startCPU()
		for b.Loop() {
			r, err := s.Blobs.Open(b.Context(), d)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Seek(from, io.SeekStart); err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data))-from {
				b.Fatal(n, err)
			}
			r.Close()
		}
		cpu.report(b, int64(len(data))-from)
	})
}

// BenchmarkPutDirectories uploads closures of 1000 directories (a chain of
// 100 directories each holding 9 directories of 10 files) and reports
// directories per second.
func BenchmarkPutDirectories(b *testing.B) {
	benchTransports(b, func(b *testing.B, s *castore.Store) {
		n := 0
		cpu := startCPU()
		for b.Loop() {
			closure := benchClosure(n)
			n++
			p := s.Directories.NewPutter(b.Context())
			for _, d := range closure {
				if err := p.Put(d); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := p.Close(); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b, 0)
		b.ReportMetric(float64(n*1000)/b.Elapsed().Seconds(), "dirs/s")
	})
}

// BenchmarkGetRecursive fetches a closure of 1000 directories.
func BenchmarkGetRecursive(b *testing.B) {
	benchTransports(b, func(b *testing.B, s *castore.Store) {
		closure := benchClosure(0)
		p := s.Directories.NewPutter(b.Context())
		for _, d := range closure {
			if err := p.Put(d); err != nil {
				b.Fatal(err)
			}
		}
		root, err := p.Close()
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		cpu := startCPU()
		for b.Loop() {
			got, err := castore.Closure(b.Context(), s.Directories, root)
			if err != nil || len(got) != len(closure) {
				b.Fatal(len(got), err)
			}
			n += len(got)
		}
		cpu.report(b, 0)
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "dirs/s")
	})
}

// benchClosure returns 1000 distinct directories (distinct per seed),
// leaves first.
func benchClosure(seed int) []*castore.Directory {
	var out []*castore.Directory
	var below *castore.Directory
	for level := range 100 {
		var entries []castore.Entry
		for j := range 9 {
			var files []castore.Entry
			for k := range 10 {
				blob := castore.Sum(fmt.Appendf(nil, "%d/%d/%d/%d", seed, level, j, k))
				files = append(files, castore.Entry{Name: fmt.Sprintf("file-%d.txt", k), Node: castore.FileNode(blob, uint64(k+1)*100, k%3 == 0)})
			}
			d := &castore.Directory{Entries: files}
			out = append(out, d)
			entries = append(entries, castore.Entry{Name: fmt.Sprintf("dir-%d", j), Node: d.Node()})
		}
		if below != nil {
			entries = append(entries, castore.Entry{Name: "next", Node: below.Node()})
		}
		d, err := castore.NewDirectory(entries...)
		if err != nil {
			panic(err)
		}
		out = append(out, d)
		below = d
	}
	return out
}

// BenchmarkPutSmallBlobs uploads distinct 4 KiB blobs from 16 goroutines,
// as a parallel importer of many small files does.
func BenchmarkPutSmallBlobs(b *testing.B) {
	benchTransports(b, func(b *testing.B, s *castore.Store) {
		var seed atomic.Uint64
		b.SetParallelism(8) // 2 cores × 8
		cpu := startCPU()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				data := castoretest.RandomBytes(seed.Add(1), 4<<10)
				if _, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		cpu.report(b, 0)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blobs/s")
	})
}
