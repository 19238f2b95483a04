package syntax

import "strings"

// Attribute bindings: the bodies of { }, rec { }, let ... in and let { },
// and how Nix's parser merges attribute paths into nested sets.

// bindCtx is where bindings occur; it decides which tokens may end them and
// what a syntax error among them expects.
type bindCtx uint8

const (
	ctxAttrs bindCtx = iota // { ... }: ends at '}', needs one binding
	ctxRec                  // rec { ... } and let { ... }: ends at '}'
	ctxLet                  // let ... in: ends at 'in'
)

// parseBinds parses bindings into set up to the token that ends them,
// which it leaves as the lookahead. first is the offset of an identifier
// already consumed as the start of the first attribute path, or -1.
func (p *parser) parseBinds(ctx bindCtx, set *AttrSet, first int) {
	n := 0
	for ; ; n++ {
		if first < 0 {
			switch p.peek() {
			case tINHERIT:
				p.parseInherit(set)
				continue
			case tID, tORKW, tDOLLARCURLY, tQUOTE:
			default:
				// Nix's automaton reduces the bindings so far by default
				// and reports the state after them.
				switch ctx {
				case ctxAttrs:
					if n > 0 && p.sc.tok == tRBRACE {
						return
					}
					p.syntaxError(setOf(tINHERIT))
				case ctxRec:
					if p.sc.tok == tRBRACE {
						return
					}
					p.syntaxError(setOf(tINHERIT, tRBRACE))
				default:
					if p.sc.tok == tIN {
						return
					}
					p.syntaxError(setOf(tIN, tINHERIT))
				}
			}
		}
		start := first
		if start < 0 {
			start = p.sc.start
		}
		base := len(p.pathStack)
		p.parseAttrPathInto(first)
		first = -1
		if p.peek() != tASSIGN {
			p.syntaxError(setAttrPathCont)
		}
		p.consume()
		value := p.parseExpr()
		p.expect(tSEMI)
		p.addAttr(set, p.pathStack[base:], start, value)
		p.pathStack = p.pathStack[:base]
	}
}

// parseAttrPathInto parses an attribute path onto p.pathStack. first is
// the offset of an identifier already consumed as its first element, or
// -1. The stack saves allocating paths that only exist while the parser
// adds a binding.
func (p *parser) parseAttrPathInto(first int) {
	base := len(p.pathStack)
	if first >= 0 {
		p.pathStack = append(p.pathStack, AttrName{At: p.pos(first), Name: p.identAt(first)})
	} else {
		n := p.parseAttrName()
		p.pathStack = append(p.pathStack, n)
	}
	for p.peek() == tDOT {
		p.consume()
		n := p.parseAttrName()
		p.pathStack = append(p.pathStack, n)
	}
	if n := len(p.pathStack) - base; n > p.maxDepth-p.depth {
		// Nested attribute paths become nested sets.
		p.errorAt(p.file.Offset(p.pathStack[base].At), "expression nested too deeply")
	}
}

// parseAttrPath parses an attribute path that the tree keeps (after '.'
// or '?').
func (p *parser) parseAttrPath() []*AttrName {
	base := len(p.pathStack)
	p.parseAttrPathInto(-1)
	elems := p.pathStack[base:]
	path := p.a.attrPathSlice(len(elems))
	for i := range elems {
		n := p.a.attrNames.new()
		*n = elems[i]
		path[i] = n
	}
	p.pathStack = p.pathStack[:base]
	return path
}

// parseAttrName parses one element of an attribute path: attr or
// string_attr in Nix's grammar.
func (p *parser) parseAttrName() AttrName {
	t := p.peek()
	start := p.sc.start
	switch t {
	case tID, tORKW:
		n := AttrName{At: p.pos(start), Name: p.text()}
		p.consume()
		return n
	case tQUOTE:
		p.consume()
		s := p.parseString(start)
		if name, ok := staticString(s); ok {
			return AttrName{At: p.pos(start), Name: name}
		}
		return AttrName{At: p.pos(start), Dynamic: s}
	case tDOLLARCURLY:
		p.consume()
		e := p.parseExpr()
		p.expect(tRBRACE)
		if name, ok := staticString(e); ok {
			return AttrName{At: p.pos(start), Name: name}
		}
		return AttrName{At: p.pos(start), Dynamic: e}
	}
	p.syntaxError(setAttrStart)
	return AttrName{}
}

// staticString reports whether e is a string literal without
// interpolation, which Nix takes as a static attribute name even inside
// ${...}, and returns its value.
func staticString(e Expr) (string, bool) {
	switch e := e.(type) {
	case *String:
		value, n := "", 0
		for _, part := range e.Parts {
			lit, ok := part.(*Lit)
			if !ok {
				return "", false
			}
			if lit.Value != "" || !e.Indented {
				// Nix drops the empty pieces of an indented string.
				value = lit.Value
				n++
			}
		}
		return value, n <= 1
	case *URI:
		return e.Value, true
	}
	return "", false
}

// parseInherit parses inherit [(e)] names; into set.
func (p *parser) parseInherit(set *AttrSet) {
	p.consume()
	var from Expr
	if p.peek() == tLPAREN {
		p.consume()
		from = p.parseExpr()
		p.expect(tRPAREN)
	}
	// The names go on p.pathStack while the clause is parsed.
	base := len(p.pathStack)
	for {
		t := p.peek()
		off := p.sc.start
		switch t {
		case tID, tORKW:
			p.pathStack = append(p.pathStack, AttrName{At: p.pos(off), Name: p.text()})
			p.consume()
			continue
		case tQUOTE, tDOLLARCURLY:
			n := p.parseAttrName()
			if n.Dynamic != nil {
				p.errorAt(off, "dynamic attributes not allowed in inherit")
			}
			p.pathStack = append(p.pathStack, n)
			continue
		case tSEMI:
			p.consume()
		default:
			// The state after "inherit names" accepts five tokens (an
			// attribute name or ';'), too many for Bison to list.
			p.syntaxError(0)
		}
		break
	}
	for _, n := range p.pathStack[base:] {
		if prev := p.findAttr(set, n.Name); prev != nil {
			p.errorAt(p.file.Offset(n.At), "attribute '"+n.Name+"' already defined at "+p.file.Position(prev.At).String())
		}
		at := n.At
		a := p.newAttr(Attr{At: at, Name: n.Name, Inherited: true, From: from})
		if from == nil {
			a.Value = p.a.ident(at, n.Name)
		} else {
			path := p.a.attrPathSlice(1)
			path[0] = p.a.attrNames.new()
			*path[0] = AttrName{At: at, Name: n.Name}
			a.Value = p.newSelect(Select{At: at, X: from, Path: path})
		}
		p.appendAttr(set, a)
	}
	p.pathStack = p.pathStack[:base]
}

// Sets with more attributes than smallSet are indexed by name in
// parser.attrIdx; smaller ones are searched.
const smallSet = 8

type attrKey struct {
	set  *AttrSet
	name string
}

func (p *parser) findAttr(set *AttrSet, name string) *Attr {
	if len(set.Attrs) <= smallSet {
		for _, a := range set.Attrs {
			if a.Name == name {
				return a
			}
		}
		return nil
	}
	return p.attrIdx[attrKey{set, name}]
}

func (p *parser) appendAttr(set *AttrSet, a *Attr) {
	set.Attrs = append(set.Attrs, a)
	n := len(set.Attrs)
	if n <= smallSet {
		return
	}
	if p.attrIdx == nil {
		p.attrIdx = make(map[attrKey]*Attr)
	}
	if n == smallSet+1 {
		for _, b := range set.Attrs {
			p.attrIdx[attrKey{set, b.Name}] = b
		}
		return
	}
	p.attrIdx[attrKey{set, a.Name}] = a
}

// addAttr adds the binding path = value, defined at offset off, to set,
// creating or extending nested sets for the path's prefix, as Nix's
// ParserState::addAttr does.
func (p *parser) addAttr(set *AttrSet, path []AttrName, off int, value Expr) {
	at := p.pos(off)
	for i := range path[:len(path)-1] {
		n := &path[i]
		if n.Dynamic != nil {
			nested := p.newAttrSet(AttrSet{At: at})
			set.DynamicAttrs = append(set.DynamicAttrs, &DynamicAttr{At: at, Name: n.Dynamic, Value: nested})
			set = nested
			continue
		}
		if prev := p.findAttr(set, n.Name); prev != nil {
			nested, ok := prev.Value.(*AttrSet)
			if !ok {
				p.dupAttr(path[:i+1], nil, off, prev.At)
			}
			set = nested
			continue
		}
		nested := p.newAttrSet(AttrSet{At: at})
		p.appendAttr(set, p.newAttr(Attr{At: at, Name: n.Name, Value: nested}))
		set = nested
	}
	last := &path[len(path)-1]
	if last.Dynamic != nil {
		set.DynamicAttrs = append(set.DynamicAttrs, &DynamicAttr{At: at, Name: last.Dynamic, Value: value})
		return
	}
	p.addStaticAttr(set, path, nil, p.newAttr(Attr{At: at, Name: last.Name, Value: value}))
}

// addStaticAttr adds a to set. If the name is taken, both definitions being
// attribute set literals merges them (a = { x = 1; }; a.y = 2;), as Nix
// does; anything else is a duplicate. The full path of a, for the error
// message, is path followed by extra.
func (p *parser) addStaticAttr(set *AttrSet, path []AttrName, extra []string, a *Attr) {
	prev := p.findAttr(set, a.Name)
	if prev == nil {
		p.appendAttr(set, a)
		return
	}
	ae, ok1 := a.Value.(*AttrSet)
	prevSet, ok2 := prev.Value.(*AttrSet)
	if !ok1 || !ok2 || a.Inherited || prev.Inherited {
		p.dupAttr(path, extra, p.file.Offset(a.At), prev.At)
	}
	// Nix moves the attributes in the order of its symbol table.
	attrs := ae.Attrs
	if len(attrs) > 1 {
		attrs = append([]*Attr(nil), attrs...)
		sortAttrsBySymbol(attrs)
	}
	for _, ad := range attrs {
		p.addStaticAttr(prevSet, path, append(extra[:len(extra):len(extra)], ad.Name), ad)
	}
	prevSet.DynamicAttrs = append(prevSet.DynamicAttrs, ae.DynamicAttrs...)
}

func (p *parser) dupAttr(path []AttrName, extra []string, off int, prev Pos) {
	names := make([]string, 0, len(path)+len(extra))
	for _, n := range path {
		names = append(names, n.Name)
	}
	names = append(names, extra...)
	p.errorAt(off, "attribute '"+strings.Join(names, ".")+"' already defined at "+p.file.Position(prev).String())
}
