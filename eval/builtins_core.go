package eval

import (
	"fmt"
	"io"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// The core builtins the language needs: type predicates, arithmetic and
// comparison, errors and control of evaluation, import, and the
// evaluator's constants.

func init() {
	register(
		// Type predicates.
		&Builtin{Name: "isNull", Arity: 1, Global: true, Fn: isKind(KindNull)},
		&Builtin{Name: "isInt", Arity: 1, Fn: isKind(KindInt)},
		&Builtin{Name: "isFloat", Arity: 1, Fn: isKind(KindFloat)},
		&Builtin{Name: "isBool", Arity: 1, Fn: isKind(KindBool)},
		&Builtin{Name: "isString", Arity: 1, Fn: isKind(KindString)},
		&Builtin{Name: "isPath", Arity: 1, Fn: isKind(KindPath)},
		&Builtin{Name: "isAttrs", Arity: 1, Fn: isKind(KindAttrs)},
		&Builtin{Name: "isList", Arity: 1, Fn: isKind(KindList)},
		&Builtin{Name: "isFunction", Arity: 1, Fn: isKind(KindFunction)},
		&Builtin{Name: "typeOf", Arity: 1, Fn: builtinTypeOf},

		// Arithmetic and comparison.
		&Builtin{Name: "add", Arity: 2, Fn: arithBuiltin('+')},
		&Builtin{Name: "sub", Arity: 2, Fn: arithBuiltin('-')},
		&Builtin{Name: "mul", Arity: 2, Fn: arithBuiltin('*')},
		&Builtin{Name: "div", Arity: 2, Fn: arithBuiltin('/')},
		&Builtin{Name: "lessThan", Arity: 2, Fn: builtinLessThan},

		// Errors and evaluation control.
		&Builtin{Name: "throw", Arity: 1, Global: true, Fn: builtinThrow},
		&Builtin{Name: "abort", Arity: 1, Global: true, Fn: builtinAbort},
		&Builtin{Name: "tryEval", Arity: 1, Fn: builtinTryEval},
		&Builtin{Name: "seq", Arity: 2, Fn: builtinSeq},
		&Builtin{Name: "deepSeq", Arity: 2, Fn: builtinDeepSeq},
		&Builtin{Name: "trace", Arity: 2, Fn: builtinTrace},
		&Builtin{Name: "traceVerbose", Arity: 2, Fn: func(c Call) Value { return c.Force(1) }},
		&Builtin{Name: "warn", Arity: 2, Fn: builtinWarn},
		&Builtin{Name: "addErrorContext", Arity: 2, NoTrace: true, Fn: builtinAddErrorContext},
		&Builtin{Name: "toString", Arity: 1, Global: true, Fn: builtinToString},

		// Files.
		&Builtin{Name: "import", Arity: 1, Global: true, Fn: builtinImport},
		&Builtin{Name: "scopedImport", Arity: 2, Global: true, Fn: builtinScopedImport},
		&Builtin{Name: "findFile", Arity: 2, Fn: builtinFindFile},
		&Builtin{Name: "getEnv", Arity: 1, Fn: builtinGetEnv},

		// Store-dependent: supplied by a store through Options.Builtins.
		&Builtin{Name: "derivationStrict", Arity: 1, Global: true, Fn: builtinDerivationStrict},

		// Constants.
		&Builtin{Name: "nixVersion", Fn: func(c Call) Value { return Str(NixVersion) }},
		&Builtin{Name: "langVersion", Fn: func(c Call) Value { return Int(6) }},
		&Builtin{Name: "storeDir", Fn: func(c Call) Value { return Str(c.Ev.opts.StoreDir) }},
		&Builtin{Name: "currentSystem", Impure: true, Fn: func(c Call) Value { return Str(c.Ev.opts.System) }},
		&Builtin{Name: "currentTime", Impure: true, Fn: func(c Call) Value { return Int(c.Ev.startTime.Unix()) }},
		&Builtin{Name: "nixPath", Fn: builtinNixPath},
	)
}

// NixVersion is the version of Nix whose language govix implements
// (builtins.nixVersion).
const NixVersion = "2.8.0"

func isKind(k Kind) func(Call) Value {
	return func(c Call) Value { return mkBool(KindOf(c.Force(0)) == k) }
}

func builtinTypeOf(c Call) Value { return Str(KindOf(c.Force(0)).String()) }

func arithBuiltin(op byte) func(Call) Value {
	// Nix's prim_add and the others force their arguments without a
	// trace line of their own.
	return func(c Call) Value { return c.Ev.arith(op, c.Ev.force(c.Args[0]), c.Ev.force(c.Args[1])) }
}

func builtinLessThan(c Call) Value {
	a := c.Force(0)
	b := c.Force(1)
	return mkBool(c.Ev.lessThan(a, b, syntax.NoPos))
}

func builtinThrow(c Call) Value {
	v := c.Ev.force(c.Args[0])
	c.Ev.pushFrame(frame{kind: frameMsg, p: "while evaluating the error message passed to builtin.throw"})
	s, _ := c.Ev.coerceToString(c.Pos, v, "", false, true, true)
	c.Ev.popFrame()
	c.Errorf(ThrownError, "%s", s)
	return nil
}

func builtinAbort(c Call) Value {
	v := c.Ev.force(c.Args[0])
	c.Ev.pushFrame(frame{kind: frameMsg, p: "while evaluating the error message passed to builtins.abort"})
	s, _ := c.Ev.coerceToString(c.Pos, v, "", false, true, true)
	c.Ev.popFrame()
	c.Errorf(Abort, "evaluation aborted with the following error message: '%s'", s)
	return nil
}

// builtinTryEval: { success = true; value = e; } or, if forcing e throws
// or fails an assertion, { success = false; value = false; }.
func builtinTryEval(c Call) Value {
	ev := c.Ev
	v, ok := ev.tryForce(c.Args[0])
	attrs := []Attr{{Name: ev.s.success, Value: mkBool(ok)}, {Name: ev.s.value, Value: vFalse}}
	if ok {
		attrs[1].Value = c.Args[0]
		_ = v
	}
	return flatAttrs(ev.sortedAttrs(attrs...))
}

// tryForce forces v, catching the errors tryEval catches.
func (ev *Evaluator) tryForce(v Value) (r Value, ok bool) {
	saved := ev.save()
	defer func() {
		if x := recover(); x != nil {
			e, isErr := x.(*Error)
			if !isErr || !e.Kind.Catchable() {
				panic(x)
			}
			ev.caught(saved, e)
			r, ok = nil, false
		}
	}()
	return ev.force(v), true
}

func builtinSeq(c Call) Value {
	c.Ev.force(c.Args[0])
	return c.Ev.force(c.Args[1])
}

func builtinDeepSeq(c Call) Value {
	c.Ev.forceDeep(c.Args[0])
	return c.Ev.force(c.Args[1])
}

func builtinTrace(c Call) Value {
	v := c.Ev.force(c.Args[0])
	if s, ok := v.(*String); ok {
		fmt.Fprintf(c.Ev.stderr, "trace: %s\n", s.s)
	} else {
		// As Nix 2.8 (Value::print): what nix-instantiate --eval shows,
		// unevaluated parts as <CODE>.
		var b strings.Builder
		c.Ev.printAmbiguous(&b, v, map[any]bool{}, 0)
		fmt.Fprintf(c.Ev.stderr, "trace: %s\n", b.String())
	}
	return c.Ev.force(c.Args[1])
}

func builtinWarn(c Call) Value {
	s := c.stringMsg(c.Args[0], "while evaluating the first argument; the message passed to builtins.warn")
	io.WriteString(c.Ev.stderr, formatWarning(s.s))
	return c.Ev.force(c.Args[1])
}

// formatWarning lays a warning out as Nix's logWarning does: after the
// "evaluation warning: " prefix, continuation lines indented under the
// first, unless the message starts with a newline; trailing whitespace
// trimmed from every line.
func formatWarning(msg string) string {
	const prefix = "evaluation warning: "
	chomp := func(s string) string { return strings.TrimRight(s, " \t\n\r") }
	if strings.HasPrefix(msg, "\n") {
		return strings.TrimSuffix(prefix, " ") + chomp(msg) + "\n"
	}
	lines := strings.Split(chomp(msg), "\n")
	var b strings.Builder
	for i, l := range lines {
		if i == 0 {
			b.WriteString(chomp(prefix + l))
		} else {
			b.WriteString("\n" + chomp(strings.Repeat(" ", len(prefix))+l))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// builtinAddErrorContext adds a message to the trace of errors raised
// while forcing its second argument, where Nix's catch block adds it:
// outside the frames of the failed evaluation, inside the caller's.
func builtinAddErrorContext(c Call) Value {
	ev := c.Ev
	h := len(ev.frames)
	saved := ev.save()
	defer func() {
		x := recover()
		if x == nil {
			return
		}
		e, isErr := x.(*Error)
		if isErr && e.Kind != Interrupted {
			// The message is evaluated while the error unwinds; an
			// error in it replaces this one, as in Nix.
			ev.restore(saved, e)
			m := ev.force(c.Args[0])
			ev.pushFrame(frame{kind: frameMsg, p: "while evaluating the error message passed to builtins.addErrorContext"})
			msg, _ := ev.coerceToString(c.Pos, m, "", false, false, true)
			ev.popFrame()
			e.insertTraceAlways(h, msg)
		}
		panic(x)
	}()
	return ev.force(c.Args[1])
}

func builtinToString(c Call) Value {
	s, ctx := c.Coerce(0, true, false)
	return NewString(s, ctx)
}

func builtinImport(c Call) Value {
	p, _ := c.Ev.realisePath(c, 0)
	return c.Ev.importPath(c.Pos, p)
}

func builtinScopedImport(c Call) Value {
	scope := c.Attrs(0)
	p, _ := c.Ev.realisePath(c, 1)
	return c.Ev.scopedImport(c.Pos, scope, p)
}

// realisePath coerces argument i to a path for reading.
func (ev *Evaluator) realisePath(c Call, i int) (string, *Context) {
	v := c.Force(i)
	ev.pushFrame(frame{kind: frameMsg, p: "while realising the context of a path"})
	p, ctx := ev.coerceToPath(c.Pos, v, "")
	ev.realiseContext(c.Pos, ctx)
	ev.popFrame()
	return p, ctx
}

func builtinGetEnv(c Call) Value {
	name := c.StringNoCtx(0)
	if c.Ev.opts.PureEval {
		return emptyString
	}
	v, _ := c.Ev.io.Getenv(name)
	return Str(v)
}

func builtinDerivationStrict(c Call) Value {
	c.Attrs(0)
	c.Errorf(EvalError, "cannot evaluate a derivation: %s", errNoStore)
	return nil
}

// builtinNixPath is builtins.nixPath: [ { prefix, path } ] from the search
// path (-I entries, then NIX_PATH).
func builtinNixPath(c Call) Value {
	ev := c.Ev
	var elems []Value
	for _, e := range ev.searchPath() {
		prefix, path := "", e
		if i := strings.IndexByte(e, '='); i >= 0 {
			prefix, path = e[:i], e[i+1:]
		}
		elems = append(elems, flatAttrs(ev.sortedAttrs(
			Attr{Name: ev.symbols.intern("path"), Value: Str(path)},
			Attr{Name: ev.symbols.intern("prefix"), Value: Str(prefix)},
		)))
	}
	return NewList(elems)
}

// searchPath is the lookup path: Options.SearchPath then $NIX_PATH.
func (ev *Evaluator) searchPath() []string {
	out := append([]string(nil), ev.opts.SearchPath...)
	if ev.opts.PureEval {
		return out
	}
	if np, ok := ev.io.Getenv("NIX_PATH"); ok {
		for _, e := range strings.Split(np, ":") {
			if e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// builtinFindFile resolves <path> against a search path list.
func builtinFindFile(c Call) Value {
	ev := c.Ev
	list := c.List(0)
	want := c.StringNoCtx(1)
	for _, el := range list.elems {
		a := c.ForceAttrs(el, "while evaluating an element of the list passed to builtins.findFile")
		prefix := ""
		if p := c.Get(a, "prefix"); p != nil {
			prefix = c.ForceString(p.Value, "while evaluating the `prefix` attribute of an element of the list passed to builtins.findFile").s
		}
		pa := c.requireAttr(a, "path", "in an element of the __nixPath")
		ev.pushFrame(frame{kind: frameMsg, p: "while evaluating the `path` attribute of an element of the list passed to builtins.findFile"})
		path, _ := ev.coerceToString(c.Pos, ev.force(pa.Value), "", false, false, true)
		ev.popFrame()
		var rest string
		if prefix != "" {
			if !strings.HasPrefix(want, prefix) {
				continue
			}
			rest = want[len(prefix):]
			if rest != "" && rest[0] != '/' {
				continue
			}
			rest = strings.TrimPrefix(rest, "/")
		} else {
			rest = want
		}
		if strings.Contains(path, "://") {
			// URLs need a fetcher (the store glue).
			continue
		}
		if !strings.HasPrefix(path, "/") {
			cwd := ev.opts.Cwd
			if cwd == "" {
				cwd = "/"
			}
			path = cwd + "/" + path
		}
		full := path
		if rest != "" {
			full = path + "/" + rest
		}
		full = canonPath(full)
		if _, err := ev.io.Lstat(ev.ctx, full); err == nil {
			return Path(full)
		}
	}
	if strings.HasPrefix(want, "nix/") {
		// <nix/...> are Nix's internal files (fetchurl.nix, ...).
		if _, ok := ev.opts.InternalFiles[want[4:]]; ok {
			return Path(internalPrefix + want[3:])
		}
	}
	if ev.opts.PureEval {
		c.Errorf(ThrownError, "cannot look up '<%s>' in pure evaluation mode (use '--impure' to override)", want)
	}
	c.Errorf(ThrownError, "file '%s' was not found in the Nix search path (add it using $NIX_PATH or -I)", want)
	return nil
}
