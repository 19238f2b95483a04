package store_test

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/govix/govix/castore"
	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/store"
)

// countingBlobs counts the blobs opened.
type countingBlobs struct {
	castore.BlobService
	opens atomic.Int64
}

func (c *countingBlobs) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	c.opens.Add(1)
	return c.BlobService.Open(ctx, d)
}

// TestRangeReadsOnlyCoveredBlobs: the layout needs no blob at all, and a
// range inside one file opens that file's blob only.
func TestRangeReadsOnlyCoveredBlobs(t *testing.T) {
	ctx := context.Background()
	var b bytes.Buffer
	w := nar.NewWriter(&b)
	w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeDirectory})
	var offsets []int64
	for i, name := range []string{"a", "b", "c", "d"} {
		data := bytes.Repeat([]byte{byte('0' + i)}, 10000)
		w.WriteHeader(&nar.Header{Path: "/" + name, Type: nar.TypeRegular, Size: int64(len(data))})
		w.Write(data)
	}
	w.Close()
	l, err := nar.List(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Root.Entries {
		offsets = append(offsets, e.Node.NarOffset)
	}
	cas := cmemory.New()
	res, err := store.IngestNAR(ctx, cas.Blobs, cas.Directories, bytes.NewReader(b.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	cb := &countingBlobs{BlobService: cas.Blobs}
	r, err := store.NewNARReader(ctx, cb, cas.Directories, res.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if cb.opens.Load() != 0 || r.Size() != int64(b.Len()) {
		t.Fatalf("computing the layout opened %d blobs (size %d, want %d)", cb.opens.Load(), r.Size(), b.Len())
	}
	r.Seek(offsets[2]+100, io.SeekStart)
	buf := make([]byte, 5000)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, b.Bytes()[offsets[2]+100:offsets[2]+5100]) || cb.opens.Load() != 1 {
		t.Errorf("a range inside the third file opened %d blobs", cb.opens.Load())
	}
	// The listing, too, comes from the directories alone.
	got, err := store.Listing(ctx, cas.Directories, res.Node)
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := got.MarshalJSON()
	wj, _ := l.MarshalJSON()
	if !bytes.Equal(gj, wj) {
		t.Errorf("listing\n%s\nwant\n%s", gj, wj)
	}
}
