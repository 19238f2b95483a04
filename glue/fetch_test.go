package glue_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/govix/govix/glue"
	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/store/backend"
)

type archiveEntry struct {
	name, data, link string
	mode             int64
	dir              bool
}

var archiveEntries = []archiveEntry{
	{name: "pkg-1.0/", dir: true, mode: 0o755},
	{name: "pkg-1.0/README", data: "read me\n", mode: 0o644},
	{name: "pkg-1.0/bin/", dir: true, mode: 0o755},
	{name: "pkg-1.0/bin/run", data: "#!/bin/sh\n", mode: 0o755},
	{name: "pkg-1.0/bin/odd", data: "group-exec only\n", mode: 0o610},
	{name: "pkg-1.0/link", link: "README", mode: 0o777},
}

func makeTar(t *testing.T) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	mtime := time.Unix(1600000000, 0)
	for _, e := range archiveEntries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime}
		switch {
		case e.dir:
			h.Typeflag = tar.TypeDir
		case e.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.data))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func makeZip(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range archiveEntries {
		h := &zip.FileHeader{Name: e.name, Modified: time.Unix(1600000000, 0)}
		mode := os.FileMode(e.mode)
		switch {
		case e.dir:
			mode |= os.ModeDir
		case e.link != "":
			mode |= os.ModeSymlink
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if e.link != "" {
			w.Write([]byte(e.link))
		} else {
			w.Write([]byte(e.data))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fetchServer serves files and archives on loopback.
func fetchServer(t *testing.T) string {
	raw := makeTar(t)
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(raw)
	gw.Close()
	var xzb bytes.Buffer
	xw, err := xz.NewWriter(&xzb)
	if err != nil {
		t.Fatal(err)
	}
	xw.Write(raw)
	xw.Close()
	files := map[string][]byte{
		"/file.txt":       []byte("downloaded\n"),
		"/pkg.tar.gz":     gz.Bytes(),
		"/pkg.tar.xz":     xzb.Bytes(),
		"/pkg.tar":        raw,
		"/pkg.zip":        makeZip(t),
		"/two-top.tar.gz": nil,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok || data == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// gitRepo makes a repository with two commits on main, a branch and a
// tag, and returns it.
func gitRepo(t *testing.T) string {
	testutil.RequireCommand(t, "git")
	dir := t.TempDir()
	run := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b",
			"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		cmd.Env = append(cmd.Env, env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	date := func(s string) []string { return []string{"GIT_AUTHOR_DATE=" + s, "GIT_COMMITTER_DATE=" + s} }
	run(nil, "init", "--quiet", "-b", "main")
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("one\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\n"), 0o755)
	run(nil, "add", ".")
	run(date("2021-01-01T00:00:00Z"), "commit", "--quiet", "-m", "one")
	run(nil, "tag", "v1")
	run(nil, "branch", "old")
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("two\n"), 0o644)
	os.Symlink("a.txt", filepath.Join(dir, "link"))
	run(nil, "add", ".")
	run(date("2022-02-02T12:34:56Z"), "commit", "--quiet", "-m", "two")
	return dir
}

func TestFetchersMatchNix(t *testing.T) {
	testutil.RequireNix(t)
	base := fetchServer(t)
	repo := gitRepo(t)
	cases := []string{
		`builtins.fetchurl "BASE/file.txt"`,
		`builtins.fetchurl { url = "BASE/file.txt"; name = "renamed"; }`,
		`builtins.fetchurl { url = "BASE/file.txt"; sha256 = "1ir1j3kq3rbkwvlmxb2pnfkzlhk8jmr9q1kfwhh4v5sxsgbi5ldz"; }`,
		`builtins.fetchTarball "BASE/pkg.tar.gz"`,
		`builtins.fetchTarball { url = "BASE/pkg.tar.xz"; name = "pkg"; }`,
		`builtins.fetchTarball "BASE/pkg.tar"`,
		`builtins.fetchTarball "BASE/pkg.zip"`,
		`builtins.readFile "${builtins.fetchTarball "BASE/pkg.tar.gz"}/bin/run"`,
		`builtins.readDir (builtins.fetchTarball "BASE/pkg.tar.gz")`,
		`builtins.fetchGit REPO`,
		`builtins.fetchGit { url = REPO; ref = "old"; }`,
		`builtins.fetchGit { url = REPO; ref = "refs/tags/v1"; name = "tagged"; }`,
		`builtins.fetchGit { url = "file://" + toString REPO; }`,
		`builtins.fetchTree { type = "tarball"; url = "BASE/pkg.tar.gz"; }`,
		`builtins.fetchTree { type = "git"; url = "file://" + toString REPO; ref = "main"; }`,
		`builtins.fetchTree "BASE/pkg.tar.gz"`,
		// Errors.
		`builtins.fetchurl "BASE/missing"`,
		`builtins.fetchurl { url = "BASE/file.txt"; sha256 = "0000000000000000000000000000000000000000000000000000"; }`,
		`builtins.fetchurl { url = "BASE/file.txt"; hash = "x"; }`,
		// (Nix 2.8's libarchive reads some text files as mtree
		// archives; govix refuses what is not an archive.)
		`builtins.fetchTarball "BASE/missing.tar.gz"`,
		`builtins.fetchGit { url = REPO; ref = "nope"; }`,
		`builtins.fetchTree { type = "file"; url = "BASE/file.txt"; owner = -1; }`,
		`builtins.fetchTree { type = "tarball"; url = "BASE/pkg.tar.gz"; name = "x"; }`,
	}
	nixStore := t.TempDir()
	ctx := context.Background()
	st, err := backend.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range cases {
		expr := strings.ReplaceAll(strings.ReplaceAll(c, "BASE", base), "REPO", repo)
		want := evalNixFlags(t, t.TempDir(), nixStore, expr, "--extra-experimental-features", "flakes")
		got, g := evalGovix(t, t.TempDir(), expr, glue.Options{ReadOnly: true, Store: st, TempDir: t.TempDir()}, "flakes")
		g.Close()
		switch {
		case want.err != nil && got.err == nil:
			t.Errorf("%s:\n got %s\nwant error %v", c, got.out, want.err)
		case want.err == nil && got.err != nil:
			t.Errorf("%s:\n got error %v\nwant %s", c, got.err, want.out)
		case got.out != want.out:
			t.Errorf("%s:\n got %s\nwant %s", c, got.out, want.out)
		}
	}
}

func TestFetchGitDirty(t *testing.T) {
	testutil.RequireNix(t)
	repo := gitRepo(t)
	os.WriteFile(filepath.Join(repo, "a.txt"), []byte("uncommitted\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "untracked"), []byte("not copied\n"), 0o644)
	expr := `let r = builtins.fetchGit ` + repo + `; in r // { files = builtins.readDir r.outPath; }`
	want := evalNixFlags(t, t.TempDir(), t.TempDir(), expr)
	st, err := backend.Open(context.Background(), "memory://")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := evalGovix(t, t.TempDir(), expr, glue.Options{Store: st})
	if want.err != nil || got.err != nil || got.out != want.out {
		t.Errorf("got %s %v\nwant %s %v", got.out, got.err, want.out, want.err)
	}
}

func TestFetchPure(t *testing.T) {
	base := fetchServer(t)
	st, err := backend.Open(context.Background(), "memory://")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{
		`builtins.fetchurl "BASE/file.txt"`,
		`builtins.fetchTarball "BASE/pkg.tar.gz"`,
		`builtins.fetchGit "/nonexistent"`,
	} {
		expr := strings.ReplaceAll(c, "BASE", base)
		got, _ := evalGovixPure(t, expr, glue.Options{Store: st})
		if got.err == nil || !strings.Contains(got.err.Error(), "pure evaluation mode") {
			t.Errorf("%s: got %s %v, want a pure-mode error", c, got.out, got.err)
		}
	}
}
