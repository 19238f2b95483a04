package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/memory"
	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/store"
)

// makeTree writes a tree with every kind of node NARs hold: nested and
// empty directories, empty, small, executable and chunk-sized files,
// relative, absolute and dangling symlinks, names that sort unusually.
func makeTree(t *testing.T, dir string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 3<<20+17)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	files := map[string]string{
		"a/b/c.txt":    "hello\n",
		"a/empty":      "",
		"B":            "upper case sorts first",
		"bin/tool":     "#!/bin/sh\necho hi\n",
		"big.bin":      string(big),
		"odd-7":        "1234567",
		"z/.hidden":    "dot",
		"z/ünïcode":    "utf-8 name",
		"a/b/d/e/f/g":  strings.Repeat("x", 8),
		"a/b/d/e/f/h9": strings.Repeat("y", 9),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "bin/tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"emptydir", "a/b/d/emptier"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"link": "a/b/c.txt", "abs": "/nix/store/foo", "dangling": "../nowhere"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
}

// dumpNix returns nix-store --dump of path, or our own dumper's NAR when
// Nix is missing (outside CI).
func dumpNix(t *testing.T, path string) []byte {
	t.Helper()
	if _, err := exec.LookPath("nix-store"); err != nil && !testutil.InCI() {
		var b bytes.Buffer
		if err := nar.DumpPath(context.Background(), &b, path); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	testutil.RequireNix(t)
	out, err := exec.Command("nix-store", "--dump", path).Output()
	if err != nil {
		t.Fatalf("nix-store --dump: %v", err)
	}
	return out
}

func ingest(t *testing.T, cas *castore.Store, narBytes []byte) *store.IngestResult {
	t.Helper()
	res, err := store.IngestNAR(context.Background(), cas.Blobs, cas.Directories, bytes.NewReader(narBytes), nil)
	if err != nil {
		t.Fatalf("IngestNAR: %v", err)
	}
	return res
}

func TestNARRoundTrip(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	makeTree(t, filepath.Join(root, "tree"))
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("a single file"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target", filepath.Join(root, "symlink")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tree", "file", "symlink"} {
		t.Run(name, func(t *testing.T) {
			want := dumpNix(t, filepath.Join(root, name))
			cas := memory.New()
			res := ingest(t, cas, want)
			if res.NarSize != uint64(len(want)) || res.NarSHA256 != sha256.Sum256(want) {
				t.Errorf("ingest reports size %d hash %x, want %d %x", res.NarSize, res.NarSHA256, len(want), sha256.Sum256(want))
			}
			r, err := store.NewNARReader(ctx, cas.Blobs, cas.Directories, res.Node)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Size() != int64(len(want)) {
				t.Errorf("layout size %d, want %d", r.Size(), len(want))
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("rendered NAR differs from nix-store --dump (%d vs %d bytes)", len(got), len(want))
			}
			size, sum, err := store.NewNARCalculator(cas.Blobs, cas.Directories).CalculateNAR(ctx, res.Node)
			if err != nil || size != uint64(len(want)) || sum != sha256.Sum256(want) {
				t.Errorf("CalculateNAR = %d, %x, %v", size, sum, err)
			}
			// Random ranges, read after seeks, match the same bytes.
			rng := rand.New(rand.NewPCG(3, 4))
			for range 200 {
				off := rng.IntN(len(want))
				n := 1 + rng.IntN(min(len(want)-off, 1<<20))
				if _, err := r.Seek(int64(off), io.SeekStart); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, n)
				if _, err := io.ReadFull(r, buf); err != nil {
					t.Fatalf("range %d+%d: %v", off, n, err)
				}
				if !bytes.Equal(buf, want[off:off+n]) {
					t.Fatalf("range %d+%d differs", off, n)
				}
			}
		})
	}
}

func TestIngestRefusesBadNARs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tree")
	makeTree(t, dir)
	good := dumpNix(t, dir)
	sum := sha256.Sum256(good)
	wrong := sum
	wrong[0] ^= 1
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40

	for _, tc := range []struct {
		name string
		nar  []byte
		opts *store.IngestOptions
	}{
		{"truncated", good[:len(good)-9], nil},
		{"trailing data", append(bytes.Clone(good), 0), nil},
		{"wrong hash", good, &store.IngestOptions{SHA256: &wrong}},
		{"too short for size", good, &store.IngestOptions{Size: uint64(len(good)) + 1}},
		{"too long for size", good, &store.IngestOptions{Size: uint64(len(good)) - 8}},
		{"flipped byte", flipped, &store.IngestOptions{SHA256: &sum}},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cas := memory.New()
			_, err := store.IngestNAR(context.Background(), cas.Blobs, cas.Directories, bytes.NewReader(tc.nar), tc.opts)
			if err == nil {
				t.Fatal("IngestNAR accepted it")
			}
			// No directory was stored: the root directory of the good
			// tree must not be there.
			res := ingest(t, memory.New(), good)
			if _, err := cas.Directories.Get(context.Background(), res.Node.Digest); !errors.Is(err, castore.ErrNotFound) {
				t.Errorf("root directory is stored after a refused ingest (err %v)", err)
			}
		})
	}
}
