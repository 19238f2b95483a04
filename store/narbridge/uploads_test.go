package narbridge_test

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	clocal "github.com/govix/govix/castore/local"
	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/local"
	"github.com/govix/govix/store/narbridge"
)

// TestUploadsSurviveRestart uploads a NAR to a bridge over an embedded
// store that keeps upload names in the store, closes everything, and
// fetches the NAR under its upload name from a new bridge.
func TestUploadsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	data := makeNAR(t, rng)
	sp := fakePath(rng, 0)
	sum := sha256.Sum256(data)
	name := "nar/" + nixbase32.EncodeToString(sum[:]) + ".nar"

	start := func() (*httptest.Server, func()) {
		ls, err := clocal.Open(t.Context(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		pis, err := local.New(ls)
		if err != nil {
			t.Fatal(err)
		}
		kv, err := ls.KV("narbridge/uploads")
		if err != nil {
			t.Fatal(err)
		}
		st := store.NewStore(ls.Castore(), pis, nil, ls.Close)
		srv := httptest.NewServer(narbridge.New(st, &narbridge.Options{Uploads: kv}))
		return srv, func() {
			srv.Close()
			if err := st.Close(); err != nil {
				t.Error(err)
			}
		}
	}
	srv, stop := start()
	if err := upload(srv.Client(), srv.URL, sp, data); err != nil {
		t.Fatal(err)
	}
	stop()

	srv, stop = start()
	defer stop()
	code, body, err := do(srv.Client(), http.MethodGet, srv.URL+"/"+name, nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET %s after a restart: %d %v", name, code, err)
	}
	if sha256.Sum256(body) != sum {
		t.Errorf("GET %s after a restart: the NAR differs", name)
	}
	if err := fetch(srv.Client(), srv.URL, sp, sum); err != nil {
		t.Error(err)
	}
}

// TestUploadCredentials checks that writes need one of the configured
// credentials and reads do not.
func TestUploadCredentials(t *testing.T) {
	creds, err := narbridge.ParseCredentials("# who may upload\nalice:secret\nBearer t0ken\n")
	if err != nil {
		t.Fatal(err)
	}
	_, srv := newBridge(t, &narbridge.Options{UploadCredentials: creds})
	rng := rand.New(rand.NewPCG(5, 6))
	c := srv.Client()
	try := func(name string, set func(*http.Request), want int) {
		t.Helper()
		data := makeNAR(t, rng)
		sum := sha256.Sum256(data)
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/nar/"+nixbase32.EncodeToString(sum[:])+".nar", bytesReader(data))
		set(req)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, want)
		}
	}
	try("no credentials", func(*http.Request) {}, http.StatusUnauthorized)
	try("wrong password", func(r *http.Request) { r.SetBasicAuth("alice", "guess") }, http.StatusUnauthorized)
	try("wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, http.StatusUnauthorized)
	try("basic auth", func(r *http.Request) { r.SetBasicAuth("alice", "secret") }, http.StatusNoContent)
	try("bearer token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0ken") }, http.StatusNoContent)
	if code, _, err := do(c, http.MethodGet, srv.URL+"/nix-cache-info", nil); err != nil || code != http.StatusOK {
		t.Errorf("GET nix-cache-info: %d %v", code, err)
	}
	if _, err := narbridge.ParseCredentials("just-a-name\n"); err == nil {
		t.Errorf("a line without a password was accepted")
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
