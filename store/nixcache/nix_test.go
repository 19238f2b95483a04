package nixcache_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/castore"
	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/internal/nixtest"
	"github.com/govix/govix/store/nixcache"
)

// nixCache builds a closure and has nix copy write it to a file:// binary
// cache with the given compression, signed with a fresh key.
func nixCache(t *testing.T, nix *nixtest.Nix, cl *nixtest.Closure, comp string) (dir string, pub narinfo.PublicKey) {
	t.Helper()
	base, err := os.MkdirTemp(nix.Dir, "cache-"+comp)
	if err != nil {
		t.Fatal(err)
	}
	sk := filepath.Join(base, "sk")
	pk := filepath.Join(base, "pk")
	nix.Run("nix-store", "--generate-binary-cache-key", "nix-test-"+comp, sk, pk)
	dir = filepath.Join(base, "cache")
	nix.Run("nix", "copy", "--from", cl.Store, "--to", "file://"+dir+"?compression="+comp+"&write-nar-listing=true&secret-key="+sk, cl.Top)
	b, err := os.ReadFile(pk)
	if err != nil {
		t.Fatal(err)
	}
	pub, err = narinfo.ParsePublicKey(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return dir, pub
}

func open(t *testing.T, dir string, keys ...narinfo.PublicKey) (*nixcache.Service, *castore.Store) {
	t.Helper()
	cas := cmemory.New()
	s, err := nixcache.New(&url.URL{Scheme: "file", Path: dir}, cas, &nixcache.Options{TrustedKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return s, cas
}

func TestSubstituteFromNixCache(t *testing.T) {
	nix := nixtest.New(t)
	cl := nix.BuildClosure("nc")
	want := nix.PathInfos(cl.Store, cl.Paths...)
	ctx := context.Background()
	for _, comp := range []string{"xz", "zstd", "none", "bzip2"} {
		t.Run(comp, func(t *testing.T) {
			nix := nix.With(t)
			dir, pub := nixCache(t, nix, cl, comp)
			s, cas := open(t, dir, pub)
			if comp == "xz" {
				// The same cache over HTTP.
				srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
				defer srv.Close()
				u, _ := url.Parse(srv.URL)
				cas = cmemory.New()
				var err error
				if s, err = nixcache.New(u, cas, &nixcache.Options{TrustedKeys: []narinfo.PublicKey{pub}}); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range cl.Paths {
				sp, err := storepath.DefaultStoreDir.Parse(p)
				if err != nil {
					t.Fatal(err)
				}
				info, err := s.Get(ctx, sp.Digest)
				if err != nil {
					t.Fatalf("Get %s: %v", p, err)
				}
				w := want[p]
				if got := info.NarHash().Format(3, true); got != w.NarHash && "sha256-"+info.NarHash().Base64() != w.NarHash {
					t.Errorf("%s: NAR hash %s, Nix says %s", p, got, w.NarHash)
				}
				// Our listing is the .ls file Nix wrote.
				if ls, err := os.ReadFile(filepath.Join(dir, sp.HashPart()+".ls")); err == nil {
					l, err := store.Listing(ctx, cas.Directories, info.Node)
					if err != nil {
						t.Fatal(err)
					}
					if got, _ := l.MarshalJSON(); !bytes.Equal(got, ls) {
						t.Errorf("%s: listing\n%s\nNix wrote\n%s", p, got, ls)
					}
				} else if comp == "none" {
					t.Errorf("Nix wrote no listing: %v", err)
				}
				size, sum, err := store.CalculateNAR(ctx, cas.Blobs, cas.Directories, info.Node)
				if err != nil || size != w.NarSize || sum != info.NarSHA256 {
					t.Errorf("%s: rendered NAR: %d %x %v, want %d bytes", p, size, sum, err, w.NarSize)
				}
			}
		})
	}
}

func TestRefusesTampered(t *testing.T) {
	nix := nixtest.New(t)
	cl := nix.BuildClosure("tamper")
	top, err := storepath.DefaultStoreDir.Parse(cl.Top)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	narinfoFile := func(dir string) string { return filepath.Join(dir, top.HashPart()+".narinfo") }

	t.Run("untrusted key", func(t *testing.T) {
		dir, _ := nixCache(t, nix.With(t), cl, "none")
		other, _ := narinfo.GenerateKey("other-1", nil)
		s, _ := open(t, dir, other.PublicKey())
		if _, err := s.Get(ctx, top.Digest); !errors.Is(err, nixcache.ErrUntrusted) {
			t.Fatalf("Get = %v, want ErrUntrusted", err)
		}
	})
	t.Run("narinfo", func(t *testing.T) {
		dir, pub := nixCache(t, nix.With(t), cl, "xz")
		b, _ := os.ReadFile(narinfoFile(dir))
		// Drop a reference: the signature no longer matches.
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "References: ") {
				lines[i] = "References: " + strings.Join(strings.Fields(l)[2:], " ")
			}
		}
		os.WriteFile(narinfoFile(dir), []byte(strings.Join(lines, "\n")), 0o644)
		s, _ := open(t, dir, pub)
		if _, err := s.Get(ctx, top.Digest); !errors.Is(err, nixcache.ErrUntrusted) {
			t.Fatalf("Get = %v, want ErrUntrusted", err)
		}
	})
	t.Run("nar", func(t *testing.T) {
		dir, pub := nixCache(t, nix.With(t), cl, "none")
		ni, err := narinfo.Parse("", mustRead(t, narinfoFile(dir)))
		if err != nil {
			t.Fatal(err)
		}
		narFile := filepath.Join(dir, ni.URL)
		b := []byte(mustRead(t, narFile))
		b[len(b)-100] ^= 1 // inside the 100 kB blob, near its end
		os.WriteFile(narFile, b, 0o644)
		s, cas := open(t, dir, pub)
		if _, err := s.Get(ctx, top.Digest); !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("Get = %v, want ErrCorrupt", err)
		}
		// Nothing of the tree is stored: not its root directory.
		ref := cmemory.New()
		res, err := store.IngestNAR(ctx, ref.Blobs, ref.Directories, strings.NewReader(nix.With(t).Run("nix-store", "--dump", filepath.Join(cl.Store, cl.Top))), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cas.Directories.Get(ctx, res.Node.Digest); !errors.Is(err, castore.ErrNotFound) {
			t.Errorf("the root directory is stored after a refused NAR (%v)", err)
		}
	})
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
