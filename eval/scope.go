package eval

import (
	"context"
	"slices"

	"github.com/govix/govix/eval/syntax"
)

// EvalSourceIn is EvalSource with the attributes of vars bound as
// variables around src, shadowing the builtins of the same name (as the
// REPL's bindings and builtins.scopedImport do). A nil vars is the empty
// scope.
func (ev *Evaluator) EvalSourceIn(ctx context.Context, name, baseDir string, src []byte, vars *Attrs) (Value, error) {
	var v Value
	err := ev.run(ctx, func() {
		n, env := ev.compileIn(name, baseDir, src, vars)
		v = n.eval(ev, env)
	})
	return v, err
}

// LazySourceIn is LazySource with the attributes of vars bound as
// variables: it returns src's value unevaluated (a thunk), so that binding
// `x = EXPR` in the REPL evaluates EXPR only when x is used.
func (ev *Evaluator) LazySourceIn(name, baseDir string, src []byte, vars *Attrs) (Value, error) {
	var v Value
	err := ev.run(context.Background(), func() {
		n, env := ev.compileIn(name, baseDir, src, vars)
		v = ev.lazy(n, env)
	})
	return v, err
}

// compileIn parses and compiles src in a scope of vars' attributes and
// returns its code and the environment holding their values.
func (ev *Evaluator) compileIn(name, baseDir string, src []byte, vars *Attrs) (node, *Env) {
	if vars == nil || vars.Len() == 0 {
		return ev.compileFile(ev.parse(name, src), baseDir, nil), ev.rootEnv
	}
	// The parser reports undefined variables; vars are defined.
	opts := ev.parseOptions()
	globals := opts.Globals
	opts.Globals = func(n string) bool {
		if s, ok := ev.symbols.lookup(n); ok && vars.get(ev.symbols, s) != nil {
			return true
		}
		return globals(n)
	}
	e, err := syntax.Parse(ev.fset, name, src, opts)
	if err != nil {
		ev.raiseParseError(err)
	}
	all := vars.all()
	sc := &scope{names: make([]string, len(all))}
	env := newEnv(nil, len(all))
	for i, a := range all {
		sc.names[i] = ev.symbols.name(a.Name)
		env.set(i, a.Value)
	}
	return ev.compileFile(e, baseDir, sc), env
}

// GlobalNames returns the names of the base environment's variables
// (builtins, true, map, import, __add, ...), sorted: what is in scope in
// every file, for completion.
func (ev *Evaluator) GlobalNames() []string {
	out := make([]string, 0, len(ev.globals))
	for name := range ev.globals {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// ResetFileCache forgets the files evaluated and parsed so far, so that
// the next import reads them again (the REPL's :l and :r). Values already
// computed from them are kept.
func (ev *Evaluator) ResetFileCache() {
	clear(ev.files)
	clear(ev.parsed)
	if c, ok := ev.io.(*cachingIO); ok {
		c.reset()
	}
}
