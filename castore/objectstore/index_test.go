package objectstore

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

func index(chunks ...*castorepb.StatBlobResponse_ChunkMeta) []byte {
	b, err := proto.Marshal(&castorepb.StatBlobResponse{Chunks: chunks})
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseIndex(t *testing.T) {
	d := castore.Sum([]byte("chunk"))
	ok := &castorepb.StatBlobResponse_ChunkMeta{Digest: d[:], Size: 5}
	for _, tc := range []struct {
		name string
		b    []byte
		n    int // chunks; 0 for an error
	}{
		{"two", index(ok, ok), 2},
		{"one", index(ok), 1},
		{"none", nil, 0},
		{"garbage", []byte{0xff, 0xff}, 0},
		{"short-digest", index(ok, &castorepb.StatBlobResponse_ChunkMeta{Digest: d[:5], Size: 5}), 0},
		{"empty-chunk", index(ok, &castorepb.StatBlobResponse_ChunkMeta{Digest: d[:]}), 0},
		{"overflow", index(ok, &castorepb.StatBlobResponse_ChunkMeta{Digest: d[:], Size: 1<<64 - 1}), 0},
		{"too-large", index(&castorepb.StatBlobResponse_ChunkMeta{Digest: d[:], Size: 1 << 62}, ok), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chunks, err := parseIndex(tc.b)
			if tc.n == 0 {
				if !errors.Is(err, castore.ErrCorrupt) {
					t.Errorf("parseIndex = %v, %v; want ErrCorrupt", chunks, err)
				}
				return
			}
			if err != nil || len(chunks) != tc.n {
				t.Errorf("parseIndex = %v, %v", chunks, err)
			}
		})
	}
}

// FuzzParseIndex: a chunk index read from a shared bucket is untrusted;
// whatever it holds, parsing gives chunks that add up, or ErrCorrupt.
func FuzzParseIndex(f *testing.F) {
	d := castore.Sum([]byte("chunk"))
	f.Add(index(&castorepb.StatBlobResponse_ChunkMeta{Digest: d[:], Size: 5}, &castorepb.StatBlobResponse_ChunkMeta{Digest: d[:], Size: 1 << 20}))
	f.Add([]byte{0x12, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		chunks, err := parseIndex(b)
		if err != nil {
			if !errors.Is(err, castore.ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		var total uint64
		for _, c := range chunks {
			if c.Size == 0 {
				t.Fatal("empty chunk accepted")
			}
			total += c.Size
		}
		if len(chunks) < 1 || total > 1<<62 {
			t.Fatalf("accepted %d chunks of %d bytes", len(chunks), total)
		}
	})
}
