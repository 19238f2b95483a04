package eval

import (
	"hash/maphash"
	"unsafe"
)

// Sym is an interned attribute or variable name: a small integer that
// indexes the evaluator's symbol table. Comparing two Syms is comparing
// two names.
type Sym uint32

// symbolTable interns names. It belongs to one Evaluator and is not safe
// for concurrent use (evaluation is single-threaded).
type symbolTable struct {
	names []string
	// slots is an open-addressing hash table of the symbols: 0 for an
	// empty slot, else the upper 32 bits of the name's hash and the
	// symbol + 1. (A Go map of 100k names allocates several times more
	// as it grows.)
	slots []uint64
	seed  maphash.Seed
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
	return &symbolTable{slots: make([]uint64, 2048), seed: maphash.MakeSeed()}
}

// find returns the symbol of name, or false, and the slot where it is or
// would go.
func (t *symbolTable) find(name string, h uint64) (Sym, int, bool) {
	mask := uint64(len(t.slots) - 1)
	tag := h >> 32 << 32
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0, int(i), false
		}
		if s&^0xffffffff == tag {
			sym := Sym(uint32(s) - 1)
			if t.names[sym] == name {
				return sym, int(i), true
			}
		}
	}
}

// grow doubles the hash table.
func (t *symbolTable) grow() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		h := maphash.String(t.seed, t.names[uint32(s)-1])
		i := h & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
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
	h := maphash.String(t.seed, name)
	id, slot, ok := t.find(name, h)
	if !ok {
		id = t.add(name, h, slot)
	}
	if r != nil {
		*r = recentSym{p: unsafe.StringData(name), n: len(name), sym: id}
	}
	return id
}

// add makes a new symbol, to go in slot (found by find with hash h).
func (t *symbolTable) add(name string, h uint64, slot int) Sym {
	id := Sym(len(t.names))
	t.names = append(t.names, name)
	t.keys = append(t.keys, prefixKey(name))
	t.slots[slot] = h>>32<<32 | uint64(id+1)
	if 2*len(t.names) > len(t.slots) {
		t.grow()
	}
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
	id, _, ok := t.find(name, maphash.String(t.seed, name))
	return id, ok
}

// name returns the text of a symbol.
func (t *symbolTable) name(s Sym) string { return t.names[s] }
