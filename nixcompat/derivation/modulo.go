package derivation

import (
	"context"
	"fmt"
	"slices"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// DrvHash is a derivation's hash modulo fixed-output derivations, per
// output (Nix's DrvHash).
type DrvHash struct {
	// Hashes maps each output name to its hash. A fixed-output
	// derivation's output hashes sha256("fixed:out:<r:><algo>:<hex>:<path>"),
	// so it depends only on the expected contents and path; every other
	// derivation has one hash, of its ATerm with input derivations replaced
	// by their own hashes, shared by all its outputs.
	Hashes map[string]nixhash.Hash
	// Deferred is set when the hash depends on a floating
	// content-addressed or impure derivation, whose output paths are not
	// known before building; then no output path can be computed from it.
	Deferred bool
}

// Loader reads the store derivation at drvPath, an absolute store path.
type Loader func(ctx context.Context, drvPath string) (*Derivation, error)

// A Hasher computes hashes modulo and output paths. It memoises the hash of
// every input derivation it loads (and every one it is told of with
// Remember), so that hashing a whole graph costs one pass over it. A Hasher
// is not safe for concurrent use.
type Hasher struct {
	dir  storepath.StoreDir
	load Loader
	memo map[string]*memoEntry
	buf  []byte // scratch space for ATerms being hashed
}

// maxDepth bounds the chain of input derivations HashModulo follows. Real
// graphs are a few hundred deep (the stdenv bootstrap); the bound turns a
// hostile or broken graph into an error instead of exhausting the stack.
const maxDepth = 10000

type memoEntry struct {
	hash    DrvHash
	pending bool // being computed: seeing it again means a cycle
}

// NewHasher returns a Hasher for store directory dir that reads input
// derivations with load.
func NewHasher(dir storepath.StoreDir, load Loader) *Hasher {
	return &Hasher{dir: dir, load: load, memo: map[string]*memoEntry{}}
}

// Remember records the derivation d, stored at drvPath, so that hashing a
// derivation that depends on it does not need to load it, as Nix does right
// after instantiating a derivation.
func (h *Hasher) Remember(ctx context.Context, drvPath string, d *Derivation) error {
	name, err := NameFromPath(drvPath)
	if err != nil {
		return err
	}
	dh, err := h.HashModulo(ctx, d, name, false)
	if err != nil {
		return err
	}
	h.memo[drvPath] = &memoEntry{hash: dh}
	return nil
}

// PathHashModulo returns the hash modulo of the derivation stored at
// drvPath, loading it if it has not been seen (Nix's pathDerivationModulo).
func (h *Hasher) PathHashModulo(ctx context.Context, drvPath string) (DrvHash, error) {
	return h.pathHashModulo(ctx, drvPath, 0)
}

func (h *Hasher) pathHashModulo(ctx context.Context, drvPath string, depth int) (DrvHash, error) {
	if e, ok := h.memo[drvPath]; ok {
		if e.pending {
			return DrvHash{}, fmt.Errorf("derivation '%s' depends on itself", drvPath)
		}
		return e.hash, nil
	}
	if err := ctx.Err(); err != nil {
		return DrvHash{}, err
	}
	if depth >= maxDepth {
		return DrvHash{}, fmt.Errorf("derivation '%s' is more than %d input derivations deep", drvPath, maxDepth)
	}
	name, err := NameFromPath(drvPath)
	if err != nil {
		return DrvHash{}, err
	}
	d, err := h.load(ctx, drvPath)
	if err != nil {
		return DrvHash{}, fmt.Errorf("reading derivation '%s': %w", drvPath, err)
	}
	e := &memoEntry{pending: true}
	h.memo[drvPath] = e
	dh, err := h.hashModulo(ctx, d, name, false, depth+1)
	if err != nil {
		delete(h.memo, drvPath)
		return DrvHash{}, err
	}
	e.hash, e.pending = dh, false
	return dh, nil
}

// HashModulo computes the hash of d, a derivation named name, modulo
// fixed-output derivations: Nix's hashDerivationModulo. With maskOutputs
// the output paths, and the environment variables named after outputs, are
// hashed as empty strings, as they are before the output paths are known.
func (h *Hasher) HashModulo(ctx context.Context, d *Derivation, name string, maskOutputs bool) (DrvHash, error) {
	return h.hashModulo(ctx, d, name, maskOutputs, 0)
}

func (h *Hasher) hashModulo(ctx context.Context, d *Derivation, name string, maskOutputs bool, depth int) (DrvHash, error) {
	typ, err := d.Type()
	if err != nil {
		return DrvHash{}, err
	}
	switch typ {
	case TypeFixed:
		hashes := make(map[string]nixhash.Hash, len(d.Outputs))
		for outName, o := range d.Outputs {
			m, fh, err := o.FixedHash()
			if err != nil {
				return DrvHash{}, fmt.Errorf("output '%s': %w", outName, err)
			}
			p, err := h.dir.MakeFixedOutputPath(m, fh, storepath.OutputPathName(name, outName), nil, false)
			if err != nil {
				return DrvHash{}, err
			}
			s := "fixed:out:" + o.HashAlgo + ":" + fh.Base16() + ":" + h.dir.Print(p)
			hashes[outName] = nixhash.SumString(nixhash.SHA256, s)
		}
		return DrvHash{Hashes: hashes}, nil
	case TypeImpure:
		hashes := make(map[string]nixhash.Hash, len(d.Outputs))
		for outName := range d.Outputs {
			hashes[outName] = impureOutputHash
		}
		return DrvHash{Hashes: hashes, Deferred: true}, nil
	}

	deferred := typ == TypeFloating
	byHash := make(map[string][]string, len(d.InputDrvs))
	for drvPath, outs := range d.InputDrvs {
		in, err := h.pathHashModulo(ctx, drvPath, depth)
		if err != nil {
			return DrvHash{}, err
		}
		deferred = deferred || in.Deferred
		for _, out := range outs {
			oh, ok := in.Hashes[out]
			if !ok {
				return DrvHash{}, fmt.Errorf("derivation '%s' has no output '%s'", drvPath, out)
			}
			k := oh.Base16()
			byHash[k] = append(byHash[k], out)
		}
	}
	// Two inputs can have the same hash (equal fixed outputs); Nix merges
	// their output sets, in a map sorted by the hash.
	inputs := make([]inputDrv, 0, len(byHash))
	for _, k := range sortedKeys(byHash) {
		outs := byHash[k]
		slices.Sort(outs)
		inputs = append(inputs, inputDrv{key: k, outputs: slices.Compact(outs)})
	}
	// The ATerm is only hashed: write it into a buffer kept for the next
	// derivation (evaluating nixpkgs hashes thousands of them).
	aterm := d.appendATerm(h.buf[:0], maskOutputs, inputs)
	h.buf = aterm[:0]
	sum := nixhash.Sum(nixhash.SHA256, aterm)
	hashes := make(map[string]nixhash.Hash, len(d.Outputs))
	for outName := range d.Outputs {
		hashes[outName] = sum
	}
	return DrvHash{Hashes: hashes, Deferred: deferred}, nil
}

// impureOutputHash is what Nix uses for every output of an impure
// derivation.
var impureOutputHash = nixhash.SumString(nixhash.SHA256, "impure")

// OutputPaths computes the paths of d's outputs, for a derivation named
// name, as Nix does when it instantiates d: from the hash modulo for
// input-addressed outputs, from the expected hash for a fixed output.
// Outputs whose path cannot be known before building (floating, impure,
// or depending on such) map to "".
func (h *Hasher) OutputPaths(ctx context.Context, d *Derivation, name string) (map[string]string, error) {
	typ, err := d.Type()
	if err != nil {
		return nil, err
	}
	paths := make(map[string]string, len(d.Outputs))
	switch typ {
	case TypeFixed:
		m, fh, err := d.Outputs["out"].FixedHash()
		if err != nil {
			return nil, fmt.Errorf("output 'out': %w", err)
		}
		p, err := h.dir.MakeFixedOutputPath(m, fh, name, nil, false)
		if err != nil {
			return nil, err
		}
		paths["out"] = h.dir.Print(p)
	case TypeInputAddressed, TypeDeferred:
		dh, err := h.HashModulo(ctx, d, name, true)
		if err != nil {
			return nil, err
		}
		for outName := range d.Outputs {
			if dh.Deferred {
				paths[outName] = ""
				continue
			}
			p, err := h.dir.MakeOutputPath(outName, dh.Hashes[outName], name)
			if err != nil {
				return nil, err
			}
			paths[outName] = h.dir.Print(p)
		}
	default:
		for outName := range d.Outputs {
			paths[outName] = ""
		}
	}
	return paths, nil
}

// CheckOutputPaths recomputes d's output paths and reports the first that
// differs from the path recorded in d.
func (h *Hasher) CheckOutputPaths(ctx context.Context, d *Derivation, name string) error {
	paths, err := h.OutputPaths(ctx, d, name)
	if err != nil {
		return err
	}
	for _, outName := range d.OutputNames() {
		if got, want := d.Outputs[outName].Path, paths[outName]; got != want {
			return fmt.Errorf("output '%s' of '%s' has path '%s', but its inputs give '%s'", outName, name, got, want)
		}
	}
	return nil
}

// FillOutputs completes a derivation named name whose outputs say only
// their kind, as builtins.derivation does when it instantiates one:
//
//   - a fixed output ("out" with HashAlgo and Hash) gets its path, and
//     the environment variable "out" is set to it;
//   - floating and impure outputs get the placeholder of their name in the
//     environment, and no path;
//   - otherwise all outputs are input-addressed: their paths come from the
//     hash modulo of the derivation with empty output paths and empty
//     output environment variables, and are then written to both. If an
//     input's path is not known yet (Deferred), they stay empty.
func (h *Hasher) FillOutputs(ctx context.Context, d *Derivation, name string) error {
	if d.Env == nil {
		d.Env = map[string]string{}
	}
	var fixed, floating int
	for _, o := range d.Outputs {
		switch o.Kind() {
		case Fixed:
			fixed++
		case Floating, Impure:
			floating++
		}
	}
	switch {
	case fixed > 0:
		if len(d.Outputs) != 1 || fixed != 1 {
			return fmt.Errorf("multiple outputs are not supported in fixed-output derivations")
		}
		o, ok := d.Outputs["out"]
		if !ok {
			return fmt.Errorf("single fixed output must be named \"out\"")
		}
		m, fh, err := o.FixedHash()
		if err != nil {
			return fmt.Errorf("output 'out': %w", err)
		}
		p, err := h.dir.MakeFixedOutputPath(m, fh, name, nil, false)
		if err != nil {
			return err
		}
		o.Path = h.dir.Print(p)
		d.Outputs["out"] = o
		d.Env["out"] = o.Path
		return nil
	case floating > 0:
		for outName, o := range d.Outputs {
			o.Path = ""
			d.Outputs[outName] = o
			d.Env[outName] = Placeholder(outName)
		}
		_, err := d.Type()
		return err
	}
	for outName := range d.Outputs {
		d.Outputs[outName] = Output{}
		d.Env[outName] = ""
	}
	dh, err := h.HashModulo(ctx, d, name, true)
	if err != nil {
		return err
	}
	if dh.Deferred {
		return nil
	}
	for outName := range d.Outputs {
		p, err := h.dir.MakeOutputPath(outName, dh.Hashes[outName], name)
		if err != nil {
			return err
		}
		s := h.dir.Print(p)
		d.Outputs[outName] = Output{Path: s}
		d.Env[outName] = s
	}
	return nil
}
