package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/gcroots"
	"github.com/govix/govix/build/graph"
	"github.com/govix/govix/build/grpcbuild"
	"github.com/govix/govix/build/nixbuild"
	"github.com/govix/govix/build/oci"
	"github.com/govix/govix/build/sandbox"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
)

// newBuildCmd is `govix build`, nix-build's counterpart. Like instantiate
// it parses its own flags: evaluation flags are nix-instantiate's, and
// the rest are nix-build's.
func newBuildCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "build [options] [FILE... | -E EXPR... | DRV...]",
		Short: "Evaluate and build derivations like nix-build",
		Long: `Evaluate Nix expressions, build the derivations they give in a sandbox
(runc), and print the output paths, one a line, like nix-build. Store
derivation paths (/nix/store/...drv, already in the store) are built as
they are.

Evaluation takes nix-instantiate's flags: -A ATTR, --arg NAME EXPR,
--argstr NAME STRING, -E/--expr, -I PATH, --option NAME VALUE, ...

  -j, --jobs, --max-jobs N   builds at a time (default: 2 per CPU)
  --cores N                  NIX_BUILD_CORES (default: the CPUs)
  -k, --keep-going           go on with what does not depend on a failure
  --check                    rebuild and report whether the outputs are
                             bit-identical, naming the files that differ
  --builder URL              run the builds on a build daemon
                             (grpc+unix:///path.sock, grpc+http://host:port)
  --substituters 'URL...'    binary caches or stores to substitute from
  --trusted-public-keys 'K...'  keys substituted paths must be signed with
  --sandbox-paths 'P...'     host paths visible in builds; /bin/sh=FILE
                             provides a /bin/sh
  --timeout S, --max-silent-time S, --max-build-log-size BYTES
  -L, --print-build-logs     print every log line (also on a terminal)
  -Q, --no-build-output      print no log lines
  -v, --verbose              print each build's wall time, CPU time and
                             peak memory
  --store URL                the store (see govix --help)
  -o, --out-link NAME        name the result links NAME (default: result)
  --no-out-link              make no result links

Settings can also be given as --option NAME VALUE (max-jobs, cores,
keep-going, substituters, trusted-public-keys, sandbox-paths, timeout,
max-silent-time, max-build-log-size; sandbox and build-users-group are
accepted and ignored: builds are always sandboxed).

Like nix-build, a successful build leaves symlinks to the output paths in
the working directory: ./result for the first derivation's output, and
result-2, result-3, ... for the next derivations, with -OUTPUT appended
for outputs other than out (result-dev). Each is a garbage collector
root, registered under $GOVIX_HOME/gcroots/auto as Nix registers its
own. The links point at the store paths (/nix/store/...), which live in
the govix store rather than the host's /nix/store; to see their
contents, mount the store and follow the link's name there:

  govix store mount /tmp/store &
  ls /tmp/store/$(basename $(readlink result))

(or mount it at /nix/store itself, where that is free, and the links
resolve as they are).

On a terminal, a live display shows the running builds with their last
log line; otherwise the log lines are printed as NAME> LINE. A failed
build's exit status and last log lines are printed, with the derivations
that were skipped because of it. The exit status is nix-build's: 100 for
a failed build, 101 timed out, 102 hash mismatch, 104 not deterministic
(--check), 1 for other errors. Logs are kept; govix log DRV prints one,
also while the build runs.

Outputs are checked as Nix 2.8 registers them: a group- or
world-writable output, or one holding a file that is not a regular
file, directory or symlink, is refused (exit status 1, as a missing
output). Builds cannot make setuid or setgid files nor set extended
attributes. The inputs builds see are materialised once under
$GOVIX_HOME/build/inputs, kept to 8 GiB: past it the inputs used least
recently go, never one that a running build uses.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return cmd.Help()
				}
			}
			o, err := parseBuildArgs(args)
			if err != nil {
				return &exitError{code: 1, msg: "error: " + err.Error() + "\nTry 'govix build --help' for more information."}
			}
			return runBuild(cmd.Context(), o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

// buildOpts are the parsed flags of `govix build`.
type buildOpts struct {
	evalArgs     []string // for parseInstantiateArgs
	drvs         []string // store derivations given directly
	evaluate     bool     // there is something to evaluate
	jobs         int
	cores        int
	keepGoing    bool
	check        bool
	builder      string
	substituters []string
	trustedKeys  []string
	binSh        string
	sandboxPaths []string
	limits       build.Limits
	logs         string // "", "all", "none"
	verbose      bool   // resources of each build
	storeURL     string
	outLink      string // result link prefix; "" for none
}

// parseBuildArgs takes nix-build's own flags out and leaves the rest to
// nix-instantiate's parser.
func parseBuildArgs(args []string) (*buildOpts, error) {
	o := &buildOpts{outLink: "result"}
	setting := func(name, value string) (bool, error) {
		var err error
		switch name {
		case "max-jobs", "jobs":
			if value == "auto" {
				o.jobs = 2 * runtime.NumCPU()
			} else if o.jobs, err = strconv.Atoi(value); err != nil || o.jobs <= 0 {
				return true, fmt.Errorf("invalid value '%s' for setting '%s'", value, name)
			}
		case "cores":
			if o.cores, err = strconv.Atoi(value); err != nil || o.cores < 0 {
				return true, fmt.Errorf("invalid value '%s' for setting 'cores'", value)
			}
		case "keep-going":
			o.keepGoing = value == "true"
		case "substituters", "extra-substituters":
			o.substituters = append(o.substituters, strings.Fields(value)...)
		case "trusted-public-keys", "extra-trusted-public-keys":
			o.trustedKeys = append(o.trustedKeys, strings.Fields(value)...)
		case "sandbox-paths", "extra-sandbox-paths":
			for _, p := range strings.Fields(value) {
				if sh, ok := strings.CutPrefix(p, "/bin/sh="); ok {
					o.binSh = sh
				} else {
					o.sandboxPaths = append(o.sandboxPaths, p)
				}
			}
		case "timeout", "max-silent-time":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return true, fmt.Errorf("invalid value '%s' for setting '%s'", value, name)
			}
			if name == "timeout" {
				o.limits.Timeout = time.Duration(n) * time.Second
			} else {
				o.limits.MaxSilence = time.Duration(n) * time.Second
			}
		case "max-build-log-size":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return true, fmt.Errorf("invalid value '%s' for setting '%s'", value, name)
			}
			o.limits.MaxLogSize = n
		case "builder", "builders":
			o.builder = value
		case "store":
			o.storeURL = value
			return false, nil // the evaluation needs it too
		case "sandbox", "build-users-group", "require-sigs", "sandbox-fallback":
			// Builds are always sandboxed, as the unprivileged user 1000.
		default:
			return false, nil
		}
		return true, nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag '%s' requires 1 argument(s)", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "-j", "--jobs", "--max-jobs", "--cores", "--builder", "--builders", "--substituters", "--trusted-public-keys",
			"--sandbox-paths", "--timeout", "--max-silent-time", "--max-build-log-size":
			v, err := next()
			if err != nil {
				return nil, err
			}
			name := strings.TrimLeft(a, "-")
			if a == "-j" {
				name = "max-jobs"
			}
			if _, err := setting(name, v); err != nil {
				return nil, err
			}
		case "-k", "--keep-going":
			o.keepGoing = true
		case "--check":
			o.check = true
		case "-L", "--print-build-logs":
			o.logs = "all"
		case "-v", "--verbose":
			o.verbose = true
		case "-Q", "--no-build-output":
			o.logs = "none"
		case "--no-out-link", "--no-link":
			o.outLink = ""
		case "-o", "--out-link":
			v, err := next()
			if err != nil {
				return nil, err
			}
			o.outLink = v
		case "--add-root":
			// nix-shell's; nix-build takes and ignores it.
			if _, err := next(); err != nil {
				return nil, err
			}
		case "--option":
			if i+2 >= len(args) {
				return nil, fmt.Errorf("flag '--option' requires 2 argument(s)")
			}
			handled, err := setting(args[i+1], args[i+2])
			if err != nil {
				return nil, err
			}
			if handled {
				i += 2
				continue
			}
			o.evalArgs = append(o.evalArgs, args[i:i+3]...)
			i += 2
		case "--store":
			v, err := next()
			if err != nil {
				return nil, err
			}
			o.storeURL = v
			o.evalArgs = append(o.evalArgs, "--store", v)
		default:
			if isDrvArg(a) {
				o.drvs = append(o.drvs, a)
				continue
			}
			if !strings.HasPrefix(a, "-") || a == "-" {
				o.evaluate = true
			}
			o.evalArgs = append(o.evalArgs, a)
			// Flags with arguments: keep them with their flag so that an
			// argument is not taken for a file.
			n := map[string]int{"-A": 1, "--attr": 1, "-I": 1, "--include": 1, "--arg": 2, "--argstr": 2}[a]
			if i+n >= len(args) {
				n = len(args) - 1 - i
			}
			o.evalArgs = append(o.evalArgs, args[i+1:i+1+n]...)
			i += n
			if a == "-E" || a == "--expr" {
				o.evaluate = true
			}
		}
	}
	if len(o.drvs) == 0 {
		o.evaluate = true // nix-build's default is ./default.nix
	}
	return o, nil
}

// isDrvArg: a store derivation named on the command line.
func isDrvArg(a string) bool {
	dir := storepath.DefaultStoreDir
	if sd := os.Getenv("NIX_STORE_DIR"); sd != "" {
		dir = storepath.StoreDir(sd)
	}
	p, err := dir.ParseCanonical(a)
	return err == nil && p.IsDerivation()
}

// buildTarget is a derivation output to realise and print.
type buildTarget struct {
	drv    storepath.StorePath
	output string
}

// runBuild evaluates, builds and prints the output paths.
func runBuild(ctx context.Context, o *buildOpts, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	dir := storepath.DefaultStoreDir
	if sd := os.Getenv("NIX_STORE_DIR"); sd != "" {
		dir = storepath.StoreDir(sd)
	}
	s := &buildSession{o: o, dir: dir, stderr: stderr, disp: newBuildDisplay(stderr, dir, o.logs)}
	s.disp.verbose = o.verbose
	defer s.close()
	var targets []buildTarget
	for _, d := range o.drvs {
		p, _ := dir.ParseCanonical(d)
		targets = append(targets, buildTarget{drv: p, output: "out"})
	}
	if o.evaluate {
		lines, err := instantiateForBuild(ctx, o, stdin, stderr, s.realise)
		if err != nil {
			return err
		}
		for _, l := range lines {
			drvPath, out, _ := strings.Cut(l, "!")
			if out == "" {
				out = "out"
			}
			p, err := dir.ParseCanonical(drvPath)
			if err != nil {
				return fmt.Errorf("instantiate printed %q: %w", l, err)
			}
			targets = append(targets, buildTarget{drv: p, output: out})
		}
	}

	st, err := openBuildStore(ctx, o.storeURL)
	if err != nil {
		return err
	}
	defer closeWholeStore(st, &err)
	b, err := s.builder(ctx, st)
	if err != nil {
		return err
	}
	var gt []graph.Target
	for _, t := range targets {
		gt = append(gt, graph.Target{Drv: t.drv, Outputs: []string{t.output}})
	}
	report, err := b.Build(ctx, gt, o.check)
	s.disp.close()
	if err != nil && !errors.Is(err, graph.ErrFailed) {
		return err
	}
	code := reportFailures(stderr, dir, report)
	if code != 0 {
		reportUnbuilt(ctx, stderr, dir, st, targets)
	}
	if o.check {
		if c := reportChecks(stderr, dir, report); c != 0 {
			code |= c
		}
	}
	if code != 0 {
		return &exitError{code: code}
	}
	// nix-build links each target's output and prints its path.
	var out bytes.Buffer
	var paths []string
	for _, t := range targets {
		drv, err := graph.ReadDerivation(ctx, st, dir, dir.Print(t.drv))
		if err != nil {
			return err
		}
		paths = append(paths, drv.Outputs[t.output].Path)
		fmt.Fprintln(&out, drv.Outputs[t.output].Path)
	}
	if o.outLink != "" {
		if err := makeResultLinks(dir, o.outLink, targets, paths); err != nil {
			return err
		}
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

// resultLinkNames are nix-build's names for the targets' links: prefix
// for the first derivation, prefix-2, prefix-3, ... for the next ones (in
// the order they first appear), with -OUTPUT after it for outputs other
// than out.
func resultLinkNames(prefix string, targets []buildTarget) []string {
	counter := map[storepath.StorePath]int{}
	names := make([]string, len(targets))
	for i, t := range targets {
		n, ok := counter[t.drv]
		if !ok {
			n = len(counter)
			counter[t.drv] = n
		}
		name := prefix
		if n > 0 {
			name += fmt.Sprintf("-%d", n+1)
		}
		if t.output != "out" {
			name += "-" + t.output
		}
		names[i] = name
	}
	return names
}

// makeResultLinks links each target's output path under its nix-build
// name and registers the links as garbage collector roots.
func makeResultLinks(dir storepath.StoreDir, prefix string, targets []buildTarget, paths []string) error {
	home, err := govixHome()
	if err != nil {
		return err
	}
	roots := &gcroots.Roots{Dir: filepath.Join(home, "gcroots"), StoreDir: dir}
	for i, name := range resultLinkNames(prefix, targets) {
		p, err := dir.ParseCanonical(paths[i])
		if err != nil {
			return err
		}
		if _, err := roots.AddPermRoot(p, name); err != nil {
			return err
		}
	}
	return nil
}

// buildSession is what one govix build sets up: the display, and a graph
// builder per store (the evaluation's store for import from derivation,
// then the build's).
type buildSession struct {
	o       *buildOpts
	dir     storepath.StoreDir
	stderr  io.Writer
	disp    *buildDisplay
	closers []func()
	// builders are the graph builders made so far, by store.
	builders map[*store.Store]*graph.Builder
}

func (s *buildSession) close() {
	s.disp.close()
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// builder returns a graph builder working on st, made once per store.
func (s *buildSession) builder(ctx context.Context, st *store.Store) (*graph.Builder, error) {
	if b, ok := s.builders[st]; ok {
		return b, nil
	}
	o := s.o
	svc, closeSvc, err := buildService(ctx, o, st)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, closeSvc)
	subs, err := openSubstituters(ctx, o.substituters, o.trustedKeys, st)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() {
		for _, sub := range subs {
			sub.Close()
		}
	})
	keys, err := parseKeys(o.trustedKeys)
	if err != nil {
		return nil, err
	}
	home, err := govixHome()
	if err != nil {
		return nil, err
	}
	if s.builders == nil {
		s.builders = map[*store.Store]*graph.Builder{}
	}
	s.builders[st] = graph.New(graph.Options{
		Store:   st,
		Service: svc,
		Config: nixbuild.Config{
			StoreDir:     s.dir,
			Cores:        o.cores,
			BinSh:        o.binSh != "",
			SandboxPaths: o.sandboxPaths,
			Limits:       o.limits,
		},
		Jobs:         o.jobs,
		KeepGoing:    o.keepGoing,
		Substituters: subs,
		TrustedKeys:  keys,
		Logs:         graph.NewLogs(filepath.Join(home, "log")),
		Events:       s.disp.event,
	})
	return s.builders[st], nil
}

// realise builds what the evaluation imports from derivations (glue's
// Realise hook), in the evaluation's store.
func (s *buildSession) realise(ctx context.Context, st *store.Store, drvPath string, outputs []string) error {
	b, err := s.builder(ctx, st)
	if err != nil {
		return err
	}
	p, err := s.dir.ParseCanonical(drvPath)
	if err != nil {
		return err
	}
	report, err := b.Build(ctx, []graph.Target{{Drv: p, Outputs: outputs}}, false)
	if errors.Is(err, graph.ErrFailed) {
		reportFailures(s.stderr, s.dir, report)
	}
	return err
}

// instantiateForBuild runs the evaluation as govix instantiate does and
// returns its lines: drvPath or drvPath!output.
func instantiateForBuild(ctx context.Context, o *buildOpts, stdin io.Reader, stderr io.Writer,
	realise func(context.Context, *store.Store, string, []string) error) ([]string, error) {
	io_, err := parseInstantiateArgs(o.evalArgs)
	if err != nil {
		return nil, &exitError{code: 1, msg: "error: " + err.Error() + "\nTry 'govix build --help' for more information."}
	}
	if io_.evalOnly {
		return nil, &exitError{code: 1, msg: "error: --eval and --parse are not build flags"}
	}
	io_.realise = realise
	var out bytes.Buffer
	// nix-build does not warn about --add-root as nix-instantiate does.
	w := &dropLines{w: stderr, prefix: "warning: you did not specify '--add-root'"}
	if err := runInstantiate(ctx, io_, stdin, &out, w); err != nil {
		return nil, err
	}
	return strings.Fields(out.String()), nil
}

// dropLines writes to w except lines starting with prefix.
type dropLines struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (d *dropLines) Write(p []byte) (int, error) {
	d.buf = append(d.buf, p...)
	for {
		i := bytes.IndexByte(d.buf, '\n')
		if i < 0 {
			break
		}
		line := d.buf[:i+1]
		if !bytes.HasPrefix(line, []byte(d.prefix)) {
			if _, err := d.w.Write(line); err != nil {
				return 0, err
			}
		}
		d.buf = d.buf[i+1:]
	}
	return len(p), nil
}

// openBuildStore opens the store URL (or the default store).
func openBuildStore(ctx context.Context, url string) (*store.Store, error) {
	if url == "" {
		var err error
		if url, err = defaultStoreURL(); err != nil {
			return nil, err
		}
	}
	return backend.Open(ctx, url)
}

// buildService is the builder: a build daemon with --builder, else the
// local sandbox.
func buildService(ctx context.Context, o *buildOpts, st *store.Store) (build.Service, func(), error) {
	if o.builder != "" {
		c, err := grpcbuild.Dial(o.builder)
		if err != nil {
			return nil, nil, err
		}
		return c, func() { c.Close() }, nil
	}
	return localBuilder(ctx, st, o.binSh)
}

// localBuilder runs builds in runc containers on this machine.
func localBuilder(ctx context.Context, st *store.Store, binSh string) (build.Service, func(), error) {
	if os.Geteuid() != 0 {
		return nil, nil, errors.New("building in the sandbox needs root (runc); run as root or use --builder with a build daemon")
	}
	home, err := govixHome()
	if err != nil {
		return nil, nil, err
	}
	rt, err := sandbox.New(ctx, sandbox.Config{})
	if err != nil {
		return nil, nil, err
	}
	svc, err := oci.New(oci.Options{
		Store:    st.Castore(),
		Runtime:  rt,
		CacheDir: filepath.Join(home, "build", "inputs"),
		BinSh:    binSh,
	})
	if err != nil {
		rt.Close()
		return nil, nil, err
	}
	return svc, func() { rt.Close() }, nil
}

// openSubstituters opens each substituter; binary caches ingest straight
// into the store's castore, and check signatures against keys unless
// their URL names its own trusted-public-keys.
func openSubstituters(ctx context.Context, urls, keys []string, st *store.Store) ([]*store.Store, error) {
	var subs []*store.Store
	for _, u := range urls {
		if strings.HasPrefix(u, "nix+") && len(keys) > 0 {
			if pu, err := url.Parse(u); err == nil && !pu.Query().Has("trusted-public-keys") {
				q := pu.Query()
				q.Set("trusted-public-keys", strings.Join(keys, " "))
				pu.RawQuery = q.Encode()
				u = pu.String()
			}
		}
		s, err := backend.OpenWith(ctx, u, &backend.Options{IngestInto: st.Castore()})
		if err != nil {
			for _, s := range subs {
				s.Close()
			}
			return nil, fmt.Errorf("substituter %s: %w", u, err)
		}
		subs = append(subs, s)
	}
	return subs, nil
}

// reportFailures prints each failure as Nix does, with the log tail, and
// the derivations skipped because of it, and returns nix-build's exit
// status (0 when nothing failed).
func reportFailures(w io.Writer, dir storepath.StoreDir, r *graph.Report) int {
	if len(r.Failures) == 0 {
		return 0
	}
	// Nix's Worker::exitStatus: 100 plus bits for a builder that failed,
	// timed out or gave the wrong hash; 1 when only other things went
	// wrong (outputs missing or refused, say).
	mask := 0
	for _, f := range r.Failures {
		var be *graph.BuilderError
		var hm *nixbuild.HashMismatchError
		switch {
		case errors.As(f.Err, &be) && be.Failed.Last().OutputsFailed():
			// Nix shows no log for these: the builder did its part.
			fmt.Fprintln(w, "error: "+be.Error())
		case errors.As(f.Err, &be):
			last := be.Failed.Last()
			mask |= 0x04
			if last.Killed == "timeout" {
				mask |= 0x01
			}
			msg := "error: " + be.Error()
			lines := last.LastLines(10)
			if len(lines) > 0 {
				msg += fmt.Sprintf(";\n       last %d log lines:\n", len(lines))
				for _, l := range lines {
					msg += "       > " + l + "\n"
				}
				msg += fmt.Sprintf("       For full logs, run 'govix log %s'.", be.DrvPath)
			}
			fmt.Fprintln(w, msg)
		case errors.As(f.Err, &hm):
			mask |= 0x04 | 0x02
			fmt.Fprintln(w, "error: "+indentMsg(hm.Error()))
		default:
			fmt.Fprintln(w, "error: "+indentMsg(f.Err.Error()))
		}
	}
	// Nix names each dependent that could not be built and how many of
	// its inputs failed.
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "error: %d dependencies of derivation '%s' failed to build\n", s.FailedInputs, dir.Print(s.Drv))
	}
	if mask == 0 {
		return 1
	}
	return 0x60 | mask
}

// reportUnbuilt names the targets that were not built, when there are
// several, as Nix does.
func reportUnbuilt(ctx context.Context, w io.Writer, dir storepath.StoreDir, st *store.Store, targets []buildTarget) {
	var names []string
	for _, t := range targets {
		drv, err := graph.ReadDerivation(ctx, st, dir, dir.Print(t.drv))
		if err != nil {
			continue
		}
		p, err := dir.ParseCanonical(drv.Outputs[t.output].Path)
		if err != nil {
			continue
		}
		if info, err := st.PathInfo.Get(ctx, p.Digest); err == nil && info.StorePath == p {
			continue
		}
		names = append(names, "'"+dir.Print(t.drv)+"'")
	}
	sort.Strings(names)
	names = slices.Compact(names)
	if len(names) > 1 {
		fmt.Fprintf(w, "error: build of %s failed\n", strings.Join(names, ", "))
	}
}

// reportChecks prints what --check found and returns the exit status bit
// for a difference.
func reportChecks(w io.Writer, dir storepath.StoreDir, r *graph.Report) int {
	code := 0
	for _, c := range r.Checks {
		for _, o := range c.Outputs {
			if o.Identical {
				fmt.Fprintf(w, "output '%s' of '%s' is bit-identical\n", dir.Print(o.Path), dir.Print(c.Drv))
				continue
			}
			code = 0x60 | 0x08
			fmt.Fprintf(w, "error: derivation '%s' may not be deterministic: output '%s' differs\n", dir.Print(c.Drv), dir.Print(o.Path))
			for _, f := range o.Differences {
				if f == "" {
					f = "(the output itself)"
				}
				fmt.Fprintf(w, "       differs: %s\n", f)
			}
		}
	}
	return code
}

// indentMsg indents continuation lines as Nix prints error messages.
func indentMsg(s string) string { return strings.ReplaceAll(s, "\n", "\n       ") }
