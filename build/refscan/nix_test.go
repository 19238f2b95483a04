package refscan

import (
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// TestAgainstNix builds a derivation with Nix 2.8 whose output refers to
// some of its inputs in file contents, a symlink target, a file name and
// itself, then scans the output's NAR for the hashes of all inputs and of
// the output: the references found must be those Nix registered.
func TestAgainstNix(t *testing.T) {
	testutil.RequireNix(t)
	sh := testutil.RequireCommand(t, "busybox")
	store := filepath.Join(t.TempDir(), "s")
	expr := `let
		a = builtins.toFile "a" "aaa";
		b = builtins.toFile "b" "bbb";
		c = builtins.toFile "c" "ccc";
		d = builtins.toFile "d" "ddd";
	in derivation {
		name = "refs"; system = "x86_64-linux"; builder = "/bin/sh";
		inherit a b c d;
		args = ["-c" ''
			mkdir $out
			echo "prefix''${a}suffix" > $out/file
			ln -s $b $out/link
			touch $out/$(basename $c | cut -c1-32)
			echo $out > $out/self
		''];
	}`
	nix := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], append([]string{"--store", store}, args[1:]...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", args, err, err.(*exec.ExitError).Stderr)
		}
		return string(out)
	}
	out := strings.TrimSpace(nix("nix-build", "-E", expr, "--no-out-link",
		"--option", "sandbox", "true", "--option", "build-users-group", "",
		"--option", "sandbox-paths", "/bin/sh="+sh, "--option", "substituters", ""))
	drv := strings.TrimSpace(nix("nix-store", "-q", "--deriver", out))
	candidates := append(strings.Fields(nix("nix-store", "-q", "--references", drv)), out)
	var needles []string
	byHash := map[string]string{}
	for _, p := range candidates {
		if strings.HasSuffix(p, ".drv") {
			continue
		}
		h := path.Base(p)[:HashLen]
		needles = append(needles, h)
		byHash[h] = p
	}
	if len(needles) != 5 {
		t.Fatalf("want 4 inputs and the output, have %q", candidates)
	}
	set, err := NewSet(needles)
	if err != nil {
		t.Fatal(err)
	}
	sc := set.NewScanner()
	// --dump reads a file system path: the chroot store's real one.
	dump := exec.Command("nix-store", "--dump", filepath.Join(store, out))
	dump.Stdout = sc
	if err := dump.Run(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range sc.FoundNeedles() {
		got = append(got, byHash[h])
	}
	slices.Sort(got)
	want := strings.Fields(nix("nix-store", "-q", "--references", out))
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) != 4 {
		t.Errorf("scan found %q\nNix registered %q", got, want)
	}
}
