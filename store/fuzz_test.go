package store_test

import (
	"bytes"
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/storepb"
)

// FuzzPathInfoFromProto: any bytes give a validated PathInfo or an error,
// and what validates survives a round trip through its encoding.
func FuzzPathInfoFromProto(f *testing.F) {
	st := store.NewStore(cmemory.New(), nil, nil, nil)
	for _, info := range seedInfos(f, st) {
		b, _ := proto.Marshal(info.ToProto())
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var pp storepb.PathInfo
		if err := proto.Unmarshal(data, &pp); err != nil {
			return
		}
		info, err := store.FromProto(&pp)
		if err != nil {
			return
		}
		if err := info.Validate(); err != nil {
			t.Fatalf("FromProto accepted an invalid PathInfo: %v", err)
		}
		again, err := store.FromProto(info.ToProto())
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		b1, _ := proto.MarshalOptions{Deterministic: true}.Marshal(info.ToProto())
		b2, _ := proto.MarshalOptions{Deterministic: true}.Marshal(again.ToProto())
		if !bytes.Equal(b1, b2) {
			t.Fatal("round trip changed the PathInfo")
		}
	})
}

// FuzzIngestNAR: any bytes are ingested or refused, never a panic; what is
// ingested renders back to the same bytes.
func FuzzIngestNAR(f *testing.F) {
	f.Add([]byte("\x0d\x00\x00\x00\x00\x00\x00\x00nix-archive-1\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cas := cmemory.New()
		res, err := store.IngestNAR(context.Background(), cas.Blobs, cas.Directories, bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		r, err := store.NewNARReader(context.Background(), cas.Blobs, cas.Directories, res.Node)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := r.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatal("ingested NAR renders differently")
		}
	})
}
