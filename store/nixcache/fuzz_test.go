package nixcache_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store/nixcache"
)

// FuzzNarInfoFromHTTP: whatever a cache answers for a narinfo, Get returns
// a path it checked or an error, and never panics or hangs.
func FuzzNarInfoFromHTTP(f *testing.F) {
	f.Add([]byte("StorePath: /nix/store/7h7qgvs4kgzsn8a6rb273saxyqh4jxlz-hello\nURL: nar/x.nar\nCompression: none\nNarHash: sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s\nNarSize: 120\nReferences: \n"))
	f.Add([]byte("StorePath: /nix/store/7h7qgvs4kgzsn8a6rb273saxyqh4jxlz-hello\nURL: ../../etc/passwd\nCompression: xz\nNarHash: sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s\nNarSize: 1\nCA: fixed:r:sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s\n"))
	f.Add([]byte("garbage"))
	sp, err := storepath.ParseBase("7h7qgvs4kgzsn8a6rb273saxyqh4jxlz-hello")
	if err != nil {
		f.Fatal(err)
	}
	var current atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/"+sp.HashPart()+".narinfo" {
			w.Write(*current.Load())
			return
		}
		w.Write([]byte("not a nar"))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	client := srv.Client()
	f.Fuzz(func(t *testing.T, body []byte) {
		current.Store(&body)
		s, err := nixcache.New(u, cmemory.New(), &nixcache.Options{NoRequireSigs: true, Client: client})
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Get(context.Background(), sp.Digest)
		if err == nil {
			if verr := info.Validate(); verr != nil {
				t.Fatalf("Get returned an invalid PathInfo: %v", verr)
			}
		}
	})
}
