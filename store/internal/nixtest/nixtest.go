// Package nixtest runs real Nix 2.8 for the store's tests: each test gets
// its own home and cache directories (Nix caches binary cache lookups,
// negative ones included), throw-away stores, and a small closure built
// in one.
package nixtest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// Nix runs Nix commands with an environment of its own.
type Nix struct {
	t   testing.TB
	Dir string // a temporary directory for stores, caches and files
	env []string
}

// New returns a runner, skipping the test if Nix is missing (failing under
// CI).
func New(t testing.TB) *Nix {
	t.Helper()
	testutil.RequireNix(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"HOME="+home,
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"NIX_CONFIG=experimental-features = nix-command\n",
	)
	return &Nix{t: t, Dir: dir, env: env}
}

// With returns a runner sharing n's environment that reports failures to
// t (a subtest).
func (n *Nix) With(t testing.TB) *Nix {
	c := *n
	c.t = t
	return &c
}

// Run runs a Nix command and returns its standard output; a failure ends
// the test, showing standard error.
func (n *Nix) Run(name string, args ...string) string {
	n.t.Helper()
	out, err := n.RunErr(name, args...)
	if err != nil {
		n.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// RunErr runs a Nix command and returns its standard output, or an error
// holding its standard error.
func (n *Nix) RunErr(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = n.env
	cmd.Dir = n.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &RunError{Err: err, Stderr: stderr.String()}
	}
	return stdout.String(), nil
}

// RunError is a failed Nix command.
type RunError struct {
	Err    error
	Stderr string
}

func (e *RunError) Error() string { return e.Err.Error() + ": " + strings.TrimSpace(e.Stderr) }

// Closure is a small closure built in a throw-away store.
type Closure struct {
	Store string   // the chroot store's root (a store URL for Nix)
	Top   string   // the store path at the top
	Paths []string // every path of the closure, sorted
}

// BuildClosure builds, in a new chroot store, an input-addressed
// derivation output that refers to a text file (builtins.toFile) and a
// source tree (builtins.path) holding an executable, a symlink and a
// subdirectory; the output itself holds a symlink into the tree, a copy of
// the executable, a 100 kB binary and a reference to the text file. The
// builder is busybox, mapped into the sandbox.
func (n *Nix) BuildClosure(tag string) *Closure {
	n.t.Helper()
	testutil.RequireCommand(n.t, "busybox")
	busybox, _ := exec.LookPath("busybox")
	base := filepath.Join(n.Dir, "closure-"+tag)
	tree := filepath.Join(base, "tree")
	for name, data := range map[string]string{"sub/f": "hi " + tag + "\n", "x": "#!/bin/sh\necho " + tag + "\n", "sub/empty": ""} {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			n.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			n.t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(tree, "x"), 0o755)
	os.Symlink("sub/f", filepath.Join(tree, "l"))
	os.MkdirAll(filepath.Join(tree, "emptydir"), 0o755)
	expr := `let
  a = builtins.toFile "a-` + tag + `" "hello ` + tag + `";
  src = builtins.path { path = ./tree; name = "tree-` + tag + `"; };
in derivation {
  name = "top-` + tag + `"; system = builtins.currentSystem; builder = "/bin/sh";
  args = ["-c" "/bin/busybox mkdir -p $out/bin && echo ${a} > $out/ref && /bin/busybox ln -s ${src} $out/src && /bin/busybox cp ${src}/x $out/bin/x && /bin/busybox head -c 100000 /bin/busybox > $out/bin/blob"];
}
`
	if err := os.WriteFile(filepath.Join(base, "default.nix"), []byte(expr), 0o644); err != nil {
		n.t.Fatal(err)
	}
	st := filepath.Join(base, "store")
	top := strings.TrimSpace(n.Run("nix-build", "--store", st, filepath.Join(base, "default.nix"), "--no-out-link",
		"--option", "sandbox-paths", "/bin/sh="+busybox+" /bin/busybox="+busybox))
	paths := strings.Fields(n.Run("nix-store", "--store", st, "--query", "--requisites", top))
	return &Closure{Store: st, Top: top, Paths: paths}
}

// PathInfo is one entry of nix path-info --json.
type PathInfo struct {
	Path       string   `json:"path"`
	NarHash    string   `json:"narHash"`
	NarSize    uint64   `json:"narSize"`
	References []string `json:"references"`
	Deriver    string   `json:"deriver"`
	CA         string   `json:"ca"`
	Signatures []string `json:"signatures"`
}

// PathInfos returns nix path-info --json of paths in a store.
func (n *Nix) PathInfos(store string, paths ...string) map[string]PathInfo {
	n.t.Helper()
	out := n.Run("nix", append([]string{"path-info", "--store", store, "--json"}, paths...)...)
	var infos []PathInfo
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		n.t.Fatalf("nix path-info --json: %v", err)
	}
	m := map[string]PathInfo{}
	for _, i := range infos {
		m[i.Path] = i
	}
	return m
}
