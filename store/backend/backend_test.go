package backend_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
	"github.com/govix/govix/store/internal/nixtest"
	"github.com/govix/govix/store/pathinfotest"
)

func TestConformanceURLs(t *testing.T) {
	for name, u := range map[string]string{
		"memory":      "memory://",
		"local":       "local://DIR",
		"path":        "DIR",
		"cache":       "cache://?near=memory://&far=local://DIR",
		"objectstore": "objectstore+file://DIR",
	} {
		t.Run(name, func(t *testing.T) {
			pathinfotest.Run(t, func(t *testing.T) *store.Store {
				st, err := backend.Open(context.Background(), strings.ReplaceAll(u, "DIR", t.TempDir()))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			})
		})
	}
}

func nixtestKeys(s string) ([]narinfo.PublicKey, error) {
	k, err := narinfo.ParsePublicKey(s)
	return []narinfo.PublicKey{k}, err
}

func TestBadURLs(t *testing.T) {
	for _, u := range []string{"memory://x", "bogus://", "cache://?near=memory://", "nix+ftp://x", "nix+file://host/x", "nix+https://h?trusted-public-keys=bad"} {
		if st, err := backend.Open(context.Background(), u); err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded", u)
		}
	}
}

// TestCacheOverNixCache: a local store in front of a Nix binary cache
// substitutes on first use, straight into the local store, and serves from
// it afterwards, even with the cache gone.
func TestCacheOverNixCache(t *testing.T) {
	nix := nixtest.New(t)
	cl := nix.BuildClosure("cache")
	sk, pk := filepath.Join(nix.Dir, "sk"), filepath.Join(nix.Dir, "pk")
	nix.Run("nix-store", "--generate-binary-cache-key", "test-1", sk, pk)
	dir := filepath.Join(nix.Dir, "bincache")
	nix.Run("nix", "copy", "--from", cl.Store, "--to", "file://"+dir+"?compression=zstd&secret-key="+sk, cl.Top)
	pub, _ := os.ReadFile(pk)
	near := filepath.Join(t.TempDir(), "near")
	far := "nix+file://" + dir + "?trusted-public-keys=" + url.QueryEscape(strings.TrimSpace(string(pub)))
	u := "cache://?" + url.Values{"near": {"local://" + near}, "far": {far}}.Encode()
	ctx := context.Background()
	top, _ := storepath.DefaultStoreDir.Parse(cl.Top)

	st, err := backend.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := store.Closure(ctx, st.PathInfo, []storepath.StorePath{top})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(cl.Paths) {
		t.Fatalf("closure of %d paths, want %d", len(infos), len(cl.Paths))
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// store copy from the binary cache: the closure lands in the
	// destination, signatures checked; without the key nothing does.
	keys, err := nixtestKeys(strings.TrimSpace(string(pub)))
	if err != nil {
		t.Fatal(err)
	}
	for _, trusted := range []bool{true, false} {
		dst, _ := backend.Open(ctx, "memory://")
		src, err := backend.OpenWith(ctx, "nix+file://"+dir+"?require-sigs=false", &backend.Options{IngestInto: dst.Castore()})
		if err != nil {
			t.Fatal(err)
		}
		opts := &store.CopyOptions{}
		if trusted {
			opts.TrustedKeys = keys
		}
		err = store.CopyPaths(ctx, src, dst, []storepath.StorePath{top}, opts)
		n := 0
		for range dst.PathInfo.List(ctx) {
			n++
		}
		switch {
		case trusted && (err != nil || n != len(cl.Paths)):
			t.Errorf("copy with the key: %v, %d paths", err, n)
		case !trusted && !errors.Is(err, store.ErrUntrusted):
			t.Errorf("copy without the key: %v, want ErrUntrusted", err)
		case !trusted && n >= len(cl.Paths):
			t.Errorf("copy without the key stored %d paths", n)
		}
	}
	os.RemoveAll(dir)

	st, err = backend.Open(ctx, "local://"+near)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := nix.PathInfos(cl.Store, cl.Paths...)
	for _, info := range infos {
		size, sum, err := store.CalculateNAR(ctx, st.Blobs, st.Directories, info.Node)
		w := want[storepath.DefaultStoreDir.Print(info.StorePath)]
		if err != nil || size != w.NarSize || "sha256-"+info.NarHash().Base64() != w.NarHash || sum != info.NarSHA256 {
			t.Errorf("%s in the near store: %d %v, want %d %s", info.StorePath, size, err, w.NarSize, w.NarHash)
		}
	}
}
