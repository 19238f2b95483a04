package graph

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/nixbuild"
	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/storepath"
)

// CheckResult is what rebuilding a derivation with check found.
type CheckResult struct {
	Drv     storepath.StorePath
	Outputs []OutputCheck
}

// Identical reports whether every output was rebuilt bit for bit.
func (c *CheckResult) Identical() bool {
	for _, o := range c.Outputs {
		if !o.Identical {
			return false
		}
	}
	return true
}

// OutputCheck compares one rebuilt output with the stored one.
type OutputCheck struct {
	Name string
	Path storepath.StorePath
	// Identical: the NAR hashes are equal.
	Identical bool
	// Differences are the files (relative to the output, "" for the
	// output itself) that differ: contents, type, executable bit or
	// symlink target, or that exist on one side only.
	Differences []string
}

// compare checks a rebuild's outputs against the stored ones.
func (b *Builder) compare(ctx context.Context, bld *nixbuild.Build, res *build.Result) (*CheckResult, error) {
	st := b.opts.Store
	infos, err := bld.Infos(ctx, st, res)
	if infos == nil {
		return nil, err
	}
	// A fixed output with another hash is a difference, not a failure.
	cr := &CheckResult{Drv: bld.DrvPath}
	for _, name := range slices.Sorted(maps.Keys(infos)) {
		expected := bld.Outputs[name]
		old, err := st.PathInfo.Get(ctx, expected.Digest)
		if err != nil {
			return nil, fmt.Errorf("checking output '%s' of '%s': %w", name, b.dir().Print(bld.DrvPath), err)
		}
		oc := OutputCheck{Name: name, Path: expected, Identical: old.NarSHA256 == infos[name].NarSHA256 && old.StorePath == infos[name].StorePath}
		if !oc.Identical {
			if oc.Differences, err = diffTrees(ctx, st.Directories, old.Node, infos[name].Node); err != nil {
				return nil, err
			}
		}
		cr.Outputs = append(cr.Outputs, oc)
	}
	return cr, nil
}

// diffTrees lists the paths at which two castore trees differ.
func diffTrees(ctx context.Context, dirs castore.DirectoryService, a, b castore.Node) ([]string, error) {
	var out []string
	var walk func(p string, a, b castore.Node) error
	walk = func(p string, a, b castore.Node) error {
		if a.Kind != castore.KindDirectory || b.Kind != castore.KindDirectory {
			if a != b {
				out = append(out, p)
			}
			return nil
		}
		if a.Digest == b.Digest {
			return nil
		}
		da, err := dirs.Get(ctx, a.Digest)
		if err != nil {
			return err
		}
		db, err := dirs.Get(ctx, b.Digest)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, e := range da.Entries {
			names[e.Name] = true
		}
		for _, e := range db.Entries {
			names[e.Name] = true
		}
		keys := slices.Sorted(maps.Keys(names))
		for _, name := range keys {
			na, okA := da.Lookup(name)
			nb, okB := db.Lookup(name)
			child := path.Join(p, name)
			if !okA || !okB {
				out = append(out, child)
				continue
			}
			if err := walk(child, na, nb); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", a, b); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}
