package eval

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// parsed is a parsed file, cached by path: its syntax tree and its code
// compiled for the top-level scope (scopedImport compiles it again for
// each scope).
type parsed struct {
	expr syntax.Expr
	code node
}

// parse parses src as a file named name, raising parse errors.
func (ev *Evaluator) parse(name string, src []byte) syntax.Expr {
	e, err := syntax.Parse(ev.fset, name, src, ev.parseOptions())
	if err != nil {
		ev.raiseParseError(err)
	}
	return e
}

func (ev *Evaluator) raiseParseError(err error) {
	var se *syntax.Error
	if errors.As(err, &se) {
		e := ev.newError(ParseError, syntax.NoPos, se.Msg)
		e.Pos = ev.posOf(se.Pos)
		panic(e)
	}
	ev.raise(ParseError, syntax.NoPos, "%s", err.Error())
}

// posOf finds the compact Pos of a decoded position (parse errors carry
// decoded positions).
func (ev *Evaluator) posOf(p syntax.Position) syntax.Pos {
	if !p.IsValid() {
		return syntax.NoPos
	}
	for base := 1; ; {
		f := ev.fset.File(syntax.Pos(base))
		if f == nil {
			return syntax.NoPos
		}
		if f.Name() == p.Filename && p.Offset <= f.Size() {
			// The last file of that name is the one just parsed.
			next := ev.fset.File(syntax.Pos(f.Base() + f.Size() + 1))
			if next == nil || next.Name() != p.Filename {
				return f.Pos(p.Offset)
			}
		}
		base = f.Base() + f.Size() + 1
	}
}

// compileFile compiles a parsed file. extra, for scopedImport, is a scope
// of names bound around the file (by the root environment's slots).
func (ev *Evaluator) compileFile(e syntax.Expr, baseDir string, extra *scope) node {
	c := &compiler{ev: ev, baseDir: baseDir}
	return c.compile(e, extra)
}

// importPath evaluates the file at path (a directory means its
// default.nix), caching the result: importing a file twice gives the
// same value.
func (ev *Evaluator) importPath(pos syntax.Pos, p string) Value {
	return ev.importPathFrame(pos, p, true)
}

// importPathFrame is importPath; withFrame adds "while evaluating the file"
// to the trace of errors (not for the file nix-instantiate is given).
func (ev *Evaluator) importPathFrame(pos syntax.Pos, p string, withFrame bool) Value {
	p = ev.resolveExprPath(pos, p)
	if v, ok := ev.files[p]; ok {
		return ev.force(v)
	}
	pf := ev.parseFile(pos, p, false)
	if pf.code == nil {
		pf.code = ev.compileFile(pf.expr, path.Dir(p), nil)
		// The syntax tree is not needed any more (scopedImport parses
		// again, without the scope check).
		pf.expr = nil
	}
	t := &Thunk{env: ev.rootEnv, v: pf.code}
	ev.files[p] = t
	if !withFrame {
		return ev.force(t)
	}
	ev.pushFrame(frame{kind: frameImport, p: p})
	v := ev.force(t)
	ev.popFrame()
	return v
}

// scopedImport evaluates the file at path with the attributes of scope
// bound as variables around it (not cached).
func (ev *Evaluator) scopedImport(pos syntax.Pos, scopeAttrs *Attrs, p string) Value {
	p = ev.resolveExprPath(pos, p)
	pf := ev.parseFile(pos, p, true)
	sc := &scope{names: make([]string, scopeAttrs.Len())}
	env := newEnv(nil, scopeAttrs.Len())
	for i, a := range scopeAttrs.all() {
		sc.names[i] = ev.symbols.name(a.Name)
		env.set(i, a.Value)
	}
	code := ev.compileFile(pf.expr, path.Dir(p), sc)
	ev.pushFrame(frame{kind: frameImport, p: p})
	v := code.eval(ev, env)
	ev.popFrame()
	return v
}

// resolveExprPath turns a directory into its default.nix.
func (ev *Evaluator) resolveExprPath(pos syntax.Pos, p string) string {
	// Follow symlinks to the final file, as Nix does.
	for range 1024 {
		fi, err := ev.io.Lstat(ev.ctx, p)
		if err != nil {
			break
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if fi.IsDir() {
				p = canonPath(p + "/default.nix")
				continue
			}
			break
		}
		t, err := ev.io.Readlink(ev.ctx, p)
		if err != nil {
			break
		}
		if !strings.HasPrefix(t, "/") {
			t = path.Dir(p) + "/" + t
		}
		p = canonPath(t)
	}
	return p
}

// internalPrefix is where Nix's internal files (<nix/fetchurl.nix>)
// appear in paths.
const internalPrefix = "/__corepkgs__"

// parseFile reads and parses a file, cached by path. Files parsed for
// scopedImport (scoped) skip the parser's undefined-variable check, which
// cannot know the scope; the compiler does it then.
func (ev *Evaluator) parseFile(pos syntax.Pos, p string, scoped bool) *parsed {
	key := p
	if scoped {
		key = "\x00scoped:" + p
	}
	if pf, ok := ev.parsed[key]; ok {
		return pf
	}
	var src []byte
	var err error
	if rest, ok := strings.CutPrefix(p, internalPrefix+"/"); ok && ev.opts.InternalFiles[rest] != nil {
		src = ev.opts.InternalFiles[rest]
	} else {
		src, err = ev.io.ReadFile(ev.ctx, p)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			ev.raise(EvalError, pos, "path '%s' does not exist", p)
		}
		ev.raise(EvalError, pos, "reading '%s': %v", p, unwrapPathError(err))
	}
	opts := ev.parseOptions()
	opts.NoScopeCheck = scoped
	e, perr := syntax.Parse(ev.fset, p, src, opts)
	if perr != nil {
		ev.raiseParseError(perr)
	}
	pf := &parsed{expr: e}
	ev.parsed[key] = pf
	return pf
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseOptions are the parser settings of this evaluator.
func (ev *Evaluator) parseOptions() syntax.Options {
	o := syntax.Options{
		PipeOperators: ev.features["pipe-operators"],
		PureEval:      ev.opts.PureEval,
		Warn: func(e *syntax.Error) {
			fmt.Fprintln(ev.stderr, ev.formatMessage("warning:", e.Msg, ev.posOf(e.Pos)))
		},
		Globals: func(name string) bool {
			_, ok := ev.globals[name]
			return ok
		},
	}
	lint := func(name string) syntax.Lint {
		switch ev.opts.Lint[name] {
		case "warn":
			return syntax.LintWarn
		case "fatal":
			return syntax.LintFatal
		}
		return syntax.LintIgnore
	}
	o.LintURLLiterals = lint("url-literals")
	o.LintAbsolutePathLiterals = lint("absolute-path-literals")
	o.LintShortPathLiterals = lint("short-path-literals")
	return o
}
