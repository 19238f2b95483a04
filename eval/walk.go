package eval

import (
	"context"
	"fmt"
	"iter"

	"github.com/govix/govix/eval/syntax"
)

// This file holds the API for walking values from Go: looking attributes
// up with their positions, iterating over sets, describing types and
// converting whole values to plain Go values.

// ShowType describes the type of v as Nix's error messages and the REPL's
// :t do: "an integer", "a set", "the built-in function 'map'", "a thunk"
// for a value not yet forced.
func ShowType(v Value) string { return showType(v) }

// Lookup returns the attribute name of a, with the position where it was
// defined (syntax.NoPos for attributes made by builtins).
func (ev *Evaluator) Lookup(a *Attrs, name string) (Attr, bool) {
	s, ok := ev.symbols.lookup(name)
	if !ok {
		return Attr{}, false
	}
	if p := a.get(ev.symbols, s); p != nil {
		return *p, true
	}
	return Attr{}, false
}

// Position decodes p into a file name, line and column.
func (ev *Evaluator) Position(p syntax.Pos) syntax.Position { return ev.fset.Position(p) }

// Each iterates over a's attributes in Nix's order (by name, byte-wise),
// yielding names and values; values may be thunks, forced with Force.
func (ev *Evaluator) Each(a *Attrs) iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		for _, at := range a.all() {
			if !yield(ev.symbols.names[at.Name], at.Value) {
				return
			}
		}
	}
}

// ToGo evaluates v completely and converts it to plain Go values, as
// encoding/json's Unmarshal into an `any` does: null is nil, Booleans are
// bool, integers int64, floats float64, strings (their context dropped)
// and paths string, sets map[string]any and lists []any. A function
// cannot be converted and is an error.
func (ev *Evaluator) ToGo(ctx context.Context, v Value) (any, error) {
	var out any
	err := ev.run(ctx, func() { out = ev.toGo(v, 0) })
	return out, err
}

func (ev *Evaluator) toGo(v Value, depth int) any {
	if depth > ev.maxCallDepth {
		ev.stackOverflow(syntax.NoPos)
	}
	switch x := ev.force(v).(type) {
	case Null:
		return nil
	case Bool:
		return bool(x)
	case Int:
		return int64(x)
	case Float:
		return float64(x)
	case *String:
		return x.s
	case Path:
		return string(x)
	case *List:
		out := make([]any, len(x.elems))
		for i, e := range x.elems {
			out[i] = ev.toGo(e, depth+1)
		}
		return out
	case *Attrs:
		out := make(map[string]any, x.Len())
		for _, a := range x.all() {
			out[ev.symbols.names[a.Name]] = ev.toGo(a.Value, depth+1)
		}
		return out
	default:
		ev.raise(TypeError, syntax.NoPos, "cannot convert %s to a Go value", showType(x))
		panic(fmt.Sprintf("unreachable: %T", x))
	}
}

// CoerceToStringFor converts v to a string as string interpolation does
// ("${v}": strings, paths copied to the store, sets with __toString or
// outPath), for a command's output: errors get errorContext (such as
// "while generating the eval command output") as their innermost trace
// entry.
func (ev *Evaluator) CoerceToStringFor(ctx context.Context, v Value, errorContext string) (string, error) {
	var s string
	err := ev.run(ctx, func() {
		s, _ = ev.coerceToString(syntax.NoPos, ev.force(v), errorContext, false, true, true)
	})
	return s, err
}
