package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// execGovix runs govix in-process and returns its standard output.
func execGovix(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("govix %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// execNix runs a Nix command and returns its standard output.
func execNix(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// narTestTree makes a small tree with every kind of node.
func narTestTree(t *testing.T) string {
	root := filepath.Join(t.TempDir(), "tree")
	files := map[string]string{"a": "hello\n", "sub/b": "", "sub/deeper/c": strings.Repeat("c", 100_000), "ü name": "x"}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "run"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for target, name := range map[string]string{"a": "link", "/nowhere": "abs", "sub": "dirlink"} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestHashPathMatchesNix compares govix hash path with nix-hash for every
// algorithm and encoding, and with nix hash path for the default.
func TestHashPathMatchesNix(t *testing.T) {
	testutil.RequireNix(t)
	root := narTestTree(t)
	paths := []string{root, filepath.Join(root, "a"), filepath.Join(root, "run"), filepath.Join(root, "link"), filepath.Join(root, "empty")}
	for _, algo := range []string{"md5", "sha1", "sha256", "sha512"} {
		for _, enc := range []string{"--base16", "--base32"} {
			nixArgs := []string{"--type", algo}
			if enc == "--base32" {
				nixArgs = append(nixArgs, enc)
			}
			want := execNix(t, "nix-hash", append(nixArgs, paths...)...)
			got := execGovix(t, append([]string{"hash", "path", "--type", algo, enc}, paths...)...)
			if !bytes.Equal(got, want) {
				t.Errorf("hash path --type %s %s:\n got %s\nwant %s", algo, enc, got, want)
			}
		}
	}
	want := execNix(t, "nix", append([]string{"--experimental-features", "nix-command", "hash", "path"}, paths...)...)
	if got := execGovix(t, append([]string{"hash", "path"}, paths...)...); !bytes.Equal(got, want) {
		t.Errorf("hash path:\n got %s\nwant %s", got, want)
	}
}

// TestStoreAddDryRunMatchesNix compares the paths govix store add
// --dry-run prints with what nix-store --add and --add-fixed add to a
// throw-away store.
func TestStoreAddDryRunMatchesNix(t *testing.T) {
	testutil.RequireNix(t)
	root := narTestTree(t)
	store := filepath.Join(t.TempDir(), "s")
	ns := func(args ...string) string {
		return strings.TrimSpace(string(execNix(t, "nix-store", append([]string{"--store", store}, args...)...)))
	}
	gv := func(args ...string) string {
		return strings.TrimSpace(string(execGovix(t, append([]string{"store", "add", "--dry-run"}, args...)...)))
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: govix %s, Nix %s", what, got, want)
		}
	}
	for _, name := range []string{"", "a", "run", "link", "empty", "sub"} {
		p := filepath.Join(root, name)
		check("add "+name, gv(p), ns("--add", p))
		for _, algo := range []string{"md5", "sha1", "sha256", "sha512"} {
			check(fmt.Sprintf("add-fixed --recursive %s %s", algo, name),
				gv("--fixed", algo, "--recursive", p), ns("--add-fixed", "--recursive", algo, p))
			if fi, _ := os.Lstat(p); fi.Mode().IsRegular() {
				check(fmt.Sprintf("add-fixed %s %s", algo, name), gv("--fixed", algo, p), ns("--add-fixed", algo, p))
			}
		}
	}
	// -n names the path; Nix's store path for the same contents under
	// that name comes from a copy with that name.
	named := filepath.Join(t.TempDir(), "other-name")
	if err := os.WriteFile(named, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("add -n", gv("-n", "other-name", filepath.Join(root, "a")), ns("--add", named))
}

// TestNarCommandsMatchNix compares nar dump, ls and cat with nix-store
// --dump and nix nar ls/cat.
func TestNarCommandsMatchNix(t *testing.T) {
	testutil.RequireNix(t)
	root := narTestTree(t)
	want := execNix(t, "nix-store", "--dump", root)
	if got := execGovix(t, "nar", "dump", root); !bytes.Equal(got, want) {
		t.Fatal("nar dump differs from nix-store --dump")
	}
	narFile := filepath.Join(t.TempDir(), "tree.nar")
	if err := os.WriteFile(narFile, want, 0o644); err != nil {
		t.Fatal(err)
	}
	nix := []string{"--experimental-features", "nix-command", "nar"}
	for _, args := range [][]string{
		{"ls", narFile, "/"}, {"ls", "-R", narFile, "/"}, {"ls", "-lR", narFile, "/"}, {"ls", "-l", narFile, "/sub"},
		{"ls", narFile, "/a"}, {"ls", "-d", narFile, "/sub"}, {"ls", "-ld", narFile, "/link"},
		{"ls", "--json", narFile, "/"}, {"ls", "--json", "-R", narFile, "/sub"},
		{"cat", narFile, "/a"}, {"cat", narFile, "/sub/deeper/c"}, {"cat", narFile, "/ü name"},
	} {
		want := execNix(t, "nix", append(nix, args...)...)
		got := execGovix(t, append([]string{"nar"}, args...)...)
		if args[1] == "--json" {
			// Nix prints JSON without a final newline.
			want = append(want, '\n')
		}
		if !bytes.Equal(got, want) {
			t.Errorf("nar %s:\n got %q\nwant %q", strings.Join(args, " "), got, want)
		}
	}
}
