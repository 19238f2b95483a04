package syntax

// The parser allocates the nodes of the tree in slabs: one allocation per
// few hundred nodes of a kind instead of one per node, which roughly halves
// the parser's time. A slab stays alive while any of its nodes does, which
// suits a tree that lives as a whole.

type slab[T any] struct{ buf []T }

func (s *slab[T]) new() *T {
	if len(s.buf) == cap(s.buf) {
		n := min(max(2*cap(s.buf), 8), 512)
		s.buf = make([]T, 0, n)
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

type nodeAlloc struct {
	idents    slab[Ident]
	lits      slab[Lit]
	strings   slab[String]
	attrNames slab[AttrName]
	attrs     slab[Attr]
	sets      slab[AttrSet]
	selects   slab[Select]
	calls     slab[Call]
	binaries  slab[Binary]
	ints      slab[Int]
	lambdas   slab[Lambda]
	formals   slab[Formal]
	lists     slab[List]
	paths     slab[Path]

	exprs    []Expr // carved into short slices
	attrPath []*AttrName
}

// exprSlice returns a slice of length n and capacity n, so that appending
// to it copies it instead of overwriting its neighbours.
func (a *nodeAlloc) exprSlice(n int) []Expr {
	if n > 64 {
		return make([]Expr, n)
	}
	if len(a.exprs)+n > cap(a.exprs) {
		a.exprs = make([]Expr, 0, min(max(2*cap(a.exprs), 64), 1024))
	}
	l := len(a.exprs)
	a.exprs = a.exprs[:l+n]
	return a.exprs[l : l+n : l+n]
}

func (a *nodeAlloc) attrPathSlice(n int) []*AttrName {
	if n > 64 {
		return make([]*AttrName, n)
	}
	if len(a.attrPath)+n > cap(a.attrPath) {
		a.attrPath = make([]*AttrName, 0, min(max(2*cap(a.attrPath), 32), 512))
	}
	l := len(a.attrPath)
	a.attrPath = a.attrPath[:l+n]
	return a.attrPath[l : l+n : l+n]
}

func (a *nodeAlloc) ident(at Pos, name string) *Ident {
	n := a.idents.new()
	n.At, n.Name = at, name
	return n
}

func (a *nodeAlloc) lit(at Pos, value string) *Lit {
	n := a.lits.new()
	n.At, n.Value = at, value
	return n
}

func (p *parser) newLambda(x Lambda) *Lambda {
	n := p.a.lambdas.new()
	*n = x
	return n
}

func (p *parser) newAttrSet(x AttrSet) *AttrSet {
	n := p.a.sets.new()
	*n = x
	return n
}

func (p *parser) newSelect(x Select) *Select {
	n := p.a.selects.new()
	*n = x
	return n
}

func (p *parser) newCall(x Call) *Call {
	n := p.a.calls.new()
	*n = x
	return n
}

func (p *parser) newBinary(x Binary) *Binary {
	n := p.a.binaries.new()
	*n = x
	return n
}

func (p *parser) newInt(x Int) *Int {
	n := p.a.ints.new()
	*n = x
	return n
}

func (p *parser) newFormal(x Formal) *Formal {
	n := p.a.formals.new()
	*n = x
	return n
}

func (p *parser) newList(x List) *List {
	n := p.a.lists.new()
	*n = x
	return n
}

func (p *parser) newPath(x Path) *Path {
	n := p.a.paths.new()
	*n = x
	return n
}

func (p *parser) newString(x String) *String {
	n := p.a.strings.new()
	*n = x
	return n
}

func (p *parser) newAttr(x Attr) *Attr {
	n := p.a.attrs.new()
	*n = x
	return n
}
