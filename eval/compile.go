package eval

import (
	"slices"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// scope is the compile-time picture of one runtime environment: the names
// it binds and their slots. A with scope binds nothing statically.
type scope struct {
	parent *scope
	with   bool
	names  []string // slot i binds names[i]; "" for hidden slots
}

func (s *scope) lookup(name string) int {
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}

// compiler turns a parsed file into nodes, resolving every variable.
type compiler struct {
	ev      *Evaluator
	baseDir string // directory relative paths are resolved against
}

// compileError is raised (as a panic with *Error) for errors found while
// compiling, such as undefined variables.
func (c *compiler) fail(pos syntax.Pos, kind ErrorKind, format string, args ...any) {
	c.ev.raise(kind, pos, format, args...)
}

// compile compiles e in scope s (nil for a file's top level).
func (c *compiler) compile(e syntax.Expr, s *scope) node {
	return c.expr(e, s, "")
}

// expr compiles e; name is the attribute or binding e is the value of
// (functions take it as their name).
func (c *compiler) expr(e syntax.Expr, s *scope, name string) node {
	switch e := e.(type) {
	case *syntax.Int:
		return &constNode{at: e.At, v: Int(e.Value)}
	case *syntax.Float:
		return &constNode{at: e.At, v: Float(e.Value)}
	case *syntax.String:
		return c.str(e, s)
	case *syntax.Lit:
		return &constNode{at: e.At, v: Str(e.Value)}
	case *syntax.Path:
		return c.path(e, s)
	case *syntax.SearchPath:
		return c.searchPath(e, s)
	case *syntax.URI:
		return &constNode{at: e.At, v: Str(e.Value)}
	case *syntax.Ident:
		return c.variable(e.Name, e.At, s)
	case *syntax.CurPos:
		return &curPosNode{at: e.At}
	case *syntax.AttrSet:
		return c.attrSet(e, s)
	case *syntax.List:
		if len(e.Elems) == 0 {
			return &constNode{at: e.At, v: emptyList}
		}
		n := &listNode{at: e.At, elems: make([]node, len(e.Elems))}
		for i, x := range e.Elems {
			n.elems[i] = c.expr(x, s, "")
		}
		return n
	case *syntax.Let:
		return c.let(e, s)
	case *syntax.LegacyLet:
		// let { ...; body = e; } is (rec { ... }).body
		set := c.attrSet(e.Set, s)
		return &select1Node{at: e.At, x: set, name: c.ev.symbols.intern("body")}
	case *syntax.With:
		n := &withNode{at: e.At, env: c.expr(e.Env, s, "")}
		n.body = c.expr(e.Body, &scope{parent: s, with: true, names: []string{"", ""}}, "")
		return n
	case *syntax.Assert:
		return &assertNode{at: e.At, cond: c.expr(e.Cond, s, ""), body: c.expr(e.Body, s, ""), src: e.Cond, baseDir: c.baseDir}
	case *syntax.If:
		return &ifNode{at: e.At, cond: c.expr(e.Cond, s, ""), then: c.expr(e.Then, s, ""), els_: c.expr(e.Else, s, "")}
	case *syntax.Lambda:
		return c.lambda(e, s, name)
	case *syntax.Call:
		n := &callNode{at: e.At, fn: c.expr(e.Fn, s, ""), args: make([]node, len(e.Args))}
		for i, a := range e.Args {
			n.args[i] = c.expr(a, s, "")
		}
		return n
	case *syntax.Select:
		return c.selectExpr(e, s)
	case *syntax.HasAttr:
		return &hasAttrNode{at: e.At, x: c.expr(e.X, s, ""), path: c.attrPath(e.Path, s)}
	case *syntax.Unary:
		if e.Op == syntax.OpNot {
			return &notNode{at: e.At, x: c.expr(e.X, s, "")}
		}
		x := c.expr(e.X, s, "")
		if c.isBuiltin("__sub", s) {
			return &negNode{at: e.At, x: x, prim: c.builtin("__sub")}
		}
		return c.builtinCall("__sub", e.At, s, &constNode{at: e.At, v: Int(0)}, x)
	case *syntax.Binary:
		return c.binary(e, s)
	}
	c.fail(e.Pos(), EvalError, "internal error: cannot compile %T", e)
	return nil
}

func (c *compiler) binary(e *syntax.Binary, s *scope) node {
	a := c.expr(e.X, s, "")
	b := c.expr(e.Y, s, "")
	switch e.Op {
	case syntax.OpEq:
		return &eqNode{at: e.At, a: a, b: b}
	case syntax.OpNEq:
		return &eqNode{at: e.At, a: a, b: b, neg: true}
	case syntax.OpAnd, syntax.OpOr, syntax.OpImpl:
		return &logicNode{at: e.At, op: e.Op, a: a, b: b}
	case syntax.OpUpdate:
		return &updateNode{at: e.At, a: a, b: b}
	case syntax.OpConcat:
		return &concatNode{at: e.At, a: a, b: b}
	case syntax.OpAdd:
		return &addNode{at: e.At, a: a, b: b}
	case syntax.OpSub, syntax.OpMul, syntax.OpDiv:
		fn := map[syntax.Op]string{syntax.OpSub: "__sub", syntax.OpMul: "__mul", syntax.OpDiv: "__div"}[e.Op]
		if c.isBuiltin(fn, s) {
			return &arithNode{at: e.At, op: e.Op, a: a, b: b, prim: c.builtin(fn)}
		}
		return c.builtinCall(fn, e.At, s, a, b)
	case syntax.OpLess, syntax.OpLEq, syntax.OpGreater, syntax.OpGEq:
		if c.isBuiltin("__lessThan", s) {
			return &arithNode{at: e.At, op: e.Op, a: a, b: b, prim: c.builtin("__lessThan")}
		}
		switch e.Op {
		case syntax.OpLess:
			return c.builtinCall("__lessThan", e.At, s, a, b)
		case syntax.OpGreater:
			return c.builtinCall("__lessThan", e.At, s, b, a)
		case syntax.OpLEq:
			return &notNode{at: e.At, x: c.builtinCall("__lessThan", e.At, s, b, a)}
		default:
			return &notNode{at: e.At, x: c.builtinCall("__lessThan", e.At, s, a, b)}
		}
	case syntax.OpPipeRight:
		return &callNode{at: e.At, fn: b, args: []node{a}}
	case syntax.OpPipeLeft:
		return &callNode{at: e.At, fn: a, args: []node{b}}
	}
	c.fail(e.At, EvalError, "internal error: unknown operator %v", e.Op)
	return nil
}

// isBuiltin reports whether name resolves to the global builtin of that
// name (not shadowed by a binding).
func (c *compiler) isBuiltin(name string, s *scope) bool {
	for ; s != nil; s = s.parent {
		if !s.with && s.lookup(name) >= 0 {
			return false
		}
	}
	_, ok := c.ev.globals[name]
	return ok
}

// builtin returns the global builtin of that name (for traces).
func (c *compiler) builtin(name string) *Builtin {
	if p, ok := c.ev.globals[name].(*PrimOp); ok {
		return p.b
	}
	return nil
}

// builtinCall calls the variable name (normally a builtin) on args.
func (c *compiler) builtinCall(name string, at syntax.Pos, s *scope, args ...node) node {
	return &callNode{at: at, fn: c.variable(name, at, s), args: args}
}

// variable resolves a variable: a slot of an enclosing scope, a global,
// or a lookup in the enclosing withs.
func (c *compiler) variable(name string, at syntax.Pos, s *scope) node {
	depth := 0
	var withs []int
	for sc := s; sc != nil; sc = sc.parent {
		if sc.with {
			withs = append(withs, depth)
		} else if i := sc.lookup(name); i >= 0 {
			if depth == 0 {
				return &localVar{at: at, idx: i}
			}
			return &upVar{at: at, depth: depth, idx: i}
		}
		depth++
	}
	if v, ok := c.ev.globals[name]; ok {
		return &constNode{at: at, v: v}
	}
	if len(withs) == 0 {
		c.fail(at, UndefinedVar, "undefined variable '%s'", name)
	}
	return &withVar{at: at, name: c.ev.symbols.intern(name), withs: withs}
}

// shift makes code compiled for scope s valid one environment further in.
func shift(n node) node {
	switch n := n.(type) {
	case *localVar:
		return &upVar{at: n.at, depth: 1, idx: n.idx}
	case *upVar:
		return &upVar{at: n.at, depth: n.depth + 1, idx: n.idx}
	case *withVar:
		w := make([]int, len(n.withs))
		for i, d := range n.withs {
			w[i] = d + 1
		}
		return &withVar{at: n.at, name: n.name, withs: w}
	}
	return n
}

func (c *compiler) lambda(e *syntax.Lambda, s *scope, name string) node {
	n := &lambdaNode{at: e.At, name: name, param: -1}
	n.call = &callBodyNode{fn: n}
	n.fused = &callBodyNode{fn: n, fused: true}
	sc := &scope{parent: s}
	if e.Param != "" {
		n.param = 0
		n.pname = e.Param
		sc.names = append(sc.names, e.Param)
	}
	if e.Formals != nil {
		n.hasForms = true
		n.ellipsis = e.Formals.Ellipsis
		for _, f := range e.Formals.Formals {
			n.formals = append(n.formals, formal{at: f.At, name: c.ev.symbols.intern(f.Name), slot: len(sc.names)})
			sc.names = append(sc.names, f.Name)
		}
		for i, f := range e.Formals.Formals {
			if f.Default != nil {
				n.formals[i].def = c.expr(f.Default, sc, "")
			}
		}
	}
	n.nslots = len(sc.names)
	bodyName := ""
	if _, ok := e.Body.(*syntax.Lambda); ok {
		bodyName = name
	}
	n.body = c.expr(e.Body, sc, bodyName)
	n.noCapture = !n.hasForms && !captures(n.body)
	return n
}

// bindings compiles the static attributes of a let or rec set whose
// environment is sc (names already in it, one slot per attribute in the
// order of attrs). The sources of `inherit (e)` get hidden slots appended
// to sc; their code, compiled in sc too, comes after the values.
func (c *compiler) bindings(attrs []*syntax.Attr, sc *scope) []node {
	values := make([]node, len(attrs))
	srcIdx := map[syntax.Expr]int{}
	var sources []syntax.Expr
	for i, a := range attrs {
		if !a.Inherited {
			continue
		}
		if a.From == nil {
			// inherit x: x from the enclosing scope, seen from inside.
			values[i] = shift(c.variable(a.Name, a.At, sc.parent))
			continue
		}
		j, ok := srcIdx[a.From]
		if !ok {
			j = len(sc.names)
			srcIdx[a.From] = j
			sc.names = append(sc.names, "")
			sources = append(sources, a.From)
		}
		values[i] = &select1Node{at: a.At, x: &localVar{at: a.From.Pos(), idx: j}, name: c.ev.symbols.intern(a.Name)}
	}
	for i, a := range attrs {
		if values[i] == nil {
			values[i] = c.expr(a.Value, sc, a.Name)
		}
	}
	for _, src := range sources {
		values = append(values, c.expr(src, sc, ""))
	}
	return values
}

func (c *compiler) let(e *syntax.Let, s *scope) node {
	sc := &scope{parent: s}
	for _, a := range e.Attrs {
		sc.names = append(sc.names, a.Name)
	}
	values := c.bindings(e.Attrs, sc)
	return &letNode{at: e.At, values: values, body: c.expr(e.Body, sc, "")}
}

// sourcesOf lists the distinct `inherit (e)` sources of attrs in order.
func (c *compiler) sourcesOf(attrs []*syntax.Attr) []syntax.Expr {
	var out []syntax.Expr
	seen := map[syntax.Expr]bool{}
	for _, a := range attrs {
		if a.Inherited && a.From != nil && !seen[a.From] {
			seen[a.From] = true
			out = append(out, a.From)
		}
	}
	return out
}

func (c *compiler) attrSet(e *syntax.AttrSet, s *scope) node {
	// Sort the static attributes by name; slot i is attribute i.
	attrs := slices.Clone(e.Attrs)
	slices.SortStableFunc(attrs, func(a, b *syntax.Attr) int { return strings.Compare(a.Name, b.Name) })
	n := &attrsNode{at: e.At, rec: e.Rec, overrides: -1}
	n.template = make([]Attr, len(attrs))
	for i, a := range attrs {
		n.template[i] = Attr{Name: c.ev.symbols.intern(a.Name), Pos: a.At}
	}
	sources := c.sourcesOf(attrs)
	if e.Rec {
		sc := &scope{parent: s}
		for _, a := range attrs {
			sc.names = append(sc.names, a.Name)
			if a.Name == "__overrides" {
				n.overrides = len(sc.names) - 1
			}
		}
		values := c.bindings(attrs, sc)
		n.values, n.sources = values[:len(attrs)], values[len(attrs):]
		for _, d := range e.DynamicAttrs {
			n.dynamic = append(n.dynamic, dynAttr{at: d.At, name: c.expr(d.Name, sc, ""), value: c.expr(d.Value, sc, "")})
		}
		return n
	}
	vs := s
	if len(sources) > 0 {
		// The sources live in an environment of their own, inside which
		// the values are compiled.
		vs = &scope{parent: s, names: make([]string, len(sources))}
		for _, src := range sources {
			n.sources = append(n.sources, c.expr(src, s, ""))
		}
	}
	srcIdx := map[syntax.Expr]int{}
	for i, src := range sources {
		srcIdx[src] = i
	}
	n.values = make([]node, len(attrs))
	for i, a := range attrs {
		switch {
		case a.Inherited && a.From == nil:
			n.values[i] = c.variable(a.Name, a.At, vs)
		case a.Inherited:
			n.values[i] = &select1Node{at: a.At, x: &localVar{at: a.From.Pos(), idx: srcIdx[a.From]}, name: c.ev.symbols.intern(a.Name)}
		default:
			n.values[i] = c.expr(a.Value, vs, a.Name)
		}
	}
	for _, d := range e.DynamicAttrs {
		n.dynamic = append(n.dynamic, dynAttr{at: d.At, name: c.expr(d.Name, s, ""), value: c.expr(d.Value, s, "")})
	}
	return n
}

func (c *compiler) attrPath(path []*syntax.AttrName, s *scope) []attrName {
	out := make([]attrName, len(path))
	for i, p := range path {
		if p.Dynamic != nil {
			out[i].dyn = c.expr(p.Dynamic, s, "")
		} else {
			out[i].sym = c.ev.symbols.intern(p.Name)
		}
	}
	return out
}

func (c *compiler) selectExpr(e *syntax.Select, s *scope) node {
	x := c.expr(e.X, s, "")
	if e.Default == nil && len(e.Path) == 1 && e.Path[0].Dynamic == nil {
		return &select1Node{at: e.At, x: x, name: c.ev.symbols.intern(e.Path[0].Name)}
	}
	n := &selectNode{at: e.At, x: x, path: c.attrPath(e.Path, s)}
	if e.Default != nil {
		n.def = c.expr(e.Default, s, "")
	}
	return n
}

// str compiles a string literal, with or without interpolation.
func (c *compiler) str(e *syntax.String, s *scope) node {
	if len(e.Parts) == 0 {
		return &constNode{at: e.At, v: emptyString}
	}
	if len(e.Parts) == 1 {
		if l, ok := e.Parts[0].(*syntax.Lit); ok {
			return &constNode{at: e.At, v: Str(l.Value)}
		}
	}
	n := &interpNode{at: e.At}
	n.parts, n.partAt = c.interpParts(e.Parts, e.Interp, s)
	return n
}

// path compiles a path literal: made absolute against the file's
// directory (or $HOME for ~/), canonicalised unless it continues with
// interpolations.
func (c *compiler) path(e *syntax.Path, s *scope) node {
	first, _ := e.Parts[0].(*syntax.Lit)
	start := ""
	if first != nil {
		start = first.Value
	}
	home := ""
	if e.Kind == syntax.PathHome {
		home = c.ev.home()
	}
	abs := pathLiteralAbs(e.Kind, start, c.baseDir, home)
	if len(e.Parts) == 1 {
		return &constNode{at: e.At, v: Path(canonPath(abs))}
	}
	n := &pathInterpNode{at: e.At, start: abs}
	n.parts, n.partAt = c.interpParts(e.Parts[1:], e.Interp, s)
	return n
}

// interpParts compiles the parts of a string or path with
// interpolations, and gives each its position as Nix records it: where
// its ${ is for an interpolation (interp holds those in order).
func (c *compiler) interpParts(parts []syntax.Expr, interp []syntax.Pos, s *scope) ([]node, []syntax.Pos) {
	nodes := make([]node, len(parts))
	at := make([]syntax.Pos, len(parts))
	k := 0
	for i, p := range parts {
		nodes[i] = c.expr(p, s, "")
		at[i] = nodes[i].pos()
		if _, lit := p.(*syntax.Lit); !lit && k < len(interp) {
			at[i] = interp[k]
			k++
		}
	}
	return nodes, at
}

// searchPath compiles <a/b> as Nix does: __findFile __nixPath "a/b".
func (c *compiler) searchPath(e *syntax.SearchPath, s *scope) node {
	return c.builtinCall("__findFile", e.At, s, c.variable("__nixPath", e.At, s), &constNode{at: e.At, v: Str(e.Path)})
}
