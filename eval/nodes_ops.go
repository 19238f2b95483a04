package eval

import (
	"math"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// notNode is !x.
type notNode struct {
	at syntax.Pos
	x  node
}

func (n *notNode) pos() syntax.Pos { return n.at }
func (n *notNode) eval(ev *Evaluator, env *Env) Value {
	return mkBool(!ev.evalBool(n.x, env, msgNotArg))
}

// logicNode is &&, || or ->.
type logicNode struct {
	at   syntax.Pos
	op   syntax.Op
	a, b node
}

func (n *logicNode) pos() syntax.Pos { return n.at }
func (n *logicNode) eval(ev *Evaluator, env *Env) Value {
	switch n.op {
	case syntax.OpAnd:
		return mkBool(ev.evalBool(n.a, env, msgAndLeft) &&
			ev.evalBool(n.b, env, msgAndRight))
	case syntax.OpOr:
		return mkBool(ev.evalBool(n.a, env, msgOrLeft) ||
			ev.evalBool(n.b, env, msgOrRight))
	default: // OpImpl
		return mkBool(!ev.evalBool(n.a, env, msgImplLeft) ||
			ev.evalBool(n.b, env, msgImplRight))
	}
}

// eqNode is == (or != when neg).
type eqNode struct {
	at   syntax.Pos
	a, b node
	neg  bool
}

func (n *eqNode) pos() syntax.Pos { return n.at }
func (n *eqNode) eval(ev *Evaluator, env *Env) Value {
	if isNumNode(n.a) || isNumNode(n.b) {
		ai, a := ev.numOperand(n.a, env)
		bi, b := ev.numOperand(n.b, env)
		if a == nil && b == nil {
			return mkBool((ai == bi) != n.neg)
		}
		if a == nil {
			a = Int(ai)
		}
		if b == nil {
			b = Int(bi)
		}
		return mkBool(ev.eqValues(a, b, n.at) != n.neg)
	}
	ctx := &eqCtx[0]
	if n.neg {
		ctx = &eqCtx[1]
	}
	a := ev.evalCtx(n.a, env, ctx[0])
	b := ev.evalCtx(n.b, env, ctx[1])
	return mkBool(ev.eqValues(a, b, n.at) != n.neg)
}

var eqCtx = [2][2]*traceMsg{
	{msgEqLeft, msgEqRight},
	{msgNEqLeft, msgNEqRight},
}

// evalCtx evaluates n with ctx as the trace line of errors inside it.
func (ev *Evaluator) evalCtx(n node, env *Env, ctx *traceMsg) Value {
	if v, ok := peek(n, env); ok {
		return v
	}
	ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.pos(), p: ctx})
	v := n.eval(ev, env)
	ev.frames = ev.frames[:len(ev.frames)-1]
	return v
}

// concatNode is a ++ b.
type concatNode struct {
	at   syntax.Pos
	a, b node
}

func (n *concatNode) pos() syntax.Pos { return n.at }
func (n *concatNode) eval(ev *Evaluator, env *Env) Value {
	a := ev.evalList(n.a, env, msgConcatLeft)
	b := ev.evalList(n.b, env, msgConcatRight)
	if len(a.elems) == 0 {
		return b
	}
	if len(b.elems) == 0 {
		return a
	}
	ev.checkListSize(int64(len(a.elems)) + int64(len(b.elems)))
	elems := make([]Value, len(a.elems)+len(b.elems))
	copy(elems, a.elems)
	copy(elems[len(a.elems):], b.elems)
	return &List{elems: elems}
}

// evalList evaluates n and requires a list; ctx is the trace line of
// errors on the way.
func (ev *Evaluator) evalList(n node, env *Env, ctx *traceMsg) *List {
	ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.pos(), p: ctx})
	v := n.eval(ev, env)
	if l, ok := v.(*List); ok {
		ev.frames = ev.frames[:len(ev.frames)-1]
		return l
	}
	ev.typeError(n.pos(), "a list", v)
	return nil
}

// addNode is a + b: numbers add, strings and paths concatenate (Nix's
// ExprConcatStrings with two operands).
type addNode struct {
	at   syntax.Pos
	a, b node
}

func (n *addNode) pos() syntax.Pos { return n.at }
func (n *addNode) eval(ev *Evaluator, env *Env) Value {
	if isNumNode(n.a) {
		i, v := n.evalNum(ev, env)
		if v == nil {
			return Int(i)
		}
		return v
	}
	a := ev.evalOperand(n.a, env)
	b := ev.evalOperand(n.b, env)
	return ev.addValues(n, a, b)
}

// evalOperand evaluates an operand of + (or of an interpolation), with
// Nix's trace line for errors inside it.
func (ev *Evaluator) evalOperand(n node, env *Env) Value {
	if v, ok := peek(n, env); ok {
		return v
	}
	ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.pos(), p: msgAddOperand})
	v := n.eval(ev, env)
	ev.frames = ev.frames[:len(ev.frames)-1]
	return v
}

// addValues is + on evaluated operands.
func (ev *Evaluator) addValues(n *addNode, a, b Value) Value {
	switch x := a.(type) {
	case Int:
		switch y := b.(type) {
		case Int:
			s := x + y
			if (s > x) != (y > 0) {
				ev.raise(EvalError, n.b.pos(), "integer overflow in adding %d + %d", x, y)
			}
			return s
		case Float:
			return Float(x) + y
		}
		ev.raise(EvalError, n.b.pos(), "cannot add %s to an integer", showType(b))
	case Float:
		switch y := b.(type) {
		case Int:
			return x + Float(y)
		case Float:
			return x + y
		}
		ev.raise(EvalError, n.b.pos(), "cannot add %s to a float", showType(b))
	case Path:
		s, ctx := ev.coerceToString(n.b.pos(), b, "while evaluating a path segment", false, false, true)
		if ctx != nil {
			ev.raise(EvalError, n.at, "a string that refers to a store path cannot be appended to a path")
		}
		return Path(canonPath(string(x) + s))
	case *String:
		s, ctx := ev.coerceToString(n.b.pos(), b, "while evaluating a path segment", false, true, true)
		if s == "" {
			return a
		}
		if x.s == "" && ctx == x.ctx {
			if bs, ok := b.(*String); ok {
				return bs
			}
		}
		ev.checkStringSize(len(x.s) + len(s))
		return &String{s: x.s + s, ctx: mergeContext(x.ctx, ctx)}
	}
	s1, c1 := ev.coerceToString(n.a.pos(), a, "while evaluating a path segment", false, true, false)
	s2, c2 := ev.coerceToString(n.b.pos(), b, "while evaluating a path segment", false, true, true)
	return NewString(s1+s2, mergeContext(c1, c2))
}

// interpNode is a string with interpolations: "a${b}c" (Nix's
// ExprConcatStrings with forceString).
type interpNode struct {
	at     syntax.Pos
	parts  []node
	partAt []syntax.Pos // where each part is (an interpolation's ${)
}

func (n *interpNode) pos() syntax.Pos { return n.at }
func (n *interpNode) eval(ev *Evaluator, env *Env) Value {
	var b strings.Builder
	var ctx *Context
	for i, p := range n.parts {
		if c, ok := p.(*constNode); ok {
			if s, ok := c.v.(*String); ok {
				b.WriteString(s.s)
				continue
			}
		}
		v := ev.evalOperand(p, env)
		if s, ok := v.(*String); ok {
			b.WriteString(s.s)
			ctx = mergeContext(ctx, s.ctx)
			continue
		}
		s, c := ev.coerceToString(n.partAt[i], v, "while evaluating a path segment", false, true, true)
		b.WriteString(s)
		ctx = mergeContext(ctx, c)
		ev.checkStringSize(b.Len())
	}
	return NewString(b.String(), ctx)
}

// pathInterpNode is a path with interpolations: ./a/${b}/c. The first
// part is the literal start, already made absolute (keeping a trailing
// slash); the result is canonicalised.
type pathInterpNode struct {
	at     syntax.Pos
	start  string
	parts  []node
	partAt []syntax.Pos // as interpNode's
}

func (n *pathInterpNode) pos() syntax.Pos { return n.at }
func (n *pathInterpNode) eval(ev *Evaluator, env *Env) Value {
	var b strings.Builder
	b.WriteString(n.start)
	for i, p := range n.parts {
		v := ev.evalOperand(p, env)
		s, ctx := ev.coerceToString(n.partAt[i], v, "while evaluating a path segment", false, false, true)
		if ctx != nil {
			ev.raise(EvalError, n.at, "a string that refers to a store path cannot be appended to a path")
		}
		b.WriteString(s)
	}
	return Path(canonPath(b.String()))
}

// arithNode is -, *, / and the comparisons when __sub, __mul, __div and
// __lessThan are the builtins (Nix desugars these operators to calls).
type arithNode struct {
	at   syntax.Pos
	op   syntax.Op
	a, b node
	prim *Builtin // the builtin the operator stands for (for traces)
}

func (n *arithNode) pos() syntax.Pos { return n.at }
func (n *arithNode) eval(ev *Evaluator, env *Env) Value {
	switch n.op {
	case syntax.OpSub, syntax.OpMul, syntax.OpDiv:
		i, v := n.evalNum(ev, env)
		if v == nil {
			return Int(i)
		}
		return v
	}
	// The comparisons are calls of __lessThan in Nix (a <= b is
	// !(__lessThan b a)): the same evaluation order and trace lines, and
	// errors without a position.
	if a, ok := peek(n.a, env); ok {
		if b, ok := peek(n.b, env); ok {
			if x, ok := a.(Int); ok {
				if y, ok := b.(Int); ok {
					switch n.op {
					case syntax.OpLess:
						return mkBool(x < y)
					case syntax.OpGreater:
						return mkBool(x > y)
					case syntax.OpLEq:
						return mkBool(x <= y)
					default:
						return mkBool(x >= y)
					}
				}
			}
		}
	}
	h := len(ev.frames)
	if n.op == syntax.OpLEq || n.op == syntax.OpGEq {
		ev.frames = append(ev.frames, frame{kind: frameMsg, pos: n.at, p: msgNotArg})
	}
	ev.frames = append(ev.frames, frame{kind: frameBuiltin, pos: n.at, p: n.prim})
	var r bool
	switch n.op {
	case syntax.OpLess:
		a := n.a.eval(ev, env)
		r = ev.lessThan(a, n.b.eval(ev, env), syntax.NoPos)
	case syntax.OpGreater: // b < a
		b := n.b.eval(ev, env)
		r = ev.lessThan(b, n.a.eval(ev, env), syntax.NoPos)
	case syntax.OpLEq: // !(b < a)
		b := n.b.eval(ev, env)
		r = !ev.lessThan(b, n.a.eval(ev, env), syntax.NoPos)
	default: // OpGEq: !(a < b)
		a := n.a.eval(ev, env)
		r = !ev.lessThan(a, n.b.eval(ev, env), syntax.NoPos)
	}
	ev.frames = ev.frames[:h]
	return mkBool(r)
}

// Nested integer arithmetic (x / 4 * 4 == x) passes intermediate results
// as int64, not as boxed Values: numOperand returns (i, nil) for an
// integer and (0, v) for anything else.

func isNumNode(n node) bool {
	switch n := n.(type) {
	case *arithNode:
		return n.op == syntax.OpSub || n.op == syntax.OpMul || n.op == syntax.OpDiv
	case *addNode:
		return true
	}
	return false
}

// numOperand evaluates an operand of arithmetic.
func (ev *Evaluator) numOperand(n node, env *Env) (int64, Value) {
	switch c := n.(type) {
	case *arithNode:
		if c.op == syntax.OpSub || c.op == syntax.OpMul || c.op == syntax.OpDiv {
			return c.evalNum(ev, env)
		}
	case *addNode:
		return c.evalNum(ev, env)
	}
	v := n.eval(ev, env)
	if i, ok := v.(Int); ok {
		return int64(i), nil
	}
	return 0, v
}

// evalNum is eval for -, * and /, the result unboxed when an integer.
func (n *arithNode) evalNum(ev *Evaluator, env *Env) (int64, Value) {
	h := len(ev.frames)
	var ai, bi int64
	var av, bv Value
	if a, ok := peek(n.a, env); ok {
		if b, ok := peek(n.b, env); ok {
			// Nothing to evaluate, so no frame (the common x - 1).
			av, bv = a, b
			if x, ok := a.(Int); ok {
				ai, av = int64(x), nil
			}
			if y, ok := b.(Int); ok {
				bi, bv = int64(y), nil
			}
			goto compute
		}
	}
	ev.frames = append(ev.frames, frame{kind: frameBuiltin, pos: n.at, p: n.prim})
	ai, av = ev.numOperand(n.a, env)
	bi, bv = ev.numOperand(n.b, env)
	ev.frames = ev.frames[:h]
compute:
	op := byte('/')
	switch n.op {
	case syntax.OpSub:
		op = '-'
		if av == nil && bv == nil {
			if r := ai - bi; (r < ai) == (bi > 0) {
				return r, nil
			}
		}
	case syntax.OpMul:
		op = '*'
		if av == nil && bv == nil && ai > -1<<31 && ai < 1<<31 && bi > -1<<31 && bi < 1<<31 {
			return ai * bi, nil
		}
	default:
		if av == nil && bv == nil && bi != 0 && bi != -1 {
			return ai / bi, nil
		}
	}
	if av == nil {
		av = Int(ai)
	}
	if bv == nil {
		bv = Int(bi)
	}
	ev.frames = append(ev.frames, frame{kind: frameBuiltin, pos: n.at, p: n.prim})
	r := ev.arith(op, av, bv)
	ev.frames = ev.frames[:h]
	if i, ok := r.(Int); ok {
		return int64(i), nil
	}
	return 0, r
}

// evalNum is eval for +, the result unboxed when an integer.
func (n *addNode) evalNum(ev *Evaluator, env *Env) (int64, Value) {
	if !isNumNode(n.a) {
		// Strings and paths: the general case.
		v := n.eval(ev, env)
		if i, ok := v.(Int); ok {
			return int64(i), nil
		}
		return 0, v
	}
	ai, av := ev.numOperand(n.a, env)
	if av != nil {
		v := ev.addValues(n, av, ev.evalOperand(n.b, env))
		if i, ok := v.(Int); ok {
			return int64(i), nil
		}
		return 0, v
	}
	bi, bv := ev.numOperand(n.b, env)
	if bv == nil {
		if r := ai + bi; (r > ai) == (bi > 0) {
			return r, nil
		}
		ev.raise(EvalError, n.b.pos(), "integer overflow in adding %d + %d", ai, bi)
	}
	v := ev.addValues(n, Int(ai), bv)
	if i, ok := v.(Int); ok {
		return int64(i), nil
	}
	return 0, v
}

// negNode is -x when __sub is the builtin: 0 - x.
type negNode struct {
	at   syntax.Pos
	x    node
	prim *Builtin // __sub, for traces
}

func (n *negNode) pos() syntax.Pos { return n.at }
func (n *negNode) eval(ev *Evaluator, env *Env) Value {
	ev.frames = append(ev.frames, frame{kind: frameBuiltin, pos: n.at, p: n.prim})
	v := ev.arith('-', Int(0), n.x.eval(ev, env))
	ev.frames = ev.frames[:len(ev.frames)-1]
	return v
}

// arithCtx holds the trace lines of builtins.add, sub, mul and div for
// their operands, as Nix words them (the first operand of a float
// multiplication really is "the first of the multiplication").
var arithCtx = map[byte][3]string{
	'+': {"while evaluating the first argument of the addition", "while evaluating the second argument of the addition", "while evaluating the first argument of the addition"},
	'-': {"while evaluating the first argument of the subtraction", "while evaluating the second argument of the subtraction", "while evaluating the first argument of the subtraction"},
	'*': {"while evaluating the first argument of the multiplication", "while evaluating the second argument of the multiplication", "while evaluating the first of the multiplication"},
	'/': {"while evaluating the first operand of the division", "while evaluating the second operand of the division", "while evaluating the first operand of the division"},
}

// arith implements builtins.add, sub, mul and div on forced values.
func (ev *Evaluator) arith(op byte, a, b Value) Value {
	if ia, ok := a.(Int); ok {
		if ib, ok := b.(Int); ok {
			switch op {
			case '+':
				if r := ia + ib; (r > ia) == (ib > 0) {
					return r
				}
			case '-':
				if r := ia - ib; (r < ia) == (ib > 0) {
					return r
				}
			case '*':
				if ia > -1<<31 && ia < 1<<31 && ib > -1<<31 && ib < 1<<31 {
					return ia * ib
				}
			case '/':
				if ib != 0 && ib != -1 {
					return ia / ib
				}
			}
		}
	}
	return ev.arithSlow(op, a, b)
}

// arithSlow is arith for floats, errors and overflow checks, with the
// checks in the order of Nix's prim_add, prim_sub, prim_mul and prim_div;
// its errors have no position, as theirs.
func (ev *Evaluator) arithSlow(op byte, a, b Value) Value {
	ctx := arithCtx[op]
	fa, aFloat := a.(Float)
	fb, bFloat := b.(Float)
	ia, aInt := a.(Int)
	ib, bInt := b.(Int)
	want := func(what, ctx string, v Value) {
		ev.pushFrame(msgFrame(syntax.NoPos, ctx))
		ev.typeError(syntax.NoPos, what, v)
	}
	if op == '/' {
		if !bInt && !bFloat {
			want("a float", ctx[1], b)
		}
		if (bInt && ib == 0) || (bFloat && fb == 0) {
			ev.raise(EvalError, syntax.NoPos, "division by zero")
		}
	}
	if aFloat || bFloat {
		if !aFloat {
			if !aInt {
				want("a float", ctx[2], a)
			}
			fa = Float(ia)
		}
		if !bFloat {
			if !bInt {
				want("a float", ctx[1], b)
			}
			fb = Float(ib)
		}
		switch op {
		case '+':
			return fa + fb
		case '-':
			return fa - fb
		case '*':
			return fa * fb
		default:
			return fa / fb
		}
	}
	if !aInt {
		want("an integer", ctx[0], a)
	}
	if !bInt {
		want("an integer", ctx[1], b)
	}
	var r Int
	ok := true
	var verb string
	switch op {
	case '+':
		r = ia + ib
		ok = (r > ia) == (ib > 0)
		verb = "adding"
	case '-':
		r = ia - ib
		ok = (r < ia) == (ib > 0)
		verb = "subtracting"
	case '*':
		r = ia * ib
		ok = ia == 0 || (r/ia == ib && !(ia == -1 && ib == math.MinInt64) && !(ib == -1 && ia == math.MinInt64))
		verb = "multiplying"
	default:
		if ia == math.MinInt64 && ib == -1 {
			ok = false
		} else {
			r = ia / ib
		}
		verb = "dividing"
	}
	if !ok {
		ev.raise(EvalError, syntax.NoPos, "integer overflow in %s %d %c %d", verb, ia, op, ib)
	}
	return r
}

// Limits on the size of one value, so that an expression that grows a
// list or string exponentially fails with an error instead of exhausting
// memory.
const (
	maxListLength   = 1 << 28
	maxStringLength = 1 << 31
)

func (ev *Evaluator) checkListSize(n int64) {
	if n > maxListLength {
		ev.raise(EvalError, syntax.NoPos, "out of memory: a list of %d elements is too large", n)
	}
}

func (ev *Evaluator) checkStringSize(n int) {
	if n > maxStringLength {
		ev.raise(EvalError, syntax.NoPos, "out of memory: a string of %d bytes is too large", n)
	}
}
