package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// factsScript prints what a builder can observe of its sandbox, apart from
// store hashes and timestamps.
const factsScript = `{
echo "== root"; ls /
echo "== etc"; ls /etc; cat /etc/passwd /etc/group /etc/hosts
echo "== dev"; ls /dev
echo "== id"; id
echo "== uts"; hostname; cat /proc/sys/kernel/domainname
echo "== cwd"; pwd
echo "== pid"; echo $$
echo "== umask"; umask
echo "== stdin"; cat; echo "[end]"
echo "== tmp"; touch /tmp/x /dev/shm/x && echo writable
echo "== net"; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
echo "== caps"; grep -E 'CapEff|NoNewPrivs' /proc/self/status
echo "== sys"; ls /sys 2>&1
echo "== bin"; ls /bin
echo "== kvm"; [ -e /dev/kvm ] && { [ -r /dev/kvm ] && [ -w /dev/kvm ] && echo usable; }
echo "== setuid"; touch /tmp/s; chmod 4755 /tmp/s; chmod g+s /tmp/s; chmod 1755 /tmp/s; ls -l /tmp/s | cut -c1-10
echo "== env"; env | cut -d= -f1 | sort
} > $out 2>&1`

// TestSameEnvironmentAsNix runs the same builder under nix-build's sandbox
// and in this one and compares what it saw.
func TestSameEnvironmentAsNix(t *testing.T) {
	testutil.RequireNix(t)
	bb := testutil.RequireCommand(t, "busybox")
	e := newEnv(t)

	store := filepath.Join(t.TempDir(), "s")
	expr := fmt.Sprintf(`derivation { name = "facts"; system = "x86_64-linux"; builder = "/bin/sh"; args = ["-c" %q]; }`,
		strings.ReplaceAll(factsScript, "${", "\\${"))
	cmd := exec.Command("nix-build", "--store", store, "-E", expr, "--no-out-link",
		"--option", "sandbox", "true", "--option", "build-users-group", "",
		"--option", "sandbox-paths", "/bin/sh="+bb, "--option", "substituters", "")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-build: %v", err)
	}
	nixFacts, err := os.ReadFile(filepath.Join(store, strings.TrimSpace(string(out))))
	if err != nil {
		t.Fatal(err)
	}

	// The environment Nix gives this derivation (without impure TERM).
	outPath := "/nix/store/" + filepath.Base(strings.TrimSpace(string(out)))
	s := &Spec{
		Args: []string{"/bin/sh", "-c", factsScript},
		Env: []string{"HOME=/homeless-shelter", "NIX_BUILD_CORES=2", "NIX_BUILD_TOP=/build", "NIX_LOG_FD=2",
			"NIX_STORE=/nix/store", "PATH=/path-not-set", "PWD=/build", "TEMP=/build", "TEMPDIR=/build",
			"TMP=/build", "TMPDIR=/build", "builder=/bin/sh", "name=facts", "out=" + outPath, "system=x86_64-linux"},
		Dir:   "/build",
		BinSh: bb,
		Mounts: []Mount{
			{Source: e.store, Target: "/nix/store", Writable: true},
			{Source: e.build, Target: "/build", Writable: true},
		},
	}
	if _, err := os.Stat("/dev/kvm"); err == nil {
		s.Devices = []string{"/dev/kvm"} // Nix offers it when the host has it
	}
	res, log := e.run(t, context.Background(), s)
	if !res.Success() {
		t.Fatalf("%+v\n%s", res, log)
	}
	ourFacts, err := os.ReadFile(filepath.Join(e.store, filepath.Base(outPath)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("what the builder sees:\n%s", ourFacts)
	nixFacts = []byte(strings.Replace(string(nixFacts), "\nTERM\n", "\n", 1))
	if string(ourFacts) != string(nixFacts) {
		t.Errorf("the sandbox differs from Nix's\n--- nix\n%s\n--- govix\n%s", nixFacts, ourFacts)
	}
}

// TestSameNetworkEnvironmentAsNix compares a fixed-output derivation's
// view: the host's network and name service files, printed to the log.
func TestSameNetworkEnvironmentAsNix(t *testing.T) {
	testutil.RequireNix(t)
	bb := testutil.RequireCommand(t, "busybox")
	e := newEnv(t)
	// Nix's log is a terminal, where ls prints columns.
	script := `echo BEGIN; ls /etc /dev; [ -t 1 ] && echo terminal; cat /etc/nsswitch.conf; hostname
		tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort; echo END; echo x > $out`
	store := filepath.Join(t.TempDir(), "s")
	expr := fmt.Sprintf(`derivation { name = "fodfacts"; system = "x86_64-linux"; builder = "/bin/sh"; args = ["-c" %q];
		outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "1b6rqyma5pbr9v565ks2kp9xmww2c80m6c1jld64ka47lrc3ijvk"; }`,
		script)
	cmd := exec.Command("nix-build", "--store", store, "-E", expr, "--no-out-link",
		"--option", "sandbox", "true", "--option", "build-users-group", "",
		"--option", "sandbox-paths", "/bin/sh="+bb, "--option", "substituters", "")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nix-build: %v\n%s", err, out)
	}
	section := func(log string) string {
		_, rest, _ := strings.Cut(log, "BEGIN\n")
		facts, _, _ := strings.Cut(rest, "END\n")
		return facts
	}
	s := e.spec(script)
	s.Args = []string{"/bin/sh", "-c", script}
	s.BinSh = bb
	s.Network = true
	s.Terminal = true
	if _, err := os.Stat("/dev/kvm"); err == nil {
		s.Devices = []string{"/dev/kvm"}
	}
	res, log := e.run(t, context.Background(), s)
	if !res.Success() {
		t.Fatalf("%+v\n%s", res, log)
	}
	t.Logf("a fixed-output build sees:\n%s", section(log))
	if nix, ours := section(string(out)), section(log); nix != ours || ours == "" {
		t.Errorf("the network sandbox differs from Nix's\n--- nix\n%s\n--- govix\n%s", nix, ours)
	}
}
