package eval

import (
	"slices"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// attrsNode is { ... } or rec { ... }.
//
// The static attributes are sorted by name at compile time: template
// holds their names and positions and values their code, in the same
// order. In a rec set the attributes are also the first slots of a new
// environment (slot i is attribute i); the sources of `inherit (e)` come
// after them. In a plain set with `inherit (e)`, the sources get an
// environment of their own and the values are compiled inside it.
type attrsNode struct {
	at        syntax.Pos
	rec       bool
	template  []Attr
	values    []node
	sources   []node // inherit (e) sources
	dynamic   []dynAttr
	overrides int // index of __overrides in a rec set, or -1
}

type dynAttr struct {
	at    syntax.Pos
	name  node
	value node
}

func (n *attrsNode) pos() syntax.Pos { return n.at }

func (n *attrsNode) eval(ev *Evaluator, env *Env) Value {
	if len(n.template) == 0 && len(n.dynamic) == 0 {
		return emptyAttrs
	}
	ns := len(n.template)
	var set *Attrs
	var attrs []Attr
	if len(n.dynamic) == 0 && n.overrides < 0 {
		set = newAttrs(ns)
		attrs = set.layer
	} else {
		attrs = make([]Attr, ns, ns+len(n.dynamic))
	}
	copy(attrs, n.template)
	dynEnv := env
	if n.rec {
		e := newEnv(env, ns+len(n.sources))
		for i, s := range n.sources {
			e.set(ns+i, ev.lazy(s, e))
		}
		if n.overrides >= 0 {
			// Every attribute gets its own thunk, so that references
			// between attributes see the overrides.
			for i, v := range n.values {
				x := &Thunk{env: e, v: v}
				e.set(i, x)
				attrs[i].Value = x
			}
			attrs = ev.applyOverrides(attrs, e, n.overrides)
		} else {
			for i, v := range n.values {
				x := ev.lazy(v, e)
				e.set(i, x)
				attrs[i].Value = x
			}
		}
		dynEnv = e
	} else {
		e := env
		if len(n.sources) > 0 {
			e = newEnv(env, len(n.sources))
			for i, s := range n.sources {
				e.set(i, ev.lazy(s, env))
			}
		}
		for i, v := range n.values {
			attrs[i].Value = ev.lazy(v, e)
		}
	}
	if set != nil {
		return set
	}
	if len(n.dynamic) == 0 {
		return flatAttrs(attrs)
	}
	return ev.addDynamicAttrs(attrs, n.dynamic, dynEnv)
}

// applyOverrides implements rec { __overrides = {...}; }: the attributes
// of __overrides replace those of the set (also for the other attributes'
// references) or are added.
func (ev *Evaluator) applyOverrides(attrs []Attr, e *Env, idx int) []Attr {
	ov := ev.force(attrs[idx].Value)
	o, ok := ov.(*Attrs)
	if !ok {
		ev.pushFrame(frame{kind: frameMsg, pos: attrs[idx].Pos, p: "while evaluating the `__overrides` attribute"})
		ev.typeError(attrs[idx].Pos, "a set", ov)
	}
	var extra []Attr
	for _, a := range o.all() {
		found := false
		for i := range attrs {
			if attrs[i].Name == a.Name {
				attrs[i] = a
				e.set(i, a.Value)
				found = true
				break
			}
		}
		if !found {
			extra = append(extra, a)
		}
	}
	if len(extra) > 0 {
		attrs = append(attrs, extra...)
		sortAttrs(ev.symbols, attrs)
	}
	return attrs
}

// addDynamicAttrs evaluates the names of dynamic attributes and adds them.
func (ev *Evaluator) addDynamicAttrs(attrs []Attr, dyn []dynAttr, env *Env) *Attrs {
	for _, d := range dyn {
		nv := d.name.eval(ev, env)
		if _, ok := nv.(Null); ok {
			continue
		}
		name := ev.attrNameOf(nv, d.name.pos(), "while evaluating the name of a dynamic attribute")
		for _, a := range attrs {
			if a.Name == name {
				ev.raise(EvalError, d.at, "dynamic attribute '%s' already defined at %s",
					ev.symbols.name(name), ev.fset.Position(a.Pos))
			}
		}
		var v Value
		if ln, ok := d.value.(*lambdaNode); ok && ln.name == "" {
			// Nix names functions bound to dynamic attributes too; the
			// code is shared, so name a copy.
			fn := *ln
			fn.name = ev.symbols.name(name)
			fn.call = &callBodyNode{fn: &fn}
			fn.fused = &callBodyNode{fn: &fn, fused: true}
			v = ev.newThunk(env, &fn)
		} else {
			v = ev.lazy(d.value, env)
		}
		attrs = append(attrs, Attr{Name: name, Pos: d.at, Value: v})
	}
	sortAttrs(ev.symbols, attrs)
	return flatAttrs(attrs)
}

// attrNameOf turns an evaluated dynamic attribute name into a symbol.
func (ev *Evaluator) attrNameOf(v Value, pos syntax.Pos, ctx string) Sym {
	s, ok := v.(*String)
	if !ok {
		ev.pushFrame(msgFrame(pos, ctx))
		ev.typeError(pos, "a string", v)
	}
	if s.ctx != nil {
		ev.pushFrame(msgFrame(pos, ctx))
		ev.raise(EvalError, pos, "the string '%s' is not allowed to refer to a store path (such as '%s')",
			s.s, ev.showContextElem(s.ctx.elems[0]))
	}
	return ev.symbols.intern(s.s)
}

// attrName is one element of an attribute path: a symbol, or code that
// computes it.
type attrName struct {
	sym Sym
	dyn node
}

func (ev *Evaluator) evalAttrName(a *attrName, env *Env) Sym {
	if a.dyn == nil {
		return a.sym
	}
	return ev.attrNameOf(a.dyn.eval(ev, env), a.dyn.pos(), "while evaluating an attribute name")
}

// selectNode is e.a.b.c, possibly with `or default`.
type selectNode struct {
	at   syntax.Pos
	x    node
	path []attrName
	def  node
}

func (n *selectNode) pos() syntax.Pos { return n.at }
func (n *selectNode) eval(ev *Evaluator, env *Env) Value {
	ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.x.pos(), p: msgSelect})
	v := n.x.eval(ev, env)
	ev.frames = ev.frames[:len(ev.frames)-1]
	for i := range n.path {
		name := ev.evalAttrName(&n.path[i], env)
		attrs, ok := v.(*Attrs)
		if !ok {
			if n.def != nil {
				return n.def.eval(ev, env)
			}
			ev.pushFrame(frame{kind: frameMsg, pos: n.at, p: msgSelect})
			ev.typeError(n.at, "a set", v)
		}
		a := attrs.get(ev.symbols, name)
		if a == nil {
			if n.def != nil {
				return n.def.eval(ev, env)
			}
			ev.missingAttr(attrs, name, n.at)
		}
		v = a.Value
		if t, ok := v.(*Thunk); ok {
			if t.env == nil {
				v = t.v
			} else {
				ev.frames = append(ev.frames,
					frame{kind: frameSelect, pos: n.at, p: n, n: len(n.path) - 1},
					frame{kind: frameSelect, pos: a.Pos, p: n, n: -1 - i})
				v = ev.forceThunkAt(t, n.at)
				ev.frames = ev.frames[:len(ev.frames)-2]
			}
		}
	}
	return v
}

// select1Node is e.name, the most common selection.
type select1Node struct {
	at   syntax.Pos
	x    node
	name Sym
}

func (n *select1Node) pos() syntax.Pos { return n.at }
func (n *select1Node) eval(ev *Evaluator, env *Env) Value {
	ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.x.pos(), p: msgSelect})
	v := n.x.eval(ev, env)
	ev.frames = ev.frames[:len(ev.frames)-1]
	attrs, ok := v.(*Attrs)
	if !ok {
		ev.pushFrame(frame{kind: frameMsg, pos: n.at, p: msgSelect})
		ev.typeError(n.at, "a set", v)
	}
	a := attrs.get(ev.symbols, n.name)
	if a == nil {
		ev.missingAttr(attrs, n.name, n.at)
	}
	v = a.Value
	if t, ok := v.(*Thunk); ok {
		if t.env == nil {
			return t.v
		}
		ev.frames = append(ev.frames,
			frame{kind: frameSelect, pos: n.at, p: n, n: 0},
			frame{kind: frameSelect, pos: a.Pos, p: n, n: -1})
		v = ev.forceThunkAt(t, n.at)
		ev.frames = ev.frames[:len(ev.frames)-2]
	}
	return v
}

// showSelectPath shows the first k+1 names of a selection's path as Nix does
// ("a.b", with "${...}" for a name computed by an expression).
func (ev *Evaluator) showSelectPath(p any, k int) string {
	switch n := p.(type) {
	case *select1Node:
		return ev.symbols.name(n.name)
	case *selectNode:
		var b strings.Builder
		for i := 0; i <= k && i < len(n.path); i++ {
			if i > 0 {
				b.WriteByte('.')
			}
			if n.path[i].dyn != nil {
				b.WriteString("\"${...}\"")
			} else {
				b.WriteString(ev.symbols.name(n.path[i].sym))
			}
		}
		return b.String()
	}
	return ""
}

// missingAttr raises "attribute 'x' missing" with suggestions.
func (ev *Evaluator) missingAttr(attrs *Attrs, name Sym, pos syntax.Pos) {
	e := ev.newError(EvalError, pos, "attribute '"+ev.symbols.name(name)+"' missing")
	names := make([]string, attrs.Len())
	for i, a := range attrs.all() {
		names[i] = ev.symbols.name(a.Name)
	}
	e.Suggestions = suggest(names, ev.symbols.name(name))
	panic(e)
}

// hasAttrNode is e ? a.b.c.
type hasAttrNode struct {
	at   syntax.Pos
	x    node
	path []attrName
}

func (n *hasAttrNode) pos() syntax.Pos { return n.at }
func (n *hasAttrNode) eval(ev *Evaluator, env *Env) Value {
	v := ev.evalCtx(n.x, env, msgHasAttrArg)
	for i := range n.path {
		attrs, ok := v.(*Attrs)
		if !ok {
			return vFalse
		}
		name := ev.evalAttrName(&n.path[i], env)
		a := attrs.get(ev.symbols, name)
		if a == nil {
			return vFalse
		}
		if i < len(n.path)-1 {
			v = ev.force(a.Value)
		}
	}
	return vTrue
}

// updateNode is a // b.
type updateNode struct {
	at   syntax.Pos
	a, b node
}

func (n *updateNode) pos() syntax.Pos { return n.at }
func (n *updateNode) eval(ev *Evaluator, env *Env) Value {
	// Nix evaluates the right operand first.
	b := ev.evalAttrs(n.b, env, msgUpdateRight)
	a := ev.evalAttrs(n.a, env, msgUpdateLeft)
	return update(ev.symbols, a, b)
}

// evalAttrs evaluates n and requires a set; ctx is the trace line of
// errors on the way.
func (ev *Evaluator) evalAttrs(n node, env *Env, ctx *traceMsg) *Attrs {
	ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.pos(), p: ctx})
	v := n.eval(ev, env)
	if a, ok := v.(*Attrs); ok {
		ev.frames = ev.frames[:len(ev.frames)-1]
		return a
	}
	ev.typeError(n.pos(), "a set", v)
	return nil
}

// suggest returns the names closest to want by edit distance, as Nix's
// Suggestions::bestMatches does (distance at most 2, best first).
func suggest(names []string, want string) []string {
	type cand struct {
		d int
		s string
	}
	var cs []cand
	for _, n := range names {
		d := levenshtein(n, want)
		if d <= 2 {
			cs = append(cs, cand{d, n})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		if a.s < b.s {
			return -1
		}
		if a.s > b.s {
			return 1
		}
		return 0
	})
	var out []string
	for i, c := range cs {
		if i == 5 {
			break
		}
		out = append(out, c.s)
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
