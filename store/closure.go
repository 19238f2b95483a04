package store

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/govix/govix/nixcompat/storepath"
)

// closureConcurrency is how many PathInfos Closure fetches at a time: a
// binary cache source downloads and ingests a path's NAR in Get.
const closureConcurrency = 8

// Closure returns the PathInfos of roots and of everything they refer to,
// directly or not, sorted by store path. Paths are fetched several at a
// time, level by level. A path that is missing is an error wrapping
// ErrNotFound that names it.
func Closure(ctx context.Context, pis PathInfoService, roots []storepath.StorePath) ([]*PathInfo, error) {
	seen := map[storepath.StorePath]*PathInfo{}
	level := storepath.SortedSet(roots)
	for len(level) > 0 {
		infos := make([]*PathInfo, len(level))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(closureConcurrency)
		for i, p := range level {
			g.Go(func() error {
				info, err := pis.Get(gctx, p.Digest)
				if err != nil {
					return fmt.Errorf("%s: %w", storepath.DefaultStoreDir.Print(p), err)
				}
				if info.StorePath != p {
					return fmt.Errorf("%w: %s: the store has %s under its hash", ErrNotFound, storepath.DefaultStoreDir.Print(p), info.StorePath)
				}
				infos[i] = info
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		var next []storepath.StorePath
		for _, info := range infos {
			seen[info.StorePath] = info
		}
		for _, info := range infos {
			for _, r := range info.References {
				if _, ok := seen[r]; !ok {
					next = append(next, r)
				}
			}
		}
		level = storepath.SortedSet(next)
	}
	out := make([]*PathInfo, 0, len(seen))
	for _, info := range seen {
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b *PathInfo) int { return a.StorePath.Compare(b.StorePath) })
	return out, nil
}

// TopoSort orders infos so that every path comes after the paths it
// refers to (among infos), the order in which to add them to a store.
// Self references are ignored; the order is otherwise by store path.
func TopoSort(infos []*PathInfo) ([]*PathInfo, error) {
	byPath := make(map[storepath.StorePath]*PathInfo, len(infos))
	for _, i := range infos {
		byPath[i.StorePath] = i
	}
	sorted := slices.Clone(infos)
	slices.SortFunc(sorted, func(a, b *PathInfo) int { return a.StorePath.Compare(b.StorePath) })
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[storepath.StorePath]int{}
	out := make([]*PathInfo, 0, len(infos))
	var visit func(i *PathInfo) error
	visit = func(i *PathInfo) error {
		switch state[i.StorePath] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("%w: reference cycle through %s", ErrInvalid, i.StorePath)
		}
		state[i.StorePath] = visiting
		for _, r := range i.References {
			if ri, ok := byPath[r]; ok && r != i.StorePath {
				if err := visit(ri); err != nil {
					return err
				}
			}
		}
		state[i.StorePath] = done
		out = append(out, i)
		return nil
	}
	for _, i := range sorted {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}
