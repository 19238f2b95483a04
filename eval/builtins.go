package eval

// Builtins
//
// A builtin is a Go function registered in a table; the evaluator binds it
// in `builtins` and in the global scope. Builtins live in files by topic
// (builtins_core.go, builtins_list.go, builtins_string.go, ...), each
// registering its own in an init function, so that several people can add
// builtins at the same time without touching a shared list:
//
//	func init() {
//		register(
//			&Builtin{Name: "length", Arity: 1, Fn: builtinLength},
//		)
//	}
//
//	// builtins.length list
//	func builtinLength(c Call) Value {
//		return Int(c.List(0).Len())
//	}
//
// The implementation gets a Call: its arguments (possibly unevaluated
// thunks) and helpers that force an argument to the type it must have,
// raising Nix's error ("expected a list but found an integer: 1", traced
// "while evaluating the first argument passed to builtins.length") if it
// has another:
//
//	c.Force(i) Value        c.Int(i) int64      c.Float(i) float64 (ints too)
//	c.Bool(i) bool          c.List(i) *List     c.Attrs(i) *Attrs
//	c.Func(i) Value         c.String(i) *String (with context)
//	c.StringNoCtx(i) string c.Path(i) string    c.Coerce(i, more, copy) (string, *Context)
//
// and to evaluate further: c.Ev.Force-like helpers on other values
// (c.ForceValue(v), c.ForceList(v, what)...), c.Apply(f, args...) to call
// a Nix function strictly, NewThunk(f, x) for a lazy application,
// c.NewList, c.NewAttrs (an AttrsBuilder), Str/NewString for strings.
// Errors are raised with c.Errorf(kind, format, args...) (an *Error with
// the builtin's trace) and are never returned: evaluation errors unwind as
// panics that the evaluator recovers at its API and in tryEval, so a
// builtin must not recover them itself. The value a builtin returns should
// be in weak head normal form (a thunk is forced by the caller).
//
// A builtin with Arity 0 is a constant computed on first use. Name is the
// name in `builtins`; the global scope has it as "__"+Name unless Global
// is set (map, toString, import, throw, ... are plain globals, as in
// Nix). Options.Builtins adds or replaces builtins per evaluator, which is
// how the store glue supplies derivationStrict and the fetchers.

import (
	"context"
	"sort"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// Builtin describes a built-in function or constant.
type Builtin struct {
	Name   string // name in `builtins`, e.g. "length"
	Arity  int    // number of arguments; 0 for a lazily computed constant
	Global bool   // also a plain global name (else only "__"+Name)
	Fn     func(Call) Value
	// Impure builtins are hidden in pure evaluation mode.
	Impure bool
	// NoTrace leaves "while calling the 'Name' builtin" out of the traces
	// of errors inside the builtin (Nix's PrimOp::addTrace = false).
	NoTrace bool
}

// registry holds the builtins registered by this package's init
// functions. It is written only during package initialisation.
var registry []*Builtin

// register adds builtins to the registry; call it from init.
func register(bs ...*Builtin) {
	registry = append(registry, bs...)
}

// Builtins returns the names of the builtins this package provides, for
// documentation and tests.
func Builtins() []string {
	var out []string
	for _, b := range registry {
		out = append(out, b.Name)
	}
	sort.Strings(out)
	return out
}

// Call is one call of a builtin.
type Call struct {
	Ev   *Evaluator
	Args []Value
	Pos  syntax.Pos // the call site (NoPos when called from Go)
	b    *Builtin
}

// Name is the builtin's name.
func (c Call) Name() string { return c.b.Name }

// Errorf raises an evaluation error of the given kind from the builtin.
func (c Call) Errorf(kind ErrorKind, format string, args ...any) {
	c.Ev.raise(kind, syntax.NoPos, format, args...)
}

// ErrorfAt raises an evaluation error about a position.
func (c Call) ErrorfAt(kind ErrorKind, pos syntax.Pos, format string, args ...any) {
	c.Ev.raise(kind, pos, format, args...)
}

// argFrame pushes the "while evaluating the Nth argument" context.
func (c Call) argFrame(i int) {
	c.Ev.pushFrame(frame{kind: frameArg, n: i, p: c.b})
}

// Force returns argument i in weak head normal form.
func (c Call) Force(i int) Value {
	v := c.Args[i]
	if t, ok := v.(*Thunk); ok {
		if t.env == nil {
			return t.v
		}
		c.argFrame(i)
		v = c.Ev.forceThunk(t)
		c.Ev.popFrame()
	}
	return v
}

// want raises a type error for argument i.
func (c Call) want(i int, what string, v Value) {
	c.argFrame(i)
	c.Ev.typeError(syntax.NoPos, what, v)
}

// Int returns argument i, which must be an integer.
func (c Call) Int(i int) int64 {
	v := c.Force(i)
	n, ok := v.(Int)
	if !ok {
		c.want(i, "an integer", v)
	}
	return int64(n)
}

// Float returns argument i, which must be a float or an integer.
func (c Call) Float(i int) float64 {
	switch v := c.Force(i).(type) {
	case Float:
		return float64(v)
	case Int:
		return float64(v)
	default:
		c.want(i, "a float", v)
	}
	return 0
}

// Bool returns argument i, which must be a Boolean.
func (c Call) Bool(i int) bool {
	v := c.Force(i)
	b, ok := v.(Bool)
	if !ok {
		c.want(i, "a Boolean", v)
	}
	return bool(b)
}

// List returns argument i, which must be a list.
func (c Call) List(i int) *List {
	v := c.Force(i)
	l, ok := v.(*List)
	if !ok {
		c.want(i, "a list", v)
	}
	return l
}

// Attrs returns argument i, which must be a set.
func (c Call) Attrs(i int) *Attrs {
	v := c.Force(i)
	a, ok := v.(*Attrs)
	if !ok {
		c.want(i, "a set", v)
	}
	return a
}

// Func returns argument i, which must be a function (or a functor set).
func (c Call) Func(i int) Value {
	v := c.Force(i)
	switch f := v.(type) {
	case *Lambda, *PrimOp, *PrimOpApp:
		return v
	case *Attrs:
		if f.get(c.Ev.symbols, c.Ev.s.functor) != nil {
			return v
		}
	}
	c.want(i, "a function", v)
	return nil
}

// String returns argument i, which must be a string (with its context).
func (c Call) String(i int) *String {
	v := c.Force(i)
	s, ok := v.(*String)
	if !ok {
		c.want(i, "a string", v)
	}
	return s
}

// StringNoCtx returns argument i, which must be a string without context.
func (c Call) StringNoCtx(i int) string {
	s := c.String(i)
	if s.ctx != nil {
		c.argFrame(i)
		c.Ev.raise(EvalError, syntax.NoPos, "the string '%s' is not allowed to refer to a store path (such as '%s')",
			s.s, c.Ev.showContextElem(s.ctx.elems[0]))
	}
	return s.s
}

// Coerce converts argument i to a string as string interpolation does
// (more: also numbers, Booleans, null and lists, as toString does; copy:
// paths are copied to the store).
func (c Call) Coerce(i int, more, copy bool) (string, *Context) {
	// Nix's coerceToString forces the value before its trace line
	// applies.
	v := c.Ev.force(c.Args[i])
	c.argFrame(i)
	s, ctx := c.Ev.coerceToString(c.Pos, v, "", more, copy, true)
	c.Ev.popFrame()
	return s, ctx
}

// Path returns argument i coerced to an absolute path (a path, or a
// string starting with /), with the string's context.
func (c Call) Path(i int) (string, *Context) {
	v := c.Force(i)
	c.argFrame(i)
	p, ctx := c.Ev.coerceToPath(c.Pos, v, "")
	c.Ev.popFrame()
	return p, ctx
}

// ForceValue returns v in weak head normal form.
func (c Call) ForceValue(v Value) Value { return c.Ev.force(v) }

// ForceList forces v and requires a list; what is the trace context
// ("while evaluating the elements of the list passed to builtins.map").
func (c Call) ForceList(v Value, what string) *List {
	v = c.Ev.force(v)
	l, ok := v.(*List)
	if !ok {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, what))
		c.Ev.typeError(syntax.NoPos, "a list", v)
	}
	return l
}

// ForceAttrs forces v and requires a set.
func (c Call) ForceAttrs(v Value, what string) *Attrs {
	v = c.Ev.force(v)
	a, ok := v.(*Attrs)
	if !ok {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, what))
		c.Ev.typeError(syntax.NoPos, "a set", v)
	}
	return a
}

// ForceString forces v and requires a string.
func (c Call) ForceString(v Value, what string) *String {
	v = c.Ev.force(v)
	s, ok := v.(*String)
	if !ok {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, what))
		c.Ev.typeError(syntax.NoPos, "a string", v)
	}
	return s
}

// ForceBool forces v and requires a Boolean.
func (c Call) ForceBool(v Value, what string) bool {
	v = c.Ev.force(v)
	b, ok := v.(Bool)
	if !ok {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, what))
		c.Ev.typeError(syntax.NoPos, "a Boolean", v)
	}
	return bool(b)
}

// ForceInt forces v and requires an integer.
func (c Call) ForceInt(v Value, what string) int64 {
	v = c.Ev.force(v)
	n, ok := v.(Int)
	if !ok {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, what))
		c.Ev.typeError(syntax.NoPos, "an integer", v)
	}
	return int64(n)
}

// CoerceValue converts v (forced here) to a string as Coerce does for an
// argument; what is the trace line shown if it fails.
func (c Call) CoerceValue(v Value, what string, more, copy bool) (string, *Context) {
	v = c.Ev.force(v)
	if what != "" {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, what))
	}
	s, ctx := c.Ev.coerceToString(c.Pos, v, "", more, copy, true)
	if what != "" {
		c.Ev.popFrame()
	}
	return s, ctx
}

// ToJSON converts v to JSON as builtins.toJSON does (forcing it
// completely; copyToStore copies paths to the store).
func (c Call) ToJSON(v Value, copyToStore bool) (string, *Context) {
	var b strings.Builder
	var ctx ContextBuilder
	c.Ev.writeJSON(&b, v, true, copyToStore, &ctx, c.Pos)
	return b.String(), ctx.Context()
}

// Equal compares two values as == does (values inside lists and sets
// that are the same value are equal without being forced).
func (c Call) Equal(a, b Value) bool { return c.Ev.eqElems(a, b, c.Pos) }

// LessThan compares two values as builtins.lessThan does.
func (c Call) LessThan(a, b Value) bool {
	return c.Ev.lessThan(c.Ev.force(a), c.Ev.force(b), c.Pos)
}

// IsDerivation reports whether a is a derivation (type = "derivation").
func (c Call) IsDerivation(a *Attrs) bool { return c.Ev.isDerivation(a) }

// Position decodes a position (for messages such as "located at ...").
func (c Call) Position(p syntax.Pos) syntax.Position { return c.Ev.fset.Position(p) }

// Context is the context of the evaluation, for IO.
func (c Call) Context() context.Context { return c.Ev.ctx }

// IO is the evaluator's door to files, environment and time.
func (c Call) IO() IO { return c.Ev.io }

// Store is the evaluator's store, or nil.
func (c Call) Store() Store { return c.Ev.store }

// StoreDir is the store directory (builtins.storeDir).
func (c Call) StoreDir() string { return c.Ev.opts.StoreDir }

// PureEval reports whether impure operations are forbidden.
func (c Call) PureEval() bool { return c.Ev.opts.PureEval }

// Apply calls f on args and returns the result in weak head normal form.
func (c Call) Apply(f Value, args ...Value) Value { return c.Ev.apply(f, c.Pos, args...) }

// NewAttrs returns a builder for a set of about n attributes.
func (c Call) NewAttrs(n int) *AttrsBuilder { return c.Ev.NewAttrsBuilder(n) }

// Sym interns a name.
func (c Call) Sym(name string) Sym { return c.Ev.symbols.intern(name) }

// Get returns the attribute name of a, or nil.
func (c Call) Get(a *Attrs, name string) *Attr {
	s, ok := c.Ev.symbols.lookup(name)
	if !ok {
		return nil
	}
	return a.get(c.Ev.symbols, s)
}

// WithFrame runs f with a trace message that is shown if it fails.
func (c Call) WithFrame(msg string, f func()) {
	c.Ev.pushFrame(msgFrame(syntax.NoPos, msg))
	f()
	c.Ev.popFrame()
}

// AttrFrame is a trace message about one attribute of many: Before, the
// attribute's name, After. The message is built only when it is shown, so
// a builtin that goes through many attributes (derivationStrict) pushes a
// frame for each without building a string for each.
type AttrFrame struct {
	Before, After string
}

// PushAttrFrame pushes the trace message t for attribute name, to be shown
// if what follows fails; PopFrame pops it. (A panic unwinding past it
// takes it away too.) t must not change afterwards.
func (c Call) PushAttrFrame(t *AttrFrame, name Sym) {
	c.Ev.pushFrame(frame{kind: frameAttrMsg, n: int(name), p: t})
}

// PopFrame pops the frame PushAttrFrame pushed.
func (c Call) PopFrame() { c.Ev.popFrame() }

// initBuiltins builds the base environment and the builtins set.
func (ev *Evaluator) initBuiltins() {
	byName := map[string]*Builtin{}
	var names []string
	add := func(b *Builtin) {
		if _, ok := byName[b.Name]; !ok {
			names = append(names, b.Name)
		}
		byName[b.Name] = b
	}
	for _, b := range registry {
		add(b)
	}
	for _, b := range ev.opts.Builtins {
		add(b)
	}
	ev.globals = map[string]Value{}
	attrs := make([]Attr, 0, len(names)+8)
	builtinsThunk := &Thunk{env: ev.rootEnv}
	for _, name := range names {
		b := byName[name]
		if b.Impure && ev.opts.PureEval {
			continue
		}
		var v Value
		if b.Arity == 0 {
			v = &Thunk{env: ev.rootEnv, v: &primopThunkNode{b: b}}
		} else {
			v = &PrimOp{b: b}
		}
		gname := "__" + b.Name
		if b.Global {
			gname = b.Name
		}
		ev.globals[gname] = v
		attrs = append(attrs, Attr{Name: ev.symbols.intern(b.Name), Value: v})
	}
	consts := []struct {
		name string
		v    Value
	}{
		{"true", vTrue}, {"false", vFalse}, {"null", vNull}, {"builtins", builtinsThunk},
	}
	for _, k := range consts {
		ev.globals[k.name] = k.v
		attrs = append(attrs, Attr{Name: ev.symbols.intern(k.name), Value: k.v})
	}
	// derivation is Nix code over derivationStrict, evaluated on first use.
	drv := &Thunk{env: ev.rootEnv, v: &derivationNode{}}
	ev.globals["derivation"] = drv
	attrs = append(attrs, Attr{Name: ev.symbols.intern("derivation"), Value: drv})
	// Nix's other global names are bound too, so that code using a
	// builtin govix lacks still parses, and fails only if it is used.
	for _, name := range syntax.GlobalNames() {
		if _, ok := ev.globals[name]; !ok {
			ev.globals[name] = &Thunk{env: ev.rootEnv, v: &missingBuiltinNode{name: strings.TrimPrefix(name, "__")}}
		}
	}
	ev.builtins = ev.makeAttrs(attrs, true)
	builtinsThunk.v = ev.builtins
	builtinsThunk.env = nil
}

// missingBuiltinNode is the value of a global Nix has but govix does not
// implement (yet): an error when used.
type missingBuiltinNode struct{ name string }

func (n *missingBuiltinNode) pos() syntax.Pos { return syntax.NoPos }
func (n *missingBuiltinNode) eval(ev *Evaluator, env *Env) Value {
	ev.raise(EvalError, syntax.NoPos, "builtins.%s is not implemented in govix yet", n.name)
	return nil
}

// derivationNode evaluates the derivation wrapper (derivation.nix).
type derivationNode struct{}

func (n *derivationNode) pos() syntax.Pos { return syntax.NoPos }
func (n *derivationNode) eval(ev *Evaluator, env *Env) Value {
	const name = "<nix/derivation-internal.nix>"
	e := ev.parse(name, []byte(derivationSource))
	code := ev.compileFile(e, "/", nil)
	return code.eval(ev, ev.rootEnv)
}
