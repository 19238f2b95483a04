package fuse

import (
	"bytes"
	"context"
	"fmt"
	iofs "io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govix/govix/castore"
)

// The walkers list directories through the mount, from inside the server:
// these tests check that they never hold up a reader or an unmount, and
// never leave their own mount.

// stallDeadline is how long a test waits for readers and unmounts before
// it calls it a deadlock: far beyond what any of it takes on a loaded
// machine (well under a second each), so it is not a timing assertion.
const stallDeadline = 2 * time.Minute

// finishBy runs f and fails the test with every goroutine's stack if it
// does not return within stallDeadline.
func finishBy(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(stallDeadline):
		var b bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
		t.Fatalf("%s: stalled for %v; goroutines:\n%s", what, stallDeadline, b.String())
	}
}

// wideTree writes dirs directories of dirs subdirectories of files small
// files each, all different: many listings for the walkers.
func wideTree(t *testing.T, dirs, files int) string {
	t.Helper()
	root := t.TempDir()
	for i := range dirs {
		for j := range dirs {
			d := filepath.Join(root, fmt.Sprintf("d%02d", i), fmt.Sprintf("s%02d", j))
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			for k := range files {
				body := fmt.Appendf(nil, "file %d/%d/%d\n", i, j, k)
				if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%02d", k)), body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return root
}

// readTree reads every file under r, as tar does, giving up after limit
// files (0: none), and ignores errors: the mount may go away meanwhile.
func readTree(r *os.Root, limit int) {
	n := 0
	_ = iofs.WalkDir(r.FS(), ".", func(p string, de iofs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if de.Type().IsRegular() {
			_, _ = r.ReadFile(p)
			if n++; limit > 0 && n >= limit {
				return iofs.SkipAll
			}
		}
		return nil
	})
}

// TestWalkersNeverStall: several cold readers of a tree at once (some
// stopping midway, as an interrupted tar), with the mount unmounted while
// they read (lazily: they go on reading the detached mount) or right after
// them, while the walkers may still be listing ahead. Every reader and
// every unmount must finish.
func TestWalkersNeverStall(t *testing.T) {
	requireFUSE(t)
	s := newTestStore()
	root := importTree(t, s, wideTree(t, 12, 8))
	rounds := 8
	if testing.Short() {
		rounds = 2
	}
	for round := range rounds {
		mnt := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := Mount(ctx, mnt, s.blobs, s.dirs, NodeRoot(root), &Options{Logger: testLogger(t)})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var readers sync.WaitGroup
		for i := range 4 {
			r, err := os.OpenRoot(mnt) // like a reader's working directory
			if err != nil {
				t.Fatal(err)
			}
			readers.Go(func() {
				defer r.Close()
				limit := 0
				if i == 3 {
					limit = 5 + 20*round // stops midway
				}
				readTree(r, limit)
			})
		}
		lazy := round%2 == 0
		if lazy {
			time.Sleep(time.Duration(round) * 2 * time.Millisecond)
			cancel() // unmounts lazily: the readers keep the mount busy
		}
		finishBy(t, fmt.Sprintf("round %d: readers", round), readers.Wait)
		finishBy(t, fmt.Sprintf("round %d: unmount", round), func() {
			if !lazy {
				if err := srv.Unmount(); err != nil {
					t.Errorf("round %d: %v", round, err)
				}
			}
			srv.Wait()
		})
		cancel()
	}
}

// countingDirs counts the directories read.
type countingDirs struct {
	castore.DirectoryService
	gets atomic.Int64
}

func (c *countingDirs) Get(ctx context.Context, d castore.Digest) (*castore.Directory, error) {
	c.gets.Add(1)
	return c.DirectoryService.Get(ctx, d)
}

// TestWalkersStayInTheirMount: a mount detached while busy goes on serving
// its reader, whose reading would set the walkers going; but its mount
// point now leads elsewhere (here to a second mount there), so they must
// stop rather than list someone else's tree.
func TestWalkersStayInTheirMount(t *testing.T) {
	requireFUSE(t)
	s := newTestStore()
	root := importTree(t, s, testTree(t))
	mnt := t.TempDir()
	first := mountTree(t, s, NodeRoot(root), mnt)
	r, err := os.OpenRoot(mnt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if out, err := exec.Command("fusermount3", "-u", "-z", mnt).CombinedOutput(); err != nil {
		t.Fatalf("fusermount3 -u -z: %v: %s", err, out)
	}
	dirs := &countingDirs{DirectoryService: s.dirs}
	second := &testStore{raw: s.raw, blobs: s.blobs, dirs: dirs}
	mountTree(t, second, NodeRoot(root), mnt)

	// Read a file and list a subdirectory of its directory through the
	// detached mount: what sets the walkers going.
	if _, err := iofs.ReadDir(r.FS(), "."); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFile("README"); err != nil {
		t.Fatal(err)
	}
	if _, err := iofs.ReadDir(r.FS(), "bin"); err != nil {
		t.Fatal(err)
	}
	finishBy(t, "walkers noticing the mount point leads elsewhere", func() {
		for first.fs.walkCtx.Err() == nil && dirs.gets.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	})
	if n := dirs.gets.Load(); n != 0 {
		t.Errorf("the detached mount's walkers read %d directories of the mount now at its mount point", n)
	}
	// The detached mount still serves its reader.
	if _, err := r.ReadFile("deep/a/b/c/d/e/f/g/leaf"); err != nil {
		t.Error(err)
	}
}
