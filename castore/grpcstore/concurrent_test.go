package grpcstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/castore/objectstore"
)

// tree is a directory tree to upload.
type tree struct {
	files map[string][]byte
	dirs  map[string]*tree
	links map[string]string
}

// upload stores t's blobs, then its directories (leaves first, in one
// closure), and returns the root digest and every directory of the closure.
func upload(ctx context.Context, s *castore.Store, t *tree) (castore.Digest, []*castore.Directory, error) {
	var closure []*castore.Directory
	var walk func(t *tree) (*castore.Directory, error)
	walk = func(t *tree) (*castore.Directory, error) {
		var entries []castore.Entry
		for name, sub := range t.dirs {
			d, err := walk(sub)
			if err != nil {
				return nil, err
			}
			entries = append(entries, castore.Entry{Name: name, Node: d.Node()})
		}
		for name, data := range t.files {
			d, n, err := s.Blobs.Put(ctx, bytes.NewReader(data))
			if err != nil {
				return nil, err
			}
			if d != castore.Sum(data) || n != uint64(len(data)) {
				return nil, fmt.Errorf("Put(%s) = %s, %d", name, d, n)
			}
			entries = append(entries, castore.Entry{Name: name, Node: castore.FileNode(d, n, strings.HasSuffix(name, ".sh"))})
		}
		for name, target := range t.links {
			entries = append(entries, castore.Entry{Name: name, Node: castore.SymlinkNode(target)})
		}
		d, err := castore.NewDirectory(entries...)
		if err != nil {
			return nil, err
		}
		closure = append(closure, d)
		return d, nil
	}
	root, err := walk(t)
	if err != nil {
		return castore.Digest{}, nil, err
	}
	p := s.Directories.NewPutter(ctx)
	for _, d := range closure {
		if err := p.Put(d); err != nil {
			return castore.Digest{}, nil, err
		}
	}
	got, err := p.Close()
	if err != nil {
		return castore.Digest{}, nil, err
	}
	if got != root.Digest() {
		return castore.Digest{}, nil, fmt.Errorf("root %s, want %s", got, root.Digest())
	}
	return got, closure, nil
}

// overlappingTree is client i's tree: a subtree every client has, one it
// shares with the clients of its group of eight, and one of its own, made
// of files from one pool (so files repeat across and within trees).
func overlappingTree(i int, pool [][]byte) *tree {
	files := func(seed, n int) map[string][]byte {
		m := map[string][]byte{}
		for k := range n {
			m[fmt.Sprintf("f%02d.txt", k)] = pool[(seed*7+k*13)%len(pool)]
		}
		m["run.sh"] = pool[seed%len(pool)]
		return m
	}
	common := &tree{files: files(0, 10), dirs: map[string]*tree{
		"lib":   {files: files(1, 8), dirs: map[string]*tree{"deep": {files: files(2, 3), dirs: map[string]*tree{"empty": {}}}}},
		"share": {files: files(3, 5), links: map[string]string{"up": "../lib"}},
	}}
	group := &tree{files: files(10+i%4, 6), dirs: map[string]*tree{"x": {files: files(20+i%4, 4)}}}
	own := &tree{files: files(100+i, 5), dirs: map[string]*tree{"again": {files: files(0, 10)}}} // repeats common's files
	return &tree{
		dirs:  map[string]*tree{"common": common, fmt.Sprintf("group-%d", i%4): group, fmt.Sprintf("own-%02d", i): own},
		links: map[string]string{"latest": "common"},
	}
}

// TestConcurrentClients: 32 clients, each with its own connection, import
// overlapping trees at once through one server (which checks blobs) into an
// object store. No call fails, every tree reads back verified, and the
// store holds each object once.
func TestConcurrentClients(t *testing.T) {
	const clients = 32
	dir := t.TempDir()
	u, err := objectStoreURL(dir)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := objectstore.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, backend, &grpcstore.ServerOptions{CheckBlobs: true}, true)

	var pool [][]byte
	for k := range 40 {
		size := []int{0, 1, 100, 5000, 20 << 10, 70 << 10, 300 << 10}[k%7]
		if k == 39 {
			size = 3 << 20 // chunked
		}
		pool = append(pool, castoretest.RandomBytes(uint64(1000+k), size))
	}

	ctx := t.Context()
	roots := make([]castore.Digest, clients)
	closures := make([][]*castore.Directory, clients)
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := connect(t, srv)
			defer s.Close()
			roots[i], closures[i], errs[i] = upload(ctx, s, overlappingTree(i, pool))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	if t.Failed() {
		return
	}

	// Everything reads back, verified, through a new client.
	s := connect(t, srv)
	defer s.Close()
	wantDirs := map[castore.Digest]bool{}
	wantBlobs := map[castore.Digest][]byte{}
	for _, b := range pool {
		wantBlobs[castore.Sum(b)] = b
	}
	for i := range clients {
		got, err := castore.Closure(ctx, s.Directories, roots[i])
		if err != nil {
			t.Fatalf("client %d's closure: %v", i, err)
		}
		want := map[castore.Digest]bool{}
		for _, d := range closures[i] {
			want[d.Digest()] = true
			wantDirs[d.Digest()] = true
		}
		if len(got) != len(want) {
			t.Errorf("client %d: closure of %d directories, want %d", i, len(got), len(want))
		}
		for _, d := range got {
			if !want[d.Digest()] {
				t.Errorf("client %d: unexpected directory %s", i, d.Digest())
			}
		}
	}
	wantChunks := map[castore.Digest]bool{}
	wantIndexes := 0
	for d, data := range wantBlobs {
		r, err := s.Blobs.Open(ctx, d)
		if err != nil {
			t.Fatalf("blob %s: %v", d, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("blob %s: read back %d bytes, %v", d, len(got), err)
		}
		chunks, err := s.Blobs.Chunks(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) == 0 {
			wantChunks[d] = true
		} else {
			wantIndexes++
		}
		for _, c := range chunks {
			wantChunks[c.Digest] = true
		}
	}

	// Each object once, no temporary files left.
	count := map[string]int{}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			kind, _, _ := strings.Cut(rel, "/")
			if strings.HasSuffix(p, ".tmp") {
				kind = "tmp"
			}
			count[kind]++
		}
		return err
	})
	want := map[string]int{"dirs": len(wantDirs), "chunks": len(wantChunks), "blobs": wantIndexes, "govix-castore-format": 1}
	for kind, n := range want {
		if count[kind] != n {
			t.Errorf("%d %s objects, want %d", count[kind], kind, n)
		}
	}
	if len(count) != len(want) {
		t.Errorf("objects by kind: %v, want %v", count, want)
	}
	t.Logf("%d clients stored %d directories, %d chunks, %d chunk indexes", clients, len(wantDirs), len(wantChunks), wantIndexes)
}
