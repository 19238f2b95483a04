package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/nixcompat/storepath"
)

// TestFetchURLAsNix builds <nix/fetchurl.nix> derivations (Nix's built-in
// fetcher): a flat file, an executable and unpacked NARs (plain and xz),
// and compares the outputs with nix-build's.
func TestFetchURLAsNix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tree := filepath.Join(t.TempDir(), "tree")
	if err := os.MkdirAll(filepath.Join(tree, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tree, "bin", "tool"), []byte("#!/bin/sh\necho tool\n"), 0o755)
	os.WriteFile(filepath.Join(tree, "README"), []byte("read me\n"), 0o644)
	var narBuf bytes.Buffer
	if err := nar.DumpPath(ctx, &narBuf, tree); err != nil {
		t.Fatal(err)
	}
	var xzBuf bytes.Buffer
	xw, _ := xz.NewWriter(&xzBuf)
	xw.Write(narBuf.Bytes())
	xw.Close()
	files := map[string][]byte{
		"/file.txt":    []byte("a file fetched by builtin:fetchurl\n"),
		"/tool":        []byte("#!/bin/sh\necho hi\n"),
		"/tree.nar":    narBuf.Bytes(),
		"/tree.nar.xz": xzBuf.Bytes(),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	sha := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	narHash := func(b []byte) string {
		// The recursive hash of an unpacked NAR is the NAR's own hash.
		return sha(b)
	}
	execNAR := func(contents []byte) []byte {
		var b bytes.Buffer
		w := nar.NewWriter(&b)
		w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeRegular, Executable: true, Size: int64(len(contents))})
		w.Write(contents)
		w.Close()
		return b.Bytes()
	}
	expr := fmt.Sprintf(`let fetch = import <nix/fetchurl.nix>; in {
		flat = fetch { url = "%[1]s/file.txt"; sha256 = "%[2]s"; };
		exec = fetch { url = "%[1]s/tool"; sha256 = "%[3]s"; executable = true; };
		unpacked = fetch { url = "%[1]s/tree.nar"; sha256 = "%[4]s"; unpack = true; name = "tree"; };
		unpackedxz = fetch { url = "%[1]s/tree.nar.xz"; sha256 = "%[4]s"; unpack = true; name = "tree-xz"; };
	}`, srv.URL, sha(files["/file.txt"]), narHash(execNAR(files["/tool"])), narHash(narBuf.Bytes()))

	drvs := f.instantiate(t, expr)
	if _, err := f.nix(t, "nix-build", "-E", expr); err != nil {
		t.Fatal(err)
	}
	var targets []Target
	for _, d := range drvs {
		targets = append(targets, Target{Drv: d})
	}
	if _, err := f.builder(Options{}).Build(ctx, targets, false); err != nil {
		t.Fatal(err)
	}
	outs := f.outputsOf(t, drvs)
	js, err := f.nix(t, "nix", append([]string{"--extra-experimental-features", "nix-command", "path-info", "--json"}, outs...)...)
	if err != nil {
		t.Fatal(err)
	}
	var nixInfos []nixPathInfo
	if err := json.Unmarshal([]byte(js), &nixInfos); err != nil {
		t.Fatal(err)
	}
	for _, want := range nixInfos {
		p, _ := storepath.DefaultStoreDir.Parse(want.Path)
		info, err := f.st.PathInfo.Get(ctx, p.Digest)
		if err != nil {
			t.Errorf("%s: %v", want.Path, err)
			continue
		}
		if got := info.NarHash().SRI(); got != want.NarHash || info.CA.String() != want.CA {
			t.Errorf("%s: govix %s %s, nix %s %s", want.Path, got, info.CA, want.NarHash, want.CA)
		}
	}
	if len(nixInfos) != 4 {
		t.Errorf("nix built %d paths: %s", len(nixInfos), strings.Join(outs, " "))
	}
}
