package eval

import (
	"slices"

	"github.com/govix/govix/eval/syntax"
)

// Attr is one attribute of a set.
type Attr struct {
	Name  Sym
	Pos   syntax.Pos // where the attribute was defined (unsafeGetAttrPos)
	Value Value      // possibly a thunk
}

// Attrs is an immutable attribute set: attributes sorted by name (byte
// order, as Nix shows them), each name once. Small sets are searched
// linearly by symbol, large ones by binary search on the names, and a
// large set searched often gets a hash index by symbol.
//
// a // b with a small b (at most layerMaxRHS attributes) does not copy a:
// the result is a layer, b's attributes on top of a (base), as current Nix
// does; lookups search the layers top down. At most maxLayers are stacked.
// The first iteration over a layered set flattens it into one sorted
// array, kept (the set's value never changes, only its representation).
type Attrs struct {
	layer   []Attr    // this layer's attributes (all of them when flat)
	ext     *attrsExt // for layered or indexed sets, else nil
	n       int32     // number of distinct attributes in all layers
	lookups uint16    // lookups so far (a large set gets an index)
	layers  uint8     // number of layers, this one included (0 or 1: flat)
}

// attrsExt holds what only some sets need.
type attrsExt struct {
	base  *Attrs       // the set a layer is on
	tab   *symbolTable // for flattening a layered set
	index []int32      // hash index of a large flat set: 1 + position, 0 empty
}

const (
	layerMaxRHS = 16
	maxLayers   = 8
	// A flat set of at least indexMin attributes gets a hash index after
	// indexAfter lookups (binary search compares names, an index only
	// symbols).
	indexMin   = 64
	indexAfter = 16
)

// linearMax is the size up to which lookups scan instead of bisecting.
const linearMax = 8

func (a *Attrs) base() *Attrs {
	if a.ext == nil {
		return nil
	}
	return a.ext.base
}

// Len is the number of attributes.
func (a *Attrs) Len() int {
	if a.layers < 2 {
		return len(a.layer)
	}
	return int(a.n)
}

// all returns the attributes in name order, flattening the layers the
// first time. The caller must not modify the slice.
func (a *Attrs) all() []Attr {
	if a.layers < 2 {
		return a.layer
	}
	return a.flatten()
}

// flatten merges the layers into one array (higher layers win).
func (a *Attrs) flatten() []Attr {
	var layers []*Attrs
	for l := a; l != nil; l = l.base() {
		layers = append(layers, l)
		if l.layers < 2 {
			break
		}
	}
	// Merge from the bottom up: each layer replaces or adds attributes.
	tab := a.ext.tab
	out := layers[len(layers)-1].all()
	for i := len(layers) - 2; i >= 0; i-- {
		out = mergeAttrs(tab, out, layers[i].layer)
	}
	a.layer = out
	a.ext = nil
	a.layers = 0
	return out
}

// At returns the i-th attribute in name order.
func (a *Attrs) At(i int) *Attr { return &a.all()[i] }

// All returns the attributes in name order; the caller must not modify
// the slice.
func (a *Attrs) All() []Attr { return a.all() }

var emptyAttrs = &Attrs{}

// flatAttrs makes a set of attributes sorted by name, each name once
// (given up by the caller). Read a set with All, Len and get, never
// through its fields: a set may be layered.
func flatAttrs(attrs []Attr) *Attrs { return &Attrs{layer: attrs} }

// Small sets are allocated together with their attributes.
type (
	attrs1 struct {
		Attrs
		a [1]Attr
	}
	attrs2 struct {
		Attrs
		a [2]Attr
	}
	attrs3 struct {
		Attrs
		a [3]Attr
	}
	attrs4 struct {
		Attrs
		a [4]Attr
	}
	attrs5 struct {
		Attrs
		a [5]Attr
	}
	attrs6 struct {
		Attrs
		a [6]Attr
	}
)

// newAttrs returns a flat set of n attributes to fill in (sorted by
// name, before anyone else sees the set).
func newAttrs(n int) *Attrs {
	switch n {
	case 1:
		s := &attrs1{}
		s.layer = s.a[:]
		return &s.Attrs
	case 2:
		s := &attrs2{}
		s.layer = s.a[:]
		return &s.Attrs
	case 3:
		s := &attrs3{}
		s.layer = s.a[:]
		return &s.Attrs
	case 4:
		s := &attrs4{}
		s.layer = s.a[:]
		return &s.Attrs
	case 5:
		s := &attrs5{}
		s.layer = s.a[:]
		return &s.Attrs
	case 6:
		s := &attrs6{}
		s.layer = s.a[:]
		return &s.Attrs
	}
	return &Attrs{layer: make([]Attr, n)}
}

// get returns the attribute named s, or nil.
func (a *Attrs) get(tab *symbolTable, s Sym) *Attr {
	for l := a; ; {
		if l.layers < 2 {
			if len(l.layer) >= indexMin {
				return l.getIndexed(tab, s)
			}
			if i := indexAttr(tab, l.layer, s); i >= 0 {
				return &l.layer[i]
			}
			return nil
		}
		if i := indexAttr(tab, l.layer, s); i >= 0 {
			return &l.layer[i]
		}
		l = l.ext.base
	}
}

// getIndexed looks s up in a large flat set, through its hash index once
// the set has been searched often enough.
func (a *Attrs) getIndexed(tab *symbolTable, s Sym) *Attr {
	if a.ext == nil || a.ext.index == nil {
		if a.lookups < indexAfter {
			a.lookups++
			if i := indexAttr(tab, a.layer, s); i >= 0 {
				return &a.layer[i]
			}
			return nil
		}
		a.buildIndex()
	}
	idx := a.ext.index
	mask := uint32(len(idx) - 1)
	for h := symHash(s) & mask; ; h = (h + 1) & mask {
		j := idx[h]
		if j == 0 {
			return nil
		}
		if at := &a.layer[j-1]; at.Name == s {
			return at
		}
	}
}

func symHash(s Sym) uint32 { return uint32(s) * 0x9E3779B1 }

// buildIndex makes the hash index of a flat set (load factor at most 1/2).
func (a *Attrs) buildIndex() {
	size := 1
	for size < 2*len(a.layer) {
		size <<= 1
	}
	idx := make([]int32, size)
	mask := uint32(size - 1)
	for i, at := range a.layer {
		h := symHash(at.Name) & mask
		for idx[h] != 0 {
			h = (h + 1) & mask
		}
		idx[h] = int32(i + 1)
	}
	if a.ext == nil {
		a.ext = &attrsExt{}
	}
	a.ext.index = idx
}

// indexAttr returns the position of s in the sorted attrs, or -1.
func indexAttr(tab *symbolTable, attrs []Attr, s Sym) int {
	if len(attrs) <= linearMax {
		for i := range attrs {
			if attrs[i].Name == s {
				return i
			}
		}
		return -1
	}
	lo, hi := 0, len(attrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		n := attrs[m].Name
		if n == s {
			return m
		}
		if tab.less(n, s) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return -1
}

// sortAttrs sorts attrs by name.
func sortAttrs(tab *symbolTable, attrs []Attr) {
	slices.SortStableFunc(attrs, func(x, y Attr) int {
		if x.Name == y.Name {
			return 0
		}
		return tab.compare(x.Name, y.Name)
	})
}

// update returns a // b: the attributes of both, b's winning on equal
// names. It shares a or b when the other is empty, and layers a small b on
// top of a instead of copying a.
func update(tab *symbolTable, a, b *Attrs) *Attrs {
	if b.Len() == 0 {
		return a
	}
	if a.Len() == 0 {
		return b
	}
	y := b.all()
	if len(y) <= layerMaxRHS && a.layers < maxLayers && a.Len() > 2*len(y) {
		n := a.Len()
		for _, at := range y {
			if a.get(tab, at.Name) == nil {
				n++
			}
		}
		layers := a.layers
		if layers == 0 {
			layers = 1
		}
		return &Attrs{layer: y, ext: &attrsExt{base: a, tab: tab}, n: int32(n), layers: layers + 1}
	}
	x := a.all()
	out := mergeAttrs(tab, x, y)
	if len(out) == len(y) {
		// Every attribute of a is overridden.
		return b
	}
	return flatAttrs(out)
}

// mergeAttrs merges two sorted attribute arrays, y winning on equal
// names, into a new array.
func mergeAttrs(tab *symbolTable, x, y []Attr) []Attr {
	if len(y)*16 < len(x) {
		return insertAttrs(tab, x, y)
	}
	out := make([]Attr, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		if x[i].Name == y[j].Name {
			out = append(out, y[j])
			i++
			j++
		} else if tab.less(x[i].Name, y[j].Name) {
			out = append(out, x[i])
			i++
		} else {
			out = append(out, y[j])
			j++
		}
	}
	out = append(out, x[i:]...)
	out = append(out, y[j:]...)
	return slices.Clip(out)
}

// insertAttrs merges a few attributes y into many x (y wins): each y is
// placed by binary search and the runs of x between are copied whole, so
// the cost is a few comparisons and a copy, not a comparison per element.
func insertAttrs(tab *symbolTable, x, y []Attr) []Attr {
	// Count the names of y already in x to size the result exactly.
	pos := make([]int, len(y))
	dup := 0
	lo := 0
	for j, at := range y {
		i, found := lo, false
		hi := len(x)
		for i < hi {
			m := int(uint(i+hi) >> 1)
			if x[m].Name == at.Name {
				i, found = m, true
				break
			}
			if tab.less(x[m].Name, at.Name) {
				i = m + 1
			} else {
				hi = m
			}
		}
		pos[j] = i
		if found {
			dup++
			pos[j] = -i - 1
		}
		lo = i
	}
	out := make([]Attr, 0, len(x)+len(y)-dup)
	prev := 0
	for j, at := range y {
		i := pos[j]
		replace := i < 0
		if replace {
			i = -i - 1
		}
		out = append(out, x[prev:i]...)
		out = append(out, at)
		prev = i
		if replace {
			prev++
		}
	}
	return append(out, x[prev:]...)
}

// AttrsBuilder builds an attribute set from attributes given in any
// order. Later definitions of a name replace earlier ones.
type AttrsBuilder struct {
	ev    *Evaluator
	attrs []Attr
}

// NewAttrsBuilder returns a builder with room for n attributes.
func (ev *Evaluator) NewAttrsBuilder(n int) *AttrsBuilder {
	return &AttrsBuilder{ev: ev, attrs: make([]Attr, 0, n)}
}

// Set adds or replaces name = v.
func (b *AttrsBuilder) Set(name string, v Value) {
	b.attrs = append(b.attrs, Attr{Name: b.ev.symbols.intern(name), Value: v})
}

// SetSym adds or replaces an attribute by symbol, with a position.
func (b *AttrsBuilder) SetSym(name Sym, pos syntax.Pos, v Value) {
	b.attrs = append(b.attrs, Attr{Name: name, Pos: pos, Value: v})
}

// Attrs finishes the set; the builder must not be used afterwards. When a
// name was set several times the last value wins.
func (b *AttrsBuilder) Attrs() *Attrs {
	return b.ev.makeAttrs(b.attrs, true)
}

// makeAttrs sorts attrs (given up by the caller) into a set. With
// lastWins, duplicates keep the last definition, else the first.
func (ev *Evaluator) makeAttrs(attrs []Attr, lastWins bool) *Attrs {
	if len(attrs) == 0 {
		return emptyAttrs
	}
	sortAttrs(ev.symbols, attrs)
	// Remove duplicates (stable sort keeps definition order).
	w := 0
	for r := 0; r < len(attrs); r++ {
		if w > 0 && attrs[w-1].Name == attrs[r].Name {
			if lastWins {
				attrs[w-1] = attrs[r]
			}
			continue
		}
		attrs[w] = attrs[r]
		w++
	}
	return flatAttrs(attrs[:w:w])
}

// Get returns the attribute name of a, or false.
func (ev *Evaluator) Get(a *Attrs, name string) (Value, bool) {
	s, ok := ev.symbols.lookup(name)
	if !ok {
		return nil, false
	}
	if p := a.get(ev.symbols, s); p != nil {
		return p.Value, true
	}
	return nil, false
}

// SymName returns the name of a symbol.
func (ev *Evaluator) SymName(s Sym) string { return ev.symbols.names[s] }

// Intern returns the symbol for name.
func (ev *Evaluator) Intern(name string) Sym { return ev.symbols.intern(name) }

// AttrNames returns the names of a's attributes in order.
func (ev *Evaluator) AttrNames(a *Attrs) []string {
	out := make([]string, a.Len())
	for i, at := range a.all() {
		out[i] = ev.symbols.names[at.Name]
	}
	return out
}
