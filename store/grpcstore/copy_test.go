package grpcstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/local"
)

// TestCopySendsOnlyWhatChanged: copying a second version of a path in
// which one file changed sends that file's blob and the directories, not
// the rest.
func TestCopySendsOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	src, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, remote := serve(t)

	tree := filepath.Join(t.TempDir(), "pkg")
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		data := make([]byte, 16<<10+rng.IntN(48<<10))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		p := filepath.Join(tree, fmt.Sprintf("d%d/f%03d", i%10, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	add := func() *store.PathInfo {
		info, err := store.AddPath(ctx, src, tree, &store.AddOptions{Name: "pkg"})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	copyOne := func(info *store.PathInfo) *store.CopyStats {
		var s store.CopyStats
		if err := store.CopyPaths(ctx, src, remote, []storepath.StorePath{info.StorePath}, &store.CopyOptions{Stats: &s}); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	v1 := add()
	s1 := copyOne(v1)
	changed := filepath.Join(tree, "d3/f013")
	if err := os.WriteFile(changed, []byte("a new version of one file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v2 := add()
	s2 := copyOne(v2)
	t.Logf("first version: NAR %d bytes, sent %d blob bytes in %d blobs, %d directory bytes", v1.NarSize, s1.BlobBytes.Load(), s1.Blobs.Load(), s1.DirBytes.Load())
	t.Logf("second version: NAR %d bytes, sent %d blob bytes in %d blobs, %d directory bytes; %d blobs (%d bytes) already there",
		v2.NarSize, s2.BlobBytes.Load(), s2.Blobs.Load(), s2.DirBytes.Load(), s2.BlobsSkipped.Load(), s2.BytesShared.Load())
	if s2.Blobs.Load() != 1 || s2.BlobBytes.Load() != 26 {
		t.Errorf("second copy sent %d blobs (%d bytes), want the one changed file", s2.Blobs.Load(), s2.BlobBytes.Load())
	}
	// And the copy is complete: the remote renders the same NAR.
	size, sum, err := remote.NAR.CalculateNAR(ctx, v2.Node)
	if err != nil || size != v2.NarSize || sum != v2.NarSHA256 {
		t.Fatalf("remote NAR of the second version: %d %x %v", size, sum, err)
	}
}
