package oci

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/sandbox"
	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/castore/memory"
	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/nar"
)

// fixture is a builder over an in-memory castore holding busybox as the
// directory input "<hash>-busybox" with bin/busybox in it.
type fixture struct {
	b     *Builder
	store *castore.Store
	bb    build.Input
}

const bbName = "0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i-busybox"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	testutil.RequireCommand(t, "runc")
	bbPath := testutil.RequireCommand(t, "busybox")
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("the builder tests need root under CI")
		}
		t.Skip("the sandbox needs root")
	}
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src", "bin")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	cas := memory.New()
	n, err := fsio.Import(ctx, cas, filepath.Dir(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := sandbox.New(ctx, sandbox.Config{StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	b, err := New(Options{Store: cas, Runtime: rt, CacheDir: filepath.Join(dir, "cache"), WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{b: b, store: cas, bb: build.Input{Name: bbName, Node: n}}
}

// request runs script with busybox's sh the way Nix runs a builder.
func (f *fixture) request(script string, outputs ...string) *build.Request {
	r := &build.Request{
		Inputs:       []build.Input{f.bb},
		Args:         []string{"/nix/store/" + bbName + "/bin/busybox", "sh", "-c", script},
		WorkingDir:   "build",
		ScratchPaths: []string{"build", "nix/store"},
		InputsDir:    "nix/store",
		Env: []build.EnvVar{
			{Key: "HOME", Value: "/homeless-shelter"},
			{Key: "PATH", Value: "/path-not-set"},
			{Key: "bb", Value: "/nix/store/" + bbName + "/bin/busybox"},
		},
		Constraints:    build.Constraints{System: HostSystem()},
		RefscanNeedles: []string{bbName[:32]},
	}
	for _, o := range outputs {
		r.Outputs = append(r.Outputs, "nix/store/"+o)
		r.Env = append(r.Env, build.EnvVar{Key: strings.SplitN(o, "-", 2)[1], Value: "/nix/store/" + o})
		r.RefscanNeedles = append(r.RefscanNeedles, o[:32])
	}
	slices.SortFunc(r.Env, func(a, b build.EnvVar) int { return strings.Compare(a.Key, b.Key) })
	return r
}

const (
	outA = "00000000000000000000000000000000-a"
	outB = "11111111111111111111111111111111-b"
)

func TestBuildOutputsAndReferences(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// a refers to busybox and to b; b to itself; a is a directory with a
	// symlink, b a file.
	script := `set -e; $bb mkdir $a; echo "uses $bb" > $a/f; $bb ln -s $b $a/link; echo "me: $b" > $b`
	var log bytes.Buffer
	res, err := f.b.Build(ctx, f.request(script, outA, outB), &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(res.Outputs) != 2 || len(res.Attempts) != 1 {
		t.Fatalf("result %+v", res)
	}
	if got, want := res.Outputs[0].Needles, []int{0, 2}; !slices.Equal(got, want) {
		t.Errorf("a's needles = %v, want %v", got, want)
	}
	if got, want := res.Outputs[1].Needles, []int{2}; !slices.Equal(got, want) {
		t.Errorf("b's needles = %v, want %v", got, want)
	}
	if res.Outputs[0].Node.Kind != castore.KindDirectory || res.Outputs[1].Node.Kind != castore.KindFile {
		t.Errorf("output kinds: %v", res.Outputs)
	}
	// The NAR hash reported is that of the tree put into the castore.
	dir := t.TempDir()
	if err := fsio.Export(ctx, f.store, res.Outputs[0].Node, filepath.Join(dir, "a"), nil); err != nil {
		t.Fatal(err)
	}
	var narBuf bytes.Buffer
	if err := nar.DumpPath(ctx, &narBuf, filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if uint64(narBuf.Len()) != res.Outputs[0].NarSize || !res.Outputs[0].HasNAR {
		t.Errorf("NAR size %d, reported %d", narBuf.Len(), res.Outputs[0].NarSize)
	}
	a := res.Attempts[0]
	if !a.Succeeded() || a.Wall <= 0 || a.CPU() <= 0 {
		t.Errorf("attempt %+v", a)
	}
}

func TestBuildFailure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name, script string
		check        func(t *testing.T, a *build.Attempt)
	}{
		{"exit status", `echo one; echo two >&2; exit 3`, func(t *testing.T, a *build.Attempt) {
			if a.ExitCode != 3 || !slices.Equal(a.LastLines(10), []string{"one", "two"}) {
				t.Errorf("attempt %+v, lines %q", a, a.LastLines(10))
			}
		}},
		{"timeout", `echo waiting; $bb sleep 10`, func(t *testing.T, a *build.Attempt) {
			// The builder is PID 1 of its namespace, immune to signals
			// from inside; the sandbox kills it from outside.
			if a.Killed != "timeout" || a.Signal != 9 || !slices.Equal(a.LastLines(10), []string{"waiting"}) {
				t.Errorf("attempt %+v: %s", a, a.Status())
			}
		}},
		{"missing output", `true`, func(t *testing.T, a *build.Attempt) {
			if !slices.Equal(a.MissingOutputs, []string{"/nix/store/" + outA}) {
				t.Errorf("attempt %+v", a)
			}
		}},
		{"no such command", ``, func(t *testing.T, a *build.Attempt) {
			if a.Error == "" {
				t.Errorf("attempt %+v", a)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := f.request(tt.script, outA)
			if tt.name == "timeout" {
				req.Limits.Timeout = time.Second
			}
			if tt.script == "" {
				req.Args = []string{"/nix/store/nothing-here"}
			}
			_, err := f.b.Build(ctx, req, nil)
			var fe *build.FailedError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FailedError", err)
			}
			tt.check(t, fe.Last())
		})
	}
}

// TestIsolation: no network but loopback, no host files but the inputs,
// inputs read-only.
func TestIsolation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `exec > $out 2>&1
		$bb nc -w 2 ` + strings.Replace(ln.Addr().String(), ":", " ", 1) + ` </dev/null && echo reached host || echo no network
		$bb cat ` + secret + ` || echo no host files
		$bb ls /
		$bb touch $bb 2>/dev/null || echo inputs read-only
		$bb ls /nix/store | $bb wc -l`
	req := f.request(script, outA)
	req.Env = append(req.Env, build.EnvVar{Key: "out", Value: "/nix/store/" + outA})
	slices.SortFunc(req.Env, func(a, b build.EnvVar) int { return strings.Compare(a.Key, b.Key) })
	res, err := f.b.Build(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := fsio.Export(ctx, f.store, res.Outputs[0].Node, filepath.Join(dir, "out"), nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "out"))
	t.Logf("the build saw:\n%s", got)
	for _, want := range []string{"no network", "no host files", "inputs read-only"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("missing %q", want)
		}
	}
	if !strings.HasSuffix(string(got), "2\n") { // busybox and the output
		t.Errorf("the store holds more than the input and the output")
	}
}
