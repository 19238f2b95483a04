package eval

import "slices"

// The attribute set basics the language needs.

func init() {
	register(
		&Builtin{Name: "attrNames", Arity: 1, Fn: builtinAttrNames},
		&Builtin{Name: "attrValues", Arity: 1, Fn: builtinAttrValues},
		&Builtin{Name: "getAttr", Arity: 2, Fn: builtinGetAttr},
		&Builtin{Name: "hasAttr", Arity: 2, Fn: builtinHasAttr},
		&Builtin{Name: "removeAttrs", Arity: 2, Global: true, Fn: builtinRemoveAttrs},
		&Builtin{Name: "listToAttrs", Arity: 1, Fn: builtinListToAttrs},
		&Builtin{Name: "mapAttrs", Arity: 2, Fn: builtinMapAttrs},
		&Builtin{Name: "intersectAttrs", Arity: 2, Fn: builtinIntersectAttrs},
		&Builtin{Name: "catAttrs", Arity: 2, Fn: builtinCatAttrs},
		&Builtin{Name: "functionArgs", Arity: 1, Fn: builtinFunctionArgs},
		&Builtin{Name: "unsafeGetAttrPos", Arity: 2, Fn: builtinUnsafeGetAttrPos},
	)
}

func builtinAttrNames(c Call) Value {
	a := c.attrsMsg(c.Args[0], "while evaluating the argument passed to builtins.attrNames")
	out := make([]Value, a.Len())
	for i, at := range a.all() {
		out[i] = c.Ev.symString(at.Name)
	}
	return NewList(out)
}

// symString returns the name of a symbol as a string value, shared.
func (ev *Evaluator) symString(s Sym) *String {
	for int(s) >= len(ev.symStrings) {
		ev.symStrings = append(ev.symStrings, nil)
	}
	if v := ev.symStrings[s]; v != nil {
		return v
	}
	v := Str(ev.symbols.name(s))
	ev.symStrings[s] = v
	return v
}

func builtinAttrValues(c Call) Value {
	a := c.attrsMsg(c.Args[0], "while evaluating the argument passed to builtins.attrValues")
	out := make([]Value, a.Len())
	for i, at := range a.all() {
		out[i] = at.Value
	}
	return NewList(out)
}

func builtinGetAttr(c Call) Value {
	name := c.StringNoCtx(0)
	a := c.Attrs(1)
	at := c.Get(a, name)
	if at == nil {
		c.Ev.pushFrame(frame{kind: frameMsg, p: "in the attribute set under consideration"})
		c.Errorf(TypeError, "attribute '%s' missing", name)
	}
	return c.Ev.force(at.Value)
}

func builtinHasAttr(c Call) Value {
	name := c.StringNoCtx(0)
	a := c.Attrs(1)
	return mkBool(c.Get(a, name) != nil)
}

func builtinRemoveAttrs(c Call) Value {
	a := c.Attrs(0)
	l := c.List(1)
	if len(l.elems) == 0 || a.Len() == 0 {
		return a
	}
	tab := c.Ev.symbols
	// The names to remove that a has, each once: usually a few, kept in
	// a slice on the stack; a long list goes in a map.
	var buf [16]Sym
	remove := buf[:0]
	var removeMap map[Sym]bool
	if len(l.elems) > len(buf) {
		removeMap = make(map[Sym]bool, len(l.elems))
	}
	for _, e := range l.elems {
		s := c.ForceString(e, "while evaluating the values of the second argument passed to builtins.removeAttrs")
		if s.ctx != nil {
			c.Errorf(EvalError, "the string '%s' is not allowed to refer to a store path (such as '%s')", s.s, c.Ev.showContextElem(s.ctx.elems[0]))
		}
		sym, ok := tab.lookup(s.s)
		if !ok || a.get(tab, sym) == nil {
			continue
		}
		if removeMap != nil {
			removeMap[sym] = true
		} else if !slices.Contains(remove, sym) {
			remove = append(remove, sym)
		}
	}
	n := len(remove) + len(removeMap)
	if n == 0 {
		return a
	}
	if n == a.Len() {
		return emptyAttrs
	}
	set := newAttrs(a.Len() - n)
	out := set.layer[:0]
	for _, at := range a.all() {
		if removeMap != nil && removeMap[at.Name] || removeMap == nil && slices.Contains(remove, at.Name) {
			continue
		}
		out = append(out, at)
	}
	return set
}

func builtinListToAttrs(c Call) Value {
	ev := c.Ev
	l := c.listMsg(c.Args[0], "while evaluating the argument passed to builtins.listToAttrs")
	attrs := make([]Attr, 0, len(l.elems))
	for _, e := range l.elems {
		pair := c.ForceAttrs(e, "while evaluating an element of the list passed to builtins.listToAttrs")
		n := pair.get(ev.symbols, ev.s.name)
		if n == nil {
			ev.pushFrame(frame{kind: frameMsg, p: "in a {name=...; value=...;} pair"})
			c.Errorf(TypeError, "attribute 'name' missing")
		}
		ns := c.stringAt(n.Value, n.Pos, "while evaluating the `name` attribute of an element of the list passed to builtins.listToAttrs")
		if ns.ctx != nil {
			c.Errorf(EvalError, "the string '%s' is not allowed to refer to a store path (such as '%s')", ns.s, ev.showContextElem(ns.ctx.elems[0]))
		}
		// The value is looked up only for the first definition of each
		// name (below); keep the pair for now.
		attrs = append(attrs, Attr{Name: ev.symbols.intern(ns.s), Value: pair})
	}
	set := ev.makeAttrs(attrs, false)
	for i := range set.all() {
		pair := set.all()[i].Value.(*Attrs)
		v := pair.get(ev.symbols, ev.s.value)
		if v == nil {
			ev.pushFrame(frame{kind: frameMsg, p: "in a {name=...; value=...;} pair"})
			c.Errorf(TypeError, "attribute 'value' missing")
		}
		set.all()[i].Value = v.Value
		set.all()[i].Pos = v.Pos
	}
	return set
}

func builtinMapAttrs(c Call) Value {
	ev := c.Ev
	a := c.Attrs(1)
	if a.Len() == 0 {
		return a
	}
	f := c.Args[0]
	out := make([]Attr, a.Len())
	for i, at := range a.all() {
		// No position, as in Nix (unsafeGetAttrPos gives null; traces
		// show none).
		out[i] = Attr{Name: at.Name, Value: newApp2Thunk(f, ev.symString(at.Name), at.Value)}
	}
	return flatAttrs(out)
}

func builtinIntersectAttrs(c Call) Value {
	a := c.Attrs(0)
	b := c.Attrs(1)
	var out []Attr
	if a.Len() < b.Len() {
		for _, at := range a.all() {
			if bt := b.get(c.Ev.symbols, at.Name); bt != nil {
				out = append(out, *bt)
			}
		}
	} else {
		for _, bt := range b.all() {
			if a.get(c.Ev.symbols, bt.Name) != nil {
				out = append(out, bt)
			}
		}
	}
	if len(out) == 0 {
		return emptyAttrs
	}
	return flatAttrs(out)
}

func builtinCatAttrs(c Call) Value {
	name := c.StringNoCtx(0)
	l := c.List(1)
	sym := c.Sym(name)
	var out []Value
	for _, e := range l.elems {
		a := c.ForceAttrs(e, "while evaluating an element in the list passed as second argument to builtins.catAttrs")
		if at := a.get(c.Ev.symbols, sym); at != nil {
			out = append(out, at.Value)
		}
	}
	return NewList(out)
}

func builtinFunctionArgs(c Call) Value {
	v := c.Force(0)
	switch f := v.(type) {
	case *PrimOp, *PrimOpApp:
		return emptyAttrs
	case *Lambda:
		if !f.fn.hasForms {
			return emptyAttrs
		}
		attrs := make([]Attr, len(f.fn.formals))
		for i, fm := range f.fn.formals {
			attrs[i] = Attr{Name: fm.name, Pos: fm.at, Value: mkBool(fm.def != nil)}
		}
		return c.Ev.makeAttrs(attrs, true)
	}
	c.Errorf(TypeError, "'functionArgs' requires a function")
	return nil
}

func builtinUnsafeGetAttrPos(c Call) Value {
	name := c.StringNoCtx(0)
	a := c.Attrs(1)
	at := c.Get(a, name)
	if at == nil {
		return vNull
	}
	return c.Ev.posValue(at.Pos)
}
