package storefs_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
	"github.com/govix/govix/store/storefs"
)

func requireFUSE(t *testing.T) {
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

// TestMount: the mount shows every store path, paths added after mounting
// appear, contents and exec bits and symlinks are the tree's, and an
// unknown name is not there.
func TestMount(t *testing.T) {
	requireFUSE(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := backend.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "pkg")
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "bin", "run"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("bin/run", filepath.Join(src, "link"))
	a, err := store.AddPath(ctx, st, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	mnt := t.TempDir()
	srv, err := storefs.Mount(ctx, mnt, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Unmount(); srv.Wait() }()

	os.WriteFile(filepath.Join(src, "later"), []byte("added after mounting"), 0o644)
	b, err := store.AddPath(ctx, st, src, &store.AddOptions{Name: "pkg2"})
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{a.StorePath.String(), b.StorePath.String()}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("mount lists %v, want %v", names, want)
	}
	if out, err := exec.Command("diff", "-r", "--no-dereference", src, filepath.Join(mnt, b.StorePath.String())).CombinedOutput(); err != nil {
		t.Errorf("mounted tree differs: %s", out)
	}
	fi, err := os.Stat(filepath.Join(mnt, a.StorePath.String(), "bin", "run"))
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("bin/run: %v %v, want executable", fi, err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "00000000000000000000000000000000-nope")); !os.IsNotExist(err) {
		t.Errorf("unknown path: %v", err)
	}
}
