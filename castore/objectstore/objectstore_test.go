package objectstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/objectstore"
)

func openURL(t testing.TB, raw string) *castore.Store {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := objectstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fileURL(dir string) string { return "objectstore+file://" + dir }

func TestConformanceFile(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		return openURL(t, fileURL(t.TempDir()))
	})
}

func TestConformanceFileNoSync(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		return openURL(t, fileURL(t.TempDir())+"?fsync=false&concurrency=3")
	})
}

// TestLayout checks where objects go, that a second store over the same
// directory (another machine) sees them, and that nothing but objects and
// the format marker is written.
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s := openURL(t, fileURL(dir))
	defer s.Close()
	small := []byte("Hello World!")
	large := castoretest.RandomBytes(1, 3<<20)
	ds, _, err := s.Blobs.Put(ctx, bytes.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	dl, _, err := s.Blobs.Put(ctx, bytes.NewReader(large))
	if err != nil {
		t.Fatal(err)
	}
	fx := castoretest.Fixtures()
	p := s.Directories.NewPutter(ctx)
	for _, n := range []string{"A", "B", "D"} {
		if err := p.Put(fx[n]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Close(); err != nil {
		t.Fatal(err)
	}

	chunks, err := s.Blobs.Chunks(ctx, dl)
	if err != nil || len(chunks) < 2 {
		t.Fatalf("Chunks = %d, %v", len(chunks), err)
	}
	want := map[string]bool{"govix-castore-format": true}
	obj := func(dir string, d castore.Digest) string { return dir + "/b3/" + d.Hex()[:4] + "/" + d.Hex() }
	want[obj("chunks", ds)] = true
	want[obj("blobs", dl)] = true
	for _, c := range chunks {
		want[obj("chunks", c.Digest)] = true
	}
	for _, n := range []string{"A", "B", "D"} {
		want[obj("dirs", fx[n].Digest())] = true
	}
	got := map[string]bool{}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			got[strings.TrimPrefix(p, dir+"/")] = true
		}
		return err
	})
	for k := range want {
		if !got[k] {
			t.Errorf("missing object %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected file %s", k)
		}
	}

	// Another store over the same directory reads everything.
	s2 := openURL(t, fileURL(dir))
	defer s2.Close()
	for d, data := range map[castore.Digest][]byte{ds: small, dl: large} {
		r, err := s2.Blobs.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("second store: blob %s: %v", d, err)
		}
	}
	if c, err := castore.Closure(ctx, s2.Directories, fx["D"].Digest()); err != nil || len(c) != 3 {
		t.Fatalf("second store: closure of D: %d, %v", len(c), err)
	}
}

// TestCorruptObjects damages stored objects; reads must fail with
// ErrCorrupt, never return wrong bytes.
func TestCorruptObjects(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name   string
		target string // which object to damage: "small", "chunk", "index", "dir"
		damage func([]byte) []byte
	}{
		{"small-garbage", "small", func(b []byte) []byte { return []byte("not zstd at all") }},
		{"small-other-content", "small", nil}, // replaced by another chunk's (valid zstd) object
		{"chunk-flip", "chunk", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }},
		{"chunk-truncated", "chunk", func(b []byte) []byte { return b[:len(b)/2] }},
		{"index-garbage", "index", func(b []byte) []byte { return []byte{0xff, 0xff, 0xff} }},
		{"index-dropped-chunk", "index", func(b []byte) []byte { return b[:len(b)-36] }},
		{"dir-flip", "dir", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openURL(t, fileURL(dir))
			defer s.Close()
			small := []byte("small blob")
			other := []byte("other blob")
			large := castoretest.RandomBytes(2, 3<<20)
			put := func(b []byte) castore.Digest {
				d, _, err := s.Blobs.Put(ctx, bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			ds, do, dl := put(small), put(other), put(large)
			fx := castoretest.Fixtures()
			if _, err := castore.PutDirectory(ctx, s.Directories, fx["keep"]); err != nil {
				t.Fatal(err)
			}
			chunks, _ := s.Blobs.Chunks(ctx, dl)
			path := func(kind string, d castore.Digest) string {
				return filepath.Join(dir, kind, "b3", d.Hex()[:4], d.Hex())
			}
			var victim string
			switch tc.target {
			case "small":
				victim = path("chunks", ds)
			case "chunk":
				victim = path("chunks", chunks[1].Digest)
			case "index":
				victim = path("blobs", dl)
			case "dir":
				victim = path("dirs", fx["keep"].Digest())
			}
			b, err := os.ReadFile(victim)
			if err != nil {
				t.Fatal(err)
			}
			if tc.damage != nil {
				b = tc.damage(b)
			} else if b, err = os.ReadFile(path("chunks", do)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(victim, b, 0o644); err != nil {
				t.Fatal(err)
			}

			if tc.target == "dir" {
				if _, err := s.Directories.Get(ctx, fx["keep"].Digest()); !errors.Is(err, castore.ErrCorrupt) {
					t.Errorf("Get error %v, want ErrCorrupt", err)
				}
				return
			}
			d := dl
			if tc.target == "small" {
				d = ds
			}
			r, err := s.Blobs.Open(ctx, d)
			if err == nil {
				_, err = io.Copy(io.Discard, r)
				r.Close()
			}
			if !errors.Is(err, castore.ErrCorrupt) {
				t.Errorf("read error %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestBadURLs(t *testing.T) {
	for _, raw := range []string{
		"objectstore+file://relative/dir",
		"objectstore+file:///tmp/x?nope=1",
		"objectstore+file:///tmp/x?fsync=maybe",
		"objectstore+file:///tmp/x?concurrency=0",
		"objectstore+s3:///no-bucket",
		"objectstore+s3://bucket?access_key_id=only-half",
		"objectstore+gcs://bucket",
	} {
		u, _ := url.Parse(raw)
		if s, err := objectstore.Open(t.Context(), u); err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", raw)
		}
	}
	// Secrets stay out of error messages.
	u, _ := url.Parse("objectstore+s3://bucket?access_key_id=AK&secret_access_key=SUPERSECRET&bogus=1")
	if _, err := objectstore.Open(t.Context(), u); err == nil || strings.Contains(err.Error(), "SUPERSECRET") {
		t.Errorf("error %v shows the secret", err)
	}
}

// TestTvixSingleChunkIndex: Tvix writes a chunk index for a blob of one
// chunk too; such a blob reads as one stored whole.
func TestTvixSingleChunkIndex(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s := openURL(t, fileURL(dir))
	defer s.Close()
	data := []byte("a blob of one chunk")
	d, _, err := s.Blobs.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := proto.Marshal(&castorepb.StatBlobResponse{Chunks: []*castorepb.StatBlobResponse_ChunkMeta{{Digest: d[:], Size: uint64(len(data))}}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "blobs", "b3", d.Hex()[:4], d.Hex())
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, idx, 0o644); err != nil {
		t.Fatal(err)
	}
	if chunks, err := s.Blobs.Chunks(ctx, d); err != nil || len(chunks) != 0 {
		t.Errorf("Chunks = %v, %v; want none", chunks, err)
	}
	if ok, err := s.Blobs.Has(ctx, d); !ok || err != nil {
		t.Errorf("Has = %v, %v", ok, err)
	}
	r, err := s.Blobs.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read %q, %v", got, err)
	}
}
