package sandbox

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// Spec describes one sandboxed run: what the process sees and what it may do.
//
// Paths called "sandbox paths" are absolute paths as the process sees them;
// host paths are paths on the machine running the sandbox.
type Spec struct {
	// Args is the command and its arguments. Args[0] is a sandbox path
	// (a name without a slash is looked up in PATH from Env).
	Args []string
	// Env is the complete environment, as "KEY=value" strings. Nothing is
	// inherited from the host; runc adds HOME (from /etc/passwd: BuildDir)
	// when Env has none, so callers wanting Nix's /homeless-shelter set it.
	Env []string
	// Dir is the working directory (a sandbox path); "/" when empty.
	Dir string

	// Mounts are host files and directories bind-mounted into the sandbox,
	// read-only unless Writable. Parents are mounted before children
	// whatever the order here, so an input can be mounted inside a writable
	// directory (the store directory) the way Nix's sandbox does it.
	Mounts []Mount
	// Tmpfs are sandbox paths that get a fresh, empty, writable tmpfs
	// (gone when the run ends). /tmp and /dev/shm always are one.
	Tmpfs []string

	// Network gives the process the host's network namespace (for
	// fixed-output derivations, like Nix) together with the host's
	// /etc/resolv.conf, /etc/services and /etc/hosts. Without it the
	// process has a private network namespace with only a loopback
	// interface.
	Network bool
	// Devices are host device files (such as /dev/kvm, which Nix offers
	// every build when the host has it) created at the same path inside,
	// readable and writable by the sandbox user.
	Devices []string
	// BinSh, when not empty, is a host file mounted read-only at /bin/sh
	// (Nix's sandbox-paths /bin/sh=...).
	BinSh string
	// Hostname is the host name inside; "localhost" (like Nix) when empty.
	Hostname string
	// UID and GID run the process; with both zero, Nix's 1000 and 100
	// ("nixbld"). /etc/passwd and /etc/group inside name them, with
	// BuildDir as the home directory. There is no user namespace (runc
	// runs as root, so none is needed to isolate the build), so these are
	// the host's ids too: files the build writes belong to them, and root
	// inside is not offered, since it would be root outside.
	UID, GID uint32
	// BuildDir is the home directory written to /etc/passwd; "/build" when
	// empty. It does not create or mount anything.
	BuildDir string

	// Timeout kills the run after this long (0: no limit).
	Timeout time.Duration
	// MaxSilence kills the run when it writes no log output for this long
	// (0: no limit), like Nix's max-silent-time.
	MaxSilence time.Duration
	// MaxLogSize kills the run once its log exceeds this many bytes (0: no
	// limit), like Nix's max-build-log-size.
	MaxLogSize int64

	// Terminal makes stdout and stderr a pseudo-terminal in raw mode, as in
	// Nix's sandbox (isatty is true there, so tools may print columns or
	// colours), instead of a pipe.
	Terminal bool
	// EndWithLog ends the run when the log does: once every process has
	// closed stdout and stderr, the process still running is killed
	// (SIGKILL; the Result shows the signal), as Nix presumes a builder
	// whose output ended to be done and kills it.
	EndWithLog bool
	// Log receives the process's stdout and stderr, merged, as they are
	// written (may be nil). It is called from one goroutine at a time.
	Log io.Writer
	// LogTail is how many bytes at the end of the log Result.LogTail keeps;
	// DefaultLogTail when 0.
	LogTail int
}

// DefaultLogTail is the default size of Result.LogTail.
const DefaultLogTail = 16 << 10

// A Mount makes a host file or directory visible in the sandbox.
type Mount struct {
	Source   string // host path (file or directory)
	Target   string // sandbox path
	Writable bool   // read-write instead of read-only; the source's owner becomes the sandbox user
}

// Mount points for mounts inside a writable mount (inputs inside the store
// directory) are created by runc in the writable directory on the host, as
// empty directories or files, and symlink inputs are recreated there; they
// stay after the run, next to the outputs, for the caller to ignore.

// reservedTargets are set up by the sandbox itself.
var reservedTargets = []string{"/", "/proc", "/dev", "/tmp", "/etc", "/etc/passwd", "/etc/group", "/etc/hosts",
	"/etc/resolv.conf", "/etc/services", "/etc/nsswitch.conf"}

func (s *Spec) validate() error {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return errors.New("sandbox: no command")
	}
	for _, e := range s.Env {
		if !strings.Contains(e, "=") {
			return fmt.Errorf("sandbox: environment entry %q has no '='", e)
		}
	}
	if s.Dir != "" {
		if err := checkSandboxPath(s.Dir); err != nil {
			return fmt.Errorf("sandbox: working directory: %w", err)
		}
	}
	seen := map[string]bool{}
	check := func(target string) error {
		if err := checkSandboxPath(target); err != nil {
			return fmt.Errorf("sandbox: mount target: %w", err)
		}
		for _, r := range reservedTargets {
			// Below /proc and /dev nothing may go; /tmp and /etc only
			// must not be replaced (/etc/ssl/certs may be mounted).
			whole := r == "/proc" || r == "/dev"
			if target == r || (whole && strings.HasPrefix(target, r+"/")) {
				return fmt.Errorf("sandbox: mount target %s is reserved by the sandbox", target)
			}
		}
		if seen[target] {
			return fmt.Errorf("sandbox: two mounts on %s", target)
		}
		seen[target] = true
		return nil
	}
	for _, m := range s.Mounts {
		if !path.IsAbs(m.Source) {
			return fmt.Errorf("sandbox: mount source %q is not an absolute host path", m.Source)
		}
		if err := check(m.Target); err != nil {
			return err
		}
	}
	for _, t := range s.Tmpfs {
		if err := check(t); err != nil {
			return err
		}
	}
	if s.BinSh != "" {
		if !path.IsAbs(s.BinSh) {
			return fmt.Errorf("sandbox: /bin/sh source %q is not an absolute host path", s.BinSh)
		}
		if err := check("/bin/sh"); err != nil {
			return err
		}
	}
	for _, d := range s.Devices {
		if err := checkSandboxPath(d); err != nil || !strings.HasPrefix(d, "/dev/") {
			return fmt.Errorf("sandbox: device %q is not a path in /dev", d)
		}
	}
	if s.Timeout < 0 || s.MaxSilence < 0 || s.MaxLogSize < 0 || s.LogTail < 0 {
		return errors.New("sandbox: negative limit")
	}
	return nil
}

// checkSandboxPath accepts absolute, clean paths.
func checkSandboxPath(p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsRune(p, 0) {
		return fmt.Errorf("%q is not an absolute clean path", p)
	}
	return nil
}

func (s *Spec) ids() (uid, gid uint32) {
	if s.UID == 0 && s.GID == 0 {
		return 1000, 100
	}
	return s.UID, s.GID
}

func (s *Spec) hostname() string {
	if s.Hostname == "" {
		return "localhost"
	}
	return s.Hostname
}

func (s *Spec) buildDir() string {
	if s.BuildDir == "" {
		return "/build"
	}
	return s.BuildDir
}

func (s *Spec) logTail() int {
	if s.LogTail == 0 {
		return DefaultLogTail
	}
	return s.LogTail
}
