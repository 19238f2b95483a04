package nar

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// awkwardNames are entry names that test sorting and escaping: bytewise
// order puts upper case before lower case and UTF-8 after ASCII.
var awkwardNames = []string{
	"a", "B", "b", "-", "--x", ".hidden", "..x", "a.b", "a b", " lead", "trail ",
	"tab\there", "new\nline", "quote\"s", "back\\slash", "ü", "日本語", "emoji😀",
	"\x01ctl", "\x7fdel", "\xff\xfe-not-utf8", "~", "{}", "A", "Z", "z",
	strings.Repeat("L", MaxNameLen),
}

// makeAwkwardTree builds a tree with every kind of node and odd names.
func makeAwkwardTree(t testing.TB, root string) {
	t.Helper()
	mk := func(p string, data []byte, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		// WriteFile's mode is subject to the umask.
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range awkwardNames {
		mk(filepath.Join(root, "names", name), []byte(fmt.Sprintf("file %d\n", i)), 0o644)
	}
	// Sizes around the 8-byte padding and the buffer sizes.
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 4095, 4096, 4097, 65535, 65536, 65537, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 5} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + n)
		}
		mk(filepath.Join(root, "sizes", fmt.Sprintf("%08d", n)), data, 0o644)
	}
	mk(filepath.Join(root, "modes", "exec"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	mk(filepath.Join(root, "modes", "exec-owner-only"), []byte("x"), 0o700)
	mk(filepath.Join(root, "modes", "exec-group-only"), []byte("x"), 0o654)
	mk(filepath.Join(root, "modes", "readonly"), []byte("x"), 0o444)
	mk(filepath.Join(root, "modes", "empty-exec"), nil, 0o755)
	link("target", filepath.Join(root, "links", "relative"))
	link("/etc/passwd", filepath.Join(root, "links", "absolute"))
	link("does/not/exist", filepath.Join(root, "links", "dangling"))
	link("../sizes", filepath.Join(root, "links", "to-dir"))
	link(".", filepath.Join(root, "links", "dot"))
	link("new\nline ü", filepath.Join(root, "links", "odd-target"))
	link(strings.Repeat("x/", 2000)+"end", filepath.Join(root, "links", "long-target"))
	link("relative", filepath.Join(root, "links", "chain"))
	for _, d := range []string{"empty", "nested/empty", "nested/deeper/empty"} {
		if err := os.MkdirAll(filepath.Join(root, "dirs", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deep := filepath.Join(root, "deep")
	for i := 0; i < 100; i++ {
		deep = filepath.Join(deep, fmt.Sprintf("d%d", i%10))
	}
	mk(filepath.Join(deep, "bottom"), []byte("bottom\n"), 0o644)
	for i := 0; i < 300; i++ {
		mk(filepath.Join(root, "many", fmt.Sprintf("f%d", i)), []byte{byte(i)}, 0o644)
	}
}

// makeRandomTree builds a random tree from seed: random names (any byte
// but '/' and NUL), sizes, modes, links and nesting.
func makeRandomTree(t testing.TB, root string, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	randName := func() string {
		for {
			n := 1 + rng.IntN(12)
			b := make([]byte, n)
			for i := range b {
				switch rng.IntN(4) {
				case 0:
					b[i] = byte(1 + rng.IntN(255))
				default:
					b[i] = "abcXYZ019._-"[rng.IntN(12)]
				}
				if b[i] == '/' {
					b[i] = '_'
				}
			}
			if s := string(b); s != "." && s != ".." {
				return s
			}
		}
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	var fill func(dir string, depth int)
	fill = func(dir string, depth int) {
		n := rng.IntN(8)
		for i := 0; i < n; i++ {
			p := filepath.Join(dir, randName())
			if _, err := os.Lstat(p); err == nil {
				continue
			}
			switch k := rng.IntN(10); {
			case k < 5:
				data := make([]byte, rng.IntN(3000))
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				mode := os.FileMode(0o644)
				if rng.IntN(3) == 0 {
					mode = 0o755
				}
				if err := os.WriteFile(p, data, mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, mode); err != nil {
					t.Fatal(err)
				}
			case k < 7:
				if err := os.Symlink(randName(), p); err != nil {
					t.Fatal(err)
				}
			default:
				if depth < 6 {
					if err := os.Mkdir(p, 0o755); err != nil {
						t.Fatal(err)
					}
					fill(p, depth+1)
				}
			}
		}
	}
	fill(root, 0)
}

// dumpBytes returns the archive of path as DumpPath writes it.
func dumpBytes(t testing.TB, path string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := DumpPath(t.Context(), &buf, path); err != nil {
		t.Fatalf("DumpPath(%s): %v", path, err)
	}
	return buf.Bytes()
}

// treesEqual compares two trees as archives see them: names, types,
// contents, link targets and the owner's executable bit.
func treesEqual(t testing.TB, a, b string) {
	t.Helper()
	err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		q := filepath.Join(b, rel)
		fa, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fb, err := os.Lstat(q)
		if err != nil {
			return fmt.Errorf("%s missing in copy: %w", rel, err)
		}
		if fa.Mode().Type() != fb.Mode().Type() {
			return fmt.Errorf("%s: type %v, copy %v", rel, fa.Mode().Type(), fb.Mode().Type())
		}
		switch {
		case fa.Mode().IsRegular():
			if fa.Mode()&0o100 != fb.Mode()&0o100 {
				return fmt.Errorf("%s: mode %v, copy %v", rel, fa.Mode(), fb.Mode())
			}
			da, _ := os.ReadFile(p)
			db, _ := os.ReadFile(q)
			if !bytes.Equal(da, db) {
				return fmt.Errorf("%s: contents differ", rel)
			}
		case fa.Mode()&fs.ModeSymlink != 0:
			ta, _ := os.Readlink(p)
			tb, _ := os.Readlink(q)
			if ta != tb {
				return fmt.Errorf("%s: target %q, copy %q", rel, ta, tb)
			}
		case fa.IsDir():
			ea, _ := os.ReadDir(p)
			eb, _ := os.ReadDir(q)
			if len(ea) != len(eb) {
				return fmt.Errorf("%s: %d entries, copy %d", rel, len(ea), len(eb))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
