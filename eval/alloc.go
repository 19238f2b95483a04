package eval

import "github.com/govix/govix/eval/syntax"

// newThunk returns a thunk of code in env. (Allocating thunks from slabs,
// as Nix does with Boehm's GC_malloc_many, was tried: it halves the cost
// of allocation, but a slab stays alive while any of its thunks does, and
// with it everything its dead thunks refer to — twice the live heap on a
// large package set.)
func (ev *Evaluator) newThunk(env *Env, code Value) *Thunk {
	return &Thunk{env: env, v: code}
}

// newEnv1 returns an environment of one slot holding v.
func (ev *Evaluator) newEnv1(up *Env, v Value) *Env {
	return &Env{up: up, vals: [1]Value{v}}
}

// envPair is the two one-slot environments of a curried call x: y: body
// applied to both arguments: the outer one is referred to only by the
// inner one, so they live and die together and can share an allocation.
type envPair struct {
	outer, inner Env
}

// newEnv1Pair returns an environment holding a under up and one holding
// b under it, in one allocation.
func (ev *Evaluator) newEnv1Pair(up *Env, a, b Value) *Env {
	p := &envPair{outer: Env{up: up, vals: [1]Value{a}}}
	p.inner = Env{up: &p.outer, vals: [1]Value{b}}
	return &p.inner
}

// thunkEnv1 is a thunk applying a function that captures nothing
// (lambdaNode.noCapture) together with the one-slot environment it binds
// the argument in: one allocation instead of two. Nothing but the thunk
// refers to the environment, and forcing the thunk empties it.
type thunkEnv1 struct {
	t Thunk
	e Env
}

// newFusedThunk returns the thunk of l applied to arg, for a plain
// lambda l that captures nothing.
func newFusedThunk(l *Lambda, arg Value) *Thunk {
	p := &thunkEnv1{e: Env{up: l.env, vals: [1]Value{arg}}}
	p.t = Thunk{env: &p.e, v: l.fn.fused}
	return &p.t
}

// appThunk and app2Thunk are a thunk applying a function together with its
// code, in one allocation; the code lets go of what it refers to once it
// has run (see appNode.eval).
type (
	appThunk struct {
		t Thunk
		n appNode
	}
	app2Thunk struct {
		t Thunk
		n app2Node
	}
)

// newAppThunk returns the thunk of f applied to arg.
func newAppThunk(f, arg Value) *Thunk {
	p := &appThunk{n: appNode{f: f, arg: arg}}
	p.t = Thunk{env: appEnv, v: &p.n}
	return &p.t
}

// newApp2Thunk returns the thunk of f applied to a and b.
func newApp2Thunk(f, a, b Value) *Thunk {
	p := &app2Thunk{n: app2Node{f: f, a: a, b: b}}
	p.t = Thunk{env: appEnv, v: &p.n}
	return &p.t
}

// lambdaThunk is the thunk of a function expression (lazy makes one, as
// Nix does: unforced, it shows as <CODE>) together with the closure it
// evaluates to, so that it is one allocation, not two; forcing it gives
// the closure, which needs nothing the thunk does not keep already.
type lambdaThunk struct {
	t Thunk
	c lambdaCode
}

// lambdaCode is the code of a lambdaThunk: the closure itself.
type lambdaCode Lambda

func (c *lambdaCode) pos() syntax.Pos                    { return c.fn.at }
func (c *lambdaCode) eval(ev *Evaluator, env *Env) Value { return (*Lambda)(c) }

// newLambdaThunk returns the thunk of the function expression n in env.
func newLambdaThunk(n *lambdaNode, env *Env) *Thunk {
	p := &lambdaThunk{c: lambdaCode{fn: n, env: env}}
	p.t = Thunk{env: env, v: &p.c}
	return &p.t
}
