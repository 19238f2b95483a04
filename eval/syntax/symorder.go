package syntax

import "slices"

// Nix 2.8 prints the formals of a function and the bindings of a let in the
// order of its symbols' addresses in memory: its symbol table is a list of
// heap-allocated strings, and these lists are sorted (std::map and
// std::sort over Symbol, which compares pointers). symbolOrder models that
// order: the symbols Nix creates before it parses (measured with Nix 2.8)
// keep their order, and the symbols the file introduces follow them in the
// order the parser creates them (the order of their first occurrence),
// except where glibc's allocator reuses freed memory, which this model
// knows for the first holes only (see key). It is a model, not a proof:
// see the tests for how often it matches Nix on real files.

// symbolOrder ranks the names of one file.
type symbolOrder struct {
	keys map[string]int64
}

var nix28Low, nix28High = func() (map[string]int, map[string]int) {
	low := make(map[string]int, len(nix28SymbolsLow))
	for i, s := range nix28SymbolsLow {
		low[s] = i
	}
	high := make(map[string]int, len(nix28SymbolsHigh))
	for i, s := range nix28SymbolsHigh {
		high[s] = i
	}
	return low, high
}()

// Where the allocator puts the n-th new symbol (counting from 1): the
// first ones go to a free region below the derivation.nix symbols; when
// the symbol table's hash map outgrows its bucket array (at the 20th new
// symbol), the freed array is reused for the next few symbols, which end
// up among the builtins, before isAttrs. How many fit there depends on
// everything else the parser allocates meanwhile (1 to 18 symbols over the
// auxcore files, 4 most often), which this model does not follow.
const (
	firstRehashSymbol = 20
	rehashHoleSize    = 4
	lowRegionSymbols  = 35
)

func newSymbolOrder(root Expr) *symbolOrder {
	o := &symbolOrder{keys: make(map[string]int64)}
	var c symbolEvents
	c.expr(root, 0)
	slices.SortStableFunc(c.events, func(a, b symbolEvent) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return int(a.sub) - int(b.sub)
	})
	n := 0
	for _, ev := range c.events {
		name := ev.name
		if _, ok := o.keys[name]; ok {
			continue
		}
		if i, ok := nix28Low[name]; ok {
			o.keys[name] = int64(i) * 1e6
			continue
		}
		if i, ok := nix28High[name]; ok {
			o.keys[name] = int64(len(nix28SymbolsLow)+1)*1e6 + 500000 + int64(i)
			continue
		}
		n++
		o.keys[name] = newSymbolKey(n)
	}
	return o
}

// symbolEvent is the creation of a symbol by Nix 2.8's parser: at is the
// position of the token after which the parser's action runs, and sub
// orders events at the same position.
type symbolEvent struct {
	at   Pos
	sub  int32
	name string
}

// symbolEvents lists the symbols a tree's parse creates. Bison runs an
// action when it reduces a rule, so most names are created where they
// occur, but a function's parameter only once its body is parsed, and a
// formal with a default only after the default.
type symbolEvents struct {
	events []symbolEvent
}

func (c *symbolEvents) add(at Pos, sub int32, name string) {
	c.events = append(c.events, symbolEvent{at, sub, name})
}

// expr records the events of e and returns the greatest position in it.
func (c *symbolEvents) expr(e Expr, sub int32) Pos {
	if e == nil {
		return 0
	}
	end := e.Pos()
	max := func(p Pos) {
		if p > end {
			end = p
		}
	}
	switch e := e.(type) {
	case *Ident:
		c.add(e.At, sub, e.Name)
	case *String:
		for _, x := range e.Parts {
			max(c.expr(x, 0))
		}
	case *Path:
		for _, x := range e.Parts {
			max(c.expr(x, 0))
		}
	case *AttrSet:
		max(c.attrs(e.Attrs, e.DynamicAttrs, 0))
	case *LegacyLet:
		max(c.attrs(e.Set.Attrs, e.Set.DynamicAttrs, 0))
	case *List:
		for _, x := range e.Elems {
			max(c.expr(x, 0))
		}
	case *Let:
		max(c.attrs(e.Attrs, nil, 0))
		max(c.expr(e.Body, 0))
	case *With:
		max(c.expr(e.Env, 0))
		max(c.expr(e.Body, 0))
	case *Assert:
		max(c.expr(e.Cond, 0))
		max(c.expr(e.Body, 0))
	case *If:
		max(c.expr(e.Cond, 0))
		max(c.expr(e.Then, 0))
		max(c.expr(e.Else, 0))
	case *Lambda:
		if e.Formals != nil {
			for _, f := range e.Formals.Formals {
				if f.Default == nil {
					c.add(f.At, 0, f.Name)
					max(f.At)
					continue
				}
				d := c.expr(f.Default, 0)
				c.add(d, 1000, f.Name)
				max(d)
			}
		}
		max(c.expr(e.Body, 0))
		if e.Param != "" {
			c.add(end, 1001, e.Param)
		}
	case *Call:
		max(c.expr(e.Fn, 0))
		for _, x := range e.Args {
			max(c.expr(x, 0))
		}
	case *Select:
		max(c.expr(e.X, 0))
		max(c.path(e.Path))
		max(c.expr(e.Default, 0))
	case *HasAttr:
		max(c.expr(e.X, 0))
		max(c.path(e.Path))
	case *Unary:
		max(c.expr(e.X, 0))
	case *Binary:
		max(c.expr(e.X, 0))
		max(c.expr(e.Y, 0))
	}
	return end
}

func (c *symbolEvents) path(path []*AttrName) Pos {
	var end Pos
	for _, n := range path {
		if n.Dynamic != nil {
			end = max(end, c.expr(n.Dynamic, 0))
			continue
		}
		c.add(n.At, 0, n.Name)
		end = max(end, n.At)
	}
	return end
}

// attrs records the events of bindings; depth orders the names of a
// nested attribute path, which share a position.
func (c *symbolEvents) attrs(attrs []*Attr, dyn []*DynamicAttr, depth int32) Pos {
	var end Pos
	for _, a := range attrs {
		c.add(a.At, depth, a.Name)
		end = max(end, a.At)
		if a.Inherited {
			if a.From != nil {
				end = max(end, c.expr(a.From, 0))
			}
			continue
		}
		if set, ok := a.Value.(*AttrSet); ok && set.At == a.At {
			// A set made by an attribute path: its names follow.
			end = max(end, c.attrs(set.Attrs, set.DynamicAttrs, depth+1))
			continue
		}
		end = max(end, c.expr(a.Value, 0))
	}
	for _, d := range dyn {
		end = max(end, c.expr(d.Name, 0))
		if set, ok := d.Value.(*AttrSet); ok && set.At == d.At {
			end = max(end, c.attrs(set.Attrs, set.DynamicAttrs, depth+1))
			continue
		}
		end = max(end, c.expr(d.Value, 0))
	}
	return end
}

func newSymbolKey(n int) int64 {
	switch {
	case n >= firstRehashSymbol && n < firstRehashSymbol+rehashHoleSize:
		return int64(nix28Low["isAttrs"])*1e6 - 1000 + int64(n)
	case n < lowRegionSymbols:
		return int64(len(nix28SymbolsLow)+1)*1e6 + int64(n)
	}
	return int64(len(nix28SymbolsLow)+2)*1e6 + int64(n)
}

func (o *symbolOrder) key(name string) int64 {
	if k, ok := o.keys[name]; ok {
		return k
	}
	// A name the scan did not see (a quoted attribute name): after all.
	return 1 << 62
}

func (o *symbolOrder) compare(a, b string) int {
	ka, kb := o.key(a), o.key(b)
	switch {
	case ka < kb:
		return -1
	case ka > kb:
		return 1
	}
	return 0
}

// nix28SymbolsLow are the symbols Nix 2.8 creates before it parses a file
// (its own, the builtins, and those of its derivation.nix), in the order of
// their addresses, below the region where the first new symbols go.
var nix28SymbolsLow = []string{
	"meta", "name", "value", "system", "__overrides", "outputs", "outputName", "__ignoreNulls",
	"file", "line", "column", "outPath", "drvPath", "<with>", "type", "__functor", "__toString",
	"right", "wrong", "__structuredAttrs", "builder", "args", "__contentAddressed", "__impure",
	"outputHash", "outputHashAlgo", "outputHashMode", "recurseForDerivations", "description",
	"self", "", "startSet", "operator", "key", "path", "prefix", "builtins", "true", "false",
	"null", "__currentTime", "currentTime", "__currentSystem", "currentSystem", "__nixVersion",
	"nixVersion", "__storeDir", "storeDir", "__langVersion", "langVersion", "__nixPath",
	"nixPath", "scopedImport", "import", "__typeOf", "typeOf", "isNull", "__isFunction",
	"isFunction", "__isInt", "isInt", "__isFloat", "isFloat", "__isString", "isString",
	"__isBool", "isBool", "__isPath", "isPath", "__genericClosure", "genericClosure", "abort",
	"throw", "__addErrorContext", "addErrorContext", "__ceil", "ceil", "__floor", "floor",
	"__tryEval", "tryEval", "__getEnv", "getEnv", "__seq", "seq", "__deepSeq", "deepSeq",
	"__trace", "trace", "derivationStrict", "placeholder", "__toPath", "toPath", "__storePath",
	"storePath", "__pathExists", "pathExists", "baseNameOf", "dirOf", "__readFile", "readFile",
	"__findFile", "findFile", "__hashFile", "hashFile", "__readDir", "readDir", "__toXML",
	"toXML", "__toJSON", "toJSON", "__fromJSON", "fromJSON", "__toFile", "toFile",
	"__filterSource", "filterSource", "__path", "__attrNames", "attrNames", "__attrValues",
	"attrValues", "__getAttr", "getAttr", "__unsafeGetAttrPos", "unsafeGetAttrPos", "__hasAttr",
	"hasAttr", "__isAttrs", "isAttrs", "removeAttrs", "__listToAttrs", "listToAttrs",
	"__intersectAttrs", "intersectAttrs", "__catAttrs", "catAttrs", "__functionArgs",
	"functionArgs", "__mapAttrs", "mapAttrs", "__zipAttrsWith", "zipAttrsWith", "__isList",
	"isList", "__elemAt", "elemAt", "__head", "head", "__tail", "tail", "map", "__filter",
	"filter", "__elem", "elem", "__concatLists", "concatLists", "__length", "length", "__foldl'",
	"foldl'", "__any", "any", "__all", "all", "__genList", "genList", "__sort", "sort",
	"__partition", "partition", "__groupBy", "groupBy", "__concatMap", "concatMap", "__add",
	"add", "__sub", "sub", "__mul", "mul", "__div", "div", "__bitAnd", "bitAnd", "__bitOr",
	"bitOr", "__bitXor", "bitXor", "__lessThan", "lessThan", "toString", "__substring",
	"substring", "__stringLength", "stringLength", "__hashString", "hashString", "__match",
	"match", "__split", "split", "__concatStringsSep", "concatStringsSep", "__replaceStrings",
	"replaceStrings", "__parseDrvName", "parseDrvName", "__compareVersions", "compareVersions",
	"__splitVersion", "splitVersion", "__unsafeDiscardStringContext",
	"unsafeDiscardStringContext", "__hasContext", "hasContext",
	"__unsafeDiscardOutputDependency", "unsafeDiscardOutputDependency", "__getContext",
	"getContext", "__appendContext", "appendContext", "fetchMercurial", "fetchTree",
	"__fetchurl", "fetchurl", "fetchTarball", "fetchGit", "fromTOML", "derivation",
}

// nix28SymbolsHigh are the symbols of derivation.nix that Nix 2.8 places
// above the region where the first new symbols go.
var nix28SymbolsHigh = []string{
	"strict", "drvAttrs", "commonAttrs", "outputsList", "x", "outputToAttrListElement",
}
