package narbridge_test

import (
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/internal/nixtest"
	"github.com/govix/govix/store/memory"
	"github.com/govix/govix/store/narbridge"
)

func newBridge(t *testing.T, opts *narbridge.Options) (*store.Store, *httptest.Server) {
	t.Helper()
	st := store.NewStore(cmemory.New(), memory.New(), nil, nil)
	srv := httptest.NewServer(narbridge.New(st, opts))
	t.Cleanup(srv.Close)
	return st, srv
}

// TestNixRoundTrip: nix copy --to the bridge, nix copy --from it into a
// fresh store, nix-store --realise substituting from it with signatures
// required: contents and NAR hashes are Nix's own.
func TestNixRoundTrip(t *testing.T) {
	nix := nixtest.New(t)
	cl := nix.BuildClosure("rt")
	key, err := narinfo.GenerateKey("govix-test-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.PublicKey().String()
	for _, comp := range []string{"xz", "none", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			nix := nix.With(t)
			st, srv := newBridge(t, &narbridge.Options{SigningKeys: []narinfo.SecretKey{key}})
			cache := srv.URL + "?compression=" + comp
			nix.Run("nix", "copy", "--from", cl.Store, "--to", cache, cl.Top)
			n := 0
			for _, err := range st.PathInfo.List(t.Context()) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != len(cl.Paths) {
				t.Fatalf("bridge holds %d paths, want the %d of the closure", n, len(cl.Paths))
			}

			// The uploader's Nix remembers the narinfo it sent (with its
			// own URL and compression) and fetches that: it must work.
			again := filepath.Join(nix.Dir, "again-"+comp)
			nix.Run("nix", "copy", "--no-check-sigs", "--from", srv.URL, "--to", again, cl.Top)
			nix.Run("nix-store", "--store", again, "--verify", "--check-contents")

			// Copy back into a fresh store, checking signatures, as
			// another user: the uploader's Nix caches the narinfo it
			// sent (unsigned) and would not ask for ours.
			down := nixtest.New(t)
			dst := filepath.Join(down.Dir, "dst-"+comp)
			down.Run("nix", "copy", "--from", srv.URL, "--to", dst, "--option", "trusted-public-keys", pub, cl.Top)
			want := nix.PathInfos(cl.Store, cl.Paths...)
			got := down.PathInfos(dst, cl.Paths...)
			for _, p := range cl.Paths {
				w, g := want[p], got[p]
				if w.NarHash != g.NarHash || w.NarSize != g.NarSize || strings.Join(w.References, " ") != strings.Join(g.References, " ") || w.CA != g.CA || w.Deriver != g.Deriver {
					t.Errorf("%s: copied back as %+v, want %+v", p, g, w)
				}
				if out, err := exec.Command("diff", "-r", "--no-dereference", filepath.Join(cl.Store, p), filepath.Join(dst, p)).CombinedOutput(); err != nil {
					t.Errorf("%s differs after the round trip: %s", p, out)
				}
			}
			down.Run("nix-store", "--store", dst, "--verify", "--check-contents")

			// Substitute with signatures required.
			sub := filepath.Join(down.Dir, "sub-"+comp)
			down.Run("nix-store", "--store", sub, "--realise", cl.Top,
				"--option", "substituters", srv.URL,
				"--option", "trusted-public-keys", pub,
				"--option", "require-sigs", "true")
			if out, err := exec.Command("diff", "-r", "--no-dereference", filepath.Join(cl.Store, cl.Top), filepath.Join(sub, cl.Top)).CombinedOutput(); err != nil {
				t.Errorf("substituted path differs: %s", out)
			}
		})
	}
}

// TestNixRefusesUnsigned: with require-sigs on and the bridge's key not
// trusted, Nix does not substitute from it.
func TestNixRefusesUntrusted(t *testing.T) {
	nix := nixtest.New(t)
	cl := nix.BuildClosure("untrusted")
	key, _ := narinfo.GenerateKey("govix-test-1", nil)
	other, _ := narinfo.GenerateKey("someone-else-1", nil)
	_, srv := newBridge(t, &narbridge.Options{SigningKeys: []narinfo.SecretKey{key}})
	nix.Run("nix", "copy", "--from", cl.Store, "--to", srv.URL, cl.Top)
	nix = nixtest.New(t)
	sub := filepath.Join(nix.Dir, "sub")
	_, err := nix.RunErr("nix-store", "--store", sub, "--realise", cl.Top,
		"--option", "substituters", srv.URL,
		"--option", "trusted-public-keys", other.PublicKey().String(),
		"--option", "require-sigs", "true")
	if err == nil {
		t.Fatal("nix-store --realise substituted from a cache whose key is not trusted")
	}
}
