package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/local"
)

// randReader yields n pseudo-random bytes, cheaply.
type randReader struct {
	rng *rand.Rand
	n   int64
}

func (r *randReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	var w [8]byte
	for i := 0; i < len(p); i += 8 {
		binary.LittleEndian.PutUint64(w[:], r.rng.Uint64())
		copy(p[i:], w[:])
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// TestIngestLargeNARBoundedMemory: a NAR with a file far larger than the
// memory the ingestion may use streams through; the heap stays small.
func TestIngestLargeNARBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 512 MiB")
	}
	const size = 512 << 20
	st, err := local.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pr, pw := io.Pipe()
	h := sha256.New()
	go func() {
		w := nar.NewWriter(io.MultiWriter(pw, h))
		err := w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeDirectory})
		if err == nil {
			err = w.WriteHeader(&nar.Header{Path: "/big", Type: nar.TypeRegular, Size: size})
		}
		if err == nil {
			_, err = io.Copy(w, &randReader{rng: rand.New(rand.NewPCG(1, 2)), n: size})
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	res, err := store.IngestNAR(context.Background(), st.Blobs, st.Directories, pr, nil)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if res.NarSize < size || [32]byte(h.Sum(nil)) != res.NarSHA256 {
		t.Fatalf("ingested %d bytes, hash %x", res.NarSize, res.NarSHA256)
	}
	t.Logf("%d MiB NAR ingested; peak heap in use %d MiB", res.NarSize>>20, peak.Load()>>20)
	if peak.Load() > 256<<20 {
		t.Errorf("peak heap %d MiB for a %d MiB NAR", peak.Load()>>20, size>>20)
	}
}
