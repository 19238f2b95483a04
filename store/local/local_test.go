package local_test

import (
	"context"
	"testing"

	"github.com/govix/govix/store"
	"github.com/govix/govix/store/local"
	"github.com/govix/govix/store/pathinfotest"
)

func open(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := local.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestConformance(t *testing.T) {
	pathinfotest.Run(t, func(t *testing.T) *store.Store {
		st := open(t, t.TempDir())
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// TestReopen: what was put is there after the store is closed and opened
// again, contents included.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := open(t, dir)
	info := pathinfotest.Fixture(t, st, "persist-1", "persistent contents")
	if _, err := st.PathInfo.Put(ctx, info); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open(t, dir)
	defer st.Close()
	got, err := st.PathInfo.Get(ctx, info.StorePath.Digest)
	if err != nil {
		t.Fatal(err)
	}
	size, sum, err := store.CalculateNAR(ctx, st.Blobs, st.Directories, got.Node)
	if err != nil || size != info.NarSize || sum != info.NarSHA256 {
		t.Fatalf("contents after reopening: %d %x %v", size, sum, err)
	}
}
