package eval

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// coerceToString converts a forced value to a string as Nix's
// coerceToString does, returning the string and its context.
//
//   - strings are themselves; paths become their text, or with copyToStore
//     are copied to the store first (which needs a Store);
//   - sets with __toString or outPath are converted through those;
//   - with coerceMore, also Booleans ("1" / ""), numbers, null ("") and
//     lists (elements joined by spaces) — the rules of toString.
//
// canonicalize is false only for the first element of a string
// concatenation (a path literal keeps its trailing slash there).
func (ev *Evaluator) coerceToString(pos syntax.Pos, v Value, ctx string, coerceMore, copyToStore, canonicalize bool) (string, *Context) {
	switch x := v.(type) {
	case *String:
		return x.s, x.ctx
	case Path:
		if copyToStore {
			sp := ev.copyPathToStore(string(x))
			return sp, NewContext(sp)
		}
		return string(x), nil
	case *Attrs:
		h, depth := len(ev.frames), ev.callDepth
		peeled, _ := ev.peel(pos, x, false)
		if _, ok := peeled.(*Attrs); ok {
			if ctx != "" {
				ev.pushFrame(msgFrame(pos, ctx))
			}
			ev.raise(TypeError, syntax.NoPos, "cannot coerce %s to a string: %s", showType(peeled), ev.errorValue(peeled))
		}
		ev.enterDeep(pos)
		s, c := ev.coerceToString(pos, peeled, ctx, coerceMore, copyToStore, true)
		ev.frames = ev.frames[:h]
		ev.callDepth = depth
		return s, c
	}
	if coerceMore {
		switch x := v.(type) {
		case Bool:
			if x {
				return "1", nil
			}
			return "", nil
		case Int:
			return strconv.FormatInt(int64(x), 10), nil
		case Float:
			return strconv.FormatFloat(float64(x), 'f', 6, 64), nil
		case Null:
			return "", nil
		case *List:
			var b strings.Builder
			var c *Context
			for i, e := range x.elems {
				ev.pushFrame(msgFrame(pos, ctx))
				e = ev.force(e)
				s, ec := ev.coerceToString(pos, e, "while evaluating one element of the list", coerceMore, copyToStore, canonicalize)
				ev.popFrame()
				b.WriteString(s)
				c = mergeContext(c, ec)
				if i < len(x.elems)-1 {
					if l, ok := e.(*List); !ok || len(l.elems) != 0 {
						b.WriteByte(' ')
					}
				}
			}
			return b.String(), c
		}
	}
	if ctx != "" {
		ev.pushFrame(msgFrame(pos, ctx))
	}
	ev.raise(TypeError, syntax.NoPos, "cannot coerce %s to a string: %s", showType(v), ev.errorValue(v))
	return "", nil
}

// peel unwraps a set with __toString (calling it) or outPath, repeatedly,
// as Nix's peelToStringOutPath does. cameThrough reports whether a
// __toString was called; with check, a __toString result that is not a
// string or path is an error.
//
// Nix's peel calls its caller back inside the trace lines of the
// unwrapping ("while using the `outPath` attribute"), so peel leaves them
// on the trace stack, with one level of call depth for each: the caller
// restores both (to what they were before the call) when it is done with
// the peeled value.
func (ev *Evaluator) peel(pos syntax.Pos, v Value, check bool) (peeled Value, cameThrough bool) {
	for {
		v = ev.forceAt(v, pos)
		a, ok := v.(*Attrs)
		if !ok {
			if check && cameThrough {
				switch v.(type) {
				case *String, Path:
				default:
					ev.raise(TypeError, pos, "`__toString` should return a string, but got %s: %s", showType(v), ev.errorValue(v))
				}
			}
			return v, cameThrough
		}
		if f := a.get(ev.symbols, ev.s.toString); f != nil {
			ev.pushFrame(frame{kind: frameMsg, pos: f.Pos, p: "while calling the `__toString` attribute"})
			v = ev.apply(f.Value, f.Pos, a)
			ev.popFrame()
			cameThrough = true
			ev.pushFrame(frame{kind: frameToStringResult, pos: f.Pos, p: v})
			ev.enterDeep(pos)
			pos = f.Pos
			continue
		}
		if o := a.get(ev.symbols, ev.s.outPath); o != nil {
			ev.pushFrame(frame{kind: frameOutPath, pos: o.Pos, p: o.Value})
			v = ev.forceAt(o.Value, o.Pos)
			ev.enterDeep(pos)
			pos = o.Pos
			continue
		}
		if check && cameThrough {
			ev.raise(TypeError, pos, "`__toString` must return a string, but got %s: %s", showType(v), ev.errorValue(v))
		}
		return v, cameThrough
	}
}

// copyPathToStore copies a source path into the store through the Store
// hook and returns the store path. Its errors have no position, as
// Nix's.
func (ev *Evaluator) copyPathToStore(path string) string {
	if strings.HasSuffix(path, ".drv") {
		ev.raise(EvalError, syntax.NoPos, "file names are not allowed to end in '.drv'")
	}
	if sp, ok := ev.copied[path]; ok {
		return sp
	}
	if _, err := ev.io.Lstat(ev.ctx, path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			ev.raise(EvalError, syntax.NoPos, "path '%s' does not exist", path)
		}
		ev.raise(EvalError, syntax.NoPos, "cannot read '%s': %v", path, unwrapPathError(err))
	}
	if ev.store == nil {
		ev.raise(EvalError, syntax.NoPos, "cannot copy path '%s' to the store: %s", path, errNoStore)
	}
	sp, err := ev.store.CopyPathToStore(ev.ctx, path)
	if err != nil {
		ev.raise(EvalError, syntax.NoPos, "copying path '%s' to the store: %v", path, err)
	}
	ev.copied[path] = sp
	return sp
}

// coerceToPath converts a value to an absolute path (builtins that take
// paths accept strings too).
func (ev *Evaluator) coerceToPath(pos syntax.Pos, v Value, ctx string) (string, *Context) {
	v = ev.forceAt(v, pos)
	if p, ok := v.(Path); ok {
		return string(p), nil
	}
	h, depth := len(ev.frames), ev.callDepth
	if a, ok := v.(*Attrs); ok {
		// As Nix's coerceToPath: the checks below are inside the trace
		// lines of the unwrapping.
		v, _ = ev.peel(pos, a, false)
		if p, ok := v.(Path); ok {
			ev.frames = ev.frames[:h]
			ev.callDepth = depth
			return string(p), nil
		}
	}
	s, c := ev.coerceToString(pos, v, ctx, false, false, true)
	if s == "" || s[0] != '/' {
		if ctx != "" {
			ev.pushFrame(msgFrame(pos, ctx))
		}
		ev.raise(EvalError, syntax.NoPos, "string '%s' doesn't represent an absolute path", s)
	}
	ev.frames = ev.frames[:h]
	ev.callDepth = depth
	return canonPath(s), c
}

// canonPath canonicalises an absolute path as Nix's CanonPath: no ".",
// "..", empty components or trailing slash. Symlinks are not resolved.
func canonPath(p string) string {
	if p == "/" {
		return p
	}
	if isCanon(p) {
		return p
	}
	parts := strings.Split(p, "/")
	out := make([]string, 0, len(parts))
	for _, c := range parts {
		switch c {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, c)
		}
	}
	return "/" + strings.Join(out, "/")
}

func isCanon(p string) bool {
	if len(p) == 0 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			c := p[start:i]
			if c == "" || c == "." || c == ".." {
				return false
			}
			start = i + 1
		}
	}
	return true
}

// showContextElem shows a context element for messages: the store path
// or derivation it names.
func (ev *Evaluator) showContextElem(e string) string {
	switch {
	case strings.HasPrefix(e, "="):
		return e[1:]
	case strings.HasPrefix(e, "!"):
		if i := strings.IndexByte(e[1:], '!'); i >= 0 {
			return e[i+2:] + "^" + e[1:i+1]
		}
	}
	return e
}
