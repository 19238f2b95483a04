package local_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/local"
)

// TestMain lets the test binary act as a second process on a store (see
// runHelper).
func TestMain(m *testing.M) {
	if dir := os.Getenv("GOVIX_LOCAL_HELPER_DIR"); dir != "" {
		if err := runHelper(dir, os.Getenv("GOVIX_LOCAL_HELPER_SEED")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperBlobs are the blobs the helper with the given seed writes: small
// ones and a few chunked ones, some shared by every helper.
func helperBlobs(seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	shared := rand.New(rand.NewPCG(0, 1))
	var out [][]byte
	for i := range 200 {
		r := rng
		if i%4 == 0 {
			r = shared
		}
		n := 1 + r.IntN(8<<10)
		if i%50 == 0 {
			n = 3<<20 + r.IntN(1<<20)
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		out = append(out, b)
	}
	return out
}

// runHelper writes the blobs of seed into the store in dir, and a
// directory naming them, then prints the directory's digest. It syncs
// every 50 blobs, so that its commits interleave with other processes'.
func runHelper(dir, seedText string) error {
	seed, err := strconv.ParseUint(seedText, 10, 64)
	if err != nil {
		return err
	}
	ctx := context.Background()
	s, err := local.Open(ctx, dir, &local.Options{MaxPackSize: 4 << 20})
	if err != nil {
		return err
	}
	defer s.Close()
	var d castore.Directory
	for i, b := range helperBlobs(seed) {
		dg, n, err := s.Blobs().Put(ctx, bytes.NewReader(b))
		if err != nil {
			return err
		}
		d.Entries = append(d.Entries, castore.Entry{Name: fmt.Sprintf("f%03d", i), Node: castore.Node{Kind: castore.KindFile, Digest: dg, Size: n}})
		if i%50 == 49 {
			if err := s.Sync(ctx); err != nil {
				return err
			}
		}
	}
	root, err := castore.PutDirectory(ctx, s.Directories(), &d)
	if err != nil {
		return err
	}
	fmt.Println(root)
	return s.Close()
}

func helperCmd(t *testing.T, dir string, seed int) *exec.Cmd {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GOVIX_LOCAL_HELPER_DIR="+dir, "GOVIX_LOCAL_HELPER_SEED="+strconv.Itoa(seed))
	cmd.Stderr = os.Stderr
	return cmd
}

// TestProcessesShareStore runs four writer processes on one store at once
// while this process keeps it open and reads, kills a fifth in the middle
// of its work, and then checks that every blob and directory is there and
// the whole store verifies.
func TestProcessesShareStore(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	mine := put(t, s, []byte("written before the others start"))

	victim := helperCmd(t, dir, 99)
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	const n = 4
	outs := make([]string, n)
	errs := make([]error, n)
	var writers, reader sync.WaitGroup
	for i := range n {
		writers.Go(func() {
			out, err := helperCmd(t, dir, i+1).Output()
			outs[i], errs[i] = strings.TrimSpace(string(out)), err
		})
	}
	// Meanwhile this process reads and writes, and the victim dies.
	stop := make(chan struct{})
	var reads int
	reader.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := read(s, mine); err != nil {
				t.Errorf("reading while others write: %v", err)
				return
			}
			reads++
			if _, _, err := s.Blobs().Put(context.Background(), bytes.NewReader(fmt.Appendf(nil, "mine %d", reads))); err != nil {
				t.Errorf("writing while others write: %v", err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	time.Sleep(150 * time.Millisecond)
	victim.Process.Kill()
	victim.Wait()
	writers.Wait()
	close(stop)
	reader.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i+1, errs[i])
		}
		root, err := castore.ParseDigest(outs[i])
		if err != nil {
			t.Fatalf("writer %d printed %q: %v", i+1, outs[i], err)
		}
		d, err := s.Directories().Get(t.Context(), root)
		if err != nil {
			t.Fatalf("writer %d's directory: %v", i+1, err)
		}
		want := helperBlobs(uint64(i + 1))
		for j, e := range d.Entries {
			got, err := read(s, e.Digest)
			if err != nil || !bytes.Equal(got, want[j]) {
				t.Fatalf("writer %d's blob %s: %v (%d bytes, want %d)", i+1, e.Name, err, len(got), len(want[j]))
			}
		}
	}
	t.Logf("%d reads and writes here while %d processes wrote", reads, n)
	// The victim's work can simply be done again.
	if out, err := helperCmd(t, dir, 99).Output(); err != nil {
		t.Fatalf("re-running the killed writer: %v", err)
	} else if _, err := castore.ParseDigest(strings.TrimSpace(string(out))); err != nil {
		t.Fatalf("re-run printed %q", out)
	}
	rep, err := s.Check(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("check: %+v", rep)
	s.Close()
	// A fresh opener repairs nothing it should not, and finds it all.
	s2 := open(t, dir)
	defer s2.Close()
	if _, err := s2.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestTwoStoresOneProcess opens a store twice in one process (flock locks
// belong to open files, so this is like two processes) and interleaves
// writes and reads between them.
func TestTwoStoresOneProcess(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir)
	defer a.Close()
	b := open(t, dir)
	defer b.Close()
	for i := range 20 {
		w, r := a, b
		if i%2 == 1 {
			w, r = b, a
		}
		d := put(t, w, fmt.Appendf(nil, "blob %d", i))
		if err := w.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got, err := read(r, d); err != nil || string(got) != fmt.Sprintf("blob %d", i) {
			t.Fatalf("the other store reads %q, %v", got, err)
		}
	}
	if _, err := a.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
}
