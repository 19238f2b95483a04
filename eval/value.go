package eval

import (
	"github.com/govix/govix/eval/syntax"
)

// Value is a Nix value. Its dynamic type is one of
//
//	Null, Bool, Int, Float    scalars (stored in the interface, no pointer)
//	*String                   a string with its context
//	Path                      an absolute, canonical path
//	*Attrs, *List             attribute sets and lists (immutable once built)
//	*Lambda, *PrimOp, *PrimOpApp   functions
//	*Thunk                    a value not yet evaluated
//
// Values inside attribute sets and lists may be thunks; Evaluator.Force
// turns one into its weak head normal form. The interface is empty rather
// than sealed so that a thunk can hold its code in the same word as its
// result (see Thunk); code outside this package never sees anything else.
type Value interface{}

// Null is Nix's null.
type Null struct{}

// Bool is a Nix Boolean.
type Bool bool

// Int is a Nix integer (64-bit, overflow is an error).
type Int int64

// Float is a Nix float.
type Float float64

// Path is an absolute, canonical file system path (no "." or ".."
// components, no trailing slash except for "/").
type Path string

// List is an immutable Nix list. Elements may be thunks.
type List struct {
	elems []Value
}

// Len is the number of elements.
func (l *List) Len() int { return len(l.elems) }

// Index returns element i, possibly a thunk.
func (l *List) Index(i int) Value { return l.elems[i] }

// Elems returns the elements; the caller must not modify the slice.
func (l *List) Elems() []Value { return l.elems }

// NewList returns a list holding elems (not copied: the caller gives up
// the slice).
func NewList(elems []Value) *List {
	if len(elems) == 0 {
		return emptyList
	}
	return &List{elems: elems}
}

var emptyList = &List{}

// Lambda is a closure: a function expression with its environment.
type Lambda struct {
	fn  *lambdaNode
	env *Env
}

// Name is the name the function was bound to (`f = x: ...;`), or "".
func (l *Lambda) Name() string { return l.fn.name }

// Pos is the position of the function in its source.
func (l *Lambda) Pos() syntax.Pos { return l.fn.at }

// PrimOp is a built-in function.
type PrimOp struct {
	b *Builtin
}

// Name is the builtin's name without the "__" prefix.
func (p *PrimOp) Name() string { return p.b.Name }

// Arity is the number of arguments the builtin takes.
func (p *PrimOp) Arity() int { return p.b.Arity }

// PrimOpApp is a builtin applied to fewer arguments than it takes.
type PrimOpApp struct {
	op   *PrimOp
	args []Value
}

// PrimOp is the partially applied builtin.
func (p *PrimOpApp) PrimOp() *PrimOp { return p.op }

// Kind classifies values as builtins.typeOf does.
type Kind uint8

// The kinds of values.
const (
	KindThunk Kind = iota
	KindNull
	KindBool
	KindInt
	KindFloat
	KindString
	KindPath
	KindAttrs
	KindList
	KindFunction
)

var kindNames = [...]string{
	KindThunk: "thunk", KindNull: "null", KindBool: "bool", KindInt: "int", KindFloat: "float",
	KindString: "string", KindPath: "path", KindAttrs: "set", KindList: "list", KindFunction: "lambda",
}

// String is the name builtins.typeOf gives the kind.
func (k Kind) String() string { return kindNames[k] }

// KindOf returns the kind of v (KindThunk for an unevaluated thunk).
func KindOf(v Value) Kind {
	switch v := v.(type) {
	case Null:
		return KindNull
	case Bool:
		return KindBool
	case Int:
		return KindInt
	case Float:
		return KindFloat
	case *String:
		return KindString
	case Path:
		return KindPath
	case *Attrs:
		return KindAttrs
	case *List:
		return KindList
	case *Lambda, *PrimOp, *PrimOpApp:
		return KindFunction
	case *Thunk:
		if v.env == nil {
			return KindOf(v.v)
		}
	}
	return KindThunk
}

// showType describes the type of a forced value as Nix does in error
// messages ("an integer", "a set", "the built-in function 'map'").
func showType(v Value) string {
	switch v := v.(type) {
	case Null:
		return "null"
	case Bool:
		return "a Boolean"
	case Int:
		return "an integer"
	case Float:
		return "a float"
	case *String:
		if v.ctx != nil {
			return "a string with context"
		}
		return "a string"
	case Path:
		return "a path"
	case *Attrs:
		return "a set"
	case *List:
		return "a list"
	case *Lambda:
		return "a function"
	case *PrimOp:
		return "the built-in function '" + v.b.Name + "'"
	case *PrimOpApp:
		return "the partially applied built-in function '" + v.op.b.Name + "'"
	case *Thunk:
		if v.env == nil {
			return showType(v.v)
		}
		if _, ok := v.v.(*blackholeNode); ok {
			return "a black hole"
		}
		return "a thunk"
	}
	return "an unknown value"
}

// Preallocated values, so that common results need no allocation.
var (
	vTrue  Value = Bool(true)
	vFalse Value = Bool(false)
	vNull  Value = Null{}
)

func mkBool(b bool) Value {
	if b {
		return vTrue
	}
	return vFalse
}
