package nixbuild

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// exportReferencesGraph writes, for each "name path" pair of the
// attribute, the closure of path into the file name in the build
// directory, in nix-store --register-validity's format without hashes or
// derivers (Nix's makeValidityRegistration).
func (b *Build) exportReferencesGraph(addFile func(string, []byte)) error {
	s := b.Drv.Env["exportReferencesGraph"]
	ss := tokenize(s)
	if len(ss)%2 != 0 {
		return fmt.Errorf("odd number of tokens in 'exportReferencesGraph': '%s'", s)
	}
	for i := 0; i < len(ss); i += 2 {
		fileName, pathS := ss[i], ss[i+1]
		if !isGraphFileName(fileName) {
			return fmt.Errorf("invalid file name '%s' in 'exportReferencesGraph'", fileName)
		}
		p, _, err := b.dir.SplitPath(pathS)
		if err != nil {
			return fmt.Errorf("'exportReferencesGraph' contains a non-store path '%s'", pathS)
		}
		infos, err := b.exportReferences([]storepath.StorePath{p})
		if err != nil {
			return err
		}
		var out []byte
		for _, info := range infos {
			out = append(out, b.dir.Print(info.StorePath)...)
			out = append(out, "\n\n"...)
			out = strconv.AppendInt(out, int64(len(info.References)), 10)
			out = append(out, '\n')
			for _, r := range info.References {
				out = append(append(out, b.dir.Print(r)...), '\n')
			}
		}
		addFile(fileName, out)
	}
	return nil
}

// exportReferencesGraphJSON replaces each entry of the structured
// attribute exportReferencesGraph (name: path or list of paths) by the
// JSON of the paths' closure, as Nix's pathInfoToJSON gives it.
func (b *Build) exportReferencesGraphJSON(attrs jsonObject) error {
	e, ok := attrs["exportReferencesGraph"].(jsonObject)
	if !ok {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(e)) {
		var roots []storepath.StorePath
		var items []jsonValue
		if l, ok := e[name].([]jsonValue); ok {
			items = l
		} else {
			items = []jsonValue{e[name]}
		}
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return fmt.Errorf("exportReferencesGraph of '%s': %q is not a store path", b.DrvPath, name)
			}
			p, err := b.dir.Parse(s)
			if err != nil {
				return fmt.Errorf("path '%s' is not in the Nix store", s)
			}
			roots = append(roots, p)
		}
		infos, err := b.exportReferences(roots)
		if err != nil {
			return err
		}
		byPath := map[storepath.StorePath]*store.PathInfo{}
		for _, info := range b.Inputs {
			byPath[info.StorePath] = info
		}
		var list []jsonValue
		for _, info := range infos {
			refs := []jsonValue{}
			for _, r := range info.References {
				refs = append(refs, b.dir.Print(r))
			}
			obj := jsonObject{
				"path":        b.dir.Print(info.StorePath),
				"narHash":     info.NarHash().Format(nixhash.Nix32, true),
				"narSize":     int64(info.NarSize),
				"references":  refs,
				"closureSize": int64(closureSize(info.StorePath, byPath)),
			}
			if ca := info.CA.String(); ca != "" {
				obj["ca"] = ca
			}
			list = append(list, obj)
		}
		if list == nil {
			list = []jsonValue{}
		}
		attrs[name] = list
	}
	return nil
}

// exportReferences is the closure of roots, which must be inputs of the
// build, sorted by path (Nix's Store::exportReferences). Nix also adds
// the closures of the outputs of store derivations in the graph; that is
// not done here.
func (b *Build) exportReferences(roots []storepath.StorePath) ([]*store.PathInfo, error) {
	byPath := map[storepath.StorePath]*store.PathInfo{}
	for _, info := range b.Inputs {
		byPath[info.StorePath] = info
	}
	seen := map[storepath.StorePath]bool{}
	var walk func(p storepath.StorePath)
	walk = func(p storepath.StorePath) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, r := range byPath[p].References {
			walk(r)
		}
	}
	for _, r := range roots {
		if byPath[r] == nil {
			return nil, fmt.Errorf("cannot export references of path '%s' because it is not in the input closure of the derivation", b.dir.Print(r))
		}
		walk(r)
	}
	var out []*store.PathInfo
	for p := range seen {
		out = append(out, byPath[p])
	}
	slices.SortFunc(out, func(x, y *store.PathInfo) int { return strings.Compare(x.StorePath.String(), y.StorePath.String()) })
	return out, nil
}

// closureSize sums the NAR sizes of p's closure.
func closureSize(p storepath.StorePath, byPath map[storepath.StorePath]*store.PathInfo) uint64 {
	seen := map[storepath.StorePath]bool{}
	var size uint64
	var walk func(p storepath.StorePath)
	walk = func(p storepath.StorePath) {
		if seen[p] || byPath[p] == nil {
			return
		}
		seen[p] = true
		size += byPath[p].NarSize
		for _, r := range byPath[p].References {
			walk(r)
		}
	}
	walk(p)
	return size
}

// isGraphFileName matches [A-Za-z_][A-Za-z0-9_.-]*.
func isGraphFileName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// tokenize splits s at spaces, tabs and newlines as Nix's tokenizeString.
func tokenize(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}
