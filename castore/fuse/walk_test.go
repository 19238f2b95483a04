package fuse

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/govix/govix/castore"
)

// TestWalkAhead: walking a tree without reading files reads no contents;
// reading a file and then listing a subdirectory of its directory (what
// tar and cp -r do) lists the rest of the tree ahead and pushes its small
// files, down to the deepest directory nobody listed, which then reads
// from the page cache.
func TestWalkAhead(t *testing.T) {
	requireFUSE(t)
	s := newTestStore()
	root := importTree(t, s, testTree(t))
	leaf := castore.Sum([]byte("deep leaf\n"))

	mount := func() (string, *countingBlobs) {
		counting := &countingBlobs{BlobService: s.blobs, opened: map[castore.Digest]int{}}
		mnt := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		srv, err := Mount(ctx, mnt, counting, s.dirs, NodeRoot(root), &Options{Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := srv.Unmount(); err != nil {
				t.Error(err)
			}
		})
		return mnt, counting
	}

	mnt, counting := mount()
	err := filepath.WalkDir(mnt, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		_, err = os.Lstat(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := counting.count(); n != 0 {
		t.Fatalf("walking the tree without reading opened %d blobs", n)
	}

	mnt, counting = mount()
	if _, err := os.ReadDir(mnt); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(filepath.Join(mnt, "README")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadDir(filepath.Join(mnt, "bin")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	opened := func() int {
		counting.mu.Lock()
		defer counting.mu.Unlock()
		return counting.opened[leaf]
	}
	for opened() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if opened() == 0 {
		t.Fatal("the deepest file was not pushed after reading a file and listing a subdirectory")
	}
	b, err := os.ReadFile(filepath.Join(mnt, "deep/a/b/c/d/e/f/g/leaf"))
	if err != nil || string(b) != "deep leaf\n" {
		t.Fatalf("reading the pushed leaf: %q, %v", b, err)
	}
	if n := opened(); n != 1 {
		t.Errorf("the pushed leaf was fetched %d times, want once", n)
	}
}
