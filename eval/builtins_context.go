package eval

import (
	"sort"
	"strings"

	"github.com/govix/govix/nixcompat/storepath"
)

// String context builtins: hasContext, getContext, appendContext,
// unsafeDiscardStringContext, unsafeDiscardOutputDependency and
// addDrvOutputDependencies (current Nix's src/libexpr/primops/context.cc).
//
// A context element (see Context) is one of
//
//	/nix/store/…-name            opaque: a store path ("path = true")
//	=/nix/store/…-name.drv       a derivation and all its outputs ("allOutputs = true")
//	!out!/nix/store/…-name.drv   one output of a derivation ("outputs = [ "out" ]")

func init() {
	register(
		&Builtin{Name: "hasContext", Arity: 1, Fn: builtinHasContext},
		&Builtin{Name: "getContext", Arity: 1, Fn: builtinGetContext},
		&Builtin{Name: "appendContext", Arity: 2, Fn: builtinAppendContext},
		&Builtin{Name: "unsafeDiscardStringContext", Arity: 1, Fn: builtinUnsafeDiscardStringContext},
		&Builtin{Name: "unsafeDiscardOutputDependency", Arity: 1, Fn: builtinUnsafeDiscardOutputDependency},
		&Builtin{Name: "addDrvOutputDependencies", Arity: 1, Fn: builtinAddDrvOutputDependencies},
	)
}

// builtins.hasContext s: whether s refers to any store path.
func builtinHasContext(c Call) Value {
	s := c.stringMsg(c.Args[0], "while evaluating the argument passed to builtins.hasContext")
	return mkBool(s.ctx != nil)
}

// builtins.unsafeDiscardStringContext s: s (coerced as string
// interpolation does) without its context.
func builtinUnsafeDiscardStringContext(c Call) Value {
	v := c.forceMsg(c.Args[0], "while evaluating the argument passed to builtins.unsafeDiscardStringContext")
	if s, ok := v.(*String); ok && s.ctx == nil {
		return s
	}
	s, _ := c.CoerceValue(v, "while evaluating the argument passed to builtins.unsafeDiscardStringContext", false, true)
	return Str(s)
}

// builtins.unsafeDiscardOutputDependency s: s with every derivation-deep
// element (=drv) turned into a plain reference to the derivation file.
func builtinUnsafeDiscardOutputDependency(c Call) Value {
	s, ctx := c.CoerceValue(c.Args[0], "while evaluating the argument passed to builtins.unsafeDiscardOutputDependency", false, true)
	if ctx == nil {
		return Str(s)
	}
	elems := make([]string, len(ctx.elems))
	for i, e := range ctx.elems {
		elems[i] = strings.TrimPrefix(e, "=")
	}
	return NewString(s, NewContext(elems...))
}

// builtins.addDrvOutputDependencies s: s, whose context must be a single
// derivation, with that element made derivation-deep (=drv). The opposite
// of unsafeDiscardOutputDependency.
func builtinAddDrvOutputDependencies(c Call) Value {
	s, ctx := c.CoerceValue(c.Args[0], "while evaluating the argument passed to builtins.addDrvOutputDependencies", false, true)
	if n := ctx.Len(); n != 1 {
		c.Errorf(EvalError, "context of string '%s' must have exactly one element, but has %d", s, n)
	}
	e := ctx.elems[0]
	switch e[0] {
	case '=':
		return NewString(s, ctx)
	case '!':
		out, _, _ := strings.Cut(e[1:], "!")
		c.Errorf(EvalError, "`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as '%s'", out)
	}
	if !strings.HasSuffix(e, ".drv") {
		c.Errorf(EvalError, "path '%s' is not a derivation", e)
	}
	return NewString(s, NewContext("="+e))
}

// builtins.getContext s: the context of s as a set from store paths to
// { path = true; } (a plain reference), { allOutputs = true; } (a
// derivation with all its outputs) and { outputs = [ ... ]; } (outputs of
// a derivation), merged per path.
func builtinGetContext(c Call) Value {
	s := c.stringMsg(c.Args[0], "while evaluating the argument passed to builtins.getContext")
	type info struct {
		path, allOutputs bool
		outputs          []string
	}
	infos := map[string]*info{}
	var paths []string
	get := func(p string) *info {
		i := infos[p]
		if i == nil {
			i = &info{}
			infos[p] = i
			paths = append(paths, p)
		}
		return i
	}
	// Outputs are listed in the order of the context set, which sorts
	// Nix's built elements by derivation and then output name.
	type built struct{ drv, out string }
	var builts []built
	for _, e := range s.ctx.Elems() {
		switch e[0] {
		case '=':
			get(e[1:]).allOutputs = true
		case '!':
			out, drv, _ := strings.Cut(e[1:], "!")
			builts = append(builts, built{drv, out})
		default:
			get(e).path = true
		}
	}
	sort.Slice(builts, func(i, j int) bool {
		if builts[i].drv != builts[j].drv {
			return builts[i].drv < builts[j].drv
		}
		return builts[i].out < builts[j].out
	})
	for _, b := range builts {
		i := get(b.drv)
		i.outputs = append(i.outputs, b.out)
	}
	res := c.NewAttrs(len(paths))
	for _, p := range paths {
		i := infos[p]
		ib := c.NewAttrs(3)
		if i.path {
			ib.Set("path", vTrue)
		}
		if i.allOutputs {
			ib.Set("allOutputs", vTrue)
		}
		if len(i.outputs) > 0 {
			outs := make([]Value, len(i.outputs))
			for k, o := range i.outputs {
				outs[k] = Str(o)
			}
			ib.Set("outputs", NewList(outs))
		}
		res.Set(p, ib.Attrs())
	}
	return res.Attrs()
}

// builtins.appendContext s ctx: s with the context described by ctx (in
// getContext's form) added.
func builtinAppendContext(c Call) Value {
	s := c.stringMsg(c.Args[0], "while evaluating the first argument passed to builtins.appendContext")
	a := c.attrsMsg(c.Args[1], "while evaluating the second argument passed to builtins.appendContext")
	var ctx ContextBuilder
	ctx.Add(s.ctx)
	dir := storepath.StoreDir(c.StoreDir())
	var added []string
	for _, at := range a.All() {
		name := c.Ev.symbols.name(at.Name)
		sp, err := dir.Parse(name)
		if err != nil {
			c.ErrorfAt(EvalError, at.Pos, "context key '%s' is not a store path", name)
		}
		path := dir.Print(sp)
		isDrv := strings.HasSuffix(name, ".drv")
		info := c.attrsMsg(at.Value, "while evaluating the value of a string context")
		if p := c.Get(info, "path"); p != nil {
			if c.boolMsg(p.Value, "while evaluating the `path` attribute of a string context") {
				added = append(added, path)
			}
		}
		if p := c.Get(info, "allOutputs"); p != nil {
			if c.boolMsg(p.Value, "while evaluating the `allOutputs` attribute of a string context") {
				if !isDrv {
					c.ErrorfAt(EvalError, at.Pos, "tried to add all-outputs context of %s, which is not a derivation, to a string", name)
				}
				added = append(added, "="+path)
			}
		}
		if p := c.Get(info, "outputs"); p != nil {
			outs := c.listMsg(p.Value, "while evaluating the `outputs` attribute of a string context")
			if len(outs.elems) > 0 && !isDrv {
				c.ErrorfAt(EvalError, at.Pos, "tried to add derivation output context of %s, which is not a derivation, to a string", name)
			}
			for _, o := range outs.elems {
				out := c.stringNoCtxMsg(o, "while evaluating an output name within a string context")
				added = append(added, "!"+out+"!"+path)
			}
		}
	}
	ctx.Add(NewContext(added...))
	return NewString(s.s, ctx.Context())
}
