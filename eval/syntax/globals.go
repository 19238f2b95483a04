package syntax

import (
	"slices"
	"strings"
)

// globalNames are the names bound in Nix's base environment: the builtins
// visible without "builtins." (those Nix registers with a "__" prefix keep
// it), the constants, and derivation. It is the union of Nix 2.8's and
// current Nix's, without __importNative and __exec, which need
// allow-unsafe-native-code-during-evaluation.
var globalNames = []string{
	"builtins", "true", "false", "null",
	"__currentTime", "__currentSystem", "__nixVersion", "__storeDir", "__langVersion", "__nixPath",
	"__add", "__addDrvOutputDependencies", "__addErrorContext", "__all", "__any",
	"__appendContext", "__attrNames", "__attrValues", "__bitAnd", "__bitOr", "__bitXor",
	"__catAttrs", "__ceil", "__compareVersions", "__concatLists", "__concatMap",
	"__concatStringsSep", "__convertHash", "__deepSeq", "__div", "__elem", "__elemAt",
	"__fetchClosure", "__fetchurl", "__filter", "__filterSource", "__findFile", "__floor",
	"__foldl'", "__fromJSON", "__functionArgs", "__genList", "__genericClosure", "__getAttr",
	"__getContext", "__getEnv", "__groupBy", "__hasAttr", "__hasContext", "__hashFile",
	"__hashString", "__head", "__intersectAttrs", "__isAttrs", "__isBool", "__isFloat",
	"__isFunction", "__isInt", "__isList", "__isPath", "__isString", "__length", "__lessThan",
	"__listToAttrs", "__mapAttrs", "__match", "__mul", "__outputOf", "__parseDrvName",
	"__partition", "__path", "__pathExists", "__readDir", "__readFile", "__readFileType",
	"__replaceStrings", "__seq", "__sort", "__split", "__splitVersion", "__storePath",
	"__stringLength", "__sub", "__substring", "__tail", "__toFile", "__toJSON", "__toPath",
	"__toXML", "__trace", "__traceVerbose", "__tryEval", "__typeOf",
	"__unsafeDiscardOutputDependency", "__unsafeDiscardStringContext", "__unsafeGetAttrPos",
	"__warn", "__zipAttrsWith",
	"abort", "baseNameOf", "break", "derivation", "derivationStrict", "dirOf", "fetchGit",
	"fetchMercurial", "fetchTarball", "fetchTree", "fromTOML", "import", "isNull", "map",
	"placeholder", "removeAttrs", "scopedImport", "throw", "toString",
}

var globalSet = func() map[string]bool {
	m := make(map[string]bool, len(globalNames))
	for _, n := range globalNames {
		m[n] = true
	}
	return m
}()

// IsGlobal reports whether name is bound in Nix's base environment (the
// default of Options.Globals).
func IsGlobal(name string) bool { return globalSet[name] }

// GlobalNames returns the names of Nix's base environment, sorted.
func GlobalNames() []string {
	names := slices.Clone(globalNames)
	slices.Sort(names)
	return names
}

// Nix's symbol table numbers symbols in the order they are created, and
// some of its choices follow that order: which of several duplicate
// attributes or formals it reports, and the order it walks a set's
// attributes in to find undefined variables. The symbols created before
// parsing (below, then the builtins) come first; the others are
// approximated by their position in the file.
var staticSymbols = []string{
	"<with>", "outPath", "drvPath", "type", "meta", "name", "value", "system", "__overrides",
	"outputs", "outputName", "__ignoreNulls", "file", "line", "column", "__functor",
	"__toString", "right", "wrong", "__structuredAttrs", "__json", "allowedReferences",
	"allowedRequisites", "disallowedReferences", "disallowedRequisites", "maxSize",
	"maxClosureSize", "builder", "args", "__contentAddressed", "__impure", "outputHash",
	"outputHashAlgo", "outputHashMode", "recurseForDerivations", "description", "self", "",
	"startSet", "operator", "key", "path", "prefix", "outputSpecified",
	"requiredSystemFeatures", "__sub", "__lessThan", "__mul", "__div", "or", "__findFile",
	"__nixPath", "body",
}

var symbolRanks = func() map[string]int {
	m := make(map[string]int)
	for _, list := range [][]string{staticSymbols, globalNames} {
		for _, n := range list {
			if _, ok := m[n]; !ok {
				m[n] = len(m)
			}
			// Builtins are also created without their "__" prefix.
			if t, ok := strings.CutPrefix(n, "__"); ok {
				if _, ok := m[t]; !ok {
					m[t] = len(m)
				}
			}
		}
	}
	return m
}()

// symbolLess orders two names as Nix's symbol table would, a first seen at
// position ap and b at bp.
func symbolLess(a string, ap Pos, b string, bp Pos) bool {
	ra, oka := symbolRanks[a]
	rb, okb := symbolRanks[b]
	switch {
	case oka && okb:
		if ra != rb {
			return ra < rb
		}
	case oka:
		return true
	case okb:
		return false
	}
	if a != b && ap != bp {
		return ap < bp
	}
	return a < b
}

func sortAttrsBySymbol(attrs []*Attr) {
	slices.SortStableFunc(attrs, func(x, y *Attr) int {
		switch {
		case x.Name == y.Name:
			return 0
		case symbolLess(x.Name, x.At, y.Name, y.At):
			return -1
		}
		return 1
	})
}
