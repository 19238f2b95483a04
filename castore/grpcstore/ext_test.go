package grpcstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/castore/memory"
)

// counted opens a client store for u whose traffic is counted.
func counted(t *testing.T, u *url.URL) (*castore.Store, *grpcstore.Traffic) {
	t.Helper()
	s := connect(t, u)
	t.Cleanup(func() { s.Close() })
	return s, s.Blobs.(*grpcstore.BlobClient).Traffic()
}

func readAll(t *testing.T, bs castore.BlobService, d castore.Digest) []byte {
	t.Helper()
	r, err := bs.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestChunkedPutSendsChangedChunks puts a large blob, then a version of it
// with a few bytes changed in the middle: the second upload sends about a
// chunk, not the blob.
func TestChunkedPutSendsChangedChunks(t *testing.T) {
	backend := memory.New()
	s, traffic := counted(t, serve(t, backend, &grpcstore.ServerOptions{CheckBlobs: true}, true))
	v1 := castoretest.RandomBytes(11, 16<<20)
	d1, n1, err := s.Blobs.Put(t.Context(), bytes.NewReader(v1))
	if err != nil || n1 != uint64(len(v1)) || d1 != castore.Sum(v1) {
		t.Fatalf("Put v1: %s %d %v", d1, n1, err)
	}
	first := traffic.Sent.Load()
	v2 := bytes.Clone(v1)
	copy(v2[8<<20:], "a few bytes changed in the middle of the blob")
	d2, _, err := s.Blobs.Put(t.Context(), bytes.NewReader(v2))
	if err != nil || d2 != castore.Sum(v2) {
		t.Fatalf("Put v2: %s %v", d2, err)
	}
	second := traffic.Sent.Load() - first
	t.Logf("first upload sent %d bytes, the second %d", first, second)
	if first < int64(len(v1)) || second > 2<<20 {
		t.Errorf("sent %d and %d bytes for two versions of a %d-byte blob differing in 45 bytes", first, second, len(v1))
	}
	// The server holds both, chunked, and hands them out verified.
	for d, want := range map[castore.Digest][]byte{d1: v1, d2: v2} {
		if got := readAll(t, backend.Blobs, d); !bytes.Equal(got, want) {
			t.Errorf("blob %s read back differs", d)
		}
		if size, err := castore.BlobSize(t.Context(), s.Blobs, d); err != nil || size != uint64(len(want)) {
			t.Errorf("BlobSize(%s) = %d, %v", d, size, err)
		}
	}
}

// wideTree returns the leaves-first closure of a tree of n directories of
// 40 files each (the first has one file, of contents x).
func wideTree(n int, x string) []*castore.Directory {
	file := func(s string) castore.Node { return castore.FileNode(castore.Sum([]byte(s)), uint64(len(s)), false) }
	var out []*castore.Directory
	var entries []castore.Entry
	for i := range n {
		var files []castore.Entry
		for j := range 40 {
			files = append(files, castore.Entry{Name: fmt.Sprintf("file%02d.go", j), Node: file(fmt.Sprintf("%d/%d", i, j))})
		}
		leaf, err := castore.NewDirectory(files...)
		if i == 0 {
			leaf, err = castore.NewDirectory(castore.Entry{Name: "a.go", Node: file(x)})
		}
		if err != nil {
			panic(err)
		}
		out = append(out, leaf)
		entries = append(entries, castore.Entry{Name: fmt.Sprintf("d%03d", i), Node: leaf.Node()})
	}
	root, err := castore.NewDirectory(entries...)
	if err != nil {
		panic(err)
	}
	return append(out, root)
}

func putBlobs(t *testing.T, bs castore.BlobService, strs ...string) {
	for _, s := range strs {
		if _, _, err := bs.Put(t.Context(), bytes.NewReader([]byte(s))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPutterSendsMissingDirectories puts a closure, then one differing in
// a leaf: the second sends the leaf and the root (and the digests asked
// about), and a third the digests alone.
func TestPutterSendsMissingDirectories(t *testing.T) {
	s, traffic := counted(t, serve(t, memory.New(), nil, true))
	put := func(closure []*castore.Directory) int64 {
		before := traffic.Sent.Load()
		p := s.Directories.NewPutter(t.Context())
		for _, d := range closure {
			if err := p.Put(d); err != nil {
				t.Fatal(err)
			}
		}
		root, err := p.Close()
		if err != nil || root != closure[len(closure)-1].Digest() {
			t.Fatalf("Close: %s, %v", root, err)
		}
		got, err := castore.Closure(t.Context(), s.Directories, root)
		if err != nil || len(got) != len(closure) {
			t.Fatalf("closure read back: %d directories, %v", len(got), err)
		}
		return traffic.Sent.Load() - before
	}
	v1, v2 := wideTree(100, "one"), wideTree(100, "two")
	first, second := put(v1), put(v2)
	again := put(v2)
	t.Logf("sent %d, %d and %d bytes (the root alone is %d bytes)", first, second, again, v2[len(v2)-1].EncodedLen())
	if second > first/4 || again > first/4 {
		t.Errorf("sent %d bytes for a closure and %d, %d for one differing in a leaf", first, second, again)
	}
}

// TestPartialPutterRefusesUnknownChildren checks that the extension's
// PutDirectories still refuses a directory naming one that was neither
// sent nor stored, or stored with another size.
func TestPartialPutterRefusesUnknownChildren(t *testing.T) {
	u := serve(t, memory.New(), nil, true)
	s := connect(t, u)
	defer s.Close()
	v := wideTree(3, "x")
	pm := s.Directories.(castore.PartialPutterMaker)
	p := pm.NewPartialPutter(t.Context())
	err := p.Put(v[len(v)-1]) // the root, without its children
	if err == nil {
		_, err = p.Close()
	}
	if !errors.Is(err, castore.ErrInvalid) {
		t.Errorf("root without children: %v, want an invalid-argument error", err)
	}
	// A stored child with a lying size.
	if _, err := castore.PutDirectory(t.Context(), s.Directories, v[1]); err != nil {
		t.Fatal(err)
	}
	lie := v[1].Node()
	lie.Size++
	bad, err := castore.NewDirectory(castore.Entry{Name: "sub", Node: lie})
	if err != nil {
		t.Fatal(err)
	}
	p = pm.NewPartialPutter(t.Context())
	err = p.Put(bad)
	if err == nil {
		_, err = p.Close()
	}
	if !errors.Is(err, castore.ErrInvalid) {
		t.Errorf("stored child with a wrong size: %v, want an invalid-argument error", err)
	}
}

// TestPutChunkedRefusesLies sends PutChunked requests that do not add up.
func TestPutChunkedRefusesLies(t *testing.T) {
	u := serve(t, memory.New(), nil, true)
	s := connect(t, u)
	defer s.Close()
	a, b := castoretest.RandomBytes(1, 100<<10), castoretest.RandomBytes(2, 100<<10)
	putBlobs(t, s.Blobs, string(a), string(b))
	cc, err := grpc.NewClient("unix://"+u.Path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	x := castorepb.NewCastoreExtServiceClient(cc)
	meta := func(data []byte) *castorepb.StatBlobResponse_ChunkMeta {
		d := castore.Sum(data)
		return &castorepb.StatBlobResponse_ChunkMeta{Digest: d[:], Size: uint64(len(data))}
	}
	ab := castore.Sum(append(bytes.Clone(a), b...))
	wrong := castore.Sum([]byte("something else"))
	missing := castore.Sum([]byte("never stored"))
	for name, req := range map[string]*castorepb.PutChunkedRequest{
		"wrong digest": {Digest: wrong[:], Chunks: []*castorepb.StatBlobResponse_ChunkMeta{meta(a), meta(b)}},
		"wrong order":  {Digest: ab[:], Chunks: []*castorepb.StatBlobResponse_ChunkMeta{meta(b), meta(a)}},
		"wrong size":   {Digest: ab[:], Chunks: []*castorepb.StatBlobResponse_ChunkMeta{meta(a), {Digest: meta(b).Digest, Size: 5}}},
		"missing":      {Digest: ab[:], Chunks: []*castorepb.StatBlobResponse_ChunkMeta{meta(a), {Digest: missing[:], Size: 5}}},
		"no chunks":    {Digest: ab[:]},
	} {
		if _, err := x.PutChunked(context.Background(), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	if ok, _ := s.Blobs.Has(t.Context(), ab); ok {
		t.Errorf("a refused blob is stored")
	}
	if _, err := x.PutChunked(context.Background(), &castorepb.PutChunkedRequest{Digest: ab[:], Chunks: []*castorepb.StatBlobResponse_ChunkMeta{meta(a), meta(b)}}); err != nil {
		t.Fatalf("the true chunk list: %v", err)
	}
	if got := readAll(t, s.Blobs, ab); !bytes.Equal(got, append(bytes.Clone(a), b...)) {
		t.Errorf("blob read back differs")
	}
}

// TestPlainTvixServer serves only tvix.castore.v1 (as Tvix does): the
// client falls back to the plain protocol and passes the conformance
// suite.
func TestPlainTvixServer(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		backend := memory.New()
		sock := filepath.Join(t.TempDir(), "tvix.sock")
		l, err := grpcstore.Listen("unix://" + sock)
		if err != nil {
			t.Fatal(err)
		}
		gs := grpc.NewServer(grpcstore.GRPCServerOptions()...)
		tvixOnly{gs}.register(grpcstore.NewServer(backend, nil))
		go gs.Serve(l)
		t.Cleanup(gs.Stop)
		return connect(t, &url.URL{Scheme: grpcstore.SchemeUnix, Path: sock})
	})
}

// tvixOnly registers a Server's services except govix's extension.
type tvixOnly struct{ gs *grpc.Server }

func (r tvixOnly) RegisterService(sd *grpc.ServiceDesc, impl any) {
	if sd.ServiceName == castorepb.CastoreExtService_ServiceDesc.ServiceName {
		return
	}
	r.gs.RegisterService(sd, impl)
}

func (r tvixOnly) register(s *grpcstore.Server) { s.Register(r) }
