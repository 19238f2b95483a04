package storepath

import (
	"path"
	"strings"
)

// StoreDir is the directory of a store, "/nix/store" by default. It is part
// of every computed path's fingerprint, so a path computed for one store
// directory is not valid in another.
type StoreDir string

// DefaultStoreDir is Nix's default store directory.
const DefaultStoreDir StoreDir = "/nix/store"

// Validate checks that d is an absolute, clean path other than "/".
func (d StoreDir) Validate() error {
	s := string(d)
	if s == "" || s[0] != '/' || s == "/" || path.Clean(s) != s {
		return errorf("store directory '%s' is not a clean absolute path", s)
	}
	return nil
}

// Print returns the absolute path of p in d.
func (d StoreDir) Print(p StorePath) string {
	b := make([]byte, 0, len(d)+1+EncodedDigestLen+1+len(p.Name))
	return string(d.AppendPrint(b, p))
}

// AppendPrint appends the absolute path of p in d to b.
func (d StoreDir) AppendPrint(b []byte, p StorePath) []byte {
	b = append(b, d...)
	b = append(b, '/')
	return p.AppendTo(b)
}

// Parse parses an absolute store path in d, as Nix's parseStorePath does:
// the path is canonicalised first ("//" and "/./" collapse, ".." goes up, a
// trailing "/" is dropped), then it must be a direct child of d.
func (d StoreDir) Parse(abs string) (StorePath, error) {
	if abs == "" || abs[0] != '/' {
		return StorePath{}, errorf("path '%s' is not an absolute path", abs)
	}
	p := abs
	if !d.isCanonicalChild(abs) {
		p = path.Clean(abs)
	}
	dir, base := path.Split(p)
	if strings.TrimSuffix(dir, "/") != string(d) {
		return StorePath{}, errorf("path '%s' is not in the Nix store", p)
	}
	return ParseBase(base)
}

// isCanonicalChild is a fast check that abs is "<d>/<base>" with no
// further slashes and no "." or ".." base, so Parse can skip cleaning.
func (d StoreDir) isCanonicalChild(abs string) bool {
	if len(abs) <= len(d)+1 || abs[:len(d)] != string(d) || abs[len(d)] != '/' {
		return false
	}
	base := abs[len(d)+1:]
	return base != "." && base != ".." && strings.IndexByte(base, '/') < 0
}

// ParseCanonical is Parse for paths that must already be in printed form,
// as in a derivation: no cleaning is done, and anything Print would not
// produce is an error.
func (d StoreDir) ParseCanonical(abs string) (StorePath, error) {
	if !d.isCanonicalChild(abs) {
		return StorePath{}, errorf("path '%s' is not a store path in '%s'", abs, string(d))
	}
	return ParseBase(abs[len(d)+1:])
}

// SplitPath splits a path at or below a store path into the store path and
// the rest ("" or starting with "/"), as Nix's Store::toStorePath does.
func (d StoreDir) SplitPath(abs string) (StorePath, string, error) {
	if abs == "" || abs[0] != '/' {
		return StorePath{}, "", errorf("path '%s' is not an absolute path", abs)
	}
	p := path.Clean(abs)
	prefix := string(d) + "/"
	if !strings.HasPrefix(p, prefix) || len(p) == len(prefix) {
		return StorePath{}, "", errorf("path '%s' is not in the Nix store", abs)
	}
	rest := p[len(prefix):]
	base, sub := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		base, sub = rest[:i], rest[i:]
	}
	sp, err := ParseBase(base)
	return sp, sub, err
}

// IsStorePath reports whether abs parses as a store path in d.
func (d StoreDir) IsStorePath(abs string) bool {
	_, err := d.Parse(abs)
	return err == nil
}
