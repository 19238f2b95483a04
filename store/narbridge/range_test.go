package narbridge_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store/internal/compression"
)

// TestRangesAndListing: range requests return exactly the bytes asked
// for, HEAD answers without a body, .ls lists the files at their
// offsets, and a compressed name is served compressed.
func TestRangesAndListing(t *testing.T) {
	_, srv := newBridge(t, nil)
	rng := rand.New(rand.NewPCG(1, 1))
	data := makeNAR(t, rng)
	sp := fakePath(rng, 0)
	if err := upload(srv.Client(), srv.URL, sp, data); err != nil {
		t.Fatal(err)
	}
	_, body, _ := do(srv.Client(), http.MethodGet, srv.URL+"/"+sp.HashPart()+".narinfo", nil)
	ni, err := narinfo.Parse(storepath.DefaultStoreDir, string(body))
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/" + ni.URL
	for range 50 {
		off := rng.IntN(len(data))
		n := 1 + rng.IntN(len(data)-off)
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("range %d+%d: status %d, %d bytes", off, n, resp.StatusCode, len(got))
		}
	}
	resp, err := srv.Client().Head(url)
	if err != nil || resp.StatusCode != 200 || resp.ContentLength != int64(len(data)) {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	code, ls, _ := do(srv.Client(), http.MethodGet, srv.URL+"/"+sp.HashPart()+".ls", nil)
	if code != 200 || !bytes.Contains(ls, []byte(`"narOffset":`)) {
		t.Errorf(".ls: %d %s", code, ls)
	}
	// The NAR uploaded as nar/<file hash>.nar is served under that name
	// too.
	up := "nar/" + nixbase32.EncodeToString(ni.NarHash.Digest()) + ".nar"
	if code, b, _ := do(srv.Client(), http.MethodGet, srv.URL+"/"+up, nil); code != 200 || !bytes.Equal(b, data) {
		t.Errorf("GET %s: %d", up, code)
	}
	// Compressed on the fly under .zst and .xz.
	for ext, comp := range map[string]string{".zst": "zstd", ".xz": "xz"} {
		code, b, _ := do(srv.Client(), http.MethodGet, url+ext, nil)
		if code != 200 {
			t.Fatalf("GET %s%s: %d", ni.URL, ext, code)
		}
		dec, err := compression.NewReader(comp, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(dec)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("GET %s%s: decompresses to %d bytes (%v), want the NAR", ni.URL, ext, len(got), err)
		}
	}
}
