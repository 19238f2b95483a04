package fsio_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/castore/local"
	"github.com/govix/govix/castore/memory"
)

// TestMain lets the test binary act as an importer that the crash test
// kills.
func TestMain(m *testing.M) {
	if dir := os.Getenv("GOVIX_CRASH_STORE"); dir != "" {
		crashChild(dir, os.Getenv("GOVIX_CRASH_TREE"))
		return
	}
	os.Exit(m.Run())
}

// crashChild imports tree into the store at dir, flushing often, and
// prints the number of files done every few milliseconds.
func crashChild(dir, tree string) {
	ls, err := local.Open(context.Background(), dir, &local.Options{FlushEntries: 64, FlushBytes: 4 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var prog fsio.Progress
	go func() {
		for {
			fmt.Println(prog.Files.Load())
			time.Sleep(2 * time.Millisecond)
		}
	}()
	root, err := fsio.Import(context.Background(), ls.Castore(), tree, &fsio.Options{Progress: &prog, Workers: 4})
	if err == nil {
		err = ls.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("done", root.Digest)
	os.Exit(0)
}

// crashTree writes a tree of many small files and some large ones.
func crashTree(t *testing.T) (string, int) {
	dir := t.TempDir()
	n := 0
	for i := range 1500 {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d/e%d", i%40, i%3))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		size := 200 + (i*7919)%30000
		if i%100 == 0 {
			size = 3<<20 + i
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d", i)), castoretest.RandomBytes(uint64(i), size), 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return dir, n
}

// TestKilledImport kills an importing process (SIGKILL) at several points,
// checks after each that the store is consistent (everything the index
// names is there and verifies), and finally imports to the end: the result
// is the tree's true digest and exports back to the same files.
func TestKilledImport(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	tree, files := crashTree(t)
	want, err := fsio.Import(t.Context(), memory.New(), tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	killed := 0
	for _, frac := range []float64{0.1, 0.4, 0.7, 0.95, 1.0} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GOVIX_CRASH_STORE="+store, "GOVIX_CRASH_TREE="+tree)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		finished := false
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "done ") {
				finished = true
				break
			}
			if n, _ := strconv.Atoi(line); float64(n) >= frac*float64(files) {
				cmd.Process.Signal(syscall.SIGKILL)
				killed++
				break
			}
		}
		go func() {
			for sc.Scan() {
			}
		}()
		cmd.Wait()
		t.Logf("at %.0f%%: finished=%v", 100*frac, finished)

		ls, err := local.Open(t.Context(), store, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ls.Check(t.Context())
		if err != nil {
			t.Fatalf("store inconsistent after kill at %.0f%%: %v", 100*frac, err)
		}
		t.Logf("  consistent: %d chunks (%d MB), %d manifests, %d directories", rep.Chunks, rep.Bytes>>20, rep.Manifests, rep.Directories)
		ls.Close()
	}
	if killed == 0 {
		t.Error("the importer was never killed")
	}

	ls, err := local.Open(t.Context(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	got, err := fsio.Import(t.Context(), ls.Castore(), tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("re-import after crashes: %v, want %v", got, want)
	}
	if _, err := ls.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := fsio.Export(t.Context(), ls.Castore(), got, out, nil); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, tree, out)
}
