package sandbox

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ociVersion is the newest runtime-spec version runc 1.1 (Debian 12's)
// accepts; the fields used here have not changed since.
const ociVersion = "1.0.2"

// Paths hidden or made read-only in /proc, as in runc's default spec.
var (
	maskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	}
	readonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// hostNetworkFiles are the host files a build with network access sees, as
// in Nix's sandbox for fixed-output derivations.
var hostNetworkFiles = []string{"/etc/resolv.conf", "/etc/services", "/etc/hosts"}

// ociSpec turns s into the runtime spec runc runs, with binds instead of
// s.Mounts. rootfs is the prepared root directory and cgroupsPath the cgroup
// runc creates for the run; hostFiles are the hostNetworkFiles that exist on
// this host.
func ociSpec(s *Spec, binds []Mount, rootfs, cgroupsPath string, hostFiles []string) *specs.Spec {
	uid, gid := s.ids()
	dir := s.Dir
	if dir == "" {
		dir = "/"
	}
	// The file systems made for the run belong to the sandbox user, as
	// in Nix's sandbox (see writeRootfs).
	owner := fmt.Sprintf("uid=%d", uid)
	group := fmt.Sprintf("gid=%d", gid)
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k", owner, group}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "nodev", "mode=1777", owner, group}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", owner, group}},
	}

	// The caller's mounts, parents first: runc mounts in order, and an input
	// inside the writable store directory must come after that directory.
	user := make([]specs.Mount, 0, len(binds)+len(s.Tmpfs)+1)
	for _, m := range binds {
		opts := []string{"bind", "nosuid", "nodev", "ro"}
		if m.Writable {
			opts[3] = "rw"
		}
		user = append(user, specs.Mount{Destination: m.Target, Type: "bind", Source: m.Source, Options: opts})
	}
	for _, t := range s.Tmpfs {
		user = append(user, specs.Mount{Destination: t, Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}})
	}
	if s.BinSh != "" {
		user = append(user, specs.Mount{Destination: "/bin/sh", Type: "bind", Source: s.BinSh, Options: []string{"bind", "nosuid", "nodev", "ro"}})
	}
	slices.SortStableFunc(user, func(a, b specs.Mount) int {
		return cmp.Compare(depth(a.Destination), depth(b.Destination))
	})
	mounts = append(mounts, user...)
	if s.Network {
		for _, f := range hostFiles {
			mounts = append(mounts, specs.Mount{Destination: f, Type: "bind", Source: f, Options: []string{"bind", "nosuid", "nodev", "noexec", "ro"}})
		}
	}

	namespaces := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace},
		{Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace},
		{Type: specs.MountNamespace},
		{Type: specs.CgroupNamespace},
	}
	if !s.Network {
		// A new network namespace: runc brings up its loopback interface.
		namespaces = append(namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}

	// No capabilities at all: the build runs as an ordinary user.
	noCaps := &specs.LinuxCapabilities{
		Bounding: []string{}, Effective: []string{}, Inheritable: []string{}, Permitted: []string{}, Ambient: []string{},
	}
	return &specs.Spec{
		Version: ociVersion,
		Root:    &specs.Root{Path: rootfs, Readonly: true},
		Process: &specs.Process{
			User:            specs.User{UID: uid, GID: gid},
			Args:            s.Args,
			Env:             s.Env,
			Cwd:             dir,
			Capabilities:    noCaps,
			NoNewPrivileges: true,
		},
		Hostname:   s.hostname(),
		Domainname: "(none)",
		Mounts:     mounts,
		Linux: &specs.Linux{
			CgroupsPath: cgroupsPath,
			Namespaces:  namespaces,
			Resources: &specs.LinuxResources{
				// Deny every device; runc itself allows and creates the
				// standard ones (null, zero, full, random, urandom, tty,
				// ptmx and /dev/pts).
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			MaskedPaths:   maskedPaths,
			ReadonlyPaths: readonlyPaths,
			Seccomp:       nixSeccomp(),
		},
	}
}

// nixSeccomp is Nix 2.8's syscall filter (setupSeccomp): builds cannot
// make setuid or setgid files (EPERM) nor set extended attributes or ACLs
// (ENOTSUP), which a NAR cannot hold; everything else is allowed, for
// 32-bit processes too.
func nixSeccomp() *specs.LinuxSeccomp {
	eperm, enotsup := uint(unix.EPERM), uint(unix.ENOTSUP)
	var rules []specs.LinuxSyscall
	for _, perm := range []uint64{unix.S_ISUID, unix.S_ISGID} {
		for name, arg := range map[string]uint{"chmod": 1, "fchmod": 1, "fchmodat": 2} {
			rules = append(rules, specs.LinuxSyscall{
				Names: []string{name}, Action: specs.ActErrno, ErrnoRet: &eperm,
				Args: []specs.LinuxSeccompArg{{Index: arg, Value: perm, ValueTwo: perm, Op: specs.OpMaskedEqual}},
			})
		}
	}
	rules = append(rules, specs.LinuxSyscall{
		Names: []string{"setxattr", "lsetxattr", "fsetxattr"}, Action: specs.ActErrno, ErrnoRet: &enotsup,
	})
	slices.SortStableFunc(rules, func(a, b specs.LinuxSyscall) int { return cmp.Compare(a.Names[0], b.Names[0]) })
	var arches []specs.Arch
	switch runtime.GOARCH {
	case "amd64":
		arches = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	case "arm64":
		arches = []specs.Arch{specs.ArchAARCH64, specs.ArchARM}
	}
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: arches, Syscalls: rules}
}

func depth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}
