package nar

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteMappedShrunk maps a file that then shrinks: reading the pages
// it lost faults, which writeMapped turns into an error instead of a
// crash.
func TestWriteMappedShrunk(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(p, make([]byte, 3*mapMin), 0o644))
	var r osFiles
	r.tree, r.dirfd, r.fd = &osTree{}, -1, -1
	size, _, err := r.open("", p)
	must(t, err)
	defer r.closeFile()
	b, err := r.mapFile(0, int(size))
	must(t, err)
	defer unmap(b)
	must(t, os.Truncate(p, 0))
	err = writeMapped(sha256.New(), b, p)
	if err == nil || !strings.Contains(err.Error(), "changed while being archived") {
		t.Fatalf("got %v, want an error saying the file changed", err)
	}
}

// TestMapsSafely: only writers that read what they get before Write
// returns, in the calling goroutine or a system call, get mapped files.
func TestMapsSafely(t *testing.T) {
	_, pw := io.Pipe()
	for _, tt := range []struct {
		w    io.Writer
		want bool
	}{
		{sha256.New(), true},
		{os.Stdout, true},
		{pw, false},
		{io.Discard, false},
	} {
		if got := mapsSafely(tt.w); got != tt.want {
			t.Errorf("mapsSafely(%T) = %v, want %v", tt.w, got, tt.want)
		}
	}
}
