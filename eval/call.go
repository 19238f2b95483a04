package eval

import (
	"github.com/govix/govix/eval/syntax"
)

// callNode is function application f a b c (applied one at a time).
type callNode struct {
	at   syntax.Pos
	fn   node
	args []node
}

func (n *callNode) pos() syntax.Pos { return n.at }
func (n *callNode) eval(ev *Evaluator, env *Env) Value {
	f := n.fn.eval(ev, env)
	if len(n.args) == 1 {
		return ev.call1(f, ev.argument(f, n.args[0], env), n.at)
	}
	base := len(ev.args)
	ev.args = append(ev.args, ev.argument(f, n.args[0], env))
	for _, a := range n.args[1:] {
		ev.args = append(ev.args, ev.lazy(a, env))
	}
	return ev.callStack(f, base, n.at)
}

// argument is the value of the argument a passed to the function f:
// lazy, except that a set written out ({ x = ...; }) passed to a function
// with a { ... } pattern is built at once, without a thunk: the pattern
// forces it first thing, and building such a set cannot fail (it only
// makes thunks of its values) nor be observed before.
func (ev *Evaluator) argument(f Value, a node, env *Env) Value {
	if l, ok := f.(*Lambda); ok && l.fn.hasForms {
		if s, ok := a.(*attrsNode); ok && len(s.dynamic) == 0 && s.overrides < 0 {
			return s.eval(ev, env)
		}
	}
	return ev.lazy(a, env)
}

// Calls count towards max-call-depth once per application, however many
// arguments it has, as Nix's callFunction does: f a b is one call.

// call1 applies the forced function f to one argument.
func (ev *Evaluator) call1(f Value, arg Value, pos syntax.Pos) Value {
	if ev.callDepth > ev.maxCallDepth {
		ev.stackOverflow(pos)
	}
	ev.callDepth++
	var v Value
	if fn, ok := f.(*Lambda); ok {
		v = ev.callLambda(fn, arg, pos)
	} else if fn, ok := f.(*PrimOp); ok && fn.b.Arity == 1 {
		base := len(ev.args)
		ev.args = append(ev.args, arg)
		v = ev.callBuiltin(fn.b, ev.args[base:], pos)
		ev.args[base] = nil
		ev.args = ev.args[:base]
	} else {
		base := len(ev.args)
		ev.args = append(ev.args, arg)
		v = ev.applyStack(f, base, pos)
	}
	ev.callDepth--
	return v
}

// callStack applies f to the arguments ev.args[base:], which it pops.
func (ev *Evaluator) callStack(f Value, base int, pos syntax.Pos) Value {
	if ev.callDepth > ev.maxCallDepth {
		ev.stackOverflow(pos)
	}
	ev.callDepth++
	v := ev.applyStack(f, base, pos)
	ev.callDepth--
	return v
}

// applyStack is callStack without counting the call.
func (ev *Evaluator) applyStack(f Value, base int, pos syntax.Pos) Value {
	end := len(ev.args)
	i := base
	for i < end {
		switch fn := f.(type) {
		case *Lambda:
			if end-i >= 2 && !fn.fn.hasForms {
				if inner, ok := fn.fn.body.(*lambdaNode); ok && !inner.hasForms {
					// f a b where f = x: y: body: bind both without
					// making the intermediate closure.
					f = ev.callCurried(fn, inner, ev.args[i], ev.args[i+1], pos)
					i += 2
					continue
				}
			}
			f = ev.callLambda(fn, ev.args[i], pos)
			i++
		case *PrimOp:
			ar := fn.b.Arity
			if end-i < ar {
				f = &PrimOpApp{op: fn, args: append([]Value(nil), ev.args[i:end]...)}
				i = end
				continue
			}
			f = ev.callBuiltin(fn.b, ev.args[i:i+ar], pos)
			i += ar
		case *PrimOpApp:
			ar := fn.op.b.Arity
			need := ar - len(fn.args)
			if end-i < need {
				args := make([]Value, 0, len(fn.args)+end-i)
				args = append(args, fn.args...)
				args = append(args, ev.args[i:end]...)
				f = &PrimOpApp{op: fn.op, args: args}
				i = end
				continue
			}
			// Gather all arguments on top of the stack.
			top := len(ev.args)
			ev.args = append(ev.args, fn.args...)
			ev.args = append(ev.args, ev.args[i:i+need]...)
			f = ev.callBuiltin(fn.op.b, ev.args[top:], pos)
			clear(ev.args[top:])
			ev.args = ev.args[:top]
			i += need
		case *Attrs:
			f = ev.callFunctor(fn, ev.args[i], pos)
			i++
		default:
			ev.raise(TypeError, pos, "attempt to call something which is not a function but %s: %s",
				showType(f), ev.errorValue(f))
		}
	}
	clear(ev.args[base:end])
	ev.args = ev.args[:base]
	return f
}

// callFunctor calls a set with a __functor attribute: functor self arg.
func (ev *Evaluator) callFunctor(a *Attrs, arg Value, pos syntax.Pos) Value {
	fa := a.get(ev.symbols, ev.s.functor)
	if fa == nil {
		ev.raise(TypeError, pos, "attempt to call something which is not a function but %s: %s",
			showType(a), ev.errorValue(a))
	}
	ev.pushFrame(frame{kind: frameFunctor, pos: pos})
	f := ev.force(fa.Value)
	base := len(ev.args)
	ev.args = append(ev.args, a, arg)
	v := ev.callStack(f, base, fa.Pos)
	ev.popFrame()
	return v
}

// callLambda applies a closure to its argument.
func (ev *Evaluator) callLambda(l *Lambda, arg Value, pos syntax.Pos) Value {
	fn := l.fn
	var env *Env
	if fn.noCapture {
		env = ev.takeEnv1(l.env, arg)
	} else if !fn.hasForms {
		env = ev.newEnv1(l.env, arg)
	} else {
		env = newEnv(l.env, fn.nslots)
		ev.bindFormals(fn, env, arg, pos)
	}
	ev.frames = append(ev.frames, frame{kind: frameLambda, pos: pos, p: fn})
	if ev.cancelCheck++; ev.cancelCheck&0xffff == 0 {
		ev.checkInterrupt()
	}
	v := fn.body.eval(ev, env)
	ev.frames = ev.frames[:len(ev.frames)-1]
	if fn.noCapture {
		// Nothing refers to the environment any more.
		ev.releaseEnv1(env)
	}
	return v
}

// callCurried applies x: y: body to two arguments at once: the same two
// calls as callLambda twice, without allocating the closure in between.
func (ev *Evaluator) callCurried(l *Lambda, inner *lambdaNode, a, b Value, pos syntax.Pos) Value {
	// The outer environment is kept only by the inner one.
	var env, env2 *Env
	if inner.noCapture {
		env = ev.takeEnv1(l.env, a)
		env2 = ev.takeEnv1(env, b)
	} else {
		env2 = ev.newEnv1Pair(l.env, a, b)
	}
	// The outer call only made the inner function, which cannot fail:
	// errors come from the inner call alone, as in Nix.
	ev.frames = append(ev.frames, frame{kind: frameLambda, pos: pos, p: inner})
	if ev.cancelCheck++; ev.cancelCheck&0xffff == 0 {
		ev.checkInterrupt()
	}
	v := inner.body.eval(ev, env2)
	ev.frames = ev.frames[:len(ev.frames)-1]
	if inner.noCapture {
		ev.releaseEnv1(env2)
		ev.releaseEnv1(env)
	}
	return v
}

// bindFormals matches a set argument against a { a, b ? d, ... } pattern.
func (ev *Evaluator) bindFormals(fn *lambdaNode, env *Env, arg Value, pos syntax.Pos) {
	argv := ev.force(arg)
	attrs, ok := argv.(*Attrs)
	if !ok {
		ev.pushFrame(frame{kind: frameCallSite, pos: pos})
		ev.pushFrame(frame{kind: frameMsg, pos: fn.at, p: "while evaluating the value passed for the lambda argument"})
		ev.typeError(fn.at, "a set", argv)
	}
	if fn.param >= 0 {
		env.set(fn.param, argv)
	}
	used := 0
	for i := range fn.formals {
		f := &fn.formals[i]
		if a := attrs.get(ev.symbols, f.name); a != nil {
			env.set(f.slot, a.Value)
			used++
		} else if f.def != nil {
			env.set(f.slot, ev.lazy(f.def, env))
		} else {
			ev.pushFrame(frame{kind: frameCallSite, pos: pos})
			ev.raise(TypeError, fn.at, "function '%s' called without required argument '%s'",
				fn.displayName(), ev.symbols.name(f.name))
		}
	}
	if !fn.ellipsis && used != attrs.Len() {
		for _, a := range attrs.all() {
			if !fn.hasFormal(a.Name) {
				names := make([]string, len(fn.formals))
				for i, f := range fn.formals {
					names[i] = ev.symbols.name(f.name)
				}
				ev.pushFrame(frame{kind: frameCallSite, pos: pos})
				e := ev.newError(TypeError, fn.at, "function '"+fn.displayName()+"' called with unexpected argument '"+
					ev.symbols.name(a.Name)+"'")
				e.Suggestions = suggest(names, ev.symbols.name(a.Name))
				panic(e)
			}
		}
	}
}

func (fn *lambdaNode) displayName() string {
	if fn.name == "" {
		return "anonymous lambda"
	}
	return fn.name
}

func (fn *lambdaNode) hasFormal(s Sym) bool {
	for i := range fn.formals {
		if fn.formals[i].name == s {
			return true
		}
	}
	return false
}

// callBuiltin runs a builtin on exactly Arity arguments.
func (ev *Evaluator) callBuiltin(b *Builtin, args []Value, pos syntax.Pos) Value {
	ev.frames = append(ev.frames, frame{kind: frameBuiltin, pos: pos, p: b})
	v := b.Fn(Call{Ev: ev, Args: args, Pos: pos, b: b})
	if t, ok := v.(*Thunk); ok {
		v = ev.force(t)
	}
	ev.frames = ev.frames[:len(ev.frames)-1]
	return v
}

// Apply calls the function f on args and returns the forced result. It
// panics with *Error on evaluation errors (for use inside builtins).
func (ev *Evaluator) apply(f Value, pos syntax.Pos, args ...Value) Value {
	f = ev.force(f)
	if len(args) == 1 {
		return ev.call1(f, args[0], pos)
	}
	base := len(ev.args)
	ev.args = append(ev.args, args...)
	return ev.callStack(f, base, pos)
}
