package eval

import (
	"fmt"

	"github.com/govix/govix/eval/syntax"
)

// eqValues implements == on two forced values. Inside lists and sets,
// elements that are the very same value (the same thunk, or the same
// function) are equal without being compared, as in Nix; two functions
// compared directly are never equal.
func (ev *Evaluator) eqValues(a, b Value, pos syntax.Pos) bool {
	switch x := a.(type) {
	case Int:
		switch y := b.(type) {
		case Int:
			return x == y
		case Float:
			return Float(x) == y
		}
		return false
	case Float:
		switch y := b.(type) {
		case Int:
			return x == Float(y)
		case Float:
			return x == y
		}
		return false
	case Bool:
		y, ok := b.(Bool)
		return ok && x == y
	case Null:
		_, ok := b.(Null)
		return ok
	case *String:
		y, ok := b.(*String)
		return ok && x.s == y.s
	case Path:
		y, ok := b.(Path)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || len(x.elems) != len(y.elems) {
			return false
		}
		if x == y {
			return true
		}
		ev.enterDeep(pos)
		eq := true
		for i := range x.elems {
			if !ev.eqElems(x.elems[i], y.elems[i], pos) {
				eq = false
				break
			}
		}
		ev.leaveDeep()
		return eq
	case *Attrs:
		y, ok := b.(*Attrs)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if ev.isDerivation(x) && ev.isDerivation(y) {
			if ox, oy := x.get(ev.symbols, ev.s.outPath), y.get(ev.symbols, ev.s.outPath); ox != nil && oy != nil {
				return ev.eqElems(ox.Value, oy.Value, pos)
			}
		}
		if x.Len() != y.Len() {
			return false
		}
		xa, ya := x.all(), y.all()
		for i := range xa {
			if xa[i].Name != ya[i].Name {
				return false
			}
		}
		ev.enterDeep(pos)
		eq := true
		for i := range xa {
			if !ev.eqElems(xa[i].Value, ya[i].Value, pos) {
				eq = false
				break
			}
		}
		ev.leaveDeep()
		return eq
	}
	// Functions are incomparable.
	return false
}

// eqElems compares two elements of lists or sets: identical values are
// equal without forcing.
func (ev *Evaluator) eqElems(a, b Value, pos syntax.Pos) bool {
	if a == b {
		return true
	}
	return ev.eqValues(ev.force(a), ev.force(b), pos)
}

// enterDeep and leaveDeep bound the recursion of deep operations
// (comparison, deepSeq, printing) by max-call-depth, as Nix does.
func (ev *Evaluator) enterDeep(pos syntax.Pos) {
	if ev.callDepth > ev.maxCallDepth {
		ev.stackOverflow(pos)
	}
	ev.callDepth++
}

func (ev *Evaluator) leaveDeep() { ev.callDepth-- }

// isDerivation reports whether a is a set with type = "derivation".
func (ev *Evaluator) isDerivation(a *Attrs) bool {
	t := a.get(ev.symbols, ev.s.typ)
	if t == nil {
		return false
	}
	s, ok := ev.force(t.Value).(*String)
	return ok && s.s == "derivation"
}

// assertEqValues explains why a == b failed in `assert a == b;`, raising an
// AssertionError with Nix's wording. It returns if they are equal after all.
func (ev *Evaluator) assertEqValues(a, b Value, pos syntax.Pos) {
	fail := func(format string, args ...any) {
		ev.raise(AssertionError, syntax.NoPos, format, args...)
	}
	_, aNum := a.(Int)
	_, aF := a.(Float)
	_, bNum := b.(Int)
	_, bF := b.(Float)
	if (aNum || aF) && (bNum || bF) {
		if !ev.eqValues(a, b, pos) {
			fail("%s with value '%s' is not equal to %s with value '%s'", showType(a), ev.errorValue(a), showType(b), ev.errorValue(b))
		}
		return
	}
	if KindOf(a) != KindOf(b) {
		fail("%s of value '%s' is not equal to %s of value '%s'", showType(a), ev.errorValue(a), showType(b), ev.errorValue(b))
	}
	switch x := a.(type) {
	case Int:
		if x != b.(Int) {
			fail("integer '%d' is not equal to integer '%d'", x, b.(Int))
		}
	case Bool:
		if x != b.(Bool) {
			fail("boolean '%s' is not equal to boolean '%s'", ev.errorValue(a), ev.errorValue(b))
		}
	case *String:
		if x.s != b.(*String).s {
			fail("string '%s' is not equal to string '%s'", ev.errorValue(a), ev.errorValue(b))
		}
	case Path:
		if x != b.(Path) {
			fail("path '%s' is not equal to path '%s'", ev.errorValue(a), ev.errorValue(b))
		}
	case Float:
		if x != b.(Float) {
			fail("float '%s' is not equal to float '%s'", fmt.Sprintf("%f", float64(x)), fmt.Sprintf("%f", float64(b.(Float))))
		}
	case *List:
		y := b.(*List)
		if len(x.elems) != len(y.elems) {
			fail("list of size '%d' is not equal to list of size '%d', left hand side is '%s', right hand side is '%s'",
				len(x.elems), len(y.elems), ev.errorValue(a), ev.errorValue(b))
		}
		for i := range x.elems {
			if x.elems[i] == y.elems[i] {
				continue
			}
			ev.pushFrame(frame{kind: frameMsg, pos: pos, p: fmt.Sprintf("while comparing list element %d", i)})
			ev.assertEqValues(ev.force(x.elems[i]), ev.force(y.elems[i]), pos)
			ev.popFrame()
		}
	case *Attrs:
		y := b.(*Attrs)
		if ev.isDerivation(x) && ev.isDerivation(y) {
			ox, oy := x.get(ev.symbols, ev.s.outPath), y.get(ev.symbols, ev.s.outPath)
			if ox != nil && oy != nil {
				ev.pushFrame(frame{kind: frameMsg, pos: pos, p: "while comparing a derivation by its 'outPath' attribute"})
				ev.assertEqValues(ev.force(ox.Value), ev.force(oy.Value), pos)
				ev.popFrame()
				return
			}
		}
		if x.Len() != y.Len() {
			fail("attribute names of attribute set '%s' differs from attribute set '%s'", ev.errorValue(a), ev.errorValue(b))
		}
		xa, ya := x.all(), y.all()
		for i := range xa {
			if xa[i].Name != ya[i].Name {
				if y.get(ev.symbols, xa[i].Name) == nil {
					fail("attribute name '%s' is contained in '%s', but not in '%s'",
						ev.symbols.name(xa[i].Name), ev.errorValue(a), ev.errorValue(b))
				}
				fail("attribute name '%s' is missing in '%s', but is contained in '%s'",
					ev.symbols.name(ya[i].Name), ev.errorValue(a), ev.errorValue(b))
			}
		}
		for i := range xa {
			if xa[i].Value == ya[i].Value {
				continue
			}
			ev.pushFrame(frame{kind: frameMsg, pos: pos, p: "while comparing attribute '" + ev.symbols.name(xa[i].Name) + "'"})
			ev.pushFrame(frame{kind: frameMsg, pos: xa[i].Pos, p: "where left hand side is"})
			ev.pushFrame(frame{kind: frameMsg, pos: ya[i].Pos, p: "where right hand side is"})
			ev.assertEqValues(ev.force(xa[i].Value), ev.force(ya[i].Value), pos)
			ev.popFrame()
			ev.popFrame()
			ev.popFrame()
		}
	case *Lambda, *PrimOp, *PrimOpApp:
		fail("distinct functions and immediate comparisons of identical functions compare as unequal")
	}
}

// lessThan implements builtins.lessThan (and <, <=, >, >=) on forced
// values.
func (ev *Evaluator) lessThan(a, b Value, pos syntax.Pos) bool {
	switch x := a.(type) {
	case Int:
		switch y := b.(type) {
		case Int:
			return x < y
		case Float:
			return Float(x) < y
		}
	case Float:
		switch y := b.(type) {
		case Int:
			return x < Float(y)
		case Float:
			return x < y
		}
	}
	if KindOf(a) != KindOf(b) {
		ev.raise(EvalError, pos, "cannot compare %s with %s; values are %s and %s",
			showType(a), showType(b), ev.errorValue(a), ev.errorValue(b))
	}
	switch x := a.(type) {
	case *String:
		return x.s < b.(*String).s
	case Path:
		return x < b.(Path)
	case *List:
		y := b.(*List)
		for i := 0; ; i++ {
			if i == len(y.elems) {
				return false
			}
			if i == len(x.elems) {
				return true
			}
			ex, ey := x.elems[i], y.elems[i]
			if !ev.eqElems(ex, ey, pos) {
				ev.pushFrame(frame{kind: frameMsg, p: "while comparing two list elements"})
				r := ev.lessThan(ev.force(ex), ev.force(ey), pos)
				ev.popFrame()
				return r
			}
		}
	}
	ev.raise(EvalError, pos, "cannot compare %s with %s; values of that type are incomparable (values are %s and %s)",
		showType(a), showType(b), ev.errorValue(a), ev.errorValue(b))
	return false
}
