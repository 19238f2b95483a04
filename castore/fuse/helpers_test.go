package fuse

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/chunked"
	"github.com/govix/govix/internal/testutil"
)

// requireFUSE skips (or fails under CI) when FUSE cannot be used here.
func requireFUSE(t testing.TB) {
	t.Helper()
	testutil.RequireCommand(t, "fusermount3")
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		if testutil.InCI() {
			t.Fatalf("/dev/fuse is required under CI: %v", err)
		}
		t.Skipf("/dev/fuse: %v", err)
	}
	f.Close()
}

// rawStore is a chunk and directory store in memory whose bytes a test can
// corrupt, under the real verifying chunked BlobService and
// DirectoryService.
type rawStore struct {
	mu        sync.Mutex
	chunks    map[castore.Digest][]byte
	manifests map[castore.Digest][]castore.ChunkMeta
	dirs      map[castore.Digest][]byte
}

func newRawStore() *rawStore {
	return &rawStore{
		chunks:    make(map[castore.Digest][]byte),
		manifests: make(map[castore.Digest][]castore.ChunkMeta),
		dirs:      make(map[castore.Digest][]byte),
	}
}

func (s *rawStore) HasChunk(_ context.Context, d castore.Digest) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.chunks[d]
	return ok, nil
}

func (s *rawStore) ReadChunk(_ context.Context, d castore.Digest, buf []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.chunks[d]
	if !ok {
		return nil, fmt.Errorf("chunk %s: %w", d, castore.ErrNotFound)
	}
	return append(buf, b...), nil
}

func (s *rawStore) WriteChunk(_ context.Context, d castore.Digest, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks[d] = append([]byte{}, data...)
	return nil
}

func (s *rawStore) Manifest(_ context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.manifests[d]
	if !ok {
		return nil, fmt.Errorf("manifest %s: %w", d, castore.ErrNotFound)
	}
	return slices.Clone(m), nil
}

func (s *rawStore) WriteManifest(_ context.Context, d castore.Digest, chunks []castore.ChunkMeta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manifests[d] = slices.Clone(chunks)
	return nil
}

func (s *rawStore) GetDirectory(_ context.Context, d castore.Digest) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.dirs[d]
	if !ok {
		return nil, fmt.Errorf("directory %s: %w", d, castore.ErrNotFound)
	}
	return b, nil
}

func (s *rawStore) PutDirectories(_ context.Context, closure []castore.EncodedDirectory) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range closure {
		s.dirs[e.Digest] = e.Bytes
	}
	return nil
}

// corruptChunk flips a byte of a stored chunk.
func (s *rawStore) corruptChunk(d castore.Digest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks[d][len(s.chunks[d])/2] ^= 0x40
}

func (s *rawStore) deleteDirectory(d castore.Digest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.dirs, d)
}

type testStore struct {
	raw   *rawStore
	blobs castore.BlobService
	dirs  castore.DirectoryService
}

func newTestStore() *testStore {
	raw := newRawStore()
	return &testStore{raw: raw, blobs: chunked.New(raw), dirs: castore.NewDirectoryService(raw)}
}

// importTree stores the tree at path (a directory, file or symlink) and
// returns its root node.
func importTree(t testing.TB, s *testStore, path string) castore.Node {
	t.Helper()
	ctx := context.Background()
	p := s.dirs.NewPutter(ctx)
	var put func(path string) castore.Node
	put = func(path string) castore.Node {
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				t.Fatal(err)
			}
			return castore.SymlinkNode(target)
		case fi.Mode().IsRegular():
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, size, err := s.blobs.Put(ctx, bufio.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			return castore.FileNode(d, size, fi.Mode()&0o100 != 0)
		case fi.IsDir():
			names, err := os.ReadDir(path)
			if err != nil {
				t.Fatal(err)
			}
			var entries []castore.Entry
			for _, de := range names {
				entries = append(entries, castore.Entry{Name: de.Name(), Node: put(filepath.Join(path, de.Name()))})
			}
			dir, err := castore.NewDirectory(entries...)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Put(dir); err != nil {
				t.Fatal(err)
			}
			return dir.Node()
		}
		t.Fatalf("%s: unsupported file type %v", path, fi.Mode())
		return castore.Node{}
	}
	root := put(path)
	if root.Kind == castore.KindDirectory {
		if _, err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// sharedTree is one tree made by makeTree for the tests that only read it,
// made once: writing many small files is slow on some disks.
var sharedTree struct {
	once sync.Once
	dir  string
	err  error
}

// TestMain removes the shared tree.
func TestMain(m *testing.M) {
	code := m.Run()
	if sharedTree.dir != "" {
		os.RemoveAll(sharedTree.dir)
	}
	os.Exit(code)
}

// largeSize is the size of large.bin in the shared tree: many chunks.
const largeSize = 24 << 20

// testTree returns the shared tree's path.
func testTree(t testing.TB) string {
	t.Helper()
	sharedTree.once.Do(func() {
		sharedTree.dir, sharedTree.err = os.MkdirTemp("", "castore-fuse-tree-")
		if sharedTree.err == nil {
			makeTree(t, sharedTree.dir, largeSize)
		}
	})
	if sharedTree.err != nil {
		t.Fatal(sharedTree.err)
	}
	return sharedTree.dir
}

// makeTree writes a tree with everything the file system must show:
// nested and empty directories, symlinks (relative, absolute, dangling),
// executables, empty files, non-ASCII names, a large chunked file, files
// and directories that are identical to others, and a wide directory.
func makeTree(t testing.TB, dir string, largeSize int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(name string, data []byte, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	write("README", []byte("hello, castore\n"), 0o644)
	write("empty", nil, 0o644)
	write("bin/tool", []byte("#!/bin/sh\necho hi\n"), 0o755)
	write("bin/empty-exec", nil, 0o755)
	write("same/a.txt", []byte("identical contents\n"), 0o644)
	write("same/b.txt", []byte("identical contents\n"), 0o644)
	write("same/x.sh", []byte("identical contents\n"), 0o755)
	write("deep/a/b/c/d/e/f/g/leaf", []byte("deep leaf\n"), 0o644)
	write("twins/one/sub/file", []byte("twin file\n"), 0o644)
	write("twins/two/sub/file", []byte("twin file\n"), 0o644)
	write("ünïcödé/文件.txt", []byte("non-ASCII\n"), 0o644)
	write("ünïcödé/emoji-🦀", []byte("crab\n"), 0o755)
	write("ünïcödé/name with spaces and\nnewline", []byte("odd\n"), 0o644)
	write("medium.bin", random(300<<10), 0o644)
	// A large file that content-defined chunking cuts into many chunks.
	write("large.bin", random(largeSize), 0o644)
	for i := range 600 {
		write(fmt.Sprintf("wide/entry-%04d-%s", i, strings.Repeat("x", i%40)), fmt.Appendf(nil, "%d\n", i), 0o644)
	}
	if err := os.MkdirAll(filepath.Join(dir, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "deep/a/empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	link("README", "link-relative")
	link("/etc/hostname", "link-absolute")
	link("does/not/exist", "link-dangling")
	link("../bin/tool", "ünïcödé/link-up")
	link("deep/a/b", "link-to-dir")
}

// mountTree mounts root and unmounts it when the test ends, checking that
// the unmount worked.
func mountTree(t testing.TB, s *testStore, root Root, mountpoint string, opts ...Options) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	srv, err := Mount(ctx, mountpoint, s.blobs, s.dirs, root, &o)
	if err != nil {
		cancel()
		t.Fatalf("Mount: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-srv.Done():
		case <-time.After(30 * time.Second):
			t.Errorf("still serving 30s after cancelling the mount's context")
		}
	})
	return srv
}

// testLogger sends the file system's log lines to the test log, and keeps
// them for assertions.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// isMounted reports whether path is a mount point of this process's mount
// namespace.
func isMounted(t *testing.T, path string) bool {
	t.Helper()
	return mountinfo(t, path) != ""
}

// mountinfo returns path's line of /proc/self/mountinfo, or "".
func mountinfo(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) > 4 && unescapeMountinfo(f[4]) == path {
			return string(line)
		}
	}
	return ""
}

// unescapeMountinfo undoes the octal escapes (\040 for space...) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
