package objectstore_test

import (
	"context"
	"net/url"
	"testing"

	cobjectstore "github.com/govix/govix/castore/objectstore"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/objectstore"
	"github.com/govix/govix/store/pathinfotest"
)

// OpenFile opens a whole store (castore and path infos) in a directory
// through object storage's file backend.
func openFile(t *testing.T, dir string) *store.Store {
	t.Helper()
	ctx := context.Background()
	u := &url.URL{Scheme: cobjectstore.SchemeFile, Path: dir}
	cas, err := cobjectstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	pis, closeBucket, err := objectstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewStore(cas, pis, nil, func() error { closeBucket(); return cas.Close() })
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformanceFile(t *testing.T) {
	pathinfotest.Run(t, func(t *testing.T) *store.Store { return openFile(t, t.TempDir()) })
}

func TestSharedBucket(t *testing.T) {
	dir := t.TempDir()
	a, b := openFile(t, dir), openFile(t, dir)
	info := pathinfotest.Fixture(t, a, "shared-1", "one bucket, two machines")
	if _, err := a.PathInfo.Put(context.Background(), info); err != nil {
		t.Fatal(err)
	}
	got, err := b.PathInfo.Get(context.Background(), info.StorePath.Digest)
	if err != nil {
		t.Fatal(err)
	}
	size, sum, err := store.CalculateNAR(context.Background(), b.Blobs, b.Directories, got.Node)
	if err != nil || size != info.NarSize || sum != info.NarSHA256 {
		t.Fatalf("contents through the second store: %d %x %v", size, sum, err)
	}
}
