package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/eval/syntax"
	"github.com/govix/govix/store"
)

// newInstantiateCmd is `govix instantiate`, a drop-in for nix-instantiate.
// Its flags follow Nix's own parser (--arg takes two arguments), so cobra's
// flag parsing is off and parseInstantiateArgs does it.
func newInstantiateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "instantiate [options] [FILE... | -]",
		Short: "Evaluate Nix expressions like nix-instantiate",
		Long: `Evaluate Nix expressions like nix-instantiate, with the same flags, output and
exit status:

  --eval                evaluate and print the result (otherwise: write derivations)
  --strict              evaluate the result completely
  --json | --xml | --raw   output format; --no-location leaves positions out of XML
  --parse               parse only and print the syntax tree
  -E, --expr            the arguments are expressions, not files; - reads standard input
  -A, --attr PATH       select an attribute path (repeatable)
  --arg NAME EXPR, --argstr NAME STRING   arguments for a top-level function
  -I PATH               add to the search path for <...>
  --show-trace          print the full error trace
  --max-call-depth N, --extra-experimental-features F, --impure, --pure-eval,
  --lint-{url,absolute-path,short-path}-literals {ignore,warn,fatal},
  --option NAME VALUE, --read-write-mode (accepted)`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return cmd.Help()
				}
			}
			opts, err := parseInstantiateArgs(args)
			if err != nil {
				return &exitError{code: 1, msg: "error: " + err.Error() + "\nTry 'govix instantiate --help' for more information."}
			}
			return runInstantiate(cmd.Context(), opts, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

// instantiateOpts are the parsed flags of `govix instantiate`.
type instantiateOpts struct {
	files                       []string
	readStdin, fromArgs         bool
	evalOnly, parseOnly, strict bool
	json, xml, raw, location    bool
	attrPaths                   []string
	autoArgs                    []autoArg
	showTrace                   bool
	evalOpts                    eval.Options
	findFile, readWrite         bool
	storeURL                    string // --store
	// realise builds outputs the evaluation reads (import from
	// derivation); govix build sets it.
	realise func(ctx context.Context, st *store.Store, drvPath string, outputs []string) error
}

// autoArg is one --arg or --argstr.
type autoArg struct {
	name, value string
	isString    bool
}

// settings understood by --option NAME VALUE and --NAME VALUE.
func applySetting(o *instantiateOpts, name, value string) error {
	switch name {
	case "max-call-depth":
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			return fmt.Errorf("invalid value '%s' for setting 'max-call-depth'", value)
		}
		o.evalOpts.MaxCallDepth = n
	case "extra-experimental-features", "experimental-features":
		o.evalOpts.ExperimentalFeatures = append(o.evalOpts.ExperimentalFeatures, strings.Fields(value)...)
	case "pure-eval":
		o.evalOpts.PureEval = value == "true"
	case "lint-url-literals", "lint-absolute-path-literals", "lint-short-path-literals":
		switch value {
		case "ignore", "warn", "fatal":
		default:
			return fmt.Errorf("invalid value '%s' for setting '%s'", value, name)
		}
		if o.evalOpts.Lint == nil {
			o.evalOpts.Lint = map[string]string{}
		}
		o.evalOpts.Lint[strings.TrimPrefix(name, "lint-")] = value
	case "show-trace":
		o.showTrace = value == "true"
	case "system":
		o.evalOpts.System = value
	case "store":
		o.storeURL = value
	case "restrict-eval", "allow-import-from-derivation", "nix-path", "eval-cache", "allowed-uris",
		"trace-verbose", "sandbox", "substituters", "builders", "warn-dirty", "keep-going":
		// Accepted; they do not change pure evaluation.
	default:
		return fmt.Errorf("unknown setting '%s'", name)
	}
	return nil
}

// parseInstantiateArgs parses nix-instantiate's command line.
func parseInstantiateArgs(args []string) (*instantiateOpts, error) {
	o := &instantiateOpts{location: true}
	need := func(i, n int, flag string) error {
		if i+n >= len(args) {
			return fmt.Errorf("flag '%s' requires %d argument(s)", flag, n)
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a {
		case "-":
			o.readStdin = true
		case "--expr", "-E":
			o.fromArgs = true
		case "--eval", "--eval-only":
			o.evalOnly = true
		case "--read-write-mode":
			o.readWrite = true
		case "--parse", "--parse-only":
			o.parseOnly, o.evalOnly = true, true
		case "--find-file":
			o.findFile = true
		case "--attr", "-A":
			if err := need(i, 1, a); err != nil {
				return nil, err
			}
			i++
			o.attrPaths = append(o.attrPaths, args[i])
		case "--add-root":
			if err := need(i, 1, a); err != nil {
				return nil, err
			}
			i++
		case "--indirect", "--dry-run", "--repair", "--impure", "--no-show-trace", "--quiet", "--verbose", "-v", "-Q":
			if a == "--impure" {
				o.evalOpts.PureEval = false
			}
			if a == "--no-show-trace" {
				o.showTrace = false
			}
		case "--pure-eval":
			o.evalOpts.PureEval = true
		case "--raw":
			o.raw = true
		case "--xml":
			o.xml = true
		case "--json":
			o.json = true
		case "--no-location":
			o.location = false
		case "--strict":
			o.strict = true
		case "--show-trace":
			o.showTrace = true
		case "--arg", "--argstr":
			if err := need(i, 2, a); err != nil {
				return nil, err
			}
			o.autoArgs = append(o.autoArgs, autoArg{name: args[i+1], value: args[i+2], isString: a == "--argstr"})
			i += 2
		case "-I", "--include":
			if err := need(i, 1, a); err != nil {
				return nil, err
			}
			i++
			o.evalOpts.SearchPath = append(o.evalOpts.SearchPath, args[i])
		case "--option":
			if err := need(i, 2, a); err != nil {
				return nil, err
			}
			if err := applySetting(o, args[i+1], args[i+2]); err != nil {
				return nil, err
			}
			i += 2
		default:
			if strings.HasPrefix(a, "-I") && len(a) > 2 {
				o.evalOpts.SearchPath = append(o.evalOpts.SearchPath, a[2:])
				continue
			}
			if strings.HasPrefix(a, "--") {
				name := a[2:]
				if err := need(i, 1, a); err == nil {
					if err := applySetting(o, name, args[i+1]); err == nil {
						i++
						continue
					} else if !strings.HasPrefix(err.Error(), "unknown setting") {
						return nil, err
					}
				}
				return nil, fmt.Errorf("unrecognised flag '%s'", a)
			}
			if strings.HasPrefix(a, "-") && a != "-" {
				return nil, fmt.Errorf("unrecognised flag '%s'", a)
			}
			o.files = append(o.files, a)
		}
	}
	return o, nil
}

// runInstantiate evaluates and prints as nix-instantiate does.
func runInstantiate(ctx context.Context, o *instantiateOpts, stdin io.Reader, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	tuneGCForBatch()
	if f := os.Getenv("GOVIX_CPUPROFILE"); f != "" {
		stop, err := startCPUProfile(f)
		if err != nil {
			return err
		}
		defer stop()
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	o.evalOpts.Cwd = cwd
	if sd := os.Getenv("NIX_STORE_DIR"); sd != "" {
		o.evalOpts.StoreDir = sd
	}
	o.evalOpts.Stderr = stderr
	st := newInstantiateStore(o, stderr) // instantiate_store.go
	defer st.close()
	ev := eval.New(o.evalOpts)
	out := bufio.NewWriter(stdout)
	defer out.Flush()

	fail := func(err error) error {
		out.Flush()
		var ee *eval.Error
		if errors.As(err, &ee) {
			return &exitError{code: 1, msg: ee.Format(o.showTrace)}
		}
		return &exitError{code: 1, msg: "error: " + err.Error()}
	}

	// --arg and --argstr values.
	args := map[string]eval.Value{}
	for _, a := range o.autoArgs {
		if a.isString {
			args[a.name] = eval.Str(a.value)
			continue
		}
		v, err := ev.LazySource("«string»", cwd, []byte(a.value))
		if err != nil {
			return fail(err)
		}
		args[a.name] = v
	}
	autoArgs := ev.NewAttrs(args)

	attrPaths := o.attrPaths
	if len(attrPaths) == 0 {
		attrPaths = []string{""}
	}

	process := func(name, baseDir string, src []byte, file string) error {
		if o.parseOnly {
			e, err := ev.Parse(name, src)
			if err != nil {
				return fail(err)
			}
			home, _ := os.LookupEnv("HOME")
			if err := syntax.Print(out, e, syntax.PrintOptions{BaseDir: baseDir, HomeDir: home, FileSet: ev.FileSet()}); err != nil {
				return err
			}
			fmt.Fprintln(out)
			return nil
		}
		var root eval.Value
		var err error
		if file != "" {
			root, err = ev.EvalFile(ctx, file)
		} else {
			root, err = ev.EvalSource(ctx, name, baseDir, src)
		}
		if err != nil {
			return fail(err)
		}
		for _, ap := range attrPaths {
			v, err := ev.SelectPath(ctx, root, ap, autoArgs)
			if err != nil {
				return fail(err)
			}
			if !o.evalOnly {
				lines, err := st.derivations(ctx, ev, v, autoArgs)
				if err != nil {
					return fail(err)
				}
				for _, l := range lines {
					fmt.Fprintln(out, l)
				}
				continue
			}
			if autoArgs.Len() > 0 {
				if v, err = ev.AutoCall(ctx, v, autoArgs); err != nil {
					return fail(err)
				}
			}
			switch {
			case o.raw:
				s, err := ev.CoerceToString(ctx, v)
				if err != nil {
					return fail(err)
				}
				io.WriteString(out, s)
			case o.xml:
				err = ev.WriteXML(ctx, out, v, o.strict, o.location)
			case o.json:
				err = ev.WriteJSON(ctx, out, v, o.strict)
			default:
				err = ev.WriteValue(ctx, out, v, o.strict)
			}
			if err != nil {
				return fail(err)
			}
		}
		return nil
	}

	// With GOVIX_MEMPROFILE, the heap profile is taken while the
	// evaluator's values are still alive.
	defer func() {
		if os.Getenv("GOVIX_MEMPROFILE") != "" {
			runtime.GC()
			runtime.KeepAlive(ev)
		}
	}()

	if o.findFile {
		for _, f := range o.files {
			v, err := ev.EvalSource(ctx, "«string»", cwd, []byte("<"+f+">"))
			if err != nil {
				return fail(err)
			}
			fmt.Fprintln(out, v)
		}
		return nil
	}

	if o.readStdin {
		src, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		if err := process("«stdin»", cwd, src, ""); err != nil {
			return err
		}
	} else if len(o.files) == 0 && !o.fromArgs {
		o.files = append(o.files, "./default.nix")
	}
	for _, f := range o.files {
		if o.fromArgs {
			if err := process("«string»", cwd, []byte(f), ""); err != nil {
				return err
			}
			continue
		}
		p := f
		if strings.HasPrefix(p, "<") && strings.HasSuffix(p, ">") {
			v, err := ev.EvalSource(ctx, "«string»", cwd, []byte(p))
			if err != nil {
				return fail(err)
			}
			pv, ok := v.(eval.Path)
			if !ok {
				return fail(fmt.Errorf("cannot find '%s'", p))
			}
			p = string(pv)
		} else if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		if o.parseOnly {
			src, err := os.ReadFile(p)
			if err != nil {
				return fail(err)
			}
			if err := process(p, filepath.Dir(p), src, ""); err != nil {
				return err
			}
			continue
		}
		if err := process(p, filepath.Dir(p), nil, p); err != nil {
			return err
		}
	}
	if err := st.flush(ctx); err != nil {
		return fail(err)
	}
	return nil
}

// startCPUProfile writes a CPU profile to file until stop is called (set
// GOVIX_CPUPROFILE to profile an evaluation; GOVIX_MEMPROFILE adds a heap
// profile written at the end).
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		if mf := os.Getenv("GOVIX_MEMPROFILE"); mf != "" {
			if w, err := os.Create(mf); err == nil {
				pprof.Lookup("allocs").WriteTo(w, 0)
				w.Close()
			}
		}
	}, nil
}

// tuneGCForBatch sets the garbage collector's pacing for one batch
// evaluation, which allocates much and frees little until it ends: no
// collection until the heap reaches 160 MiB (small evaluations never
// collect, as with Nix, whose Boehm heap starts at 384 MiB), then the next
// collection when the heap reaches nextGCLimit of what the last one left
// alive: up to gcGrowth (8) times as much while that is little, never less
// than twice as much (Go's default pacing) when it is a lot.
//
// Measured on bench/eval: collecting later costs page faults on fresh
// memory, more often costs marking a heap that is mostly alive. On
// auxcore (338 MB allocated, 40 MB alive after the first collection):
// growing 3x collected three times (marking 37, 68 and 99 MB), 4x twice
// (41 and 69 MB) at 0.58x Nix's peak RSS, this once, 12% less CPU at 0.76x
// Nix's peak RSS. The micro benchmarks' peaks do not move. GOGC or
// GOMEMLIMIT in the environment disable this; GOVIX_GC_BUDGET_MB,
// GOVIX_GC_GROWTH and GOVIX_GC_HEADROOM_MB tune it.
func tuneGCForBatch() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	floor := int64(gcBudgetMB()) << 20
	growth := gcGrowth()
	headroom := int64(gcHeadroomMB()) << 20
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(floor)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	// The finalizer of an unreachable object runs after each collection;
	// it sets the next limit and arms the next one.
	var arm func()
	arm = func() {
		runtime.SetFinalizer(new([16]byte), func(*[16]byte) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				live := int64(sample[0].Value.Uint64())
				debug.SetMemoryLimit(nextGCLimit(live, floor, growth, headroom))
			}
			arm()
		})
	}
	arm()
}

// nextGCLimit is the heap size at which to collect next, when the last
// collection left live bytes alive: growth times live but at most
// headroom more, at least twice live, and never below floor.
func nextGCLimit(live, floor int64, growth float64, headroom int64) int64 {
	return max(floor, 2*live, min(int64(growth*float64(live)), live+headroom))
}

func gcHeadroomMB() int {
	if v, err := strconv.Atoi(os.Getenv("GOVIX_GC_HEADROOM_MB")); err == nil && v > 0 {
		return v
	}
	return 256
}

func gcBudgetMB() int {
	if v, err := strconv.Atoi(os.Getenv("GOVIX_GC_BUDGET_MB")); err == nil {
		return v
	}
	return 160
}

func gcGrowth() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("GOVIX_GC_GROWTH"), 64); err == nil && v > 1 {
		return v
	}
	return 8
}
