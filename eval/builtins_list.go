package eval

import (
	"fmt"

	"github.com/govix/govix/eval/syntax"
)

// The list basics the language needs.

func init() {
	register(
		&Builtin{Name: "length", Arity: 1, Fn: builtinLength},
		&Builtin{Name: "head", Arity: 1, Fn: builtinHead},
		&Builtin{Name: "tail", Arity: 1, Fn: builtinTail},
		&Builtin{Name: "elemAt", Arity: 2, Fn: builtinElemAt},
		&Builtin{Name: "map", Arity: 2, Global: true, Fn: builtinMap},
		&Builtin{Name: "filter", Arity: 2, Fn: builtinFilter},
		&Builtin{Name: "foldl'", Arity: 3, Fn: builtinFoldl},
		&Builtin{Name: "genList", Arity: 2, Fn: builtinGenList},
		&Builtin{Name: "concatLists", Arity: 1, Fn: builtinConcatLists},
		&Builtin{Name: "concatMap", Arity: 2, Fn: builtinConcatMap},
		&Builtin{Name: "elem", Arity: 2, Fn: builtinElem},
		&Builtin{Name: "all", Arity: 2, Fn: func(c Call) Value { return anyOrAll(c, false) }},
		&Builtin{Name: "any", Arity: 2, Fn: func(c Call) Value { return anyOrAll(c, true) }},
	)
}

func builtinLength(c Call) Value { return Int(len(c.List(0).elems)) }

func builtinHead(c Call) Value {
	l := c.listMsg(c.Args[0], "while evaluating the first argument passed to 'builtins.head'")
	if len(l.elems) == 0 {
		c.Errorf(EvalError, "'builtins.head' called on an empty list")
	}
	return c.Ev.force(l.elems[0])
}

func builtinTail(c Call) Value {
	l := c.listMsg(c.Args[0], "while evaluating the first argument passed to 'builtins.tail'")
	if len(l.elems) == 0 {
		c.Errorf(EvalError, "'builtins.tail' called on an empty list")
	}
	return NewList(l.elems[1:len(l.elems):len(l.elems)])
}

func builtinElemAt(c Call) Value {
	n := c.intMsg(c.Args[1], "while evaluating the second argument passed to 'builtins.elemAt'")
	l := c.listMsg(c.Args[0], "while evaluating the first argument passed to 'builtins.elemAt'")
	if n < 0 || n >= int64(len(l.elems)) {
		c.Errorf(EvalError, "'builtins.elemAt' called with index %d on a list of size %d", n, len(l.elems))
	}
	return c.Ev.force(l.elems[n])
}

func builtinMap(c Call) Value {
	l := c.List(1)
	if len(l.elems) == 0 {
		return l
	}
	f := c.Func(0)
	out := make([]Value, len(l.elems))
	for i, e := range l.elems {
		out[i] = c.Ev.applyLazy(f, e)
	}
	return &List{elems: out}
}

func builtinFilter(c Call) Value {
	l := c.List(1)
	if len(l.elems) == 0 {
		return l
	}
	f := c.Func(0)
	var out []Value
	same := true
	for i, e := range l.elems {
		r := c.Ev.call1(f, e, c.Pos)
		if c.ForceBool(r, "while evaluating the return value of the filtering function passed to builtins.filter") {
			if !same {
				out = append(out, e)
			}
		} else if same {
			same = false
			out = append(out, l.elems[:i]...)
		}
	}
	if same {
		return l
	}
	return NewList(out)
}

func builtinFoldl(c Call) Value {
	f := c.funcMsg(c.Args[0], "while evaluating the first argument passed to builtins.foldlStrict")
	l := c.listMsg(c.Args[2], "while evaluating the third argument passed to builtins.foldlStrict")
	if len(l.elems) == 0 {
		return c.Ev.force(c.Args[1])
	}
	acc := c.Args[1]
	ev := c.Ev
	for _, e := range l.elems {
		base := len(ev.args)
		ev.args = append(ev.args, acc, e)
		acc = ev.callStack(f, base, syntax.NoPos)
	}
	return acc
}

func builtinGenList(c Call) Value {
	n := c.Int(1)
	if n < 0 {
		c.Errorf(EvalError, "cannot create list of size %d", n)
	}
	c.Ev.checkListSize(n)
	f := c.Func(0)
	out := make([]Value, n)
	for i := range out {
		out[i] = c.Ev.applyLazy(f, Int(i))
	}
	return NewList(out)
}

// concatLists concatenates forced lists, sharing a single non-empty one.
func concatLists(lists []*List) *List {
	n := 0
	var nonEmpty *List
	for _, l := range lists {
		n += len(l.elems)
		if len(l.elems) > 0 {
			nonEmpty = l
		}
	}
	if nonEmpty != nil && n == len(nonEmpty.elems) {
		return nonEmpty
	}
	if n > maxListLength {
		panic(&Error{Kind: EvalError, Msg: fmt.Sprintf("out of memory: a list of %d elements is too large", n)})
	}
	out := make([]Value, 0, n)
	for _, l := range lists {
		out = append(out, l.elems...)
	}
	return NewList(out)
}

func builtinConcatLists(c Call) Value {
	l := c.List(0)
	lists := make([]*List, len(l.elems))
	for i, e := range l.elems {
		lists[i] = c.ForceList(e, "while evaluating a value of the list passed to builtins.concatLists")
	}
	return concatLists(lists)
}

func builtinConcatMap(c Call) Value {
	f := c.Func(0)
	l := c.List(1)
	lists := make([]*List, len(l.elems))
	for i, e := range l.elems {
		r := c.Ev.call1(f, e, syntax.NoPos)
		l, ok := r.(*List)
		if !ok {
			// Nix's trace points at the function (determinePos).
			c.Ev.pushFrame(frame{kind: frameMsg, pos: funcPos(f), p: "while evaluating the return value of the function passed to builtins.concatMap"})
			c.Ev.typeError(syntax.NoPos, "a list", r)
		}
		lists[i] = l
	}
	return concatLists(lists)
}

func builtinElem(c Call) Value {
	l := c.List(1)
	for _, e := range l.elems {
		if c.Ev.eqElems(c.Args[0], e, c.Pos) {
			return vTrue
		}
	}
	return vFalse
}

func anyOrAll(c Call, any bool) Value {
	f := c.Func(0)
	l := c.List(1)
	what := "while evaluating the return value of the function passed to builtins.all"
	if any {
		what = "while evaluating the return value of the function passed to builtins.any"
	}
	for _, e := range l.elems {
		if c.ForceBool(c.Ev.call1(f, e, c.Pos), what) == any {
			return mkBool(any)
		}
	}
	return mkBool(!any)
}
