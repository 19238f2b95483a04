package eval

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/govix/govix/eval/syntax"
)

// Options configure an Evaluator. The zero value is usable: the real file
// system, no store, Nix's defaults.
type Options struct {
	// IO is the door to files, environment and time; nil means OSIO().
	IO IO
	// Store, when set, lets paths be copied to the store; see Store.
	Store Store
	// StoreDir is builtins.storeDir; default "/nix/store".
	StoreDir string
	// MaxCallDepth bounds nested calls (Nix's max-call-depth, default
	// 10000); deeper evaluation fails with "stack overflow".
	MaxCallDepth int
	// SearchPath is the lookup path for <...> (the -I entries, then
	// NIX_PATH), each "prefix=path" or "path".
	SearchPath []string
	// System is builtins.currentSystem; default the machine's
	// ("x86_64-linux" on amd64 Linux).
	System string
	// PureEval hides impure builtins (currentTime, currentSystem, getEnv)
	// as Nix's --pure-eval does.
	PureEval bool
	// ExperimentalFeatures enables features by name (e.g.
	// "pipe-operators", "parse-toml-timestamps").
	ExperimentalFeatures []string
	// Builtins adds builtins or replaces existing ones of the same name
	// (the glue package supplies derivationStrict, toFile, fetchers...).
	Builtins []*Builtin
	// Stderr receives builtins.trace output and warnings; nil means
	// os.Stderr.
	Stderr io.Writer
	// InternalFiles are Nix's internal files, <nix/NAME> (such as
	// fetchurl.nix, supplied by the store glue), by NAME.
	InternalFiles map[string][]byte
	// Cwd is the directory relative search path entries (-I lang/dir) are
	// resolved against; default "/".
	Cwd string
	// Lint sets the level of the literal lints by name
	// ("absolute-path-literals", "short-path-literals", "url-literals")
	// to "warn" or "fatal".
	Lint map[string]string
}

// Evaluator evaluates Nix expressions. It caches parsed and evaluated
// files, so evaluating many expressions with one Evaluator shares work.
// An Evaluator is not safe for concurrent use.
type Evaluator struct {
	opts    Options
	io      IO
	store   Store
	fset    *syntax.FileSet
	symbols *symbolTable
	ctx     context.Context
	stderr  io.Writer

	// The evaluation stacks: trace frames, thunks being forced, and
	// arguments of calls in progress.
	frames        []frame
	forcing       []forcingEntry
	args          []Value
	callDepth     int
	maxCallDepth  int
	maxForceDepth int
	cancelCheck   uint32

	globals    map[string]Value // the base environment, by name
	builtins   *Attrs
	files      map[string]Value   // evaluated files (import), by resolved path
	parsed     map[string]*parsed // parsed files, by path
	copied     map[string]string  // paths copied to the store
	freeEnv1   []*Env             // environments of non-capturing functions, for reuse
	symStrings []*String          // symbol names as string values (attrNames)
	features   map[string]bool
	startTime  time.Time
	s          wellKnown
	rootEnv    *Env
}

// wellKnown holds symbols the evaluator uses itself.
type wellKnown struct {
	outPath, typ, functor, toString, file, line, column, value, success, name, drvPath, outputName Sym
}

//go:embed derivation.nix
var derivationSource string

// New returns an evaluator with the given options.
func New(opts Options) *Evaluator {
	ev := &Evaluator{
		opts:    opts,
		io:      opts.IO,
		store:   opts.Store,
		fset:    syntax.NewFileSet(),
		symbols: newSymbolTable(),
		ctx:     context.Background(),
		stderr:  opts.Stderr,
		files:   map[string]Value{},
		parsed:  map[string]*parsed{},
		copied:  map[string]string{},
		rootEnv: &Env{},
	}
	if ev.io == nil {
		ev.io = OSIO()
	}
	if ev.opts.StoreDir == "" {
		ev.opts.StoreDir = "/nix/store"
	}
	ev.io = newCachingIO(ev.io, ev.opts.StoreDir)
	if ev.stderr == nil {
		ev.stderr = os.Stderr
	}
	if ev.opts.StoreDir == "" {
		ev.opts.StoreDir = "/nix/store"
	}
	if ev.opts.System == "" {
		ev.opts.System = defaultSystem()
	}
	ev.maxCallDepth = opts.MaxCallDepth
	if ev.maxCallDepth <= 0 {
		ev.maxCallDepth = 10000
	}
	// Forcing nested thunks uses the Go stack without calls; bound it so
	// that the Go runtime's own stack limit is never reached.
	// (Nix's own limit is its 64 MiB C++ stack: about 60,000 nested
	// thunks.)
	ev.maxForceDepth = 10 * ev.maxCallDepth
	if ev.maxForceDepth < 100000 {
		ev.maxForceDepth = 100000
	}
	ev.features = map[string]bool{}
	for _, f := range opts.ExperimentalFeatures {
		ev.features[f] = true
	}
	ev.startTime = ev.io.Now()
	sy := ev.symbols
	ev.s = wellKnown{
		outPath: sy.intern("outPath"), typ: sy.intern("type"), functor: sy.intern("__functor"),
		toString: sy.intern("__toString"), file: sy.intern("file"), line: sy.intern("line"),
		column: sy.intern("column"), value: sy.intern("value"), success: sy.intern("success"),
		name: sy.intern("name"), drvPath: sy.intern("drvPath"), outputName: sy.intern("outputName"),
	}
	ev.initBuiltins()
	return ev
}

func defaultSystem() string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "riscv64": "riscv64"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return arch + "-" + runtime.GOOS
}

// FileSet returns the file set positions in errors and values refer to.
func (ev *Evaluator) FileSet() *syntax.FileSet { return ev.fset }

// run executes f with evaluation errors recovered into the returned error.
// Stacks are restored, so the evaluator stays usable after an error.
func (ev *Evaluator) run(ctx context.Context, f func()) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	prevCtx := ev.ctx
	ev.ctx = ctx
	saved := ev.save()
	defer func() {
		ev.ctx = prevCtx
		r := recover()
		if r == nil {
			return
		}
		e, ok := r.(*Error)
		if !ok {
			e = &Error{Kind: InternalError, Msg: fmt.Sprintf("internal error: %v\n%s", r, debug.Stack()), ev: ev}
		}
		ev.caught(saved, e)
		err = e
	}()
	f()
	return nil
}

// checkInterrupt raises Interrupted when the evaluation's context is done.
func (ev *Evaluator) checkInterrupt() {
	if err := ev.ctx.Err(); err != nil {
		ev.raise(Interrupted, syntax.NoPos, "evaluation interrupted: %v", err)
	}
}

// EvalSource parses and evaluates src. name is the file name shown in
// positions («string» for -E, «stdin» for standard input, else a path);
// baseDir is the directory relative paths are resolved against.
func (ev *Evaluator) EvalSource(ctx context.Context, name, baseDir string, src []byte) (Value, error) {
	var v Value
	err := ev.run(ctx, func() {
		e := ev.parse(name, src)
		n := ev.compileFile(e, baseDir, nil)
		v = n.eval(ev, ev.rootEnv)
	})
	return v, err
}

// LazySource parses and compiles src like EvalSource but returns an
// unevaluated thunk (nix-instantiate's --arg values are lazy).
func (ev *Evaluator) LazySource(name, baseDir string, src []byte) (Value, error) {
	var v Value
	err := ev.run(context.Background(), func() {
		e := ev.parse(name, src)
		n := ev.compileFile(e, baseDir, nil)
		v = ev.lazy(n, ev.rootEnv)
	})
	return v, err
}

// EvalFile evaluates a file as import does (a directory means its
// default.nix).
func (ev *Evaluator) EvalFile(ctx context.Context, path string) (Value, error) {
	var v Value
	err := ev.run(ctx, func() { v = ev.importPathFrame(syntax.NoPos, canonPath(path), false) })
	return v, err
}

// Parse parses src without evaluating it.
func (ev *Evaluator) Parse(name string, src []byte) (syntax.Expr, error) {
	var e syntax.Expr
	err := ev.run(context.Background(), func() { e = ev.parse(name, src) })
	return e, err
}

// Force evaluates v to weak head normal form.
func (ev *Evaluator) Force(ctx context.Context, v Value) (Value, error) {
	var r Value
	err := ev.run(ctx, func() { r = ev.force(v) })
	return r, err
}

// ForceDeep evaluates v completely (as --strict and deepSeq do).
func (ev *Evaluator) ForceDeep(ctx context.Context, v Value) error {
	return ev.run(ctx, func() { ev.forceDeep(v) })
}

// Call applies the function f to args and forces the result.
func (ev *Evaluator) Call(ctx context.Context, f Value, args ...Value) (Value, error) {
	var r Value
	err := ev.run(ctx, func() { r = ev.apply(f, syntax.NoPos, args...) })
	return r, err
}

// AutoCall calls f with args (a set) if it is a function taking a set,
// supplying only the arguments it names unless it has "...", as
// nix-instantiate does with --arg and --argstr. Other values are returned
// as they are.
func (ev *Evaluator) AutoCall(ctx context.Context, f Value, args *Attrs) (Value, error) {
	var r Value
	err := ev.run(ctx, func() { r = ev.autoCall(f, args) })
	return r, err
}

func (ev *Evaluator) autoCall(f Value, args *Attrs) Value {
	f = ev.force(f)
	if a, ok := f.(*Attrs); ok {
		if fa := a.get(ev.symbols, ev.s.functor); fa != nil {
			v := ev.apply(fa.Value, fa.Pos, a)
			return ev.autoCall(v, args)
		}
	}
	l, ok := f.(*Lambda)
	if !ok || !l.fn.hasForms {
		return f
	}
	var attrs []Attr
	if l.fn.ellipsis {
		attrs = append(attrs, args.all()...)
	} else {
		for _, fm := range l.fn.formals {
			if a := args.get(ev.symbols, fm.name); a != nil {
				attrs = append(attrs, *a)
			} else if fm.def == nil {
				ev.raise(MissingArgument, fm.at, "cannot evaluate a function that has an argument without a value ('%s')\n"+
					"Nix attempted to evaluate a function as a top level expression; in\n"+
					"this case it must have its arguments supplied either by default\n"+
					"values, or passed explicitly with '--arg' or '--argstr'. See\n"+
					"https://nix.dev/manual/nix/stable/language/syntax.html#functions.", ev.symbols.name(fm.name))
			}
		}
	}
	return ev.call1(l, ev.makeAttrs(attrs, true), l.fn.at)
}

// SelectPath follows an attribute path such as "a.b.0.c" (numbers index
// lists) from v, as nix-instantiate -A does, calling functions on the way
// with args.
func (ev *Evaluator) SelectPath(ctx context.Context, v Value, path string, args *Attrs) (Value, error) {
	var r Value
	err := ev.run(ctx, func() { r = ev.selectPath(v, path, args) })
	return r, err
}

func (ev *Evaluator) selectPath(v Value, path string, args *Attrs) Value {
	if args == nil {
		args = emptyAttrs
	}
	names, err := parseAttrPath(path)
	if err != nil {
		ev.raise(EvalError, syntax.NoPos, "%s", err.Error())
	}
	for _, name := range names {
		v = ev.autoCall(v, args)
		if idx, ok := parseIndex(name); ok {
			l, isList := v.(*List)
			if !isList {
				ev.raise(TypeError, syntax.NoPos, "the expression selected by the selection path '%s' should be a list but is %s: %s",
					path, showType(v), ev.errorValue(v))
			}
			if idx >= len(l.elems) {
				ev.raise(EvalError, syntax.NoPos, "list index %d in selection path '%s' is out of range", idx, path)
			}
			v = ev.force(l.elems[idx])
			continue
		}
		a, isAttrs := v.(*Attrs)
		if !isAttrs {
			ev.raise(TypeError, syntax.NoPos, "the expression selected by the selection path '%s' should be a set but is %s: %s",
				path, showType(v), ev.errorValue(v))
		}
		s := ev.symbols.intern(name)
		at := a.get(ev.symbols, s)
		if at == nil {
			e := ev.newError(EvalError, syntax.NoPos, fmt.Sprintf("attribute '%s' in selection path '%s' not found", name, path))
			e.Suggestions = suggest(ev.AttrNames(a), name)
			panic(e)
		}
		v = ev.force(at.Value)
	}
	return v
}

func parseIndex(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1<<30 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseAttrPath splits "a.b.\"c.d\"" into names, as Nix's parseAttrPath.
func parseAttrPath(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '.':
			out = append(out, cur.String())
			cur.Reset()
		case c == '"':
			i++
			for {
				if i == len(s) {
					return nil, fmt.Errorf("missing closing quote in selection path '%s'", s)
				}
				if s[i] == '"' {
					break
				}
				cur.WriteByte(s[i])
				i++
			}
		default:
			cur.WriteByte(c)
		}
		i++
	}
	if cur.Len() > 0 || len(out) > 0 {
		out = append(out, cur.String())
	}
	return out, nil
}

// NewAttrs returns a set of the given names and values.
func (ev *Evaluator) NewAttrs(m map[string]Value) *Attrs {
	b := ev.NewAttrsBuilder(len(m))
	for k, v := range m {
		b.Set(k, v)
	}
	return b.Attrs()
}

// home returns $HOME for ~ paths.
func (ev *Evaluator) home() string {
	h, _ := ev.io.Getenv("HOME")
	return h
}

// posValue returns the { file, line, column } set for a position
// (__curPos, unsafeGetAttrPos), or null for positions not in a file.
func (ev *Evaluator) posValue(p syntax.Pos) Value {
	if !p.IsValid() {
		return vNull
	}
	pos := ev.fset.Position(p)
	if !strings.HasPrefix(pos.Filename, "/") {
		return vNull
	}
	return flatAttrs(ev.sortedAttrs(
		Attr{Name: ev.s.column, Value: Int(pos.Column)},
		Attr{Name: ev.s.file, Value: Str(pos.Filename)},
		Attr{Name: ev.s.line, Value: Int(pos.Line)},
	))
}

// sortedAttrs sorts a few attributes by name.
func (ev *Evaluator) sortedAttrs(attrs ...Attr) []Attr {
	sortAttrs(ev.symbols, attrs)
	return attrs
}

// CoerceToString converts v to a string as string interpolation does
// (nix-instantiate --raw), copying paths to the store.
func (ev *Evaluator) CoerceToString(ctx context.Context, v Value) (string, error) {
	var s string
	err := ev.run(ctx, func() {
		s, _ = ev.coerceToString(syntax.NoPos, ev.force(v), "while generating the nix-instantiate output", false, true, true)
	})
	return s, err
}
