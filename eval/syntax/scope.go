package syntax

import "slices"

// The undefined-variable check: Nix's parser binds every variable to its
// lexical scope right after parsing (Expr::bindVars) and rejects a variable
// bound neither there nor in the base environment, unless an enclosing
// `with` may provide it. This is the same walk, in the same order, so that
// the first undefined variable reported is Nix's.

// scope is one static environment: the names bound by a let or a rec set
// (attrs), by a function (param and formals), or a `with` (which binds
// nothing statically).
type scope struct {
	up      *scope
	with    bool
	attrs   []*Attr
	param   string
	formals []*Formal
	index   map[string]struct{} // for scopes with many names
}

// indexAbove is the number of names above which a scope builds an index.
const indexAbove = 16

func (s *scope) has(name string) bool {
	if s.index != nil {
		_, ok := s.index[name]
		return ok
	}
	if s.param == name {
		return true
	}
	for _, a := range s.attrs {
		if a.Name == name {
			return true
		}
	}
	for _, f := range s.formals {
		if f.Name == name {
			return true
		}
	}
	return false
}

func (s *scope) buildIndex() {
	if len(s.attrs)+len(s.formals) <= indexAbove {
		return
	}
	s.index = make(map[string]struct{}, len(s.attrs)+len(s.formals)+1)
	for _, a := range s.attrs {
		s.index[a.Name] = struct{}{}
	}
	for _, f := range s.formals {
		s.index[f.Name] = struct{}{}
	}
	if s.param != "" {
		s.index[s.param] = struct{}{}
	}
}

type scopeChecker struct {
	global func(string) bool
	// exact walks attributes and formals in the order of Nix's symbol
	// table rather than in source order; only the choice of the first
	// error depends on it, so it is used only once an error is known.
	exact bool
	bad   *Ident
}

func (p *parser) checkScopes(e Expr) error {
	c := &scopeChecker{global: p.opts.Globals}
	if c.global == nil {
		c.global = IsGlobal
	}
	c.expr(e, nil)
	if c.bad == nil {
		return nil
	}
	c.bad = nil
	c.exact = true
	c.expr(e, nil)
	return &Error{Pos: p.file.Position(c.bad.At), Msg: "undefined variable '" + c.bad.Name + "'"}
}

func (c *scopeChecker) lookup(id *Ident, env *scope) {
	inWith := false
	for s := env; s != nil; s = s.up {
		if s.with {
			inWith = true
		} else if s.has(id.Name) {
			return
		}
	}
	if inWith || c.global(id.Name) {
		return
	}
	c.bad = id
}

func (c *scopeChecker) exprs(es []Expr, env *scope) {
	for _, e := range es {
		if c.bad != nil {
			return
		}
		c.expr(e, env)
	}
}

func (c *scopeChecker) path(path []*AttrName, env *scope) {
	for _, n := range path {
		if n.Dynamic != nil {
			c.expr(n.Dynamic, env)
		}
	}
}

func (c *scopeChecker) expr(e Expr, env *scope) {
	if c.bad != nil {
		return
	}
	switch e := e.(type) {
	case *Ident:
		c.lookup(e, env)
	case *String:
		c.exprs(e.Parts, env)
	case *Path:
		c.exprs(e.Parts, env)
	case *AttrSet:
		c.attrSet(e, env)
	case *LegacyLet:
		c.attrSet(e.Set, env)
	case *List:
		c.exprs(e.Elems, env)
	case *Let:
		inner := &scope{up: env, attrs: e.Attrs}
		inner.buildIndex()
		c.attrs(e.Attrs, inner, env)
		c.expr(e.Body, inner)
	case *With:
		c.expr(e.Env, env)
		c.expr(e.Body, &scope{up: env, with: true})
	case *Assert:
		c.expr(e.Cond, env)
		c.expr(e.Body, env)
	case *If:
		c.expr(e.Cond, env)
		c.expr(e.Then, env)
		c.expr(e.Else, env)
	case *Lambda:
		inner := &scope{up: env, param: e.Param}
		if e.Formals != nil {
			inner.formals = e.Formals.Formals
			inner.buildIndex()
		}
		if e.Formals != nil {
			formals := e.Formals.Formals
			if c.exact {
				formals = slices.Clone(formals)
				slices.SortStableFunc(formals, func(x, y *Formal) int {
					switch {
					case x.Name == y.Name:
						return 0
					case symbolLess(x.Name, x.At, y.Name, y.At):
						return -1
					}
					return 1
				})
			}
			for _, f := range formals {
				if f.Default != nil {
					c.expr(f.Default, inner)
				}
			}
		}
		c.expr(e.Body, inner)
	case *Call:
		c.expr(e.Fn, env)
		c.exprs(e.Args, env)
	case *Select:
		c.expr(e.X, env)
		if e.Default != nil {
			c.expr(e.Default, env)
		}
		c.path(e.Path, env)
	case *HasAttr:
		c.expr(e.X, env)
		c.path(e.Path, env)
	case *Unary:
		c.expr(e.X, env)
	case *Binary:
		switch e.Op {
		case OpGreater, OpLEq, OpPipeRight:
			// Nix calls __lessThan y x for x > y and x <= y, and f x for
			// x |> f.
			c.expr(e.Y, env)
			c.expr(e.X, env)
		default:
			c.expr(e.X, env)
			c.expr(e.Y, env)
		}
	}
}

func (c *scopeChecker) attrSet(e *AttrSet, env *scope) {
	inner := env
	if e.Rec {
		inner = &scope{up: env, attrs: e.Attrs}
		inner.buildIndex()
	}
	c.attrs(e.Attrs, inner, env)
	for _, d := range e.DynamicAttrs {
		c.expr(d.Name, inner)
		c.expr(d.Value, inner)
	}
}

// attrs checks the attributes of a let or set whose own names are in
// inner; env is the scope around it, where `inherit x;` looks x up.
func (c *scopeChecker) attrs(attrs []*Attr, inner, env *scope) {
	// The sources of `inherit (e)` come first, once per clause.
	var last Expr
	for _, a := range attrs {
		if a.From != nil && a.From != last {
			last = a.From
			c.expr(a.From, inner)
		}
	}
	if c.exact {
		attrs = slices.Clone(attrs)
		sortAttrsBySymbol(attrs)
	}
	for _, a := range attrs {
		switch {
		case a.From != nil:
		case a.Inherited:
			c.expr(a.Value, env)
		default:
			c.expr(a.Value, inner)
		}
	}
}
