package build

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/govix/govix/build/refscan"
	"github.com/govix/govix/castore"
)

// Request is one command to run in an isolated environment, with the
// inputs it may see and the outputs it must produce. Paths are clean
// relative paths from the build's root ("build", "nix/store/<hash>-x");
// see Validate for the rules.
type Request struct {
	// Inputs appear under InputsDir, each under its name; sorted by
	// name, names unique.
	Inputs []Input
	// Args is the command and its arguments.
	Args []string
	// WorkingDir is the command's working directory.
	WorkingDir string
	// ScratchPaths are the writable directories, created empty; sorted.
	ScratchPaths []string
	// InputsDir is where the inputs are placed; it may be a scratch path.
	InputsDir string
	// Outputs must exist when the command has succeeded; each is ingested
	// into the castore. Each lies inside a scratch path; sorted.
	Outputs []string
	// Env is the command's whole environment, sorted by key.
	Env []EnvVar
	// Constraints are what the build host must offer.
	Constraints Constraints
	// AdditionalFiles are written inside scratch paths before the command
	// starts.
	AdditionalFiles []File
	// RefscanNeedles are looked for in every output: nix32 store path
	// hash parts (refscan.HashLen characters of the nix32 alphabet).
	RefscanNeedles []string

	// Limits end the command early (govix extension).
	Limits Limits
	// Terminal gives the command a pseudo-terminal as stdout and stderr,
	// as Nix does (govix extension).
	Terminal bool
	// LogTail is how many bytes of the end of the log an attempt keeps; a
	// builder default when 0 (govix extension).
	LogTail int
	// EndWithLog kills the command once stdout and stderr are closed by
	// every process, as Nix does with a builder (govix extension).
	EndWithLog bool
}

// Input is a castore node visible to the build under InputsDir/Name.
type Input struct {
	Name string
	Node castore.Node
}

// EnvVar is one environment variable.
type EnvVar struct {
	Key, Value string
}

// File is a file written into the build's file system before it starts.
type File struct {
	Path     string
	Contents []byte
}

// Constraints are what a build host must offer to run a request.
type Constraints struct {
	// System is the system type the command runs on, e.g. "x86_64-linux".
	System string
	// MinMemory is the memory the build needs, in bytes (0: any).
	MinMemory uint64
	// AvailableROPaths are absolute host paths to make visible read-only
	// at the same place (devices such as /dev/kvm too); sorted.
	AvailableROPaths []string
	// NetworkAccess gives the command the host's network.
	NetworkAccess bool
	// ProvideBinSh asks for a /bin/sh.
	ProvideBinSh bool
}

// Limits bound a run; zero values mean no limit.
type Limits struct {
	Timeout    time.Duration // wall-clock time
	MaxSilence time.Duration // time without log output
	MaxLogSize int64         // bytes of log
}

// ErrInvalidRequest is wrapped by every error Validate returns.
var ErrInvalidRequest = errors.New("invalid build request")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// Validate checks the request's rules: clean relative paths, sorted and
// unique lists, outputs and extra files inside scratch paths, valid input
// names and nodes, environment keys without '=' or NUL, a system, and
// needles the reference scanner accepts.
func (r *Request) Validate() error {
	if len(r.Args) == 0 || r.Args[0] == "" {
		return invalid("no command")
	}
	for _, a := range r.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return invalid("command argument %q contains NUL", a)
		}
	}
	if r.Constraints.System == "" {
		return invalid("no system")
	}
	if r.WorkingDir != "" {
		if err := checkRelPath(r.WorkingDir); err != nil {
			return invalid("working dir: %v", err)
		}
	}
	if err := checkRelPath(r.InputsDir); err != nil {
		return invalid("inputs dir: %v", err)
	}
	if err := checkSortedPaths("scratch path", r.ScratchPaths); err != nil {
		return err
	}
	if err := checkSortedPaths("output", r.Outputs); err != nil {
		return err
	}
	for _, o := range r.Outputs {
		if r.scratchOf(o) == "" || slices.Contains(r.ScratchPaths, o) {
			return invalid("output %s is not inside a scratch path", o)
		}
	}
	for i, in := range r.Inputs {
		if err := castore.ValidateName(in.Name); err != nil {
			return invalid("input: %v", err)
		}
		if i > 0 && r.Inputs[i-1].Name >= in.Name {
			return invalid("inputs not sorted by name or not unique at %q", in.Name)
		}
		if err := in.Node.Validate(); err != nil {
			return invalid("input %s: %v", in.Name, err)
		}
	}
	for i, e := range r.Env {
		if e.Key == "" || strings.ContainsAny(e.Key, "=\x00") || strings.IndexByte(e.Value, 0) >= 0 {
			return invalid("environment variable %q", e.Key)
		}
		if i > 0 && r.Env[i-1].Key >= e.Key {
			return invalid("environment not sorted by key or not unique at %q", e.Key)
		}
	}
	for _, p := range r.Constraints.AvailableROPaths {
		if !path.IsAbs(p) || path.Clean(p) != p {
			return invalid("available path %q is not a clean absolute path", p)
		}
	}
	if !slices.IsSorted(r.Constraints.AvailableROPaths) {
		return invalid("available paths not sorted")
	}
	for _, f := range r.AdditionalFiles {
		if err := checkRelPath(f.Path); err != nil {
			return invalid("additional file: %v", err)
		}
		if r.scratchOf(f.Path) == "" || slices.Contains(r.ScratchPaths, f.Path) {
			return invalid("additional file %s is not inside a scratch path", f.Path)
		}
	}
	if _, err := refscan.NewSet(r.RefscanNeedles); err != nil {
		return invalid("%v", err)
	}
	if r.Limits.Timeout < 0 || r.Limits.MaxSilence < 0 || r.Limits.MaxLogSize < 0 || r.LogTail < 0 {
		return invalid("negative limit")
	}
	return nil
}

// scratchOf returns the scratch path that p is inside of (or equal to),
// the longest if several, or "".
func (r *Request) scratchOf(p string) string {
	best := ""
	for _, s := range r.ScratchPaths {
		if (p == s || strings.HasPrefix(p, s+"/")) && len(s) > len(best) {
			best = s
		}
	}
	return best
}

// ScratchOf returns the scratch path p lies in (the longest one when
// scratch paths nest), or "" if none.
func (r *Request) ScratchOf(p string) string { return r.scratchOf(p) }

// Getenv returns the value of an environment variable of the request.
func (r *Request) Getenv(key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(r.Env, key, func(e EnvVar, k string) int { return strings.Compare(e.Key, k) })
	if !ok {
		return "", false
	}
	return r.Env[i].Value, true
}

// checkRelPath accepts clean relative paths: no empty, "." or ".."
// components, no leading or trailing slash, no NUL.
func checkRelPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("path %q contains NUL", p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("path %q is not a clean relative path", p)
		}
	}
	return nil
}

func checkSortedPaths(what string, ps []string) error {
	for i, p := range ps {
		if err := checkRelPath(p); err != nil {
			return invalid("%s: %v", what, err)
		}
		if i > 0 && ps[i-1] >= p {
			return invalid("%ss not sorted or not unique at %q", what, p)
		}
	}
	return nil
}
