package eval

// Builtins that group list elements or set attributes: partition,
// groupBy, zipAttrsWith.

func init() {
	register(
		&Builtin{Name: "partition", Arity: 2, Fn: builtinPartition},
		&Builtin{Name: "groupBy", Arity: 2, Fn: builtinGroupBy},
		&Builtin{Name: "zipAttrsWith", Arity: 2, Fn: builtinZipAttrsWith},
	)
}

// builtins.partition pred list: { right = elements pred accepts; wrong =
// the others; }, both in list order.
func builtinPartition(c Call) Value {
	ev := c.Ev
	f := c.Func(0)
	l := c.List(1)
	var right, wrong []Value
	for _, e := range l.elems {
		ev.force(e)
		if c.ForceBool(ev.call1(f, e, c.Pos), "while evaluating the return value of the partition function passed to builtins.partition") {
			right = append(right, e)
		} else {
			wrong = append(wrong, e)
		}
	}
	return ev.makeAttrs([]Attr{
		{Name: ev.symbols.intern("right"), Value: NewList(right)},
		{Name: ev.symbols.intern("wrong"), Value: NewList(wrong)},
	}, false)
}

// builtins.groupBy f list: the elements of list grouped by the name f
// gives each, in list order.
func builtinGroupBy(c Call) Value {
	ev := c.Ev
	f := c.Func(0)
	l := c.List(1)
	index := map[Sym]int{}
	var groups []Attr
	var members [][]Value
	for _, e := range l.elems {
		r := ev.call1(f, e, c.Pos)
		name := c.stringNoCtxMsg(r, "while evaluating the return value of the grouping function passed to builtins.groupBy")
		sym := ev.symbols.intern(name)
		i, ok := index[sym]
		if !ok {
			i = len(groups)
			index[sym] = i
			groups = append(groups, Attr{Name: sym})
			members = append(members, nil)
		}
		members[i] = append(members[i], e)
	}
	for i := range groups {
		groups[i].Value = NewList(members[i])
	}
	return ev.makeAttrs(groups, false)
}

// builtins.zipAttrsWith f sets: for each name in any of sets, f name
// [the values of that name, in list order], lazily.
func builtinZipAttrsWith(c Call) Value {
	ev := c.Ev
	f := c.Func(0)
	l := c.List(1)
	index := map[Sym]int{}
	var names []Attr
	var values [][]Value
	for _, e := range l.elems {
		a := c.ForceAttrs(e, "while evaluating a value of the list passed as second argument to builtins.zipAttrsWith")
		for _, at := range a.All() {
			i, ok := index[at.Name]
			if !ok {
				i = len(names)
				index[at.Name] = i
				names = append(names, Attr{Name: at.Name})
				values = append(values, nil)
			}
			values[i] = append(values[i], at.Value)
		}
	}
	for i := range names {
		names[i].Value = newApp2Thunk(f, ev.symString(names[i].Name), NewList(values[i]))
	}
	return ev.makeAttrs(names, false)
}
