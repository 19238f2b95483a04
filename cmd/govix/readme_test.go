package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// TestReadmeMainJob runs the README's main-job command exactly as a
// newcomer would (go run from the repository root, with a fresh embedded
// store) and checks that it prints what nix-instantiate --eval --strict
// prints for the same file, so the README cannot silently go stale.
func TestReadmeMainJob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds govix with go run")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	args := readmeMainJob(t, filepath.Join(root, "README.md"))
	if len(args) < 4 || strings.Join(args[:3], " ") != "go run ./cmd/govix" || args[3] != "eval" {
		t.Fatalf("main job %q: want `go run ./cmd/govix eval FILE`", strings.Join(args, " "))
	}
	file := args[len(args)-1]

	cmd := exec.Command("go", args[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOVIX_HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}

	nix := testutil.RequireNix(t)
	ref := exec.Command(filepath.Join(nix, "nix-instantiate"), "--eval", "--strict", "--read-write-mode",
		"--store", filepath.Join(t.TempDir(), "nix"), file)
	ref.Dir = root
	ref.Stderr = &stderr
	want, err := ref.Output()
	if err != nil {
		t.Fatalf("nix-instantiate: %v\n%s", err, stderr.Bytes())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("main job prints\n%s\nnix-instantiate prints\n%s", got, want)
	}
}

// readmeMainJob returns the words of the first indented command after the
// README's "Run the main job" line.
func readmeMainJob(t *testing.T, readme string) []string {
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	seen := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Run the main job") {
			seen = true
			continue
		}
		if seen && strings.HasPrefix(line, "    ") {
			return strings.Fields(line)
		}
	}
	t.Fatal("README has no main-job command after \"Run the main job\"")
	return nil
}
