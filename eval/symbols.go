package eval

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
}

func newSymbolTable() *symbolTable {
	return &symbolTable{ids: make(map[string]Sym, 1024)}
}

// intern returns the symbol for name, creating it if needed.
func (t *symbolTable) intern(name string) Sym {
	if id, ok := t.ids[name]; ok {
		return id
	}
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
