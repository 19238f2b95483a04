// Package sandbox runs one command in an isolated OCI container with runc,
// the way Nix's sandbox runs a builder.
//
// The process sees only what its Spec declares: a read-only root holding
// /etc/passwd, /etc/group and /etc/hosts like Nix writes them, a minimal
// /dev, its own /proc (with runc's usual masked and read-only paths), no
// /sys, a private /tmp and /dev/shm, the host files and directories the
// Spec mounts (read-only unless marked writable) and, if asked, /bin/sh.
// What the sandbox makes for a run (the root, /etc, /tmp, /dev, /dev/shm)
// belongs to the sandbox user, as Nix 2.8 without build users shows it.
// It runs as an unprivileged user (Nix's uid 1000, gid 100) without
// capabilities, in new PID, mount, IPC, UTS and cgroup namespaces and, unless
// the Spec allows network access, a new network namespace with only
// loopback. Its stdout and stderr are merged into one log that is streamed
// to the caller as it is written.
//
// A Runtime is safe for concurrent use: runs are independent containers.
// A run's CPU time is that of its process tree, its peak memory that of the
// cgroup runc makes for it.
// Whatever happens — success, failure, timeout, cancellation — no container,
// mount, cgroup or temporary file is left behind; a crashed process's
// leftovers are removed by the next New with the same state directory.
//
// The sandbox needs root (runc's rootless mode is not used) and cgroups, and
// New makes the calling process a child subreaper (see prctl(2)): the
// sandboxed process is started by "runc run --detach" and becomes the
// caller's child when runc exits, which lets the sandbox wait for it
// directly — an exact exit status and signal, the CPU time of exactly the
// process tree — and hand it stdout and stderr as one pipe. A side effect is
// that orphans of the caller's other children are re-parented to it too.
//
// What a run costs is mostly runc's: on the development machine (2 cores,
// cgroup v1) about 20 ms of CPU per container, half in "runc run" and half
// in its init, of which the memory cgroup's creation is 2 ms. The sandbox
// adds about 1 ms: a root file system of one directory and three small
// files (cheaper than sharing a skeleton, since runc creates mount points
// in the root), config.json, and no copying — inputs are bind-mounted. Its
// state lives on tmpfs (ext4 there spent a millisecond per created file),
// and a finished container is removed without starting runc again. Runs
// are independent, so a builder keeps every core busy by running several
// at once; BenchmarkRunParallel and BenchmarkNixBuild compare that with
// nix-build in the same run.
package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Config configures a Runtime.
type Config struct {
	// Runc is the runc binary; found in PATH when empty.
	Runc string
	// StateDir holds runc's container state and the per-run bundles
	// (small files, written and removed for every run: tmpfs is best).
	// When empty: /run/govix-sandbox if /run is a tmpfs, else
	// /dev/shm/govix-sandbox if that is one, else /run/govix-sandbox.
	StateDir string
}

func defaultStateDir() string {
	for _, dir := range []string{"/run", "/dev/shm"} {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) == nil && st.Type == unix.TMPFS_MAGIC {
			return filepath.Join(dir, "govix-sandbox")
		}
	}
	return "/run/govix-sandbox"
}

// A Runtime runs sandboxed processes with runc.
type Runtime struct {
	runc     string
	runcRoot string // runc --root
	work     string // this Runtime's bundles, removed by Close
	prefix   string // container id prefix: govix-<pid>-<random>-
	cgroups  *cgroupLayout
	netFiles []string // the hostNetworkFiles present here
	seq      atomic.Uint64
	closed   atomic.Bool
}

// New checks that runc and cgroups are usable, removes what crashed
// runtimes with the same state directory left behind, and returns a Runtime.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("sandbox: runc needs root (rootless mode is not supported)")
	}
	runc := cfg.Runc
	if runc == "" {
		p, err := exec.LookPath("runc")
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		runc = p
	}
	state := cfg.StateDir
	if state == "" {
		state = defaultStateDir()
	}
	// The process runc starts outlives runc ("runc run --detach"); as a
	// subreaper this process inherits it and can wait for it.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("sandbox: becoming a child subreaper: %w", err)
	}
	cg, err := detectCgroups()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	rt := &Runtime{runc: runc, runcRoot: filepath.Join(state, "runc"), cgroups: cg}
	if err := os.MkdirAll(rt.runcRoot, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	// Only root reads the state; others may not list it.
	if err := os.Chmod(state, 0o711); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	rt.reapStale(ctx, state)
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	tag := fmt.Sprintf("%d-%s", os.Getpid(), hex.EncodeToString(rnd[:]))
	rt.prefix = "govix-" + tag + "-"
	rt.work = filepath.Join(state, "work-"+tag)
	if err := os.Mkdir(rt.work, 0o711); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	for _, f := range hostNetworkFiles {
		if _, err := os.Stat(f); err == nil {
			rt.netFiles = append(rt.netFiles, f)
		}
	}
	return rt, nil
}

// Close removes the Runtime's working directory. Runs still going on are
// not affected, but should be over before Close is called.
func (rt *Runtime) Close() error {
	if rt.closed.Swap(true) {
		return nil
	}
	if err := os.RemoveAll(rt.work); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// Result is the outcome of a run that reached its end.
type Result struct {
	// ExitCode is the process's exit status, or 128+n when signal n
	// killed it, as shells report it.
	ExitCode int
	// Signal is the signal that ended the process, or 0.
	Signal syscall.Signal
	// Killed says why the sandbox killed the process, if it did.
	Killed KillReason
	// LogTail is the end of the log (Spec.LogTail bytes at most).
	LogTail []byte
	// LogSize is how many bytes of log the run wrote (up to MaxLogSize).
	LogSize int64
	// Usage is what the run consumed.
	Usage Usage
}

// Success reports whether the process exited with status 0 by itself.
func (r *Result) Success() bool { return r.ExitCode == 0 && r.Killed == "" }

// KillReason says why the sandbox ended a run.
type KillReason string

const (
	KilledTimeout  KillReason = "timeout"   // Spec.Timeout passed
	KilledSilence  KillReason = "silence"   // no output for Spec.MaxSilence
	KilledLogLimit KillReason = "log-limit" // log exceeded Spec.MaxLogSize
	KilledCanceled KillReason = "canceled"  // the context was done
)

// Usage is the resources a run used. CPU time and memory include what
// runc's init spends inside the container before it executes the command: a
// few milliseconds and about 2 MB.
type Usage struct {
	UserCPU, SystemCPU time.Duration // CPU time of all the run's processes
	// PeakMemory is the high-water mark of memory charged to the run's
	// cgroup: its processes' memory plus the page cache and tmpfs files
	// they brought in (0 if the kernel does not record it).
	PeakMemory uint64
	Wall       time.Duration // from starting runc to its end
}

// A SetupError means the sandbox could not start the process: runc failed
// (the command does not exist, a mount source is missing, ...).
type SetupError struct {
	Msg string // runc's message
}

func (e *SetupError) Error() string { return "sandbox: setting up the sandbox: " + e.Msg }

// Run runs s to its end and reports how it went. A process that fails,
// times out or is killed for its log is a Result, not an error; errors are
// for a sandbox that could not run it (*SetupError and others) and for
// ctx being done, in which case the process was killed and the partial
// Result is returned with ctx's error.
func (rt *Runtime) Run(ctx context.Context, s *Spec) (res *Result, err error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if rt.closed.Load() {
		return nil, errors.New("sandbox: runtime is closed")
	}
	id := rt.prefix + strconv.FormatUint(rt.seq.Add(1), 10)
	bundle := filepath.Join(rt.work, id)
	if err := os.Mkdir(bundle, 0o711); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	stopped := false // the container's process has been waited for
	defer func() {
		if cerr := rt.cleanup(id, bundle, stopped); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := rt.prepare(s, id, bundle); err != nil {
		return nil, err
	}
	return rt.run(ctx, s, id, bundle, &stopped)
}

// prepare writes the bundle: the root file system and config.json.
func (rt *Runtime) prepare(s *Spec, id, bundle string) error {
	rootfs, err := writeRootfs(bundle, s)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	mounts, err := placeMounts(s, rootfs)
	if err != nil {
		return err
	}
	devices, err := hostDevices(s)
	if err != nil {
		return err
	}
	spec := ociSpec(s, mounts, rootfs, rt.cgroups.runcPath(id), rt.netFiles)
	spec.Linux.Devices = devices
	b, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// placeMounts readies the Spec's mounts: writable directories are given
// to the sandbox user, and inputs that are symlinks (a store path can be
// one) become symlinks, since a bind mount would follow them. A symlink
// goes into the host directory behind its parent: a writable mount (the
// store directory) or the root file system. It returns the mounts left.
func placeMounts(s *Spec, rootfs string) ([]Mount, error) {
	uid, gid := s.ids()
	mounts := make([]Mount, 0, len(s.Mounts))
	var links []Mount
	for _, m := range s.Mounts {
		fi, err := os.Lstat(m.Source)
		if err != nil {
			return nil, fmt.Errorf("sandbox: mount source: %w", err)
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0 && m.Writable:
			return nil, fmt.Errorf("sandbox: writable mount source %s is a symlink", m.Source)
		case fi.Mode()&fs.ModeSymlink != 0:
			links = append(links, m)
			continue
		case m.Writable:
			if err := os.Chown(m.Source, int(uid), int(gid)); err != nil {
				return nil, fmt.Errorf("sandbox: giving the sandbox user a writable mount: %w", err)
			}
		}
		mounts = append(mounts, m)
	}
	for _, l := range links {
		dir, err := hostDir(path.Dir(l.Target), s, rootfs)
		if err != nil {
			return nil, fmt.Errorf("sandbox: placing symlink %s: %w", l.Target, err)
		}
		target, err := os.Readlink(l.Source)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		if err := os.Symlink(target, filepath.Join(dir, path.Base(l.Target))); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	return mounts, nil
}

// hostDevices describes s.Devices for runc, which creates them and allows
// them in the devices cgroup.
func hostDevices(s *Spec) ([]specs.LinuxDevice, error) {
	uid, gid := s.ids()
	var out []specs.LinuxDevice
	for _, d := range s.Devices {
		var st unix.Stat_t
		if err := unix.Stat(d, &st); err != nil {
			return nil, fmt.Errorf("sandbox: device %s: %w", d, err)
		}
		typ := "c"
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFCHR:
		case unix.S_IFBLK:
			typ = "b"
		default:
			return nil, fmt.Errorf("sandbox: %s is not a device", d)
		}
		mode := fs.FileMode(0o660)
		out = append(out, specs.LinuxDevice{
			Path: d, Type: typ,
			Major: int64(unix.Major(uint64(st.Rdev))), Minor: int64(unix.Minor(uint64(st.Rdev))),
			FileMode: &mode, UID: &uid, GID: &gid,
		})
	}
	return out, nil
}

// hostDir returns the host directory that is dir inside the sandbox, if it
// can be written before the run: inside a writable mount, or in the root.
func hostDir(dir string, s *Spec, rootfs string) (string, error) {
	var best string
	var writable bool
	var source string
	under := func(target string) bool {
		return dir == target || target == "/" || strings.HasPrefix(dir, target+"/")
	}
	for _, m := range s.Mounts {
		if under(m.Target) && len(m.Target) > len(best) {
			best, writable, source = m.Target, m.Writable, m.Source
		}
	}
	for _, t := range append(slices.Clone(s.Tmpfs), "/proc", "/dev", "/tmp") {
		if under(t) && len(t) > len(best) {
			return "", fmt.Errorf("%s is a file system of its own", t)
		}
	}
	switch {
	case best == "":
		return filepath.Join(rootfs, dir), nil
	case writable:
		return filepath.Join(source, strings.TrimPrefix(dir, best)), nil
	default:
		return "", fmt.Errorf("%s is mounted read-only", best)
	}
}

func (rt *Runtime) run(ctx context.Context, s *Spec, id, bundle string, stopped *bool) (*Result, error) {
	var pr, pw *os.File
	var err error
	if s.Terminal {
		pr, pw, err = openPTY()
	} else {
		pr, pw, err = os.Pipe()
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer pr.Close()
	pump := newLogPump(s.Log, s.MaxLogSize, s.MaxSilence, s.logTail())
	go pump.run(pr)

	// "runc run --detach" hands its own stdio to the process: stdin is
	// /dev/null and stdout and stderr are the same pipe (or terminal), so
	// the log keeps the order in which they were written (a foreground
	// runc would copy them through two pipes of its own). It returns once
	// the process runs; the process then becomes this (subreaper)
	// process's child.
	runcLog := filepath.Join(bundle, "runc.log")
	pidFile := filepath.Join(bundle, "pid")
	cmd := rt.command(context.WithoutCancel(ctx), "--log", runcLog, "--log-format", "json",
		"run", "--detach", "--pid-file", pidFile, "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return nil, fmt.Errorf("sandbox: starting runc: %w", err)
	}
	runcDone := make(chan error, 1)
	go func() { runcDone <- cmd.Wait() }()
	var runcErr error
	startLimit := time.NewTimer(runcStartLimit)
	defer startLimit.Stop()
	select {
	case runcErr = <-runcDone:
	case <-startLimit.C:
		// runc takes milliseconds to start a container; one that hangs
		// must not hang the build.
		_ = cmd.Process.Kill()
		<-runcDone
		runcErr = fmt.Errorf("runc did not start the container in %v", runcStartLimit)
	case <-ctx.Done():
		// Let runc finish starting the container (it takes milliseconds)
		// so that it can be killed, but not forever.
		t := time.NewTimer(10 * time.Second)
		select {
		case runcErr = <-runcDone:
		case <-t.C:
			_ = cmd.Process.Kill()
			runcErr = <-runcDone
		}
		t.Stop()
	}
	if runcErr != nil {
		pump.waitOrCut(pr, pumpDrainLimit)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sandbox: run canceled: %w", ctx.Err())
		}
		msg := runcError(runcLog)
		if msg == "" {
			msg = runcErr.Error()
		}
		return nil, &SetupError{Msg: msg}
	}
	proc, err := containerProcess(pidFile)
	if err != nil {
		return nil, err
	}
	defer proc.Release()
	type waitResult struct {
		st  *os.ProcessState
		err error
	}
	waited := make(chan waitResult, 1)
	go func() {
		st, err := proc.Wait()
		waited <- waitResult{st, err}
	}()

	var timeoutC, silenceC <-chan time.Time
	if s.Timeout > 0 {
		t := time.NewTimer(s.Timeout - time.Since(start))
		defer t.Stop()
		timeoutC = t.C
	}
	var silence *time.Timer
	if s.MaxSilence > 0 {
		silence = time.NewTimer(s.MaxSilence)
		defer silence.Stop()
		silenceC = silence.C
	}
	tooBig := pump.tooBig
	var logEnded <-chan struct{}
	if s.EndWithLog {
		logEnded = pump.done
	}
	var killed KillReason
	kill := func(r KillReason) {
		if killed == "" {
			killed = r
			// The process is PID 1 of its namespace: killing it kills
			// every process of the run. The signal goes through a pidfd,
			// so it cannot hit a recycled PID.
			_ = proc.Signal(syscall.SIGKILL)
		}
	}
	var w waitResult
loop:
	for {
		select {
		case w = <-waited:
			break loop
		case <-ctx.Done():
			kill(KilledCanceled)
		case <-timeoutC:
			kill(KilledTimeout)
		case <-tooBig:
			tooBig = nil
			kill(KilledLogLimit)
		case <-silenceC:
			kill(KilledSilence)
		case <-pump.active:
			if silence != nil {
				silence.Reset(s.MaxSilence)
			}
		case <-logEnded:
			logEnded = nil
			if s.Timeout > 0 && time.Since(start) >= s.Timeout {
				// This process was too busy to see the timer first.
				kill(KilledTimeout)
				continue
			}
			// Not a KillReason: like Nix, the exit status says signal 9
			// (a process already exiting keeps its own status).
			_ = proc.Signal(syscall.SIGKILL)
		}
	}
	wall := time.Since(start)
	if w.err != nil {
		return nil, fmt.Errorf("sandbox: waiting for the process: %w", w.err)
	}
	*stopped = true
	// Every other writer of the pipe was in the process's PID namespace,
	// which ended with it: the pump sees EOF at once.
	pump.waitOrCut(pr, pumpDrainLimit)

	res := &Result{
		Killed:  killed,
		LogTail: pump.tail.Bytes(),
		LogSize: pump.size,
		Usage:   Usage{Wall: wall},
	}
	ws := w.st.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited():
		res.ExitCode = ws.ExitStatus()
	case ws.Signaled():
		res.Signal = ws.Signal()
		res.ExitCode = 128 + int(res.Signal)
	}
	if ru, ok := w.st.SysUsage().(*syscall.Rusage); ok {
		res.Usage.UserCPU = time.Duration(ru.Utime.Nano())
		res.Usage.SystemCPU = time.Duration(ru.Stime.Nano())
	}
	res.Usage.PeakMemory, err = rt.cgroups.peakMemory(id)
	if err != nil {
		return nil, fmt.Errorf("sandbox: reading peak memory: %w", err)
	}
	if killed == KilledCanceled {
		return res, fmt.Errorf("sandbox: run canceled: %w", ctx.Err())
	}
	if pump.err != nil {
		return res, fmt.Errorf("sandbox: writing the log: %w", pump.err)
	}
	return res, nil
}

// Bounds on what should take no time, so that nothing the builder does
// not control can hang a build: runc starting a container, and the log's
// end once the run is over.
const (
	runcStartLimit = 2 * time.Minute
	pumpDrainLimit = 10 * time.Second
)

// containerProcess returns the process runc started, which is now a child
// of this process.
func containerProcess(pidFile string) (*os.Process, error) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil, fmt.Errorf("sandbox: runc's pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return nil, fmt.Errorf("sandbox: runc's pid file holds %q", b)
	}
	// With pidfd support (Linux 5.3), Wait and Signal go through a pidfd.
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return p, nil
}

func (rt *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, rt.runc, append([]string{"--root", rt.runcRoot}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	// Its own process group: a ^C on the terminal reaches govix, which
	// decides, and not runc, which would pass it on to the build.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// cleanup removes everything one run created. A container whose process
// has been waited for is removed directly, as "runc delete" would: its
// cgroups and its state directory (this saves starting runc once more for
// every run). Anything else, or anything that resists, goes through
// "runc delete --force", which also kills what is left in the cgroup.
func (rt *Runtime) cleanup(id, bundle string, stopped bool) error {
	var errs []error
	state := filepath.Join(rt.runcRoot, id)
	if stopped {
		if rt.cgroups.remove(id) != nil || os.RemoveAll(state) != nil {
			stopped = false
		}
	}
	if _, err := os.Stat(state); err == nil && !stopped {
		cmd := rt.command(context.Background(), "delete", "--force", id)
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("runc delete %s: %w: %s", id, err, bytes.TrimSpace(out)))
		}
	}
	if err := rt.cgroups.remove(id); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(bundle); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: cleaning up: %w", err)
	}
	return nil
}

// reapStale deletes the containers, cgroups and bundles of runtimes whose
// process no longer exists.
func (rt *Runtime) reapStale(ctx context.Context, state string) {
	entries, _ := os.ReadDir(rt.runcRoot)
	for _, e := range entries {
		if pid, ok := idPid(e.Name()); ok && !alive(pid) {
			_ = rt.command(ctx, "delete", "--force", e.Name()).Run()
			_ = rt.cgroups.remove(e.Name())
		}
	}
	entries, _ = os.ReadDir(state)
	for _, e := range entries {
		tag, ok := strings.CutPrefix(e.Name(), "work-")
		if !ok {
			continue
		}
		if pid, ok := idPid("govix-" + tag); ok && !alive(pid) {
			runs, _ := os.ReadDir(filepath.Join(state, e.Name()))
			for _, r := range runs {
				_ = rt.cgroups.remove(r.Name())
			}
			_ = os.RemoveAll(filepath.Join(state, e.Name()))
		}
	}
}

// idPid extracts the process id from a container id govix-<pid>-....
func idPid(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, "govix-")
	if !ok {
		return 0, false
	}
	p, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// runcError returns the last error runc logged, or "".
func runcError(logFile string) string {
	f, err := os.Open(logFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ""
		}
		return err.Error()
	}
	defer f.Close()
	var msg string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && (e.Level == "error" || e.Level == "fatal") {
			msg = e.Msg
		}
	}
	return msg
}
