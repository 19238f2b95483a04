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
		path := p.parseAttrPath(first)
		first = -1
		if p.peek() != tASSIGN {
			p.syntaxError(setAttrPathCont)
		}
		p.consume()
		value := p.parseExpr()
		p.expect(tSEMI)
		p.addAttr(set, path, start, value)
	}
}

// parseAttrPath parses an attribute path. first is the offset of an
// identifier already consumed as its first element, or -1.
func (p *parser) parseAttrPath(first int) []*AttrName {
	var path []*AttrName
	if first >= 0 {
		path = append(path, &AttrName{At: p.pos(first), Name: p.identAt(first)})
	} else {
		path = append(path, p.parseAttrName())
	}
	for p.peek() == tDOT {
		p.consume()
		path = append(path, p.parseAttrName())
	}
	if len(path) > p.maxDepth-p.depth {
		// Nested attribute paths become nested sets.
		p.errorAt(p.file.Offset(path[0].At), "expression nested too deeply")
	}
	return path
}

// parseAttrName parses one element of an attribute path: attr or
// string_attr in Nix's grammar.
func (p *parser) parseAttrName() *AttrName {
	t := p.peek()
	start := p.sc.start
	switch t {
	case tID, tORKW:
		n := &AttrName{At: p.pos(start), Name: p.text()}
		p.consume()
		return n
	case tQUOTE:
		p.consume()
		s := p.parseString(start)
		if name, ok := staticString(s); ok {
			return &AttrName{At: p.pos(start), Name: name}
		}
		return &AttrName{At: p.pos(start), Dynamic: s}
	case tDOLLARCURLY:
		p.consume()
		e := p.parseExpr()
		p.expect(tRBRACE)
		if name, ok := staticString(e); ok {
			return &AttrName{At: p.pos(start), Name: name}
		}
		return &AttrName{At: p.pos(start), Dynamic: e}
	}
	p.syntaxError(setAttrStart)
	return nil
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
	type name struct {
		name string
		off  int
	}
	var names []name
	for {
		t := p.peek()
		off := p.sc.start
		switch t {
		case tID, tORKW:
			names = append(names, name{p.text(), off})
			p.consume()
			continue
		case tQUOTE, tDOLLARCURLY:
			n := p.parseAttrName()
			if n.Dynamic != nil {
				p.errorAt(off, "dynamic attributes not allowed in inherit")
			}
			names = append(names, name{n.Name, off})
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
	for _, n := range names {
		if prev := p.findAttr(set, n.name); prev != nil {
			p.errorAt(n.off, "attribute '"+n.name+"' already defined at "+p.file.Position(prev.At).String())
		}
		at := p.pos(n.off)
		a := &Attr{At: at, Name: n.name, Inherited: true, From: from}
		if from == nil {
			a.Value = &Ident{At: at, Name: n.name}
		} else {
			a.Value = &Select{At: at, X: from, Path: []*AttrName{{At: at, Name: n.name}}}
		}
		p.appendAttr(set, a)
	}
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
func (p *parser) addAttr(set *AttrSet, path []*AttrName, off int, value Expr) {
	at := p.pos(off)
	for i, n := range path[:len(path)-1] {
		if n.Dynamic != nil {
			nested := &AttrSet{At: at}
			set.DynamicAttrs = append(set.DynamicAttrs, &DynamicAttr{At: at, Name: n.Dynamic, Value: nested})
			set = nested
			continue
		}
		if prev := p.findAttr(set, n.Name); prev != nil {
			nested, ok := prev.Value.(*AttrSet)
			if !ok {
				p.dupAttr(pathNames(path[:i+1]), off, prev.At)
			}
			set = nested
			continue
		}
		nested := &AttrSet{At: at}
		p.appendAttr(set, &Attr{At: at, Name: n.Name, Value: nested})
		set = nested
	}
	last := path[len(path)-1]
	if last.Dynamic != nil {
		set.DynamicAttrs = append(set.DynamicAttrs, &DynamicAttr{At: at, Name: last.Dynamic, Value: value})
		return
	}
	p.addStaticAttr(set, pathNames(path), &Attr{At: at, Name: last.Name, Value: value})
}

func pathNames(path []*AttrName) []string {
	names := make([]string, len(path))
	for i, n := range path {
		names[i] = n.Name
	}
	return names
}

// addStaticAttr adds a to set. If the name is taken, both definitions being
// attribute set literals merges them (a = { x = 1; }; a.y = 2;), as Nix
// does; anything else is a duplicate. names is the full path of a, for the
// error message.
func (p *parser) addStaticAttr(set *AttrSet, names []string, a *Attr) {
	prev := p.findAttr(set, a.Name)
	if prev == nil {
		p.appendAttr(set, a)
		return
	}
	ae, ok1 := a.Value.(*AttrSet)
	prevSet, ok2 := prev.Value.(*AttrSet)
	if !ok1 || !ok2 || a.Inherited || prev.Inherited {
		p.dupAttr(names, p.file.Offset(a.At), prev.At)
	}
	// Nix moves the attributes in the order of its symbol table.
	attrs := ae.Attrs
	if len(attrs) > 1 {
		attrs = append([]*Attr(nil), attrs...)
		sortAttrsBySymbol(attrs)
	}
	for _, ad := range attrs {
		p.addStaticAttr(prevSet, append(names[:len(names):len(names)], ad.Name), ad)
	}
	prevSet.DynamicAttrs = append(prevSet.DynamicAttrs, ae.DynamicAttrs...)
}

func (p *parser) dupAttr(names []string, off int, prev Pos) {
	p.errorAt(off, "attribute '"+strings.Join(names, ".")+"' already defined at "+p.file.Position(prev).String())
}
