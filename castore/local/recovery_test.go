package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/local"
)

func open(t *testing.T, dir string) *local.Store {
	t.Helper()
	s, err := local.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s *local.Store, data []byte) castore.Digest {
	t.Helper()
	d, _, err := s.Blobs().Put(t.Context(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func read(s *local.Store, d castore.Digest) ([]byte, error) {
	r, err := s.Blobs().Open(context.Background(), d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	small, large := []byte("hello"), castoretest.RandomBytes(1, 5<<20)
	ds, dl := put(t, s, small), put(t, s, large)
	fx := castoretest.Fixtures()
	p := s.Directories().NewPutter(t.Context())
	p.Put(fx["keep"])
	p.Put(fx["complicated"])
	root, err := p.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	for d, want := range map[castore.Digest][]byte{ds: small, dl: large} {
		got, err := read(s, d)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("after reopening, blob %s: %v", d, err)
		}
	}
	if _, err := castore.Closure(t.Context(), s.Directories(), root); err != nil {
		t.Errorf("after reopening: %v", err)
	}
	// Writing continues in the same pack.
	d3 := put(t, s, []byte("more"))
	if got, err := read(s, d3); err != nil || string(got) != "more" {
		t.Errorf("write after reopen: %q, %v", got, err)
	}
	packs, _ := os.ReadDir(filepath.Join(dir, "packs"))
	if len(packs) != 1 {
		t.Errorf("%d pack files, want 1", len(packs))
	}
}

// copyDir copies a store's files as they are on disk now, like a crash
// would leave them: what was not flushed is only partly there (pack bytes
// without index entries).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestCrashLeavesNothingHalfVisible(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	committed := put(t, s, castoretest.RandomBytes(2, 3<<20))
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	packPath := filepath.Join(dir, "packs", "00000001.pack")
	fi, _ := os.Stat(packPath)
	committedLen := fi.Size()
	// Written but not flushed: in the pack file, not in the index.
	lost := put(t, s, castoretest.RandomBytes(3, 2<<20))
	lostSmall := put(t, s, []byte("not flushed"))

	crashed := copyDir(t, dir)
	s2 := open(t, crashed)
	defer s2.Close()
	if got, err := read(s2, committed); err != nil || len(got) != 3<<20 {
		t.Errorf("committed blob after crash: %d bytes, %v", len(got), err)
	}
	for _, d := range []castore.Digest{lost, lostSmall} {
		if ok, err := s2.Blobs().Has(t.Context(), d); ok || err != nil {
			t.Errorf("unflushed blob %s visible after crash: %v, %v", d, ok, err)
		}
	}
	fi, _ = os.Stat(filepath.Join(crashed, "packs", "00000001.pack"))
	if fi.Size() != committedLen {
		t.Errorf("pack is %d bytes after recovery, want the committed %d", fi.Size(), committedLen)
	}
	// Re-importing completes the work.
	if d := put(t, s2, castoretest.RandomBytes(3, 2<<20)); d != lost {
		t.Fatal("digest changed")
	}
	if got, err := read(s2, lost); err != nil || len(got) != 2<<20 {
		t.Errorf("re-put blob: %d bytes, %v", len(got), err)
	}
}

func TestDirectoriesWaitForBlobs(t *testing.T) {
	// Committing a closure flushes the blobs first, so a crash right after
	// never leaves a directory whose files are gone.
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	data := []byte("file contents")
	d := put(t, s, data)
	dd, err := castore.NewDirectory(castore.Entry{Name: "f", Node: castore.FileNode(d, uint64(len(data)), false)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := castore.PutDirectory(t.Context(), s.Directories(), dd); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, copyDir(t, dir))
	defer s2.Close()
	if _, err := s2.Directories().Get(t.Context(), dd.Digest()); err != nil {
		t.Fatal(err)
	}
	if got, err := read(s2, d); err != nil || !bytes.Equal(got, data) {
		t.Errorf("blob under a committed directory: %q, %v", got, err)
	}
}

// flipByte changes one byte of a pack file at off.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptionDetected(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	small := []byte("a small file that will be damaged on disk")
	ds := put(t, s, small)
	large := castoretest.RandomBytes(4, 4<<20)
	dl := put(t, s, large)
	s.Close()

	// The small blob is the first record: header, then its bytes.
	pack := filepath.Join(dir, "packs", "00000001.pack")
	flipByte(t, pack, 40+5)
	// Damage the large blob's last chunk.
	fi, _ := os.Stat(pack)
	flipByte(t, pack, fi.Size()-10)

	s = open(t, dir)
	defer s.Close()
	_, err := read(s, ds)
	if !errors.Is(err, castore.ErrCorrupt) || !strings.Contains(err.Error(), ds.String()) {
		t.Errorf("reading damaged small blob: %v; want ErrCorrupt naming the blob", err)
	}
	t.Logf("small: %v", err)
	// A range before the damaged chunk reads fine; reading through it fails
	// before handing out any of its bytes.
	r, err := s.Blobs().Open(t.Context(), dl)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, large[:1000]) {
		t.Errorf("reading the undamaged start: %v", err)
	}
	r.Seek(0, io.SeekStart)
	got, err := io.ReadAll(r)
	if !errors.Is(err, castore.ErrCorrupt) {
		t.Errorf("reading damaged large blob: %v; want ErrCorrupt", err)
	}
	if !bytes.Equal(got, large[:len(got)]) {
		t.Errorf("damaged bytes were handed out")
	}
	t.Logf("large: %v after %d good bytes", err, len(got))
}

func TestCorruptDirectoryDetected(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	fx := castoretest.Fixtures()
	root, err := castore.PutDirectory(t.Context(), s.Directories(), fx["keep"])
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(t.Context(), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("castore/directories"))
		v := bytes.Clone(b.Get(root[:]))
		v[len(v)-1] ^= 1
		return b.Put(root[:], v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Directories().Get(t.Context(), root); !errors.Is(err, castore.ErrCorrupt) {
		t.Errorf("Get of damaged directory: %v, want ErrCorrupt", err)
	}
}

// TestLegacyHolder checks that a process keeping the database open for its
// whole life (as govix did before stores were shared) is waited for, then
// named in a clear error.
func TestLegacyHolder(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Close()
	db, err := bolt.Open(filepath.Join(dir, local.DBFile), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = local.Open(t.Context(), dir, &local.Options{LockTimeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("Open beside a process holding the database: %v, want an in-use error", err)
	}
}

// TestSharedDB checks that another package can keep its own bucket in the
// store's database.
func TestSharedDB(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	err := s.Update(t.Context(), func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("store/pathinfo"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	s.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("store/pathinfo")).Get([]byte("k")); string(v) != "v" {
			t.Errorf("shared bucket lost its value: %q", v)
		}
		return nil
	})
}
