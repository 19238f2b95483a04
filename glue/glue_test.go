package glue_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/glue"
	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
)

// tree writes files (relative path -> contents; a "->target" value makes
// a symlink, a trailing "*" in the name an executable) under a new
// directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, mode = strings.TrimSuffix(name, "*"), 0o755
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(data, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sources is the tree the table tests read paths from.
var sources = map[string]string{
	"a.txt":           "hello\n",
	"script.sh*":      "#!/bin/sh\necho hi\n",
	"sub/b.txt":       "b\n",
	"sub/c.nix":       "{ x = 1; }\n",
	"sub/deep/d":      "d",
	"sub/link":        "->b.txt",
	"data":            "data\n",
	"skip/ignored":    "x",
	"with space/file": "y",
}

type result struct {
	out string
	err error
}

// evalGovix evaluates expr (strictly, printed as nix-instantiate --eval
// --strict prints it) with a glue configured by opts in dir, with the
// given experimental features.
func evalGovix(t *testing.T, dir, expr string, opts glue.Options, features ...string) (result, *glue.Glue) {
	return evalGovixWith(t, dir, expr, opts, eval.Options{ExperimentalFeatures: features})
}

// evalGovixPure is evalGovix in pure evaluation mode.
func evalGovixPure(t *testing.T, expr string, opts glue.Options) (result, *glue.Glue) {
	return evalGovixWith(t, t.TempDir(), expr, opts, eval.Options{PureEval: true})
}

func evalGovixWith(t *testing.T, dir, expr string, opts glue.Options, eo eval.Options) (result, *glue.Glue) {
	t.Helper()
	var stderr bytes.Buffer
	opts.Stderr = &stderr
	g := glue.New(opts)
	eo.StoreDir = "/nix/store"
	eo.Stderr = &stderr
	g.Configure(&eo)
	ev := eval.New(eo)
	ctx := context.Background()
	v, err := ev.EvalSource(ctx, "«string»", dir, []byte(expr))
	if err != nil {
		return result{err: err}, g
	}
	var b bytes.Buffer
	if err := ev.WriteValue(ctx, &b, v, true); err != nil {
		return result{err: err}, g
	}
	return result{out: strings.TrimSpace(b.String())}, g
}

// evalNix evaluates expr with Nix 2.8 in read-write mode with a store of
// its own under storeRoot (so nothing touches the machine's store).
func evalNix(t *testing.T, dir, storeRoot, expr string) result {
	return evalNixFlags(t, dir, storeRoot, expr)
}

func evalNixFlags(t *testing.T, dir, storeRoot, expr string, flags ...string) result {
	t.Helper()
	args := append([]string{"--eval", "--strict", "--read-write-mode", "--store", storeRoot}, flags...)
	cmd := exec.Command("nix-instantiate", append(args, "-E", expr)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NIX_STORE_DIR=/nix/store", "NIX_PATH=", "XDG_CACHE_HOME="+filepath.Join(storeRoot, "cache"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return result{err: errors.New(strings.TrimSpace(stderr.String()))}
	}
	return result{out: strings.TrimSpace(stdout.String())}
}

// storeCases are expressions whose value (store paths, derivation
// attributes) must be what Nix 2.8 computes.
var storeCases = []string{
	// Derivations.
	`derivation { name = "a"; builder = "/foo"; system = "i686-linux"; }`,
	`(derivation { name = "a"; builder = "/foo"; system = "x"; outputs = [ "out" "dev" "lib" ]; }).lib.outPath`,
	`(derivation { name = "a"; builder = "/foo"; system = "x"; outputs = "bin out"; }).all`,
	`(derivation { name = "a"; builder = "/foo"; system = "x"; args = [ "-e" 1 2.5 true false null [ "x" [ "y" ] ] ./a.txt ]; }).drvPath`,
	`(derivation { name = "a"; builder = ./script.sh; system = "x"; src = ./sub; n = 3; f = 0.1; b = true; l = [ 1 "a" null ]; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; __ignoreNulls = true; a = null; b = "c"; args = [ "x" ]; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; __structuredAttrs = true; outputs = [ "out" "doc" ];
	   a = [ 1 2 { b = "x"; c = null; d = ./a.txt; } ]; s = "é\n\t\"\\"; n = -3; t = true; e = { }; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; __structuredAttrs = true; __ignoreNulls = true; z = null; }).drvPath`,
	// __json is written as Nix 2.8 writes JSON (not as toJSON does now).
	`let d = attrs: (derivation ({ name = "s"; builder = "/b"; system = "x"; __structuredAttrs = true; } // attrs)).drvPath; in
	 [ (d { f = 1.5; }) (d { f = 0.1; }) (d { f = 1.0e20; }) (d { f = 123456789.123; }) (d { f = 1.0e-7; }) (d { f = 3.0; })
	   (d { f = 100000.0; }) (d { f = 1000000.0; }) (d { f = 0.00001234567; }) (d { n = 9223372036854775807; })
	   (d { s = "é ☃ \u{1}"; }) (d { s = builtins.fromJSON "\"\\u0001\\u001f\\u007f\\b\\f\""; })
	   (d { l = [ null true false 1 (-1) [ ] { } ]; })
	   (d { o = { outPath = "x"; y = 1; }; t = { __toString = s: "str"; }; tp = { __toString = s: ./a.txt; }; })
	   (d { drv = derivation { name = "dep"; builder = "/b"; system = "x"; }; }) ]`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; __structuredAttrs = false; x = "y"; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; __json = "{}"; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; passAsFile = [ "big" ]; big = "lots"; }).drvPath`,
	// Fixed outputs: flat and recursive, each notation of the hash.
	`derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "0000000000000000000000000000000000000000000000000000"; outputHashAlgo = "sha256"; }`,
	`(derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; outputHashMode = "recursive"; }).drvPath`,
	`(derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; outputHashAlgo = ""; }).drvPath`,
	`(derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; outputHashAlgo = "sha256"; outputHashMode = "flat"; }).outPath`,
	`(derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "da39a3ee5e6b4b0d3255bfef95601890afd80709"; outputHashAlgo = "sha1"; outputHashMode = "recursive"; }).outPath`,
	`(derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "d41d8cd98f00b204e9800998ecf8427e"; outputHashAlgo = "md5"; }).drvPath`,
	`(derivation { name = "f"; builder = "/b"; system = "x"; outputHash = ""; outputHashAlgo = "sha512"; }).drvPath`,
	`(derivation { name = "f"; builder = "/b"; system = "x"; __structuredAttrs = true; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }).drvPath`,
	// Dependencies: outputs, whole closures (drvPath), sources.
	`let d = derivation { name = "dep"; builder = "/b"; system = "x"; outputs = [ "out" "dev" ]; };
	 in (derivation { name = "a"; builder = "/b"; system = "x"; x = d; y = "${d.dev}/include"; }).drvPath`,
	`let f = derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; };
	     d = derivation { name = "dep"; builder = "/b"; system = "x"; inherit f; src = ./sub; };
	 in (derivation { name = "a"; builder = "/b"; system = "x"; x = d.drvPath; }).drvPath`,
	`let f1 = derivation { name = "f"; builder = "/b"; system = "x"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; };
	     f2 = derivation { name = "f"; builder = "/c"; system = "y"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; };
	 in [ (f1.outPath == f2.outPath) (f1.drvPath == f2.drvPath)
	      (derivation { name = "a"; builder = "/b"; system = "x"; inherit f1; }).drvPath
	      (derivation { name = "a"; builder = "/b"; system = "x"; inherit f2; }).drvPath ]`,
	`let t = builtins.toFile "t" "x"; in (derivation { name = "a"; builder = "/b"; system = "x"; x = "${t}"; y = builtins.unsafeDiscardStringContext "${t}"; }).drvPath`,
	// Text files and sources.
	`builtins.toFile "foo" "bar"`,
	`let a = builtins.toFile "a" "x"; in builtins.toFile "b" "see ${a} and ${./a.txt}"`,
	`[ "${./a.txt}" "${./sub}" "${./script.sh}" "${./sub/link}" "${./with + " space"}" ]`,
	`builtins.path { path = ./sub; }`,
	`builtins.path { path = ./a.txt; name = "renamed"; recursive = false; }`,
	`builtins.path { path = ./.; name = "filtered"; filter = p: t: t != "directory" || builtins.match ".*/skip" p == null; }`,
	`builtins.filterSource (p: t: t == "directory" || builtins.match ".*\\.txt" p != null) ./sub`,
	`builtins.path { path = ./data; recursive = false; sha256 = "0k4lwj58f2w5yh92ilrwy9917pycipbrdrr13vbb3yd02j09vfxm"; name = "output"; }`,
	`builtins.readFile (builtins.toFile "r" "read back")`,
	`import (builtins.toFile "e.nix" "{ a = 1 + 2; }")`,
	`builtins.readDir (builtins.path { path = ./sub; })`,
	`builtins.readFile "${./sub}/link"`,
	`let p = builtins.toFile "s" "x"; in [ (builtins.storePath p) (builtins.storePath "${p}") ]`,
	// <nix/fetchurl.nix>.
	`(import <nix/fetchurl.nix> { url = "http://example.org/a.tar.gz"; name = "a.tar.gz"; sha256 = "0000000000000000000000000000000000000000000000000000"; }).drvPath`,
	`(import <nix/fetchurl.nix> { url = "http://example.org/b"; name = "b"; hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; executable = true; }).outPath`,
	`(import <nix/fetchurl.nix> { url = "http://example.org/c"; name = "c"; sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"; unpack = true; }).drvPath`,
	`builtins.functionArgs (import <nix/fetchurl.nix>)`,
	// Errors.
	`derivation { name = "a"; builder = "/b"; }`,
	`derivation { name = "a"; system = "x"; }`,
	`(derivation { name = "a.drv"; builder = "/b"; system = "x"; }).drvPath`,
	`(derivation { name = "a b"; builder = "/b"; system = "x"; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; outputs = [ "out" "dev" ]; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; outputHash = ""; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; outputHash = "abc"; outputHashAlgo = "sha256"; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; outputHashMode = "text"; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; outputs = [ ]; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; outputs = [ "a" "a" ]; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; __contentAddressed = true; }).drvPath`,
	`(derivation { name = "a"; builder = "/b"; system = "x"; x = { }; }).drvPath`,
	`builtins.toFile "x" "${(derivation { name = "a"; builder = "/b"; system = "x"; })}"`,
	`builtins.path { path = ./a.txt; foo = 1; }`,
	`builtins.path { path = ./data; sha256 = "0k4lwj58f2w5yh92ilrwy9917pycipbrdrr13vbb3yd02j09vfxm"; }`,
	`builtins.storePath ./a.txt`,
	`"${./nonexistent}"`,
}

func TestStoreBuiltinsMatchNix(t *testing.T) {
	testutil.RequireNix(t)
	dir := tree(t, sources)
	nixStore := t.TempDir()
	st, err := backend.Open(context.Background(), "memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, expr := range storeCases {
		want := evalNix(t, dir, nixStore, expr)
		for _, mode := range []struct {
			name string
			opts glue.Options
		}{
			{"read-only", glue.Options{ReadOnly: true}},
			{"read-write", glue.Options{Store: st}},
		} {
			got, g := evalGovix(t, dir, expr, mode.opts)
			if err := g.Flush(context.Background()); err != nil {
				t.Errorf("%s: flush: %v", expr, err)
			}
			switch {
			case want.err != nil && got.err == nil:
				t.Errorf("%s (%s):\n got %s\nwant error %v", expr, mode.name, got.out, want.err)
			case want.err == nil && got.err != nil:
				t.Errorf("%s (%s):\n got error %v\nwant %s", expr, mode.name, got.err, want.out)
			case got.out != want.out:
				t.Errorf("%s (%s):\n got %s\nwant %s", expr, mode.name, got.out, want.out)
			}
		}
	}
}

// TestWrittenPathsMatchNix checks that what Flush writes is what Nix
// writes: the same store paths with the same contents (the .drv files
// byte for byte), NAR hashes and references.
func TestWrittenPathsMatchNix(t *testing.T) {
	testutil.RequireNix(t)
	dir := tree(t, sources)
	nixStore := t.TempDir()
	ctx := context.Background()
	st, err := backend.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	expr := `let
	  dep = derivation { name = "dep"; builder = "/b"; system = "x"; outputs = [ "out" "dev" ]; src = ./sub; };
	  f = import <nix/fetchurl.nix> { url = "http://example.org/a"; name = "a"; sha256 = "0000000000000000000000000000000000000000000000000000"; };
	  t = builtins.toFile "t.sh" "echo ${./a.txt} ${./script.sh}";
	  top = derivation { name = "top"; builder = "/b"; system = "x"; inherit dep f t; d = dep.drvPath;
	    p = builtins.path { path = ./.; name = "filtered"; filter = p: t: builtins.match ".*/skip" p == null; }; };
	in [ top.drvPath ]`
	if r := evalNix(t, dir, nixStore, expr); r.err != nil {
		t.Fatal(r.err)
	}
	r, g := evalGovix(t, dir, expr, glue.Options{Store: st})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for info, err := range st.PathInfo.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		p := "/nix/store/" + info.StorePath.String()
		out, err := exec.Command("nix-store", "--store", nixStore, "--query", "--hash", p).CombinedOutput()
		if err != nil {
			t.Errorf("%s is not in Nix's store: %v: %s", p, err, out)
			continue
		}
		if got, want := info.NarHash().Format(nixhash.Nix32, true), strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: NAR hash %s, Nix has %s", p, got, want)
		}
		out, err = exec.Command("nix-store", "--store", nixStore, "--query", "--references", p).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		// Nix lists references in its database's order.
		wantFields := strings.Fields(string(out))
		slices.Sort(wantFields)
		wantRefs := strings.Join(wantFields, " ")
		var refs []string
		for _, r := range info.References {
			refs = append(refs, "/nix/store/"+r.String())
		}
		if got := strings.Join(refs, " "); got != wantRefs {
			t.Errorf("%s: references\n %s\nNix has\n %s", p, got, wantRefs)
		}
		if strings.HasSuffix(p, ".drv") {
			want, err := os.ReadFile(filepath.Join(nixStore, p))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readBlob(ctx, st, info)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs:\n got %s\nwant %s", p, got, want)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d paths written", n)
	}
}

func readBlob(ctx context.Context, st *store.Store, info *store.PathInfo) ([]byte, error) {
	f, err := st.Blobs.Open(ctx, info.Node.Digest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(f)
	return b.Bytes(), err
}

func TestImportFromDerivation(t *testing.T) {
	dir := tree(t, sources)
	for _, expr := range []string{
		`import (derivation { name = "ifd"; builder = "/b"; system = "x"; })`,
		`builtins.readFile "${derivation { name = "ifd"; builder = "/b"; system = "x"; }}/x"`,
	} {
		got, _ := evalGovix(t, dir, expr, glue.Options{ReadOnly: true})
		if got.err == nil || !strings.Contains(got.err.Error(), "import from derivation needs a builder") {
			t.Errorf("%s: got %s %v, want an import-from-derivation error", expr, got.out, got.err)
		}
	}
}
