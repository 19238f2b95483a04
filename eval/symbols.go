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
	t.ids[name] = id
	return id
}

// lookup returns the symbol for name if it exists.
func (t *symbolTable) lookup(name string) (Sym, bool) {
	id, ok := t.ids[name]
	return id, ok
}

// name returns the text of a symbol.
func (t *symbolTable) name(s Sym) string { return t.names[s] }
