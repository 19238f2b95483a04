package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/memory"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/store"
)

// stallingBlobs holds every Put until the ingestion is abandoned, so that
// when the parser finds the NAR bad, files are still being stored and the
// finisher is still waiting for them: it then sees the cancellation.
type stallingBlobs struct {
	castore.BlobService
	putErr error // if set, Put fails with it at once instead
}

func (b stallingBlobs) Put(ctx context.Context, r io.Reader) (castore.Digest, uint64, error) {
	if b.putErr != nil {
		return castore.Digest{}, 0, b.putErr
	}
	<-ctx.Done()
	return castore.Digest{}, 0, ctx.Err()
}

// smallNAR is a NAR whose first directory ends (and goes to the finisher)
// well before the archive does.
func smallNAR(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := nar.NewWriter(&b)
	for _, h := range []nar.Header{
		{Path: "/", Type: nar.TypeDirectory},
		{Path: "/bin", Type: nar.TypeDirectory},
		{Path: "/bin/a", Type: nar.TypeRegular, Size: 5},
		{Path: "/ref", Type: nar.TypeRegular, Size: 5},
		{Path: "/src", Type: nar.TypeSymlink, LinkTarget: "/nix/store/x"},
	} {
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Type == nar.TypeRegular {
			w.Write([]byte("hello"))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The NAR's own failure is what IngestNAR reports, never the cancellation
// of the goroutines still storing files that it causes; and a store
// failure that stops the parser is reported rather than the parser's
// cancellation. Deterministic: every Put stalls until the end.
func TestIngestReportsTheCause(t *testing.T) {
	good := smallNAR(t)
	sum := sha256.Sum256(good)
	wrong := sum
	wrong[0] ^= 1
	tampered := bytes.Clone(good)
	tampered[len(tampered)-60] ^= 1 // in the symlink's target

	errStore := errors.New("disk on fire")
	for _, tc := range []struct {
		name   string
		nar    []byte
		opts   *store.IngestOptions
		putErr error
		want   error
	}{
		{"hash mismatch", tampered, &store.IngestOptions{SHA256: &sum}, nil, store.ErrCorrupt},
		{"wrong hash", good, &store.IngestOptions{SHA256: &wrong}, nil, store.ErrCorrupt},
		{"too short for size", good, &store.IngestOptions{Size: uint64(len(good)) + 1}, nil, store.ErrCorrupt},
		{"too long for size", good, &store.IngestOptions{Size: uint64(len(good)) - 8}, nil, store.ErrCorrupt},
		{"trailing data", append(bytes.Clone(good), 0), nil, nil, store.ErrCorrupt},
		{"store fails", good, nil, errStore, errStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cas := memory.New()
			blobs := stallingBlobs{BlobService: cas.Blobs, putErr: tc.putErr}
			_, err := store.IngestNAR(context.Background(), blobs, cas.Directories, bytes.NewReader(tc.nar), tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("IngestNAR = %v, want %v", err, tc.want)
			}
		})
	}
}
