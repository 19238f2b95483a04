package syntax

// Inspect traverses the tree rooted at n in depth-first order: it calls
// f(n); if that returns true, it inspects each child of n in turn (in
// source order, where the tree keeps it), as go/ast.Inspect does. The
// children of an AttrSet are its *Attr and *DynamicAttr nodes; of a Lambda,
// its *Formals and body; of Select and HasAttr, the path's *AttrName
// nodes.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	exprs := func(es []Expr) {
		for _, e := range es {
			Inspect(e, f)
		}
	}
	path := func(path []*AttrName) {
		for _, a := range path {
			Inspect(a, f)
		}
	}
	switch n := n.(type) {
	case *String:
		exprs(n.Parts)
	case *Path:
		exprs(n.Parts)
	case *AttrName:
		if n.Dynamic != nil {
			Inspect(n.Dynamic, f)
		}
	case *Attr:
		if n.From != nil && n.Inherited {
			// The value is a Select on From, which several attributes
			// may share; visit From once per attribute through it.
			Inspect(n.Value, f)
			return
		}
		Inspect(n.Value, f)
	case *DynamicAttr:
		Inspect(n.Name, f)
		Inspect(n.Value, f)
	case *AttrSet:
		for _, a := range n.Attrs {
			Inspect(a, f)
		}
		for _, a := range n.DynamicAttrs {
			Inspect(a, f)
		}
	case *List:
		exprs(n.Elems)
	case *Let:
		for _, a := range n.Attrs {
			Inspect(a, f)
		}
		Inspect(n.Body, f)
	case *LegacyLet:
		Inspect(n.Set, f)
	case *With:
		Inspect(n.Env, f)
		Inspect(n.Body, f)
	case *Assert:
		Inspect(n.Cond, f)
		Inspect(n.Body, f)
	case *If:
		Inspect(n.Cond, f)
		Inspect(n.Then, f)
		Inspect(n.Else, f)
	case *Formal:
		if n.Default != nil {
			Inspect(n.Default, f)
		}
	case *Formals:
		for _, x := range n.Formals {
			Inspect(x, f)
		}
	case *Lambda:
		if n.Formals != nil {
			Inspect(n.Formals, f)
		}
		Inspect(n.Body, f)
	case *Call:
		Inspect(n.Fn, f)
		exprs(n.Args)
	case *Select:
		Inspect(n.X, f)
		path(n.Path)
		if n.Default != nil {
			Inspect(n.Default, f)
		}
	case *HasAttr:
		Inspect(n.X, f)
		path(n.Path)
	case *Unary:
		Inspect(n.X, f)
	case *Binary:
		Inspect(n.X, f)
		Inspect(n.Y, f)
	}
}
