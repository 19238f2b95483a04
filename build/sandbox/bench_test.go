package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/govix/govix/internal/testutil"
)

// The builds measured here are the smallest Nix build there is: busybox's
// sh writing one word to $out. What they cost is the sandbox's own set-up
// and tear-down, which is what decides how fast a graph of many small
// derivations builds. BenchmarkNixBuild measures nix-build doing the same
// in the same run, for the ratio.

func benchEnv(b *testing.B) *env {
	testutil.RequireCommand(b, "runc")
	bb := testutil.RequireCommand(b, "busybox")
	if os.Geteuid() != 0 {
		b.Skip("the sandbox needs root")
	}
	dir := b.TempDir()
	e := &env{
		state:    filepath.Join(dir, "state"),
		busybox:  filepath.Join(dir, "hoststore", filepath.Base(inputPath)),
		inputDir: inputPath,
		store:    filepath.Join(dir, "store"),
		build:    filepath.Join(dir, "build"),
	}
	for _, d := range []string{filepath.Join(e.busybox, "bin"), e.store} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.busybox, "bin", "busybox"), data, 0o555); err != nil {
		b.Fatal(err)
	}
	// The default state directory (a tmpfs); the build's own directories
	// stay in TMPDIR like Nix's.
	rt, err := New(context.Background(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	e.rt = rt
	b.Cleanup(func() { rt.Close() })
	return e
}

// trivialSpec is build number i: its own build directory and output.
func (e *env) trivialSpec(b *testing.B, i int64) *Spec {
	build := filepath.Join(e.build, fmt.Sprint(i))
	if err := os.MkdirAll(build, 0o700); err != nil {
		b.Fatal(err)
	}
	out := fmt.Sprintf("/nix/store/%032d-x", i)
	return &Spec{
		Args:  []string{"/bin/sh", "-c", "echo hi > $out"},
		Env:   []string{"PATH=/path-not-set", "HOME=/homeless-shelter", "NIX_BUILD_TOP=/build", "out=" + out},
		Dir:   "/build",
		BinSh: filepath.Join(e.busybox, "bin", "busybox"),
		Mounts: []Mount{
			{Source: e.store, Target: "/nix/store", Writable: true},
			{Source: e.busybox, Target: e.inputDir},
			{Source: build, Target: "/build", Writable: true},
		},
	}
}

func runTrivial(b *testing.B, e *env, i int64) {
	res, err := e.rt.Run(context.Background(), e.trivialSpec(b, i))
	if err != nil {
		b.Error(err)
		return
	}
	if !res.Success() {
		b.Errorf("build failed: %+v", res)
	}
}

// cpuTime is the CPU time used so far by this process and its waited-for
// children (runc, and the sandboxed processes this process reaps).
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	d := func(tv syscall.Timeval) time.Duration { return time.Duration(tv.Nano()) }
	return d(self.Utime) + d(self.Stime) + d(children.Utime) + d(children.Stime)
}

func reportCPU(b *testing.B, cpu time.Duration, n int) {
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/op")
}

// BenchmarkRun is one build after the other.
func BenchmarkRun(b *testing.B) {
	e := benchEnv(b)
	var n int64
	cpu := cpuTime()
	for b.Loop() {
		n++
		runTrivial(b, e, n)
	}
	reportCPU(b, cpuTime()-cpu, b.N)
}

// BenchmarkRunParallel runs builds on every core, as a build of many
// independent derivations does: one per core, and two per core, since a
// run also waits (for runc's processes to start and end) and a second one
// fills those gaps.
func BenchmarkRunParallel(b *testing.B) {
	for _, perCore := range []int{1, 2} {
		b.Run(fmt.Sprintf("per-core=%d", perCore), func(b *testing.B) {
			e := benchEnv(b)
			var n atomic.Int64
			cpu := cpuTime()
			b.SetParallelism(perCore)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					runTrivial(b, e, n.Add(1))
				}
			})
			reportCPU(b, cpuTime()-cpu, b.N)
		})
	}
}

// BenchmarkNixBuild is nix-build building b.N trivial derivations with as
// many jobs as cores, with the sandbox on; ns/op is its time per build.
func BenchmarkNixBuild(b *testing.B) {
	testutil.RequireNix(b)
	store := filepath.Join(b.TempDir(), "s")
	salt := 0
	build := func(n int) time.Duration {
		salt++
		expr := fmt.Sprintf(`builtins.genList (i: derivation {
			name = "x${toString i}-%d"; system = "x86_64-linux"; builder = "/bin/sh";
			args = ["-c" "echo hi > $out"]; }) %d`, salt, n)
		cmd := exec.Command("nix-build", "--store", store, "-E", expr, "--no-out-link",
			"--option", "sandbox", "true", "--option", "build-users-group", "",
			"--option", "sandbox-paths", "/bin/sh=/usr/bin/busybox", "--option", "substituters", "",
			"-j", fmt.Sprint(runtime.GOMAXPROCS(0)))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("nix-build: %v\n%s", err, out)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	build(1) // create the store
	b.ResetTimer()
	reportCPU(b, build(b.N), b.N)
}
