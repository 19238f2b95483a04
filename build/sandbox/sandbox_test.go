package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/govix/govix/internal/testutil"
)

// env is a test fixture shaped like a Nix build: a "host store" holding a
// busybox input, a writable store directory and build directory.
type env struct {
	rt       *Runtime
	state    string
	busybox  string // host path of the busybox input directory
	inputDir string // its sandbox path
	store    string // host directory mounted writable at /nix/store
	build    string // host directory mounted writable at /build
}

const inputPath = "/nix/store/0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i-busybox"

func newEnv(t *testing.T) *env {
	t.Helper()
	testutil.RequireCommand(t, "runc")
	bb := testutil.RequireCommand(t, "busybox")
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("the sandbox tests need root under CI")
		}
		t.Skip("the sandbox needs root")
	}
	dir := t.TempDir()
	e := &env{
		state:    filepath.Join(dir, "state"),
		busybox:  filepath.Join(dir, "hoststore", filepath.Base(inputPath)),
		inputDir: inputPath,
		store:    filepath.Join(dir, "store"),
		build:    filepath.Join(dir, "build"),
	}
	for _, d := range []string{filepath.Join(e.busybox, "bin"), e.store, e.build} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.busybox, "bin", "busybox"), data, 0o555); err != nil {
		t.Fatal(err)
	}
	rt, err := New(context.Background(), Config{StateDir: e.state})
	if err != nil {
		t.Fatal(err)
	}
	e.rt = rt
	t.Cleanup(func() {
		e.checkNoLeftovers(t)
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// spec runs script with the busybox shell, Nix style.
func (e *env) spec(script string) *Spec {
	return &Spec{
		Args: []string{e.inputDir + "/bin/busybox", "sh", "-c", script},
		Env: []string{"PATH=/path-not-set", "HOME=/homeless-shelter", "NIX_BUILD_TOP=/build", "TMPDIR=/build",
			"NIX_STORE=/nix/store", "out=/nix/store/3q2xrljh7sd3vfzz4dhwmmn3gsqyv7g1-out"},
		Dir: "/build",
		Mounts: []Mount{
			{Source: e.store, Target: "/nix/store", Writable: true},
			{Source: e.busybox, Target: e.inputDir},
			{Source: e.build, Target: "/build", Writable: true},
		},
		Timeout: time.Minute,
	}
}

// checkNoLeftovers fails if a run left a container, a cgroup or a bundle.
func (e *env) checkNoLeftovers(t *testing.T) {
	t.Helper()
	runs, _ := os.ReadDir(e.rt.runcRoot)
	for _, r := range runs {
		t.Errorf("container state left behind: %s", r.Name())
	}
	bundles, _ := os.ReadDir(e.rt.work)
	for _, b := range bundles {
		t.Errorf("bundle left behind: %s", b.Name())
	}
	// No process of ours is left: every child (runc, the containers'
	// processes adopted as a subreaper) has been waited for.
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, task := range tasks {
		if b, _ := os.ReadFile(task); len(bytes.TrimSpace(b)) > 0 {
			t.Errorf("child processes left: %s", b)
		}
	}
	mountinfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{e.rt.work, e.store, e.build, e.busybox} {
		if bytes.Contains(mountinfo, []byte(dir)) {
			t.Errorf("mount left behind on the host under %s", dir)
		}
	}
	for _, h := range e.rt.cgroups.hiers {
		matches, _ := filepath.Glob(filepath.Join(h.mount, h.rel, e.rt.prefix+"*"))
		for _, m := range matches {
			t.Errorf("cgroup left behind: %s", m)
		}
	}
}

func (e *env) run(t *testing.T, ctx context.Context, s *Spec) (*Result, string) {
	t.Helper()
	var log bytes.Buffer
	s.Log = &log
	res, err := e.rt.Run(ctx, s)
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, log.String())
	}
	if !bytes.HasSuffix(log.Bytes(), res.LogTail) {
		t.Errorf("LogTail %q is not the end of the log %q", res.LogTail, log.String())
	}
	return res, log.String()
}

func TestOutputsVisibleOnHost(t *testing.T) {
	e := newEnv(t)
	res, log := e.run(t, context.Background(), e.spec(`
		set -e
		mkdir $out $out/sub
		echo hello > $out/sub/file
		ln -s sub/file $out/link
		echo "$PWD $HOME $NIX_BUILD_TOP" > notes
		echo built`))
	if !res.Success() {
		t.Fatalf("build failed: %+v\n%s", res, log)
	}
	if log != "built\n" {
		t.Errorf("log = %q", log)
	}
	out := filepath.Join(e.store, "3q2xrljh7sd3vfzz4dhwmmn3gsqyv7g1-out")
	if b, err := os.ReadFile(filepath.Join(out, "sub", "file")); err != nil || string(b) != "hello\n" {
		t.Errorf("output file: %q, %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(out, "link")); err != nil || l != "sub/file" {
		t.Errorf("output symlink: %q, %v", l, err)
	}
	if b, err := os.ReadFile(filepath.Join(e.build, "notes")); err != nil || string(b) != "/build /homeless-shelter /build\n" {
		t.Errorf("build dir file: %q, %v", b, err)
	}
	if res.Usage.Wall <= 0 {
		t.Errorf("no wall time: %+v", res.Usage)
	}
}

func TestFailureReportsExitAndLog(t *testing.T) {
	e := newEnv(t)
	s := e.spec(`for i in $(seq 1 2000); do echo "line $i"; done; echo "oops" >&2; exit 3`)
	s.LogTail = 100
	res, log := e.run(t, context.Background(), s)
	if res.Success() || res.ExitCode != 3 || res.Signal != 0 || res.Killed != "" {
		t.Fatalf("result %+v, want exit 3", res)
	}
	if !strings.HasSuffix(log, "line 2000\noops\n") || !strings.HasPrefix(log, "line 1\n") {
		t.Errorf("log does not hold stdout and stderr in order: ...%q", log[max(0, len(log)-40):])
	}
	if len(res.LogTail) != 100 || !bytes.HasSuffix(res.LogTail, []byte("line 2000\noops\n")) {
		t.Errorf("LogTail = %q", res.LogTail)
	}
	if res.LogSize != int64(len(log)) {
		t.Errorf("LogSize = %d, log has %d bytes", res.LogSize, len(log))
	}
}

func TestSetupError(t *testing.T) {
	e := newEnv(t)
	s := e.spec("true")
	s.Args = []string{"/nix/store/does-not-exist/bin/sh"}
	_, err := e.rt.Run(context.Background(), s)
	var se *SetupError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "does-not-exist") {
		t.Fatalf("err = %v, want a SetupError naming the missing builder", err)
	}
}

func TestTimeoutKills(t *testing.T) {
	e := newEnv(t)
	s := e.spec(`echo started; sleep 1000 & sleep 1000`)
	s.Timeout = time.Second
	start := time.Now()
	res, log := e.run(t, context.Background(), s)
	if res.Killed != KilledTimeout || res.Signal != syscall.SIGKILL || res.Success() {
		t.Fatalf("result %+v, want killed for timeout by SIGKILL", res)
	}
	if log != "started\n" && log != "" { // "" on a machine too busy to start it in time
		t.Errorf("log = %q", log)
	}
	t.Logf("timed out after %v", time.Since(start))
}

func TestMaxSilenceAndLogLimit(t *testing.T) {
	e := newEnv(t)
	s := e.spec(`echo one; sleep 1000`)
	s.MaxSilence = 200 * time.Millisecond
	res, _ := e.run(t, context.Background(), s)
	if res.Killed != KilledSilence {
		t.Errorf("silent build: %+v, want killed for silence", res)
	}

	s = e.spec(`while true; do echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; done`)
	s.MaxLogSize = 100 << 10
	res, log := e.run(t, context.Background(), s)
	if res.Killed != KilledLogLimit || res.LogSize != 100<<10 || len(log) != 100<<10 {
		t.Errorf("chatty build: killed %q, log %d bytes (LogSize %d), want log-limit at %d", res.Killed, len(log), res.LogSize, 100<<10)
	}
}

func TestCancelCleansUp(t *testing.T) {
	e := newEnv(t)
	for _, after := range []time.Duration{0, time.Millisecond, 300 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(after, cancel)
		res, err := e.rt.Run(ctx, e.spec(`sleep 1000`))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel after %v: err = %v, want context.Canceled", after, err)
		}
		if res != nil && res.Success() {
			t.Errorf("cancel after %v: result %+v", after, res)
		}
		e.checkNoLeftovers(t)
	}
}

func TestIsolation(t *testing.T) {
	e := newEnv(t)
	// An input that the host's permissions would let anyone change: the
	// read-only mount alone must stop the build.
	open := filepath.Join(t.TempDir(), "7x1d0hq1m1xn3kxc5kx0lx4ksn5wnr2j-open")
	if err := os.MkdirAll(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(open, "f"), []byte("input"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(open, "f"), 0o666); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := e.spec(fmt.Sprintf(`
		echo "id: $(id)"
		echo "hostname: $(hostname)"
		echo "domainname: $(cat /proc/sys/kernel/domainname)"
		echo "root: $(ls / | tr '\n' ' ')"
		echo "dev: $(ls /dev | tr '\n' ' ')"
		echo "store: $(ls /nix/store | tr '\n' ' ')"
		echo "hosts: $(cat /etc/hosts | tr '\n' ' ')"
		cat /etc/hostname 2>/dev/null && echo "LEAK: /etc/hostname"
		cat %[1]s 2>/dev/null && echo "LEAK: secret"
		ls %[2]s 2>/dev/null && echo "LEAK: test dir"
		ls /sys/fs 2>/dev/null && echo "LEAK: /sys"
		touch %[3]s/bin/x 2>/dev/null && echo "WROTE: input"
		echo x >> %[3]s/bin/busybox 2>/dev/null && echo "WROTE: input file"
		touch /x 2>/dev/null && echo "WROTE: root"
		echo x >> /nix/store/7x1d0hq1m1xn3kxc5kx0lx4ksn5wnr2j-open/f && echo "WROTE: open input file"
		touch /nix/store/7x1d0hq1m1xn3kxc5kx0lx4ksn5wnr2j-open/g && echo "WROTE: open input dir"
		touch /etc/passwd 2>/dev/null && echo "WROTE: /etc/passwd"
		cat /proc/kcore 2>/dev/null | head -c 1 | wc -c | grep -q 1 && echo "LEAK: kcore"
		echo hi > /proc/sys/kernel/hostname 2>/dev/null && echo "WROTE: /proc/sys"
		touch /tmp/ok /dev/shm/ok && echo "tmp: ok"
		echo "caps: $(grep CapEff /proc/self/status)"
		echo "processes: $(ls /proc | grep -c '^[0-9]')"
	`, secret, filepath.Dir(secret), e.inputDir))
	s.Mounts = append(s.Mounts, Mount{Source: open, Target: "/nix/store/" + filepath.Base(open)})
	res, log := e.run(t, context.Background(), s)
	if !res.Success() {
		t.Fatalf("%+v\n%s", res, log)
	}
	t.Logf("inside the sandbox:\n%s", log)
	for _, bad := range []string{"LEAK", "WROTE"} {
		if strings.Contains(log, bad) {
			t.Errorf("isolation broken:\n%s", log)
		}
	}
	for _, want := range []string{
		"id: uid=1000(nixbld) gid=100(nixbld)\n",
		"hostname: localhost\n",
		"domainname: (none)\n",
		"root: build dev etc nix proc tmp \n",
		"hosts: 127.0.0.1 localhost ::1 localhost \n",
		"tmp: ok\n",
		"caps: CapEff:\t0000000000000000\n",
		"open/f: Read-only file system",
		"open/g: Read-only file system",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("missing %q in:\n%s", want, log)
		}
	}
	for _, dev := range []string{"full", "null", "ptmx", "pts", "random", "shm", "tty", "urandom", "zero"} {
		if !strings.Contains(log, " "+dev+" ") {
			t.Errorf("/dev lacks %s:\n%s", dev, log)
		}
	}
	if b, err := os.ReadFile(filepath.Join(open, "f")); err != nil || string(b) != "input" {
		t.Errorf("input changed: %q, %v", b, err)
	}
}

func TestBinSh(t *testing.T) {
	e := newEnv(t)
	s := e.spec(`ls -l /bin; /bin/sh -c 'echo from bin sh'`)
	s.BinSh = filepath.Join(e.busybox, "bin", "busybox")
	res, log := e.run(t, context.Background(), s)
	if !res.Success() || !strings.Contains(log, "from bin sh") {
		t.Fatalf("%+v\n%s", res, log)
	}
	s.BinSh = ""
	res, log = e.run(t, context.Background(), e.spec(`ls /bin/sh`))
	if res.Success() {
		t.Errorf("/bin/sh exists without BinSh:\n%s", log)
	}
}

func TestNetwork(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "payload from the host")
	}))
	defer srv.Close()
	script := fmt.Sprintf(`wget -q -O $out %s/file && cat $out`, srv.URL)

	res, log := e.run(t, context.Background(), e.spec(script))
	if res.Success() || strings.Contains(log, "payload") {
		t.Errorf("without network the build reached the host's loopback server: %+v\n%s", res, log)
	}

	s := e.spec(script + `; echo; cat /etc/nsswitch.conf`)
	s.Network = true
	res, log = e.run(t, context.Background(), s)
	if !res.Success() || !strings.Contains(log, "payload from the host") || !strings.Contains(log, "hosts: files dns") {
		t.Errorf("with network (fixed-output mode): %+v\n%s", res, log)
	}
}

func TestLoopbackInPrivateNetwork(t *testing.T) {
	e := newEnv(t)
	// A build may run servers on its own loopback (test suites do).
	res, log := e.run(t, context.Background(), e.spec(`
		mkdir www && echo inside > www/x
		httpd -f -p 127.0.0.1:8080 -h www & sleep 0.2
		wget -q -O - http://127.0.0.1:8080/x`))
	if !res.Success() || log != "inside\n" {
		t.Errorf("%+v\n%s", res, log)
	}
}

// burnCPU spins until the shell and its children have used at least
// ticks/100 s of CPU, independent of how fast the machine is.
func burnCPU(ticks int) string {
	return fmt.Sprintf(`while :; do set -- $(cat /proc/$$/stat); [ $((${14}+${15}+${16}+${17})) -ge %d ] && break; done`, ticks)
}

func TestResourceUsage(t *testing.T) {
	e := newEnv(t)
	res, log := e.run(t, context.Background(), e.spec(burnCPU(50)+`; head -c 50000000 /dev/zero > /dev/shm/x`))
	if !res.Success() {
		t.Fatalf("%+v\n%s", res, log)
	}
	u := res.Usage
	t.Logf("user %v system %v peak memory %d MB wall %v", u.UserCPU, u.SystemCPU, u.PeakMemory>>20, u.Wall)
	if cpu := u.UserCPU + u.SystemCPU; cpu < 400*time.Millisecond || cpu > u.Wall*3 {
		t.Errorf("CPU time %v for a build that burns 0.5 s (wall %v)", cpu, u.Wall)
	}
	if u.PeakMemory < 45<<20 || u.PeakMemory > 1<<30 {
		t.Errorf("peak memory %d for a build holding 50 MB in /dev/shm", u.PeakMemory)
	}
}

func TestConcurrentBuilds(t *testing.T) {
	e := newEnv(t)
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var cpu time.Duration
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := e.spec(burnCPU(20) + fmt.Sprintf("; echo %d > $out", i))
			s.Env[len(s.Env)-1] = fmt.Sprintf("out=/nix/store/%032d-out", i)
			res, err := e.rt.Run(context.Background(), s)
			if err != nil {
				t.Error(err)
				return
			}
			if !res.Success() {
				t.Errorf("build %d: %+v", i, res)
			}
			mu.Lock()
			cpu += res.Usage.UserCPU + res.Usage.SystemCPU
			mu.Unlock()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	t.Logf("%d builds of 0.2 s CPU each: %v CPU in %v wall = %.2f cores busy", n, cpu, wall, cpu.Seconds()/wall.Seconds())
	for i := range n {
		b, err := os.ReadFile(filepath.Join(e.store, fmt.Sprintf("%032d-out", i)))
		if err != nil || string(b) != fmt.Sprintf("%d\n", i) {
			t.Errorf("output %d: %q %v", i, b, err)
		}
	}
}

func TestReapStale(t *testing.T) {
	e := newEnv(t)
	// A runtime of a process that died: a work directory, a bundle and a
	// cgroup named after a pid that does not exist.
	dead := 1 << 22 // above pid_max's default ceiling
	tag := fmt.Sprintf("%d-deadbeef", dead)
	bundle := filepath.Join(e.state, "work-"+tag, "govix-"+tag+"-1")
	if err := os.MkdirAll(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt, err := New(context.Background(), Config{StateDir: e.state})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if _, err := os.Stat(filepath.Dir(bundle)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale work directory not removed: %v", err)
	}
}

func TestRuncMissing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	rt, err := New(context.Background(), Config{Runc: "/nonexistent/runc", StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	_, err = rt.Run(context.Background(), &Spec{Args: []string{"/bin/true"}})
	var ee *exec.Error
	if err == nil || errors.As(err, &ee) {
		t.Logf("err = %v", err)
	}
	if err == nil {
		t.Fatal("no error with a missing runc")
	}
}

func TestFileAndSymlinkInputs(t *testing.T) {
	e := newEnv(t)
	host := t.TempDir()
	file := filepath.Join(host, "1b9p07z77phvv2hf6gm9f28syp39f1ag-file.txt")
	rel := filepath.Join(host, "2x2vwqvd4a6ww7jncvkmy2mfa3kirhkq-rel")
	abs := filepath.Join(host, "3mf3s0l7ylgm2j5pmy3jxv7dnwfkx5ld-abs")
	if err := os.WriteFile(file, []byte("file input\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("1b9p07z77phvv2hf6gm9f28syp39f1ag-file.txt", rel); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.inputDir+"/bin/busybox", abs); err != nil {
		t.Fatal(err)
	}
	s := e.spec(`cat /nix/store/*-file.txt /nix/store/*-rel; readlink /nix/store/*-abs; readlink /opt/tools/sh; /opt/tools/sh -c 'echo through a symlink'`)
	s.Mounts = append(s.Mounts,
		Mount{Source: file, Target: "/nix/store/" + filepath.Base(file)},
		Mount{Source: rel, Target: "/nix/store/" + filepath.Base(rel)},
		Mount{Source: abs, Target: "/nix/store/" + filepath.Base(abs)},
		Mount{Source: abs, Target: "/opt/tools/sh"}, // in the root file system
	)
	res, log := e.run(t, context.Background(), s)
	want := "file input\nfile input\n" + e.inputDir + "/bin/busybox\n" + e.inputDir + "/bin/busybox\nthrough a symlink\n"
	if !res.Success() || log != want {
		t.Errorf("%+v\nlog %q\nwant %q", res, log, want)
	}

	// A symlink cannot go into a read-only input.
	s = e.spec("true")
	s.Mounts = append(s.Mounts, Mount{Source: abs, Target: e.inputDir + "/bin/sh"})
	if _, err := e.rt.Run(context.Background(), s); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("symlink inside a read-only input: err = %v", err)
	}
}

func TestTerminal(t *testing.T) {
	e := newEnv(t)
	// Much output written just before the end must all arrive, unchanged
	// (raw mode: no \r added), and isatty holds like under Nix.
	s := e.spec(`[ -t 1 ] && [ -t 2 ] && echo "a terminal"; ls -l /proc/self/fd/0 | grep -q null && echo "stdin /dev/null"
		printf 'tab\there\n'; head -c 300000 /dev/zero | tr '\0' 'x'; echo; echo err >&2`)
	s.Terminal = true
	res, log := e.run(t, context.Background(), s)
	want := "a terminal\nstdin /dev/null\ntab\there\n" + strings.Repeat("x", 300000) + "\nerr\n"
	if !res.Success() || log != want {
		t.Errorf("%+v: log of %d bytes, want %d: %.100q ...", res.ExitCode, len(log), len(want), log)
	}
	s.Terminal = false
	_, log = e.run(t, context.Background(), s)
	if strings.Contains(log, "a terminal") {
		t.Errorf("a pipe is a terminal: %.100q", log)
	}
}

// TestEndWithLog: with EndWithLog a process that closes its output is
// killed at once, as Nix kills a builder whose log ended; without it, it
// runs on. A process that exits normally keeps its status.
func TestEndWithLog(t *testing.T) {
	e := newEnv(t)
	for _, terminal := range []bool{false, true} {
		s := e.spec(`echo closing; exec >/dev/null 2>&1; sleep 30`)
		s.EndWithLog, s.Terminal = true, terminal
		// Had it run to its end, it would have exited with status 0.
		if res, _ := e.run(t, context.Background(), s); res.Signal != syscall.SIGKILL || res.Killed != "" {
			t.Errorf("terminal=%v: %+v", terminal, res)
		}
		s = e.spec(`echo done; exit 3`)
		s.EndWithLog, s.Terminal = true, terminal
		if res, _ := e.run(t, context.Background(), s); res.ExitCode != 3 || res.Signal != 0 {
			t.Errorf("terminal=%v: a normal exit became %+v", terminal, res)
		}
	}
	s := e.spec(`exec >/dev/null 2>&1; sleep 0.2; echo ok > $out`)
	if res, log := e.run(t, context.Background(), s); !res.Success() {
		t.Errorf("without EndWithLog: %+v\n%s", res, log)
	}
}
