// Package derivation is Nix's store derivation: the build recipe that
// nix-instantiate writes to "<hash>-<name>.drv" in the ATerm format.
//
// It parses and writes that format byte for byte as Nix 2.8 does, computes
// the "hash modulo" of a derivation graph (hashDerivationModulo, where
// fixed-output derivations collapse to their content), the output paths of
// input-addressed and fixed-output derivations, and the JSON that
// `nix show-derivation` prints.
//
// Paths in a Derivation are absolute store paths held as strings, exactly
// as they appear in the ATerm; the store directory matters only when paths
// are validated or computed, and is passed in there.
package derivation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// Derivation is a store derivation. Maps are written in sorted key order;
// InputSrcs and the output names of each InputDrvs entry must be sorted and
// free of duplicates (Parse guarantees this, Validate checks it).
type Derivation struct {
	// Outputs maps output names ("out", "dev", ...) to outputs.
	Outputs map[string]Output
	// InputDrvs maps the paths of input derivations to the names of
	// their outputs that this derivation uses.
	InputDrvs map[string][]string
	// InputSrcs are store paths (sources) the build needs.
	InputSrcs []string
	// Platform is the system type, e.g. "x86_64-linux".
	Platform string
	// Builder is the program to run.
	Builder string
	// Args are the builder's arguments.
	Args []string
	// Env is the builder's environment. With structured attributes the
	// attributes are JSON in the "__json" variable.
	Env map[string]string
}

// Output is one output of a derivation, as the three strings of the ATerm.
// Which fields are set decides its kind; see Kind.
type Output struct {
	// Path is the absolute store path of the output, or "" while it is
	// not known (deferred, floating content-addressed and impure outputs).
	Path string
	// HashAlgo is "" for input-addressed outputs and "[r:]ALGO" for
	// content-addressed ones ("r:" for recursive, i.e. NAR, hashing).
	HashAlgo string
	// Hash is the expected base-16 digest of a fixed output, "impure"
	// for an impure output, else "".
	Hash string
}

// OutputKind is the kind of a derivation output, after Nix's
// DerivationOutput variants.
type OutputKind uint8

const (
	// InputAddressed outputs have a path computed from the derivation.
	InputAddressed OutputKind = iota
	// Deferred outputs are input-addressed outputs whose path is not yet
	// known (all three fields empty), for instance before instantiation.
	Deferred
	// Fixed outputs are content-addressed with a known hash.
	Fixed
	// Floating outputs are content-addressed with a hash known only
	// after the build (ca-derivations).
	Floating
	// Impure outputs come from impure derivations (impure-derivations).
	Impure
)

func (k OutputKind) String() string {
	switch k {
	case InputAddressed:
		return "input-addressed"
	case Deferred:
		return "deferred"
	case Fixed:
		return "fixed"
	case Floating:
		return "floating"
	case Impure:
		return "impure"
	}
	return "unknown"
}

// Kind reports the kind of o, as Nix's parseDerivationOutput decides it.
func (o Output) Kind() OutputKind {
	switch {
	case o.HashAlgo == "" && o.Path == "":
		return Deferred
	case o.HashAlgo == "":
		return InputAddressed
	case o.Hash == "impure":
		return Impure
	case o.Hash != "":
		return Fixed
	}
	return Floating
}

// Method returns the ingestion method and algorithm of a content-addressed
// output ("r:sha256" is Recursive, SHA256).
func (o Output) Method() (storepath.Method, nixhash.Algorithm, error) {
	return parseHashAlgo(o.HashAlgo)
}

func parseHashAlgo(s string) (storepath.Method, nixhash.Algorithm, error) {
	m := storepath.Flat
	if rest, ok := strings.CutPrefix(s, "r:"); ok {
		m, s = storepath.Recursive, rest
	}
	a, err := nixhash.ParseAlgorithm(s)
	return m, a, err
}

// FixedHash returns the method and expected hash of a fixed output.
func (o Output) FixedHash() (storepath.Method, nixhash.Hash, error) {
	if o.Kind() != Fixed {
		return 0, nixhash.Hash{}, fmt.Errorf("output is %s, not fixed", o.Kind())
	}
	m, a, err := o.Method()
	if err != nil {
		return 0, nixhash.Hash{}, err
	}
	h, err := nixhash.ParseNonSRIUnprefixed(o.Hash, a)
	return m, h, err
}

// Type is the type of a whole derivation, from the kinds of its outputs.
type Type uint8

const (
	// TypeInputAddressed: every output is input-addressed.
	TypeInputAddressed Type = iota
	// TypeDeferred: every output is deferred.
	TypeDeferred
	// TypeFixed: a single fixed output named "out".
	TypeFixed
	// TypeFloating: every output is floating content-addressed.
	TypeFloating
	// TypeImpure: every output is impure.
	TypeImpure
)

// Type classifies d as Nix's BasicDerivation::type does, with its errors
// for derivations that mix output kinds.
func (d *Derivation) Type() (Type, error) {
	if len(d.Outputs) == 0 {
		return 0, fmt.Errorf("must have at least one output")
	}
	var kinds [Impure + 1]int
	var floatingAlgo string
	for name, o := range d.Outputs {
		k := o.Kind()
		kinds[k]++
		if k == Floating {
			_, a, err := o.Method()
			if err != nil {
				return 0, fmt.Errorf("output '%s': %w", name, err)
			}
			if floatingAlgo != "" && floatingAlgo != a.String() {
				return 0, fmt.Errorf("all floating outputs must use the same hash type")
			}
			floatingAlgo = a.String()
		}
	}
	for k, n := range kinds {
		if n == 0 {
			continue
		}
		if n != len(d.Outputs) {
			return 0, fmt.Errorf("can't mix derivation output types")
		}
		switch OutputKind(k) {
		case InputAddressed:
			return TypeInputAddressed, nil
		case Deferred:
			return TypeDeferred, nil
		case Fixed:
			if n > 1 {
				return 0, fmt.Errorf("only one fixed output is allowed for now")
			}
			if _, ok := d.Outputs["out"]; !ok {
				return 0, fmt.Errorf("single fixed output must be named \"out\"")
			}
			return TypeFixed, nil
		case Floating:
			return TypeFloating, nil
		case Impure:
			return TypeImpure, nil
		}
	}
	panic("unreachable")
}

// OutputNames returns the output names in sorted order.
func (d *Derivation) OutputNames() []string {
	return sortedKeys(d.Outputs)
}

// IsBuiltin reports whether the builder is one of Nix's built-in builders
// ("builtin:fetchurl", ...).
func (d *Derivation) IsBuiltin() bool { return strings.HasPrefix(d.Builder, "builtin:") }

// References returns the store paths a store derivation refers to: its
// input sources and input derivations, sorted. (Outputs are not
// references.)
func (d *Derivation) References() []string {
	refs := make([]string, 0, len(d.InputSrcs)+len(d.InputDrvs))
	refs = append(refs, d.InputSrcs...)
	for p := range d.InputDrvs {
		refs = append(refs, p)
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}

// Path computes the store path of d written as a store derivation named
// name (without ".drv"), as Nix's writeDerivation: a text path of the ATerm
// with d's references.
func (d *Derivation) Path(dir storepath.StoreDir, name string) (storepath.StorePath, error) {
	var refs []storepath.StorePath
	for _, r := range d.References() {
		p, err := dir.ParseCanonical(r)
		if err != nil {
			return storepath.StorePath{}, err
		}
		refs = append(refs, p)
	}
	return dir.ComputeTextPath(name+storepath.DrvExtension, d.ATerm(), refs)
}

// NameFromPath returns a derivation's name from the base name or path of
// its store derivation: "/nix/store/<hash>-hello-2.12.drv" gives "hello-2.12".
func NameFromPath(drvPath string) (string, error) {
	base := drvPath[strings.LastIndexByte(drvPath, '/')+1:]
	p, err := storepath.ParseBase(base)
	if err != nil {
		return "", err
	}
	name, ok := strings.CutSuffix(p.Name, storepath.DrvExtension)
	if !ok {
		return "", fmt.Errorf("'%s' is not a store derivation (no %s suffix)", drvPath, storepath.DrvExtension)
	}
	return name, nil
}

// Placeholder returns the string that stands for the path of the output
// named output until it is known, as builtins.placeholder gives it:
// "/" + nix32(sha256("nix-output:" + output)).
func Placeholder(output string) string {
	h := nixhash.SumString(nixhash.SHA256, "nix-output:"+output)
	return "/" + nixbase32.EncodeToString(h.Digest())
}

// Clone returns a deep copy of d.
func (d *Derivation) Clone() *Derivation {
	c := *d
	c.Outputs = make(map[string]Output, len(d.Outputs))
	for k, v := range d.Outputs {
		c.Outputs[k] = v
	}
	c.InputDrvs = make(map[string][]string, len(d.InputDrvs))
	for k, v := range d.InputDrvs {
		c.InputDrvs[k] = slices.Clone(v)
	}
	c.InputSrcs = slices.Clone(d.InputSrcs)
	c.Args = slices.Clone(d.Args)
	c.Env = make(map[string]string, len(d.Env))
	for k, v := range d.Env {
		c.Env[k] = v
	}
	return &c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
