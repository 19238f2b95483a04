package objectstore_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
)

// benchStores runs f against a fresh store over a directory, over
// versitygw on loopback (directly and behind 5 ms of latency), and over the
// store GOVIX_TEST_OBJECTSTORE names, if set.
func benchStores(b *testing.B, f func(b *testing.B, s *castore.Store)) {
	b.Run("file", func(b *testing.B) {
		s := openURL(b, fileURL(b.TempDir())+"?fsync=false")
		defer s.Close()
		f(b, s)
	})
	b.Run("s3", func(b *testing.B) {
		s := openURL(b, startS3(b).bucket(b, ""))
		defer s.Close()
		f(b, s)
	})
	if raw := os.Getenv("GOVIX_TEST_OBJECTSTORE"); raw != "" {
		b.Run("external", func(b *testing.B) {
			u, err := url.Parse(raw)
			if err != nil {
				b.Fatal(err)
			}
			u.Path = fmt.Sprintf("%s/govix-bench-%s", strings.TrimSuffix(u.Path, "/"), randomHex(4))
			s := openURL(b, u.String())
			defer s.Close()
			f(b, s)
		})
	}
	b.Run("s3-5ms", func(b *testing.B) {
		// As over a network: every request waits 5 ms for its answer.
		srv := startS3(b)
		u := srv.bucket(b, "")
		proxy := latencyProxy(b, strings.TrimPrefix(srv.endpoint, "http://"), 5*time.Millisecond)
		s := openURL(b, strings.Replace(u, url.QueryEscape(srv.endpoint), url.QueryEscape("http://"+proxy), 1))
		defer s.Close()
		f(b, s)
	})
}

// latencyProxy forwards loopback TCP connections to target, holding back
// each request by d: bytes from the client that follow a pause (a new
// request rather than more of one) wait d before they go on.
func latencyProxy(b *testing.B, target string, d time.Duration) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() {
					io.Copy(c, s)
					c.Close()
				}()
				buf := make([]byte, 64<<10)
				var last time.Time
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if time.Since(last) > time.Millisecond {
							time.Sleep(d)
						}
						if _, err := s.Write(buf[:n]); err != nil {
							return
						}
						last = time.Now()
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// BenchmarkPutBlob uploads a new 64 MiB blob each time.
func BenchmarkPutBlob(b *testing.B) {
	benchStores(b, func(b *testing.B, s *castore.Store) {
		b.SetBytes(64 << 20)
		i := uint64(0)
		for b.Loop() {
			b.StopTimer()
			data := castoretest.RandomBytes(i, 64<<20)
			i++
			b.StartTimer()
			if _, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadBlob reads a 64 MiB blob from start to end.
func BenchmarkReadBlob(b *testing.B) {
	benchStores(b, func(b *testing.B, s *castore.Store) {
		d, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(castoretest.RandomBytes(1, 64<<20)))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(64 << 20)
		for b.Loop() {
			r, err := s.Blobs.Open(b.Context(), d)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
}

// BenchmarkPutSmallBlobs uploads 1000 new 4 KiB blobs, 16 at a time (as a
// parallel importer would), and reports blobs per second.
func BenchmarkPutSmallBlobs(b *testing.B) {
	benchStores(b, func(b *testing.B, s *castore.Store) {
		n := 0
		b.SetParallelism(8) // 2 cores × 8
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				data := castoretest.RandomBytes(uint64(n), 4<<10)
				data = fmt.Appendf(data, "%p", &data) // distinct per call
				if _, _, err := s.Blobs.Put(b.Context(), bytes.NewReader(data)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blobs/s")
	})
}

// BenchmarkPutDirectories stores closures of 1000 new directories.
func BenchmarkPutDirectories(b *testing.B) {
	benchStores(b, func(b *testing.B, s *castore.Store) {
		n := 0
		for b.Loop() {
			closure := dirClosure(n)
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
		b.ReportMetric(float64(n*1000)/b.Elapsed().Seconds(), "dirs/s")
	})
}

// BenchmarkGetRecursive fetches a closure of 1000 directories.
func BenchmarkGetRecursive(b *testing.B) {
	benchStores(b, func(b *testing.B, s *castore.Store) {
		closure := dirClosure(0)
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
		for b.Loop() {
			got, err := castore.Closure(b.Context(), s.Directories, root)
			if err != nil || len(got) != 1000 {
				b.Fatal(len(got), err)
			}
			n += len(got)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "dirs/s")
	})
}

// dirClosure returns 1000 distinct directories (per seed), leaves first: 10
// levels of 100 directories, each holding a file and one directory of the
// level below.
func dirClosure(seed int) []*castore.Directory {
	var out []*castore.Directory
	var below []*castore.Directory
	for level := range 10 {
		var this []*castore.Directory
		for j := range 100 {
			blob := castore.Sum(fmt.Appendf(nil, "%d/%d/%d", seed, level, j))
			entries := []castore.Entry{{Name: "file", Node: castore.FileNode(blob, 100, false)}}
			if below != nil {
				entries = append(entries, castore.Entry{Name: "sub", Node: below[j].Node()})
			}
			if level == 9 && j == 99 { // the root holds the other 99 of its level too
				for k, d := range this {
					entries = append(entries, castore.Entry{Name: fmt.Sprintf("top-%02d", k), Node: d.Node()})
				}
			}
			d, err := castore.NewDirectory(entries...)
			if err != nil {
				panic(err)
			}
			this = append(this, d)
		}
		out = append(out, this...)
		below = this
	}
	return out
}
