// Package testutil holds helpers shared by govix's tests.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where a missing
// external component is a failure rather than a reason to skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireCommand returns the absolute path of an external program the test
// needs (nix-store, runc, ...). Without it the test skips, or fails under CI:
// the project's setup script is responsible for installing it there.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if InCI() {
			t.Fatalf("%s is required under CI but not installed (scripts/setup.sh installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// RequireNix returns the directory holding Nix 2.8's commands (nix-store,
// nix-instantiate, nix-hash, nix), with the same skip/fail rule as
// RequireCommand.
func RequireNix(t testing.TB) string {
	t.Helper()
	p := RequireCommand(t, "nix-store")
	return dirOf(p)
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "."
}
