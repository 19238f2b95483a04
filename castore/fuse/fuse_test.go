package fuse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/govix/govix/castore"
)

// TestMountMatchesTree mounts an imported tree and compares everything
// visible through the mount with the original: names, types, modes,
// symlink targets, sizes and contents.
func TestMountMatchesTree(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	root := importTree(t, s, src)
	// With prefetching, small files come into the page cache through
	// FUSE_NOTIFY_STORE; without, through READ.
	for _, prefetch := range []int{0, -1} {
		t.Run(fmt.Sprintf("prefetch=%d", prefetch), func(t *testing.T) {
			mnt := t.TempDir()
			mountTree(t, s, NodeRoot(root), mnt, Options{PrefetchMax: prefetch})
			compareTrees(t, src, mnt)
		})
	}
}

func compareTrees(t *testing.T, src, mnt string) {
	t.Helper()
	want := describeTree(t, src)
	got := describeTree(t, mnt)
	if len(got) != len(want) {
		t.Errorf("mount has %d entries, the tree %d", len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%q missing from the mount", name)
			continue
		}
		if g != w {
			t.Errorf("%q: mount shows %+v, tree has %+v", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%q in the mount but not in the tree", name)
		}
	}
}

// entryDesc is what the mount must reproduce of one tree entry.
type entryDesc struct {
	mode   fs.FileMode // type and permission bits the mount shows
	size   int64       // files only
	target string      // symlinks
	sum    castore.Digest
}

// describeTree walks a tree and describes every entry. Permissions are
// normalised to what castore keeps: the exec bit of files.
func describeTree(t *testing.T, root string) map[string]entryDesc {
	t.Helper()
	out := make(map[string]entryDesc)
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		d := entryDesc{mode: fi.Mode().Type()}
		switch {
		case fi.IsDir():
			d.mode |= 0o555
		case fi.Mode()&fs.ModeSymlink != 0:
			d.target, err = os.Readlink(p)
			if err != nil {
				return err
			}
		default:
			d.mode |= 0o444
			if fi.Mode()&0o100 != 0 {
				d.mode |= 0o111
			}
			d.size = fi.Size()
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			d.sum = castore.Sum(b)
		}
		out[rel] = d
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMountModes checks the exact modes, owner and link counts the mount
// reports, beyond what the tree comparison normalises.
func TestMountModes(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	mnt := t.TempDir()
	mountTree(t, s, NodeRoot(importTree(t, s, src)), mnt)
	for _, tc := range []struct {
		name string
		mode fs.FileMode
	}{
		{".", fs.ModeDir | 0o555},
		{"bin", fs.ModeDir | 0o555},
		{"bin/tool", 0o555},
		{"README", 0o444},
		{"empty", 0o444},
		{"link-relative", fs.ModeSymlink | 0o777},
	} {
		fi, err := os.Lstat(filepath.Join(mnt, tc.name))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if fi.Mode() != tc.mode {
			t.Errorf("%s: mode %v, want %v", tc.name, fi.Mode(), tc.mode)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uint32(os.Geteuid()) || st.Gid != uint32(os.Getegid()) {
			t.Errorf("%s: owned by %d:%d, want the mounter %d:%d", tc.name, st.Uid, st.Gid, os.Geteuid(), os.Getegid())
		}
		if st.Nlink != 1 {
			t.Errorf("%s: st_nlink %d, want 1", tc.name, st.Nlink)
		}
	}
	// Read-only: nothing can be written or created.
	if err := os.WriteFile(filepath.Join(mnt, "README"), []byte("x"), 0o644); !errors.Is(err, syscall.EROFS) && !errors.Is(err, syscall.EACCES) {
		t.Errorf("writing a file: %v, want EROFS or EACCES", err)
	}
	if err := os.Mkdir(filepath.Join(mnt, "new"), 0o755); !errors.Is(err, syscall.EROFS) {
		t.Errorf("mkdir: %v, want EROFS", err)
	}
	if _, err := os.Lstat(filepath.Join(mnt, "no-such-file")); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing name: %v, want ENOENT", err)
	}
	if _, err := os.Lstat(filepath.Join(mnt, "README", "x")); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("name under a file: %v, want ENOTDIR", err)
	}
}

// TestMountOptions: read-only for the mount and the file system, and
// AllowOther passed on.
func TestMountOptions(t *testing.T) {
	requireFUSE(t)
	s := newTestStore()
	root := importTree(t, s, testTree(t))
	for _, allowOther := range []bool{false, true} {
		mnt := t.TempDir()
		mountTree(t, s, NodeRoot(root), mnt, Options{AllowOther: allowOther})
		line := mountinfo(t, mnt)
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[5], "ro,") {
			t.Errorf("mount not read-only: %s", line)
		}
		if !strings.Contains(line, " ro,") || !strings.Contains(line, "default_permissions") {
			t.Errorf("file system not read-only with default_permissions: %s", line)
		}
		if strings.Contains(line, "allow_other") != allowOther {
			t.Errorf("AllowOther %v: %s", allowOther, line)
		}
	}
}

// TestRandomAccess reads the large file at offsets around every chunk
// boundary, and at random, sequentially and from many goroutines at once.
func TestRandomAccess(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	want, err := os.ReadFile(filepath.Join(src, "large.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestStore()
	root := importTree(t, s, src)
	mnt := t.TempDir()
	mountTree(t, s, NodeRoot(root), mnt)

	d, _ := s.dirs.Get(context.Background(), root.Digest)
	n, _ := d.Lookup("large.bin")
	chunks, err := s.blobs.Chunks(context.Background(), n.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 10 {
		t.Fatalf("large.bin is only %d chunks; the test wants many", len(chunks))
	}
	var offsets []int64
	var pos int64
	for _, c := range chunks {
		pos += int64(c.Size)
		offsets = append(offsets, pos-1, pos-4096, pos-3)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		offsets = append(offsets, rng.Int64N(int64(len(want))))
	}
	offsets = append(offsets, 0, int64(len(want))-1, int64(len(want)))

	// O_DIRECT-free reads go through the page cache; drop nothing, but
	// read each range through a fresh descriptor sometimes.
	f, err := os.Open(filepath.Join(mnt, "large.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	check := func(f *os.File, off int64, n int) error {
		buf := make([]byte, n)
		got, err := f.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return err
		}
		end := min(off+int64(n), int64(len(want)))
		if int64(got) != end-off || !bytes.Equal(buf[:got], want[off:end]) {
			return fmt.Errorf("contents differ reading %d bytes at %d", n, off)
		}
		return nil
	}
	for _, off := range offsets {
		for _, n := range []int{1, 7, 4096, 200 << 10} {
			if err := check(f, max(off, 0), n); err != nil {
				t.Fatalf("pread(%d, %d): %v", off, n, err)
			}
		}
	}

	// Many readers at random offsets at once, each with its own
	// descriptor, and many on one descriptor.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			ff := f
			if g%2 == 0 {
				var err error
				ff, err = os.Open(filepath.Join(mnt, "large.bin"))
				if err != nil {
					errs <- err
					return
				}
				defer ff.Close()
			}
			for range 50 {
				if err := check(ff, rng.Int64N(int64(len(want))), 1+rng.IntN(300<<10)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestStableInodes: the same node has the same inode number every time, and
// identical nodes share one.
func TestStableInodes(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	root := importTree(t, s, src)
	mnt := t.TempDir()
	mountTree(t, s, NodeRoot(root), mnt)

	ino := func(name string) uint64 {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(mnt, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	for _, name := range []string{"README", "bin", "bin/tool", "link-relative", "deep/a/b/c"} {
		if a, b := ino(name), ino(name); a != b {
			t.Errorf("%s: inode %d, then %d", name, a, b)
		}
	}
	same := [][2]string{
		{"same/a.txt", "same/b.txt"},                              // identical files
		{"twins/one", "twins/two"},                                // identical directories
		{"twins/one/sub/file", "twins/two/sub/file"},              // and what is in them
		{"link-relative", "link-relative"},                        // trivially
		{"emptydir", "deep/a/empty"},                              // empty directories
		{"wide/entry-0001-x", "wide/entry-0001-x"},                // and again
		{"ünïcödé/emoji-🦀", "ünïcödé/emoji-🦀"},                    // non-ASCII
		{"same/a.txt", "twins/../same/a.txt"},                     // through ..
		{"twins/one/sub", "twins/two/sub"},                        // nested identical directories
		{"deep/a/b/c/d/e/f/g/leaf", "link-to-dir/c/d/e/f/g/leaf"}, // through a symlink
	}
	for _, p := range same {
		if a, b := ino(p[0]), ino(p[1]); a != b {
			t.Errorf("%s and %s: inodes %d and %d, want one", p[0], p[1], a, b)
		}
	}
	differ := [][2]string{
		{"same/a.txt", "same/x.sh"}, // same contents, exec bit differs
		{"empty", "emptydir"},       // empty blob and empty directory share a digest
		{"empty", "bin/empty-exec"}, // exec bit again
		{"README", "link-relative"}, // a link and its target
		{"twins", "twins/one"},
	}
	for _, p := range differ {
		if a, b := ino(p[0]), ino(p[1]); a == b {
			t.Errorf("%s and %s share inode %d", p[0], p[1], a)
		}
	}

	// Walking the whole tree, with identical directories in several
	// places, works and reads every file right (the kernel moves a shared
	// directory's dentry between its places).
	want := describeTree(t, src)
	if got := describeTree(t, mnt); len(got) != len(want) {
		t.Errorf("walk found %d entries, want %d", len(got), len(want))
	}

	// The numbers come from the nodes, so another mount shows the same.
	before := ino("deep/a/b/c/d/e/f/g/leaf")
	mnt2 := t.TempDir()
	mountTree(t, s, NodeRoot(root), mnt2)
	fi, err := os.Lstat(filepath.Join(mnt2, "deep/a/b/c/d/e/f/g/leaf"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Sys().(*syscall.Stat_t).Ino; got != before {
		t.Errorf("inode %d in another mount, %d in the first", got, before)
	}
}

// TestUnmountOnCancel: cancelling the mount's context unmounts it and ends
// serving, leaving nothing in mountinfo.
func TestUnmountOnCancel(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	root := importTree(t, s, src)
	mnt := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Mount(ctx, mnt, s.blobs, s.dirs, NodeRoot(root), &Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !isMounted(t, mnt) {
		t.Fatalf("%s not in /proc/self/mountinfo after Mount", mnt)
	}
	if _, err := os.ReadFile(filepath.Join(mnt, "README")); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-srv.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("still serving 30s after cancel")
	}
	if isMounted(t, mnt) {
		t.Errorf("%s still mounted after cancel", mnt)
	}
	if _, err := os.Stat(filepath.Join(mnt, "README")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after unmount, the mount point shows README: %v", err)
	}
}

// TestUnmountBusy: a mount with an open file cannot be unmounted by
// Unmount, but cancelling detaches it: it leaves mountinfo at once and
// serves the open file until it is closed.
func TestUnmountBusy(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	root := importTree(t, s, src)
	mnt := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Mount(ctx, mnt, s.blobs, s.dirs, NodeRoot(root), &Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(mnt, "medium.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Unmount(); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("Unmount with an open file: %v, want EBUSY", err)
	}
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for isMounted(t, mnt) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if isMounted(t, mnt) {
		t.Fatalf("%s still in mountinfo after cancel", mnt)
	}
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("reading the open file after detaching: %v", err)
	}
	want, _ := os.ReadFile(filepath.Join(src, "medium.bin"))
	if !bytes.Equal(got, want) {
		t.Errorf("open file read %d bytes after detaching, want the %d original ones", len(got), len(want))
	}
	f.Close()
	select {
	case <-srv.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("still serving 30s after the last file was closed")
	}
}

// TestCorruptBlob: a blob whose stored bytes were changed reads as EIO,
// and the rest of the mount goes on working.
func TestCorruptBlob(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	root := importTree(t, s, src)
	d, _ := s.dirs.Get(context.Background(), root.Digest)
	small, _ := d.Lookup("README")
	large, _ := d.Lookup("large.bin")
	s.raw.corruptChunk(small.Digest)
	chunks, err := s.blobs.Chunks(context.Background(), large.Digest)
	if err != nil || len(chunks) < 3 {
		t.Fatalf("large.bin chunks: %d, %v", len(chunks), err)
	}
	s.raw.corruptChunk(chunks[2].Digest)
	mnt := t.TempDir()
	mountTree(t, s, NodeRoot(root), mnt)

	if _, err := os.ReadFile(filepath.Join(mnt, "README")); !errors.Is(err, syscall.EIO) {
		t.Errorf("reading a corrupt small file: %v, want EIO", err)
	}
	f, err := os.Open(filepath.Join(mnt, "large.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The chunks before the corrupt one read fine, the corrupt one fails.
	buf := make([]byte, 4096)
	if _, err := f.ReadAt(buf, 0); err != nil {
		t.Errorf("reading a good chunk of a file with a corrupt one: %v", err)
	}
	off := int64(chunks[0].Size + chunks[1].Size + chunks[2].Size/2)
	if _, err := f.ReadAt(buf, off); !errors.Is(err, syscall.EIO) {
		t.Errorf("reading the corrupt chunk: %v, want EIO", err)
	}
	if b, err := os.ReadFile(filepath.Join(mnt, "bin/tool")); err != nil || string(b) != "#!/bin/sh\necho hi\n" {
		t.Errorf("another file after the errors: %q, %v", b, err)
	}
}

// TestMissingDirectory: a directory the store lost lists as EIO.
func TestMissingDirectory(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	root := importTree(t, s, src)
	d, _ := s.dirs.Get(context.Background(), root.Digest)
	bin, _ := d.Lookup("bin")
	s.raw.deleteDirectory(bin.Digest)
	mnt := t.TempDir()
	mountTree(t, s, NodeRoot(root), mnt)
	if _, err := os.ReadDir(filepath.Join(mnt, "bin")); !errors.Is(err, syscall.EIO) {
		t.Errorf("listing a lost directory: %v, want EIO", err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "bin", "tool")); !errors.Is(err, syscall.EIO) {
		t.Errorf("looking up in a lost directory: %v, want EIO", err)
	}
	if _, err := os.ReadFile(filepath.Join(mnt, "README")); err != nil {
		t.Errorf("the rest of the mount: %v", err)
	}
}

// TestFileRoot mounts a single file on a regular file.
func TestFileRoot(t *testing.T) {
	requireFUSE(t)
	src := t.TempDir()
	want := bytes.Repeat([]byte("file root\n"), 100_000)
	p := filepath.Join(src, "f")
	if err := os.WriteFile(p, want, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newTestStore()
	root := importTree(t, s, p)
	if _, err := Mount(context.Background(), t.TempDir(), s.blobs, s.dirs, NodeRoot(root), nil); err == nil {
		t.Error("mounting a file on a directory worked")
	}
	if _, err := Mount(context.Background(), t.TempDir(), s.blobs, s.dirs, NodeRoot(castore.SymlinkNode("x")), nil); err == nil {
		t.Error("mounting a symlink worked")
	}
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.WriteFile(mnt, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mountTree(t, s, NodeRoot(root), mnt)
	got, err := os.ReadFile(mnt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("read %d bytes, want %d", len(got), len(want))
	}
	fi, err := os.Stat(mnt)
	if err != nil || fi.Mode() != 0o555 {
		t.Errorf("mode %v, %v; want -r-xr-xr-x", fi.Mode(), err)
	}
}

// lister is a RootLister over a map, counting lookups.
type lister struct {
	mu      sync.Mutex
	entries map[string]castore.Node
	lookups map[string]int
	noList  bool
	listErr error
}

func (l *lister) Lookup(_ context.Context, name string) (castore.Node, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lookups[name]++
	n, ok := l.entries[name]
	if !ok {
		return castore.Node{}, castore.ErrNotFound
	}
	return n, nil
}

func (l *lister) List(context.Context) iter.Seq2[castore.Entry, error] {
	return func(yield func(castore.Entry, error) bool) {
		l.mu.Lock()
		noList, listErr := l.noList, l.listErr
		l.mu.Unlock()
		if noList {
			yield(castore.Entry{}, ErrListingDisabled)
			return
		}
		if listErr != nil {
			yield(castore.Entry{}, listErr)
			return
		}
		l.mu.Lock()
		var names []string
		for name := range l.entries {
			names = append(names, name)
		}
		l.mu.Unlock()
		sort.Strings(names)
		for _, name := range names {
			l.mu.Lock()
			n := l.entries[name]
			l.mu.Unlock()
			if !yield(castore.Entry{Name: name, Node: n}, nil) {
				return
			}
		}
	}
}

func (l *lister) add(name string, n castore.Node) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries[name] = n
}

// TestListerRoot serves a root whose entries come from a RootLister, as
// the store's /nix/store view does.
func TestListerRoot(t *testing.T) {
	requireFUSE(t)
	src := testTree(t)
	s := newTestStore()
	tree := importTree(t, s, src)
	readme := importTree(t, s, filepath.Join(src, "README"))
	l := &lister{entries: map[string]castore.Node{
		"aaaa-tree":   tree,
		"bbbb-readme": readme,
		"cccc-link":   castore.SymlinkNode("aaaa-tree"),
		"dddd-copy":   tree,
	}, lookups: map[string]int{}}
	for i := range 3000 {
		l.entries[fmt.Sprintf("many-%04d", i)] = readme
	}
	mnt := t.TempDir()
	mountTree(t, s, ListerRoot(l), mnt)

	if b, err := os.ReadFile(filepath.Join(mnt, "bbbb-readme")); err != nil || string(b) != "hello, castore\n" {
		t.Errorf("file at the root: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(mnt, "aaaa-tree", "bin", "tool")); err != nil || string(b) != "#!/bin/sh\necho hi\n" {
		t.Errorf("file below the root: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(mnt, "cccc-link", "README")); err != nil || string(b) != "hello, castore\n" {
		t.Errorf("through a symlink at the root: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "eeee-new")); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing entry: %v, want ENOENT", err)
	}
	// A missing entry is not cached: it can appear.
	l.add("eeee-new", readme)
	if _, err := os.Stat(filepath.Join(mnt, "eeee-new")); err != nil {
		t.Errorf("entry added after a failed lookup: %v", err)
	}
	names, err := os.ReadDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(l.entries) {
		t.Errorf("listing has %d entries, want %d", len(names), len(l.entries))
	}
	for _, de := range names {
		n := l.entries[de.Name()]
		if want := fs.FileMode(kindMode(n.Kind)); (de.Type() == fs.ModeDir) != (want == syscall.S_IFDIR) || (de.Type() == fs.ModeSymlink) != (want == syscall.S_IFLNK) {
			t.Errorf("%s: type %v, node %v", de.Name(), de.Type(), n)
		}
	}
	// Listing did not look every entry up.
	l.mu.Lock()
	looked := l.lookups["many-0000"]
	l.mu.Unlock()
	if looked != 0 {
		t.Errorf("listing looked entries up")
	}
	// A lister that refuses listing.
	l.mu.Lock()
	l.noList = true
	l.mu.Unlock()
	if _, err := os.ReadDir(mnt); !errors.Is(err, syscall.EPERM) {
		t.Errorf("listing a root that refuses: %v, want EPERM", err)
	}
	l.mu.Lock()
	l.noList, l.listErr = false, errors.New("backend down")
	l.mu.Unlock()
	if _, err := os.ReadDir(mnt); !errors.Is(err, syscall.EIO) {
		t.Errorf("listing a root whose lister fails: %v, want EIO", err)
	}
}

// countingBlobs counts the blobs opened.
type countingBlobs struct {
	castore.BlobService
	mu     sync.Mutex
	opened map[castore.Digest]int
}

func (c *countingBlobs) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	c.mu.Lock()
	c.opened[d]++
	c.mu.Unlock()
	return c.BlobService.Open(ctx, d)
}

func (c *countingBlobs) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.opened {
		n += k
	}
	return n
}

// TestPrefetchPolicy: listing and stat-ing reads no contents; reading a
// listed file pushes the rest of its listing into the page cache, which
// then reads without asking the store again.
func TestPrefetchPolicy(t *testing.T) {
	requireFUSE(t)
	s := newTestStore()
	root := importTree(t, s, testTree(t))
	counting := &countingBlobs{BlobService: s.blobs, opened: map[castore.Digest]int{}}
	mnt := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Mount(ctx, mnt, counting, s.dirs, NodeRoot(root), &Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Unmount()

	wide := filepath.Join(mnt, "wide")
	des, err := os.ReadDir(wide)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if _, err := os.Lstat(filepath.Join(wide, de.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if n := counting.count(); n != 0 {
		t.Fatalf("listing and stat-ing opened %d blobs", n)
	}
	// Reading one file starts pushing the others.
	if _, err := os.ReadFile(filepath.Join(wide, des[0].Name())); err != nil {
		t.Fatal(err)
	}
	// Every file of the listing is distinct and small: each is fetched
	// once, by that read or by a prefetch worker.
	deadline := time.Now().Add(30 * time.Second)
	for counting.count() < len(des) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := counting.count(); n < len(des) {
		t.Fatalf("after reading one file, %d of the %d listed were fetched", n, len(des))
	}
	before := counting.count()
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(wide, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := os.ReadFile(filepath.Join(testTree(t), "wide", de.Name())); !bytes.Equal(b, want) {
			t.Fatalf("%s: read %q, want %q", de.Name(), b, want)
		}
	}
	// The reads came from the page cache (a few pages may have been
	// reclaimed meanwhile).
	if extra := counting.count() - before; extra > 5 {
		t.Errorf("reading the listing after prefetching fetched %d more blobs", extra)
	}
}
