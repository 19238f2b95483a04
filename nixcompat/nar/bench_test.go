package nar

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchTree builds a tree shaped like a source tree: many small files in
// nested directories and a few large ones.
func benchTree(b *testing.B) (string, int64) {
	b.Helper()
	root := filepath.Join(b.TempDir(), "tree")
	var total int64
	for d := 0; d < 40; d++ {
		for f := 0; f < 50; f++ {
			p := filepath.Join(root, fmt.Sprintf("pkg%02d", d), fmt.Sprintf("sub%d", f%5), fmt.Sprintf("file%03d.go", f))
			must(b, os.MkdirAll(filepath.Dir(p), 0o755))
			data := bytes.Repeat([]byte("package x // some source\n"), 1+(d*f)%400)
			must(b, os.WriteFile(p, data, 0o644))
			total += int64(len(data))
		}
	}
	for i := 0; i < 4; i++ {
		data := bytes.Repeat([]byte{byte(i), 1, 2, 3, 4, 5, 6, 7}, 2<<20)
		must(b, os.WriteFile(filepath.Join(root, fmt.Sprintf("big%d", i)), data, 0o755))
		total += int64(len(data))
	}
	return root, total
}

func BenchmarkDumpPathHash(b *testing.B) {
	root, total := benchTree(b)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		h := sha256.New()
		must(b, DumpPath(b.Context(), h, root))
	}
}

func BenchmarkDumpPathDiscard(b *testing.B) {
	root, total := benchTree(b)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		must(b, DumpPath(b.Context(), io.Discard, root))
	}
}

func BenchmarkReader(b *testing.B) {
	root, _ := benchTree(b)
	var buf bytes.Buffer
	must(b, DumpPath(b.Context(), &buf, root))
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		must(b, readAll(bytes.NewReader(data)))
	}
}

func BenchmarkWriter(b *testing.B) {
	root, _ := benchTree(b)
	var buf bytes.Buffer
	must(b, DumpPath(b.Context(), &buf, root))
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		must(b, copyArchive(io.Discard, bytes.NewReader(data)))
	}
}

func BenchmarkList(b *testing.B) {
	root, _ := benchTree(b)
	var buf bytes.Buffer
	must(b, DumpPath(b.Context(), &buf, root))
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		l, err := List(bytes.NewReader(data))
		must(b, err)
		if _, err := l.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDumpGOROOTHash hashes the archive of the Go toolchain's tree,
// a real tree of ~15k files, mostly small, and a few large binaries: what
// bench/hash.sh compares with Nix.
func BenchmarkDumpGOROOTHash(b *testing.B) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skipf("go env GOROOT: %v", err)
	}
	root := strings.TrimSpace(string(out))
	for b.Loop() {
		h := sha256.New()
		must(b, DumpPath(b.Context(), h, root))
	}
}
