package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/govix/govix/store"
	"github.com/govix/govix/store/local"
	"github.com/govix/govix/store/pathinfotest"
)

// TestPutBatch: a batch is stored as Puts would store it, durably, and an
// invalid PathInfo stores none of the batch.
func TestPutBatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := open(t, dir)
	var infos []*store.PathInfo
	for i := range 50 {
		infos = append(infos, pathinfotest.Fixture(t, st, fmt.Sprintf("batch-%d", i), fmt.Sprintf("contents %d", i)))
	}
	b := st.PathInfo.(*local.Service)
	bad := infos[0].Clone()
	bad.StorePath.Name = ""
	if err := b.PutBatch(ctx, []*store.PathInfo{infos[1], bad}); err == nil {
		t.Fatal("a batch with an invalid PathInfo was stored")
	}
	if _, err := st.PathInfo.Get(ctx, infos[1].StorePath.Digest); err == nil {
		t.Fatal("part of a refused batch was stored")
	}
	if err := b.PutBatch(ctx, infos); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open(t, dir)
	defer st.Close()
	for _, info := range infos {
		got, err := st.PathInfo.Get(ctx, info.StorePath.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got.StorePath != info.StorePath || got.NarSHA256 != info.NarSHA256 {
			t.Errorf("got %v, want %v", got.StorePath, info.StorePath)
		}
	}
}
