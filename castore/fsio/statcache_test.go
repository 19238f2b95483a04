package fsio_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/castore/local"
	"github.com/govix/govix/castore/memory"
)

type mapCache struct {
	mu   sync.Mutex
	m    map[string][]byte
	puts int
}

func (c *mapCache) Get(k []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[string(k)]
}

func (c *mapCache) Put(k, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	c.m[string(k)] = v
	c.puts++
	return nil
}

func TestStatCache(t *testing.T) {
	defer fsio.SetRacyWindow(0)()
	src := t.TempDir()
	makeTree(t, src)
	time.Sleep(20 * time.Millisecond) // past the clock tick the files were written in
	s := memory.New()
	c := &mapCache{}
	opts := &fsio.Options{StatCache: c}
	root1, err := fsio.Import(t.Context(), s, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.puts != 311 {
		t.Fatalf("first import remembered %d files, want 311", c.puts)
	}
	c.puts = 0
	if again, err := fsio.Import(t.Context(), s, src, opts); err != nil || again != root1 {
		t.Fatalf("second import %v, %v", again, err)
	}
	if c.puts != 0 {
		t.Errorf("second import read %d files, want none", c.puts)
	}

	// A changed file and a changed exec bit are noticed.
	if err := os.WriteFile(filepath.Join(src, "a/b/f007"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	c.puts = 0
	root2, err := fsio.Import(t.Context(), s, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fsio.Import(t.Context(), memory.New(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if root2 != want || root2 == root1 {
		t.Errorf("after changes: %v, want %v (and not the old %v)", root2, want, root1)
	}
	if c.puts != 2 {
		t.Errorf("re-read %d files, want the 2 changed", c.puts)
	}

	// A remembered digest the store no longer has is not trusted.
	fresh := memory.New()
	if got, err := fsio.Import(t.Context(), fresh, src, opts); err != nil || got != want {
		t.Fatalf("import into a store without the blobs: %v, %v", got, err)
	}
	if _, err := castore.Closure(t.Context(), fresh.Directories, want.Digest); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "out")
	if err := fsio.Export(t.Context(), fresh, want, dest, nil); err != nil {
		t.Fatalf("blobs missing after a cached import: %v", err)
	}
}

func TestStatCacheRacy(t *testing.T) {
	// With the default window, files changed just now are not remembered.
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("new"), 0o644)
	c := &mapCache{}
	if _, err := fsio.Import(t.Context(), memory.New(), src, &fsio.Options{StatCache: c}); err != nil {
		t.Fatal(err)
	}
	if c.puts != 0 {
		t.Errorf("remembered a file changed within the racy window")
	}
}

func TestLocalKVStatCache(t *testing.T) {
	defer fsio.SetRacyWindow(0)()
	src := t.TempDir()
	makeTree(t, src)
	time.Sleep(20 * time.Millisecond)
	dir := t.TempDir()
	for i := range 2 {
		ls, err := local.Open(t.Context(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		kv, err := ls.KV("fsio/statcache")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fsio.Import(t.Context(), ls.Castore(), src, &fsio.Options{StatCache: kv}); err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(filepath.Join(src, "hello"))
		if kv.Get([]byte(abs)) == nil {
			t.Errorf("round %d: nothing remembered for %s", i, abs)
		}
		ls.Close()
	}
}
