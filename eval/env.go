package eval

import (
	"unsafe"

	"github.com/govix/govix/eval/syntax"
)

// Env is a runtime environment: the values of one scope's variables (a
// lambda's arguments, a let's or rec set's bindings, a with's set) and the
// enclosing environment. The compiler resolves every variable to a
// (depth, index) pair, so lookups never search by name.
//
// An environment is one allocation: the link up and the slots inline
// (see newEnv). Env declares the first slot; the others follow it in
// memory, and the compiler guarantees that code only uses slots that
// exist.
type Env struct {
	up   *Env
	vals [1]Value
}

// slot returns a pointer to slot i.
func (e *Env) slot(i int) *Value {
	return (*Value)(unsafe.Add(unsafe.Pointer(&e.vals[0]), uintptr(i)*unsafe.Sizeof(e.vals[0])))
}

// get returns slot i.
func (e *Env) get(i int) Value { return *e.slot(i) }

// set stores v in slot i.
func (e *Env) set(i int, v Value) { *e.slot(i) = v }

// Thunk is a delayed computation: code and the environment to run it in,
// replaced by the result once forced. It is three words: while env is
// non-nil, v holds the code (a node); afterwards env is nil and v holds the
// value, so a forced thunk keeps nothing else alive.
//
// While a thunk is being forced its code is replaced by the black hole, so
// forcing it again from inside is reported as infinite recursion; the
// original code is kept on the evaluator's forcing stack. When the
// evaluation fails, the thunk remembers the error (as Nix does since 2.34)
// and raises it again when forced.
type Thunk struct {
	env *Env
	v   Value
}

// NewThunk returns a thunk that applies f to arg when forced (the lazy
// application builtins such as map use). Applying a plain lambda (x: body)
// binds the argument now and makes the body the thunk's code, so that
// forcing it allocates no environment.
func NewThunk(f, arg Value) *Thunk {
	if l, ok := f.(*Lambda); ok && !l.fn.hasForms {
		if l.fn.noCapture {
			return newFusedThunk(l, arg)
		}
		e := newEnv(l.env, l.fn.nslots)
		e.set(0, arg)
		return &Thunk{env: e, v: l.fn.call}
	}
	return newAppThunk(f, arg)
}

// appEnv is the (unused, non-nil) environment of application thunks.
var appEnv = &Env{}

// IsEvaluated reports whether the thunk has been forced.
func (t *Thunk) IsEvaluated() bool { return t.env == nil }

// forcingEntry remembers a thunk being forced and its code.
type forcingEntry struct {
	t      *Thunk
	code   node
	env    *Env
	frames int32      // height of the trace stack when it started
	pos    syntax.Pos // where it is forced (the call site of an application)
}

// force evaluates v to weak head normal form: if it is a thunk, its value.
// It panics with an *Error on evaluation errors; use it only inside
// builtins and other code running under the evaluator.
func (ev *Evaluator) force(v Value) Value {
	if t, ok := v.(*Thunk); ok {
		if t.env == nil {
			return t.v
		}
		return ev.forceThunk(t)
	}
	return v
}

func (ev *Evaluator) forceThunk(t *Thunk) Value { return ev.forceThunkAt(t, syntax.NoPos) }

// forceAt is force for code at pos (Nix's forceValue with a position).
func (ev *Evaluator) forceAt(v Value, pos syntax.Pos) Value {
	if t, ok := v.(*Thunk); ok {
		if t.env == nil {
			return t.v
		}
		return ev.forceThunkAt(t, pos)
	}
	return v
}

// determinePos is Nix's Value::determinePos: the position of a function,
// or of the function an application applies, else fallback. (Sets have
// no position here.)
func determinePos(v Value, fallback syntax.Pos) syntax.Pos {
	for {
		switch x := v.(type) {
		case *Lambda:
			return x.fn.at
		case *Thunk:
			if x.env == nil {
				v = x.v
				continue
			}
			switch c := x.v.(type) {
			case *callBodyNode:
				return c.fn.at
			case *appNode:
				v = c.f
				continue
			case *app2Node:
				v = c.f
				continue
			}
		}
		return fallback
	}
}

// forceThunkAt forces t for code at pos (where an infinite recursion is
// reported).
func (ev *Evaluator) forceThunkAt(t *Thunk, pos syntax.Pos) Value {
	code, ok := t.v.(node)
	if !ok {
		// Evaluated by a nested force (impossible) or corrupt.
		return t.v
	}
	if code == theBlackhole {
		ev.infiniteRecursion(t, pos)
	}
	env := t.env
	if len(ev.forcing) >= ev.maxForceDepth {
		ev.stackOverflow(code.pos())
	}
	ev.forcing = append(ev.forcing, forcingEntry{t: t, code: code, env: env, frames: int32(len(ev.frames)), pos: pos})
	t.v = theBlackhole
	v := code.eval(ev, env)
	ev.forcing = ev.forcing[:len(ev.forcing)-1]
	t.v = v
	t.env = nil
	return v
}

// forcePos is where the thunk being forced is forced: Nix's forceValue
// calls the function of an application there (the call site in traces and
// stack overflow errors).
func (ev *Evaluator) forcePos() syntax.Pos {
	if n := len(ev.forcing); n > 0 {
		return ev.forcing[n-1].pos
	}
	return syntax.NoPos
}

// unwindForcing is called when an error unwinds past thunks being forced:
// each of them fails with the error from now on.
func (ev *Evaluator) unwindForcing(height int, err *Error) {
	for i := len(ev.forcing) - 1; i >= height; i-- {
		e := ev.forcing[i]
		if _, failed := e.code.(*failedNode); failed || err == nil || err.Kind == Interrupted {
			// Restore the code: forcing again evaluates again, or
			// raises the error it failed with the first time.
			e.t.v = e.code
		} else {
			e.t.v = &failedNode{err: err, at: e.code.pos()}
		}
		e.t.env = e.env
		ev.forcing[i] = forcingEntry{}
	}
	ev.forcing = ev.forcing[:height]
}

// infiniteRecursion reports a thunk forced while it is being forced, at
// pos (else at the position of its code), with "entering the infinite
// recursion" in the trace where the thunk started to be forced.
func (ev *Evaluator) infiniteRecursion(t *Thunk, pos syntax.Pos) {
	for i := len(ev.forcing) - 1; i >= 0; i-- {
		e := ev.forcing[i]
		if e.t != t {
			continue
		}
		// Nix reports it where the thunk was forced again, if that
		// force had a position (tryFixupBlackHolePos), else nowhere.
		err := ev.newError(InfiniteRecursion, pos, "infinite recursion encountered")
		if h := int(e.frames) - (len(ev.frames) - len(err.frames)); h >= 0 && h <= len(err.frames) {
			err.frames = append(err.frames[:h], append([]frame{{kind: frameRecursion}}, err.frames[h:]...)...)
		}
		panic(err)
	}
	ev.raise(InfiniteRecursion, pos, "infinite recursion encountered")
}
