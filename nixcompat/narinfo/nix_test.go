package narinfo

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// nixCommand enables the nix command and keeps Nix off the network.
var nixCommand = []string{"--experimental-features", "nix-command", "--option", "substituters", ""}

// TestNixSignedVerifies has Nix generate a key and sign paths while
// copying them to a file:// binary cache, then parses, re-prints and
// verifies every narinfo it wrote.
func TestNixSignedVerifies(t *testing.T) {
	testutil.RequireNix(t)
	tmp := t.TempDir()
	run(t, tmp, "nix-store", "--generate-binary-cache-key", "govix-test-1", "sk", "pk")
	skText, _ := os.ReadFile(filepath.Join(tmp, "sk"))
	pkText, _ := os.ReadFile(filepath.Join(tmp, "pk"))
	sk, err := ParseSecretKey(string(skText))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParsePublicKey(string(pkText))
	if err != nil {
		t.Fatal(err)
	}
	if sk.PublicKey().String() != strings.TrimSpace(string(pkText)) {
		t.Fatalf("public key of Nix's secret key: %s, Nix wrote %s", sk.PublicKey(), pkText)
	}

	// Paths of every kind: flat and recursive fixed-output, text paths
	// with references (one of them a derivation).
	store := filepath.Join(tmp, "s")
	os.WriteFile(filepath.Join(tmp, "f.txt"), []byte("hello\n"), 0o644)
	os.MkdirAll(filepath.Join(tmp, "d", "sub"), 0o755)
	os.WriteFile(filepath.Join(tmp, "d", "sub", "x"), []byte("x"), 0o755)
	os.Symlink("sub/x", filepath.Join(tmp, "d", "l"))
	paths := []string{
		run(t, tmp, "nix-store", "--store", store, "--add", "f.txt"),
		run(t, tmp, "nix-store", "--store", store, "--add", "d"),
		run(t, tmp, "nix-store", "--store", store, "--add-fixed", "sha1", "f.txt"),
		strings.Trim(run(t, tmp, "nix-instantiate", "--store", store, "--read-write-mode", "--eval", "-E",
			`builtins.toFile "with-refs" "${builtins.toFile "y" "z"} ${./f.txt} ${./d}"`), `"`),
		run(t, tmp, "nix-instantiate", "--store", store, "-E",
			`derivation { name = "drv"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo" ]; src = ./d; }`),
	}
	cache := filepath.Join(tmp, "cache")
	args := append(append([]string{}, nixCommand...), "copy", "--store", store, "--to",
		"file://"+cache+"?compression=none&secret-key="+filepath.Join(tmp, "sk"))
	run(t, tmp, "nix", append(args, paths[:4]...)...)
	// A store derivation as an installable means its outputs, unless
	// --derivation says otherwise.
	run(t, tmp, "nix", append(args, "--derivation", paths[4])...)

	infos, _ := filepath.Glob(filepath.Join(cache, "*.narinfo"))
	if len(infos) < len(paths) {
		t.Fatalf("%d narinfo files for %d paths", len(infos), len(paths))
	}
	for _, f := range infos {
		text, _ := os.ReadFile(f)
		ni, err := Parse(storepath.DefaultStoreDir, string(text))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ni.String() != string(text) {
			t.Fatalf("%s re-printed differently:\n%s\nNix wrote\n%s", f, ni, text)
		}
		if n, err := ni.Verify(pk); n != 1 || err != nil {
			t.Fatalf("%s: Verify = %d, %v", f, n, err)
		}
		// Our signature of the same fingerprint with Nix's key is
		// Nix's signature: ed25519 is deterministic.
		sig := ni.Signatures[0]
		if err := ni.Sign(sk); err != nil {
			t.Fatal(err)
		}
		if ni.Signatures[0] != sig {
			t.Fatalf("%s: signed %s, Nix signed %s", f, ni.Signatures[0], sig)
		}
		// The NAR it points at hashes to NarHash, and nar reads it.
		narFile, err := os.Open(filepath.Join(cache, ni.URL))
		if err != nil {
			t.Fatal(err)
		}
		h := nixhash.SHA256.New()
		if _, err := nar.List(io.TeeReader(narFile, h)); err != nil {
			t.Fatalf("%s: %v", ni.URL, err)
		}
		narFile.Close()
		if got, _ := nixhash.New(nixhash.SHA256, h.Sum(nil)); got != ni.NarHash {
			t.Fatalf("%s: NAR hashes to %v, narinfo says %v", ni.URL, got, ni.NarHash)
		}
		if !ni.IsContentAddressed() {
			t.Fatalf("%s: Nix's content-addressed path is not content-addressed for us", f)
		}
	}
}

// TestGovixSignedVerifiesInNix writes a binary cache by hand with
// narinfos signed by a govix key for input-addressed paths (so the
// signature is the only reason to trust them), and has Nix copy from it.
func TestGovixSignedVerifiesInNix(t *testing.T) {
	testutil.RequireNix(t)
	tmp := t.TempDir()
	sk, err := GenerateKey("govix-made-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(tmp, "cache")
	os.MkdirAll(filepath.Join(cache, "nar"), 0o755)
	os.WriteFile(filepath.Join(cache, "nix-cache-info"), []byte("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n"), 0o644)

	dir := storepath.DefaultStoreDir
	fakePath := func(name string) storepath.StorePath {
		var d [storepath.DigestSize]byte
		copy(d[:], nixhash.SumString(nixhash.SHA256, "govix test "+name).Compress(storepath.DigestSize))
		p, err := storepath.New(d, name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	dep := fakePath("dep")
	top := fakePath("top")
	trees := map[storepath.StorePath]string{dep: filepath.Join(tmp, "dep"), top: filepath.Join(tmp, "top")}
	os.MkdirAll(trees[dep], 0o755)
	os.WriteFile(filepath.Join(trees[dep], "lib"), []byte("dep\n"), 0o644)
	os.MkdirAll(filepath.Join(trees[top], "bin"), 0o755)
	os.WriteFile(filepath.Join(trees[top], "bin", "tool"), []byte("#!/bin/sh\n"+dir.Print(dep)+"/lib\n"), 0o755)

	publish := func(p storepath.StorePath, refs []storepath.StorePath, key SecretKey) {
		var buf bytes.Buffer
		if err := nar.DumpPath(t.Context(), &buf, trees[p]); err != nil {
			t.Fatal(err)
		}
		h := nixhash.Sum(nixhash.SHA256, buf.Bytes())
		url := "nar/" + h.Format(nixhash.Nix32, false) + ".nar"
		os.WriteFile(filepath.Join(cache, url), buf.Bytes(), 0o644)
		ni := &NarInfo{
			StoreDir: dir, StorePath: p, URL: url, Compression: "none",
			FileHash: h, FileSize: uint64(buf.Len()), NarHash: h, NarSize: uint64(buf.Len()),
			References: refs,
		}
		if err := ni.Sign(key); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(cache, p.HashPart()+".narinfo"), []byte(ni.String()), 0o644)
	}
	publish(dep, nil, sk)
	publish(top, []storepath.StorePath{dep}, sk)

	copyFrom := func(store, trusted string) error {
		args := append(append([]string{}, nixCommand...), "copy", "--store", filepath.Join(tmp, store),
			"--from", "file://"+cache, "--option", "trusted-public-keys", trusted, dir.Print(top))
		cmd := exec.Command("nix", args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("nix copy: %v\n%s", err, out)
		}
		return err
	}
	// With another key trusted, Nix refuses the paths.
	other, _ := GenerateKey("govix-made-1", nil)
	if copyFrom("refused", other.PublicKey().String()) == nil {
		t.Fatal("Nix accepted paths signed by an untrusted key")
	}
	if err := copyFrom("accepted", sk.PublicKey().String()); err != nil {
		t.Fatal("Nix refused govix's signatures")
	}
	out := run(t, tmp, "nix", append(append([]string{}, nixCommand...), "path-info", "--store", filepath.Join(tmp, "accepted"),
		"--recursive", "--sigs", dir.Print(top))...)
	if !strings.Contains(out, dir.Print(dep)) || !strings.Contains(out, sk.Name+":") {
		t.Fatalf("path-info after copy:\n%s", out)
	}
}
