package grpcstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/grpcstore"
	"github.com/govix/govix/castore/memory"
)

// rawClient connects to u without the checking client, to send what a
// hostile client would.
func rawClient(t *testing.T, u *url.URL) (castorepb.BlobServiceClient, castorepb.DirectoryServiceClient) {
	t.Helper()
	cc, err := grpcstore.DialURL(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return castorepb.NewBlobServiceClient(cc), castorepb.NewDirectoryServiceClient(cc)
}

// putRaw sends Directory messages on one Put stream and returns the call's
// result.
func putRaw(t *testing.T, dc castorepb.DirectoryServiceClient, msgs ...*castorepb.Directory) (*castorepb.PutDirectoryResponse, error) {
	t.Helper()
	stream, err := dc.Put(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			break // the server ended the call; CloseAndRecv has its status
		}
	}
	return stream.CloseAndRecv()
}

func wantStatus(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	st, _ := status.FromError(err)
	if err == nil || st.Code() != code || !strings.Contains(st.Message(), msgPart) {
		t.Fatalf("error %v; want %s containing %q", err, code, msgPart)
	}
}

func TestHostileDirectories(t *testing.T) {
	backend := memory.New()
	u := serve(t, backend, &grpcstore.ServerOptions{MaxClosureBytes: 1 << 20}, true)
	_, dc := rawClient(t, u)

	blob := castore.Sum([]byte("Hello World!"))
	file := func(name string) *castorepb.FileNode {
		return &castorepb.FileNode{Name: []byte(name), Digest: blob[:], Size: 12}
	}
	empty := &castorepb.Directory{}
	emptyDigest := castore.Sum(nil)
	sub := func(name string, size uint64) *castorepb.DirectoryNode {
		return &castorepb.DirectoryNode{Name: []byte(name), Digest: emptyDigest[:], Size: size}
	}
	leaf := &castorepb.Directory{Files: []*castorepb.FileNode{file("f")}}
	leafDigest := castore.Sum(mustDirectory(t, leaf).Marshal())
	big := make([]*castorepb.FileNode, 0, 20000)
	for i := range 20000 {
		big = append(big, file(fmt.Sprintf("%s-%06d", strings.Repeat("x", 40), i)))
	}

	for _, tc := range []struct {
		name string
		msgs []*castorepb.Directory
		code codes.Code
		msg  string
	}{
		{"unsorted", []*castorepb.Directory{{Files: []*castorepb.FileNode{file("b"), file("a")}}}, codes.InvalidArgument, "not sorted"},
		{"duplicate", []*castorepb.Directory{{Files: []*castorepb.FileNode{file("a"), file("a")}}}, codes.InvalidArgument, "duplicate name"},
		{"duplicate-across-lists", []*castorepb.Directory{empty, {Directories: []*castorepb.DirectoryNode{sub("a", 0)}, Files: []*castorepb.FileNode{file("a")}}}, codes.InvalidArgument, "duplicate name"},
		{"empty-name", []*castorepb.Directory{{Files: []*castorepb.FileNode{file("")}}}, codes.InvalidArgument, "empty name"},
		{"dotdot", []*castorepb.Directory{{Files: []*castorepb.FileNode{file("..")}}}, codes.InvalidArgument, `".."`},
		{"slash", []*castorepb.Directory{{Files: []*castorepb.FileNode{file("a/b")}}}, codes.InvalidArgument, "contains '/'"},
		{"nul", []*castorepb.Directory{{Files: []*castorepb.FileNode{file("a\x00")}}}, codes.InvalidArgument, "NUL"},
		{"short-digest", []*castorepb.Directory{{Files: []*castorepb.FileNode{{Name: []byte("f"), Digest: blob[:31]}}}}, codes.InvalidArgument, "digest is 31 bytes"},
		{"empty-symlink", []*castorepb.Directory{{Symlinks: []*castorepb.SymlinkNode{{Name: []byte("l")}}}}, codes.InvalidArgument, "empty symlink target"},
		{"missing-child", []*castorepb.Directory{{Directories: []*castorepb.DirectoryNode{sub("a", 0)}}}, codes.InvalidArgument, "not sent before"},
		{"wrong-size", []*castorepb.Directory{empty, {Directories: []*castorepb.DirectoryNode{sub("a", 3)}}}, codes.InvalidArgument, "claims size 3"},
		{"huge-size", []*castorepb.Directory{empty, {Directories: []*castorepb.DirectoryNode{sub("a", math.MaxUint64)}}}, codes.InvalidArgument, "overflows"},
		{"wrong-size-of-leaf", []*castorepb.Directory{leaf, {Directories: []*castorepb.DirectoryNode{{Name: []byte("l"), Digest: leafDigest[:], Size: 0}}}}, codes.InvalidArgument, "claims size 0"},
		{"disconnected", []*castorepb.Directory{leaf, empty}, codes.InvalidArgument, "not reachable"},
		{"nothing", nil, codes.InvalidArgument, "no directories"},
		{"too-large", []*castorepb.Directory{{Files: big}}, codes.ResourceExhausted, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := putRaw(t, dc, tc.msgs...)
			wantStatus(t, err, tc.code, tc.msg)
			for _, m := range tc.msgs {
				if d, err := castore.DirectoryFromProto(m); err == nil {
					if _, err := backend.Directories.Get(t.Context(), d.Digest()); !errors.Is(err, castore.ErrNotFound) && d.Digest() != emptyDigest {
						t.Errorf("refused closure left %s visible (%v)", d.Digest(), err)
					}
				}
			}
		})
	}

	t.Run("bad-requests", func(t *testing.T) {
		stream, err := dc.Get(t.Context(), &castorepb.GetDirectoryRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		wantStatus(t, err, codes.InvalidArgument, "by_what")
		stream, err = dc.Get(t.Context(), &castorepb.GetDirectoryRequest{ByWhat: &castorepb.GetDirectoryRequest_Digest{Digest: []byte("short")}})
		if err == nil {
			_, err = stream.Recv()
		}
		wantStatus(t, err, codes.InvalidArgument, "digest is 5 bytes")
	})
}

func mustDirectory(t *testing.T, pd *castorepb.Directory) *castore.Directory {
	t.Helper()
	d, err := castore.DirectoryFromProto(pd)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBlobLies: with CheckBlobs, a Directory must not name a blob the
// server lacks, or give a stored blob another size.
func TestBlobLies(t *testing.T) {
	backend := memory.New()
	u := serve(t, backend, &grpcstore.ServerOptions{CheckBlobs: true}, true)
	s := connect(t, u)
	_, dc := rawClient(t, u)
	ctx := t.Context()

	small := []byte("Hello World!")
	large := castoretest.RandomBytes(9, 3<<20) // chunked
	var digests []castore.Digest
	for _, b := range [][]byte{small, large} {
		d, _, err := s.Blobs.Put(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	absent := castore.Sum([]byte("never uploaded"))
	file := func(d castore.Digest, size uint64) *castorepb.Directory {
		return &castorepb.Directory{Files: []*castorepb.FileNode{{Name: []byte("f"), Digest: d[:], Size: size}}}
	}
	for _, tc := range []struct {
		name string
		dir  *castorepb.Directory
		msg  string // "" for accepted
	}{
		{"small-ok", file(digests[0], uint64(len(small))), ""},
		{"large-ok", file(digests[1], uint64(len(large))), ""},
		{"small-wrong-size", file(digests[0], 13), "has 12"},
		{"large-wrong-size", file(digests[1], 5), "has 3145728"},
		{"absent", file(absent, 5), "not found"},
		{"two-sizes", &castorepb.Directory{Files: []*castorepb.FileNode{
			{Name: []byte("a"), Digest: digests[0][:], Size: 12},
			{Name: []byte("b"), Digest: digests[0][:], Size: 11},
		}}, "another file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := putRaw(t, dc, tc.dir)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantStatus(t, err, codes.InvalidArgument, tc.msg)
			// The checking client reports the same as castore.ErrInvalid.
			_, err = castore.PutDirectory(ctx, s.Directories, mustDirectory(t, tc.dir))
			if !errors.Is(err, castore.ErrInvalid) {
				t.Errorf("client error %v, want ErrInvalid", err)
			}
		})
	}
}

func TestBlobLimits(t *testing.T) {
	u := serve(t, memory.New(), &grpcstore.ServerOptions{MaxBlobSize: 1 << 20}, true)
	s := connect(t, u)
	bc, _ := rawClient(t, u)
	ctx := t.Context()

	if _, _, err := s.Blobs.Put(ctx, bytes.NewReader(make([]byte, 1<<20))); err != nil {
		t.Fatalf("blob at the limit: %v", err)
	}
	_, _, err := s.Blobs.Put(ctx, bytes.NewReader(make([]byte, 1<<20+1)))
	wantStatus(t, err, codes.ResourceExhausted, "more than 1048576 bytes")

	for _, call := range []func() error{
		func() error { _, err := bc.Stat(ctx, &castorepb.StatBlobRequest{Digest: []byte{1, 2}}); return err },
		func() error {
			stream, err := bc.Read(ctx, &castorepb.ReadBlobRequest{})
			if err == nil {
				_, err = stream.Recv()
			}
			return err
		},
	} {
		wantStatus(t, call(), codes.InvalidArgument, "digest is")
	}
}

// TestLyingServer serves stores that return wrong data through a real
// server; the client must catch every lie with castore.ErrCorrupt, before
// handing out any wrong byte.
func TestLyingServer(t *testing.T) {
	ctx := t.Context()
	small := []byte("Hello World!")
	large := castoretest.RandomBytes(10, 5<<20)
	other := castoretest.RandomBytes(11, 5<<20)

	setup := func(t *testing.T, l *lie) (s *castore.Store, smallD, largeD castore.Digest) {
		inner := memory.New()
		var ds []castore.Digest
		for _, b := range [][]byte{small, large, other} {
			d, _, err := inner.Blobs.Put(ctx, bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
		l.inner, l.large, l.other = inner.Blobs, ds[1], ds[2]
		backend := castore.NewStore(l, inner.Directories, nil)
		return connect(t, serve(t, backend, nil, true)), ds[0], ds[1]
	}
	flip := func(b []byte) []byte {
		if len(b) > 0 {
			b[len(b)/2] ^= 1
		}
		return b
	}

	for _, tc := range []struct {
		name      string
		lie       lie
		skipSmall bool // the lie is about chunks, which a small blob has none of
		// Valid chunks of another blob pass their chunk digests: only the
		// whole-blob digest, checked before the last chunk is handed out,
		// catches them.
		wrongBytesOut bool
	}{
		{"flip-a-byte", lie{mangle: flip}, false, false},
		{"truncate", lie{mangle: func(b []byte) []byte { return b[:max(0, len(b)-1)] }}, false, false},
		{"extra-byte", lie{mangle: func(b []byte) []byte { return append(b, 'x') }}, false, false},
		{"other-blobs-chunks", lie{otherChunks: true}, true, false},
		{"other-blob-whole", lie{otherChunks: true, otherData: true}, true, true},
		{"drop-a-chunk", lie{dropChunk: true}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, smallD, largeD := setup(t, &tc.lie)
			for _, d := range []castore.Digest{smallD, largeD} {
				if d == smallD && tc.skipSmall {
					continue
				}
				r, err := s.Blobs.Open(ctx, d)
				if err == nil {
					var got []byte
					got, err = io.ReadAll(r)
					r.Close()
					want := small
					if d == largeD {
						want = large
					}
					if len(got) >= len(want) {
						t.Errorf("blob %s: all of it was handed out", d)
					} else if !tc.wrongBytesOut && !bytes.Equal(got, want[:len(got)]) {
						t.Errorf("blob %s: a wrong byte was handed out", d)
					}
				}
				if !errors.Is(err, castore.ErrCorrupt) {
					t.Errorf("blob %s: read error %v, want ErrCorrupt", d, err)
				}
			}
		})
	}

	t.Run("random-access", func(t *testing.T) {
		s, _, largeD := setup(t, &lie{mangle: flip})
		r, err := s.Blobs.Open(ctx, largeD)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		buf := make([]byte, 10)
		if n, err := r.(io.ReaderAt).ReadAt(buf, 3<<20); n != 0 || !errors.Is(err, castore.ErrCorrupt) {
			t.Errorf("ReadAt = %d, %v; want 0, ErrCorrupt", n, err)
		}
	})

	t.Run("put-digest", func(t *testing.T) {
		s, _, _ := setup(t, &lie{putDigest: true})
		if _, _, err := s.Blobs.Put(ctx, bytes.NewReader(small)); !errors.Is(err, castore.ErrCorrupt) {
			t.Errorf("Put error %v, want ErrCorrupt", err)
		}
	})
}

// lie is a BlobService that returns wrong data in one of several ways.
type lie struct {
	inner        castore.BlobService
	large, other castore.Digest
	mangle       func([]byte) []byte // changes what every Open returns
	otherChunks  bool                // answer Chunks(large) with other's chunks
	otherData    bool                // and Open(large) with other's bytes
	dropChunk    bool                // answer Chunks without the last chunk
	putDigest    bool                // answer Put with a wrong digest
	noChunks     bool                // answer Chunks with none, as a server that does not chunk
}

func (l *lie) Has(ctx context.Context, d castore.Digest) (bool, error) { return l.inner.Has(ctx, d) }

func (l *lie) Chunks(ctx context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	if l.otherChunks && d == l.large {
		d = l.other
	}
	c, err := l.inner.Chunks(ctx, d)
	if l.noChunks {
		c = nil
	}
	if l.dropChunk && len(c) > 1 {
		c = c[:len(c)-1]
	}
	return c, err
}

func (l *lie) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	if l.otherData && d == l.large {
		d = l.other
	}
	r, err := l.inner.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return nil, err
	}
	if l.mangle != nil {
		data = l.mangle(data)
	}
	return nopReadSeekCloser{bytes.NewReader(data)}, nil
}

func (l *lie) Put(ctx context.Context, r io.Reader) (castore.Digest, uint64, error) {
	d, n, err := l.inner.Put(ctx, r)
	if l.putDigest {
		d[0] ^= 1
	}
	return d, n, err
}

type nopReadSeekCloser struct{ *bytes.Reader }

func (nopReadSeekCloser) Close() error { return nil }

// TestLyingDirectoryServer serves closures that are wrong in each way a
// server could get them wrong; the client must refuse each with
// castore.ErrCorrupt.
func TestLyingDirectoryServer(t *testing.T) {
	ctx := t.Context()
	fx := castoretest.Fixtures()
	a, b, d := fx["A"], fx["B"], fx["D"] // D holds A and B, B holds A
	keep := fx["keep"]
	// A directory claiming B with the wrong size.
	badSize := &castore.Directory{Entries: []castore.Entry{{Name: "b", Node: castore.DirectoryNode(b.Digest(), 7)}}}

	for _, tc := range []struct {
		name string
		root castore.Digest
		send []*castore.Directory // what the server sends for GetRecursive(root)
		get  *castore.Directory   // what it sends for Get(root), if not nil
	}{
		{"missing-child", d.Digest(), []*castore.Directory{d, b}, nil},
		{"unrequested-root", d.Digest(), []*castore.Directory{b, a}, nil},
		{"stranger", d.Digest(), []*castore.Directory{d, b, a, keep}, nil},
		{"duplicate", d.Digest(), []*castore.Directory{d, b, a, a}, nil},
		{"child-before-parent", b.Digest(), []*castore.Directory{b, a}, nil}, // fine; see below
		{"wrong-size", badSize.Digest(), []*castore.Directory{badSize, b, a}, nil},
		{"wrong-get", d.Digest(), nil, b},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := castore.NewStore(memory.New().Blobs, &lyingDirs{send: tc.send, get: tc.get}, nil)
			s := connect(t, serve(t, backend, nil, true))
			if tc.get != nil {
				if _, err := s.Directories.Get(ctx, tc.root); !errors.Is(err, castore.ErrCorrupt) {
					t.Errorf("Get error %v, want ErrCorrupt", err)
				}
				return
			}
			_, err := castore.Closure(ctx, s.Directories, tc.root)
			if tc.name == "child-before-parent" {
				if err != nil { // a correct closure, as a control
					t.Errorf("correct closure refused: %v", err)
				}
				return
			}
			if !errors.Is(err, castore.ErrCorrupt) {
				t.Errorf("GetRecursive error %v, want ErrCorrupt", err)
			}
		})
	}
}

// lyingDirs is a DirectoryService that answers every Get with get and
// every GetRecursive with send, whatever was asked.
type lyingDirs struct {
	send []*castore.Directory
	get  *castore.Directory
}

func (l *lyingDirs) Get(context.Context, castore.Digest) (*castore.Directory, error) {
	return l.get, nil
}

func (l *lyingDirs) GetRecursive(context.Context, castore.Digest) iter.Seq2[*castore.Directory, error] {
	return func(yield func(*castore.Directory, error) bool) {
		for _, d := range l.send {
			if !yield(d, nil) {
				return
			}
		}
	}
}

func (l *lyingDirs) NewPutter(ctx context.Context) castore.DirectoryPutter {
	return memory.New().Directories.NewPutter(ctx)
}

// TestUnchunkedServer: a server that lists no chunks sends large blobs
// whole; the client verifies them before handing out a byte, spooling
// those too large for memory to a temporary file.
func TestUnchunkedServer(t *testing.T) {
	ctx := t.Context()
	data := castoretest.RandomBytes(12, 10<<20)
	for _, tc := range []struct {
		name   string
		mangle func([]byte) []byte
	}{{"good", nil}, {"flipped", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }}} {
		t.Run(tc.name, func(t *testing.T) {
			inner := memory.New()
			d, _, err := inner.Blobs.Put(ctx, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			backend := castore.NewStore(&lie{inner: inner.Blobs, noChunks: true, mangle: tc.mangle}, inner.Directories, nil)
			s := connect(t, serve(t, backend, nil, true))
			r, err := s.Blobs.Open(ctx, d)
			if tc.mangle != nil {
				if !errors.Is(err, castore.ErrCorrupt) {
					t.Fatalf("Open error %v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := r.Seek(5<<20, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data[5<<20:]) {
				t.Fatalf("read %d bytes, %v", len(got), err)
			}
		})
	}
}
