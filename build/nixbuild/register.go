package nixbuild

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/govix/govix/build"
	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// HashMismatchError is a fixed output whose contents do not have the hash
// the derivation specifies. The output is registered under the path its
// actual hash gives (Path), as Nix does.
type HashMismatchError struct {
	DrvPath   string
	Specified nixhash.Hash
	Got       nixhash.Hash
	Path      storepath.StorePath
}

func (e *HashMismatchError) Error() string {
	return fmt.Sprintf("hash mismatch in fixed-output derivation '%s':\n  specified: %s\n     got:    %s",
		e.DrvPath, e.Specified.SRI(), e.Got.SRI())
}

// Infos computes the PathInfos of a build's outputs from its result,
// without storing them, by output name. A fixed output whose hash is not
// the specified one gets the path of its actual hash, and a
// *HashMismatchError is returned with the infos.
func (b *Build) Infos(ctx context.Context, st *store.Store, res *build.Result) (map[string]*store.PathInfo, error) {
	req := b.Request
	if len(res.Outputs) != len(req.Outputs) {
		return nil, fmt.Errorf("builder returned %d outputs for '%s', which has %d", len(res.Outputs), b.dir.Print(b.DrvPath), len(req.Outputs))
	}
	// Request.Outputs is sorted by path; map back to output names.
	byReqPath := map[string]string{}
	for outName, p := range b.Outputs {
		byReqPath[b.relPath(p)] = outName
	}
	infos := map[string]*store.PathInfo{}
	var mismatch error
	for i, o := range res.Outputs {
		outName := byReqPath[req.Outputs[i]]
		p := b.Outputs[outName]
		info := &store.PathInfo{StorePath: p, Node: o.Node, Deriver: b.DrvPath}
		self := false
		for _, n := range o.Needles {
			if n < 0 || n >= len(b.needlePaths) {
				return nil, fmt.Errorf("builder returned needle %d of %d", n, len(b.needlePaths))
			}
			r := b.needlePaths[n]
			if r == p {
				self = true
			} else {
				info.References = append(info.References, r)
			}
		}
		if o.HasNAR {
			info.NarSize, info.NarSHA256 = o.NarSize, o.NarSHA256
		} else {
			var err error
			if info.NarSize, info.NarSHA256, err = st.NAR.CalculateNAR(ctx, o.Node); err != nil {
				return nil, fmt.Errorf("output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
			}
		}
		if b.typ == derivation.TypeFixed {
			m, want, err := b.Drv.Outputs[outName].FixedHash()
			if err != nil {
				return nil, fmt.Errorf("output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
			}
			got, err := b.contentHash(ctx, st, outName, o, m, want.Algorithm())
			if err != nil {
				return nil, err
			}
			final, err := b.dir.MakeFixedOutputPath(m, got, storepath.OutputPathName(b.Name, outName), storepath.SortedSet(info.References), self)
			if err != nil {
				return nil, fmt.Errorf("output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
			}
			info.CA = storepath.ContentAddress{Method: m, Hash: got}
			if !slices.Equal(got.Digest(), want.Digest()) {
				mismatch = &HashMismatchError{DrvPath: b.dir.Print(b.DrvPath), Specified: want, Got: got, Path: final}
			}
			if final != p && self {
				// The self-reference was scanned under the expected path;
				// rewriting it (Nix's HashModuloSink) is not supported.
				return nil, fmt.Errorf("fixed output '%s' of '%s' refers to itself and has an unexpected hash", outName, b.dir.Print(b.DrvPath))
			}
			info.StorePath, p = final, final
		}
		if self {
			info.References = append(info.References, p)
		}
		info.Normalize()
		infos[outName] = info
	}
	return infos, mismatch
}

// relPath is an output's path as the request names it.
func (b *Build) relPath(p storepath.StorePath) string {
	return b.Request.InputsDir + "/" + p.String()
}

// contentHash hashes a fixed output as its method says: a flat file's
// contents, or the NAR.
func (b *Build) contentHash(ctx context.Context, st *store.Store, outName string, o build.Output, m storepath.Method, algo nixhash.Algorithm) (nixhash.Hash, error) {
	h := algo.New()
	switch {
	case m == storepath.Flat:
		if o.Node.Kind != castore.KindFile || o.Node.Executable {
			return nixhash.Hash{}, fmt.Errorf("output path '%s' should be a non-executable regular file since recursive hashing is not enabled (outputHashMode=flat)",
				b.dir.Print(b.Outputs[outName]))
		}
		r, err := st.Blobs.Open(ctx, o.Node.Digest)
		if err != nil {
			return nixhash.Hash{}, fmt.Errorf("output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
		}
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return nixhash.Hash{}, fmt.Errorf("output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
		}
	case algo == nixhash.SHA256 && o.HasNAR:
		return nixhash.New(nixhash.SHA256, o.NarSHA256[:])
	default:
		r, err := store.NewNARReader(ctx, st.Blobs, st.Directories, o.Node)
		if err != nil {
			return nixhash.Hash{}, fmt.Errorf("output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
		}
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return nixhash.Hash{}, fmt.Errorf("output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
		}
	}
	return nixhash.New(algo, h.Sum(nil))
}

// Register stores the PathInfos of a build's outputs, outputs that others
// refer to first, and returns them by output name. Outputs that refer to
// each other in a cycle are an error, as in Nix. A fixed output with the
// wrong hash is registered under its actual path and then reported as a
// *HashMismatchError.
func (b *Build) Register(ctx context.Context, st *store.Store, res *build.Result) (map[string]*store.PathInfo, error) {
	infos, mismatch := b.Infos(ctx, st, res)
	if infos == nil {
		return nil, mismatch
	}
	order, err := b.outputOrder(infos)
	if err != nil {
		return nil, err
	}
	for _, outName := range order {
		stored, err := st.PathInfo.Put(ctx, infos[outName])
		if err != nil {
			return nil, fmt.Errorf("registering output '%s' of '%s': %w", outName, b.dir.Print(b.DrvPath), err)
		}
		infos[outName] = stored
	}
	return infos, mismatch
}

// outputOrder sorts output names so that an output comes after the
// outputs it refers to, reporting cycles as Nix's topoSort does.
func (b *Build) outputOrder(infos map[string]*store.PathInfo) ([]string, error) {
	byPath := map[storepath.StorePath]string{}
	for name, info := range infos {
		byPath[info.StorePath] = name
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []string
	var visit func(name, parent string) error
	visit = func(name, parent string) error {
		switch state[name] {
		case visiting:
			return fmt.Errorf("cycle detected in build of '%s' in the references of output '%s' from output '%s'",
				b.dir.Print(b.DrvPath), name, parent)
		case done:
			return nil
		}
		state[name] = visiting
		for _, r := range infos[name].References {
			if dep, ok := byPath[r]; ok && dep != name {
				if err := visit(dep, name); err != nil {
					return err
				}
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(infos)) {
		if err := visit(name, ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}
