package nar

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestDumpMapped dumps files around the sizes where the dumper maps files
// instead of reading them, and the ends of its windows, into a hash and a
// file (which get mapped files on Linux) and into a buffer (which gets
// copies), and compares all three with Nix.
func TestDumpMapped(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tree")
	must(t, os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	sizes := []int{mapMin - 1, mapMin, mapMin + 1, mapWindow - 1, mapWindow, mapWindow + 1, 3*mapWindow + 5}
	for i, size := range sizes {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(j*7 + i)
		}
		must(t, os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", i)), data, 0o644))
		must(t, os.WriteFile(filepath.Join(root, "sub", fmt.Sprintf("x%d", i)), data[:size/3], 0o755))
	}
	want := sha256.Sum256(nixDump(t, root))

	if got := sha256.Sum256(dumpBytes(t, root)); got != want {
		t.Errorf("DumpPath into a buffer: %x, Nix %x", got, want)
	}
	h := sha256.New()
	must(t, DumpPath(t.Context(), h, root))
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Errorf("DumpPath into a hash: %x, Nix %x", got, want)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "nar"))
	must(t, err)
	defer f.Close()
	must(t, DumpPath(t.Context(), f, root))
	data, err := os.ReadFile(f.Name())
	must(t, err)
	if got := sha256.Sum256(data); got != want {
		t.Errorf("DumpPath into a file: %x, Nix %x", got, want)
	}
	// Tiny budgets make the writer fill segments itself.
	h.Reset()
	d := Dumper{Readers: 1, Memory: 1}
	must(t, d.DumpPath(t.Context(), h, root))
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Errorf("Dumper%+v into a hash: %x, Nix %x", d, got, want)
	}
}
