package sandbox_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/govix/govix/build/sandbox"
)

// A derivation's build, set up the way Nix's sandbox does it: a writable
// store directory holding the inputs (read-only) and receiving the output,
// a writable build directory, Nix's environment and /bin/sh.
func ExampleRuntime_Run() {
	ctx := context.Background()
	rt, err := sandbox.New(ctx, sandbox.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close()

	work, err := os.MkdirTemp("", "build-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	store, build := filepath.Join(work, "store"), filepath.Join(work, "build")
	for _, d := range []string{store, build} {
		if err := os.Mkdir(d, 0o700); err != nil {
			log.Fatal(err)
		}
	}

	const out = "/nix/store/3q2xrljh7sd3vfzz4dhwmmn3gsqyv7g1-hello"
	res, err := rt.Run(ctx, &sandbox.Spec{
		Args: []string{"/bin/sh", "-c", "echo hello > $out"},
		Env: []string{"out=" + out, "HOME=/homeless-shelter", "PATH=/path-not-set",
			"NIX_BUILD_TOP=/build", "TMPDIR=/build", "NIX_STORE=/nix/store"},
		Dir: "/build",
		Mounts: []sandbox.Mount{
			{Source: store, Target: "/nix/store", Writable: true},
			{Source: "/path/to/materialised/0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i-busybox",
				Target: "/nix/store/0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i-busybox"},
			{Source: build, Target: "/build", Writable: true},
		},
		BinSh:    "/usr/bin/busybox",
		Terminal: true, // like Nix: the builder's stdout is a terminal
		Timeout:  time.Hour,
		Log:      os.Stderr,
	})
	if err != nil {
		log.Fatal(err)
	}
	if !res.Success() {
		log.Fatalf("builder failed with exit code %d:\n%s", res.ExitCode, res.LogTail)
	}
	// The output is on the host now, ready to be ingested.
	b, _ := os.ReadFile(filepath.Join(store, filepath.Base(out)))
	fmt.Printf("%s (%v CPU, %d bytes peak)", b, res.Usage.UserCPU+res.Usage.SystemCPU, res.Usage.PeakMemory)
}
