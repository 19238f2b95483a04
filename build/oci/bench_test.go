package oci

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/sandbox"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/castore/memory"
	"github.com/govix/govix/internal/testutil"
)

// BenchmarkInputs measures a small build (busybox reading a source tree of
// 100 files of 1 KiB and writing one line) with its inputs materialised
// (warm cache: only bind mounts) and served from a FUSE mount of the
// castore, one build at a time and two per core.
func BenchmarkInputs(b *testing.B) {
	testutil.RequireCommand(b, "runc")
	bbPath := testutil.RequireCommand(b, "busybox")
	if os.Geteuid() != 0 {
		b.Skip("the sandbox needs root")
	}
	ctx := context.Background()
	dir := b.TempDir()
	bbDir := filepath.Join(dir, "bb", "bin")
	src := filepath.Join(dir, "src")
	for _, d := range []string{bbDir, src} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	data, _ := os.ReadFile(bbPath)
	if err := os.WriteFile(filepath.Join(bbDir, "busybox"), data, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%03d", i)), []byte(strings.Repeat(fmt.Sprint(i), 1024)[:1024]), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cas := memory.New()
	bbNode, err := fsio.Import(ctx, cas, filepath.Dir(bbDir), nil)
	if err != nil {
		b.Fatal(err)
	}
	srcNode, err := fsio.Import(ctx, cas, src, nil)
	if err != nil {
		b.Fatal(err)
	}
	rt, err := sandbox.New(ctx, sandbox.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	const srcName = "22222222222222222222222222222222-src"
	for _, mode := range []string{"materialise", "fuse"} {
		bld, err := New(Options{Store: cas, Runtime: rt, CacheDir: filepath.Join(dir, "cache-"+mode), WorkDir: dir, FUSE: mode == "fuse"})
		if err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		one := func(b *testing.B) {
			i := n.Add(1)
			out := fmt.Sprintf("nix/store/%032d-out", i)
			req := &build.Request{
				Inputs:       []build.Input{{Name: bbName, Node: bbNode}, {Name: srcName, Node: srcNode}},
				Args:         []string{"/nix/store/" + bbName + "/bin/busybox", "sh", "-c", "$bb cat /nix/store/" + srcName + "/* > /dev/null; echo done > $out"},
				WorkingDir:   "build",
				ScratchPaths: []string{"build", "nix/store"},
				InputsDir:    "nix/store",
				Outputs:      []string{out},
				Env: []build.EnvVar{{Key: "HOME", Value: "/homeless-shelter"}, {Key: "PATH", Value: "/path-not-set"},
					{Key: "bb", Value: "/nix/store/" + bbName + "/bin/busybox"}, {Key: "out", Value: "/" + out}},
				Constraints: build.Constraints{System: HostSystem()},
			}
			slices.SortFunc(req.Env, func(a, b build.EnvVar) int { return strings.Compare(a.Key, b.Key) })
			if _, err := bld.Build(ctx, req, nil); err != nil {
				b.Error(err)
			}
		}
		b.Run(mode+"/serial", func(b *testing.B) {
			one(b) // warm: materialised, or in the kernel's cache
			cpu := cpuTime()
			for b.Loop() {
				one(b)
			}
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
		b.Run(mode+"/parallel", func(b *testing.B) {
			b.SetParallelism(2)
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					one(b)
				}
			})
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
		if err := bld.Close(); err != nil {
			b.Error(err)
		}
	}
}

// cpuTime is the CPU time of this process (the FUSE server included) and
// its waited-for children (runc and the builds).
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	d := func(tv syscall.Timeval) time.Duration { return time.Duration(tv.Nano()) }
	return d(self.Utime) + d(self.Stime) + d(children.Utime) + d(children.Stime)
}
