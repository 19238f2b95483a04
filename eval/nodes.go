package eval

import (
	"github.com/govix/govix/eval/syntax"
)

// node is compiled code: an expression whose variables are resolved to
// environment slots. eval returns the expression's value in weak head
// normal form (never an unevaluated thunk). Nodes are immutable and
// shared by every evaluation of the same source.
//
// The evaluator is a tree-walker over these nodes ("closure
// compilation" with method values instead of closures): each node is a
// small struct and eval is one interface call, which in Go is as fast as a
// bytecode switch and needs no separate operand stack.
type node interface {
	eval(ev *Evaluator, env *Env) Value
	pos() syntax.Pos
}

// lazy returns the value of n without evaluating it: constants and
// variables directly (as Nix's maybeThunk), anything else — functions
// too, as in Nix, which nix-instantiate --eval shows as <CODE> — as a new
// thunk.
func (ev *Evaluator) lazy(n node, env *Env) Value {
	switch n := n.(type) {
	case *constNode:
		return n.v
	case *localVar:
		if v := env.get(n.idx); v != nil {
			return v
		}
	case *upVar:
		e := env.up
		for d := n.depth - 1; d > 0; d-- {
			e = e.up
		}
		if v := e.get(n.idx); v != nil {
			return v
		}
	case *lambdaNode:
		return newLambdaThunk(n, env)
	}
	return ev.newThunk(env, n)
}

// peek returns the value of a constant or variable if it is already
// evaluated: evaluating it cannot fail, so no trace frame is needed.
func peek(n node, env *Env) (Value, bool) {
	var v Value
	switch n := n.(type) {
	case *constNode:
		v = n.v
	case *localVar:
		v = env.get(n.idx)
	case *upVar:
		e := env.up
		for d := n.depth - 1; d > 0; d-- {
			e = e.up
		}
		v = e.get(n.idx)
	default:
		return nil, false
	}
	if t, ok := v.(*Thunk); ok {
		if t.env != nil {
			return nil, false
		}
		v = t.v
	}
	return v, v != nil
}

// constNode is a literal or a global constant. Globals such as
// `derivation` may be thunks, hence the force.
type constNode struct {
	at syntax.Pos
	v  Value
}

func (n *constNode) pos() syntax.Pos { return n.at }
func (n *constNode) eval(ev *Evaluator, env *Env) Value {
	if t, ok := n.v.(*Thunk); ok {
		return ev.force(t)
	}
	return n.v
}

// localVar is a variable of the innermost environment.
type localVar struct {
	at  syntax.Pos
	idx int
}

func (n *localVar) pos() syntax.Pos { return n.at }
func (n *localVar) eval(ev *Evaluator, env *Env) Value {
	v := env.get(n.idx)
	if t, ok := v.(*Thunk); ok {
		if t.env == nil {
			return t.v
		}
		return ev.forceThunkAt(t, n.at)
	}
	return v
}

// upVar is a variable depth environments up.
type upVar struct {
	at    syntax.Pos
	depth int
	idx   int
}

func (n *upVar) pos() syntax.Pos { return n.at }
func (n *upVar) eval(ev *Evaluator, env *Env) Value {
	e := env.up
	for d := n.depth - 1; d > 0; d-- {
		e = e.up
	}
	v := e.get(n.idx)
	if t, ok := v.(*Thunk); ok {
		if t.env == nil {
			return t.v
		}
		return ev.forceThunkAt(t, n.at)
	}
	return v
}

// withVar is a variable not bound statically: it is looked up in the sets
// of the enclosing `with`s, innermost first.
type withVar struct {
	at    syntax.Pos
	name  Sym
	withs []int // depths of the with environments, innermost first
}

func (n *withVar) pos() syntax.Pos { return n.at }
func (n *withVar) eval(ev *Evaluator, env *Env) Value {
	depth := 0
	e := env
	for _, d := range n.withs {
		for ; depth < d; depth++ {
			e = e.up
		}
		attrs := ev.withAttrs(e)
		if a := attrs.get(ev.symbols, n.name); a != nil {
			return ev.force(a.Value)
		}
	}
	ev.raise(UndefinedVar, n.at, "undefined variable '%s'", ev.symbols.name(n.name))
	return nil
}

// withAttrs forces the set of a with environment.
func (ev *Evaluator) withAttrs(e *Env) *Attrs {
	v := e.get(0)
	if a, ok := v.(*Attrs); ok {
		return a
	}
	w := e.get(1).(*withNode)
	v = ev.force(v)
	a, ok := v.(*Attrs)
	if !ok {
		ev.pushFrame(frame{kind: frameMsg, pos: w.env.pos(), p: "while evaluating the first subexpression of a with expression"})
		ev.typeError(w.env.pos(), "a set", v)
	}
	e.set(0, a)
	return a
}

// withNode is `with e; body`. Its environment has two slots: the set
// (lazily evaluated; replaced by the forced set on first lookup) and the
// node itself, for error messages.
type withNode struct {
	at   syntax.Pos
	env  node
	body node
}

func (n *withNode) pos() syntax.Pos { return n.at }
func (n *withNode) eval(ev *Evaluator, env *Env) Value {
	e := newEnv(env, 2)
	e.set(0, ev.lazy(n.env, env))
	e.set(1, n)
	return n.body.eval(ev, e)
}

// ifNode is `if c then a else b`.
type ifNode struct {
	at               syntax.Pos
	cond, then, els_ node
}

func (n *ifNode) pos() syntax.Pos { return n.at }
func (n *ifNode) eval(ev *Evaluator, env *Env) Value {
	if ev.evalBool(n.cond, env, msgBranch) {
		return n.then.eval(ev, env)
	}
	return n.els_.eval(ev, env)
}

// evalBool evaluates n and requires a Boolean; ctx is the trace line of
// errors on the way.
func (ev *Evaluator) evalBool(n node, env *Env, ctx *traceMsg) bool {
	if v, ok := peek(n, env); ok {
		if b, ok := v.(Bool); ok {
			return bool(b)
		}
	}
	ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.pos(), p: ctx})
	v := n.eval(ev, env)
	if b, ok := v.(Bool); ok {
		ev.frames = ev.frames[:len(ev.frames)-1]
		return bool(b)
	}
	ev.typeError(n.pos(), "a Boolean", v)
	return false
}

// assertNode is `assert c; body`.
type assertNode struct {
	at      syntax.Pos
	cond    node
	body    node
	src     syntax.Expr // the condition, shown in the error message
	baseDir string      // the directory of its file (for paths in src)
}

func (n *assertNode) pos() syntax.Pos { return n.at }
func (n *assertNode) eval(ev *Evaluator, env *Env) Value {
	if !ev.evalBool(n.cond, env, msgAssertCond) {
		text := showExpr(n.src, n.baseDir, ev.home())
		if eq, ok := n.cond.(*eqNode); ok && !eq.neg {
			ev.pushFrame(frame{kind: frameMsg, pos: n.at, p: "while evaluating the condition of the assertion '" + text + "'"})
			ev.assertEqValues(eq.a.eval(ev, env), eq.b.eval(ev, env), eq.at)
			ev.popFrame()
		}
		ev.raise(AssertionError, n.at, "assertion '%s' failed", text)
	}
	return n.body.eval(ev, env)
}

// listNode is [ e1 e2 ... ].
type listNode struct {
	at    syntax.Pos
	elems []node
}

func (n *listNode) pos() syntax.Pos { return n.at }
func (n *listNode) eval(ev *Evaluator, env *Env) Value {
	l := newList(len(n.elems))
	for i, e := range n.elems {
		l.elems[i] = ev.lazy(e, env)
	}
	return l
}

// Small lists are allocated together with their elements.
type (
	list1 struct {
		List
		a [1]Value
	}
	list2 struct {
		List
		a [2]Value
	}
	list3 struct {
		List
		a [3]Value
	}
	list4 struct {
		List
		a [4]Value
	}
)

// newList returns a list of n empty elements to fill in.
func newList(n int) *List {
	switch n {
	case 1:
		l := &list1{}
		l.elems = l.a[:]
		return &l.List
	case 2:
		l := &list2{}
		l.elems = l.a[:]
		return &l.List
	case 3:
		l := &list3{}
		l.elems = l.a[:]
		return &l.List
	case 4:
		l := &list4{}
		l.elems = l.a[:]
		return &l.List
	}
	return &List{elems: make([]Value, n)}
}

// lambdaNode is a function expression; evaluating it makes a closure.
type lambdaNode struct {
	at       syntax.Pos
	name     string // the name it is bound to, for messages
	param    int    // slot of the plain or @ parameter, -1 if none
	pname    string // its name
	formals  []formal
	hasForms bool // { ... } pattern
	ellipsis bool
	nslots   int
	body     node
	// noCapture: a plain lambda whose body keeps no reference to its
	// environment (see captures).
	noCapture bool
	// call is the code of a thunk that is this function already applied
	// (see Evaluator.applyLazy); fused is that of such a thunk allocated
	// together with its environment (for noCapture functions).
	call, fused *callBodyNode
}

// callBodyNode evaluates a lambda's body in an environment where its
// argument is already bound, with the bookkeeping of a call.
type callBodyNode struct {
	fn    *lambdaNode
	fused bool // the environment is part of the thunk (see newFusedThunk)
}

func (n *callBodyNode) pos() syntax.Pos { return n.fn.at }
func (n *callBodyNode) eval(ev *Evaluator, env *Env) Value {
	pos := ev.forcePos()
	if ev.callDepth > ev.maxCallDepth {
		ev.stackOverflow(pos)
	}
	ev.callDepth++
	ev.frames = append(ev.frames, frame{kind: frameLambda, pos: pos, p: n.fn})
	v := n.fn.body.eval(ev, env)
	ev.frames = ev.frames[:len(ev.frames)-1]
	ev.callDepth--
	if n.fn.noCapture {
		// The thunk being forced holds the only reference and drops it.
		if n.fused {
			// Part of the thunk's allocation: never reused, only
			// emptied so that it keeps nothing alive.
			env.up, env.vals[0] = nil, nil
		} else {
			ev.releaseEnv1(env)
		}
	}
	return v
}

// applyLazy returns the lazy application f arg. Applying a plain lambda
// (x: body) binds the argument now and makes the body the thunk's code,
// so forcing it allocates no environment; anything else is an
// application thunk.
func (ev *Evaluator) applyLazy(f, arg Value) Value {
	if l, ok := f.(*Lambda); ok && !l.fn.hasForms {
		if l.fn.noCapture && len(ev.freeEnv1) == 0 {
			return newFusedThunk(l, arg)
		}
		return ev.newThunk(ev.takeEnv1(l.env, arg), l.fn.call)
	}
	return newAppThunk(f, arg)
}

// formal is one { name ? default } of a pattern.
type formal struct {
	at   syntax.Pos
	name Sym
	def  node // nil without default
	slot int
}

func (n *lambdaNode) pos() syntax.Pos { return n.at }
func (n *lambdaNode) eval(ev *Evaluator, env *Env) Value {
	return &Lambda{fn: n, env: env}
}

// letNode is `let bindings in body`. The bindings' slots come first in
// the new environment, then the sources of `inherit (e)` clauses.
type letNode struct {
	at     syntax.Pos
	values []node // one per slot, evaluated lazily in the new environment
	body   node
}

func (n *letNode) pos() syntax.Pos { return n.at }
func (n *letNode) eval(ev *Evaluator, env *Env) Value {
	e := newEnv(env, len(n.values))
	for i, v := range n.values {
		e.set(i, ev.lazy(v, e))
	}
	return n.body.eval(ev, e)
}

// curPosNode is __curPos: a set { file, line, column } built once.
type curPosNode struct {
	at syntax.Pos
}

func (n *curPosNode) pos() syntax.Pos { return n.at }
func (n *curPosNode) eval(ev *Evaluator, env *Env) Value {
	return ev.posValue(n.at)
}

// blackholeNode is the code of a thunk being forced.
type blackholeNode struct{}

var theBlackhole = &blackholeNode{}

func (n *blackholeNode) pos() syntax.Pos { return syntax.NoPos }
func (n *blackholeNode) eval(ev *Evaluator, env *Env) Value {
	ev.raise(InfiniteRecursion, syntax.NoPos, "infinite recursion encountered")
	return nil
}

// failedNode is the code of a thunk whose evaluation failed: forcing it
// again raises the same error (a copy of it, see Evaluator.reraise).
type failedNode struct {
	err *Error
	at  syntax.Pos
}

func (n *failedNode) pos() syntax.Pos { return n.at }
func (n *failedNode) eval(ev *Evaluator, env *Env) Value {
	panic(ev.reraise(n.err))
}

// appNode is the code of a thunk applying a function to an argument
// (builtins such as map build these).
type appNode struct {
	f, arg Value
}

func (n *appNode) pos() syntax.Pos { return syntax.NoPos }
func (n *appNode) eval(ev *Evaluator, env *Env) Value {
	pos := ev.forcePos()
	v := ev.call1(ev.forceAt(n.f, pos), n.arg, pos)
	// Done: the thunk drops this code now, but it may share an
	// allocation with it (newAppThunk), so let go of f and arg.
	*n = appNode{}
	return v
}

// app2Node is the code of a thunk applying f to two arguments
// (mapAttrs).
type app2Node struct {
	f, a, b Value
}

func (n *app2Node) pos() syntax.Pos { return syntax.NoPos }
func (n *app2Node) eval(ev *Evaluator, env *Env) Value {
	pos := ev.forcePos()
	f := ev.forceAt(n.f, pos)
	base := len(ev.args)
	ev.args = append(ev.args, n.a, n.b)
	v := ev.callStack(f, base, pos)
	*n = app2Node{} // as appNode
	return v
}

// primopThunkNode computes a builtin constant (arity 0) on first use.
type primopThunkNode struct {
	b *Builtin
}

func (n *primopThunkNode) pos() syntax.Pos { return syntax.NoPos }
func (n *primopThunkNode) eval(ev *Evaluator, env *Env) Value {
	return ev.force(n.b.Fn(Call{Ev: ev, b: n.b}))
}
