package storepath

import (
	"slices"
	"strings"

	"github.com/govix/govix/nixcompat/nixhash"
)

// Method is how a file system object is turned into bytes to hash for a
// fixed-output (content-addressed) path.
type Method uint8

const (
	// Flat hashes the contents of a single regular file.
	Flat Method = iota
	// Recursive hashes the NAR serialisation of a file system object.
	Recursive
)

// Prefix returns the prefix Nix writes before the algorithm of a fixed
// output: "" for Flat and "r:" for Recursive.
func (m Method) Prefix() string {
	if m == Recursive {
		return "r:"
	}
	return ""
}

func (m Method) String() string {
	if m == Recursive {
		return "recursive"
	}
	return "flat"
}

// MakeStorePath computes a store path from a type, an inner hash and a
// name, as Nix's Store::makeStorePath: the fingerprint
// "<typ>:<algo>:<base16 hash>:<d>:<name>" is hashed with sha256 and folded
// to 20 bytes.
func (d StoreDir) MakeStorePath(typ string, h nixhash.Hash, name string) (StorePath, error) {
	if h.IsZero() {
		return StorePath{}, errorf("cannot make store path '%s' from an empty hash", name)
	}
	var b strings.Builder
	b.Grow(len(typ) + 1 + 7 + 2*nixhash.MaxSize + 1 + len(d) + 1 + len(name))
	b.WriteString(typ)
	b.WriteByte(':')
	b.WriteString(h.Format(nixhash.Base16, true))
	b.WriteByte(':')
	b.WriteString(string(d))
	b.WriteByte(':')
	b.WriteString(name)
	return d.fromFingerprint(b.String(), name)
}

func (d StoreDir) fromFingerprint(fp, name string) (StorePath, error) {
	sum := nixhash.SumString(nixhash.SHA256, fp)
	var digest [DigestSize]byte
	copy(digest[:], sum.Compress(DigestSize))
	return New(digest, name)
}

// OutputPathName is the name of a derivation output's path: the derivation
// name, with "-<output>" appended unless the output is "out".
func OutputPathName(drvName, output string) string {
	if output == "out" {
		return drvName
	}
	return drvName + "-" + output
}

// MakeOutputPath computes the path of output id of a derivation named name
// whose hash modulo is h (Nix's Store::makeOutputPath, type "output:<id>").
func (d StoreDir) MakeOutputPath(id string, h nixhash.Hash, name string) (StorePath, error) {
	return d.MakeStorePath("output:"+id, h, OutputPathName(name, id))
}

// makeType appends the printed references (sorted, without duplicates)
// and an optional ":self" to typ, as Nix's makeType does.
func (d StoreDir) makeType(typ string, refs []StorePath, self bool) string {
	if len(refs) == 0 && !self {
		return typ
	}
	sorted := SortedSet(refs)
	b := []byte(typ)
	for _, r := range sorted {
		b = append(b, ':')
		b = d.AppendPrint(b, r)
	}
	if self {
		b = append(b, ":self"...)
	}
	return string(b)
}

// SortedSet returns a sorted copy of paths without duplicates, in the order
// Nix keeps a StorePathSet.
func SortedSet(paths []StorePath) []StorePath {
	s := slices.Clone(paths)
	slices.SortFunc(s, StorePath.Compare)
	return slices.Compact(s)
}

// MakeTextPath computes the path of a text file added with references (as
// builtins.toFile and derivations are): type "text:<refs...>", where h is
// the sha256 of the contents.
func (d StoreDir) MakeTextPath(name string, h nixhash.Hash, refs []StorePath) (StorePath, error) {
	if h.Algorithm() != nixhash.SHA256 {
		return StorePath{}, errorf("text path '%s' needs a sha256 hash, not %s", name, h.Algorithm())
	}
	return d.MakeStorePath(d.makeType("text", refs, false), h, name)
}

// ComputeTextPath is MakeTextPath for the given contents.
func (d StoreDir) ComputeTextPath(name string, contents []byte, refs []StorePath) (StorePath, error) {
	return d.MakeTextPath(name, nixhash.Sum(nixhash.SHA256, contents), refs)
}

// MakeFixedOutputPath computes a content-addressed path (Nix's
// makeFixedOutputPath). A recursive sha256 hash gives a "source" path,
// which may have references and a self reference; every other combination
// gives an "output:out" path of the hash of "fixed:out:<r:><algo>:<hex>:",
// which cannot have references.
func (d StoreDir) MakeFixedOutputPath(m Method, h nixhash.Hash, name string, refs []StorePath, self bool) (StorePath, error) {
	if h.Algorithm() == nixhash.SHA256 && m == Recursive {
		return d.MakeStorePath(d.makeType("source", refs, self), h, name)
	}
	if len(refs) > 0 || self {
		return StorePath{}, errorf("fixed-output path '%s' (%s %s) cannot have references", name, m, h.Algorithm())
	}
	if h.IsZero() {
		return StorePath{}, errorf("cannot make store path '%s' from an empty hash", name)
	}
	inner := nixhash.SumString(nixhash.SHA256, "fixed:out:"+m.Prefix()+h.Format(nixhash.Base16, true)+":")
	return d.MakeStorePath("output:out", inner, name)
}
