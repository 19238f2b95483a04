package objectstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/objectstore"
)

// The crash test runs an import in a child process (this test binary,
// re-run with crashChildEnv set) and kills it with SIGKILL.
const crashChildEnv = "GOVIX_OBJECTSTORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// importGroup stores group g of round r: 10 directories of 8 files each
// (one of them chunked in every fourth directory), under one directory.
func importGroup(ctx context.Context, s *castore.Store, r, g int) (castore.Digest, error) {
	p := s.Directories.NewPutter(ctx)
	var top []castore.Entry
	for d := range 10 {
		var entries []castore.Entry
		for f := range 8 {
			size := 100 + 1000*f
			if f == 7 && d%4 == 0 {
				size = 2 << 20
			}
			data := castoretest.RandomBytes(uint64(r*1_000_000+g*1000+d*10+f), size)
			dg, n, err := s.Blobs.Put(ctx, bytes.NewReader(data))
			if err != nil {
				return castore.Digest{}, err
			}
			entries = append(entries, castore.Entry{Name: fmt.Sprintf("f%d", f), Node: castore.FileNode(dg, n, false)})
		}
		dir, err := castore.NewDirectory(entries...)
		if err != nil {
			return castore.Digest{}, err
		}
		if err := p.Put(dir); err != nil {
			return castore.Digest{}, err
		}
		top = append(top, castore.Entry{Name: fmt.Sprintf("d%d", d), Node: dir.Node()})
	}
	dir, err := castore.NewDirectory(top...)
	if err != nil {
		return castore.Digest{}, err
	}
	if err := p.Put(dir); err != nil {
		return castore.Digest{}, err
	}
	return p.Close()
}

func crashChild(dir string) error {
	ctx := context.Background()
	u, err := url.Parse(fileURL(dir) + "?fsync=false")
	if err != nil {
		return err
	}
	s, err := objectstore.Open(ctx, u)
	if err != nil {
		return err
	}
	for r := 0; ; r++ { // until killed
		for g := range 5 {
			if _, err := importGroup(ctx, s, r, g); err != nil {
				return err
			}
		}
	}
}

// TestKilledImport kills an import at a random point and checks that the
// store is consistent: every object reads back verified, every directory's
// closure and every chunked blob's chunks are complete (nothing dangles),
// and the import can simply be run again.
func TestKilledImport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	for round, wantDirs := range []int{30, 70} { // kill at two points
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		deadline := time.After(2 * time.Minute)
	wait:
		for countFiles(dir, "dirs") < wantDirs {
			select {
			case <-exited:
				break wait
			case <-deadline:
				break wait
			case <-time.After(5 * time.Millisecond):
			}
		}
		cmd.Process.Kill()
		<-exited
		if countFiles(dir, "dirs") < wantDirs {
			t.Fatalf("round %d: the import stored too little before it was killed: %s", round, stderr.String())
		}
		checkConsistent(t, dir)
	}

	// Running the import again finishes the job.
	s := openURL(t, fileURL(dir))
	defer s.Close()
	for g := range 5 {
		root, err := importGroup(t.Context(), s, 0, g)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := castore.Closure(t.Context(), s.Directories, root); err != nil || len(c) != 11 {
			t.Fatalf("group %d after re-import: %d directories, %v", g, len(c), err)
		}
	}
	checkConsistent(t, dir)
}

func countFiles(dir, kind string) int {
	n := 0
	filepath.WalkDir(filepath.Join(dir, kind), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && !strings.HasSuffix(p, ".tmp") {
			n++
		}
		return nil
	})
	return n
}

// checkConsistent reads every object of the store in dir through a fresh
// store.
func checkConsistent(t *testing.T, dir string) {
	t.Helper()
	ctx := t.Context()
	s := openURL(t, fileURL(dir))
	defer s.Close()
	digests := func(kind string) []castore.Digest {
		var out []castore.Digest
		filepath.WalkDir(filepath.Join(dir, kind), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && !strings.HasSuffix(p, ".tmp") {
				d, perr := castore.ParseDigest(filepath.Base(p))
				if perr != nil {
					t.Errorf("stray file %s", p)
				}
				out = append(out, d)
			}
			return nil
		})
		return out
	}
	for _, d := range digests("dirs") {
		if _, err := castore.Closure(ctx, s.Directories, d); err != nil {
			t.Errorf("directory %s: %v", d, err)
		}
	}
	read := func(d castore.Digest) {
		r, err := s.Blobs.Open(ctx, d)
		if err == nil {
			_, err = io.Copy(io.Discard, r)
			r.Close()
		}
		if err != nil {
			t.Errorf("blob %s: %v", d, err)
		}
	}
	for _, d := range digests("blobs") {
		read(d)
	}
	for _, d := range digests("chunks") {
		read(d)
	}
}
