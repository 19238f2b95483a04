package eval

// builtins.genericClosure { startSet; operator; }: the elements reachable
// from startSet through operator, each key once, in the order found.
//
// Nix keeps the keys seen in a std::set ordered by lessThan, so two keys
// are the same when neither is less than the other (1 and 1.0 are), and
// comparing keys of different types fails. To fail at the same key pair
// with the same message, keys go into a red-black tree that inserts as
// libstdc++'s does. While every key is an integer, or every key a string,
// no comparison can fail and the tree's answers are plain equality, so a
// hash set answers instead; the tree is built from it (same insertions,
// same order) when a key of another kind arrives.

import (
	"fmt"

	"github.com/govix/govix/eval/syntax"
)

func init() {
	register(&Builtin{Name: "genericClosure", Arity: 1, Fn: builtinGenericClosure})
}

func builtinGenericClosure(c Call) Value {
	ev := c.Ev
	const inArgs = "in the attrset passed as argument to builtins.genericClosure"
	args := c.attrsMsg(c.Args[0], "while evaluating the first argument passed to builtins.genericClosure")
	start := c.requireAttr(args, "startSet", inArgs)
	startList := c.listMsg(start.Value, "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure")
	if len(startList.elems) == 0 {
		return startList
	}
	opAttr := c.requireAttr(args, "operator", inArgs)
	op := c.funcMsg(opAttr.Value, "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure")

	work := append([]Value(nil), startList.elems...)
	var res []Value
	keys := closureKeys{ev: ev}
	keySym := ev.symbols.intern("key")
	h := len(ev.frames)

	// What the loop is doing, for the trace of an error raised inside.
	const (
		phaseElem = iota + 1 // forcing an element and finding its key
		phaseOp              // calling the operator on an element
	)
	phase := 0
	var cur Value
	defer func() {
		if phase == 0 {
			return
		}
		if x := recover(); x != nil {
			if e, ok := x.(*Error); ok {
				switch phase {
				case phaseElem:
					// An element that failed to evaluate is still being
					// forced here; Nix shows a failed value as «thunk».
					desc := "«thunk»"
					if t, ok := cur.(*Thunk); !ok || t.env == nil {
						desc = ev.errorValue(cur)
					}
					e.insertTrace(h, "in genericClosure element "+desc)
				case phaseOp:
					e.insertTrace(h, "while calling operator on genericClosure element "+ev.errorValue(cur))
				}
			}
			panic(x)
		}
	}()
	const opResult = "while evaluating the return value of the `operator` passed to builtins.genericClosure"
	for head := 0; head < len(work); head++ {
		if head >= 4096 && head*2 >= len(work) {
			// Drop the processed half of the queue.
			n := copy(work, work[head:])
			clear(work[n:])
			work, head = work[:n], 0
		}
		e := work[head]
		work[head] = nil
		cur = e
		phase = phaseElem
		a, ok := ev.force(e).(*Attrs)
		if !ok {
			ev.typeError(syntax.NoPos, "a set", ev.force(e))
		}
		cur = a
		k := a.get(ev.symbols, keySym)
		if k == nil {
			c.Errorf(TypeError, "attribute 'key' missing")
		}
		phase = 0
		key := ev.force(k.Value)
		if !keys.insert(key, a, res, h) {
			continue
		}
		res = append(res, a)

		phase = phaseOp
		r := ev.call1(op, a, syntax.NoPos)
		l, ok := r.(*List)
		if !ok {
			l = c.listMsg(r, opResult)
		}
		for _, x := range l.elems {
			ev.force(x)
			work = append(work, x)
		}
		phase = 0
	}
	return NewList(res)
}

// requireAttr returns attribute name of a or raises Nix's "attribute
// missing" error traced with msg.
func (c Call) requireAttr(a *Attrs, name, msg string) *Attr {
	at := c.Get(a, name)
	if at == nil {
		c.Ev.pushFrame(msgFrame(syntax.NoPos, msg))
		c.Errorf(TypeError, "attribute '%s' missing", name)
	}
	return at
}

// closureKeys is the set of keys genericClosure has seen.
type closureKeys struct {
	ev   *Evaluator
	ints *intSet
	strs map[string]struct{}
	tree *rbTree // once a key of another kind arrived
}

// insert adds key (forced) of element elem and reports whether it is new.
// done are the elements whose keys were added before, in order; h is the
// height of the trace stack of genericClosure's call.
func (s *closureKeys) insert(key Value, elem Value, done []Value, h int) bool {
	if s.tree == nil {
		switch k := key.(type) {
		case Int:
			if s.strs == nil {
				if s.ints == nil {
					s.ints = &intSet{}
				}
				return s.ints.add(k)
			}
		case *String:
			if s.ints == nil {
				if s.strs == nil {
					s.strs = map[string]struct{}{}
				}
				if _, ok := s.strs[k.s]; ok {
					return false
				}
				s.strs[k.s] = struct{}{}
				return true
			}
		}
		// Another kind: replay the insertions into a tree.
		s.tree = &rbTree{ev: s.ev, root: -1}
		keySym := s.ev.symbols.intern("key")
		for _, d := range done {
			a := d.(*Attrs)
			s.tree.insert(s.ev.force(a.get(s.ev.symbols, keySym).Value), a)
		}
		s.ints, s.strs = nil, nil
	}
	var inserted bool
	err := s.ev.catchError(func() { inserted = s.tree.insert(key, elem) })
	if err == nil {
		return inserted
	}
	// Find the key the comparison failed with, as Nix does: the first
	// in order whose comparison with the new key fails.
	ev := s.ev
	var other Value
	s.tree.each(func(n *rbNode) bool {
		if ev.catchError(func() { ev.lessThan(key, n.key, syntax.NoPos) }) != nil {
			other = n.elem
			return false
		}
		return true
	})
	if other != nil {
		err.insertTrace(h, "while comparing element "+ev.errorValue(elem), "with element "+ev.errorValue(other))
	} else {
		err.insertTrace(h, "while checking key of element "+ev.errorValue(elem))
	}
	panic(err)
}

// intSet is a set of integers: a bitmap for the non-negative ones while
// it stays dense (at most 256 bits for each member), a map for the rest.
type intSet struct {
	bits []uint64
	m    map[Int]struct{}
	n    int
}

// add adds k and reports whether it was new.
func (s *intSet) add(k Int) bool {
	if k >= 0 {
		w := uint64(k) >> 6
		if w >= uint64(len(s.bits)) && w < uint64(4*(s.n+64)) {
			s.grow(int(w) + 1)
		}
		if w < uint64(len(s.bits)) {
			bit := uint64(1) << (uint64(k) & 63)
			if s.bits[w]&bit != 0 {
				return false
			}
			s.bits[w] |= bit
			s.n++
			return true
		}
	}
	if s.m == nil {
		s.m = map[Int]struct{}{}
	}
	if _, ok := s.m[k]; ok {
		return false
	}
	s.m[k] = struct{}{}
	s.n++
	return true
}

// grow makes the bitmap hold at least words words and moves the keys of
// the map it now covers into it.
func (s *intSet) grow(words int) {
	bits := make([]uint64, max(words, 2*len(s.bits), 64))
	copy(bits, s.bits)
	s.bits = bits
	for k := range s.m {
		if k >= 0 && uint64(k)>>6 < uint64(len(bits)) {
			bits[uint64(k)>>6] |= 1 << (uint64(k) & 63)
			delete(s.m, k)
		}
	}
}

// rbTree is a red-black tree of keys ordered by lessThan that makes the
// comparisons, and takes the shapes, of libstdc++'s std::set: the same
// search in _M_get_insert_unique_pos, the same extra comparison in
// _M_insert_, the same rebalancing.
type rbTree struct {
	ev       *Evaluator
	nodes    []rbNode
	root     int32 // -1: empty
	leftmost int32
}

type rbNode struct {
	key, elem           Value
	left, right, parent int32 // -1: none (the parent of the root)
	red                 bool
}

func (t *rbTree) less(a, b Value) bool { return t.ev.lessThan(a, b, syntax.NoPos) }

// insert adds key unless an equivalent key is there; it reports whether
// it added it.
func (t *rbTree) insert(key, elem Value) bool {
	// _M_get_insert_unique_pos
	x, y := t.root, int32(-1)
	comp := true
	for x >= 0 {
		y = x
		comp = t.less(key, t.nodes[x].key)
		if comp {
			x = t.nodes[x].left
		} else {
			x = t.nodes[x].right
		}
	}
	j := y
	if comp {
		if y < 0 || j == t.leftmost {
			return t.insertAt(key, elem, y)
		}
		j = t.prev(j)
	}
	if t.less(t.nodes[j].key, key) {
		return t.insertAt(key, elem, y)
	}
	return false
}

// insertAt is _M_insert_ and _Rb_tree_insert_and_rebalance: a new red
// node under p (-1 for the empty tree), then the usual fix-up.
func (t *rbTree) insertAt(key, elem Value, p int32) bool {
	left := p < 0 || t.less(key, t.nodes[p].key)
	z := int32(len(t.nodes))
	t.nodes = append(t.nodes, rbNode{key: key, elem: elem, left: -1, right: -1, parent: p, red: true})
	n := t.nodes
	switch {
	case p < 0:
		t.root, t.leftmost = z, z
	case left:
		n[p].left = z
		if p == t.leftmost {
			t.leftmost = z
		}
	default:
		n[p].right = z
	}
	x := z
	for x != t.root && n[n[x].parent].red {
		xp := n[x].parent
		xpp := n[xp].parent
		if xp == n[xpp].left {
			y := n[xpp].right
			if y >= 0 && n[y].red {
				n[xp].red, n[y].red, n[xpp].red = false, false, true
				x = xpp
				continue
			}
			if x == n[xp].right {
				x = xp
				t.rotateLeft(x)
				xp = n[x].parent
			}
			n[xp].red, n[xpp].red = false, true
			t.rotateRight(xpp)
		} else {
			y := n[xpp].left
			if y >= 0 && n[y].red {
				n[xp].red, n[y].red, n[xpp].red = false, false, true
				x = xpp
				continue
			}
			if x == n[xp].left {
				x = xp
				t.rotateRight(x)
				xp = n[x].parent
			}
			n[xp].red, n[xpp].red = false, true
			t.rotateLeft(xpp)
		}
	}
	n[t.root].red = false
	return true
}

func (t *rbTree) rotateLeft(x int32) {
	n := t.nodes
	y := n[x].right
	n[x].right = n[y].left
	if n[y].left >= 0 {
		n[n[y].left].parent = x
	}
	n[y].parent = n[x].parent
	switch p := n[x].parent; {
	case p < 0:
		t.root = y
	case x == n[p].left:
		n[p].left = y
	default:
		n[p].right = y
	}
	n[y].left = x
	n[x].parent = y
}

func (t *rbTree) rotateRight(x int32) {
	n := t.nodes
	y := n[x].left
	n[x].left = n[y].right
	if n[y].right >= 0 {
		n[n[y].right].parent = x
	}
	n[y].parent = n[x].parent
	switch p := n[x].parent; {
	case p < 0:
		t.root = y
	case x == n[p].right:
		n[p].right = y
	default:
		n[p].left = y
	}
	n[y].right = x
	n[x].parent = y
}

// prev returns the in-order predecessor of x (x is not the leftmost).
func (t *rbTree) prev(x int32) int32 {
	n := t.nodes
	if l := n[x].left; l >= 0 {
		for x = l; n[x].right >= 0; x = n[x].right {
		}
		return x
	}
	p := n[x].parent
	for x == n[p].left {
		x, p = p, n[p].parent
	}
	return p
}

// each calls f on the nodes in order until it returns false.
func (t *rbTree) each(f func(*rbNode) bool) {
	var walk func(x int32) bool
	walk = func(x int32) bool {
		if x < 0 {
			return true
		}
		return walk(t.nodes[x].left) && f(&t.nodes[x]) && walk(t.nodes[x].right)
	}
	walk(t.root)
}

// String shows the tree's shape, for tests.
func (t *rbTree) String() string {
	var show func(x int32) string
	show = func(x int32) string {
		if x < 0 {
			return "."
		}
		c := "b"
		if t.nodes[x].red {
			c = "r"
		}
		return fmt.Sprintf("(%s %s%s %s)", show(t.nodes[x].left), c, t.ev.errorValue(t.nodes[x].key), show(t.nodes[x].right))
	}
	return show(t.root)
}
