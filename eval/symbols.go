package eval

import "unsafe"

// Sym is an interned attribute or variable name: a small integer that
// indexes the evaluator's symbol table. Comparing two Syms is comparing
// two names.
type Sym uint32

// symbolTable interns names. It belongs to one Evaluator and is not safe
// for concurrent use (evaluation is single-threaded).
type symbolTable struct {
	names []string
	ids   map[string]Sym
	// keys[s] is the first 8 bytes of the name, big-endian: comparing
	// keys orders most names without comparing strings (see less).
	keys []uint64
	// recent remembers recently interned strings by the address of their
	// bytes: names taken from attrNames are the table's own strings, and
	// the same string value is often looked up again and again.
	recent [1024]recentSym
}

type recentSym struct {
	p   *byte
	n   int
	sym Sym
}

func newSymbolTable() *symbolTable {
	return &symbolTable{ids: make(map[string]Sym, 1024)}
}

// intern returns the symbol for name, creating it if needed.
func (t *symbolTable) intern(name string) Sym {
	var r *recentSym
	if len(name) > 0 {
		p := unsafe.StringData(name)
		r = &t.recent[(uintptr(unsafe.Pointer(p))>>4)&uintptr(len(t.recent)-1)]
		if r.p == p && r.n == len(name) {
			return r.sym
		}
	}
	id, ok := t.ids[name]
	if !ok {
		id = t.add(name)
	}
	if r != nil {
		*r = recentSym{p: unsafe.StringData(name), n: len(name), sym: id}
	}
	return id
}

// add makes a new symbol.
func (t *symbolTable) add(name string) Sym {
	id := Sym(len(t.names))
	t.names = append(t.names, name)
	t.keys = append(t.keys, prefixKey(name))
	t.ids[name] = id
	return id
}

// prefixKey packs the first 8 bytes of s into an integer that orders as
// the strings do when the two prefixes differ.
func prefixKey(s string) uint64 {
	var k uint64
	for i := 0; i < 8; i++ {
		k <<= 8
		if i < len(s) {
			k |= uint64(s[i])
		}
	}
	return k
}

// less reports whether the name of a sorts before the name of b.
func (t *symbolTable) less(a, b Sym) bool {
	ka, kb := t.keys[a], t.keys[b]
	if ka != kb {
		return ka < kb
	}
	return t.names[a] < t.names[b]
}

// compare is less as a three-way comparison.
func (t *symbolTable) compare(a, b Sym) int {
	if a == b {
		return 0
	}
	if t.less(a, b) {
		return -1
	}
	return 1
}

// lookup returns the symbol for name if it exists.
func (t *symbolTable) lookup(name string) (Sym, bool) {
	id, ok := t.ids[name]
	return id, ok
}

// name returns the text of a symbol.
func (t *symbolTable) name(s Sym) string { return t.names[s] }
