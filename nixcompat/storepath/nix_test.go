package storepath

// Tests that compute store paths and compare them with what real Nix 2.8
// prints for the same inputs, in throw-away stores.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/nixhash"
)

// run runs a command and returns its stdout split into lines.
func run(t *testing.T, name string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.Fields(string(out))
}

// testStore is a throw-away Nix store: its URL and its store directory.
type testStore struct {
	url string
	dir StoreDir
}

// testStores returns a chroot store (store directory /nix/store) and one
// with a store directory of its own, both under t.TempDir().
func testStores(t *testing.T) []testStore {
	root := t.TempDir()
	own := filepath.Join(root, "own")
	return []testStore{
		{url: filepath.Join(root, "chroot"), dir: DefaultStoreDir},
		{url: fmt.Sprintf("local?store=%s/store&state=%s/state&log=%s/log", own, own, own), dir: StoreDir(own + "/store")},
	}
}

// makeTree writes files and directories of every kind to dir and returns
// the names of the entries directly under it.
func makeTree(t *testing.T, dir string) (files, all []string) {
	write := func(name, data string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("empty", "", 0o644)
	write("hello.txt", "hello, world\n", 0o644)
	write("script.sh", "#!/bin/sh\necho hi\n", 0o755)
	write("binary", strings.Repeat("\x00\xff\x01govix", 10000), 0o644)
	write(".hidden", "dot file\n", 0o644)
	write("tree/a/b/c/deep", "deep\n", 0o644)
	write("tree/x", "x\n", 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "tree/emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/b", filepath.Join(dir, "tree/link")); err != nil {
		t.Fatal(err)
	}
	files = []string{"empty", "hello.txt", "script.sh", "binary", ".hidden"}
	return files, append(append([]string{}, files...), "tree")
}

// narHash asks nix-hash for the hash of the NAR serialisation of p.
func narHash(t *testing.T, bin string, a nixhash.Algorithm, p string) nixhash.Hash {
	out := run(t, bin+"/nix-hash", "--type", a.String(), p)
	h, err := nixhash.ParseNonSRIUnprefixed(out[0], a)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func flatHash(t *testing.T, a nixhash.Algorithm, p string) nixhash.Hash {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, _, err := nixhash.SumReader(a, f)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAddAgainstNix compares source and fixed-output paths with
// nix-store --add and --add-fixed [--recursive] for every algorithm.
func TestAddAgainstNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	src := t.TempDir()
	files, all := makeTree(t, src)
	abs := func(names []string) []string {
		var r []string
		for _, n := range names {
			r = append(r, filepath.Join(src, n))
		}
		return r
	}
	for _, st := range testStores(t) {
		compare := func(what string, nixSays []string, names []string, compute func(p string) (StorePath, error)) {
			t.Helper()
			if len(nixSays) != len(names) {
				t.Fatalf("%s: Nix printed %d paths for %d inputs", what, len(nixSays), len(names))
			}
			for i, n := range names {
				p, err := compute(filepath.Join(src, n))
				if err != nil {
					t.Errorf("%s %s: %v", what, n, err)
					continue
				}
				if got := st.dir.Print(p); got != nixSays[i] {
					t.Errorf("%s %s in %s: Nix gives %s, govix %s", what, n, st.dir, nixSays[i], got)
				}
			}
		}
		compare("nix-store --add", run(t, bin+"/nix-store", append([]string{"--store", st.url, "--add"}, abs(all)...)...), all,
			func(p string) (StorePath, error) {
				return st.dir.MakeFixedOutputPath(Recursive, narHash(t, bin, nixhash.SHA256, p), filepath.Base(p), nil, false)
			})
		for _, a := range nixhash.Algorithms {
			compare("--add-fixed "+a.String(), run(t, bin+"/nix-store", append([]string{"--store", st.url, "--add-fixed", a.String()}, abs(files)...)...), files,
				func(p string) (StorePath, error) {
					return st.dir.MakeFixedOutputPath(Flat, flatHash(t, a, p), filepath.Base(p), nil, false)
				})
			compare("--add-fixed --recursive "+a.String(), run(t, bin+"/nix-store", append([]string{"--store", st.url, "--add-fixed", "--recursive", a.String()}, abs(all)...)...), all,
				func(p string) (StorePath, error) {
					return st.dir.MakeFixedOutputPath(Recursive, narHash(t, bin, a, p), filepath.Base(p), nil, false)
				})
		}
	}
}

// TestTextPathsAgainstNix compares text paths, with and without references,
// with builtins.toFile.
func TestTextPathsAgainstNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	const expr = `let
	  a = builtins.toFile "a" "x";
	  c = builtins.toFile "c.txt" "y\n";
	in [
	  a
	  c
	  (builtins.toFile "empty" "")
	  (builtins.toFile ".dot" "dot")
	  (builtins.toFile "refs" "${c} and ${a} and ${a}")
	  (builtins.toFile "ref1" "see ${a}")
	]`
	for _, st := range testStores(t) {
		out := run(t, bin+"/nix-instantiate", "--store", st.url, "--eval", "--read-write-mode", "--strict", "--json", "-E", expr)
		var nixSays []string
		if err := json.Unmarshal([]byte(strings.Join(out, "")), &nixSays); err != nil {
			t.Fatal(err)
		}
		text := func(name, contents string, refs ...StorePath) StorePath {
			p, err := st.dir.ComputeTextPath(name, []byte(contents), refs)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		a := text("a", "x")
		c := text("c.txt", "y\n")
		want := []StorePath{
			a,
			c,
			text("empty", ""),
			text(".dot", "dot"),
			text("refs", st.dir.Print(c)+" and "+st.dir.Print(a)+" and "+st.dir.Print(a), c, a, a),
			text("ref1", "see "+st.dir.Print(a), a),
		}
		for i, p := range want {
			if got := st.dir.Print(p); got != nixSays[i] {
				t.Errorf("toFile #%d in %s: Nix gives %s, govix %s", i, st.dir, nixSays[i], got)
			}
		}
	}
}

// exportStream writes what nix-store --export would give for single-file
// store paths: each has contents and references (by absolute path).
type exportEntry struct {
	path     string
	contents string
	refs     []string
}

func exportStream(entries []exportEntry) []byte {
	var b bytes.Buffer
	num := func(n uint64) { binary.Write(&b, binary.LittleEndian, n) }
	str := func(s string) {
		num(uint64(len(s)))
		b.WriteString(s)
		b.Write(make([]byte, (8-len(s)%8)%8))
	}
	for _, e := range entries {
		num(1)
		for _, s := range []string{"nix-archive-1", "(", "type", "regular", "contents", e.contents, ")"} {
			str(s)
		}
		num(0x4558494e) // "NIXE"
		str(e.path)
		num(uint64(len(e.refs)))
		for _, r := range e.refs {
			str(r)
		}
		str("") // no deriver
		num(0)  // no signature
	}
	num(0)
	return b.Bytes()
}

// TestSelfReferenceAgainstNix imports paths that refer to themselves and
// to others, lets `nix store make-content-addressed` rewrite them into
// source paths, and recomputes those paths from the content address and
// references Nix records.
func TestSelfReferenceAgainstNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	store := filepath.Join(t.TempDir(), "s")
	other := "/nix/store/" + strings.Repeat("2", 32) + "-other"
	self := "/nix/store/" + strings.Repeat("1", 32) + "-selfref"
	both := "/nix/store/" + strings.Repeat("3", 32) + "-both"
	imp := exec.Command(bin+"/nix-store", "--store", store, "--import")
	imp.Stdin = bytes.NewReader(exportStream([]exportEntry{
		{path: other, contents: "no references\n"},
		{path: self, contents: "I am " + self + "\n", refs: []string{self}},
		{path: both, contents: "I am " + both + " and use " + other + "\n", refs: []string{other, both}},
	}))
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("nix-store --import: %v\n%s", err, out)
	}
	nix := func(args ...string) []byte {
		return []byte(strings.Join(run(t, bin+"/nix", append([]string{"--experimental-features", "nix-command", "--store", store}, args...)...), " "))
	}
	var rw struct{ Rewrites map[string]string }
	if err := json.Unmarshal(nix("store", "make-content-addressed", "--json", self, both), &rw); err != nil {
		t.Fatal(err)
	}
	if len(rw.Rewrites) != 2 {
		t.Fatalf("rewrites: %v", rw.Rewrites)
	}
	for _, newPath := range rw.Rewrites {
		var infos []struct {
			Path       string
			CA         string
			References []string
		}
		if err := json.Unmarshal(nix("path-info", "--json", newPath), &infos); err != nil {
			t.Fatal(err)
		}
		info := infos[0]
		ca, err := ParseContentAddress(info.CA)
		if err != nil {
			t.Fatal(err)
		}
		if ca.Text || ca.Method != Recursive || ca.String() != info.CA {
			t.Fatalf("%s has content address %q, parsed as %+v, printed as %q", newPath, info.CA, ca, ca.String())
		}
		h := ca.Hash
		var refs []StorePath
		hasSelf := false
		for _, r := range info.References {
			if r == info.Path {
				hasSelf = true
				continue
			}
			p, err := DefaultStoreDir.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, p)
		}
		if !hasSelf {
			t.Errorf("%s lost its self reference: %v", newPath, info.References)
		}
		want, err := DefaultStoreDir.Parse(newPath)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DefaultStoreDir.MakeFixedOutputPath(Recursive, h, want.Name, refs, hasSelf)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("self-referencing %s: Nix gives %s, govix %s", want.Name, newPath, DefaultStoreDir.Print(got))
		}
		if viaCA, err := DefaultStoreDir.MakePath(want.Name, ca, refs, hasSelf); err != nil || viaCA != want {
			t.Errorf("MakePath(%s) = %v, %v", info.CA, viaCA, err)
		}
	}
}

// TestParseLikeNix asks Nix whether odd strings are store paths (nix
// path-info tells a parse error from a missing path) and compares.
func TestParseLikeNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	store := filepath.Join(t.TempDir(), "s")
	inputs := []string{
		"/nix/store/" + hashPart + "-foo",
		"/nix/store/" + hashPart + "-.",
		"/nix/store/" + hashPart + "-..",
		"/nix/store/" + hashPart + "-.foo",
		"/nix/store/" + hashPart + "-foo?bar=baz+1",
		"/nix/store/" + hashPart + "-" + strings.Repeat("n", 211),
		"/nix/store/" + hashPart + "-" + strings.Repeat("n", 212),
		"/nix/store/" + hashPart + "-",
		"/nix/store/" + hashPart[:31] + "-foo",
		"/nix/store/e" + hashPart[1:] + "-foo",
		"/nix/store/" + hashPart + "-foo bar",
		"/nix/store/" + hashPart + "-foo@bar",
		"/nix/store/" + hashPart + "-foo~",
		"/nix/store/" + hashPart + "-foo%",
		"/nix/store//" + hashPart + "-foo/",
		"/nix/store/" + hashPart + "-foo/../" + hashPart + "-bar",
		"/nix/store",
		"/nix/" + hashPart + "-foo",
	}
	for _, in := range inputs {
		cmd := exec.Command(bin+"/nix", "--experimental-features", "nix-command", "--option", "substituters", "", "--store", store, "path-info", "--", in)
		out, _ := cmd.CombinedOutput()
		nixParses := strings.Contains(string(out), "is not valid")
		_, err := DefaultStoreDir.Parse(in)
		if nixParses != (err == nil) {
			t.Errorf("Parse(%q): govix error %v; Nix says %s", in, err, bytes.TrimSpace(out))
		}
	}
}

// TestTextContentAddressAgainstNix reads the content addresses Nix records
// for builtins.toFile paths and recomputes the paths from them.
func TestTextContentAddressAgainstNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	store := filepath.Join(t.TempDir(), "s")
	out := run(t, bin+"/nix-instantiate", "--store", store, "--eval", "--read-write-mode", "--strict", "--json", "-E",
		`let a = builtins.toFile "a" "x"; in [ a (builtins.toFile "b" "${a}") ]`)
	var paths []string
	if err := json.Unmarshal([]byte(strings.Join(out, "")), &paths); err != nil {
		t.Fatal(err)
	}
	infoOut := run(t, bin+"/nix", append([]string{"--experimental-features", "nix-command", "--store", store, "path-info", "--json"}, paths...)...)
	var infos []struct {
		Path       string
		CA         string
		References []string
	}
	if err := json.Unmarshal([]byte(strings.Join(infoOut, " ")), &infos); err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		ca, err := ParseContentAddress(info.CA)
		if err != nil {
			t.Fatal(err)
		}
		if !ca.Text || ca.String() != info.CA {
			t.Errorf("%s: content address %q parsed as %+v, printed as %q", info.Path, info.CA, ca, ca.String())
		}
		var refs []StorePath
		for _, r := range info.References {
			p, err := DefaultStoreDir.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, p)
		}
		want, err := DefaultStoreDir.Parse(info.Path)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := DefaultStoreDir.MakePath(want.Name, ca, refs, false); err != nil || got != want {
			t.Errorf("MakePath(%s) = %v, %v; Nix has %s", info.CA, got, err, info.Path)
		}
	}
}
