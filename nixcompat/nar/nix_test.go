package nar

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/govix/govix/internal/testutil"
)

// nixDump returns what nix-store --dump writes for path.
func nixDump(t testing.TB, path string) []byte {
	t.Helper()
	testutil.RequireNix(t)
	out, err := exec.Command("nix-store", "--dump", path).Output()
	if err != nil {
		t.Fatalf("nix-store --dump %s: %v", path, err)
	}
	return out
}

// nixTrees returns the trees the tests compare with Nix: the awkward one,
// random ones, and roots that are not directories.
func nixTrees(t *testing.T) map[string]string {
	base := t.TempDir()
	trees := map[string]string{}
	trees["awkward"] = filepath.Join(base, "awkward")
	makeAwkwardTree(t, trees["awkward"])
	for seed := uint64(1); seed <= 5; seed++ {
		name := fmt.Sprintf("random%d", seed)
		trees[name] = filepath.Join(base, name)
		makeRandomTree(t, trees[name], seed)
	}
	trees["root-file"] = filepath.Join(trees["awkward"], "sizes", "00000017")
	trees["root-exec"] = filepath.Join(trees["awkward"], "modes", "exec")
	trees["root-empty-file"] = filepath.Join(trees["awkward"], "sizes", "00000000")
	trees["root-symlink"] = filepath.Join(trees["awkward"], "links", "absolute")
	trees["root-empty-dir"] = filepath.Join(trees["awkward"], "dirs", "empty")
	return trees
}

// TestDumpMatchesNix checks that DumpPath and DumpFS write byte for byte
// what nix-store --dump writes.
func TestDumpMatchesNix(t *testing.T) {
	for name, path := range nixTrees(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := nixDump(t, path)
			if got := dumpBytes(t, path); !bytes.Equal(got, want) {
				t.Fatalf("DumpPath differs from nix-store --dump (%d vs %d bytes)\n%s", len(got), len(want), firstDiff(got, want))
			}
			var buf bytes.Buffer
			// io/fs paths must be UTF-8.
			if utf8.ValidString(path) && allUTF8(t, path) {
				dir, base := filepath.Split(path)
				if err := DumpFS(t.Context(), &buf, os.DirFS(dir), base); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("DumpFS differs from nix-store --dump\n%s", firstDiff(buf.Bytes(), want))
				}
			}
			// Tiny budgets and one reader exercise the writer reading
			// files itself and waiting for readers.
			for _, d := range []Dumper{{Readers: 1, Memory: 1}, {Readers: 8, Memory: 100 << 10}} {
				buf.Reset()
				if err := d.DumpPath(t.Context(), &buf, path); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("Dumper%+v differs from nix-store --dump", d)
				}
			}
		})
	}
}

// TestReadNixArchives reads Nix's archives back: re-encoding what Reader
// returns must give the same bytes, and restoring them must give a tree
// Nix dumps identically, equal to the original.
func TestReadNixArchives(t *testing.T) {
	for name, path := range nixTrees(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := nixDump(t, path)
			var buf bytes.Buffer
			if err := copyArchive(&buf, bytes.NewReader(want)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("re-encoded archive differs\n%s", firstDiff(buf.Bytes(), want))
			}

			restored := filepath.Join(t.TempDir(), "restored")
			if err := Restore(t.Context(), bytes.NewReader(want), restored); err != nil {
				t.Fatal(err)
			}
			if got := nixDump(t, restored); !bytes.Equal(got, want) {
				t.Fatalf("nix-store --dump of the restored tree differs\n%s", firstDiff(got, want))
			}
			if fi, _ := os.Lstat(path); fi.IsDir() {
				treesEqual(t, path, restored)
				treesEqual(t, restored, path)
			}

			// And Nix restores what we write.
			nixRestored := filepath.Join(t.TempDir(), "nix-restored")
			cmd := exec.Command("nix-store", "--restore", nixRestored)
			cmd.Stdin = bytes.NewReader(dumpBytes(t, path))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nix-store --restore: %v\n%s", err, out)
			}
			if got := dumpBytes(t, nixRestored); !bytes.Equal(got, want) {
				t.Fatal("tree restored by Nix dumps differently")
			}
		})
	}
}

// TestListingMatchesNix compares listings with nix nar ls --json.
func TestListingMatchesNix(t *testing.T) {
	testutil.RequireNix(t)
	trees := nixTrees(t)
	for name, path := range trees {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			narFile := filepath.Join(t.TempDir(), "x.nar")
			if err := os.WriteFile(narFile, nixDump(t, path), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(narFile)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			l, err := List(f)
			if err != nil {
				t.Fatal(err)
			}
			paths := []string{"/"}
			if name == "awkward" {
				paths = append(paths, "/sizes", "/links", "/modes/exec", "/links/odd-target", "/names")
			}
			for _, p := range paths {
				for _, recursive := range []bool{false, true} {
					args := []string{"--experimental-features", "nix-command", "nar", "ls", "--json", narFile, p}
					if recursive {
						args = append(args, "--recursive")
					}
					want, err := exec.Command("nix", args...).Output()
					if err != nil {
						t.Fatalf("nix %v: %v", args, err)
					}
					n, err := l.Root.Lookup(p)
					if err != nil {
						t.Fatal(err)
					}
					if got := n.JSON(recursive); !bytes.Equal(got, want) {
						t.Fatalf("nar ls --json %s (recursive %v):\n got %s\nwant %s", p, recursive, got, want)
					}
				}
			}
		})
	}
}

// TestLargeSparseFile dumps a file of a few hundred megabytes, mostly
// holes, and compares the hash of the archive with Nix's.
func TestLargeSparseFile(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	testutil.RequireNix(t)
	p := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 300<<20 + 13
	for _, off := range []int64{0, 1 << 20, 150<<20 + 3, size - 5} {
		if _, err := f.WriteAt([]byte("data!"), off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if err := DumpPath(t.Context(), h, p); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%x", h.Sum(nil))

	cmd := exec.Command("nix-store", "--dump", p)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nh := sha256.New()
	// Read Nix's archive through our Reader on the way, to check that
	// it streams a large file too.
	tee := io.TeeReader(out, nh)
	nr := NewReader(tee)
	hdr, err := nr.Next()
	if err != nil || hdr.Size != size {
		t.Fatalf("Next = %+v, %v", hdr, err)
	}
	contents := sha256.New()
	if _, err := io.Copy(contents, nr); err != nil {
		t.Fatal(err)
	}
	if _, err := nr.Next(); err != io.EOF {
		t.Fatalf("after the file: %v", err)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x", nh.Sum(nil)); got != want {
		t.Fatalf("archive hash %s, Nix %s", got, want)
	}
	fh := sha256.New()
	ff, _ := os.Open(p)
	defer ff.Close()
	io.Copy(fh, ff)
	if !bytes.Equal(fh.Sum(nil), contents.Sum(nil)) {
		t.Fatal("contents read back differ from the file")
	}
}

// allUTF8 reports whether every name in the tree at root is UTF-8.
func allUTF8(t testing.TB, root string) bool {
	ok := true
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if !utf8.ValidString(d.Name()) {
			ok = false
		}
		return nil
	})
	return ok
}

// copyArchive decodes an archive and encodes it again.
func copyArchive(w io.Writer, r io.Reader) error {
	nr := NewReader(r)
	nw := NewWriter(w)
	for {
		h, err := nr.Next()
		if err == io.EOF {
			return nw.Close()
		}
		if err != nil {
			return err
		}
		if err := nw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(nw, nr); err != nil {
			return err
		}
	}
}

// firstDiff describes where two byte strings first differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-32)
	return fmt.Sprintf("first difference at byte %d:\n got %q\nwant %q", i, a[lo:min(len(a), i+32)], b[lo:min(len(b), i+32)])
}
