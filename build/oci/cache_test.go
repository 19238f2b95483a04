package oci

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/govix/govix/build"
	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/castore/memory"
)

// cacheFixture is an input cache over a memory castore holding n files
// of size bytes each.
func cacheFixture(t *testing.T, n, size int, max int64) (*inputCache, []castore.Node, [][]byte) {
	t.Helper()
	ctx := context.Background()
	cas := memory.New()
	src := t.TempDir()
	var nodes []castore.Node
	var contents [][]byte
	for i := range n {
		data := make([]byte, size)
		rand.Read(data)
		p := filepath.Join(src, "f"+string(rune('a'+i)))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		node, err := fsio.Import(ctx, cas, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, node)
		contents = append(contents, data)
	}
	c, err := newInputCache(filepath.Join(t.TempDir(), "cache"), cas, os.Getuid(), os.Getgid(), max)
	if err != nil {
		t.Fatal(err)
	}
	return c, nodes, contents
}

func (c *inputCache) has(n castore.Node) bool {
	_, err := os.Lstat(filepath.Join(c.dir, key(n)))
	return err == nil
}

// size is what the cache holds, measured.
func (c *inputCache) size() int64 {
	entries, _ := os.ReadDir(c.dir)
	var total int64
	for _, e := range entries {
		if isEntry(e.Name()) {
			total += treeSize(filepath.Join(c.dir, e.Name()))
		}
	}
	return total
}

// useInput materialises n, checks its contents, and lets it go.
func useInput(t *testing.T, c *inputCache, n castore.Node, want []byte) {
	t.Helper()
	p, release, err := c.path(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("materialised input differs (%v)", err)
	}
}

// TestInputCacheBound: the cache stays within its bound, removing the
// inputs used least recently first.
func TestInputCacheBound(t *testing.T) {
	const size = 100 << 10
	c, nodes, contents := cacheFixture(t, 6, size, 3*size+size/2)
	for i := range 4 {
		useInput(t, c, nodes[i], contents[i])
		c.trim()
	}
	if got := c.size(); got > c.max {
		t.Errorf("the cache holds %d bytes, more than its bound %d", got, c.max)
	}
	if c.has(nodes[0]) || !c.has(nodes[3]) {
		t.Errorf("the oldest input should have gone, the newest stayed")
	}
	// Using 1 again makes 2 the least recently used.
	useInput(t, c, nodes[1], contents[1])
	useInput(t, c, nodes[4], contents[4])
	c.trim()
	if !c.has(nodes[1]) || c.has(nodes[2]) {
		t.Errorf("2 (used least recently) should have gone, not 1")
	}
	if got := c.size(); got > c.max {
		t.Errorf("the cache holds %d bytes, more than its bound %d", got, c.max)
	}
	// A new cache on the same directory measures what is there.
	c2, err := newInputCache(c.dir, c.store, os.Getuid(), os.Getgid(), size)
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.size(); got > size {
		t.Errorf("reopened with a smaller bound, the cache holds %d bytes", got)
	}
}

// TestInputCacheKeepsInputsInUse: an input held by a build of this
// process, or locked by another process, is not removed however far over
// its bound the cache is; once let go, it can be.
func TestInputCacheKeepsInputsInUse(t *testing.T) {
	const size = 100 << 10
	c, nodes, contents := cacheFixture(t, 5, size, size)
	p0, release0, err := c.path(context.Background(), nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	// Another process's hold: a shared lock on the entry's lock file
	// through a file description of its own.
	useInput(t, c, nodes[1], contents[1])
	lf, err := os.Open(filepath.Join(c.dir, locksDir, key(nodes[1])))
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_SH); err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 5; i++ {
		useInput(t, c, nodes[i], contents[i])
		c.trim()
		if !c.has(nodes[0]) || !c.has(nodes[1]) {
			t.Fatalf("an input in use was removed")
		}
	}
	if got, err := os.ReadFile(p0); err != nil || !bytes.Equal(got, contents[0]) {
		t.Fatalf("the input in use changed: %v", err)
	}
	release0()
	lf.Close()
	useInput(t, c, nodes[4], contents[4])
	c.trim()
	if c.has(nodes[0]) || c.has(nodes[1]) {
		t.Errorf("inputs let go stayed over the bound")
	}
	if got := c.size(); got > c.max {
		t.Errorf("the cache holds %d bytes, more than its bound %d", got, c.max)
	}
	// An input removed is materialised again when needed.
	useInput(t, c, nodes[0], contents[0])
}

// TestInputCacheWhileBuilding: builds that push the cache over its bound
// while another build runs do not take that build's inputs away.
func TestInputCacheWhileBuilding(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const size = 512 << 10
	b, err := New(Options{Store: f.store, Runtime: f.b.opts.Runtime, CacheDir: filepath.Join(t.TempDir(), "cache"),
		WorkDir: t.TempDir(), CacheMaxBytes: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ic := b.inputs.(*inputCache)
	src := t.TempDir()
	input := func(i int) (build.Input, []byte) {
		data := make([]byte, size)
		rand.Read(data)
		p := filepath.Join(src, fmt.Sprint(i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		n, err := fsio.Import(ctx, f.store, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		return build.Input{Name: fmt.Sprintf("%032d-data", i), Node: n}, data
	}
	// The long build copies its input after the others have run.
	long, longData := input(0)
	req := f.request("$bb sleep 3; $bb cat /nix/store/"+long.Name+" > $a", outA)
	req.Inputs = append(req.Inputs, long)
	slices.SortFunc(req.Inputs, func(x, y build.Input) int { return strings.Compare(x.Name, y.Name) })
	done := make(chan error, 1)
	var longRes *build.Result
	go func() {
		var err error
		longRes, err = b.Build(ctx, req, nil)
		done <- err
	}()
	// Wait until it holds its input.
	for !ic.has(long.Node) {
		select {
		case err := <-done:
			t.Fatalf("the long build ended early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	var first castore.Node
	for i := 1; i <= 3; i++ {
		in, _ := input(i)
		if i == 1 {
			first = in.Node
		}
		req := f.request("$bb cat /nix/store/"+in.Name+" > $b", outB)
		req.Inputs = append(req.Inputs, in)
		slices.SortFunc(req.Inputs, func(x, y build.Input) int { return strings.Compare(x.Name, y.Name) })
		if _, err := b.Build(ctx, req, nil); err != nil {
			t.Fatal(err)
		}
		if !ic.has(long.Node) {
			t.Fatalf("the running build's input was removed")
		}
	}
	if ic.has(first) {
		t.Errorf("the cache was never trimmed (the first input is still there)")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := fsio.Export(ctx, f.store, longRes.Outputs[0].Node, out, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, longData) {
		t.Errorf("the long build read something else than its input")
	}
	if got := ic.size(); got > ic.max {
		t.Errorf("the cache holds %d bytes, more than its bound %d", got, ic.max)
	}
}
