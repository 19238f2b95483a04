package fsio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/castore/local"
	"github.com/govix/govix/castore/memory"
)

// makeTree writes a tree with every kind of entry the data model has.
func makeTree(t testing.TB, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a/b/c"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "empty"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "same1/x"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "same2/x"), 0o755))
	files := map[string][]byte{
		"hello":        []byte("Hello World!"),
		"empty-file":   nil,
		"a/b/c/deep":   []byte("deep"),
		"a/big":        castoretest.RandomBytes(1, 3<<20+17),
		"a/b/medium":   castoretest.RandomBytes(2, 200<<10),
		"same1/x/f":    []byte("same"),
		"same2/x/f":    []byte("same"),
		"\xffodd name": []byte("bytes, not UTF-8"),
	}
	for name, data := range files {
		must(os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	must(os.WriteFile(filepath.Join(dir, "a/run.sh"), []byte("#!/bin/sh\n"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a/owner-x"), []byte("x"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "a/group-x"), []byte("x"), 0o654)) // not executable for Nix
	must(os.Symlink("hello", filepath.Join(dir, "link")))
	must(os.Symlink("/nix/store/somewhereelse", filepath.Join(dir, "a/abs")))
	must(os.Symlink("../dangling/target", filepath.Join(dir, "a/b/dangling")))
	for i := range 300 {
		must(os.WriteFile(filepath.Join(dir, "a/b", fmt.Sprintf("f%03d", i)), []byte(strings.Repeat("x", i)), 0o644))
	}
}

// compareTrees checks that b has the same entries, contents, exec bits and
// symlink targets as a.
func compareTrees(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	err := filepath.Walk(a, func(p string, fa os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		n++
		rel, _ := filepath.Rel(a, p)
		q := filepath.Join(b, rel)
		fb, err := os.Lstat(q)
		if err != nil {
			return err
		}
		if fa.Mode().Type() != fb.Mode().Type() {
			return fmt.Errorf("%s: type %v, want %v", rel, fb.Mode().Type(), fa.Mode().Type())
		}
		switch {
		case fa.Mode().IsRegular():
			if (fa.Mode()&0o100 != 0) != (fb.Mode()&0o100 != 0) {
				return fmt.Errorf("%s: exec bit %v, want %v", rel, fb.Mode(), fa.Mode())
			}
			da, _ := os.ReadFile(p)
			db, _ := os.ReadFile(q)
			if !bytes.Equal(da, db) {
				return fmt.Errorf("%s: contents differ", rel)
			}
		case fa.Mode()&os.ModeSymlink != 0:
			ta, _ := os.Readlink(p)
			tb, _ := os.Readlink(q)
			if ta != tb {
				return fmt.Errorf("%s: target %q, want %q", rel, tb, ta)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := 0
	filepath.Walk(b, func(string, os.FileInfo, error) error { m++; return nil })
	if m != n {
		t.Fatalf("%s has %d entries, %s has %d", b, m, a, n)
	}
}

func stores(t *testing.T) map[string]*castore.Store {
	l, err := local.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return map[string]*castore.Store{"memory": memory.New(), "local": l.Castore()}
}

func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src)
	var roots []castore.Node
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			var prog fsio.Progress
			root, err := fsio.Import(t.Context(), s, src, &fsio.Options{Progress: &prog})
			if err != nil {
				t.Fatal(err)
			}
			if root.Kind != castore.KindDirectory {
				t.Fatalf("root %v", root)
			}
			if got := prog.Files.Load(); got != prog.FilesDiscovered.Load() || got != 311 {
				t.Errorf("progress: %d files of %d discovered, want 311", got, prog.FilesDiscovered.Load())
			}
			again, err := fsio.Import(t.Context(), s, src, &fsio.Options{Workers: 1})
			if err != nil || again != root {
				t.Fatalf("second import: %v, %v; want %v", again, err, root)
			}
			roots = append(roots, root)
			dest := filepath.Join(t.TempDir(), "out")
			if err := fsio.Export(t.Context(), s, root, dest, nil); err != nil {
				t.Fatal(err)
			}
			compareTrees(t, src, dest)
			if err := fsio.Export(t.Context(), s, root, dest, nil); err == nil {
				t.Error("export over an existing path succeeded")
			}
		})
	}
	if len(roots) == 2 && roots[0] != roots[1] {
		t.Errorf("backends disagree on the root: %v vs %v", roots[0], roots[1])
	}
}

// TestDigestByHand checks Import against directories built by hand from
// the data model's rules.
func TestDigestByHand(t *testing.T) {
	src := t.TempDir()
	os.Mkdir(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "sub", ".keep"), nil, 0o644)
	os.WriteFile(filepath.Join(src, "x"), []byte("Hello World!"), 0o755)
	os.Symlink("/nix/store/somewhereelse", filepath.Join(src, "aa"))
	sub, _ := castore.NewDirectory(castore.Entry{Name: ".keep", Node: castore.FileNode(castore.EmptyBlobDigest, 0, false)})
	top, _ := castore.NewDirectory(
		castore.Entry{Name: "sub", Node: sub.Node()},
		castore.Entry{Name: "x", Node: castore.FileNode(castore.Sum([]byte("Hello World!")), 12, true)},
		castore.Entry{Name: "aa", Node: castore.SymlinkNode("/nix/store/somewhereelse")},
	)
	got, err := fsio.Import(t.Context(), memory.New(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := top.Node(); got != want {
		t.Errorf("Import = %v, want %v", got, want)
	}
	if got.Size != 4 {
		t.Errorf("root size %d, want 4 (three entries and the one below sub)", got.Size)
	}
}

func TestSingleFileAndSymlinkRoots(t *testing.T) {
	s := memory.New()
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("Hello World!"), 0o755)
	n, err := fsio.Import(t.Context(), s, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := castore.FileNode(castore.Sum([]byte("Hello World!")), 12, true); n != want {
		t.Errorf("file root %v, want %v", n, want)
	}
	out := filepath.Join(dir, "out")
	if err := fsio.Export(t.Context(), s, n, out, nil); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, f, out)

	l := filepath.Join(dir, "l")
	os.Symlink("f", l)
	n, err = fsio.Import(t.Context(), s, l, nil)
	if err != nil || n != castore.SymlinkNode("f") {
		t.Fatalf("symlink root %v, %v", n, err)
	}
	out2 := filepath.Join(dir, "out2")
	if err := fsio.Export(t.Context(), s, n, out2, nil); err != nil {
		t.Fatal(err)
	}
	if tgt, _ := os.Readlink(out2); tgt != "f" {
		t.Errorf("exported symlink -> %q", tgt)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*govix-export*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir)
	fifo := filepath.Join(dir, "a/b/fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := fsio.Import(t.Context(), memory.New(), dir, nil)
	var se *fsio.SpecialFileError
	if !errors.As(err, &se) || se.Path != fifo || !strings.Contains(err.Error(), "FIFO") {
		t.Errorf("import with a FIFO: %v", err)
	}
	os.Remove(fifo)

	sock := filepath.Join(t.TempDir(), "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = fsio.Import(t.Context(), memory.New(), sock, nil)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "socket") {
		t.Errorf("import of a socket: %v", err)
	}
	if _, err := fsio.Import(t.Context(), memory.New(), "/dev/null", nil); !errors.As(err, &se) || !strings.Contains(err.Error(), "character device") {
		t.Errorf("import of /dev/null: %v", err)
	}
}

// TestExportFailureLeavesNothing exports a tree whose blob is missing.
func TestExportFailureLeavesNothing(t *testing.T) {
	s := memory.New()
	d, _ := castore.NewDirectory(castore.Entry{Name: "gone", Node: castore.FileNode(castore.Sum([]byte("never stored")), 12, false)})
	root, err := castore.PutDirectory(t.Context(), s.Directories, d)
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	err = fsio.Export(t.Context(), s, castore.DirectoryNode(root, d.Size()), dest, nil)
	if !errors.Is(err, castore.ErrNotFound) {
		t.Errorf("export with a missing blob: %v, want ErrNotFound", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("failed export left %v", ents)
	}
	// A blob whose size disagrees with the directory.
	bd, _, _ := s.Blobs.Put(t.Context(), bytes.NewReader([]byte("four")))
	d2, _ := castore.NewDirectory(castore.Entry{Name: "f", Node: castore.FileNode(bd, 5, false)})
	root2, _ := castore.PutDirectory(t.Context(), s.Directories, d2)
	err = fsio.Export(t.Context(), s, castore.DirectoryNode(root2, 1), dest, nil)
	if !errors.Is(err, castore.ErrCorrupt) {
		t.Errorf("export with a wrong size: %v, want ErrCorrupt", err)
	}
}

func TestImportCancelled(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := fsio.Import(ctx, memory.New(), dir, nil); err == nil {
		t.Error("cancelled import succeeded")
	}
}
