package eval

import "github.com/govix/govix/eval/syntax"

// Argument helpers for builtins whose trace line Nix words in its own way
// ("while evaluating the argument passed to builtins.attrNames",
// "while evaluating the 'startSet' attribute passed as argument to
// builtins.genericClosure"). Like Call.Force they push the message around
// forcing, so that errors raised inside the argument's evaluation carry it
// too, and they raise Nix's type error with it otherwise.

// forceMsg forces v with msg as the trace line of errors inside.
func (c Call) forceMsg(v Value, msg string) Value {
	if t, ok := v.(*Thunk); ok {
		if t.env == nil {
			return t.v
		}
		c.Ev.pushFrame(msgFrame(syntax.NoPos, msg))
		v = c.Ev.forceThunk(t)
		c.Ev.popFrame()
	}
	return v
}

// wantMsg raises "expected WHAT but found ..." traced with msg.
func (c Call) wantMsg(msg, what string, v Value) {
	c.Ev.pushFrame(msgFrame(syntax.NoPos, msg))
	c.Ev.typeError(syntax.NoPos, what, v)
}

// listMsg forces v to a list.
func (c Call) listMsg(v Value, msg string) *List {
	v = c.forceMsg(v, msg)
	l, ok := v.(*List)
	if !ok {
		c.wantMsg(msg, "a list", v)
	}
	return l
}

// attrsMsg forces v to a set.
func (c Call) attrsMsg(v Value, msg string) *Attrs {
	v = c.forceMsg(v, msg)
	a, ok := v.(*Attrs)
	if !ok {
		c.wantMsg(msg, "a set", v)
	}
	return a
}

// funcMsg forces v to a function (or a functor set).
func (c Call) funcMsg(v Value, msg string) Value {
	v = c.forceMsg(v, msg)
	switch f := v.(type) {
	case *Lambda, *PrimOp, *PrimOpApp:
		return v
	case *Attrs:
		if f.get(c.Ev.symbols, c.Ev.s.functor) != nil {
			return v
		}
	}
	c.wantMsg(msg, "a function", v)
	return nil
}

// intMsg forces v to an integer.
func (c Call) intMsg(v Value, msg string) int64 {
	v = c.forceMsg(v, msg)
	n, ok := v.(Int)
	if !ok {
		c.wantMsg(msg, "an integer", v)
	}
	return int64(n)
}

// boolMsg forces v to a Boolean.
func (c Call) boolMsg(v Value, msg string) bool {
	v = c.forceMsg(v, msg)
	b, ok := v.(Bool)
	if !ok {
		c.wantMsg(msg, "a Boolean", v)
	}
	return bool(b)
}

// stringMsg forces v to a string.
func (c Call) stringMsg(v Value, msg string) *String {
	v = c.forceMsg(v, msg)
	s, ok := v.(*String)
	if !ok {
		c.wantMsg(msg, "a string", v)
	}
	return s
}

// stringAt forces v to a string, as Nix's forceString at a position: the
// trace line and the type error are both at pos.
func (c Call) stringAt(v Value, pos syntax.Pos, msg string) *String {
	if t, ok := v.(*Thunk); ok && t.env != nil {
		c.Ev.pushFrame(msgFrame(pos, msg))
		v = c.Ev.forceThunk(t)
		c.Ev.popFrame()
	} else {
		v = c.Ev.force(v)
	}
	s, ok := v.(*String)
	if !ok {
		c.Ev.pushFrame(msgFrame(pos, msg))
		c.Ev.typeError(pos, "a string", v)
	}
	return s
}

// funcPos is the position of a function value, for trace lines (Nix's
// determinePos), or none.
func funcPos(f Value) syntax.Pos {
	if l, ok := f.(*Lambda); ok {
		return l.fn.at
	}
	return syntax.NoPos
}

// stringNoCtxMsg forces v to a string without context.
func (c Call) stringNoCtxMsg(v Value, msg string) string {
	s := c.stringMsg(v, msg)
	if s.ctx != nil {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, msg))
		c.Errorf(EvalError, "the string '%s' is not allowed to refer to a store path (such as '%s')",
			s.s, c.Ev.showContextElem(s.ctx.elems[0]))
	}
	return s.s
}

// call2 calls f (forced) on a and b, strictly.
func (c Call) call2(f, a, b Value) Value {
	ev := c.Ev
	base := len(ev.args)
	ev.args = append(ev.args, a, b)
	return ev.callStack(f, base, syntax.NoPos)
}

// isBuiltin reports whether v is the builtin named name itself.
func isBuiltin(v Value, name string) bool {
	p, ok := v.(*PrimOp)
	return ok && p.b.Name == name
}

// insertTrace adds trace lines to e at height h of the evaluator's trace
// stack: outside what was pushed after h (the frames of the failed
// operation), inside what was there before, which is where Nix's
// addTrace in a catch block at that level puts them.
func (e *Error) insertTrace(h int, msgs ...string) {
	h = min(max(h-e.base, 0), len(e.frames))
	ins := make([]frame, len(msgs))
	for i, m := range msgs {
		ins[i] = msgFrame(syntax.NoPos, m)
	}
	e.frames = append(e.frames[:h:h], append(ins, e.frames[h:]...)...)
}

// catchError runs f and returns the evaluation error it raised (of any
// kind but Interrupted, as C++ `catch (Error &)`), with the evaluator's
// stacks restored, or nil. Other panics go on.
func (ev *Evaluator) catchError(f func()) (err *Error) {
	saved := ev.save()
	defer func() {
		if x := recover(); x != nil {
			e, ok := x.(*Error)
			if !ok {
				panic(x)
			}
			ev.restore(saved, e)
			if e.Kind == Interrupted {
				panic(e)
			}
			err = e
		}
	}()
	f()
	return nil
}
