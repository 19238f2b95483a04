package glue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// pathEntry is a store path created during the evaluation: enough to read
// it back, to follow its references, and to write it.
type pathEntry struct {
	path    storepath.StorePath
	printed string
	// refs are the printed store paths it refers to, sorted.
	refs []string
	ca   storepath.ContentAddress
	// A text path (toFile, a store derivation) has its contents here.
	text []byte
	// drvOutputs are the output names of a store derivation, and
	// drvOutPaths their paths ("" if not known before building).
	drvOutputs, drvOutPaths []string
	// A source path is a copy of a file system tree.
	src *sourceCopy
	// narHash and narSize describe its NAR, when known before writing.
	narHash nixhash.Hash
	narSize uint64
	written bool
}

// addText records a text path (Nix's addTextToStore / computeStorePathForText)
// named name with contents and references refs (printed store paths).
// With keep the entry keeps contents (which the caller gives up), to be
// read back and written; otherwise only the path is recorded.
func (g *Glue) addText(name string, contents []byte, refs []string, keep bool) (*pathEntry, error) {
	refs = sortedSet(refs)
	// The type is "text" and the references, as Nix's makeTextPath; the
	// references are printed store paths already, sorted as Nix sorts
	// them (by base name, which in one store directory is their order).
	n := len("text")
	for _, r := range refs {
		if !g.inStore(r) || strings.IndexByte(r[len(g.dir)+1:], '/') >= 0 {
			return nil, fmt.Errorf("path '%s' is not a store path", r)
		}
		n += 1 + len(r)
	}
	typ := make([]byte, 0, n)
	typ = append(typ, "text"...)
	for _, r := range refs {
		typ = append(typ, ':')
		typ = append(typ, r...)
	}
	h := nixhash.Sum(nixhash.SHA256, contents)
	p, err := g.dir.MakeStorePath(string(typ), h, name)
	if err != nil {
		return nil, err
	}
	printed := g.dir.Print(p)
	if e, ok := g.paths[printed]; ok {
		return e, nil
	}
	e := &pathEntry{
		path: p, printed: printed, refs: refs,
		ca: storepath.ContentAddress{Text: true, Hash: h},
	}
	if keep {
		e.text = contents
	}
	g.record(e)
	return e, nil
}

// record adds a new entry, to be written at the next Flush.
func (g *Glue) record(e *pathEntry) {
	g.paths[e.printed] = e
	if !g.opts.ReadOnly {
		g.pending = append(g.pending, e)
	}
}

func sortedSet(ss []string) []string {
	if len(ss) < 2 || slices.IsSorted(ss) {
		return slices.Compact(ss)
	}
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return slices.Compact(ss)
}

// references returns the references of the store path p (printed): from
// this evaluation, else from the store.
func (g *Glue) references(ctx context.Context, p string) ([]string, error) {
	if e, ok := g.paths[p]; ok {
		return e.refs, nil
	}
	info, err := g.view.info(ctx, p)
	if err != nil {
		return nil, err
	}
	if info == nil {
		return nil, fmt.Errorf("path '%s' is not valid", p)
	}
	refs := make([]string, len(info.References))
	for i, r := range info.References {
		refs[i] = g.dir.Print(r)
	}
	return refs, nil
}

// closure returns the closure of store path p under references, sorted
// (Nix's computeFSClosure).
func (g *Glue) closure(ctx context.Context, p string) ([]string, error) {
	seen := map[string]bool{p: true}
	stack := []string{p}
	for len(stack) > 0 {
		q := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		refs, err := g.references(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if !seen[r] {
				seen[r] = true
				stack = append(stack, r)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for q := range seen {
		out = append(out, q)
	}
	slices.Sort(out)
	return out, nil
}

// derivationOutputs returns the output names of the store derivation at
// drvPath.
func (g *Glue) derivationOutputs(ctx context.Context, drvPath string) ([]string, error) {
	if e, ok := g.paths[drvPath]; ok && e.drvOutputs != nil {
		return e.drvOutputs, nil
	}
	d, err := g.loadDerivation(ctx, drvPath)
	if err != nil {
		return nil, err
	}
	return d.OutputNames(), nil
}

// outputPath returns the path of output out of the store derivation at
// drvPath ("" if it is not known before building).
func (g *Glue) outputPath(ctx context.Context, drvPath, out string) (string, error) {
	if e, ok := g.paths[drvPath]; ok && e.drvOutputs != nil {
		for i, o := range e.drvOutputs {
			if o == out {
				return e.drvOutPaths[i], nil
			}
		}
		return "", fmt.Errorf("derivation '%s' does not have an output named '%s'", drvPath, out)
	}
	d, err := g.loadDerivation(ctx, drvPath)
	if err != nil {
		return "", err
	}
	o, ok := d.Outputs[out]
	if !ok {
		return "", fmt.Errorf("derivation '%s' does not have an output named '%s'", drvPath, out)
	}
	return o.Path, nil
}

// loadDerivation reads the store derivation at drvPath: one created in
// this evaluation, else from the store, else from the file system (a
// derivation in the store directory of a Nix on this machine).
func (g *Glue) loadDerivation(ctx context.Context, drvPath string) (*derivation.Derivation, error) {
	data, err := g.readStoreFile(ctx, drvPath)
	if err != nil {
		return nil, err
	}
	return derivation.ParseIn(g.dir, data)
}

// readStoreFile reads a regular file at or below a store path, through the
// store view (entries of this evaluation, the store, then the file
// system).
func (g *Glue) readStoreFile(ctx context.Context, p string) ([]byte, error) {
	if e, ok := g.paths[p]; ok && e.text != nil {
		return e.text, nil
	}
	return (&storeIO{g: g, base: g.io}).ReadFile(ctx, p)
}

// isValidPath reports whether the store path p (printed) exists: created
// in this evaluation, in the store, or in the store directory on disk.
func (g *Glue) isValidPath(ctx context.Context, p string) bool {
	if _, ok := g.paths[p]; ok {
		return true
	}
	// On disk (a Nix store on this machine) first: that needs no store
	// to be opened.
	if _, err := g.io.Lstat(ctx, p); err == nil {
		return true
	}
	info, err := g.view.info(ctx, p)
	return err == nil && info != nil
}

// lookupInfo returns the PathInfo of p from the store, nil if it has none.
func lookupInfo(ctx context.Context, st *store.Store, p storepath.StorePath) (*store.PathInfo, error) {
	info, err := st.PathInfo.Get(ctx, p.Digest)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if info.StorePath != p {
		return nil, nil
	}
	return info, nil
}

// inStore reports whether s is a path at or below the store directory.
func (g *Glue) inStore(s string) bool {
	d := string(g.dir)
	return len(s) > len(d)+1 && strings.HasPrefix(s, d) && s[len(d)] == '/'
}
