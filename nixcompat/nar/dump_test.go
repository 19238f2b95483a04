package nar

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestDumpErrors(t *testing.T) {
	dir := t.TempDir()
	if err := DumpPath(t.Context(), io.Discard, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing path: %v", err)
	}
	fifo := filepath.Join(dir, "tree", "fifo")
	must(t, os.MkdirAll(filepath.Dir(fifo), 0o755))
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := DumpPath(t.Context(), io.Discard, filepath.Join(dir, "tree")); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("fifo: %v", err)
	}
	unreadable := filepath.Join(dir, "unreadable")
	must(t, os.MkdirAll(unreadable, 0o755))
	must(t, os.WriteFile(filepath.Join(unreadable, "f"), []byte("x"), 0o000))
	if os.Geteuid() != 0 {
		if err := DumpPath(t.Context(), io.Discard, unreadable); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("unreadable file: %v", err)
		}
	}
}

// TestDumpFilter leaves out what the filter rejects, as Nix's
// builtins.path filter does.
func TestDumpFilter(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tree")
	must(t, os.MkdirAll(filepath.Join(root, "keep", "drop"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "keep", "a"), []byte("a"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "keep", "drop", "b"), []byte("b"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "c"), []byte("c"), 0o644))
	var seen []string
	d := Dumper{Filter: func(path string, mode fs.FileMode) (bool, error) {
		rel, _ := filepath.Rel(root, path)
		seen = append(seen, rel)
		return filepath.Base(path) != "drop", nil
	}}
	l, err := listOf(t, d, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Root.Lookup("/keep/drop"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("filtered directory is in the archive")
	}
	if _, err := l.Root.Lookup("/keep/a"); err != nil {
		t.Fatal(err)
	}
	if want := "c keep keep/a keep/drop"; joined(seen) != want {
		t.Fatalf("filter saw %q, want %q", joined(seen), want)
	}
	boom := errors.New("boom")
	d.Filter = func(string, fs.FileMode) (bool, error) { return false, boom }
	if _, err := listOf(t, d, root); !errors.Is(err, boom) {
		t.Fatalf("filter error: %v", err)
	}
}

func listOf(t *testing.T, d Dumper, root string) (*Listing, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(d.DumpPath(t.Context(), pw, root)) }()
	return List(pr)
}

func joined(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

// TestDumpCancel stops a dump through its context and checks that no
// goroutine is left behind.
func TestDumpCancel(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tree")
	makeRandomTree(t, root, 42)
	makeAwkwardTree(t, filepath.Join(root, "awkward"))
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	w := &slowWriter{cancel: cancel, after: 3}
	err := DumpPath(ctx, w, root)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left, %d before", n, before)
	}
	// A failing writer stops the dump the same way.
	werr := errors.New("disk full")
	if err := DumpPath(t.Context(), failWriter{werr}, root); !errors.Is(err, werr) {
		t.Fatalf("failing writer: %v", err)
	}
}

// slowWriter cancels the dump after a few writes.
type slowWriter struct {
	cancel func()
	after  int
}

func (w *slowWriter) Write(p []byte) (int, error) {
	if w.after--; w.after == 0 {
		w.cancel()
	}
	return len(p), nil
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }
