package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// TestDerivationShowBashClosure runs `govix derivation show` on every
// derivation in the closure of auxcore's bash and compares its output with
// `nix show-derivation` on the same derivations, byte for byte.
func TestDerivationShowBashClosure(t *testing.T) {
	bin := testutil.RequireNix(t)
	src, err := filepath.Abs("../../../shared/conformance/auxcore/src")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		if testutil.InCI() {
			t.Fatalf("auxcore conformance data missing: %v", err)
		}
		t.Skipf("auxcore conformance data missing: %v", err)
	}
	store := filepath.Join(t.TempDir(), "s")
	inst := exec.Command(bin+"/nix-instantiate", "--store", store, src, "-A", "bash")
	out, err := inst.Output()
	if err != nil {
		t.Fatalf("nix-instantiate: %v", err)
	}
	top := strings.TrimSpace(string(out))

	files, err := filepath.Glob(filepath.Join(store, "nix/store/*.drv"))
	if err != nil || len(files) < 100 {
		t.Fatalf("expected the bash closure in %s, found %d derivations (%v)", store, len(files), err)
	}
	var storePaths []string
	for _, f := range files {
		storePaths = append(storePaths, "/nix/store/"+filepath.Base(f))
	}

	nixShow := func(args ...string) []byte {
		cmd := exec.Command(bin+"/nix", append([]string{"--experimental-features", "nix-command", "--store", store, "show-derivation"}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("nix show-derivation: %v\n%s", err, stderr.Bytes())
		}
		return out
	}
	govixShow := func(args ...string) []byte {
		var stdout bytes.Buffer
		root := newRootCmd()
		root.SetOut(&stdout)
		root.SetArgs(append([]string{"derivation", "show"}, args...))
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("govix derivation show: %v", err)
		}
		return stdout.Bytes()
	}

	if got, want := govixShow(files...), nixShow(storePaths...); !bytes.Equal(got, want) {
		t.Errorf("derivation show of all %d derivations differs from nix show-derivation (%d vs %d bytes)", len(files), len(got), len(want))
	}
	topFile := filepath.Join(store, top)
	if got, want := govixShow("--recursive", topFile), nixShow("--recursive", top); !bytes.Equal(got, want) {
		t.Errorf("derivation show --recursive %s differs from nix show-derivation --recursive (%d vs %d bytes)", top, len(got), len(want))
	}
}
