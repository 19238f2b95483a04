// Package oci is a build.Service that runs requests in OCI containers
// with runc (through build/sandbox) on this machine.
//
// A request's inputs are materialised from the castore into a cache
// directory shared by every build (once per node, keyed by digest, made
// to look like store paths: read-only, modification time 1)
// and bind-mounted read-only under the inputs directory; scratch paths
// are fresh host directories mounted writable; the command runs as an
// unprivileged user with a network of its own unless the request allows
// network access. When it succeeds, each output is serialised as a NAR
// once, and that one stream is hashed (size and SHA-256, returned with the
// result), scanned for the request's needles and ingested into the
// castore. The build's host directories are removed at the end, whatever
// happened.
//
// Inputs can also be served from a FUSE mount of the castore (Options.FUSE).
// Measured on small builds (BenchmarkInputs: busybox reading 100 files of
// 1 KiB), the two cost the same once an input has been used, about 35 ms
// of CPU per build, most of it runc's: a build then pays only for bind
// mounts either way, and reads hit the kernel's page cache. Materialising
// costs a copy the first time an input is used and disk space for the
// cache; FUSE costs nothing up front but every cold read goes through this
// process, and its files belong to root rather than to the build user as
// in Nix's sandbox. Materialising is the default: it matches Nix and
// leaves builds independent of the builder process.
//
// The materialised inputs are bounded (Options.CacheMaxBytes, 8 GiB by
// default): after a build, if the cache holds more, the inputs used least
// recently are removed, never one that a build of any process is using
// (each holds a shared lock on it while it runs).
package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/refscan"
	"github.com/govix/govix/build/sandbox"
	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/store"
)

// Options configure a Builder.
type Options struct {
	// Store holds the inputs and receives the outputs.
	Store *castore.Store
	// Runtime runs the containers.
	Runtime *sandbox.Runtime
	// CacheDir holds materialised inputs; it may be shared with other
	// builders and processes. Required.
	CacheDir string
	// CacheMaxBytes bounds the materialised inputs (bytes of file
	// contents): past it, the inputs used least recently that no build
	// uses are removed. DefaultCacheMaxBytes when 0; no bound when
	// negative.
	CacheMaxBytes int64
	// WorkDir is where each build's scratch directories are made;
	// os.TempDir() when empty.
	WorkDir string
	// BinSh is the host file offered as /bin/sh to requests that want
	// one (a static shell such as busybox); without it they fail.
	BinSh string
	// Systems are the system types this builder runs; default the host's
	// (e.g. "x86_64-linux").
	Systems []string
	// Host is recorded in each attempt; default the host name.
	Host string
	// UID and GID run the builds; Nix's 1000 and 100 when both are zero.
	UID, GID uint32
	// FUSE serves the inputs from a FUSE mount of the castore at
	// CacheDir/mnt instead of materialising them (slower for small
	// builds; see BenchmarkInputs). Close unmounts it.
	FUSE bool
}

// DefaultCacheMaxBytes is the input cache's default bound.
const DefaultCacheMaxBytes = 8 << 30

// inputSource gives the host path at which a node's contents are, there
// until release is called.
type inputSource interface {
	path(ctx context.Context, n castore.Node) (p string, release func(), err error)
}

// Builder runs build requests in runc containers. It is safe for
// concurrent use; each Build is one container.
type Builder struct {
	opts   Options
	inputs inputSource
	fuse   *fuseInputs
}

// New returns a Builder.
func New(opts Options) (*Builder, error) {
	if opts.Store == nil || opts.Runtime == nil {
		return nil, errors.New("oci: a store and a sandbox runtime are required")
	}
	if opts.CacheDir == "" {
		return nil, errors.New("oci: no input cache directory")
	}
	if opts.WorkDir == "" {
		opts.WorkDir = os.TempDir()
	}
	if len(opts.Systems) == 0 {
		opts.Systems = []string{HostSystem()}
	}
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	if opts.UID == 0 && opts.GID == 0 {
		opts.UID, opts.GID = 1000, 100
	}
	if opts.FUSE {
		fi, err := newFUSEInputs(context.Background(), filepath.Join(opts.CacheDir, "mnt"), opts.Store)
		if err != nil {
			return nil, err
		}
		return &Builder{opts: opts, inputs: fi, fuse: fi}, nil
	}
	if opts.CacheMaxBytes == 0 {
		opts.CacheMaxBytes = DefaultCacheMaxBytes
	}
	ic, err := newInputCache(opts.CacheDir, opts.Store, int(opts.UID), int(opts.GID), opts.CacheMaxBytes)
	if err != nil {
		return nil, err
	}
	reapStale(opts.WorkDir, "govix-build-")
	reapStale(opts.CacheDir, ".tmp-")
	return &Builder{opts: opts, inputs: ic}, nil
}

// reapStale removes what builders that no longer run left in dir: entries
// named prefix<pid>-... whose process is gone (a builder killed in the
// middle of a build or of materialising an input).
func reapStale(dir, prefix string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		pidS, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidS)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := unix.Kill(pid, 0); err == nil || errors.Is(err, unix.EPERM) {
			continue // still running
		}
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// Close releases what the builder holds (the FUSE mount, if any).
func (b *Builder) Close() error {
	if b.fuse != nil {
		return b.fuse.close()
	}
	return nil
}

// HostSystem is the Nix system type of this machine, e.g. "x86_64-linux".
func HostSystem() string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "riscv64": "riscv64"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return arch + "-" + runtime.GOOS
}

// Build runs req; see build.Service.
func (b *Builder) Build(ctx context.Context, req *build.Request, log io.Writer) (*build.Result, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if !b.runs(req.Constraints.System) {
		return nil, fmt.Errorf("oci: cannot build for system %q on this builder (%s)", req.Constraints.System, strings.Join(b.opts.Systems, ", "))
	}
	if m := req.Constraints.MinMemory; m > 0 {
		var si unix.Sysinfo_t
		if err := unix.Sysinfo(&si); err == nil && m > uint64(si.Totalram)*uint64(si.Unit) {
			return nil, fmt.Errorf("oci: the build needs %d bytes of memory, this machine has %d", m, uint64(si.Totalram)*uint64(si.Unit))
		}
	}
	if req.Constraints.ProvideBinSh && b.opts.BinSh == "" {
		return nil, fmt.Errorf("oci: %w", errNoBinSh)
	}
	work, err := os.MkdirTemp(b.opts.WorkDir, fmt.Sprintf("govix-build-%d-", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	defer os.RemoveAll(work)

	spec, scratch, release, err := b.prepare(ctx, req, work)
	if err != nil {
		return nil, err
	}
	spec.Log = log
	res, err := b.opts.Runtime.Run(ctx, spec)
	release()
	if ic, ok := b.inputs.(*inputCache); ok {
		defer ic.trim()
	}
	att := build.Attempt{Host: b.opts.Host}
	var setup *sandbox.SetupError
	switch {
	case errors.As(err, &setup):
		att.Error = setup.Msg
		return nil, &build.FailedError{Attempts: []build.Attempt{att}}
	case err != nil:
		return nil, fmt.Errorf("oci: %w", err)
	}
	att.ExitCode, att.Signal, att.Killed = res.ExitCode, res.Signal, string(res.Killed)
	att.LogTail, att.LogSize = res.LogTail, res.LogSize
	att.UserCPU, att.SystemCPU = res.Usage.UserCPU, res.Usage.SystemCPU
	att.PeakMemory, att.Wall = res.Usage.PeakMemory, res.Usage.Wall
	if !res.Success() {
		return nil, &build.FailedError{Attempts: []build.Attempt{att}}
	}

	hostOf := func(p string) string {
		s := req.ScratchOf(p)
		return filepath.Join(scratch[s], filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, s), "/")))
	}
	for _, o := range req.Outputs {
		if _, err := os.Lstat(hostOf(o)); err != nil {
			att.MissingOutputs = append(att.MissingOutputs, "/"+o)
		}
	}
	if len(att.MissingOutputs) > 0 {
		return nil, &build.FailedError{Attempts: []build.Attempt{att}}
	}
	// As Nix, refuse an output that is group- or world-writable: someone
	// else could have changed it.
	for _, o := range req.Outputs {
		fi, err := os.Lstat(hostOf(o))
		if err != nil {
			return nil, fmt.Errorf("oci: %w", err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 && fi.Mode().Perm()&0o022 != 0 {
			att.Rejected, att.RejectedPath = build.RejectWritable, "/"+o
			return nil, &build.FailedError{Attempts: []build.Attempt{att}}
		}
	}
	set, err := refscan.NewSet(req.RefscanNeedles)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	outs := make([]build.Output, len(req.Outputs))
	g, gctx := errgroup.WithContext(ctx)
	for i, o := range req.Outputs {
		g.Go(func() error {
			out, err := b.ingest(gctx, hostOf(o), set)
			if err != nil {
				if ne := (*nar.Error)(nil); errors.As(err, &ne) && errors.Is(err, nar.ErrUnsupported) {
					return &unsupportedError{path: path.Join("/"+o, ne.Path)}
				}
				return fmt.Errorf("oci: ingesting output /%s: %w", o, err)
			}
			outs[i] = out
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if ue := (*unsupportedError)(nil); errors.As(err, &ue) {
			// Nix refuses files that are not regular files,
			// directories or symlinks (fifos, sockets, devices).
			att.Rejected, att.RejectedPath = build.RejectUnsupportedType, ue.path
			return nil, &build.FailedError{Attempts: []build.Attempt{att}}
		}
		return nil, err
	}
	if ic, ok := b.inputs.(*inputCache); ok {
		// The outputs on disk are what was ingested: keep them as
		// materialised inputs for the builds that use them.
		for i, o := range req.Outputs {
			ic.adopt(hostOf(o), outs[i].Node)
		}
	}
	return &build.Result{Outputs: outs, Attempts: []build.Attempt{att}}, nil
}

func (b *Builder) runs(system string) bool {
	for _, s := range b.opts.Systems {
		if s == system {
			return true
		}
	}
	return false
}

// prepare makes the scratch directories and extra files, materialises the
// inputs, and returns the sandbox spec, the host directory of each
// scratch path, and the function that lets the inputs go once the build
// has run.
func (b *Builder) prepare(ctx context.Context, req *build.Request, work string) (_ *sandbox.Spec, _ map[string]string, release func(), err error) {
	uid, gid := int(b.opts.UID), int(b.opts.GID)
	spec := &sandbox.Spec{
		Args:     req.Args,
		Dir:      "/" + req.WorkingDir,
		Network:  req.Constraints.NetworkAccess,
		UID:      b.opts.UID,
		GID:      b.opts.GID,
		Terminal: req.Terminal,
		// Nix kills a builder whose output ended.
		EndWithLog: req.EndWithLog,
		Timeout:    req.Limits.Timeout,
		// The sandbox's home directory in /etc/passwd is Nix's build
		// directory; HOME itself comes from the environment.
		BuildDir:   "/" + req.WorkingDir,
		MaxSilence: req.Limits.MaxSilence,
		MaxLogSize: req.Limits.MaxLogSize,
		LogTail:    req.LogTail,
	}
	if req.WorkingDir == "" {
		spec.Dir, spec.BuildDir = "/", ""
	}
	for _, e := range req.Env {
		spec.Env = append(spec.Env, e.Key+"="+e.Value)
	}
	if req.Constraints.ProvideBinSh {
		spec.BinSh = b.opts.BinSh
	}
	scratch := map[string]string{}
	for i, s := range req.ScratchPaths {
		host := filepath.Join(work, fmt.Sprintf("s%d", i))
		if err := os.Mkdir(host, 0o700); err != nil {
			return nil, nil, nil, fmt.Errorf("oci: %w", err)
		}
		if s == req.InputsDir {
			// Like Nix's store directory in the sandbox: group-writable
			// and sticky, so builds can add paths but not remove inputs.
			if err := os.Chmod(host, 0o775|os.ModeSticky); err != nil {
				return nil, nil, nil, fmt.Errorf("oci: %w", err)
			}
		}
		scratch[s] = host
		spec.Mounts = append(spec.Mounts, sandbox.Mount{Source: host, Target: "/" + s, Writable: true})
	}
	for _, f := range req.AdditionalFiles {
		s := req.ScratchOf(f.Path)
		host := filepath.Join(scratch[s], filepath.FromSlash(strings.TrimPrefix(f.Path, s+"/")))
		if err := writeOwned(host, f.Contents, uid, gid); err != nil {
			return nil, nil, nil, fmt.Errorf("oci: additional file /%s: %w", f.Path, err)
		}
	}
	for _, p := range req.Constraints.AvailableROPaths {
		if strings.HasPrefix(p, "/dev/") {
			spec.Devices = append(spec.Devices, p)
		} else {
			spec.Mounts = append(spec.Mounts, sandbox.Mount{Source: p, Target: p})
		}
	}
	mounts := make([]sandbox.Mount, len(req.Inputs))
	releases := make([]func(), len(req.Inputs))
	release = func() {
		for _, r := range releases {
			if r != nil {
				r()
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, in := range req.Inputs {
		g.Go(func() error {
			p, rel, err := b.inputs.path(gctx, in.Node)
			if err != nil {
				return fmt.Errorf("input %s: %w", in.Name, err)
			}
			releases[i] = rel
			mounts[i] = sandbox.Mount{Source: p, Target: path.Join("/", req.InputsDir, in.Name)}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		release()
		return nil, nil, nil, fmt.Errorf("oci: %w", err)
	}
	spec.Mounts = append(spec.Mounts, mounts...)
	return spec, scratch, release, nil
}

// writeOwned writes a file (and its missing parent directories) owned by
// the build user.
func writeOwned(p string, data []byte, uid, gid int) error {
	dir := filepath.Dir(p)
	if _, err := os.Stat(dir); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	return os.Chown(p, uid, gid)
}

var errIngestStopped = errors.New("ingestion stopped")

// unsupportedError is an output holding a file of a type a NAR cannot
// hold, at path (as the build saw it).
type unsupportedError struct{ path string }

func (e *unsupportedError) Error() string {
	return fmt.Sprintf("file '%s' has an unsupported type", e.path)
}

// ingest serialises the tree at p as a NAR once: the stream is scanned
// for needles and ingested into the castore, which hashes it. A failure
// to serialise is returned as the serialiser's error.
func (b *Builder) ingest(ctx context.Context, p string, set *refscan.Set) (build.Output, error) {
	pr, pw := io.Pipe()
	dumped := make(chan error, 1)
	go func() {
		err := nar.DumpPath(ctx, pw, p)
		dumped <- err
		pw.CloseWithError(err)
	}()
	sc := set.NewScanner()
	res, err := store.IngestNAR(ctx, b.opts.Store.Blobs, b.opts.Store.Directories, io.TeeReader(pr, sc), nil)
	pr.CloseWithError(errIngestStopped)
	if derr := <-dumped; err != nil && derr != nil && !errors.Is(derr, errIngestStopped) {
		return build.Output{}, derr
	}
	if err != nil {
		return build.Output{}, err
	}
	return build.Output{
		Node:      res.Node,
		Needles:   sc.Found(),
		HasNAR:    true,
		NarSize:   res.NarSize,
		NarSHA256: res.NarSHA256,
	}, nil
}
