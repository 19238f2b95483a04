package narbridge_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/memory"
	"github.com/govix/govix/store/narbridge"
)

// FuzzPutNarInfo: whatever a client uploads as a narinfo (or a NAR), the
// bridge answers with a status and never panics; nothing unverified is
// stored.
func FuzzPutNarInfo(f *testing.F) {
	f.Add("7h7qgvs4kgzsn8a6rb273saxyqh4jxlz", []byte("StorePath: /nix/store/7h7qgvs4kgzsn8a6rb273saxyqh4jxlz-hello\nURL: nar/x.nar\nCompression: none\nNarHash: sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s\nNarSize: 120\nReferences: \n"), false)
	f.Add("nar/1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s.nar.xz", []byte("\xfd7zXZ\x00"), true)
	f.Fuzz(func(t *testing.T, name string, body []byte, isNAR bool) {
		st := store.NewStore(cmemory.New(), memory.New(), nil, nil)
		h := narbridge.New(st, nil)
		path := "/" + name + ".narinfo"
		if isNAR {
			path = "/" + name
		}
		req, err := http.NewRequest(http.MethodPut, "http://x"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !isNAR && w.Code/100 == 2 {
			t.Fatalf("a narinfo naming no uploaded NAR was accepted: %d", w.Code)
		}
		for range st.PathInfo.List(t.Context()) {
			t.Fatal("something was stored")
		}
	})
}
